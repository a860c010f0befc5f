//! Calibration data: one row per customer with `x`, `t_x`, `T` (and optionally the average
//! repeat-order value and a weight), in an explicit time unit.

use hashbrown::HashMap;

use crate::{Error, Location, Result};

/// The unit of `t_x`, `T` and every prediction horizon.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    /// Calendar days.
    Days,
    /// Weeks of 7 days (the unit of the CDNOW papers).
    #[default]
    Weeks,
    /// Months of 365.25 / 12 = 30.4375 days.
    Months,
}

impl TimeUnit {
    /// Length of one unit in days.
    #[must_use]
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Days => 1.0,
            TimeUnit::Weeks => 7.0,
            TimeUnit::Months => 365.25 / 12.0,
        }
    }
    /// The lowercase name (`days`, `weeks`, `months`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Days => "days",
            TimeUnit::Weeks => "weeks",
            TimeUnit::Months => "months",
        }
    }
    /// Parse `days`, `weeks` or `months` (also `d`, `w`, `m`, singular forms).
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "d" | "day" | "days" => Ok(TimeUnit::Days),
            "w" | "week" | "weeks" => Ok(TimeUnit::Weeks),
            "m" | "month" | "months" => Ok(TimeUnit::Months),
            _ => Err(Error::option("time_unit", s, "use days, weeks or months")),
        }
    }
}

/// Per-customer calibration data of the buy-till-you-die models (columnar).
///
/// For the continuous-time models `x` is the number of repeat purchases (purchase days after the
/// first), `t_x` the time of the last purchase since the first and `t` (the papers' `T`) the
/// time from the first purchase to the end of calibration, all in [`Self::time_unit`]. For BG/BB
/// `t_x` and `t` are counts of transaction opportunities (`t` = the papers' `n`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CalibrationData {
    /// Unit of `t_x` and `t`.
    pub time_unit: TimeUnit,
    /// Repeat purchases `x` (>= 0).
    pub x: Vec<f64>,
    /// Time of the last purchase `t_x` (`0 <= t_x <= T`; 0 when `x = 0`).
    pub t_x: Vec<f64>,
    /// Age `T` at the end of calibration.
    pub t: Vec<f64>,
    /// Mean value of the repeat purchases (the Gamma-Gamma `z̄`), if known.
    pub monetary: Option<Vec<f64>>,
    /// Number of customers each row stands for (default 1).
    pub weights: Option<Vec<f64>>,
}

pub(crate) fn bad(value: f64, row: usize, column: &str, reason: &str) -> Error {
    Error::InvalidValue {
        value: value.to_string(),
        location: Location::cell(row as u64 + 1, column),
        reason: reason.to_owned(),
    }
}

fn check_len(got: usize, want: usize, column: &str) -> Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(Error::InvalidValue {
            value: got.to_string(),
            location: Location::column(column),
            reason: format!("column has {got} values but x has {want}"),
        })
    }
}

/// The `x` column's check of [`CalibrationData::new`] alone (for fits that read only `x`).
pub(crate) fn check_x(x: &[f64]) -> Result<()> {
    // A branch-free pass (it vectorises) first; the offending row is looked for only on failure.
    let valid = |xi: f64| xi.is_finite() && xi >= 0.0;
    if x.iter().fold(true, |ok, &xi| ok & valid(xi)) {
        return Ok(());
    }
    match x.iter().position(|&xi| !valid(xi)) {
        Some(i) => Err(bad(
            x[i],
            i,
            "x",
            "repeat purchases must be a finite number >= 0",
        )),
        None => Ok(()),
    }
}

