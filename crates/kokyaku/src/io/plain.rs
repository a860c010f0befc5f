//! Batches of plain new orders, decoded column by column.
//!
//! Most rows of a typical export are plain: a member-number customer id, a new order id one
//! higher than the last, a time, a non-negative integer amount, a known status. The Parquet
//! reader checks a whole decoded batch for that shape on its decoding thread, in one tight loop
//! per column, and hands the batch over as a [`PlainBatch`]. A sink that can take such a batch at
//! once ([`super::OrderSink::push_plain`]) skips the per-row path; any other batch, and any batch
//! a sink declines, goes through the same per-row checks as every other reader. So a batch is
//! plain only when the per-row path would accept every one of its rows as a new order, and the
//! result cannot depend on which path ran.

use crate::model::{Day, HexForm};

/// Fixed-width ids made of one prefix and digits (`00012345`, `C-00012345`, `O0000000123`):
/// the prefix, the width and each row's number.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberedIds {
    pub(crate) prefix: Box<[u8]>,
    pub(crate) width: usize,
    pub(crate) numbers: Vec<u64>,
    pub(crate) max: u64,
}

/// Customer ids of a plain batch: member numbers, or other text (with each id's hash, as the
/// interner computes it, worked out on the decoding thread).
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Customers {
    Numbered(NumberedIds),
    /// Integer ids (an integer column), which the per-row path reads as their decimal text.
    Ints(Vec<i64>),
    Text {
        text: String,
        ends: Vec<u32>,
        /// Each id's hash ([`crate::model::id_hash`]); none when `hex` is there.
        hashes: Vec<u64>,
        /// Each id's number, when every id is of one [`HexForm`] (UUIDs and the like).
        hex: Option<HexIds>,
    },
    /// Dictionary-encoded text ids (pandas / Polars categoricals, Parquet dictionary pages):
    /// each distinct value once, each row by its value's index.
    Dict(DictIds),
}

/// The numbers of a batch's ids, every one of `form` (worked out on the decoding thread): the
/// streamed summary keys its customers by them.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexIds {
    pub(crate) form: HexForm,
    pub(crate) keys: Vec<[u64; 2]>,
}

/// The ids of a dictionary-encoded column: the distinct values its rows use, trimmed as the
/// per-row path trims, in the order of their first row (one after another, where each ends,
/// each one's hash as the interner computes it), and each row's value. The sink resolves each
/// value to a customer once (once per dictionary, while batches share one), not each row.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DictIds {
    pub(crate) text: String,
    pub(crate) ends: Vec<u32>,
    pub(crate) hashes: Vec<u64>,
    /// Each distinct value's index in the dictionary.
    pub(crate) index: Vec<u32>,
    /// Each row's distinct value (an index into `ends`).
    pub(crate) keys: Vec<u32>,
    /// The dictionary's length.
    pub(crate) len: usize,
    /// Which dictionary (`None`: not known, so nothing is remembered across batches).
    pub(crate) source: Option<DictSource>,
}

/// Which dictionary a batch's keys index: the addresses and lengths of its buffers (and its
/// type), and a handle that keeps those buffers alive. While a sink holds the handle no other
/// dictionary can live at those addresses, so equal keys mean the same, unchanged values.
/// A dictionary at other addresses may still hold the same values (a reader that decodes each
/// row group's copy of one dictionary afresh): `same_values`, set by the reader that made the
/// handle, compares two handles' values.
#[doc(hidden)]
#[derive(Clone)]
pub struct DictSource {
    pub(crate) key: Box<[u64]>,
    pub(crate) hold: std::sync::Arc<dyn std::any::Any + Send + Sync>,
    pub(crate) same_values: Option<SameValues>,
}

/// Whether two dictionaries' handles ([`DictSource::hold`]) hold equal values.
pub(crate) type SameValues =
    fn(&(dyn std::any::Any + Send + Sync), &(dyn std::any::Any + Send + Sync)) -> bool;

impl DictSource {
    /// Whether `other` is this dictionary or one with the same values, value for value.
    pub(crate) fn same_as(&self, other: &Self) -> bool {
        self == other
            || self
                .same_values
                .is_some_and(|f| f(&*self.hold, &*other.hold))
    }
}

impl PartialEq for DictSource {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for DictSource {}

impl std::fmt::Debug for DictSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DictSource")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// Value `k` of texts held one after another, `ends[k]` where each ends.
#[inline]
fn text_at<'a>(text: &'a str, ends: &[u32], k: usize) -> &'a str {
    let start = if k == 0 { 0 } else { ends[k - 1] as usize };
    text.get(start..ends[k] as usize).unwrap_or_default()
}

