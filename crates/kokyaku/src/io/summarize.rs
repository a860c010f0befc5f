//! Customer summaries streamed straight from a file, without building the grouped
//! [`OrderLog`](crate::model::OrderLog).
//!
//! The per-customer summary needs, per customer, a handful of running totals. When every
//! customer's completed orders arrive in day order (exports are in time order, or grouped by
//! customer and sorted within) and the lines of an order sit together, those totals can be kept
//! as the rows stream by: no 10M-row columns, no sort. [`summarize_path`] does that, and when
//! the input breaks either condition it reads the file again through the grouped log. Both
//! routes go through the same [`Ingestor`] (every policy, rejection and count) and the same
//! per-customer arithmetic, so the result is the same; `streamed` says which ran.
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
use super::plain::{CANCELLED, Customers, PlainBatch, SUBSCRIPTION};

/// Ids whose hash-table slots are warmed at once.
const WARM: usize = 2048;
use crate::model::{
    Day, Interner, OrderIdSet, OrderKind, OrderStatus, StrColumn, UnitScale, date_to_day,
    member_number, merge_currency, natural_order, register_order_id,
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
    summarize_with(path, read, opts, |sink| {
        super::read_path_into(path, read, sink)
    })
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
    summarize_with(path, read, opts, |sink| {
        let f = std::fs::File::open(path).map_err(|source| crate::Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        super::parquet::parquet_file_into_batches(f, read, sink, batch_rows)
    })
}

/// Streams the file through `read_into`; reads it into the grouped log when the sink gives up.
fn summarize_with(
    path: &Path,
    read: &ReadOptions,
    opts: &SummaryOptions,
    read_into: impl FnOnce(SummarySink) -> Result<super::Ingestor<SummarySink>>,
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
    let ing = super::read_path(path, read)?;
    Ok(SummarizedLog {
        summaries: summarize(&ing.log, opts),
        report: ing.report,
        streamed: false,
    })
}

/// One customer's running totals for every order (32 bytes: two customers a cache line).
/// Refunds and cancelled orders, rarer, have their own columns, made when first needed.
#[derive(Debug, Clone, Copy)]
struct Acc {
    /// Completed orders on or before as-of, in units of the order scale. A sum beyond `i64`
    /// makes the sink give up (the grouped log sums in `i128`).
    gross: i64,
    first: Day,
    last: Day,
    last_sub: Day,
    orders: u32,
    purchase_days: u32,
    sub_orders: u32,
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
    /// Any other ids: rows in first-seen order through a hash table.
    Table(Interner),
}

/// The id of member number `n`: `prefix` and `n` zero-padded to `digits`, written into `buf`.
fn number_id<'a>(buf: &'a mut String, prefix: &str, n: usize, digits: usize) -> &'a str {
    buf.clear();
    buf.push_str(prefix);
    std::fmt::Write::write_fmt(buf, format_args!("{n:0digits$}")).ok();
    buf
}

/// The order read last: the only one a later line may join while streaming.
#[derive(Debug, Clone, Copy)]
struct LastOrder {
    index: usize,
    customer: u32,
    /// Completed and on or before as-of: its lines add to the customer's gross.
    counted: bool,
    /// The order's total so far (for the overflow check of a further line).
    units: i64,
    /// Placement time, Unix seconds (a further line must share it under `sum_lines`); `None`
    /// after a plain batch, which keeps days only.
    placed_at: Option<i64>,
}