/// The check of [`CalibrationData::with_monetary`].
pub(crate) fn check_monetary(x: &[f64], monetary: &[f64]) -> Result<()> {
    check_len(monetary.len(), x.len(), "monetary")?;
    let valid = |xi: f64, m: f64| (xi <= 0.0) | (m.is_finite() && m > 0.0);
    if x.iter()
        .zip(monetary)
        .fold(true, |ok, (&xi, &m)| ok & valid(xi, m))
    {
        return Ok(());
    }
    for (i, &m) in monetary.iter().enumerate() {
        if x[i] > 0.0 && !(m.is_finite() && m > 0.0) {
            return Err(bad(
                m,
                i,
                "monetary",
                "mean repeat-purchase value must be > 0 for customers with x > 0",
            ));
        }
    }
    Ok(())
}

/// The check of [`CalibrationData::with_weights`].
pub(crate) fn check_weights(weights: &[f64], rows: usize) -> Result<()> {
    check_len(weights.len(), rows, "weights")?;
    for (i, &w) in weights.iter().enumerate() {
        if !(w.is_finite() && w >= 0.0) {
            return Err(bad(w, i, "weights", "weights must be finite and >= 0"));
        }
    }
    Ok(())
}

/// The error of a Gamma-Gamma fit without the `monetary` column.
pub(crate) fn missing_monetary() -> Error {
    Error::MissingColumn {
        column: "monetary_value".into(),
        hint: "Gamma-Gamma needs the mean repeat-purchase value (monetary_value or zbar)".into(),
    }
}

impl CalibrationData {
    /// Validate and build. Errors name the first offending row (1-based) and column.
    pub fn new(x: Vec<f64>, t_x: Vec<f64>, t: Vec<f64>, time_unit: TimeUnit) -> Result<Self> {
        check_len(t_x.len(), x.len(), "t_x")?;
        check_len(t.len(), x.len(), "T")?;
        for i in 0..x.len() {
            let (xi, ri, ti) = (x[i], t_x[i], t[i]);
            if !(xi.is_finite() && xi >= 0.0) {
                return Err(bad(
                    xi,
                    i,
                    "x",
                    "repeat purchases must be a finite number >= 0",
                ));
            }
            if !(ti.is_finite() && ti >= 0.0) {
                return Err(bad(ti, i, "T", "age must be a finite number >= 0"));
            }
            if !(ri.is_finite() && ri >= 0.0 && ri <= ti) {
                return Err(bad(ri, i, "t_x", "recency must satisfy 0 <= t_x <= T"));
            }
        }
        // Normalise -0.0 to 0.0 so that equal rows have equal bits.
        let norm = |v: Vec<f64>| v.into_iter().map(|a| a + 0.0).collect::<Vec<_>>();
        Ok(Self {
            time_unit,
            x: norm(x),
            t_x: norm(t_x),
            t: norm(t),
            monetary: None,
            weights: None,
        })
    }

    /// Attach the mean repeat-purchase value (must be > 0 where x > 0; ignored where x = 0).
    pub fn with_monetary(mut self, monetary: Vec<f64>) -> Result<Self> {
        check_monetary(&self.x, &monetary)?;
        self.monetary = Some(monetary);
        Ok(self)
    }

    /// Attach row weights (finite, >= 0).
    pub fn with_weights(mut self, weights: Vec<f64>) -> Result<Self> {
        check_weights(&weights, self.x.len())?;
        self.weights = Some(weights);
        Ok(self)
    }

    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// True when there are no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Weight of row `i` (1 without weights).
    #[must_use]
    pub fn weight(&self, i: usize) -> f64 {
        self.weights.as_ref().map_or(1.0, |w| w[i])
    }

    /// Total weight: the number of customers the rows stand for.
    #[must_use]
    pub fn n_customers(&self) -> f64 {
        self.weights
            .as_ref()
            .map_or(self.x.len() as f64, |w| w.iter().sum())
    }