/// Keeps the texts `heads` (rising) of texts stored one after another, ending at `ends`.
fn keep_texts(text: &mut String, ends: &mut Vec<u32>, heads: &[usize]) {
    let mut t = String::with_capacity(text.len());
    let mut e = Vec::with_capacity(heads.len());
    for &i in heads {
        t.push_str(text_at(text, ends, i));
        e.push(u32::try_from(t.len()).unwrap_or(u32::MAX));
    }
    *text = t;
    *ends = e;
}

impl DictIds {
    /// Distinct value `k`.
    #[inline]
    pub(crate) fn value(&self, k: usize) -> &str {
        text_at(&self.text, &self.ends, k)
    }
}

impl Customers {
    /// Ids that are not member numbers: non-empty and unchanged by trimming (the per-row path
    /// trims). `None` otherwise. When every id is of one [`HexForm`] (the first id's), their
    /// numbers come too.
    pub(crate) fn text<'a>(rows: usize, ids: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let mut text = String::new();
        let mut ends = Vec::with_capacity(rows);
        let mut hashes = Vec::new();
        let mut hex: Option<HexIds> = None;
        for b in ids {
            let s = std::str::from_utf8(b).ok()?;
            let plain_ends = matches!((b.first(), b.last()), (Some(x), Some(y)) if x.is_ascii_graphic() && y.is_ascii_graphic());
            if !plain_ends && (s.trim().len() != s.len() || s.is_empty()) {
                return None;
            }
            if ends.is_empty() {
                hex = HexForm::of(b).map(|(form, key)| {
                    let mut keys = Vec::with_capacity(rows);
                    keys.push(key);
                    HexIds { form, keys }
                });
            } else if let Some(h) = &mut hex {
                match h.form.key(b) {
                    Some((key, case)) => {
                        h.form.note_case(case);
                        h.keys.push(key);
                    }
                    None => hex = None,
                }
            }
            text.push_str(s);
            ends.push(u32::try_from(text.len()).ok()?);
        }
        // Hex ids go by number: their hashes would not be used (a sink that needs them after
        // all, in its text table, hashes them there).
        if hex.is_none() {
            hashes.extend((0..ends.len()).map(|k| crate::model::id_hash(text_at(&text, &ends, k))));
        }
        (ends.len() == rows).then_some(Self::Text {
            text,
            ends,
            hashes,
            hex,
        })
    }

    /// Ids of a dictionary-encoded column without nulls: `keys` holds each row's index into
    /// the dictionary of `len` values, `value(k)` value `k` (`None`: null, or not text). Only
    /// the values rows use are read, each once, trimmed as the per-row path trims; `None` when
    /// one is blank or null (the per-row path's business: anonymous, or rejected). Member
    /// numbers come back as [`Self::Numbered`], as the same texts undictionaried would.
    pub(crate) fn dict<'a>(
        keys: &[usize],
        len: usize,
        value: impl Fn(usize) -> Option<&'a str>,
        source: Option<DictSource>,
    ) -> Option<Self> {
        let mut text = String::new();
        let mut ends: Vec<u32> = Vec::new();
        let mut index: Vec<u32> = Vec::new();
        let mut row_keys = Vec::with_capacity(keys.len());
        // Each dictionary value's distinct-value number in this batch, in a buffer of the
        // thread's that outlives the batch: a dictionary of millions of values (each row group
        // of an export can carry every customer's id) is not allocated, cleared and faulted
        // in for every batch; the slots a batch used are reset after it.
        DICT_SLOTS.with_borrow_mut(|slot| {
            if slot.len() < len {
                slot.resize(len, UNSEEN);
            }
            let mut read = || -> Option<()> {
                for (c, &k) in keys.iter().enumerate() {
                    // A chunk's slots and values loaded first, in a loop of independent loads
                    // (a dictionary of millions of values is read at random: their cache
                    // misses overlap there, not one after another below).
                    if c % WARM == 0 {
                        let mut acc = 0u32;
                        for &k in keys.iter().skip(c).take(WARM) {
                            acc ^= slot.get(k).copied().unwrap_or(0);
                            acc ^= value(k).and_then(|v| v.bytes().next()).map_or(0, u32::from);
                        }
                        std::hint::black_box(acc);
                    }
                    let s = slot.get_mut(k).filter(|_| k < len)?;
                    if *s == UNSEEN {
                        // Noted in `index` before the slot is set: every set slot is reset.
                        let (distinct, at) =
                            (u32::try_from(ends.len()).ok()?, u32::try_from(k).ok()?);
                        index.push(at);
                        *s = distinct;
                        let v = trim(value(k)?);
                        if v.is_empty() {
                            return None;
                        }
                        text.push_str(v);
                        ends.push(u32::try_from(text.len()).ok()?);
                    }
                    row_keys.push(*s);
                }
                Some(())
            };
            let read = read();
            for &k in &index {
                slot[k as usize] = UNSEEN;
            }
            read
        })?;
        let distinct = ends.len();
        let at = |k: usize| text_at(&text, &ends, k).as_bytes();
        if let Some(n) = NumberedIds::read(distinct, (0..distinct).map(at)) {
            let numbers = row_keys.iter().map(|&k| n.numbers[k as usize]).collect();
            return Some(Self::Numbered(NumberedIds { numbers, ..n }));
        }
        let hashes = (0..distinct)
            .map(|k| crate::model::id_hash(text_at(&text, &ends, k)))
            .collect();
        Some(Self::Dict(DictIds {
            text,
            ends,
            hashes,
            index,
            keys: row_keys,
            len,
            source,
        }))
    }
}

