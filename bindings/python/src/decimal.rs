//! `decimal.Decimal` objects read in place: a pandas `object` column of money (what
//! `pd.read_parquet` makes of a `decimal128` column) holds one Python `Decimal` per row, and
//! reaching each value through Python (`str`, `as_tuple`) costs more than the whole summary.
//!
//! `CPython`'s C decimal type keeps each number in a libmpdec `mpd_t` inside the object:
//! `PyObject_HEAD`, the cached hash, then `flags` (sign and special), `exp`, `digits`, `len`,
//! `alloc`, a pointer to `len` limbs of base 10^19, and four inline limbs. That layout is not a
//! public API, so it is checked once per process on probe values whose fields are known (sign,
//! exponent, one, two and five limbs, inline and on the heap, each special value); if any field is
//! not where it should be (another build of Python, the pure-Python `_pydecimal`, a debug build),
//! [`decimal_column`] declines and the caller converts through each value's text as before.
//! A value it cannot represent exactly (a finer scale than asked, beyond 38 digits, infinite, a
//! signalling NaN, an object that is not exactly a `Decimal` or `None`) also declines the
//! whole column, so every result is the one the text route gives, or that route runs.

use std::sync::Arc;

use arrow_array::{Array, Decimal128Array, RecordBatch};
use arrow_schema::{Field, Schema};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

use crate::arrow::ArrowTable;

/// Byte offsets of the `mpd_t` fields in a 64-bit `CPython` `PyDecObject`.
const FLAGS: usize = 24;
const EXP: usize = 32;
const LEN: usize = 48;
const DATA: usize = 64;
/// The inline limbs: a small value's `data` points here.
const INLINE: usize = 72;

/// `mpd_t` flags: the sign and the special values.
const NEG: u8 = 1;
const INF: u8 = 2;
const NAN: u8 = 4;
const SNAN: u8 = 8;

/// libmpdec's limb base on 64-bit builds.
const RADIX: u128 = 10_000_000_000_000_000_000;

/// The largest magnitude of `decimal128(38, s)`.
const MAX_38: i128 = 10_i128.pow(38) - 1;

/// The `decimal.Decimal` type, once its layout has passed the probe; `None` when it has not.
static CHECKED: PyOnceLock<Option<Py<PyType>>> = PyOnceLock::new();

/// One `Decimal` as its fields.
struct Fields {
    flags: u8,
    exp: i64,
    /// Limbs, least significant first; empty for a special value.
    limbs: [u64; 3],
    len: usize,
}

/// Reads the fields of `obj`, an object of the probed `Decimal` type.
///
/// # Safety
/// `obj` must be a live object of a type whose layout [`probe`] has verified (so the reads
/// below are inside the object, and `data` points to `len` limbs). Values of more than 3 limbs
/// are not read (their `len` says so).
unsafe fn fields(obj: *mut ffi::PyObject) -> Fields {
    let base = obj.cast::<u8>();
    // SAFETY: by the caller's contract, these offsets hold the `mpd_t` fields of `obj`.
    unsafe {
        let flags = base.add(FLAGS).read();
        let exp = base.add(EXP).cast::<i64>().read_unaligned();
        let len = base.add(LEN).cast::<i64>().read_unaligned();
        let data = base.add(DATA).cast::<*const u64>().read_unaligned();
        let mut limbs = [0; 3];
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if flags & (INF | NAN | SNAN) == 0 && len <= 3 {
            for (i, limb) in limbs.iter_mut().enumerate().take(len) {
                *limb = data.add(i).read_unaligned();
            }
        }
        Fields {
            flags,
            exp,
            limbs,
            len,
        }
    }
}

/// The value of `f` in units of `10^-scale`, if it is finite and exact within
/// `decimal128(38, scale)`; `Ok(None)` for a quiet NaN (a null to pandas), `Err(())` otherwise.
fn units(f: &Fields, scale: u32) -> Result<Option<i128>, ()> {
    // The common case first: one limb, finite, already at the column's scale (the exponent of
    // a value read from a decimal column): the limb is the magnitude.
    if f.len == 1 && f.flags & (INF | NAN | SNAN) == 0 && f.exp == -i64::from(scale) {
        let v = i128::from(f.limbs[0]);
        return Ok(Some(if f.flags & NEG != 0 { -v } else { v }));
    }
    if f.flags & (INF | SNAN) != 0 {
        return Err(());
    }
    if f.flags & NAN != 0 {
        return Ok(None);
    }
    if f.len == 0 || f.len > 3 {
        return Err(());
    }
    let mut coefficient: u128 = 0;
    for &limb in f.limbs[..f.len].iter().rev() {
        coefficient = coefficient
            .checked_mul(RADIX)
            .and_then(|c| c.checked_add(u128::from(limb)))
            .ok_or(())?;
    }
    let shift = f.exp.checked_add(i64::from(scale)).ok_or(())?;
    let magnitude = if coefficient == 0 {
        // pyarrow counts a zero's digits as one and its exponent's zeros (`0E+2` at scale 38
        // is 41 digits to it): declined there, declined here.
        if shift >= 38 {
            return Err(());
        }
        0
    } else if shift >= 0 {
        let p = 10_u128
            .checked_pow(u32::try_from(shift).map_err(|_| ())?)
            .ok_or(())?;
        coefficient.checked_mul(p).ok_or(())?
    } else {
        // Digits below the scale: exact only when they are zeros (as Arrow's cast requires).
        let p = u32::try_from(-shift)
            .ok()
            .and_then(|s| 10_u128.checked_pow(s))
            .ok_or(())?;
        if coefficient % p != 0 {
            return Err(());
        }
        coefficient / p
    };
    let v = i128::try_from(magnitude).map_err(|_| ())?;
    if v > MAX_38 {
        return Err(());
    }
    Ok(Some(if f.flags & NEG != 0 { -v } else { v }))
}