    /// Identical `(x, t_x, T)` rows merged, weights summed, rows of weight 0 dropped; sorted by
    /// `(x, t_x, T)`. A fit costs O(distinct rows).
    #[must_use]
    pub fn collapse(&self) -> Collapsed {
        let g = self.grouped();
        let mut out = Collapsed::default();
        let mut rows: Vec<usize> = Vec::new();
        for (k, &x) in g.x.iter().enumerate() {
            rows.clear();
            rows.extend(g.start[k]..g.start[k + 1]);
            // Grid indices order like the times; the pairs are distinct within a group.
            rows.sort_unstable_by_key(|&i| (g.i_tx[i], g.i_t[i]));
            for &i in &rows {
                out.x.push(x);
                out.t_x.push(g.grid[g.i_tx[i] as usize]);
                out.t.push(g.grid[g.i_t[i] as usize]);
                out.weight.push(g.weight[i]);
            }
        }
        out
    }

    /// The distinct `(x, t_x, T)` rows grouped by `x` (ascending; rows within a group in order
    /// of first appearance), with `t_x` and `T` as indices into one sorted grid of the distinct
    /// times: what the BG/NBD-family likelihoods iterate over. Weights of equal rows are summed
    /// in row order, so the result is deterministic.
    pub(crate) fn grouped(&self) -> Grouped {
        self.grouped_by(true)
    }

    /// [`Self::grouped`], merging through the grid-cell table when `table` allows and it pays,
    /// else by sorting.
    fn grouped_by(&self, table: bool) -> Grouped {
        let rows: Vec<usize> = (0..self.len()).filter(|&i| self.weight(i) != 0.0).collect();
        let (xs, cx) = rank_encode(&[&self.x], &rows);
        let (grid, ct) = rank_encode(&[&self.t_x, &self.t], &rows);
        let (cx, ctx, ct) = (&cx[0], &ct[0], &ct[1]);
        let ng = grid.len();
        let mut g = Grouped {
            grid,
            ..Grouped::default()
        };
        // Each row as its grid cell `t_x · ng + T` and weight, scattered into x order (a
        // counting sort: one sequential write stream per distinct x), so the merge below reads
        // sequentially.
        // A direct table of grid cells pays while it is small next to the rows; else sort.
        let n_cells = ng
            .checked_mul(ng)
            .filter(|&c| table && c <= 1 << 21 && c <= 4 * rows.len())
            .unwrap_or(0);
        if n_cells == 0 {
            let sorted = merge_sort(&[cx, ctx, ct], &[xs.len(), ng, ng]);
            let mut last_x = None;
            for run in sorted.chunk_by(|a, b| a.0 == b.0) {
                let first = run[0].1 as usize;
                let code = cx[first];
                if last_x != Some(code) {
                    last_x = Some(code);
                    g.x.push(xs[code as usize]);
                    g.start.push(g.weight.len());
                    g.group_weight.push(0.0);
                }
                let w: f64 = run
                    .iter()
                    .map(|&(_, i)| self.weight(rows[i as usize]))
                    .sum();
                g.i_tx.push(ctx[first]);
                g.i_t.push(ct[first]);
                g.weight.push(w);
                if let Some(gw) = g.group_weight.last_mut() {
                    *gw += w;
                }
            }
            g.start.push(g.weight.len());
            return g;
        }
        let mut at = vec![0usize; xs.len() + 1];
        for &c in cx {
            at[c as usize + 1] += 1;
        }
        for k in 1..at.len() {
            at[k] += at[k - 1];
        }
        let bounds = at.clone();
        let (mut cell, mut weight) = (vec![0usize; rows.len()], vec![0.0; rows.len()]);
        for (j, &c) in cx.iter().enumerate() {
            let d = &mut at[c as usize];
            cell[*d] = ctx[j] as usize * ng + ct[j] as usize;
            weight[*d] = self.weight(rows[j]);
            *d += 1;
        }
        // Per cell: 1 + the latest distinct row that has it (0: none); it belongs to the current
        // x group when it is at or after the group's first distinct row.
        let mut table = vec![0u32; n_cells];
        for (k, win) in bounds.windows(2).enumerate() {
            if win[0] == win[1] {
                continue;
            }
            g.x.push(xs[k]);
            let first = g.weight.len();
            g.start.push(first);
            let mut gw = 0.0;
            for (&c, &w) in cell[win[0]..win[1]].iter().zip(&weight[win[0]..win[1]]) {
                gw += w;
                let next = g.weight.len() as u32;
                let e = &mut table[c];
                if *e as usize > first {
                    g.weight[*e as usize - 1] += w;
                } else {
                    *e = next + 1;
                    g.i_tx.push((c / ng) as u32);
                    g.i_t.push((c % ng) as u32);
                    g.weight.push(w);
                }
            }
            g.group_weight.push(gw);
        }
        g.start.push(g.weight.len());
        g
    }