/// Dictionary keys whose slots and values are loaded at once (in [`Customers::dict`]).
const WARM: usize = 1024;

/// No distinct value yet (in [`DICT_SLOTS`]).
const UNSEEN: u32 = u32::MAX;

thread_local! {
    /// [`Customers::dict`]'s distinct-value number of each dictionary value, [`UNSEEN`]
    /// between batches.
    static DICT_SLOTS: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `s.trim()`, without the Unicode scan when both ends are visible ASCII (as the per-row path).
#[inline]
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// The number whose decimal text (as `{v}` writes it) `s` is: `None` for any other text
/// (leading zeros, a plus sign, `-0`, beyond `i64`).
#[inline]
pub(crate) fn int_of_text(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let (neg, d) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if d.first() == Some(&b'0') && (d.len() > 1 || neg) {
        return None;
    }
    let n = digits_value(d)?;
    if neg {
        0_i64.checked_sub_unsigned(n)
    } else {
        i64::try_from(n).ok()
    }
}

/// `prefix` then `n` zero-padded to `width` bytes in all (as `{prefix}{n:0digits$}` writes
/// it, without the formatting machinery: a member number's text), into `buf`.
#[inline]
pub(crate) fn write_padded<'a>(
    buf: &'a mut String,
    prefix: &[u8],
    width: usize,
    n: u64,
) -> &'a str {
    buf.clear();
    buf.push_str(std::str::from_utf8(prefix).unwrap_or_default());
    let mut b = [0u8; 20];
    let d = u64_text(n, &mut b);
    for _ in d.len()..width.saturating_sub(prefix.len()) {
        buf.push('0');
    }
    buf.push_str(std::str::from_utf8(d).unwrap_or_default());
    buf
}

/// The decimal text of `n`, in `buf` (from `itoa`: two digits at a time).
#[inline]
fn u64_text(n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut digits = itoa::Buffer::new();
    let d = digits.format(n).as_bytes();
    let i = buf.len() - d.len();
    buf[i..].copy_from_slice(d);
    &buf[i..]
}

/// The decimal text of `v` (as `{v}` writes it), in `buf`.
#[inline]
pub(crate) fn int_text(v: i64, buf: &mut [u8; 20]) -> &[u8] {
    // (20 bytes: the 19 digits of |i64::MIN| and the sign)
    let mut i = buf.len() - u64_text(v.unsigned_abs(), buf).len();
    if v < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// Order ids of a plain batch: one prefix, numbers strictly rising (so no id repeats within the
/// batch), or of one width in any order (`rising` false: the sink checks them for repeats);
/// the ids as text, for the duplicate check of later rows.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRun {
    pub(crate) prefix: Box<[u8]>,
    pub(crate) first: u64,
    pub(crate) last: u64,
    /// The first id's length.
    pub(crate) width: usize,
    /// Every id is as long as the first.
    pub(crate) same_width: bool,
    /// The numbers rise strictly (else they are of one width, in any order).
    pub(crate) rising: bool,
    /// Each id's number.
    pub(crate) numbers: Vec<u64>,
    /// The ids, one after another, and where each ends, when their widths differ (of one
    /// width, the prefix and the numbers say it all).
    pub(crate) text: String,
    pub(crate) ends: Vec<u32>,
}

/// Whether rows that repeat an order id are lines of the order (the duplicate-order policy).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// A repeated id is rejected or an error (`keep_first`, `error`): never folded.
    No,
    /// A repeat is a line of its order when it has the order's customer and time (`sum_lines`).
    SameTime,
    /// A repeat is a line of its order when it has the order's customer (`sum_across_times`).
    AnyTime,
}

