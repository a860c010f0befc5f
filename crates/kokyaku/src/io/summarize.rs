//! Customer summaries streamed straight from a file, without building the grouped
//! [`OrderLog`](crate::model::OrderLog).
//!
//! The per-customer summary needs, per customer, a handful of running totals, which can be
//! kept as the rows stream by: no 10M-row columns of the grouped log, no sort of them. Row
//! order does not matter: first and last purchase days are a minimum and a maximum; distinct
//! purchase days are counted on the fly while a customer's orders come in day order (exports
//! in time order), and for a customer whose orders do not, from a final sort of the
//! `(customer, day)` pairs of its orders. A further line of an order (a repeated order id, as
//! the grouped log merges it) finds its order by id wherever it sits: the sink keeps each
//! order's customer, whether it counts, and its time. [`summarize_path`] reads the file through
//! the grouped log only when the sink gives up (a per-customer sum beyond `i64`, which the
//! grouped log sums in `i128`). Both routes go through the same [`Ingestor`] (every policy,
//! rejection and count) and the same per-customer arithmetic, so the result is the same;
//! `streamed` says which ran.
//!
//! From Parquet, whole batches of plain new orders (see [`super::plain`]) skip the per-row
//! path: [`SummarySink::push_plain`] applies a batch's member numbers (or hashed text ids), days,
//! amounts and flags in one loop, and keeps rising order ids as runs of numbers
//! ([`OrderIdSet`]).

use std::cell::Cell;
use std::path::Path;

use rust_decimal::Decimal;

use super::ingest::{IngestReport, OrderSink};
use super::options::ReadOptions;
use super::plain::{
    CANCELLED, Customers, DictIds, DictSource, Join, PlainBatch, SUBSCRIPTION, int_text,
};

/// Ids whose hash-table slots are warmed at once.
const WARM: usize = 2048;
use crate::model::{
    Day, HexForm, HexRows, HugeVec, IntRows, Interner, KeyRows, KeyText, OrderIdSet, OrderKind,
    OrderStatus, RowKey, StrColumn, UnitScale, date_to_day, expected_customers, hex_natural_rows,
    member_number, merge_currency, natural_order, register_order_id, sorted_apart,
};
use crate::summary::{CustomerSummaries, SummaryBuilder, SummaryOptions, Totals, summarize};
use crate::{Location, Result};

/// A customer summary read from a file, with the accounting of the read.
#[derive(Debug, Clone)]
pub struct SummarizedLog {
    /// One row per customer, in natural id order (as [`summarize`] gives).
    pub summaries: CustomerSummaries,
    /// How the rows were read.
    pub report: IngestReport,
    /// Whether the summary was streamed (`false`: the input needed the grouped log).
    pub streamed: bool,
}

/// Reads an order log from a file and summarises its customers as of `opts.as_of`: the same
/// result as [`summarize`] over [`super::read_path`], streamed when the input allows (see the
/// module docs), in a fraction of the time and memory.
pub fn summarize_path(
    path: &Path,
    read: &ReadOptions,
    opts: &SummaryOptions,
) -> Result<SummarizedLog> {
    summarize_with(
        opts,
        |sink| super::read_path_into(path, read, sink),
        || super::read_path(path, read),
    )
}

/// [`summarize_path`], calling `progress` with the bytes of a CSV or JSON file read so far
/// (compressed bytes for `.gz`; nothing for Parquet): the same streamed summary with a
/// progress bar.
///
/// # Errors
/// As [`summarize_path`].
pub fn summarize_path_progress(
    path: &Path,
    read: &ReadOptions,
    opts: &SummaryOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<SummarizedLog> {
    summarize_with(
        opts,
        |sink| super::read_path_into_counted(path, read, sink, Some(progress)),
        || super::read_path(path, read),
    )
}

/// [`summarize_path`] of a Parquet file decoded in batches of `batch_rows` rows (tests use
/// tiny batches, so that plain and other batches mix).
#[cfg(all(test, feature = "parquet"))]
pub(crate) fn summarize_parquet_in_batches(
    path: &Path,
    read: &ReadOptions,
    opts: &SummaryOptions,
    batch_rows: usize,
) -> Result<SummarizedLog> {
    summarize_with(
        opts,
        |sink| {
            let f = std::fs::File::open(path).map_err(|source| crate::Error::Io {
                path: path.display().to_string(),
                source,
            })?;
            super::parquet::parquet_file_into_batches(f, read, sink, batch_rows)
        },
        || super::read_path(path, read),
    )
}

/// Streams the file through `read_into`; reads it into the grouped log when the sink gives up.
/// The summary streamed into a [`SummarySink`] by `read_into`, or, when that fails or the sink
/// gives up, the summary of the grouped log `grouped` reads (the file and in-memory routes
/// share this).
pub(crate) fn summarize_with(
    opts: &SummaryOptions,
    read_into: impl FnOnce(SummarySink) -> Result<super::Ingestor<SummarySink>>,
    grouped: impl FnOnce() -> Result<super::Ingested>,
) -> Result<SummarizedLog> {
    let sink = SummarySink::new(opts.as_of.map(date_to_day));
    // An error while streaming may come after the sink silently gave up (it stops checking
    // order ids then, so an earlier duplicate goes unseen): the grouped read names the error.
    if let Ok(ing) = read_into(sink) {
        let (mut sink, report) = ing.into_parts();
        sink.flush();
        if !sink.abandoned() {
            return Ok(SummarizedLog {
                summaries: sink.finish(opts),
                report,
                streamed: true,
            });
        }
    }
    let ing = grouped()?;
    Ok(SummarizedLog {
        summaries: summarize(&ing.log, opts),
        report: ing.report,
        streamed: false,
    })
}

/// One customer's running totals for every order (32 bytes: two customers a cache line).
/// Refunds and cancelled orders, rarer, have their own columns, made when first needed.
/// Plain numbers without padding (`Pod`): kept in a [`HugeVec`], on huge pages.
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
struct Acc {
    /// Completed orders on or before as-of, in units of the order scale. A sum beyond `i64`
    /// makes the sink give up (the grouped log sums in `i128`).
    gross: i64,
    /// The earliest and latest purchase days, and the latest subscription order's day.
    first: Day,
    last: Day,
    last_sub: Day,
    orders: u32,
    /// Distinct purchase days while the orders came in day order; [`DISORDERED`] set once one
    /// came before the latest (then counted at the end from the sink's `order_days`).
    purchase_days: u32,
    sub_orders: u32,
}

/// The flag of [`Acc::purchase_days`] for a customer whose orders came out of day order.
const DISORDERED: u32 = 1 << 31;

/// The flag of an order's customer (see `SummarySink::order_customer`) for an order whose
/// further lines add to its customer's gross (completed, on or before as-of).
const COUNTED: u32 = 1 << 31;

/// A `(customer, day)` pair as one sortable number.
fn pack_day(customer: u32, day: Day) -> u64 {
    (u64::from(customer) << 32) | u64::from(u32::from_ne_bytes(day.to_ne_bytes()) ^ 0x8000_0000)
}

/// The customer and day of [`pack_day`].
fn unpack_day(p: u64) -> (u32, Day) {
    (
        (p >> 32) as u32,
        Day::from_ne_bytes(((p as u32) ^ 0x8000_0000).to_ne_bytes()),
    )
}

const EMPTY_ACC: Acc = Acc {
    gross: 0,
    first: 0,
    last: 0,
    last_sub: 0,
    orders: 0,
    purchase_days: 0,
    sub_orders: 0,
};

/// Per-customer columns for the rarer rows, indexed like the totals and as long as needed.
#[derive(Debug, Default)]
struct Rare {
    /// Refunds on or before as-of, in units of the refund scale.
    refunded: Vec<i128>,
    /// Cancelled orders on or before as-of.
    cancelled: Vec<u32>,
}

/// `v[i]`, growing `v` with zeros to hold it.
fn slot<T: Copy + Default>(v: &mut Vec<T>, i: usize) -> &mut T {
    if i >= v.len() {
        v.resize(i + 1, T::default());
    }
    &mut v[i]
}

/// What a staged row does to its customer's totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// A completed order on or before as-of.
    Order,
    /// A completed subscription order on or before as-of.
    SubscriptionOrder,
    /// A cancelled order on or before as-of.
    Cancelled,
    /// A further line of a counted order (gross only).
    Line,
    /// A refund on or before as-of.
    Refund,
}