    /// The repeat buyers' `(x, z̄)` pairs merged into weights, for Gamma-Gamma.
    pub fn collapse_monetary(&self) -> Result<Collapsed> {
        let (rows, m) = self.repeat_rows()?;
        let (xs, cx) = rank_encode(&[&self.x], &rows);
        let (ms, cm) = rank_encode(&[m], &rows);
        let sorted = merge_sort(&[&cx[0], &cm[0]], &[xs.len(), ms.len()]);
        let mut out = Collapsed::default();
        for run in sorted.chunk_by(|a, b| a.0 == b.0) {
            let first = run[0].1 as usize;
            out.x.push(xs[cx[0][first] as usize]);
            out.t_x.push(ms[cm[0][first] as usize]);
            out.t.push(0.0);
            out.weight.push(
                run.iter()
                    .map(|&(_, i)| self.weight(rows[i as usize]))
                    .sum(),
            );
        }
        Ok(out)
    }

    /// Indices of the rows with `x > 0` and positive weight, checked to have a valid `z̄`.
    pub(crate) fn repeat_rows(&self) -> Result<(Vec<usize>, &[f64])> {
        let m = self.monetary.as_ref().ok_or_else(missing_monetary)?;
        // Branch-free selection: about half the rows qualify, in no order a predictor learns.
        let mut rows = vec![0usize; self.len()];
        let mut k = 0;
        for i in 0..self.len() {
            rows[k] = i;
            k += usize::from(self.x[i] > 0.0 && self.weight(i) != 0.0);
        }
        rows.truncate(k);
        if let Some(&i) = rows.iter().find(|&&i| !(m[i].is_finite() && m[i] > 0.0)) {
            return Err(bad(
                m[i],
                i,
                "monetary",
                "mean repeat-purchase value must be > 0 for customers with x > 0 (Gamma-Gamma)",
            ));
        }
        Ok((rows, m))
    }
}

/// Rank-encode the values of `rows` in one or more columns over one shared dictionary: returns
/// the distinct values sorted, and for each column the rank of each listed row's value. Equal
/// means equal bits (values are finite and `-0.0` was normalised).
pub(crate) fn rank_encode(cols: &[&[f64]], rows: &[usize]) -> (Vec<f64>, Vec<Vec<u32>>) {
    let mut enc = RankEncoder::new();
    let mut codes: Vec<Vec<u32>> = cols
        .iter()
        .map(|col| rows.iter().map(|&i| enc.code(col[i])).collect())
        .collect();
    let values = enc.finish(codes.iter_mut().map(Vec::as_mut_slice));
    (values, codes)
}

/// The dictionary behind [`rank_encode`], fed one value at a time (so a caller can encode while
/// it selects rows): [`Self::code`] numbers values in order of first sight, [`Self::finish`]
/// turns those numbers into ranks and returns the distinct values sorted.
pub(crate) struct RankEncoder {
    map: HashMap<u64, u32, foldhash::fast::FixedState>,
    values: Vec<f64>,
    /// A direct-mapped cache of recent values in front of the map (columns hold few distinct
    /// values, repeated in no particular order). The all-ones pattern is a NaN: never a value.
    cache: Vec<(u64, u32)>,
    /// The codes of the whole numbers `0..SMALL` (purchase counts), `u32::MAX` until seen:
    /// indexed directly, without the hash.
    small: Vec<u32>,
}

