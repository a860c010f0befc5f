//! The per-customer output table written straight from typed columns (feature `parquet`).
//!
//! [`crate::table::summary_table`] builds a [`crate::table::Table`] of one `String` per text or
//! money cell, which the Parquet and CSV writers then walk: for millions of customers that is
//! tens of millions of small allocations, more time than the summary itself. The functions
//! here build the same Arrow record batch from the summary, RFM scores and CPM classes
//! directly (money and ids written into the Arrow buffers, segment and class names looked up,
//! not formatted per row), and write the same CSV text from it. Tests check both against the
//! [`Table`](crate::table::Table) route, byte for byte.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use std::ops::Range;

use arrow_array::builder::{
    ArrayBuilder, Date32Builder, Int64Builder, LargeStringBuilder, StringBuilder, StringViewBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowDictionaryKeyType, Date32Type, Float64Type, Int64Type, UInt16Type, UInt32Type,
};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, DictionaryArray, Int64Array, LargeStringArray,
    PrimitiveArray, RecordBatch, StringArray, StringViewArray, UInt16Array,
};
use arrow_buffer::{BooleanBuffer, NullBuffer};
use arrow_schema::{DataType, Field, Schema};

use super::parquet::malformed;
use crate::cpm::{CpmClass, CpmOptions, CpmResult};
use crate::rfm::RfmScores;
use crate::summary::{CustomerSummaries, SubscriptionState};
use crate::{Error, Result};

/// A date column (days since the epoch) of output.
pub(crate) fn date_array(v: &[Option<i32>]) -> ArrayRef {
    let mut b = Date32Builder::with_capacity(v.len());
    b.extend(v.iter().copied());
    Arc::new(b.finish())
}

/// An integer column of `n` output rows.
pub(crate) fn int_array(n: usize, v: &mut dyn Iterator<Item = Option<i64>>) -> ArrayRef {
    let mut b = Int64Builder::with_capacity(n);
    b.extend(v);
    Arc::new(b.finish())
}

/// The record batch [`crate::table::summary_table`] and [`super::table_to_record_batch`]
/// give, built without the intermediate table.
///
/// # Errors
/// `malformed_input` when a money total cannot be written (not reachable from a summary).
pub fn summary_record_batch(
    s: &CustomerSummaries,
    rfm: Option<&RfmScores>,
    cpm: Option<(&CpmResult, &CpmOptions)>,
) -> Result<RecordBatch> {
    summary_record_batch_with(s, rfm, cpm, TextLayout::Utf8)
}

/// How the text columns of a per-customer record batch are laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TextLayout {
    /// Arrow `Utf8`: offsets and the texts end to end (what Parquet and pyarrow's `string` hold).
    #[default]
    Utf8,
    /// Arrow string views (`Utf8View`), the layout Polars (and `DataFusion`) keep text in: a
    /// 16-byte view per value, a value of up to 12 bytes inside its view. The money columns
    /// are each distinct amount formatted once and a view per customer copied from it, the
    /// labels a view per customer copied from the few labels' views: no text per customer is
    /// formatted or copied but the ids (and those of more than 12 bytes only).
    Views,
    /// Arrow `LargeUtf8` (64-bit offsets): what pandas' Arrow-backed strings hold (pandas 3's
    /// default `str` dtype), which pandas otherwise converts each text column to.
    LargeUtf8,
}

/// [`summary_record_batch`] with its text columns laid out as `text` says: the same values.
///
/// # Errors
/// As [`summary_record_batch`].
pub fn summary_record_batch_with(
    s: &CustomerSummaries,
    rfm: Option<&RfmScores>,
    cpm: Option<(&CpmResult, &CpmOptions)>,
    text: TextLayout,
) -> Result<RecordBatch> {
    let out = SummaryColumns::new(s, rfm, cpm)?;
    let all: Vec<usize> = (0..out.names.len()).collect();
    let (left, right) = out.halves(&all);
    let rows = 0..s.len();
    let build = |cols: &[usize]| {
        cols.iter()
            .map(|&k| out.laid_out(k, rows.clone(), text))
            .collect::<Result<Vec<_>>>()
    };
    let (a, b) = crate::par::join(&|| build(&left), || build(&right));
    let mut arrays: Vec<Option<ArrayRef>> = vec![None; all.len()];
    for (&k, c) in left.iter().zip(a?).chain(right.iter().zip(b?)) {
        arrays[k] = Some(c);
    }
    out.batch(arrays.into_iter().flatten().collect())
}

/// The per-customer output table, column by column over any range of customers: what
/// [`summary_record_batch`] builds whole and [`write_summary_parquet`] builds one row group at
/// a time (on two threads, each encoding the columns it built).
pub(crate) struct SummaryColumns<'a> {
    s: &'a CustomerSummaries,
    rfm: Option<&'a RfmScores>,
    /// CPM classes, and the id and display name of each of [`CpmClass::all`].
    cpm: Option<(&'a CpmResult, Vec<ClassNames>)>,
    names: Vec<&'static str>,
}

/// A CPM class, its id and its display name.
type ClassNames = (CpmClass, String, String);

/// The summary table's columns, in order; then RFM's and CPM's when present.
const BASE_COLUMNS: [&str; 16] = [
    "customer_id",
    "first_order",
    "last_order",
    "orders",
    "purchase_days",
    "subscription_orders",
    "cancelled_orders",
    "recency_days",
    "tenure_days",
    "age_days",
    "gross",
    "refunds",
    "net",
    "average_order_value",
    "subscription",
    "dormant",
];
const RFM_COLUMNS: [&str; 4] = ["r", "f", "m", "rfm_segment"];
const CPM_COLUMNS: [&str; 2] = ["cpm_class", "cpm_name"];