/// One row's effect on its customer, staged so that the random accesses to the totals of many
/// rows happen in one tight loop (where the CPU overlaps their cache misses) instead of one
/// per trip through the row-parsing code.
#[derive(Debug, Clone, Copy)]
struct Staged {
    units: i64,
    customer: u32,
    day: Day,
    op: Op,
}

/// Rows staged before their totals are updated.
const STAGE: usize = 4096;

/// Customer ids to rows of the totals.
#[derive(Debug)]
enum Ids {
    /// Fixed-width member numbers (`00012345`, `C-00012345`): a customer's row is its number,
    /// so rows are already in natural id order and no lookup table is touched per row; `seen`
    /// (one bit per number) says which numbers occurred.
    Numbers {
        width: usize,
        prefix: Box<[u8]>,
        seen: Vec<u64>,
        count: usize,
    },
    /// Ids that are numbers written one way ([`KeyText`]): integer ids (an integer customer
    /// column, read as their decimal text row by row), or member numbers of one prefix and
    /// width beyond the range of [`Ids::Numbers`]. Rows in first-seen order through a hash
    /// table keyed by the number, with no text; `ids` holds each row's number. Sorted by value
    /// at the end (the natural order of their text; negative integers: by their text).
    Keyed {
        text: KeyText,
        map: IntRows,
        ids: Vec<i64>,
    },
    /// Ids of one [`HexForm`] (UUIDs and the like): rows in first-seen order through a hash
    /// table keyed by each id's 128-bit number, with no text; `ids` holds each row's number
    /// (written back as text, and put in natural order, at the end).
    Hex {
        form: HexForm,
        map: HexRows,
        ids: Vec<[u64; 2]>,
    },
    /// Any other ids: rows in first-seen order through a hash table.
    Table(Interner),
}

/// The row of number `v` in [`Ids::Keyed`] or [`Ids::Hex`], adding it (and its totals) if new.
#[inline]
fn keyed_row<K: RowKey>(
    map: &mut KeyRows<K>,
    ids: &mut Vec<K>,
    accs: &mut HugeVec<Acc>,
    v: K,
) -> u32 {
    let next = ids.len() as u32;
    let row = map.get_or_insert(v, next);
    if row == next {
        ids.push(v);
        accs.push(EMPTY_ACC);
    }
    row
}

/// The rows of numbers `values` in [`Ids::Keyed`], adding the new ones: a chunk's table slots
/// are first loaded in a tight loop of independent loads (where the CPU overlaps their cache
/// misses), then looked up and inserted in order (the same rows as one by one).
fn keyed_rows<T: Copy, K: RowKey>(
    map: &mut KeyRows<K>,
    ids: &mut Vec<K>,
    accs: &mut HugeVec<Acc>,
    values: &[T],
    key: impl Fn(T) -> K,
) -> Vec<u32> {
    let mut out = Vec::with_capacity(values.len());
    for chunk in values.chunks(WARM) {
        map.warm(chunk.iter().map(|&v| key(v)));
        out.extend(chunk.iter().map(|&v| keyed_row(map, ids, accs, key(v))));
    }
    out
}

/// The rows of a batch's dictionary-encoded customers: each distinct value's row, from
/// `cache` when an earlier batch of the same dictionary looked it up, else through the hash
/// table (`add` notes a new row); then each row's by its value, an array lookup.
fn dict_rows(
    t: &mut Interner,
    cache: &mut Option<(DictSource, Vec<u32>)>,
    d: &DictIds,
    mut add: impl FnMut(u32, bool) -> u32,
) -> Vec<u32> {
    let same = matches!((&*cache, &d.source), (Some((a, _)), Some(b)) if a.same_as(b));
    if !same {
        *cache = d.source.clone().map(|s| (s, vec![UNSEEN; d.len]));
    } else if let (Some((a, _)), Some(b)) = (cache.as_mut(), &d.source) {
        // A copy of the remembered values: its rows are the same; it is the one to compare
        // the next batches with (by address, while they share it).
        if a != b {
            *a = b.clone();
        }
    }
    let mut slots = cache.as_mut().map(|(_, v)| v);
    let mut value_rows: Vec<u32> = Vec::with_capacity(d.ends.len());
    // The values not remembered: looked up in order (the order row by row would add them),
    // their table slots loaded a chunk ahead.
    let mut todo: Vec<usize> = Vec::new();
    for (k, &v) in d.index.iter().enumerate() {
        let row = slots
            .as_deref()
            .and_then(|s| s.get(v as usize))
            .copied()
            .unwrap_or(UNSEEN);
        if row == UNSEEN {
            todo.push(k);
        }
        value_rows.push(row);
    }
    for chunk in todo.chunks(WARM) {
        t.warm_by_hash(chunk.iter().map(|&k| d.hashes[k]));
        for &k in chunk {
            let (i, new) = t.intern_hashed(d.hashes[k], d.value(k));
            value_rows[k] = add(i, new);
            if let Some(r) = slots
                .as_deref_mut()
                .and_then(|s| s.get_mut(d.index[k] as usize))
            {
                *r = i;
            }
        }
    }
    d.keys.iter().map(|&k| value_rows[k as usize]).collect()
}