/// An [`OrderSink`] that keeps per-customer running totals instead of the orders.
#[derive(Debug)]
pub(crate) struct SummarySink {
    /// Orders after this day do not count (`Day::MAX` without an as-of date).
    as_of: Day,
    currency: Option<String>,
    ids: Ids,
    accs: Vec<Acc>,
    rare: Rare,
    order_ids: Option<OrderIdSet>,
    n_orders: usize,
    reserve_hint: usize,
    order_scale: UnitScale,
    refund_scale: UnitScale,
    last: Option<LastOrder>,
    max_day: Option<Day>,
    staged: Vec<Staged>,
    /// Without an as-of date, refunds wait for it (the day after the last order, known at
    /// the end): customer, day, units.
    pending_refunds: Vec<(u32, Day, i64)>,
    abandoned: Cell<bool>,
}

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
            accs: Vec::new(),
            rare: Rare::default(),
            order_ids: None,
            n_orders: 0,
            reserve_hint: 0,
            order_scale: UnitScale::default(),
            refund_scale: UnitScale::default(),
            last: None,
            max_day: None,
            staged: Vec::with_capacity(STAGE),
            pending_refunds: Vec::new(),
            abandoned: Cell::new(false),
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
            self.numbers_to_table();
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

    /// Leaves the member-number mode: the rows seen so far move, in number order, behind a
    /// hash table.
    fn numbers_to_table(&mut self) {
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
        table.reserve(*count, *width);
        let mut accs = Vec::with_capacity(*count);
        let mut rare = Rare::default();
        let digits = width - prefix.len();
        let prefix = String::from_utf8_lossy(prefix).into_owned();
        let mut id = String::new();
        for (n, a) in self.accs.iter().enumerate() {
            if seen[n / 64] & (1 << (n % 64)) != 0 {
                let row = table.intern(number_id(&mut id, &prefix, n, digits)) as usize;
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
        // Re-point the order a later line may join.
        if let Some(l) = &mut self.last {
            let n = l.customer as usize;
            l.customer = table
                .lookup(number_id(&mut id, &prefix, n, digits))
                .unwrap_or(0);
        }
        self.pending_refunds.iter_mut().for_each(|r| {
            let n = r.0 as usize;
            r.0 = table
                .lookup(number_id(&mut id, &prefix, n, digits))
                .unwrap_or(0);
        });
        self.accs = accs;
        self.ids = Ids::Table(table);
    }

    /// The rows of a plain batch's customers, adding the new ones: straight from the member
    /// numbers when `direct`, else through the hash table (leaving the member-number mode, as
    /// the first other id does row by row; the rows' order does not show in the result, which
    /// is in natural id order).
    fn plain_customers(&mut self, customers: &Customers, direct: bool) -> Vec<u32> {
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
            self.numbers_to_table();
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
            Customers::Text { text, ends, hashes } => {
                let mut out = Vec::with_capacity(ends.len());
                let mut start = 0;
                for (k, chunk) in hashes.chunks(WARM).enumerate() {
                    t.warm_hashed(chunk);
                    for (j, &h) in chunk.iter().enumerate() {
                        let end = ends[k * WARM + j] as usize;
                        let (i, new) = t.intern_hashed(h, text.get(start..end).unwrap_or(""));
                        out.push(add(i, new));
                        start = end;
                    }
                }
                out
            }
            Customers::Numbered(ids) => {
                let digits = ids.width - ids.prefix.len();
                let prefix = String::from_utf8_lossy(&ids.prefix).into_owned();
                let mut id = String::new();
                ids.numbers
                    .iter()
                    .map(|&n| {
                        let (i, new) =
                            t.intern_new(number_id(&mut id, &prefix, n as usize, digits));
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
    fn flush(&mut self) {
        let accs = &mut self.accs;
        let rare = &mut self.rare;
        let mut out_of_order = false;
        let mut overflow = false;
        for st in &self.staged {
            let a = &mut accs[st.customer as usize];
            let day = st.day;
            match st.op {
                Op::Order | Op::SubscriptionOrder => {
                    // A customer's completed orders out of day order: distinct purchase days
                    // need the grouped, sorted log.
                    out_of_order |= a.orders > 0 && day < a.last;
                    if a.orders == 0 {
                        a.first = day;
                        a.purchase_days = 1;
                    } else if a.last != day {
                        a.purchase_days += 1;
                    }
                    a.orders += 1;
                    a.last = day;
                    let (g, o) = a.gross.overflowing_add(st.units);
                    a.gross = g;
                    overflow |= o;
                    if st.op == Op::SubscriptionOrder {
                        a.sub_orders += 1;
                        a.last_sub = day;
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
        if out_of_order || overflow {
            self.abandoned.set(true);
        }
    }

    /// Order units of `amount`, multiplying the stored sums when the scale grows.
    fn order_units(&mut self, amount: Decimal, location: &dyn Fn() -> Location) -> Result<i64> {
        let (u, k) = self.order_scale.units_of(amount, location)?;
        if k != 1 {
            self.flush(); // staged units are at the old scale
            for a in &mut self.accs {
                match a.gross.checked_mul(k) {
                    Some(g) => a.gross = g,
                    None => self.abandoned.set(true), // beyond i64: the grouped log sums it
                }
            }
            if let Some(l) = &mut self.last {
                l.units *= k; // fits: the scale's overflow check covered every stored total
            }
        }
        Ok(u)
    }

    /// The summaries, in natural customer order.
    pub(crate) fn finish(mut self, opts: &SummaryOptions) -> CustomerSummaries {
        self.flush();
        let as_of = match opts.as_of {
            Some(d) => date_to_day(d),
            None => self.max_day.map_or(0, |d| d + 1),
        };
        for &(c, day, u) in &self.pending_refunds {
            if day <= as_of {
                *slot(&mut self.rare.refunded, c as usize) += i128::from(u);
            }
        }
        // The rows in natural id order, and the ids.
        let (by_id, ids): (Vec<u32>, StrColumn) = match self.ids {
            Ids::Numbers {
                width,
                prefix,
                seen,
                ..
            } => {
                let digits = width - prefix.len();
                let prefix = String::from_utf8_lossy(&prefix).into_owned();
                let mut ids = StrColumn::new();
                let mut id = String::new();
                let rows: Vec<u32> = (0..self.accs.len())
                    .filter(|&n| seen[n / 64] & (1 << (n % 64)) != 0)
                    .map(|n| n as u32)
                    .collect();
                for &n in &rows {
                    ids.push(number_id(&mut id, &prefix, n as usize, digits));
                }
                (rows, ids)
            }
            Ids::Table(t) => {
                let by_id = natural_order(t.values());
                (by_id.clone(), t.into_values().permuted(&by_id))
            }
        };
        let mut out = SummaryBuilder::new(
            std::sync::Arc::new(ids),
            as_of,
            self.order_scale.scale(),
            self.refund_scale.scale(),
            opts,
        );
        for &c in &by_id {
            let a = &self.accs[c as usize];
            let t = Totals {
                first: (a.orders > 0).then_some(a.first),
                last: (a.orders > 0).then_some(a.last),
                orders: a.orders,
                purchase_days: a.purchase_days,
                subscription_orders: a.sub_orders,
                cancelled: self.rare.cancelled.get(c as usize).copied().unwrap_or(0),
                gross: i128::from(a.gross),
                refunded: self.rare.refunded.get(c as usize).copied().unwrap_or(0),
                last_sub_day: (a.sub_orders > 0).then_some(a.last_sub),
            };
            out.push(&t, None);
        }
        out.finish()
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
        self.n_orders += 1;
        self.max_day = Some(self.max_day.map_or(day, |m| m.max(day)));
        let counted = status == OrderStatus::Completed && day <= self.as_of;
        self.last = Some(LastOrder {
            index: n,
            customer: c,
            counted,
            units,
            placed_at: Some(placed_at),
        });
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
        let i = self.order_ids.as_ref()?.lookup(order_id)? as usize;
        if self.last.is_none_or(|l| l.index != i) {
            // A line of an order read before the last one: the totals cannot take it.
            self.abandoned.set(true);
        }
        Some(i)
    }

    fn order_customer_is(&self, i: usize, customer_id: &str) -> bool {
        match self.last {
            Some(l) if l.index == i => self.lookup(customer_id) == Some(l.customer),
            _ => true, // abandoned (see `find_order`): the answer is not used
        }
    }

    fn order_time_is(&self, i: usize, placed_at: i64) -> bool {
        match self.last {
            Some(l) if l.index == i => l.placed_at.map_or_else(
                || {
                    // A line of the last order of a plain batch: its time is not known here,
                    // the grouped log answers instead.
                    self.abandoned.set(true);
                    true
                },
                |t| t == placed_at,
            ),
            _ => true, // abandoned (see `find_order`): the answer is not used
        }
    }

    fn add_line(
        &mut self,
        i: usize,
        amount: Decimal,
        location: &dyn Fn() -> Location,
    ) -> Result<()> {
        if self.abandoned.get() || self.last.is_none_or(|l| l.index != i) {
            self.abandoned.set(true);
            return Ok(());
        }
        let u = self.order_units(amount, location)?;
        let Some(l) = self.last.as_mut() else {
            return Ok(());
        };
        l.units = l
            .units
            .checked_add(u)
            .ok_or_else(|| crate::Error::InvalidValue {
                value: amount.to_string(),
                location: location(),
                reason: "order total overflows".into(),
            })?;
        let (c, counted, total) = (l.customer, l.counted, l.units);
        self.order_scale.note(total);
        if counted {
            self.stage(c, 0, u, Op::Line);
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
        if let Ids::Table(t) = &self.ids {
            t.warm(ids);
        }
    }

    fn push_plain(&mut self, b: &PlainBatch) -> Result<bool> {
        let rows = b.rows;
        if self.abandoned.get() || rows == 0 {
            return Ok(false);
        }
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
            return Ok(false);
        };
        let k = 10_i64.pow(self.order_scale.scale().max(b.scale) - b.scale);
        let Some(max_units) = b.max_units.checked_mul(k) else {
            return Ok(false);
        };
        // Order ids: rising past the last one (so none repeats), or none at all.
        match (&b.orders, &mut self.order_ids) {
            (None, None) => {}
            (Some(_), None) if self.n_orders > 0 => return Ok(false),
            (None, Some(_)) => return Ok(false),
            (Some(run), ids) => {
                let ids = ids.get_or_insert_with(|| OrderIdSet::new(self.reserve_hint));
                let taken = if run.same_width {
                    ids.extend_numbers(&run.prefix, run.width, &run.numbers)
                } else {
                    ids.extend_rising(&run.prefix, run.first, run.last, &run.text, &run.ends)
                };
                if !taken {
                    return Ok(false);
                }
            }
        }
        // Every row is now a new order, as `push_order` would take it.
        if grow != 1 {
            self.flush(); // staged units are at the old scale
            for a in &mut self.accs {
                match a.gross.checked_mul(grow) {
                    Some(g) => a.gross = g,
                    None => self.abandoned.set(true), // beyond i64: the grouped log sums it
                }
            }
            if let Some(l) = &mut self.last {
                l.units *= grow; // fits: `growth_to` checked every stored total
            }
            self.order_scale.grow_to(b.scale);
        }
        let customer = self.plain_customers(&b.customers, direct);
        let as_of = self.as_of;
        for (i, &c) in customer.iter().enumerate() {
            let day = b.days[i];
            if day > as_of {
                continue;
            }
            let f = b.flags[i];
            let op = if f & CANCELLED != 0 {
                Op::Cancelled
            } else if f & SUBSCRIPTION != 0 {
                Op::SubscriptionOrder
            } else {
                Op::Order
            };
            self.staged.push(Staged {
                units: b.units[i] * k,
                customer: c,
                day,
                op,
            });
            if self.staged.len() >= STAGE {
                self.flush();
            }
        }
        self.order_scale.note(max_units);
        self.n_orders += rows;
        self.max_day = Some(self.max_day.map_or(b.max_day, |m| m.max(b.max_day)));
        let last = rows - 1;
        self.last = Some(LastOrder {
            index: self.n_orders - 1,
            customer: customer[last],
            counted: b.flags[last] & CANCELLED == 0 && b.days[last] <= as_of,
            units: b.units[last] * k,
            placed_at: None,
        });
        #[cfg(all(test, feature = "parquet"))]
        super::plain_tests::PLAIN_TAKEN.with(|c| c.set(c.get() + 1));
        Ok(true)
    }
}