impl<'a> SummaryColumns<'a> {
    /// The table of `s` (with RFM and CPM columns when given).
    ///
    /// # Errors
    /// `malformed_input` when a column of `s`, `rfm` or `cpm` does not hold one value per
    /// customer (the fields are public: a summary built by hand can be inconsistent).
    pub(crate) fn new(
        s: &'a CustomerSummaries,
        rfm: Option<&'a RfmScores>,
        cpm: Option<(&'a CpmResult, &CpmOptions)>,
    ) -> Result<Self> {
        let n = s.len();
        let lens = [
            s.customer_id.len(),
            s.first_order_day.len(),
            s.last_order_day.len(),
            s.purchase_days.len(),
            s.subscription_orders.len(),
            s.cancelled_orders.len(),
            s.recency_days.len(),
            s.tenure_days.len(),
            s.age_days.len(),
            s.gross_units.len(),
            s.refund_units.len(),
            s.net_units.len(),
            s.subscription.len(),
            s.dormant.len(),
        ];
        let rfm_lens = rfm.map_or([n; 4], |f| {
            [f.r.len(), f.f.len(), f.m.len(), f.segment.len()]
        });
        let cpm_len = cpm.map_or(n, |(c, _)| c.class.len());
        if lens
            .iter()
            .chain(&rfm_lens)
            .chain([&cpm_len])
            .any(|&l| l != n)
        {
            return Err(malformed(format!(
                "a summary column does not hold one value per customer ({n} customers): \
                 build the summary with kokyaku::summary::summarize"
            )));
        }
        let mut names = BASE_COLUMNS.to_vec();
        if rfm.is_some() {
            names.extend(RFM_COLUMNS);
        }
        if cpm.is_some() {
            names.extend(CPM_COLUMNS);
        }
        let cpm = cpm.map(|(c, o)| {
            let classes = CpmClass::all()
                .into_iter()
                .map(|k| (k, k.id(), o.display(k)))
                .collect();
            (c, classes)
        });
        Ok(Self { s, rfm, cpm, names })
    }

    /// The columns split in two of about equal work (text columns cost about three times
    /// the others), each in column order.
    pub(crate) fn halves(&self, cols: &[usize]) -> (Vec<usize>, Vec<usize>) {
        split_by_weight(cols, |k| self.weight(k))
    }

    /// The work of column `k` relative to a column of numbers (text costs about three times).
    fn weight(&self, k: usize) -> usize {
        match self.names[k] {
            "orders"
            | "purchase_days"
            | "subscription_orders"
            | "cancelled_orders"
            | "recency_days"
            | "tenure_days"
            | "age_days"
            | "first_order"
            | "last_order"
            | "dormant"
            | "r"
            | "f"
            | "m" => 1,
            _ => 3,
        }
    }

    /// The record batch of `arrays` (one per column, in order).
    fn batch(&self, arrays: Vec<ArrayRef>) -> Result<RecordBatch> {
        let fields: Vec<Field> = self
            .names
            .iter()
            .zip(&arrays)
            .map(|(name, a)| Field::new(*name, a.data_type().clone(), true))
            .collect();
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(malformed)
    }

    /// Columns `cols` over customers `rows`.
    pub(crate) fn build(&self, cols: &[usize], rows: Range<usize>) -> Result<Vec<ArrayRef>> {
        cols.iter()
            .map(|&k| self.laid_out(k, rows.clone(), TextLayout::Utf8))
            .collect()
    }

    /// Column `k` over customers `rows` for the Parquet writer: the label columns
    /// (subscription state, RFM segment, CPM class and name) as Arrow dictionaries of their
    /// few texts, a key per customer; the money columns as dictionaries of their distinct
    /// amounts where they fit ([`amount_dictionary`] with u16 keys, the page writer's limit);
    /// the others as [`Self::column`] builds them. The
    /// writer reads a label's text through its key, so the file is the same, byte for byte,
    /// as from the text column (tests), without copying a text per customer into a column
    /// first (a third of the time spent building the write's columns).
    fn parquet_column(&self, k: usize, rows: Range<usize>) -> Result<ArrayRef> {
        let keyed = |keys: Vec<Option<u16>>, values: Vec<&str>| -> Result<ArrayRef> {
            let values: ArrayRef = Arc::new(StringArray::from(values));
            let keys = UInt16Array::from(keys);
            Ok(Arc::new(
                DictionaryArray::try_new(keys, values).map_err(malformed)?,
            ))
        };
        Ok(match self.names[k] {
            "subscription" => {
                let states = [
                    SubscriptionState::None,
                    SubscriptionState::Active,
                    SubscriptionState::Paused,
                    SubscriptionState::Cancelled,
                ];
                let key = |x: SubscriptionState| states.iter().position(|&s| s == x);
                let keys = self.s.subscription[rows]
                    .iter()
                    .map(|&x| key(x).map(|i| i as u16))
                    .collect();
                keyed(keys, states.iter().map(|s| s.as_str()).collect())?
            }
            "rfm_segment" => {
                let Some(f) = self.rfm else {
                    return Err(malformed("an RFM column without RFM scores"));
                };
                let n = f.segment_names.len();
                let keys = f.segment[rows]
                    .iter()
                    .map(|x| x.filter(|&i| usize::from(i) < n))
                    .collect();
                keyed(keys, f.segment_names.iter().map(String::as_str).collect())?
            }
            name @ ("cpm_class" | "cpm_name") => {
                let Some((c, classes)) = &self.cpm else {
                    return Err(malformed("a CPM column without CPM classes"));
                };
                // `classes` is `CpmClass::all()` in order: class `k` at `k.index()`.
                let keys = c.class[rows]
                    .iter()
                    .map(|x| {
                        x.and_then(|k| {
                            let i = k.index();
                            classes.get(i).filter(|(c, _, _)| *c == k).map(|_| i as u16)
                        })
                    })
                    .collect();
                let texts = classes
                    .iter()
                    .map(|(_, id, disp)| if name == "cpm_name" { disp } else { id })
                    .map(String::as_str)
                    .collect();
                keyed(keys, texts)?
            }
            "gross" | "refunds" | "net" | "average_order_value" => {
                match self.money_keyed::<UInt16Type>(k, rows.clone())? {
                    Some(a) => Arc::new(a),
                    None => self.column(k, rows)?,
                }
            }
            _ => self.column(k, rows)?,
        })
    }

    /// Money column `k` (gross, refunds, net or average order value) over customers `rows` as
    /// a dictionary of its distinct amounts' texts ([`amount_dictionary`]); `None` where that
    /// does not fit `K` (or for another column).
    fn money_keyed<K: ArrowDictionaryKeyType>(
        &self,
        k: usize,
        rows: Range<usize>,
    ) -> Result<Option<DictionaryArray<K>>>
    where
        K::Native: TryFrom<usize>,
    {
        let s = self.s;
        let n = rows.len();
        let v = match self.names[k] {
            "gross" => &s.gross_units,
            "refunds" => &s.refund_units,
            "net" => &s.net_units,
            "average_order_value" => {
                // Every average is at one scale: the money's, at least cents.
                let scale = s.money_scale.max(2);
                let units = rows.map(|i| {
                    crate::summary::average_units(s.net_units[i], s.money_scale, s.orders[i])
                        .map(|(q, _)| q)
                });
                return amount_dictionary::<K>(units, n, scale);
            }
            _ => return Ok(None),
        };
        amount_dictionary::<K>(v[rows].iter().map(|&u| Some(u)), n, s.money_scale)
    }

    /// The ids of customers `rows` (each checked to lie in the id text) and their bytes in
    /// all.
    ///
    /// # Errors
    /// `malformed_input` when the id column holds fewer ids than customers (a summary built by
    /// hand), or an id's place lies off its text.
    fn ids(
        &self,
        rows: Range<usize>,
    ) -> Result<(usize, impl Iterator<Item = Result<&'a str>> + 'a)> {
        let (text, ends) = self.s.customer_id.raw();
        // No offsets at all: an empty column (`StrColumn::default`).
        let window = ends.get(rows.start..=rows.end);
        if window.is_none() && !rows.is_empty() {
            return Err(malformed("fewer customer ids than customers"));
        }
        let window = window.unwrap_or_default();
        let bytes = match (window.first(), window.last()) {
            (Some(&a), Some(&b)) => b.saturating_sub(a) as usize,
            _ => 0,
        };
        let each = window.windows(2).map(move |w| {
            text.get(w[0] as usize..w[1] as usize)
                .ok_or_else(|| malformed("a customer id off its text"))
        });
        Ok((bytes, each))
    }

    /// Column `k` over customers `rows` with its text laid out as `text` says. Money and
    /// labels are keyed first (each distinct amount formatted once, [`amount_dictionary`]; the
    /// labels' few texts) and each customer's text gathered by its key (arrow-select's `take`:
    /// a copy of a view, or of a few bytes, per customer, not a number formatted per customer).
    /// As views, ids go through arrow-rs' view builder (a value of up to 12 bytes inside its
    /// view, longer ones copied once into its blocks). Other columns as [`Self::column`].
    fn laid_out(&self, k: usize, rows: Range<usize>, text: TextLayout) -> Result<ArrayRef> {
        let keyed: ArrayRef = match self.names[k] {
            "customer_id" if text != TextLayout::Utf8 => {
                let (bytes, each) = self.ids(rows.clone())?;
                if text == TextLayout::Views {
                    let mut b = StringViewBuilder::with_capacity(rows.len());
                    for id in each {
                        b.try_append_value(id?).map_err(malformed)?;
                    }
                    return Ok(Arc::new(b.finish()));
                }
                let mut b = LargeStringBuilder::with_capacity(rows.len(), bytes);
                for id in each {
                    b.append_value(id?);
                }
                return Ok(Arc::new(b.finish()));
            }
            "gross" | "refunds" | "net" | "average_order_value" => {
                match self.money_keyed::<UInt32Type>(k, rows.clone())? {
                    Some(a) => Arc::new(a),
                    None => self.column(k, rows)?,
                }
            }
            _ => self.parquet_column(k, rows)?,
        };
        lay_out(&keyed, text)
    }

    /// Column `k` over customers `rows`.
    #[allow(clippy::too_many_lines)] // one arm per column, each a line or two
    fn column(&self, k: usize, rows: Range<usize>) -> Result<ArrayRef> {
        let s = self.s;
        let r = rows.clone();
        let counts = |v: &[u32]| -> ArrayRef {
            Arc::new(Int64Array::from_iter_values(
                v[r.clone()].iter().map(|&x| i64::from(x)),
            ))
        };
        let days = |v: &[Option<u32>]| -> ArrayRef {
            let v = &v[r.clone()];
            let values: Vec<i64> = v.iter().map(|x| x.map_or(0, i64::from)).collect();
            Arc::new(Int64Array::new(
                values.into(),
                nulls(v.iter().map(Option::is_some)),
            ))
        };
        let dates = |v: &[Option<i32>]| -> ArrayRef {
            let v = &v[r.clone()];
            let values: Vec<i32> = v.iter().map(|x| x.unwrap_or(0)).collect();
            Arc::new(Date32Array::new(
                values.into(),
                nulls(v.iter().map(Option::is_some)),
            ))
        };
        let money = |v: &[i128]| -> Result<ArrayRef> {
            let mut t = TextColumn::with_capacity(r.len(), 8);
            for &u in &v[r.clone()] {
                push_units(&mut t, u, s.money_scale)?;
                t.end_value();
            }
            t.finish()
        };
        Ok(match self.names[k] {
            "customer_id" => {
                let (bytes, each) = self.ids(r.clone())?;
                let mut t = TextColumn::with_bytes(r.len(), bytes);
                for id in each {
                    t.push_str(id?);
                    t.end_value();
                }
                t.finish()?
            }
            "first_order" => dates(&s.first_order_day),
            "last_order" => dates(&s.last_order_day),
            "orders" => counts(&s.orders),
            "purchase_days" => counts(&s.purchase_days),
            "subscription_orders" => counts(&s.subscription_orders),
            "cancelled_orders" => counts(&s.cancelled_orders),
            "recency_days" => days(&s.recency_days),
            "tenure_days" => days(&s.tenure_days),
            "age_days" => days(&s.age_days),
            "gross" => money(&s.gross_units)?,
            "refunds" => money(&s.refund_units)?,
            "net" => money(&s.net_units)?,
            "average_order_value" => {
                let mut t = TextColumn::with_capacity(r.len(), 8);
                for i in r {
                    match crate::summary::average_units(s.net_units[i], s.money_scale, s.orders[i])
                    {
                        Some((q, scale)) => {
                            push_units(&mut t, q, scale)?;
                            t.end_value();
                        }
                        None => t.end_null(),
                    }
                }
                t.finish()?
            }
            "subscription" => {
                let mut t = TextColumn::with_capacity(r.len(), 6);
                for x in &s.subscription[r] {
                    t.push_str(x.as_str());
                    t.end_value();
                }
                t.finish()?
            }
            "dormant" => Arc::new(BooleanArray::from(s.dormant[r].to_vec())),
            "r" | "f" | "m" => {
                let Some(f) = self.rfm else {
                    return Err(malformed("an RFM column without RFM scores"));
                };
                let v = match self.names[k] {
                    "r" => &f.r[r],
                    "f" => &f.f[r],
                    _ => &f.m[r],
                };
                let values: Vec<i64> = v.iter().map(|&x| i64::from(x)).collect();
                Arc::new(Int64Array::new(
                    values.into(),
                    nulls(v.iter().map(|&x| x > 0)),
                ))
            }
            "rfm_segment" => {
                let Some(f) = self.rfm else {
                    return Err(malformed("an RFM column without RFM scores"));
                };
                let mut t = TextColumn::with_capacity(r.len(), 12);
                for i in r {
                    match f.segment_name(i) {
                        Some(name) => {
                            t.push_str(name);
                            t.end_value();
                        }
                        None => t.end_null(),
                    }
                }
                t.finish()?
            }
            name => {
                let Some((c, classes)) = &self.cpm else {
                    return Err(malformed("a CPM column without CPM classes"));
                };
                let display = name == "cpm_name";
                let mut t = TextColumn::with_capacity(r.len(), 16);
                for x in &c.class[r] {
                    // `classes` is `CpmClass::all()` in order: class `k` at `k.index()`.
                    let found = x.and_then(|k| classes.get(k.index()).filter(|(c, _, _)| *c == k));
                    match found {
                        Some((_, id, disp)) => {
                            let text = if display { disp } else { id };
                            t.push_str(text);
                            t.end_value();
                        }
                        None => t.end_null(),
                    }
                }
                t.finish()?
            }
        })
    }
}

/// `units` (one per row of `n`, `None` a null) at `scale` as a dictionary of their texts with
/// keys of type `K`: each distinct amount formatted once, each row keyed by its units (a table
/// indexed by the amount when they span less than [`super::parquet_pages::MAX_RANGE`], else a
/// hash map of integers). `None` when an amount is beyond `i64`, when the distinct amounts
/// outnumber `K`'s keys, or when there is no amount.
///
/// # Errors
/// `malformed_input` when the dictionary cannot be built (its text beyond 2 GiB).
pub(crate) fn amount_dictionary<K: ArrowDictionaryKeyType>(
    units: impl Iterator<Item = Option<i128>>,
    n: usize,
    scale: u32,
) -> Result<Option<DictionaryArray<K>>>
where
    K::Native: TryFrom<usize>,
{
    use super::parquet_pages::MAX_RANGE;
    // The amounts as `i64`, 0 in a null row, and the validity once a null shows.
    let mut values: Vec<i64> = Vec::with_capacity(n);
    let mut valid: Vec<bool> = Vec::new();
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for u in units {
        if let Some(u) = u {
            let Ok(x) = i64::try_from(u) else {
                return Ok(None);
            };
            lo = lo.min(x);
            hi = hi.max(x);
            values.push(x);
            if !valid.is_empty() {
                valid.push(true);
            }
        } else {
            if valid.is_empty() {
                valid.resize(values.len(), true);
            }
            values.push(0);
            valid.push(false);
        }
    }
    if lo > hi {
        return Ok(None); // every row null (or none)
    }
    let is_valid = |i: usize| valid.get(i).is_none_or(|&v| v);
    let mut text = TextColumn::with_capacity(0, 0);
    let mut keys: Vec<K::Native> = Vec::with_capacity(values.len());
    let zero = K::Native::default();
    // The key of a new amount: the next entry, its text appended.
    let add = |x: i64, text: &mut TextColumn| -> Option<K::Native> {
        let key = K::Native::try_from(text.len()).ok()?;
        push_units_i64(text, x, scale);
        text.end_value();
        Some(key)
    };
    if hi.abs_diff(lo) < MAX_RANGE {
        // `lo <= x <= hi`: `x - lo` indexes the table.
        let mut slot: Vec<Option<K::Native>> = vec![None; (hi.abs_diff(lo) + 1) as usize];
        for (i, &x) in values.iter().enumerate() {
            if !is_valid(i) {
                keys.push(zero);
                continue;
            }
            let Some(s) = slot.get_mut(x.abs_diff(lo) as usize) else {
                return Ok(None);
            };
            let key = if let Some(key) = *s {
                key
            } else {
                let Some(key) = add(x, &mut text) else {
                    return Ok(None);
                };
                *s.insert(key)
            };
            keys.push(key);
        }
    } else {
        let mut seen: hashbrown::HashMap<i64, K::Native, foldhash::fast::FixedState> =
            hashbrown::HashMap::with_hasher(foldhash::fast::FixedState::default());
        for (i, &x) in values.iter().enumerate() {
            if !is_valid(i) {
                keys.push(zero);
                continue;
            }
            let key = match seen.entry(x) {
                hashbrown::hash_map::Entry::Occupied(e) => *e.get(),
                hashbrown::hash_map::Entry::Vacant(e) => {
                    let Some(key) = add(x, &mut text) else {
                        return Ok(None);
                    };
                    *e.insert(key)
                }
            };
            keys.push(key);
        }
    }
    let nulls = (!valid.is_empty()).then(|| NullBuffer::from(valid));
    let keys = PrimitiveArray::<K>::new(keys.into(), nulls);
    let dict = DictionaryArray::try_new(keys, text.finish()?).map_err(malformed)?;
    Ok(Some(dict))
}

/// `a` with its text laid out as `layout` says: a dictionary of `Utf8` texts (the keyed money
/// and label columns, u16 or u32 keys) as each key's text, its few texts laid out first and
/// gathered by arrow-select's `take`; a `Utf8` column (ids, money beyond `i64` or without any
/// amount) converted (views into its own buffer by arrow-rs, or widened value by value); other
/// columns as they are.
fn lay_out(a: &ArrayRef, layout: TextLayout) -> Result<ArrayRef> {
    let convert = |text: &StringArray| -> ArrayRef {
        match layout {
            TextLayout::Utf8 => Arc::new(text.clone()),
            TextLayout::Views => Arc::new(StringViewArray::from(text)),
            TextLayout::LargeUtf8 => Arc::new(text.iter().collect::<LargeStringArray>()),
        }
    };
    if let Some(text) = a.as_string_opt::<i32>() {
        return Ok(convert(text));
    }
    let parts: Option<(&ArrayRef, &dyn Array)> =
        if let Some(d) = a.as_dictionary_opt::<UInt16Type>() {
            Some((d.values(), d.keys()))
        } else {
            a.as_dictionary_opt::<UInt32Type>()
                .map(|d| (d.values(), d.keys() as &dyn Array))
        };
    match parts.and_then(|(values, keys)| Some((values.as_string_opt::<i32>()?, keys))) {
        Some((texts, keys)) => {
            arrow_select::take::take(convert(texts).as_ref(), keys, None).map_err(malformed)
        }
        None => Ok(Arc::clone(a)),
    }
}

/// `cols` split in two groups of about equal total `weight`, each in column order.
pub(crate) fn split_by_weight(
    cols: &[usize],
    weight: impl Fn(usize) -> usize,
) -> (Vec<usize>, Vec<usize>) {
    let (mut left, mut right) = (Vec::new(), Vec::new());
    let (mut wl, mut wr) = (0, 0);
    for &k in cols {
        if wl <= wr {
            left.push(k);
            wl += weight(k);
        } else {
            right.push(k);
            wr += weight(k);
        }
    }
    (left, right)
}

/// The validity of values (`None` when all are valid).
fn nulls(valid: impl Iterator<Item = bool>) -> Option<NullBuffer> {
    let b: NullBuffer = valid.collect::<BooleanBuffer>().into();
    (b.null_count() > 0).then_some(b)
}

/// An Arrow text column being written, from `&str` pieces only, in arrow-rs' string builder,
/// which makes the array without checking its bytes again (`StringArray::try_new` over
/// finished bytes validated every byte as UTF-8: 4.6 % of the samples of a 1e7-order frame
/// call, `from_utf8` + `validate`).
struct TextColumn {
    b: StringBuilder,
    /// Set when the text passed 2 GiB (an `i32` offset): nothing is appended after it, and
    /// [`Self::finish`] says so (arrow-rs' builder would panic).
    overflow: bool,
}

/// Where formatted text goes: a byte buffer, or a [`TextColumn`] being built.
pub(crate) trait TextSink {
    /// Appends `s`.
    fn push_str(&mut self, s: &str);
}

impl TextSink for Vec<u8> {
    fn push_str(&mut self, s: &str) {
        self.extend_from_slice(s.as_bytes());
    }
}

impl TextSink for TextColumn {
    fn push_str(&mut self, s: &str) {
        if !self.overflow {
            self.b.write_str(s).unwrap_or_default(); // appending to a buffer does not fail
        }
    }
}

impl TextColumn {
    fn with_capacity(rows: usize, bytes_per_value: usize) -> Self {
        Self::with_bytes(rows, rows * bytes_per_value)
    }