/// An [`OrderSink`] that keeps per-customer running totals instead of the orders.
#[derive(Debug)]
pub(crate) struct SummarySink {
    /// Orders after this day do not count (`Day::MAX` without an as-of date).
    as_of: Day,
    currency: Option<String>,
    ids: Ids,
    accs: HugeVec<Acc>,
    rare: Rare,
    order_ids: Option<OrderIdSet>,
    n_orders: usize,
    reserve_hint: usize,
    order_scale: UnitScale,
    refund_scale: UnitScale,
    /// Per order (by index), when the log has order ids: its customer's row, with [`COUNTED`]
    /// set when the order's lines add to the gross; and its placement time (Unix seconds),
    /// which a further line must share under `sum_lines`. What a line that is not next to its
    /// order needs (the grouped log keeps the same per order).
    order_customer: Vec<u32>,
    order_placed: Vec<i64>,
    /// The sum of every order's units (all orders and lines): an upper bound of any one
    /// order's total, so that a line cannot overflow its order while it stays in `i64`
    /// (beyond it, the sink gives up and the grouped log, which keeps each order's total,
    /// decides).
    all_units: i64,
    /// `(customer, day)` pairs ([`pack_day`]) of the completed orders on or before as-of: the
    /// distinct purchase days of the customers whose orders came out of day order.
    order_days: Vec<u64>,
    /// Whether some customer's orders came out of day order.
    disordered: bool,
    max_day: Option<Day>,
    staged: Vec<Staged>,
    /// Without an as-of date, refunds wait for it (the day after the last order, known at
    /// the end): customer, day, units.
    pending_refunds: Vec<(u32, Day, i64)>,
    abandoned: Cell<bool>,
    /// The customer row of each value of the last dictionary of customer ids ([`UNSEEN`]
    /// where no row used it yet), while batches share that dictionary or copies of its values:
    /// a value is looked up once, however many batches use it. Rows of the hash table never move, so the rows
    /// stay right.
    dict_rows: Option<(DictSource, Vec<u32>)>,
}

/// No customer row yet (in [`SummarySink::dict_rows`]).
const UNSEEN: u32 = u32::MAX;

impl SummarySink {
    pub(crate) fn new(as_of: Option<Day>) -> Self {
        Self {
            as_of: as_of.unwrap_or(Day::MAX),
            currency: None,
            ids: Ids::Numbers {
                width: 0,
                prefix: Box::default(),
                seen: Vec::new(),
                count: 0,
            },
            accs: HugeVec::new(),
            rare: Rare::default(),
            order_ids: None,
            n_orders: 0,
            reserve_hint: 0,
            order_scale: UnitScale::default(),
            refund_scale: UnitScale::default(),
            order_customer: Vec::new(),
            order_placed: Vec::new(),
            all_units: 0,
            order_days: Vec::new(),
            disordered: false,
            max_day: None,
            staged: Vec::with_capacity(STAGE),
            pending_refunds: Vec::new(),
            abandoned: Cell::new(false),
            dict_rows: None,
        }
    }

    /// The row of customer `id`, adding it if new.
    fn customer(&mut self, id: &str) -> u32 {
        if let Ids::Numbers {
            width,
            prefix,
            seen,
            count,
        } = &mut self.ids
        {
            // Numbers stay below four per customer seen (plus 4M): beyond that, the rows
            // would be mostly empty.
            let limit = 4 * (*count + 1) + (1 << 22);
            if let Some((n, p)) = member_number(*width, prefix, id).filter(|&(n, _)| n < limit) {
                if *width == 0 {
                    *width = id.len();
                    *prefix = id.as_bytes()[..p].into();
                }
                if n >= self.accs.len() {
                    self.accs.resize(n + 1, EMPTY_ACC);
                    seen.resize(n / 64 + 1, 0);
                }
                let (w, bit) = (n / 64, 1u64 << (n % 64));
                if seen[w] & bit == 0 {
                    seen[w] |= bit;
                    *count += 1;
                }
                return n as u32;
            }
            // Of the pattern (or the first id) but beyond the range: keyed by the number.
            let m = member_number(*width, prefix, id);
            if let (Some((_, p)), 0) = (m, *width) {
                *width = id.len();
                *prefix = id.as_bytes()[..p].into();
            }
            self.leave_numbers(m.is_some());
        }
        if let Ids::Keyed { text, map, ids } = &mut self.ids {
            if let Some(v) = text.key(id) {
                return keyed_row(map, ids, &mut self.accs, v);
            }
            self.keyed_to_table();
        }
        if let Ids::Hex { form, map, ids } = &mut self.ids {
            if let Some((v, case)) = form.key(id.as_bytes()) {
                form.note_case(case);
                return keyed_row(map, ids, &mut self.accs, v);
            }
            self.hex_to_table();
        }
        let Ids::Table(t) = &mut self.ids else {
            return 0; // unreachable: converted above
        };
        let (i, new) = t.intern_new(id);
        if new {
            self.accs.push(EMPTY_ACC);
        }
        i
    }

    /// Leaves the keyed mode: the ids, as text, into a hash table (rows unchanged).
    fn keyed_to_table(&mut self) {
        let Ids::Keyed { text, ids, .. } = &self.ids else {
            return;
        };
        let mut table = Interner::new();
        table.reserve(ids.len(), 10);
        let mut buf = String::new();
        for &v in ids {
            table.intern(text.write(v, &mut buf));
        }
        self.ids = Ids::Table(table);
    }

    /// Leaves the hex mode: the ids, as text, into a hash table (rows unchanged).
    fn hex_to_table(&mut self) {
        let Ids::Hex { form, ids, .. } = &self.ids else {
            return;
        };
        let mut table = Interner::new();
        table.reserve(ids.len(), form.len());
        let mut buf = Vec::new();
        for &v in ids {
            buf.clear();
            form.write(v, &mut buf);
            table.intern(std::str::from_utf8(&buf).unwrap_or_default());
        }
        self.ids = Ids::Table(table);
    }