/// Whether the fields of `Decimal(text)` are `(flags & 15, exp, limbs)`; each read only after
/// the fields before it have proved the layout (a pointer is followed only once it was seen to
/// point at the object's own inline limbs for a small value).
fn probe_one(
    ty: &Bound<'_, PyType>,
    text: &str,
    flags: u8,
    exp: i64,
    limbs: &[u64],
) -> PyResult<bool> {
    let d = ty.call1((text,))?;
    let obj = d.as_ptr();
    let base = obj.cast::<u8>();
    // SAFETY: `probe` checked that the type's objects are at least `INLINE + 32` bytes, so these
    // reads are inside `d`, which is alive; nothing is dereferenced through them yet.
    let (f, e, len, data) = unsafe {
        (
            base.add(FLAGS).read() & 15,
            base.add(EXP).cast::<i64>().read_unaligned(),
            base.add(LEN).cast::<i64>().read_unaligned(),
            base.add(DATA).cast::<*const u64>().read_unaligned(),
        )
    };
    let special = flags & (INF | NAN | SNAN) != 0;
    if f != flags || (!special && (e != exp || usize::try_from(len).ok() != Some(limbs.len()))) {
        return Ok(false);
    }
    if special {
        return Ok(true);
    }
    // A value of at most 4 limbs lives inline: `data` must then be that address.
    if limbs.len() <= 4 && data.cast::<u8>() != base.wrapping_add(INLINE).cast_const() {
        return Ok(false);
    }
    // SAFETY: the layout is proved for small values above; the five-limb probe runs last, after
    // the inline ones, and its `data` is libmpdec's allocation of `len` limbs.
    let read: Vec<u64> = (0..limbs.len())
        .map(|i| unsafe { data.add(i).read_unaligned() })
        .collect();
    Ok(read == limbs)
}

/// The `decimal.Decimal` type if its objects have the layout read here (checked once).
fn probe(py: Python<'_>) -> PyResult<Option<Py<PyType>>> {
    let ty = py.import("decimal")?.getattr("Decimal")?;
    let Ok(ty) = ty.cast_into::<PyType>() else {
        return Ok(None);
    };
    let size: usize = ty.getattr("__basicsize__")?.extract()?;
    if size < INLINE + 32 || !cfg!(target_pointer_width = "64") {
        return Ok(None);
    }
    let cases: [(&str, u8, i64, &[u64]); 9] = [
        ("-123.45", NEG, -2, &[12_345]),
        ("0", 0, 0, &[0]),
        ("1E+5", 0, 5, &[1]),
        ("-0.00", NEG, -2, &[0]),
        (
            "1000000000000000000000000000007E-3",
            0,
            -3,
            &[7, 100_000_000_000],
        ),
        ("NaN", NAN, 0, &[]),
        ("-Infinity", NEG | INF, 0, &[]),
        ("sNaN", SNAN, 0, &[]),
        (
            "100000000000000000000000000000000000000000000000000000000000000000000000000000001",
            0,
            0,
            &[1, 0, 0, 0, 10_000],
        ),
    ];
    for (text, flags, exp, limbs) in cases {
        if !probe_one(&ty, text, flags, exp, limbs)? {
            return Ok(None);
        }
    }
    Ok(Some(ty.unbind()))
}

/// Objects read ahead of the one converted: each is a cache miss (a frame's objects lie apart in
/// the heap), and the loop's own work per object is too short to overlap many of them.
const AHEAD: usize = 16;