/// A batch of rows that are all plain new orders, or further lines of them (see the module
/// docs). Built by the Parquet and CSV readers; taken by the streamed customer summary.
///
/// Lines of one order next to each other (one order id on consecutive rows, the same customer
/// and, under `sum_lines`, the same time) are folded into one entry ([`Self::fold_lines`]): its
/// amount is the sum of the lines, its other fields the first line's, as the per-row path
/// makes them. The batch's first order may continue an order of an earlier batch (`join`).
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct PlainBatch {
    /// Orders (entries of the columns below).
    pub(crate) rows: usize,
    /// Rows of the file the batch covers (`rows` and the folded further lines).
    pub(crate) source_rows: usize,
    /// Whether the first order may be further lines of an order read before.
    pub(crate) join: Join,
    pub(crate) customers: Customers,
    /// Order ids, when the log has an order-id column.
    pub(crate) orders: Option<OrderRun>,
    pub(crate) days: Vec<Day>,
    /// Each row's time, Unix seconds (as the per-row path reads it).
    pub(crate) secs: Vec<i64>,
    pub(crate) max_day: Day,
    /// Amounts in units of `10^-scale`, all `>= 0`; `scale` is the most decimals any amount
    /// has without trailing zeros (what the per-row path would grow its scale to).
    pub(crate) units: Vec<i64>,
    pub(crate) max_units: i64,
    pub(crate) scale: u32,
    /// Per row: [`CANCELLED`] and [`SUBSCRIPTION`] bits.
    pub(crate) flags: Vec<u8>,
    pub(crate) cancelled: u64,
    /// The one currency of every row, when the log has a currency column.
    pub(crate) currency: Option<String>,
    /// Each row's subscription id, trimmed (empty: none), one after another, and where each
    /// ends, when the log has a subscription-id column.
    pub(crate) subscriptions: Option<(String, Vec<u32>)>,
}

impl Customers {
    /// Whether rows `i` and `j` have the same customer id.
    fn same_at(&self, i: usize, j: usize) -> bool {
        match self {
            Self::Numbered(n) => n.numbers[i] == n.numbers[j],
            Self::Ints(v) => v[i] == v[j],
            Self::Text { hex: Some(h), .. } => h.keys[i] == h.keys[j],
            Self::Text {
                text, ends, hashes, ..
            } => hashes.get(i) == hashes.get(j) && text_at(text, ends, i) == text_at(text, ends, j),
            // Two values of a dictionary may be one id (repeated, or equal once trimmed).
            Self::Dict(d) => {
                let (a, b) = (d.keys[i] as usize, d.keys[j] as usize);
                a == b || (d.hashes[a] == d.hashes[b] && d.value(a) == d.value(b))
            }
        }
    }

    /// Keeps the rows `heads` (rising).
    fn keep(&mut self, heads: &[usize]) {
        match self {
            Self::Numbered(n) => n.numbers = heads.iter().map(|&i| n.numbers[i]).collect(),
            Self::Ints(v) => *v = heads.iter().map(|&i| v[i]).collect(),
            Self::Text {
                text,
                ends,
                hashes,
                hex,
            } => {
                keep_texts(text, ends, heads);
                if !hashes.is_empty() {
                    *hashes = heads.iter().map(|&i| hashes[i]).collect();
                }
                if let Some(h) = hex {
                    h.keys = heads.iter().map(|&i| h.keys[i]).collect();
                }
            }
            // A dropped row is a further line of a kept row's order, of the same id: every
            // distinct id stays in use.
            Self::Dict(d) => d.keys = heads.iter().map(|&i| d.keys[i]).collect(),
        }
    }

    /// The id of row `i` as the per-row path reads it, in `buf` when it has to be written.
    pub(crate) fn id_at<'a>(&'a self, i: usize, buf: &'a mut String) -> &'a str {
        match self {
            Self::Numbered(n) => write_padded(buf, &n.prefix, n.width, n.numbers[i]),
            Self::Ints(v) => {
                let mut b = [0u8; 20];
                buf.clear();
                buf.push_str(std::str::from_utf8(int_text(v[i], &mut b)).unwrap_or_default());
                buf
            }
            Self::Text { text, ends, .. } => text_at(text, ends, i),
            Self::Dict(d) => d.value(d.keys[i] as usize),
        }
    }
}

impl OrderRun {
    /// The id of entry `i` as the per-row path reads it, in `buf`.
    pub(crate) fn id_at<'a>(&self, i: usize, buf: &'a mut String) -> &'a str {
        if self.same_width {
            return write_padded(buf, &self.prefix, self.width, self.numbers[i]);
        }
        buf.clear();
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        buf.push_str(
            self.text
                .get(start..self.ends[i] as usize)
                .unwrap_or_default(),
        );
        buf
    }
}