    /// Leaves the member-number mode: the rows seen so far move, in number order, behind a
    /// hash table, or (`keyed`) a hash table keyed by the number (of the same pattern).
    fn leave_numbers(&mut self, keyed: bool) {
        self.flush(); // staged rows point at number rows
        let Ids::Numbers {
            width,
            prefix,
            seen,
            count,
        } = &self.ids
        else {
            return;
        };
        let mut table = Interner::new();
        let mut map = IntRows::default();
        let mut numbers: Vec<i64> = Vec::new();
        if keyed {
            map.reserve((*count).max(expected_customers(self.reserve_hint)));
            numbers.reserve((*count).max(expected_customers(self.reserve_hint)));
        } else {
            table.reserve(*count, *width);
        }
        let mut accs = HugeVec::new();
        accs.reserve(*count);
        let mut rare = Rare::default();
        // The new row of each number seen.
        let mut row_of = vec![0u32; self.accs.len()];
        let text = KeyText::Padded {
            prefix: prefix.clone(),
            width: *width,
        };
        let mut id = String::new();
        for (n, a) in self.accs.iter().enumerate() {
            if seen[n / 64] & (1 << (n % 64)) != 0 {
                let row = if keyed {
                    let row = numbers.len() as u32;
                    map.get_or_insert(n as i64, row);
                    numbers.push(n as i64);
                    row
                } else {
                    table.intern(super::plain::write_padded(
                        &mut id, prefix, *width, n as u64,
                    ))
                };
                row_of[n] = row;
                let row = row as usize;
                accs.push(*a);
                if let Some(&r) = self.rare.refunded.get(n) {
                    *slot(&mut rare.refunded, row) = r;
                }
                if let Some(&c) = self.rare.cancelled.get(n) {
                    *slot(&mut rare.cancelled, row) = c;
                }
            }
        }
        self.rare = rare;
        // Re-point what refers to customers by row.
        let row = |n: u32| row_of.get(n as usize).copied().unwrap_or(0);
        for c in &mut self.order_customer {
            *c = row(*c & !COUNTED) | (*c & COUNTED);
        }
        for p in &mut self.order_days {
            let (c, day) = unpack_day(*p);
            *p = pack_day(row(c), day);
        }
        for r in &mut self.pending_refunds {
            r.0 = row(r.0);
        }
        self.accs = accs;
        self.ids = if keyed {
            Ids::Keyed {
                text,
                map,
                ids: numbers,
            }
        } else {
            Ids::Table(table)
        };
    }

    /// The rows of a plain batch's customers, adding the new ones: straight from the member
    /// numbers when `direct`, else through the hash table (leaving the member-number mode, as
    /// the first other id does row by row; the rows' order does not show in the result, which
    /// is in natural id order).
    fn plain_customers(&mut self, customers: &Customers, direct: bool) -> Vec<u32> {
        if let Customers::Ints(values) = customers {
            if matches!(self.ids, Ids::Numbers { count: 0, .. }) && self.accs.is_empty() {
                self.ids = Ids::Keyed {
                    text: KeyText::Int,
                    map: IntRows::with_capacity(expected_customers(self.reserve_hint)),
                    ids: Vec::new(),
                };
                // Reserved room costs no memory until written, and spares the copies of
                // growing (each into a new mapping).
                self.accs.reserve(expected_customers(self.reserve_hint));
            }
            if let Ids::Keyed {
                text: KeyText::Int,
                map,
                ids,
            } = &mut self.ids
            {
                return keyed_rows(map, ids, &mut self.accs, values, |v| v);
            }
        }
        // Ids of one hex form (UUIDs): keyed by their number from the first batch on, while
        // every batch's are of that form.
        if let Customers::Text { hex: Some(h), .. } = customers {
            if matches!(self.ids, Ids::Numbers { count: 0, .. }) && self.accs.is_empty() {
                self.ids = Ids::Hex {
                    form: h.form,
                    map: HexRows::with_capacity(expected_customers(self.reserve_hint)),
                    ids: Vec::new(),
                };
                self.accs.reserve(expected_customers(self.reserve_hint));
            }
            if let Ids::Hex { form, map, ids } = &mut self.ids {
                if let Some(joined) = form.joined(&h.form) {
                    *form = joined;
                    return keyed_rows(map, ids, &mut self.accs, &h.keys, |v| v);
                }
            }
        }
        // Member numbers beyond the direct range: keyed by the number (member numbers of one
        // prefix and width, each its one text).
        if let (false, Customers::Numbered(n)) = (direct, customers) {
            if let Ids::Numbers { width, prefix, .. } = &mut self.ids {
                if *width == 0 {
                    *width = n.width;
                    prefix.clone_from(&n.prefix);
                }
                let keyed = *width == n.width && *prefix == n.prefix && n.max < 1 << 60;
                self.leave_numbers(keyed);
            }
            if let Ids::Keyed {
                text: KeyText::Padded { prefix, width },
                map,
                ids,
            } = &mut self.ids
            {
                if *width == n.width && *prefix == n.prefix && n.max < 1 << 60 {
                    return keyed_rows(map, ids, &mut self.accs, &n.numbers, |v| v as i64);
                }
            }
        }
        if let (
            true,
            Customers::Numbered(ids),
            Ids::Numbers {
                width,
                prefix,
                seen,
                count,
            },
        ) = (direct, customers, &mut self.ids)
        {
            if *width == 0 {
                *width = ids.width;
                prefix.clone_from(&ids.prefix);
            }
            let top = ids.max as usize;
            if top >= self.accs.len() {
                self.accs.resize(top + 1, EMPTY_ACC);
                seen.resize(top / 64 + 1, 0);
            }
            for &n in &ids.numbers {
                let (w, bit) = (n as usize / 64, 1u64 << (n % 64));
                *count += usize::from(seen[w] & bit == 0);
                seen[w] |= bit;
            }
            return ids.numbers.iter().map(|&n| n as u32).collect();
        }
        if matches!(self.ids, Ids::Numbers { .. }) {
            self.leave_numbers(false);
        }
        if matches!(self.ids, Ids::Keyed { .. }) {
            self.keyed_to_table();
        }
        if matches!(self.ids, Ids::Hex { .. }) {
            self.hex_to_table();
        }
        let Ids::Table(t) = &mut self.ids else {
            return Vec::new(); // unreachable: converted above
        };
        let accs = &mut self.accs;
        let mut add = |i: u32, new: bool| {
            if new {
                accs.push(EMPTY_ACC);
            }
            i
        };
        match customers {
            Customers::Text {
                text, ends, hashes, ..
            } => {
                let mut out = Vec::with_capacity(ends.len());
                t.intern_run(text, ends, hashes, 0..ends.len(), |i, new| {
                    out.push(add(i, new));
                });
                out
            }
            Customers::Dict(d) => dict_rows(t, &mut self.dict_rows, d, add),
            Customers::Ints(values) => {
                let mut buf = [0u8; 20];
                values
                    .iter()
                    .map(|&v| {
                        let text = std::str::from_utf8(int_text(v, &mut buf)).unwrap_or_default();
                        let (i, new) = t.intern_new(text);
                        add(i, new)
                    })
                    .collect()
            }
            Customers::Numbered(ids) => {
                let mut id = String::new();
                ids.numbers
                    .iter()
                    .map(|&n| {
                        let (i, new) = t.intern_new(super::plain::write_padded(
                            &mut id,
                            &ids.prefix,
                            ids.width,
                            n,
                        ));
                        add(i, new)
                    })
                    .collect()
            }
        }
    }