/// Asks the CPU to load the object at `row` (its type and `mpd_t` fields: two cache lines).
#[inline]
fn prefetch(elements: *const *mut ffi::PyObject, row: usize, n: usize) {
    #[cfg(target_arch = "x86_64")]
    if row < n {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: `row < n`, so the element is inside the array (see `decimal_column`); a
        // prefetch of any address does not fault, and the object is not dereferenced here.
        unsafe {
            let obj = elements.add(row).read().cast::<i8>();
            _mm_prefetch::<_MM_HINT_T0>(obj.cast_const());
            _mm_prefetch::<_MM_HINT_T0>(obj.wrapping_add(INLINE).cast_const());
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (elements, row, n);
}

/// The element pointers of a one-dimensional, contiguous numpy array of objects (`|O`), by its
/// `__array_interface__`; `None` for anything else.
fn object_elements(
    values: &Bound<'_, PyAny>,
) -> PyResult<Option<(*const *mut ffi::PyObject, usize)>> {
    let Ok(interface) = values.getattr("__array_interface__") else {
        return Ok(None);
    };
    let typestr: String = interface.get_item("typestr")?.extract()?;
    let shape: Vec<usize> = interface.get_item("shape")?.extract()?;
    let contiguous = interface.get_item("strides")?.is_none();
    let (data, _readonly): (usize, bool) = interface.get_item("data")?.extract()?;
    let pointer = std::mem::size_of::<*mut ffi::PyObject>();
    if typestr != "|O" || shape.len() != 1 || !contiguous || (data % pointer != 0 && shape[0] > 0) {
        return Ok(None);
    }
    Ok(Some((data as *const *mut ffi::PyObject, shape[0])))
}

/// Columns of at least this many values are read on two threads.
const SPLIT_ROWS: usize = 1 << 16;

/// The element pointers of an object array, the probed `Decimal` type and `None`: what a
/// thread needs to read values (as addresses: raw pointers are not `Send`).
struct Objects {
    elements: *const *mut ffi::PyObject,
    ty: *mut ffi::PyTypeObject,
    none: *mut ffi::PyObject,
}

// SAFETY: `Objects` is only read, and only while the thread that made it holds the GIL and runs
// no Python code (`decimal_column`): the array and every object it points to stay alive and
// unchanged for as long as any thread reads them, and reading immutable memory from two
// threads is not a race.
unsafe impl Sync for Objects {}

impl Objects {
    /// The units of elements `rows` and their validity (`None`: all valid), or `None` where a
    /// value is not read exactly (the column declines).
    fn read(
        &self,
        rows: std::ops::Range<usize>,
        scale: u32,
    ) -> Option<(Vec<i128>, Option<Vec<bool>>)> {
        let (start, end) = (rows.start, rows.end);
        let mut out = Vec::with_capacity(end - start);
        let mut valid: Option<Vec<bool>> = None;
        for row in rows {
            prefetch(self.elements, row + AHEAD, end);
            // SAFETY: the array (alive for the call) is a contiguous array of at least `end`
            // object pointers, each a strong reference it holds; with the GIL held by the
            // calling thread and no Python code run, none of them is released while read.
            let v = unsafe { self.elements.add(row).read() };
            let value = if v == self.none {
                None
            // SAFETY: `v` is a live object (above).
            } else if unsafe { ffi::Py_TYPE(v) } == self.ty {
                // SAFETY: `v` is alive and exactly of the probed type.
                let f = unsafe { fields(v) };
                units(&f, scale).ok()?
            } else {
                return None;
            };
            if value.is_none() && valid.is_none() {
                valid = Some(vec![true; row - start]);
            }
            if let Some(valid) = &mut valid {
                valid.push(value.is_some());
            }
            out.push(value.unwrap_or(0));
        }
        Some((out, valid))
    }
}

/// A numpy array of `decimal.Decimal` objects (or `None`, a null; a pandas `object` column's
/// `to_numpy()`) as a one-column Arrow table of `decimal128(38, scale)`, read from the objects in
/// place; `None` when this route declines (see the module docs): then the caller converts each
/// value's text.
#[pyfunction]
pub fn decimal_column(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    scale: u32,
) -> PyResult<Option<ArrowTable>> {
    let Some(ty) = CHECKED.get_or_try_init(py, || probe(py))? else {
        return Ok(None);
    };
    let Some((elements, n)) = object_elements(values)? else {
        return Ok(None);
    };
    if scale > 38 {
        return Ok(None);
    }
    let ty = ty.as_ptr().cast::<ffi::PyTypeObject>();
    let none = py.None().as_ptr();
    let objects = Objects { elements, ty, none };
    // Two halves on two threads (the reads are cache misses, one object after another); the
    // GIL stays held by this thread throughout, so no Python code runs while either reads.
    let half = if n >= SPLIT_ROWS { n / 2 } else { n };
    let (a, b) = kokyaku::par::join(&|| objects.read(0..half, scale), || {
        objects.read(half..n, scale)
    });
    let (Some((mut out, valid_a)), Some((rest, valid_b))) = (a, b) else {
        return Ok(None);
    };
    let valid = match (valid_a, valid_b) {
        (None, None) => None,
        (a, b) => {
            let mut v = a.unwrap_or_else(|| vec![true; out.len()]);
            v.extend(b.unwrap_or_else(|| vec![true; rest.len()]));
            Some(v)
        }
    };
    out.extend(rest);
    let nulls = valid.map(Into::into);
    let precision_scale = i8::try_from(scale).unwrap_or(38);
    let array = Decimal128Array::new(out.into(), nulls)
        .with_precision_and_scale(38, precision_scale)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    let field = Field::new("value", array.data_type().clone(), true);
    let batch = RecordBatch::try_new(Arc::new(Schema::new(vec![field])), vec![Arc::new(array)])
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok(Some(ArrowTable::new(batch)))
}