impl PlainBatch {
    /// Folds runs of one order id on consecutive rows (an order's lines next to each other)
    /// into one order each, as the per-row path merges them: the lines must have the first
    /// line's customer (and, under [`Join::SameTime`], its time: otherwise the per-row path
    /// rejects a line, and the batch is not plain); the order keeps the first line's time,
    /// status, kind and subscription, and sums the amounts (at the scale of the most decimals
    /// of any line, as row by row). `None` when a run cannot be folded so, or the batch has
    /// repeats while the policy does not sum lines.
    pub(crate) fn fold_lines(mut self) -> Option<Self> {
        let Some(run) = &self.orders else {
            return Some(self);
        };
        let n = &run.numbers;
        if !n.windows(2).any(|w| w[0] == w[1]) {
            return Some(self);
        }
        // Equal numbers are equal ids only at one width (else they are not plain anyway).
        if self.join == Join::No || !run.same_width {
            return None;
        }
        let mut heads: Vec<usize> = Vec::with_capacity(self.rows);
        let mut sums: Vec<i64> = Vec::with_capacity(self.rows);
        for i in 0..self.rows {
            if i > 0 && n[i] == n[i - 1] {
                let h = *heads.last()?;
                let same_time = self.join != Join::SameTime || self.secs[i] == self.secs[h];
                if !same_time || !self.customers.same_at(h, i) {
                    return None;
                }
                let s = sums.last_mut()?;
                *s = s.checked_add(self.units[i])?;
            } else {
                heads.push(i);
                sums.push(self.units[i]);
            }
        }
        self.secs = heads.iter().map(|&i| self.secs[i]).collect();
        self.days = heads.iter().map(|&i| self.days[i]).collect();
        self.flags = heads.iter().map(|&i| self.flags[i]).collect();
        self.customers.keep(&heads);
        if let Some((text, ends)) = &mut self.subscriptions {
            keep_texts(text, ends, &heads);
        }
        let mut run = self.orders.take()?;
        run.numbers = pick_u64(&run.numbers, &heads);
        run.rising = run.numbers.windows(2).all(|w| w[0] < w[1]);
        self.orders = Some(run);
        self.max_day = self.days.iter().copied().max()?;
        self.max_units = sums.iter().copied().max()?;
        self.units = sums;
        self.cancelled = self.flags.iter().filter(|&&f| f & CANCELLED != 0).count() as u64;
        self.rows = heads.len();
        Some(self)
    }
}

fn pick_u64(v: &[u64], heads: &[usize]) -> Vec<u64> {
    heads.iter().map(|&i| v[i]).collect()
}

/// A cancelled order.
pub(crate) const CANCELLED: u8 = 1;
/// A subscription order (kind subscription, or a subscription id).
pub(crate) const SUBSCRIPTION: u8 = 2;
/// An order of kind subscription (its kind says so, or it is blank and the row has a
/// subscription id): what the grouped log keeps as the order's kind.
pub(crate) const KIND_SUBSCRIPTION: u8 = 4;

/// Byte-wise equality without a `memcmp` call: the slices compared here are a few bytes (an id
/// prefix, a status word), where the call costs more than the comparison.
#[inline]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The number written by `d` when every byte is an ASCII digit (at most 19 of them), eight
/// digits at a time in one 64-bit word (the SWAR method of simdjson's
/// `parse_eight_digits_unrolled`), so a typical id costs a few instructions.
#[inline]
pub(crate) fn digits_value(d: &[u8]) -> Option<u64> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const SIX: u64 = 0x0606_0606_0606_0606;
    let mut ok = !d.is_empty() && d.len() <= 19;
    let mut n = 0u64;
    let mut chunks = d.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w);
        // Each byte 0x30..=0x39: high nibble 3, and still 3 after adding 6 (a carry out of a
        // byte only comes from a byte that already failed).
        ok &= (x & HIGH) == ZEROS && (x.wrapping_add(SIX) & HIGH) == ZEROS;
        let v = x.wrapping_sub(ZEROS);
        let v = v.wrapping_mul(10).wrapping_add(v >> 8);
        let v = ((v & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32))
            + ((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32)))
            >> 32;
        n = n.wrapping_mul(100_000_000).wrapping_add(v);
    }
    for &c in chunks.remainder() {
        ok &= c.is_ascii_digit();
        n = n
            .wrapping_mul(10)
            .wrapping_add(u64::from(c.wrapping_sub(b'0')));
    }
    ok.then_some(n)
}