    /// The row of customer `id`, if seen.
    fn lookup(&self, id: &str) -> Option<u32> {
        match &self.ids {
            Ids::Numbers {
                width,
                prefix,
                seen,
                ..
            } => {
                let (n, _) = member_number(*width, prefix, id)?;
                let w = seen.get(n / 64)?;
                (w & (1 << (n % 64)) != 0).then_some(n as u32)
            }
            Ids::Keyed { text, map, .. } => text.key(id).and_then(|v| map.get(v)),
            Ids::Hex { form, map, .. } => form.key(id.as_bytes()).and_then(|(v, _)| map.get(v)),
            Ids::Table(t) => t.lookup(id),
        }
    }

    fn stage(&mut self, customer: u32, day: Day, units: i64, op: Op) {
        self.staged.push(Staged {
            units,
            customer,
            day,
            op,
        });
        if self.staged.len() >= STAGE {
            self.flush();
        }
    }

    /// Applies the staged rows, in order, to the totals.
    pub(crate) fn flush(&mut self) {
        let accs: &mut [Acc] = &mut self.accs;
        let rare = &mut self.rare;
        let days = &mut self.order_days;
        let mut disordered = false;
        let mut overflow = false;
        // The staged rows' totals loaded first, in a tight loop of independent loads (their
        // cache misses overlap; in the loop below, a branch mispredicted while it waits for a
        // total holds back the loads of the rows after it).
        let mut warm = 0i64;
        for st in &self.staged {
            warm ^= accs.get(st.customer as usize).map_or(0, |a| a.gross);
        }
        std::hint::black_box(warm);
        for st in &self.staged {
            let a = &mut accs[st.customer as usize];
            let day = st.day;
            match st.op {
                Op::Order | Op::SubscriptionOrder => {
                    days.push(pack_day(st.customer, day));
                    if a.orders == 0 {
                        a.first = day;
                        a.last = day;
                        a.purchase_days = 1;
                    } else if day > a.last {
                        a.purchase_days += 1;
                        a.last = day;
                    } else if day < a.last {
                        // Out of day order: its distinct days are counted at the end.
                        a.purchase_days |= DISORDERED;
                        a.first = a.first.min(day);
                        disordered = true;
                    }
                    a.orders += 1;
                    let (g, o) = a.gross.overflowing_add(st.units);
                    a.gross = g;
                    overflow |= o;
                    if st.op == Op::SubscriptionOrder {
                        a.last_sub = if a.sub_orders == 0 {
                            day
                        } else {
                            a.last_sub.max(day)
                        };
                        a.sub_orders += 1;
                    }
                }
                Op::Cancelled => *slot(&mut rare.cancelled, st.customer as usize) += 1,
                Op::Line => {
                    let (g, o) = a.gross.overflowing_add(st.units);
                    a.gross = g;
                    overflow |= o;
                }
                Op::Refund => {
                    *slot(&mut rare.refunded, st.customer as usize) += i128::from(st.units);
                }
            }
        }
        self.staged.clear();
        self.disordered |= disordered;
        if overflow {
            self.abandoned.set(true);
        }
    }

    /// Order units of `amount`, multiplying the stored sums when the scale grows.
    fn order_units(&mut self, amount: Decimal, location: &dyn Fn() -> Location) -> Result<i64> {
        let (u, k) = self.order_scale.units_of(amount, location)?;
        if k != 1 {
            self.grow_sums(k);
        }
        Ok(u)
    }

    /// Multiplies the stored order sums by `k` (the order scale grew).
    fn grow_sums(&mut self, k: i64) {
        self.flush(); // staged units are at the old scale
        for a in self.accs.iter_mut() {
            match a.gross.checked_mul(k) {
                Some(g) => a.gross = g,
                None => self.abandoned.set(true), // beyond i64: the grouped log sums it
            }
        }
        match self.all_units.checked_mul(k) {
            Some(u) => self.all_units = u,
            None => self.abandoned.set(true), // the grouped log checks each order's total
        }
    }

    /// Adds `units` to the sum of every order's units (see `all_units`); gives up beyond `i64`.
    fn add_all_units(&mut self, units: i64) {
        match self.all_units.checked_add(units) {
            Some(u) => self.all_units = u,
            None => self.abandoned.set(true),
        }
    }

    /// The summaries, in natural customer order. The ids are put in order on this thread
    /// while the purchase days of customers whose days came out of order are counted and the
    /// refunds added on a helper thread (they touch different fields).
    pub(crate) fn finish(mut self, opts: &SummaryOptions) -> CustomerSummaries {
        self.flush();
        let as_of = match opts.as_of {
            Some(d) => date_to_day(d),
            None => self.max_day.map_or(0, |d| d + 1),
        };
        let n_rows = self.accs.len();
        let ids = std::mem::replace(&mut self.ids, Ids::Table(Interner::new()));
        let order_days = std::mem::take(&mut self.order_days);
        let (disordered, pending_refunds) = (self.disordered, &self.pending_refunds);
        let (accs, rare) = (&mut self.accs, &mut self.rare);
        let settle = || {
            if disordered {
                count_disordered_days(accs, order_days);
            }
            for &(c, day, u) in pending_refunds {
                if day <= as_of {
                    *slot(&mut rare.refunded, c as usize) += i128::from(u);
                }
            }
        };
        let (_, (by_id, ids)) = crate::par::join_once(settle, || natural_rows(ids, n_rows));
        // The totals in id order, gathered in a tight loop of independent reads (their cache
        // misses overlap; one per customer inside `push_all` would not) on a helper thread,
        // while the ids' text is written here.
        let totals: &[Acc] = &self.accs;
        let (accs, ids) = crate::par::join(
            &|| -> Vec<Acc> { by_id.iter().map(|&c| totals[c as usize]).collect() },
            || ids.into_column(&by_id),
        );
        drop(std::mem::take(&mut self.accs));
        let mut out = SummaryBuilder::new(
            std::sync::Arc::new(ids),
            as_of,
            self.order_scale.scale(),
            self.refund_scale.scale(),
            opts,
        );
        let rare = &self.rare;
        let total = |i: usize| {
            let (c, a) = (by_id[i] as usize, &accs[i]);
            Totals {
                first: (a.orders > 0).then_some(a.first),
                last: (a.orders > 0).then_some(a.last),
                orders: a.orders,
                purchase_days: a.purchase_days,
                subscription_orders: a.sub_orders,
                cancelled: rare.cancelled.get(c).copied().unwrap_or(0),
                gross: i128::from(a.gross),
                refunded: rare.refunded.get(c).copied().unwrap_or(0),
                last_sub_day: (a.sub_orders > 0).then_some(a.last_sub),
            }
        };
        out.push_all(by_id.len(), &total);
        out.finish()
    }
}