impl RankEncoder {
    const CACHE_BITS: u32 = 12;
    const SMALL: usize = 1 << 10;

    pub(crate) fn new() -> Self {
        Self {
            map: HashMap::with_hasher(foldhash::fast::FixedState::default()),
            values: Vec::new(),
            cache: vec![(u64::MAX, 0u32); 1 << Self::CACHE_BITS],
            small: vec![u32::MAX; Self::SMALL],
        }
    }

    /// The provisional code of `v` (its number in order of first sight).
    #[inline]
    pub(crate) fn code(&mut self, v: f64) -> u32 {
        let bits = v.to_bits();
        // A whole number below `SMALL` (the same bits as its integer's float: not -0.0).
        let n = v as usize;
        if n < Self::SMALL && (n as f64).to_bits() == bits {
            let c = self.small[n];
            if c != u32::MAX {
                return c;
            }
            self.values.push(v);
            let c = (self.values.len() - 1) as u32;
            self.small[n] = c;
            return c;
        }
        let slot = (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - Self::CACHE_BITS)) as usize;
        if self.cache[slot].0 == bits {
            return self.cache[slot].1;
        }
        let values = &mut self.values;
        let c = *self.map.entry(bits).or_insert_with(|| {
            values.push(v);
            (values.len() - 1) as u32
        });
        self.cache[slot] = (bits, c);
        c
    }

    /// Rewrites the provisional codes in `codes` as ranks; the distinct values, ascending.
    pub(crate) fn finish<'a>(self, codes: impl IntoIterator<Item = &'a mut [u32]>) -> Vec<f64> {
        let values = self.values;
        let mut order: Vec<u32> = (0..values.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| values[a as usize].total_cmp(&values[b as usize]));
        let mut rank = vec![0u32; values.len()];
        for (r, &c) in order.iter().enumerate() {
            rank[c as usize] = r as u32;
        }
        for out in codes {
            for c in out.iter_mut() {
                *c = rank[*c as usize];
            }
        }
        order.iter().map(|&c| values[c as usize]).collect()
    }
}

/// `(key, position)` for every position of the code columns, sorted by the code tuple (`key`
/// numbers the distinct tuples in order) and by position within equal tuples, so that weights
/// summed over a run of equal keys add in row order (deterministic).
fn merge_sort(codes: &[&[u32]], sizes: &[usize]) -> Vec<(u64, u32)> {
    let n = codes.first().map_or(0, |c| c.len());
    // One integer key per row: the mixed-radix number of its codes.
    let key_space = sizes
        .iter()
        .try_fold(1u64, |acc, &s| acc.checked_mul(s.max(1) as u64));
    let row_bits = u64::BITS - (n as u64).leading_zeros();
    let key = |i: usize| {
        codes
            .iter()
            .zip(sizes)
            .fold(0u64, |acc, (c, &s)| acc * s.max(1) as u64 + u64::from(c[i]))
    };
    match key_space {
        Some(space) if u64::BITS - space.leading_zeros() + row_bits <= 64 => {
            // Key in the high bits, row in the low bits: a radix sort of plain integers.
            let mut packed: Vec<u64> = (0..n).map(|i| (key(i) << row_bits) | i as u64).collect();
            radsort::sort(&mut packed);
            let mask = (1u64 << row_bits) - 1;
            packed
                .into_iter()
                .map(|v| (v >> row_bits, (v & mask) as u32))
                .collect()
        }
        _ => {
            // Too many distinct values for one integer: compare the code tuples.
            let mut rows: Vec<u32> = (0..n as u32).collect();
            rows.sort_by(|&a, &b| {
                codes
                    .iter()
                    .map(|c| c[a as usize].cmp(&c[b as usize]))
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            let mut k = 0u64;
            let mut out = Vec::with_capacity(n);
            for (j, &r) in rows.iter().enumerate() {
                if j > 0
                    && codes
                        .iter()
                        .any(|c| c[r as usize] != c[rows[j - 1] as usize])
                {
                    k += 1;
                }
                out.push((k, r));
            }
            out
        }
    }
}

/// Distinct rows with their summed weights (see [`CalibrationData::collapse`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Collapsed {
    /// First key (x).
    pub x: Vec<f64>,
    /// Second key (`t_x`, or `z̄` for Gamma-Gamma).
    pub t_x: Vec<f64>,
    /// Third key (T).
    pub t: Vec<f64>,
    /// Summed weights.
    pub weight: Vec<f64>,
}

impl Collapsed {
    /// Every `k`-th row with its weight multiplied by `k`: a systematic subsample for warm starts.
    pub(crate) fn stride(&self, k: usize) -> Collapsed {
        let k = k.max(1);
        let pick = |v: &[f64]| v.iter().step_by(k).copied().collect::<Vec<_>>();
        Collapsed {
            x: pick(&self.x),
            t_x: pick(&self.t_x),
            t: pick(&self.t),
            weight: self
                .weight
                .iter()
                .step_by(k)
                .map(|w| w * k as f64)
                .collect(),
        }
    }

    /// Number of distinct rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.x.len()
    }
    /// True when empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }
    /// Total weight.
    #[must_use]
    pub fn total_weight(&self) -> f64 {
        self.weight.iter().sum()
    }
}