/// Splits `s` into a prefix and its trailing digits (1 to 18 of them), as a number.
#[inline]
pub(crate) fn trailing_number(s: &[u8]) -> Option<(usize, u64)> {
    let digits = s.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 18 {
        return None;
    }
    let p = s.len() - digits;
    let n = s[p..]
        .iter()
        .fold(0u64, |a, &c| a * 10 + u64::from(c - b'0'));
    Some((p, n))
}

/// The prefix of an id that ends in digits, when trimming leaves the id as it is (the per-row
/// path trims ids): the digits end it, so only the prefix's start matters.
fn numbered_prefix(p: &[u8]) -> Option<Box<[u8]>> {
    let text = std::str::from_utf8(p).ok()?;
    (!text.starts_with(char::is_whitespace)).then(|| p.into())
}

impl NumberedIds {
    /// Reads ids that all share the first one's width and prefix; `None` as soon as one does
    /// not, or when an id would change under trimming (surrounding white space).
    pub(crate) fn read<'a>(rows: usize, mut ids: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let first = ids.next()?;
        let (p, n0) = trailing_number(first)?;
        let prefix = numbered_prefix(&first[..p])?;
        let width = first.len();
        let mut numbers = Vec::with_capacity(rows);
        numbers.push(n0);
        let mut ok = true;
        let mut max = n0;
        for s in ids {
            // No early exit inside: the loop stays branch-light; one flag at the end.
            ok &= s.len() == width && same(&s[..p], &prefix);
            let n = digits_value(s.get(p..).unwrap_or_default());
            ok &= n.is_some();
            let n = n.unwrap_or(0);
            max = max.max(n);
            numbers.push(n);
        }
        (ok && numbers.len() == rows).then_some(Self {
            prefix,
            width,
            numbers,
            max,
        })
    }
}

impl OrderRun {
    /// Checks order ids of one prefix whose numbers rise strictly: the prefix and the first and
    /// last numbers, or `None` when they do not rise, or an id would change under trimming, or
    /// one starts with `cancel_prefix` (a refund). The caller fills in the text.
    pub(crate) fn check<'a>(
        ids: impl Iterator<Item = &'a [u8]>,
        cancel_prefix: Option<&str>,
    ) -> Option<Self> {
        let cancel = cancel_prefix.filter(|c| !c.is_empty()).map(str::as_bytes);
        let mut ids = ids;
        let s = ids.next()?;
        let (p, first) = trailing_number(s)?;
        let prefix = numbered_prefix(&s[..p])?;
        let starts = |s: &[u8], c: &[u8]| s.len() >= c.len() && same(&s[..c.len()], c);
        let mut ok = !cancel.is_some_and(|c| starts(s, c));
        let width = s.len();
        let mut same_width = true;
        let mut numbers = vec![first];
        let mut last = first;
        let mut rising = true;
        for s in ids {
            // Ids of the first one's width: the digits sit where its digits sat.
            let (q, n) = match (s.len() == width).then(|| digits_value(&s[p..])).flatten() {
                Some(n) => (p, n),
                None => trailing_number(s)?,
            };
            ok &= q == p && same(&s[..q], &prefix);
            rising &= n > last;
            ok &= !cancel.is_some_and(|c| starts(s, c));
            same_width &= s.len() == width;
            numbers.push(n);
            last = n;
        }
        (ok && (rising || same_width)).then(|| Self {
            prefix,
            first,
            last,
            width,
            same_width,
            rising,
            numbers,
            text: String::new(),
            ends: Vec::new(),
        })
    }
}