/// Counts the distinct purchase days of each customer flagged [`DISORDERED`] from the
/// packed `(row, day)` pairs of their orders. The flagged customers' days are put in buckets,
/// one per customer, sized by its order count (its number of pairs): one pass over the pairs
/// that reads a 4-byte slot per pair, where sorting the pairs (`radsort`, after a 32-byte read
/// of the customer's totals per pair to keep the flagged ones) made several. Each bucket's
/// distinct days are then counted: up to [`SMALL_BUCKET`] days by comparing each with those
/// before it, beyond by sorting.
fn count_disordered_days(accs: &mut [Acc], days: Vec<u64>) {
    const UNFLAGGED: u32 = u32::MAX;
    // Each flagged customer's next free place in `buckets` (its bucket's end after the pass).
    let mut next: Vec<u32> = Vec::with_capacity(accs.len());
    let mut total = 0usize;
    for a in accs.iter() {
        if a.purchase_days & DISORDERED == 0 {
            next.push(UNFLAGGED);
        } else {
            next.push(u32::try_from(total).unwrap_or(UNFLAGGED));
            total += a.orders as usize;
        }
    }
    if u32::try_from(total).is_err() {
        // Beyond 4G orders of flagged customers: sorted instead.
        return count_disordered_days_sorted(accs, days);
    }
    let mut buckets: Vec<Day> = vec![0; total];
    for &p in &days {
        let (c, day) = unpack_day(p);
        let Some(at) = next.get_mut(c as usize).filter(|at| **at != UNFLAGGED) else {
            continue;
        };
        if let Some(d) = buckets.get_mut(*at as usize) {
            *d = day;
            *at += 1;
        }
    }
    drop(days);
    for (a, &end) in accs.iter_mut().zip(&next) {
        if end == UNFLAGGED {
            continue;
        }
        let end = end as usize;
        let Some(b) = buckets
            .get_mut(end.saturating_sub(a.orders as usize)..end)
            .filter(|b| !b.is_empty())
        else {
            continue;
        };
        let distinct = if b.len() <= SMALL_BUCKET {
            // A few days: each compared with those before it (no sort to call).
            (0..b.len()).filter(|&i| !b[..i].contains(&b[i])).count()
        } else {
            b.sort_unstable();
            1 + b.windows(2).filter(|w| w[0] != w[1]).count()
        };
        a.purchase_days = u32::try_from(distinct).unwrap_or(u32::MAX);
    }
}

/// The bucket size up to which [`count_disordered_days`] counts distinct days by comparing
/// each with those before it.
const SMALL_BUCKET: usize = 12;

/// [`count_disordered_days`] by sorting the pairs.
fn count_disordered_days_sorted(accs: &mut [Acc], mut days: Vec<u64>) {
    days.retain(|&p| {
        accs.get(unpack_day(p).0 as usize)
            .is_some_and(|a| a.purchase_days & DISORDERED != 0)
    });
    radsort::sort(&mut days);
    days.dedup();
    for run in days.chunk_by(|x, y| x >> 32 == y >> 32) {
        if let Some(a) = accs.get_mut((run[0] >> 32) as usize) {
            a.purchase_days = u32::try_from(run.len()).unwrap_or(u32::MAX);
        }
    }
}

/// The ids of the summary's rows in natural id order: a column, or numbers whose text is
/// still to be written ([`IdText::into_column`]), so that writing it can run beside other
/// work.
enum IdText {
    Column(StrColumn),
    /// Member numbers: each row's id is its number (`rows`, given to `into_column`).
    Numbers {
        prefix: Box<[u8]>,
        width: usize,
    },
    Keys(KeyText, Vec<i64>),
    /// Hex ids' numbers, in the rows' order.
    Hex(HexForm, Vec<[u64; 2]>),
}

impl IdText {
    /// The column, for the rows `rows` of [`natural_rows`].
    fn into_column(self, rows: &[u32]) -> StrColumn {
        match self {
            Self::Column(c) => c,
            Self::Numbers { prefix, width } => {
                let mut c = StrColumn::with_capacity(rows.len(), rows.len() * width);
                let mut id = String::new();
                for &n in rows {
                    c.push(super::plain::write_padded(
                        &mut id,
                        &prefix,
                        width,
                        u64::from(n),
                    ));
                }
                c
            }
            Self::Keys(form, values) => form.write_column(&values),
            Self::Hex(form, keys) => form.write_column(&keys),
        }
    }
}

/// The rows of `ids` (of `n_rows` rows) in natural id order, and the ids in that order.
fn natural_rows(ids: Ids, n_rows: usize) -> (Vec<u32>, IdText) {
    match ids {
        Ids::Numbers {
            width,
            prefix,
            seen,
            ..
        } => {
            let rows: Vec<u32> = (0..n_rows)
                .filter(|&n| seen[n / 64] & (1 << (n % 64)) != 0)
                .map(|n| n as u32)
                .collect();
            (rows, IdText::Numbers { prefix, width })
        }
        Ids::Keyed {
            text: form, ids, ..
        } => {
            let mut buf = String::new();
            if ids.iter().all(|&v| v >= 0) {
                // Digits only, or one prefix and width of digits: natural order is by
                // value. The keys travel with their rows (no random reads while sorting),
                // and the texts are written in that order (no permutation after).
                let keyed: Vec<(i64, u32)> = ids
                    .iter()
                    .enumerate()
                    .map(|(r, &v)| (v, r as u32))
                    .collect();
                let (rows, values) =
                    sorted_apart(keyed, |h| radsort::sort_by_key(h, |&(v, _)| v), true);
                (rows, IdText::Keys(form, values))
            } else {
                let mut text = StrColumn::new();
                for &v in &ids {
                    text.push(form.write(v, &mut buf));
                }
                let by_id = natural_order(&text);
                let ids = text.permuted_on_two_cores(&by_id);
                (by_id, IdText::Column(ids))
            }
        }
        Ids::Hex { form, ids, .. } => {
            let (rows, keys) = hex_natural_rows(&form, &ids, true);
            (rows, IdText::Hex(form, keys))
        }
        Ids::Table(t) => {
            let by_id = natural_order(t.values());
            // On two cores: beside this, `finish` runs only its settle step, which is short
            // unless orders came out of day order.
            let ids = t.into_values().permuted_on_two_cores(&by_id);
            (by_id, IdText::Column(ids))
        }
    }
}