/// Collapsed rows grouped by `x` (rows of one `x` are contiguous after collapsing), with the
/// time values `t_x` and `T` mapped onto one sorted grid of distinct values. A likelihood pass then
/// evaluates the special functions of `x` once per distinct `x` and `ln(α + t)` once per distinct
/// time, leaving a few arithmetic operations per row.
#[derive(Debug, Clone, Default)]
pub(crate) struct Grouped {
    /// Distinct `x` values.
    pub x: Vec<f64>,
    /// Rows of group `g` are `start[g]..start[g + 1]`.
    pub start: Vec<usize>,
    /// Sum of weights per group.
    pub group_weight: Vec<f64>,
    /// Distinct time values of `t_x` and `T`, sorted.
    pub grid: Vec<f64>,
    /// Grid index of each row's `t_x`.
    pub i_tx: Vec<u32>,
    /// Grid index of each row's `T`.
    pub i_t: Vec<u32>,
    /// Row weights.
    pub weight: Vec<f64>,
}

impl Grouped {
    /// Every `k`-th row with its weight multiplied by `k`: a systematic subsample for warm starts
    /// (the grid is kept whole).
    pub(crate) fn stride(&self, k: usize) -> Grouped {
        let k = k.max(1);
        let mut g = Grouped {
            grid: self.grid.clone(),
            ..Grouped::default()
        };
        for (grp, &x) in self.x.iter().enumerate() {
            let mut first = true;
            let range = self.start[grp]..self.start[grp + 1];
            for i in range.filter(|i| i % k == 0) {
                if first {
                    first = false;
                    g.x.push(x);
                    g.start.push(g.weight.len());
                    g.group_weight.push(0.0);
                }
                let w = self.weight[i] * k as f64;
                g.i_tx.push(self.i_tx[i]);
                g.i_t.push(self.i_t[i]);
                g.weight.push(w);
                if let Some(gw) = g.group_weight.last_mut() {
                    *gw += w;
                }
            }
        }
        g.start.push(g.weight.len());
        g
    }

    /// Number of distinct rows.
    pub(crate) fn len(&self) -> usize {
        self.weight.len()
    }

    /// Total weight.
    pub(crate) fn total_weight(&self) -> f64 {
        self.group_weight.iter().sum()
    }