impl OrderRun {
    /// Integer order ids, non-negative and below 10^18, rising strictly or all of one number
    /// of digits (the per-row path reads them as their decimal text; none starts with
    /// `cancel_prefix`).
    pub(crate) fn ints(values: &[i64], cancel_prefix: Option<&str>) -> Option<Self> {
        let (&first, &last) = (values.first()?, values.last()?);
        let mut rising = true;
        let mut prev = first - 1;
        let (mut lo, mut hi) = (first, first);
        for &v in values {
            rising &= v > prev;
            prev = v;
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if lo < 0 || hi >= 1_000_000_000_000_000_000 {
            return None;
        }
        let mut buf = [0u8; 20];
        if let Some(c) = cancel_prefix.filter(|c| !c.is_empty()) {
            let c = c.as_bytes();
            if values.iter().any(|&v| int_text(v, &mut buf).starts_with(c)) {
                return None;
            }
        }
        let width = int_text(first, &mut buf).len();
        let same_width = if rising {
            int_text(last, &mut buf).len() == width
        } else {
            int_text(lo, &mut buf).len() == width && int_text(hi, &mut buf).len() == width
        };
        if !rising && !same_width {
            return None;
        }
        let (mut text, mut ends) = (String::new(), Vec::new());
        if !same_width {
            for &v in values {
                text.push_str(std::str::from_utf8(int_text(v, &mut buf)).ok()?);
                ends.push(u32::try_from(text.len()).ok()?);
            }
        }
        Some(Self {
            prefix: Box::default(),
            first: first.unsigned_abs(),
            last: last.unsigned_abs(),
            width,
            same_width,
            rising,
            numbers: values.iter().map(|&v| v.unsigned_abs()).collect(),
            text,
            ends,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Customers::dict` on one thread, batch after batch (dictionaries of other lengths, one
    /// that fails half way, keys out of range), answers as a fresh computation would: the
    /// distinct values in the order of their first row, each row by its value.
    #[test]
    fn dict_batches_in_a_row_each_answer_alone() {
        let dict = |n: usize| -> Vec<String> { (0..n).map(|i| format!("id-{i:x}-x")).collect() };
        let expected = |keys: &[usize], values: &[String]| -> Option<(Vec<String>, Vec<u32>)> {
            let mut distinct: Vec<usize> = Vec::new();
            let mut rows = Vec::new();
            for &k in keys {
                let v = values.get(k)?;
                if v.trim().is_empty() {
                    return None;
                }
                let at = distinct.iter().position(|&d| d == k).unwrap_or_else(|| {
                    distinct.push(k);
                    distinct.len() - 1
                });
                rows.push(at as u32);
            }
            Some((distinct.iter().map(|&k| values[k].clone()).collect(), rows))
        };
        let mut blank = dict(6);
        blank[4] = " ".to_owned();
        let batches: Vec<(Vec<usize>, Vec<String>)> = vec![
            (vec![9, 3, 9, 0, 7, 3], dict(10)),
            (vec![1, 2, 1, 4, 0], blank),
            (vec![2, 0, 2, 1], dict(3)),
            (vec![0, 5, 3], dict(4)),
            (vec![9, 3, 9, 0, 7, 3], dict(10)),
            (vec![8, 1, 8], dict(12)),
        ];
        for (keys, values) in &batches {
            let got = Customers::dict(
                keys,
                values.len(),
                |k| values.get(k).map(String::as_str),
                None,
            );
            let want = expected(keys, values);
            match (got, want) {
                (Some(Customers::Dict(d)), Some((distinct, rows))) => {
                    let texts: Vec<String> =
                        (0..d.ends.len()).map(|i| d.value(i).to_owned()).collect();
                    assert_eq!((texts, d.keys.clone()), (distinct, rows), "{keys:?}");
                }
                (None, None) => {}
                (got, want) => panic!("{keys:?}: {got:?} against {want:?}"),
            }
        }
    }

    #[test]
    fn digits_value_reads_like_parse() {
        for t in [
            "0",
            "7",
            "12345678",
            "123456789",
            "00012345",
            "9999999999999999999",
            "1234567812345678",
            "",
            "12a45678",
            "1234567/",
            "12345678:",
            " 1",
            "99999999999999999999",
        ] {
            let want = (!t.is_empty() && t.len() <= 19 && t.bytes().all(|c| c.is_ascii_digit()))
                .then(|| t.parse::<u64>().ok())
                .flatten();
            assert_eq!(digits_value(t.as_bytes()), want, "{t:?}");
        }
        // Every byte value in every position of an 8-digit word.
        for pos in 0..8 {
            for b in 0..=255u8 {
                let mut t = *b"12345678";
                t[pos] = b;
                let want = std::str::from_utf8(&t)
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok());
                let want = want.filter(|_| b.is_ascii_digit());
                assert_eq!(digits_value(&t), want, "{t:?}");
            }
        }
    }

    #[test]
    fn int_of_text_reads_only_display_text() {
        let mut buf = [0u8; 20];
        for v in [0, 7, -7, 10, 12_345, i64::MAX, i64::MIN, -1_000_000] {
            let t = std::str::from_utf8(int_text(v, &mut buf))
                .unwrap()
                .to_owned();
            assert_eq!(int_of_text(&t), Some(v));
        }
        for t in [
            "",
            "-",
            "-0",
            "007",
            "+7",
            " 7",
            "7 ",
            "9223372036854775808",
            "1e3",
            "0x1",
        ] {
            assert_eq!(int_of_text(t), None, "{t:?}");
        }
    }

    #[test]
    fn int_text_writes_like_display() {
        let mut buf = [0u8; 20];
        for v in [0, 7, -7, 10, 12_345, i64::MAX, i64::MIN, -1_000_000] {
            assert_eq!(int_text(v, &mut buf), v.to_string().as_bytes());
        }
    }

    #[test]
    fn int_order_runs() {
        let r = OrderRun::ints(&[9, 10, 200], None).unwrap();
        assert!(!r.same_width && r.numbers == [9, 10, 200] && r.text == "910200");
        assert_eq!(r.ends, [1, 3, 6]);
        let r = OrderRun::ints(&[100, 101, 105], None).unwrap();
        assert!(r.same_width && r.width == 3 && r.prefix.is_empty());
        // A repeat or a fall in one width: not rising (the sink checks for repeats).
        for any in [&[5, 5][..], &[6, 5]] {
            assert!(!OrderRun::ints(any, None).unwrap().rising);
        }
        for bad in [&[-1, 2][..], &[10, 9]] {
            assert!(OrderRun::ints(bad, None).is_none());
        }
        assert!(OrderRun::ints(&[100, 205], Some("2")).is_none());
        assert!(OrderRun::ints(&[100, 305], Some("2")).is_some());
    }

    #[test]
    fn numbered_ids() {
        let ids = ["C-0012", "C-0003", "C-0100"];
        let r = NumberedIds::read(3, ids.iter().map(|s| s.as_bytes())).unwrap();
        assert_eq!(r.numbers, vec![12, 3, 100]);
        assert_eq!((&*r.prefix, r.width, r.max), (&b"C-"[..], 6, 100));
        // Another width, another prefix, a non-digit, white space: not plain.
        for bad in [
            ["C-0012", "C-003"],
            ["C-0012", "D-0003"],
            ["C-0012", "C-00x3"],
            [" C0012", " C0003"],
        ] {
            assert!(NumberedIds::read(2, bad.iter().map(|s| s.as_bytes())).is_none());
        }
        assert!(NumberedIds::read(0, std::iter::empty()).is_none());
    }

    #[test]
    fn order_runs() {
        let ids = ["O0009", "O0010", "O0200"];
        let r = OrderRun::check(ids.iter().map(|s| s.as_bytes()), None).unwrap();
        assert_eq!((r.first, r.last, &*r.prefix), (9, 200, &b"O"[..]));
        assert!(r.same_width && r.numbers == [9, 10, 200]);
        let r = OrderRun::check(["O9", "O10"].iter().map(|s| s.as_bytes()), None).unwrap();
        assert!(!r.same_width && r.numbers == [9, 10]);
        // A repeat (a line item), a fall: not rising; another prefix, another width out of
        // order, a refund marker: not plain.
        for any in [["O0009", "O0009"], ["O0010", "O0009"]] {
            let r = OrderRun::check(any.iter().map(|s| s.as_bytes()), None).unwrap();
            assert!(!r.rising && r.same_width);
        }
        for bad in [["O0009", "P0010"], ["O10", "O9"]] {
            assert!(OrderRun::check(bad.iter().map(|s| s.as_bytes()), None).is_none());
        }
        let c = ["O0009", "CO0010"];
        assert!(OrderRun::check(c.iter().map(|s| s.as_bytes()), Some("C")).is_none());
        assert!(OrderRun::check(c.iter().map(|s| s.as_bytes()), Some("X")).is_none());
        assert!(OrderRun::check(ids.iter().map(|s| s.as_bytes()), Some("C")).is_some());
        assert!(OrderRun::check(std::iter::empty(), None).is_none());
    }
}

#[cfg(test)]
mod padded_tests {
    use proptest::prelude::*;

    proptest! {
        /// `write_padded` writes what `format!` does, for every width (shorter than the
        /// number's digits too) and the extremes of `u64`.
        #[test]
        fn write_padded_equals_format(
            prefix in "[A-Z-]{0,3}",
            n in prop_oneof![any::<u64>(), 0u64..1000, Just(u64::MAX), Just(0u64)],
            width in 0usize..25,
        ) {
            let digits = width.saturating_sub(prefix.len());
            let mut buf = String::new();
            prop_assert_eq!(
                super::write_padded(&mut buf, prefix.as_bytes(), width, n),
                format!("{prefix}{n:0digits$}")
            );
        }

        /// `int_text` writes what `{v}` does, `i64::MIN` and `i64::MAX` included.
        #[test]
        fn int_text_equals_format(
            v in prop_oneof![any::<i64>(), -1000i64..1000, Just(i64::MIN), Just(i64::MAX)],
        ) {
            let mut b = [0u8; 20];
            let want = v.to_string();
            prop_assert_eq!(super::int_text(v, &mut b), want.as_bytes());
        }
    }
}