impl OrderSink for SummarySink {
    fn set_currency(&mut self, code: &str, location: &dyn Fn() -> Location) -> Result<()> {
        merge_currency(&mut self.currency, code, location)
    }

    fn push_order(
        &mut self,
        customer_id: &str,
        order_id: Option<&str>,
        placed_at: i64,
        day: Day,
        amount: Decimal,
        kind: OrderKind,
        status: OrderStatus,
        subscription_id: Option<&str>,
        location: &dyn Fn() -> Location,
    ) -> Result<Option<usize>> {
        if self.abandoned.get() {
            return Ok(Some(self.n_orders));
        }
        let n = self.n_orders;
        if register_order_id(&mut self.order_ids, n, order_id, self.reserve_hint)? {
            return Ok(None);
        }
        let c = self.customer(customer_id);
        let units = self.order_units(amount, location)?;
        self.order_scale.note(units);
        self.add_all_units(units);
        self.n_orders += 1;
        self.max_day = Some(self.max_day.map_or(day, |m| m.max(day)));
        let counted = status == OrderStatus::Completed && day <= self.as_of;
        if order_id.is_some() {
            self.order_customer
                .push(c | if counted { COUNTED } else { 0 });
            self.order_placed.push(placed_at);
        }
        if day <= self.as_of {
            let sub =
                kind == OrderKind::Subscription || subscription_id.is_some_and(|s| !s.is_empty());
            let op = match (counted, sub) {
                (false, _) => Op::Cancelled,
                (true, false) => Op::Order,
                (true, true) => Op::SubscriptionOrder,
            };
            self.stage(c, day, units, op);
        }
        Ok(Some(n))
    }

    fn find_order(&self, order_id: &str) -> Option<usize> {
        self.order_ids
            .as_ref()?
            .lookup(order_id)
            .map(|i| i as usize)
    }

    fn order_customer_is(&self, i: usize, customer_id: &str) -> bool {
        self.order_customer
            .get(i)
            .is_some_and(|&c| self.lookup(customer_id) == Some(c & !COUNTED))
    }

    fn order_time_is(&self, i: usize, placed_at: i64) -> bool {
        self.order_placed.get(i) == Some(&placed_at)
    }

    fn add_line(
        &mut self,
        i: usize,
        amount: Decimal,
        location: &dyn Fn() -> Location,
    ) -> Result<()> {
        if self.abandoned.get() {
            return Ok(());
        }
        let Some(&c) = self.order_customer.get(i) else {
            self.abandoned.set(true); // unreachable: every order with an id is kept
            return Ok(());
        };
        let u = self.order_units(amount, location)?;
        self.add_all_units(u);
        // The order's total is at most the sum of every order's units.
        self.order_scale.note(self.all_units);
        if c & COUNTED != 0 {
            self.stage(c & !COUNTED, 0, u, Op::Line);
        }
        Ok(())
    }

    fn push_refund(
        &mut self,
        customer_id: &str,
        _order_id: Option<&str>,
        day: Day,
        amount: Decimal,
        location: &dyn Fn() -> Location,
    ) -> Result<()> {
        if self.abandoned.get() {
            return Ok(());
        }
        let c = self.customer(customer_id);
        let (u, k) = self.refund_scale.units_of(amount.abs(), location)?;
        if k != 1 {
            self.flush(); // staged units are at the old scale
            for r in &mut self.rare.refunded {
                *r *= i128::from(k);
            }
            for p in &mut self.pending_refunds {
                p.2 *= k; // fits: the scale's overflow check covered every refund
            }
        }
        self.refund_scale.note(u);
        if self.as_of == Day::MAX {
            self.pending_refunds.push((c, day, u));
        } else if day <= self.as_of {
            self.stage(c, day, u, Op::Refund);
        }
        Ok(())
    }

    fn n_customers(&self) -> usize {
        match &self.ids {
            Ids::Numbers { count, .. } => *count,
            Ids::Keyed { ids, .. } => ids.len(),
            Ids::Hex { ids, .. } => ids.len(),
            Ids::Table(t) => t.len(),
        }
    }

    fn reserve(&mut self, n: usize) {
        self.reserve_hint = n;
    }

    fn abandoned(&self) -> bool {
        self.abandoned.get()
    }

    fn takes_plain(&self) -> bool {
        true
    }

    fn warm_customers(&self, ids: &mut dyn Iterator<Item = &str>) {
        match &self.ids {
            Ids::Table(t) => t.warm(ids),
            Ids::Hex { form, map, .. } => {
                map.warm(ids.filter_map(|s| form.key(s.as_bytes()).map(|(v, _)| v)));
            }
            _ => {}
        }
    }