    /// Weighted mean of `T`.
    pub(crate) fn mean_t(&self) -> f64 {
        let s: f64 = self
            .i_t
            .iter()
            .zip(&self.weight)
            .map(|(&i, w)| self.grid[i as usize] * w)
            .sum();
        s / self.total_weight()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Codes are the ranks of the distinct bit patterns by `total_cmp` (so `-0.0` ranks
        /// below `0.0`), whichever route (whole-number table, cache, map) a value takes.
        #[test]
        fn rank_codes_are_ranks_of_distinct_values(
            v in prop::collection::vec(prop_oneof![
                (0u32..1_100).prop_map(f64::from),
                Just(-0.0),
                Just(0.0),
                (0u32..2_000).prop_map(|k| f64::from(k) / 8.0),
                (-5i32..5).prop_map(f64::from),
                any::<f64>().prop_filter("not NaN", |x| !x.is_nan()),
            ], 0..300)
        ) {
            let mut enc = RankEncoder::new();
            let mut codes: Vec<u32> = v.iter().map(|&x| enc.code(x)).collect();
            let values = enc.finish([codes.as_mut_slice()]);
            let mut want: Vec<f64> = v.clone();
            want.sort_unstable_by(f64::total_cmp);
            want.dedup_by(|a, b| a.to_bits() == b.to_bits());
            prop_assert_eq!(
                values.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                want.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
            for (x, c) in v.iter().zip(&codes) {
                prop_assert_eq!(values[*c as usize].to_bits(), x.to_bits());
            }
        }
    }

    #[test]
    fn collapse_merges_and_sorts() {
        let d = CalibrationData::new(
            vec![1.0, 0.0, 1.0, 0.0],
            vec![2.0, 0.0, 2.0, 0.0],
            vec![5.0, 5.0, 5.0, 4.0],
            TimeUnit::Weeks,
        )
        .unwrap();
        let c = d.collapse();
        assert_eq!(c.x, vec![0.0, 0.0, 1.0]);
        assert_eq!(c.t, vec![4.0, 5.0, 5.0]);
        assert_eq!(c.weight, vec![1.0, 1.0, 2.0]);
    }

    #[test]
    fn table_and_sort_merges_agree() {
        // 40 rows over a 4-value grid: the table path applies; compare with the sort path.
        let x: Vec<f64> = (0..40).map(|i| f64::from(i % 3)).collect();
        let t_x: Vec<f64> = (0..40)
            .map(|i| if i % 3 == 0 { 0.0 } else { f64::from(i % 2) })
            .collect();
        let t: Vec<f64> = (0..40).map(|i| f64::from(2 + i % 2)).collect();
        let w: Vec<f64> = (0..40).map(|i| f64::from(1 + i % 4)).collect();
        let d = CalibrationData::new(x, t_x, t, TimeUnit::Days)
            .unwrap()
            .with_weights(w)
            .unwrap();
        let sorted = |g: &Grouped| {
            let mut rows: Vec<(u64, u64, u64, u64)> = Vec::new();
            for (k, &x) in g.x.iter().enumerate() {
                for i in g.start[k]..g.start[k + 1] {
                    let (a, b) = (g.grid[g.i_tx[i] as usize], g.grid[g.i_t[i] as usize]);
                    rows.push((x.to_bits(), a.to_bits(), b.to_bits(), g.weight[i].to_bits()));
                }
            }
            rows.sort_unstable();
            rows
        };
        let (a, b) = (d.grouped_by(true), d.grouped_by(false));
        assert_eq!(sorted(&a), sorted(&b));
        assert_eq!(a.group_weight, b.group_weight);
        assert_eq!(a.len(), 6, "i mod 6 gives six distinct rows");
    }

    #[test]
    fn rejects_recency_after_age() {
        let e = CalibrationData::new(vec![1.0], vec![3.0], vec![2.0], TimeUnit::Days).unwrap_err();
        assert_eq!(e.code(), "invalid_value");
        assert!(e.to_string().contains("row 1"));
    }
}