    /// Room for `rows` values of `bytes` bytes of text in all.
    fn with_bytes(rows: usize, bytes: usize) -> Self {
        Self {
            b: StringBuilder::with_capacity(rows, bytes),
            overflow: false,
        }
    }

    /// Values (and nulls) so far.
    fn len(&self) -> usize {
        self.b.len()
    }

    /// Whether the text so far still fits an `i32` offset.
    fn fits(&mut self) -> bool {
        self.overflow |= i32::try_from(self.b.values_slice().len()).is_err();
        !self.overflow
    }

    /// Ends the value written since the last one.
    fn end_value(&mut self) {
        if self.fits() {
            self.b.append_value("");
        }
    }

    /// A null value.
    fn end_null(&mut self) {
        if self.fits() {
            self.b.append_null();
        }
    }

    fn finish(mut self) -> Result<ArrayRef> {
        if self.overflow {
            return Err(malformed("a text column beyond 2 GiB"));
        }
        Ok(Arc::new(self.b.finish()))
    }
}

/// Appends `Decimal` text of `units` at `scale` (as [`push_units_i64`]; beyond `i64`, through
/// `Decimal`, rounded as [`crate::summary::decimal_units`] rounds).
fn push_units(out: &mut impl TextSink, units: i128, scale: u32) -> Result<()> {
    if let Ok(x) = i64::try_from(units) {
        push_units_i64(out, x, scale);
    } else {
        let d = crate::summary::decimal_units(units, scale);
        let mut text = String::new();
        write!(text, "{d}").map_err(malformed)?;
        out.push_str(&text);
    }
    Ok(())
}

/// Appends `Decimal::new(units, scale).to_string()` without the decimal (`-0.05`, `12.50`,
/// `7`) to `out`; `scale` at most 8 (the money columns' limit). The digits come from `itoa`
/// (two at a time from a table), straight into `out` as text: nothing to check for UTF-8.
pub(crate) fn push_units_i64(out: &mut impl TextSink, units: i64, scale: u32) {
    let mut digits = itoa::Buffer::new();
    let d = digits.format(units.unsigned_abs());
    if units < 0 {
        out.push_str("-");
    }
    let scale = scale.min(8) as usize;
    if scale == 0 {
        out.push_str(d);
    } else if d.len() > scale {
        // `itoa` gives ASCII digits: any split is on a character boundary.
        let (int, frac) = d.split_at(d.len() - scale);
        out.push_str(int);
        out.push_str(".");
        out.push_str(frac);
    } else {
        // At least one digit before the point: zeros in front of short numbers.
        out.push_str("0.");
        out.push_str(&"00000000"[..scale - d.len()]);
        out.push_str(d);
    }
}

/// Writes a record batch of text, integer, float, boolean and date columns as RFC 4180 CSV
/// with a header: the same text [`crate::table::Table::write_csv`] writes for the same table.
///
/// # Errors
/// `io` when the output cannot be written; `unsupported` for a column of another type.
pub fn write_batch_csv<W: Write>(batch: &RecordBatch, mut w: W) -> Result<()> {
    write_csv_header(&batch.schema(), &mut w)?;
    let mut text = Vec::with_capacity(1 << 16);
    csv_rows(batch, &mut text)?;
    w.write_all(&text).map_err(csv_io)
}

/// Writes the per-customer table of [`summary_record_batch`] as CSV: the same text as
/// [`write_batch_csv`] of that batch, built and formatted in blocks of customers (two
/// halves of each block on two threads), so the whole table is never held.
///
/// # Errors
/// As [`write_batch_csv`].
pub fn write_summary_csv<W: Write>(
    s: &CustomerSummaries,
    rfm: Option<&RfmScores>,
    cpm: Option<(&CpmResult, &CpmOptions)>,
    w: W,
) -> Result<()> {
    write_summary_csv_in_blocks(s, rfm, cpm, w, CSV_BLOCK)
}

/// Customers per block of [`write_summary_csv`].
const CSV_BLOCK: usize = 1 << 16;

/// [`write_summary_csv`] in blocks of `block` customers (tests use tiny blocks).
pub(crate) fn write_summary_csv_in_blocks<W: Write>(
    s: &CustomerSummaries,
    rfm: Option<&RfmScores>,
    cpm: Option<(&CpmResult, &CpmOptions)>,
    mut w: W,
    block: usize,
) -> Result<()> {
    let out = SummaryColumns::new(s, rfm, cpm)?;
    let cols: Vec<usize> = (0..out.names.len()).collect();
    let schema = out.batch(out.build(&cols, 0..0)?)?.schema();
    write_csv_header(&schema, &mut w)?;
    let text = |rows: Range<usize>| -> Result<Vec<u8>> {
        let mut t = Vec::with_capacity(rows.len() * 128);
        if !rows.is_empty() {
            csv_rows(&out.batch(out.build(&cols, rows)?)?, &mut t)?;
        }
        Ok(t)
    };
    let block = block.max(2);
    let mut start = 0;
    while start < s.len() {
        let end = (start + block).min(s.len());
        let mid = start + (end - start) / 2;
        let (a, b) = crate::par::join(&|| text(start..mid), || text(mid..end));
        w.write_all(&a?).map_err(csv_io)?;
        w.write_all(&b?).map_err(csv_io)?;
        start = end;
    }
    Ok(())
}

fn csv_io(source: std::io::Error) -> Error {
    Error::Io {
        path: "<output>".into(),
        source,
    }
}

/// The header line: the column names, comma-separated.
fn write_csv_header(schema: &Schema, w: &mut impl Write) -> Result<()> {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    writeln!(w, "{}", names.join(",")).map_err(csv_io)
}

/// A column of output, its type resolved once (not per cell).
enum CsvColumn<'a> {
    Text(&'a StringArray),
    Int(&'a Int64Array),
    Float(&'a arrow_array::Float64Array),
    Bool(&'a BooleanArray),
    Date(&'a Date32Array),
}

/// Appends every row of `batch` as CSV lines (no header) to `out`.
fn csv_rows(batch: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
    let cols = batch
        .columns()
        .iter()
        .map(|c| {
            Ok(match c.data_type() {
                DataType::Utf8 => CsvColumn::Text(c.as_string::<i32>()),
                DataType::Int64 => CsvColumn::Int(c.as_primitive::<Int64Type>()),
                DataType::Float64 => CsvColumn::Float(c.as_primitive::<Float64Type>()),
                DataType::Boolean => CsvColumn::Bool(c.as_boolean()),
                DataType::Date32 => CsvColumn::Date(c.as_primitive::<Date32Type>()),
                other => {
                    return Err(Error::Unsupported(format!(
                        "CSV output of a {other} column"
                    )));
                }
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut digits = [0u8; 20];
    let mut float = String::new();
    for i in 0..batch.num_rows() {
        for (k, c) in cols.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            csv_cell(c, i, out, &mut digits, &mut float);
        }
        out.push(b'\n');
    }
    Ok(())
}

/// Appends CSV cell `i` of `c` (nothing for a null) as `Table::write_csv` writes it.
fn csv_cell(
    c: &CsvColumn<'_>,
    i: usize,
    out: &mut Vec<u8>,
    digits: &mut [u8; 20],
    float: &mut String,
) {
    match c {
        CsvColumn::Text(a) if a.is_valid(i) => {
            let s = a.value(i).as_bytes();
            if s.iter().any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
                out.push(b'"');
                for &b in s {
                    if b == b'"' {
                        out.push(b'"');
                    }
                    out.push(b);
                }
                out.push(b'"');
            } else {
                out.extend_from_slice(s);
            }
        }
        CsvColumn::Int(a) if a.is_valid(i) => {
            out.extend_from_slice(super::plain::int_text(a.value(i), digits));
        }
        CsvColumn::Float(a) if a.is_valid(i) => {
            float.clear();
            let _ = write!(float, "{}", a.value(i));
            out.extend_from_slice(float.as_bytes());
        }
        CsvColumn::Bool(a) if a.is_valid(i) => {
            out.extend_from_slice(if a.value(i) { b"true" } else { b"false" });
        }
        CsvColumn::Date(a) if a.is_valid(i) => {
            let d = crate::model::day_to_date(a.value(i));
            push_date(d, out, float);
        }
        _ => {} // a null: an empty cell
    }
}

/// Appends `d` as chrono displays it (`2024-03-05`; other years through chrono).
fn push_date(d: chrono::NaiveDate, out: &mut Vec<u8>, scratch: &mut String) {
    use chrono::Datelike as _;
    let (y, m, day) = (d.year(), d.month(), d.day());
    if (0..=9999).contains(&y) {
        let y = y.unsigned_abs();
        out.extend_from_slice(&[
            b'0' + (y / 1000) as u8,
            b'0' + (y / 100 % 10) as u8,
            b'0' + (y / 10 % 10) as u8,
            b'0' + (y % 10) as u8,
            b'-',
            b'0' + (m / 10) as u8,
            b'0' + (m % 10) as u8,
            b'-',
            b'0' + (day / 10) as u8,
            b'0' + (day % 10) as u8,
        ]);
    } else {
        scratch.clear();
        let _ = write!(scratch, "{d}");
        out.extend_from_slice(scratch.as_bytes());
    }
}

/// Writes a record batch as Parquet (zstd), as [`super::write_table_parquet`] writes a table.
/// Each row group's columns are encoded in two groups of about equal work, one on a helper
/// thread ([`crate::par::join`]), and appended in column order: the same file as one
/// `ArrowWriter::write` of the batch gives, in about half the time on two cores.
///
/// # Errors
/// `io` / `malformed_input` when the file cannot be written.
pub fn write_batch_parquet<W: Write + Send>(batch: &RecordBatch, w: W) -> Result<()> {
    write_batch_parquet_in_groups(batch, w, None)
}

/// [`write_batch_parquet`] in row groups of `group_rows` (tests use tiny groups).
pub(crate) fn write_batch_parquet_in_groups<W: Write + Send>(
    batch: &RecordBatch,
    w: W,
    group_rows: Option<usize>,
) -> Result<()> {
    let schema = batch.schema();
    let cols: Vec<usize> = (0..schema.fields().len()).collect();
    // Text columns cost about three times the others to encode.
    let order = costliest_first(&cols, |k| match schema.field(k).data_type() {
        DataType::Utf8 => 3,
        _ => 1,
    });
    let column = |k: usize, rows: Range<usize>| Ok(batch.column(k).slice(rows.start, rows.len()));
    write_parquet_groups(&schema, batch.num_rows(), &order, &column, group_rows, w)
}

/// Writes the per-customer table of [`summary_record_batch`] as Parquet: the same file as
/// [`write_batch_parquet`] of that batch, but each row group's columns are built from the
/// summary as they are encoded (each thread builds and encodes its half), so the whole table
/// is never held: a fraction of the memory, and no second pass over it.
///
/// # Errors
/// As [`write_batch_parquet`].
pub fn write_summary_parquet<W: Write + Send>(
    s: &CustomerSummaries,
    rfm: Option<&RfmScores>,
    cpm: Option<(&CpmResult, &CpmOptions)>,
    w: W,
) -> Result<()> {
    write_summary_parquet_in_groups(s, rfm, cpm, w, None)
}

/// [`write_summary_parquet`] in row groups of `group_rows` (tests use tiny groups).
pub(crate) fn write_summary_parquet_in_groups<W: Write + Send>(
    s: &CustomerSummaries,
    rfm: Option<&RfmScores>,
    cpm: Option<(&CpmResult, &CpmOptions)>,
    w: W,
    group_rows: Option<usize>,
) -> Result<()> {
    let out = SummaryColumns::new(s, rfm, cpm)?;
    let cols: Vec<usize> = (0..out.names.len()).collect();
    // The schema: the columns' types, from an empty range.
    let schema = out.batch(out.build(&cols, 0..0)?)?.schema();
    let order = costliest_first(&cols, |k| out.weight(k));
    let column = |k: usize, rows: Range<usize>| out.parquet_column(k, rows);
    write_parquet_groups(&schema, s.len(), &order, &column, group_rows, w)
}

/// Text columns whose minimum and maximum would say nothing: money as text compares as text
/// (`"100.00" < "9.00"`), and labels. Their statistics cost a comparison or two per row.
const TEXT_WITHOUT_STATISTICS: [&str; 8] = [
    "gross",
    "refunds",
    "net",
    "average_order_value",
    "subscription",
    "rfm_segment",
    "cpm_class",
    "cpm_name",
];

/// The column builder [`write_parquet_groups`] calls: column `k` over rows `rows`.
pub(crate) type ColumnAt<'a> = dyn Fn(usize, Range<usize>) -> Result<ArrayRef> + Sync + 'a;

/// `cols` ordered by `weight`, heaviest first (in column order among equals): the order in
/// which [`write_parquet_groups`] hands out each row group's columns, so that the last ones
/// taken, while the other thread may be idle, are short.
fn costliest_first(cols: &[usize], weight: impl Fn(usize) -> usize) -> Vec<usize> {
    let mut order = cols.to_vec();
    order.sort_by_key(|&k| std::cmp::Reverse(weight(k)));
    order
}

/// A row group's column writers in [`write_parquet_groups`], made when its first column is
/// taken, each taken by the thread that encodes its column.
type Writers = Option<Vec<Option<parquet::arrow::arrow_writer::ArrowColumnWriter>>>;

/// A column chunk encoded by arrow-rs or by [`super::parquet_pages`].
enum Chunk {
    Arrow(parquet::arrow::arrow_writer::ArrowColumnChunk),
    Own(super::parquet_pages::OwnChunk),
}

/// One column chunk of [`write_parquet_groups`]: made by either thread, appended in order.
type Encoded = Option<Result<Chunk>>;

/// Writes `rows` rows of `schema` as Parquet (zstd) in row groups of `group_rows` rows (the
/// writer's default without it). Each column of each row group is a task: built by `column`
/// and encoded by whichever of two threads is free next (row group by row group, the columns
/// of a group in `order`), so neither thread waits for the other at a row group's end; a
/// finished row group is appended to the file, columns in schema order, by the thread that
/// finds it complete. At most the encoded chunks of the row groups in progress are held.
pub(crate) fn write_parquet_groups<W: Write + Send>(
    schema: &arrow_schema::SchemaRef,
    rows: usize,
    order: &[usize],
    column: &ColumnAt<'_>,
    group_rows: Option<usize>,
    w: W,
) -> Result<()> {
    use parquet::arrow::arrow_writer::compute_leaves;
    // A customer id is unique per row: a dictionary would only cost time (it is dropped for
    // being too large, after every id was hashed into it).
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(
            parquet::basic::ZstdLevel::default(),
        ))
        .set_column_dictionary_enabled(
            parquet::schema::types::ColumnPath::from("customer_id"),
            false,
        );
    let props = TEXT_WITHOUT_STATISTICS
        .iter()
        .fold(props, |p, &c| {
            p.set_column_statistics_enabled(
                parquet::schema::types::ColumnPath::from(c),
                parquet::file::properties::EnabledStatistics::None,
            )
        })
        .build();
    let group_rows = group_rows
        .or(props.max_row_group_row_count())
        .unwrap_or(parquet::file::properties::DEFAULT_MAX_ROW_GROUP_ROW_COUNT)
        .max(1);
    let (file, factory) =
        parquet::arrow::ArrowWriter::try_new(w, schema.clone(), Some(props.clone()))
            .and_then(parquet::arrow::ArrowWriter::into_serialized_writer)
            .map_err(malformed)?;
    let n_cols = schema.fields().len();
    // Each column's leaf (of a flat schema: one leaf a column), and whether its dictionary
    // and statistics are on: columns of small-range integers and labels are
    // dictionary-encoded by `parquet_pages`.
    let flat = file.schema_descr().num_columns() == n_cols;
    let leaves: Vec<_> = (0..n_cols)
        .map(|k| {
            let descr = file
                .schema_descr()
                .columns()
                .get(k)
                .filter(|_| flat)
                .cloned()?;
            let dictionary = props.dictionary_enabled(descr.path());
            let statistics = props.statistics_enabled(descr.path())
                != parquet::file::properties::EnabledStatistics::None;
            Some((descr, dictionary, statistics))
        })
        .collect();
    if order.len() != n_cols {
        return Err(malformed("a column missing from the write order"));
    }
    let starts: Vec<usize> = (0..rows).step_by(group_rows).collect();
    let group = |g: usize| starts[g]..(starts[g] + group_rows).min(rows);
    // Per row group: its column writers (made when its first column is taken) and its
    // encoded chunks, by column.
    let writers: Vec<Mutex<Writers>> = starts.iter().map(|_| Mutex::new(None)).collect();
    let chunks: Vec<Mutex<Encoded>> = (0..starts.len() * n_cols)
        .map(|_| Mutex::new(None))
        .collect();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    // The file and the first row group not yet appended to it.
    let out = Mutex::new((file, 0usize));
    let lost = || malformed("a thread writing the output stopped");
    let encode = |g: usize, k: usize| -> Result<Chunk> {
        let a = column(k, group(g))?;
        if let Some(Some((descr, true, statistics))) = leaves.get(k)
            && let Some(own) = super::parquet_pages::dictionary_chunk(&a, descr, *statistics)?
        {
            return Ok(Chunk::Own(own));
        }
        let mut cw = {
            let mut ws = writers[g].lock().map_err(|_| lost())?;
            if ws.is_none() {
                let made = factory.create_column_writers(g).map_err(malformed)?;
                // One leaf per column (the columns are flat).
                if made.len() != n_cols {
                    return Err(malformed("a nested column in the output batch"));
                }
                *ws = Some(made.into_iter().map(Some).collect());
            }
            ws.as_mut()
                .and_then(|v| v.get_mut(k))
                .and_then(Option::take)
                .ok_or_else(lost)?
        };
        for leaf in compute_leaves(schema.field(k), &a).map_err(malformed)? {
            cw.write(&leaf).map_err(malformed)?;
        }
        cw.close().map(Chunk::Arrow).map_err(malformed)
    };
    // Appends the row groups that are complete, in order (if no other thread is at it).
    let append_ready = |wait: bool| -> Result<()> {
        let mut guard = if wait {
            out.lock().map_err(|_| lost())?
        } else {
            match out.try_lock() {
                Ok(g) => g,
                Err(std::sync::TryLockError::WouldBlock) => return Ok(()),
                Err(std::sync::TryLockError::Poisoned(_)) => return Err(lost()),
            }
        };
        let (file, done) = &mut *guard;
        while *done < starts.len() {
            let slots = &chunks[*done * n_cols..(*done + 1) * n_cols];
            let complete = slots.iter().all(|c| c.lock().is_ok_and(|c| c.is_some()));
            if !complete {
                break;
            }
            let mut rg = file.next_row_group().map_err(malformed)?;
            for c in slots {
                match c.lock().map_err(|_| lost())?.take().ok_or_else(lost)?? {
                    Chunk::Arrow(chunk) => chunk.append_to_row_group(&mut rg),
                    Chunk::Own(own) => rg.append_column(&own.bytes, own.close),
                }
                .map_err(malformed)?;
            }
            rg.close().map_err(malformed)?;
            *done += 1;
        }
        Ok(())
    };
    let work = || -> Result<()> {
        let tasks = starts.len() * n_cols;
        loop {
            let t = next.fetch_add(1, Ordering::Relaxed);
            if t >= tasks || failed.load(Ordering::Relaxed) {
                return Ok(());
            }
            let (g, k) = (t / n_cols, order[t % n_cols]);
            let r = encode(g, k);
            if r.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            *chunks[g * n_cols + k].lock().map_err(|_| lost())? = Some(r);
            append_ready(false)?;
        }
    };
    let (a, b) = crate::par::join(&work, work);
    a?;
    b?;
    append_ready(true)?;
    let (file, done) = out.into_inner().map_err(|_| lost())?;
    if done < starts.len() {
        // A column failed: its error, in row group and column order.
        for c in chunks {
            if let Some(Err(e)) = c.into_inner().map_err(|_| lost())? {
                return Err(e);
            }
        }
        return Err(lost());
    }
    file.close().map_err(malformed)?;
    Ok(())
}