    fn push_plain(&mut self, b: &PlainBatch) -> Result<Option<bool>> {
        let rows = b.rows;
        if self.abandoned.get() || rows == 0 {
            return Ok(None);
        }
        // The first order may be further lines of an order read before (an order's lines
        // split between batches): then it must have that order's customer (and time, under
        // `sum_lines`), as row by row, and it adds to that order (`joined`: its index).
        let joined = match (&b.orders, &self.order_ids) {
            (Some(run), Some(ids)) if b.join != Join::No => {
                let mut buf = String::new();
                match ids.lookup(run.id_at(0, &mut buf)) {
                    None => None,
                    Some(i) => {
                        let i = i as usize;
                        let Some(&oc) = self.order_customer.get(i) else {
                            return Ok(None);
                        };
                        let same_customer =
                            self.lookup(b.customers.id_at(0, &mut buf)) == Some(oc & !COUNTED);
                        let same_time =
                            b.join != Join::SameTime || self.order_placed.get(i) == b.secs.first();
                        // Ids of several widths come as text, which is not split here.
                        if !same_customer || !same_time || !run.same_width {
                            return Ok(None);
                        }
                        Some(i)
                    }
                }
            }
            _ => None,
        };
        let skip = usize::from(joined.is_some());
        // Checks first, so that declining changes nothing. Customers: member numbers of the
        // sink's pattern, below the density limit at the start (which only grows), index the
        // totals directly; any other ids go through the hash table.
        let direct = match (&self.ids, &b.customers) {
            (
                Ids::Numbers {
                    width,
                    prefix,
                    count,
                    ..
                },
                Customers::Numbered(ids),
            ) => {
                let limit = 4 * (*count as u64 + 1) + (1 << 22);
                (*width == 0 || (*width == ids.width && *prefix == ids.prefix)) && ids.max < limit
            }
            _ => false,
        };
        // Amounts at the sink's scale, grown to the batch's as row by row (declined when the
        // per-row path would refuse an amount: it names the row).
        let Some(grow) = self.order_scale.growth_to(b.scale) else {
            return Ok(None);
        };
        let k = 10_i64.pow(self.order_scale.scale().max(b.scale) - b.scale);
        let Some(max_units) = b.max_units.checked_mul(k) else {
            return Ok(None);
        };
        // Order ids: none repeating an id before or in the batch (but a joined first one), or
        // none at all.
        match (&b.orders, &mut self.order_ids) {
            (None, None) => {}
            (Some(_), None) if self.n_orders > 0 => return Ok(None),
            (None, Some(_)) => return Ok(None),
            (Some(run), ids) => {
                let ids = ids.get_or_insert_with(|| OrderIdSet::new(self.reserve_hint));
                let numbers = &run.numbers[skip..];
                let taken = if numbers.is_empty() {
                    true
                } else if !run.rising {
                    ids.extend_any(&run.prefix, run.width, numbers)
                } else if run.same_width {
                    ids.extend_numbers(&run.prefix, run.width, numbers)
                } else {
                    ids.extend_rising(&run.prefix, run.first, run.last, &run.text, &run.ends)
                };
                if !taken {
                    return Ok(None);
                }
            }
        }
        // Every row is now a new order, as `push_order` would take it.
        if grow != 1 {
            self.grow_sums(grow);
            self.order_scale.grow_to(b.scale);
        }
        let customer = self.plain_customers(&b.customers, direct);
        // The joined order's customer entry, read after `plain_customers`: leaving the
        // member-number mode re-points the rows.
        let joined = joined.and_then(|i| self.order_customer.get(i).copied());
        let as_of = self.as_of;
        let with_ids = b.orders.is_some();
        if with_ids {
            self.order_customer.reserve(rows);
            self.order_placed.extend_from_slice(&b.secs[skip..]);
        }
        let mut batch_units: i64 = 0;
        let mut overflow = false;
        for (i, &c) in customer.iter().enumerate() {
            let day = b.days[i];
            let f = b.flags[i];
            let units = b.units[i] * k;
            let (sum, o) = batch_units.overflowing_add(units);
            batch_units = sum;
            overflow |= o;
            if let (0, Some(oc)) = (i, joined) {
                if oc & COUNTED != 0 {
                    self.stage(oc & !COUNTED, 0, units, Op::Line);
                }
                continue;
            }
            let counted = f & CANCELLED == 0 && day <= as_of;
            if with_ids {
                self.order_customer
                    .push(c | if counted { COUNTED } else { 0 });
            }
            if day > as_of {
                continue;
            }
            let op = if f & CANCELLED != 0 {
                Op::Cancelled
            } else if f & SUBSCRIPTION != 0 {
                Op::SubscriptionOrder
            } else {
                Op::Order
            };
            self.staged.push(Staged {
                units,
                customer: c,
                day,
                op,
            });
            if self.staged.len() >= STAGE {
                self.flush();
            }
        }
        if overflow {
            self.abandoned.set(true);
        }
        self.add_all_units(batch_units);
        self.order_scale.note(max_units);
        if joined.is_some() || b.source_rows > rows {
            // An order's total is at most the sum of every order's units (as `add_line`).
            self.order_scale.note(self.all_units);
        }
        self.n_orders += rows - skip;
        // A joined order's time is its first line's, read before.
        let max_day = if skip == 0 {
            Some(b.max_day)
        } else {
            b.days[1..].iter().copied().max()
        };
        if let Some(d) = max_day {
            self.max_day = Some(self.max_day.map_or(d, |m| m.max(d)));
        }
        #[cfg(all(test, feature = "parquet"))]
        super::plain_tests::PLAIN_TAKEN.with(|c| c.set(c.get() + 1));
        Ok(Some(joined.is_some()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;

    use super::{
        Acc, DISORDERED, EMPTY_ACC, count_disordered_days, count_disordered_days_sorted, pack_day,
    };

    proptest! {
        /// Both ways of counting give each flagged customer its distinct days (counted here
        /// with a set), and leave the others as they were.
        #[test]
        fn disordered_days_are_counted_per_customer(
            orders in prop::collection::vec((0u32..40, -5i32..30), 0..400),
        ) {
            let n = orders.iter().map(|&(c, _)| c as usize + 1).max().unwrap_or(0);
            let mut accs: Vec<Acc> = vec![EMPTY_ACC; n];
            let mut days = Vec::new();
            let mut seen: BTreeMap<u32, BTreeSet<i32>> = BTreeMap::new();
            // As `SummarySink::flush` keeps them.
            for &(c, day) in &orders {
                let a = &mut accs[c as usize];
                days.push(pack_day(c, day));
                seen.entry(c).or_default().insert(day);
                if a.orders == 0 {
                    (a.first, a.last, a.purchase_days) = (day, day, 1);
                } else if day > a.last {
                    a.purchase_days += 1;
                    a.last = day;
                } else if day < a.last {
                    a.purchase_days |= DISORDERED;
                }
                a.orders += 1;
            }
            let before = accs.clone();
            let (mut bucketed, mut sorted) = (accs.clone(), accs);
            count_disordered_days(&mut bucketed, days.clone());
            count_disordered_days_sorted(&mut sorted, days);
            for (c, (b, s)) in bucketed.iter().zip(&sorted).enumerate() {
                let want = if before[c].purchase_days & DISORDERED == 0 {
                    before[c].purchase_days
                } else {
                    seen[&(c as u32)].len() as u32
                };
                prop_assert_eq!(b.purchase_days, want, "customer {}", c);
                prop_assert_eq!(s.purchase_days, want, "customer {}", c);
            }
        }
    }
}
