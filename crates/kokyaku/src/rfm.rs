//! RFM scoring (recency, frequency, monetary) and segment maps.
//!
//! See `docs/rfm.md` for the exact rules.

use serde::{Deserialize, Serialize};

use crate::summary::CustomerSummaries;
use crate::{Error, Result};

/// How quantile bins treat equal values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TieRule {
    /// Equal-size bins as SQL's `NTILE(k)`: sorted worst to best, ties broken by customer
    /// order (natural id order); the first `n % k` bins get one extra customer.
    #[default]
    Ntile,
    /// Customers with equal values share a score: score = 1 + ⌊k · (customers strictly
    /// worse) / n⌋.
    Shared,
}

/// How one dimension is scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum Binning {
    /// Quantile bins into `bins` scores.
    Quantile {
        /// Number of scores (default 5).
        bins: u8,
        /// Tie rule.
        ties: TieRule,
    },
    /// Fixed edges: for recency, days `<= edges[0]` score highest; for frequency and
    /// monetary, values `<= edges[0]` score 1. `edges.len() + 1` scores.
    Thresholds {
        /// Ascending upper edges.
        edges: Vec<f64>,
    },
}

impl Default for Binning {
    fn default() -> Self {
        Self::Quantile {
            bins: 5,
            ties: TieRule::Ntile,
        }
    }
}

/// What counts as frequency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrequencyBasis {
    /// Completed orders.
    #[default]
    Orders,
    /// Distinct purchase days.
    PurchaseDays,
}

/// An inclusive score range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreRange {
    /// Lowest score, inclusive.
    pub min: u8,
    /// Highest score, inclusive.
    pub max: u8,
}

impl ScoreRange {
    fn contains(self, s: u8) -> bool {
        self.min <= s && s <= self.max
    }
    const fn new(min: u8, max: u8) -> Self {
        Self { min, max }
    }
}

/// One named segment: the score cells it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentRule {
    /// Segment name.
    pub segment: String,
    /// Recency scores.
    pub r: ScoreRange,
    /// Frequency scores.
    pub f: ScoreRange,
    /// Monetary scores (`None`: any).
    #[serde(default)]
    pub m: Option<ScoreRange>,
}

/// A named segment map: rules that must cover every score cell exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentMap {
    /// Map name.
    pub name: String,
    /// Rules, in display order.
    pub rules: Vec<SegmentRule>,
}

impl SegmentMap {
    /// The common recency × frequency map with ten segments over the 25 cells of 5 × 5
    /// scores (see `docs/rfm.md`).
    #[must_use]
    pub fn default_rf() -> Self {
        let r = |seg: &str, r: (u8, u8), f: (u8, u8)| SegmentRule {
            segment: seg.to_owned(),
            r: ScoreRange::new(r.0, r.1),
            f: ScoreRange::new(f.0, f.1),
            m: None,
        };
        Self {
            name: "rf10".into(),
            rules: vec![
                r("Champions", (5, 5), (4, 5)),
                r("Loyal customers", (3, 4), (4, 5)),
                r("Potential loyalists", (4, 5), (2, 3)),
                r("New customers", (5, 5), (1, 1)),
                r("Promising", (4, 4), (1, 1)),
                r("Need attention", (3, 3), (3, 3)),
                r("About to sleep", (3, 3), (1, 2)),
                r("At risk", (1, 2), (3, 4)),
                r("Cannot lose them", (1, 2), (5, 5)),
                r("Hibernating", (1, 2), (1, 2)),
            ],
        }
    }

    /// Checks that every cell of `bins_r × bins_f × bins_m` scores has exactly one segment.
    /// `bins_m` is ignored when no rule names monetary scores.
    pub fn validate(&self, bins_r: u8, bins_f: u8, bins_m: u8) -> Result<()> {
        let uses_m = self.rules.iter().any(|r| r.m.is_some());
        let m_max = if uses_m { bins_m } else { 1 };
        let mut gaps = Vec::new();
        let mut overlaps = Vec::new();
        let mut used = vec![false; self.rules.len()];
        for r in 1..=bins_r {
            for f in 1..=bins_f {
                for m in 1..=m_max {
                    let hits: Vec<&str> = self
                        .rules
                        .iter()
                        .zip(used.iter_mut())
                        .filter(|(x, _)| {
                            x.r.contains(r)
                                && x.f.contains(f)
                                && x.m.is_none_or(|mm| mm.contains(m))
                        })
                        .map(|(x, u)| {
                            *u = true;
                            x.segment.as_str()
                        })
                        .collect();
                    let cell = if uses_m {
                        format!("R{r}F{f}M{m}")
                    } else {
                        format!("R{r}F{f}")
                    };
                    match hits.len() {
                        0 => gaps.push(cell),
                        1 => {}
                        _ => overlaps.push(format!("{cell} ({})", hits.join(", "))),
                    }
                }
            }
        }
        // A rule with no cell (a map for 5 scores used with 3) would silently never apply.
        let unused: Vec<&str> = self
            .rules
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(x, _)| x.segment.as_str())
            .collect();
        if gaps.is_empty() && overlaps.is_empty() && unused.is_empty() {
            return Ok(());
        }
        let mut why = Vec::new();
        if !unused.is_empty() {
            why.push(format!(
                "{} segments cover no cell of {bins_r} R × {bins_f} F scores: {}",
                unused.len(),
                unused.join(", ")
            ));
        }
        if !gaps.is_empty() {
            why.push(format!(
                "{} cells have no segment: {}",
                gaps.len(),
                gaps.join(" ")
            ));
        }
        if !overlaps.is_empty() {
            why.push(format!(
                "{} cells have several: {}",
                overlaps.len(),
                overlaps.join(" ")
            ));
        }
        Err(Error::option(
            "segment map",
            &self.name,
            format!(
                "every score cell needs exactly one segment; {}",
                why.join("; ")
            ),
        ))
    }

    fn lookup(&self, r: u8, f: u8, m: u8) -> Option<usize> {
        self.rules
            .iter()
            .position(|x| x.r.contains(r) && x.f.contains(f) && x.m.is_none_or(|mm| mm.contains(m)))
    }
}

/// Options of [`score`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RfmOptions {
    /// Recency scoring (lower days score higher).
    pub recency: Binning,
    /// Frequency scoring.
    pub frequency: Binning,
    /// Monetary scoring (net spend).
    pub monetary: Binning,
    /// Orders or distinct purchase days.
    pub frequency_basis: FrequencyBasis,
    /// Segment map; `None` uses [`SegmentMap::default_rf`].
    pub segments: Option<SegmentMap>,
}

impl Default for RfmOptions {
    fn default() -> Self {
        Self {
            recency: Binning::default(),
            frequency: Binning::default(),
            monetary: Binning::default(),
            frequency_basis: FrequencyBasis::Orders,
            segments: None,
        }
    }
}

/// RFM scores per customer (0 for customers without a completed order) and segments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RfmScores {
    /// Recency score per customer.
    pub r: Vec<u8>,
    /// Frequency score per customer.
    pub f: Vec<u8>,
    /// Monetary score per customer.
    pub m: Vec<u8>,
    /// Segment index into `segment_names` (`None` without orders).
    pub segment: Vec<Option<u16>>,
    /// Segment names in map order.
    pub segment_names: Vec<String>,
    /// Per-segment table, in map order.
    pub table: Vec<SegmentRow>,
}

impl RfmScores {
    /// The segment name of customer `i`.
    #[must_use]
    pub fn segment_name(&self, i: usize) -> Option<&str> {
        self.segment
            .get(i)
            .copied()
            .flatten()
            .and_then(|s| self.segment_names.get(s as usize))
            .map(String::as_str)
    }
}

/// Aggregates of one segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentRow {
    /// Segment name.
    pub segment: String,
    /// Customers.
    pub customers: u64,
    /// Share of scored customers.
    pub share: f64,
    /// Mean recency, days.
    pub mean_recency_days: f64,
    /// Mean frequency.
    pub mean_frequency: f64,
    /// Mean net spend.
    pub mean_monetary: f64,
    /// Total net spend.
    pub total_monetary: f64,
}

fn bins_of(b: &Binning) -> Result<u8> {
    match b {
        Binning::Quantile { bins, .. } if (2..=10).contains(bins) => Ok(*bins),
        Binning::Quantile { bins, .. } => Err(Error::option("bins", bins, "use 2 to 10 bins")),
        Binning::Thresholds { edges } => {
            if edges.is_empty() || edges.len() > 9 {
                return Err(Error::option(
                    "edges",
                    format!("{edges:?}"),
                    "give 1 to 9 ascending edges",
                ));
            }
            if edges.windows(2).any(|w| w[0] >= w[1]) || edges.iter().any(|e| !e.is_finite()) {
                return Err(Error::option(
                    "edges",
                    format!("{edges:?}"),
                    "edges must be finite and strictly ascending",
                ));
            }
            Ok(edges.len() as u8 + 1)
        }
    }
}

/// An order-preserving map of a float to an integer (total order; -0.0 == 0.0).
fn f64_key(v: f64) -> u64 {
    let v = if v == 0.0 { 0.0 } else { v };
    let b = v.to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

/// Scores `values` of the eligible customers (`idx`) into `out`; `higher_better` says
/// which way is good.
#[cfg(test)]
fn score_dim(values: &[f64], idx: &[u32], binning: &Binning, higher_better: bool, out: &mut [u8]) {
    score_dim_by(|i| values[i], idx, binning, higher_better, out);
}

/// [`score_dim`] over a value function (no value column is materialised).
fn score_dim_by(
    value: impl Fn(usize) -> f64,
    idx: &[u32],
    binning: &Binning,
    higher_better: bool,
    out: &mut [u8],
) {
    let n = idx.len();
    if n == 0 {
        return;
    }
    match binning {
        Binning::Thresholds { edges } => {
            let k = edges.len() as u8 + 1;
            for &i in idx {
                let v = value(i as usize);
                let bin = edges.partition_point(|&e| e < v) as u8; // 0 when v <= edges[0]
                out[i as usize] = if higher_better { bin + 1 } else { k - bin };
            }
        }
        Binning::Quantile { bins, ties } => {
            let k = u64::from(*bins);
            if !rank_by_counting(&value, idx, k, *ties, higher_better, out) {
                rank_by_sorting(&value, idx, k, *ties, higher_better, out);
            }
        }
    }
}

/// NTILE bins of `n` worst-to-best positions into `k` (at most 10) bins, as SQL: the first
/// `n % k` bins hold one extra customer.
#[derive(Clone, Copy)]
struct Ntile {
    /// First position of bins 2, 3, …, k; `u64::MAX` past the last bin.
    bin_starts: [u64; 9],
}

impl Ntile {
    fn new(n: u64, k: u64) -> Self {
        debug_assert!((1..=10).contains(&k), "{k} bins");
        let (q, r) = (n / k, n % k);
        let mut bin_starts = [u64::MAX; 9];
        for (j, s) in (1..k).zip(&mut bin_starts) {
            // Bins before j: min(j, r) of q + 1 customers, the rest of q.
            *s = j * q + j.min(r);
        }
        Self { bin_starts }
    }

    /// The score (1-based bin) of position `p < n`: one plus the bins that start at or before
    /// it. Nine compares instead of a 64-bit division per customer.
    fn score(self, p: u64) -> u8 {
        1 + self.bin_starts.iter().filter(|&&s| s <= p).count() as u8
    }
}

/// The shared-ties score of a value whose run of equals starts at position `start` of `n`.
fn shared_score(start: u64, n: u64, k: u64) -> u8 {
    (1 + (k * start) / n).min(k) as u8
}

/// Largest magnitude up to which every integer is exactly an `f64`.
const EXACT_INT_F64: f64 = 9_007_199_254_740_992.0; // 2^53

/// Quantile scores without a sort, when every value is a whole number in a small range
/// (recency days, order counts, purchase days, spend in a currency without minor units):
/// a histogram of the values, prefix sums for where each value starts in the worst-to-best
/// order, then one walk of `idx` (customer order) handing out positions, which is exactly
/// what the stable sort of [`rank_by_sorting`] produces. For whole numbers, float order is
/// integer order, and `-0.0 == 0.0` in both. Returns `false`, writing nothing, when a value
/// is not a whole number (NaN included) or the range is too wide to count.
fn rank_by_counting(
    value: &impl Fn(usize) -> f64,
    idx: &[u32],
    k: u64,
    ties: TieRule,
    higher_better: bool,
    out: &mut [u8],
) -> bool {
    let n = idx.len();
    if n == 0 {
        return true;
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut whole = true;
    for &i in idx {
        let v = value(i as usize);
        // False for NaN and infinities too. (A round trip through `i64` rather than
        // `fract`, which is a libm call without SSE4.1; exact equality is the point.)
        #[allow(clippy::float_cmp)]
        let is_whole = v.abs() <= EXACT_INT_F64 && (v as i64) as f64 == v;
        whole &= is_whole;
        lo = lo.min(v);
        hi = hi.max(v);
    }
    // Counting costs O(n + range) time and a counter per value: worth it up to a few counters
    // per customer. (A fixed floor such as 2^20 counters would make small inputs pay for a
    // table of megabytes that a sort of a few thousand pairs does not need.)
    if !whole || hi - lo >= (4 * (n as u64).max(1024)) as f64 {
        return false;
    }
    let (lo, hi) = (lo as i64, hi as i64); // whole numbers within ±2^53: exact
    // Each customer's bucket in worst-to-best order (flipped when lower is better), and
    // `starts[b]`: the first worst-to-best position of bucket b (exclusive prefix sums).
    let mut starts = vec![0u32; (hi - lo) as usize + 1];
    let buckets: Vec<u32> = idx
        .iter()
        .map(|&i| {
            let v = value(i as usize) as i64;
            let b = if higher_better { v - lo } else { hi - v } as u32;
            starts[b as usize] += 1;
            b
        })
        .collect();
    let mut acc = 0u32;
    for c in &mut starts {
        let cnt = *c;
        *c = acc;
        acc += cnt;
    }
    let n64 = n as u64;
    match ties {
        TieRule::Ntile => {
            let nt = Ntile::new(n64, k);
            // `starts` becomes each bucket's cursor: customers take positions in `idx` order.
            for (&i, &b) in idx.iter().zip(&buckets) {
                let cur = &mut starts[b as usize];
                out[i as usize] = nt.score(u64::from(*cur));
                *cur += 1;
            }
        }
        TieRule::Shared => {
            for (&i, &b) in idx.iter().zip(&buckets) {
                out[i as usize] = shared_score(u64::from(starts[b as usize]), n64, k);
            }
        }
    }
    true
}

/// Quantile scores by sorting worst to best, ties in customer order: (key, index) pairs,
/// where the key is an order-preserving integer image of the float (flipped for "lower is
/// better"), so the sort never chases indices into the value column. `idx` is in customer
/// order and the radix sort (radsort) is stable, so sorting by the key alone keeps ties in
/// customer order; it skips the key bytes every value shares, and is several times faster
/// than a comparison sort on millions of customers.
fn rank_by_sorting(
    value: &impl Fn(usize) -> f64,
    idx: &[u32],
    k: u64,
    ties: TieRule,
    higher_better: bool,
    out: &mut [u8],
) {
    let n = idx.len();
    let mut keyed: Vec<(u64, u32)> = idx
        .iter()
        .map(|&i| {
            let k = f64_key(value(i as usize));
            (if higher_better { k } else { !k }, i)
        })
        .collect();
    radsort::sort_by_key(&mut keyed, |p| p.0);
    let n64 = n as u64;
    match ties {
        TieRule::Ntile => {
            let nt = Ntile::new(n64, k);
            for (pos, &(_, i)) in keyed.iter().enumerate() {
                out[i as usize] = nt.score(pos as u64);
            }
        }
        TieRule::Shared => {
            let mut start = 0usize;
            while start < n {
                let v = keyed[start].0;
                let mut end = start + 1;
                while end < n && keyed[end].0 == v {
                    end += 1;
                }
                let s = shared_score(start as u64, n64, k);
                for &(_, i) in &keyed[start..end] {
                    out[i as usize] = s;
                }
                start = end;
            }
        }
    }
}

/// Scores every customer with at least one completed order.
pub fn score(s: &CustomerSummaries, opts: &RfmOptions) -> Result<RfmScores> {
    let (br, bf, bm) = (
        bins_of(&opts.recency)?,
        bins_of(&opts.frequency)?,
        bins_of(&opts.monetary)?,
    );
    let default_map;
    let map = if let Some(m) = &opts.segments {
        m
    } else {
        default_map = SegmentMap::default_rf();
        &default_map
    };
    map.validate(br, bf, bm)?;
    let n = s.len();
    let idx: Vec<u32> = (0..n as u32)
        .filter(|&i| s.orders[i as usize] > 0)
        .collect();
    let recency = |i: usize| s.recency_days[i].map_or(f64::NAN, f64::from);
    let freq_col = match opts.frequency_basis {
        FrequencyBasis::Orders => &s.orders,
        FrequencyBasis::PurchaseDays => &s.purchase_days,
    };
    let freq = |i: usize| f64::from(freq_col[i]);
    // `s.net_f64(i)` with the power of ten taken once rather than per call (same value).
    let money_div = 10_f64.powi(s.money_scale as i32);
    let monetary = |i: usize| s.net_units.get(i).map_or(0.0, |&u| u as f64 / money_div);
    // Quantile ranks of spend from its integer units: below 2^52 units, `u / 10^scale` is
    // strictly increasing in `u` (the rounding error of each quotient is under half the
    // 10^-scale between neighbours), so the order and the ties are the amounts' own; and
    // whole numbers in a narrow range are counted, not sorted.
    let by_units = matches!(opts.monetary, Binning::Quantile { .. })
        && s.net_units.iter().all(|u| u.unsigned_abs() < 1 << 52);
    #[allow(clippy::cast_precision_loss)] // below 2^52: exact
    let monetary_units = |i: usize| s.net_units.get(i).map_or(0.0, |&u| u as f64);
    let (mut r, mut f, mut m) = (vec![0u8; n], vec![0u8; n], vec![0u8; n]);
    // The three rankings are independent: on many customers the monetary one runs on a
    // second thread (same results; wasm32 has no threads).
    let (recency, freq, monetary, monetary_units) = (&recency, &freq, &monetary, &monetary_units);
    let (idx_r, m_out) = (&idx, &mut m);
    let mut money = move || {
        if by_units {
            score_dim_by(monetary_units, idx_r, &opts.monetary, true, m_out);
        } else {
            score_dim_by(monetary, idx_r, &opts.monetary, true, m_out);
        }
    };
    if cfg!(target_arch = "wasm32") || n < 100_000 {
        money();
        score_dim_by(recency, &idx, &opts.recency, false, &mut r);
        score_dim_by(freq, &idx, &opts.frequency, true, &mut f);
    } else {
        std::thread::scope(|scope| {
            scope.spawn(money);
            score_dim_by(recency, &idx, &opts.recency, false, &mut r);
            score_dim_by(freq, &idx, &opts.frequency, true, &mut f);
        });
    }
    let names: Vec<String> = map.rules.iter().map(|x| x.segment.clone()).collect();
    let mut segment = vec![None; n];
    let k = names.len();
    let (mut cnt, mut sr, mut sf, mut sm) =
        (vec![0u64; k], vec![0f64; k], vec![0f64; k], vec![0f64; k]);
    // The segment of every score cell, looked up once: (br + 1) × (bf + 1) × (bm + 1) cells
    // (at most 1331) instead of a scan of the rules per customer.
    let (nr, nf, nm) = (
        usize::from(br) + 1,
        usize::from(bf) + 1,
        usize::from(bm) + 1,
    );
    let cells: Vec<Option<usize>> = (0..nr * nf * nm)
        .map(|c| map.lookup((c / (nf * nm)) as u8, (c / nm % nf) as u8, (c % nm) as u8))
        .collect();
    let cell_of = |r: u8, f: u8, m: u8| {
        let (r, f, m) = (usize::from(r), usize::from(f), usize::from(m));
        if r < nr && f < nf && m < nm {
            cells[(r * nf + f) * nm + m]
        } else {
            map.lookup(r as u8, f as u8, m as u8)
        }
    };
    for &i in &idx {
        let i = i as usize;
        if let Some(g) = cell_of(r[i], f[i], m[i]) {
            segment[i] = Some(g as u16);
            cnt[g] += 1;
            sr[g] += recency(i);
            sf[g] += freq(i);
            sm[g] += monetary(i);
        }
    }
    let scored = idx.len().max(1) as f64;
    let table = (0..k)
        .map(|g| {
            let c = cnt[g].max(1) as f64;
            SegmentRow {
                segment: names[g].clone(),
                customers: cnt[g],
                share: cnt[g] as f64 / scored,
                mean_recency_days: if cnt[g] > 0 { sr[g] / c } else { 0.0 },
                mean_frequency: if cnt[g] > 0 { sf[g] / c } else { 0.0 },
                mean_monetary: if cnt[g] > 0 { sm[g] / c } else { 0.0 },
                total_monetary: sm[g],
            }
        })
        .collect();
    Ok(RfmScores {
        r,
        f,
        m,
        segment,
        segment_names: names,
        table,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn default_map_covers_every_cell_once() {
        SegmentMap::default_rf().validate(5, 5, 5).unwrap();
    }

    #[test]
    fn gaps_and_overlaps_are_named() {
        let mut m = SegmentMap::default_rf();
        m.rules.remove(0);
        let e = m.validate(5, 5, 5).unwrap_err().to_string();
        assert!(e.contains("R5F4") && e.contains("R5F5"), "{e}");
        let mut m = SegmentMap::default_rf();
        m.rules[1].r.max = 5;
        let e = m.validate(5, 5, 5).unwrap_err().to_string();
        assert!(e.contains("R5F4 (Champions, Loyal customers)"), "{e}");
    }

    #[test]
    fn ntile_sizes_like_sql() {
        let v: Vec<f64> = (0..7).map(f64::from).collect();
        let idx: Vec<u32> = (0..7).collect();
        let mut out = vec![0u8; 7];
        score_dim(
            &v,
            &idx,
            &Binning::Quantile {
                bins: 5,
                ties: TieRule::Ntile,
            },
            true,
            &mut out,
        );
        assert_eq!(out, vec![1, 1, 2, 2, 3, 4, 5]);
        score_dim(
            &v,
            &idx,
            &Binning::Quantile {
                bins: 5,
                ties: TieRule::Ntile,
            },
            false,
            &mut out,
        );
        assert_eq!(out, vec![5, 4, 3, 2, 2, 1, 1]);
    }

    #[test]
    fn shared_ties() {
        let v = vec![1.0, 1.0, 1.0, 2.0, 3.0];
        let idx: Vec<u32> = (0..5).collect();
        let mut out = vec![0u8; 5];
        score_dim(
            &v,
            &idx,
            &Binning::Quantile {
                bins: 5,
                ties: TieRule::Shared,
            },
            true,
            &mut out,
        );
        assert_eq!(out, vec![1, 1, 1, 4, 5]);
    }

    #[test]
    fn thresholds() {
        let v = vec![0.0, 30.0, 31.0, 60.0, 400.0];
        let idx: Vec<u32> = (0..5).collect();
        let mut out = vec![0u8; 5];
        let b = Binning::Thresholds {
            edges: vec![30.0, 60.0, 90.0, 180.0],
        };
        score_dim(&v, &idx, &b, false, &mut out);
        assert_eq!(out, vec![5, 5, 4, 4, 1]);
        score_dim(&v, &idx, &b, true, &mut out);
        assert_eq!(out, vec![1, 1, 2, 2, 5]);
    }

    /// `Ntile::score` against the formula it replaced, for every position.
    #[test]
    fn ntile_bin_starts_match_the_division_formula() {
        for k in 1..=10u64 {
            for n in 1..=300u64 {
                let nt = Ntile::new(n, k);
                let (q, r) = (n / k, n % k);
                let big = r * (q + 1);
                for p in 0..n {
                    let bin = if p < big {
                        p / (q + 1)
                    } else {
                        r + (p - big) / q.max(1)
                    };
                    assert_eq!(nt.score(p), (bin + 1).min(k) as u8, "n {n} k {k} p {p}");
                }
            }
        }
    }

    fn by_counting(
        values: &[f64],
        idx: &[u32],
        k: u64,
        ties: TieRule,
        hb: bool,
    ) -> Option<Vec<u8>> {
        let mut out = vec![0u8; values.len()];
        rank_by_counting(&|i| values[i], idx, k, ties, hb, &mut out).then_some(out)
    }

    fn by_sorting(values: &[f64], idx: &[u32], k: u64, ties: TieRule, hb: bool) -> Vec<u8> {
        let mut out = vec![0u8; values.len()];
        rank_by_sorting(&|i| values[i], idx, k, ties, hb, &mut out);
        out
    }

    fn quantile(k: u64, ties: TieRule) -> Binning {
        Binning::Quantile {
            bins: k as u8,
            ties,
        }
    }

    #[test]
    fn counting_declines_values_it_cannot_count() {
        let idx: Vec<u32> = (0..4).collect();
        for values in [
            vec![1.0, 2.5, 2.0, 1.0],           // not whole
            vec![1.0, f64::NAN, 2.0, 1.0],      // no recency
            vec![1.0, f64::INFINITY, 2.0, 1.0], // infinite
            vec![0.0, 1e7, 5.0, 5.0],           // range wider than 4 × max(n, 1024)
            vec![0.0, 2f64.powi(60), 1.0, 1.0], // beyond exact integers
        ] {
            for ties in [TieRule::Ntile, TieRule::Shared] {
                for hb in [false, true] {
                    assert_eq!(by_counting(&values, &idx, 3, ties, hb), None, "{values:?}");
                    // score_dim falls back to the sort.
                    let mut out = vec![0u8; 4];
                    score_dim(&values, &idx, &quantile(3, ties), hb, &mut out);
                    assert_eq!(out, by_sorting(&values, &idx, 3, ties, hb), "{values:?}");
                }
            }
        }
        // The widest range still counted, and -0.0 ties with 0.0 as in the sort.
        let values = vec![0.0, 4095.0, -0.0, 7.0];
        for ties in [TieRule::Ntile, TieRule::Shared] {
            for hb in [false, true] {
                assert_eq!(
                    by_counting(&values, &idx, 3, ties, hb),
                    Some(by_sorting(&values, &idx, 3, ties, hb))
                );
            }
        }
    }

    /// Customers (as `idx`, in customer order) with whole values in a small range, many ties.
    fn whole_values() -> impl Strategy<Value = (Vec<f64>, Vec<u32>)> {
        (0usize..200, -50i32..50, 0i32..40).prop_flat_map(|(n, lo, width)| {
            (
                prop::collection::vec((lo..=lo + width, any::<bool>()), n),
                prop::collection::vec(prop::bool::weighted(0.8), n),
            )
                .prop_map(|(vals, keep)| {
                    let values = vals
                        .into_iter()
                        .map(|(v, neg_zero)| {
                            if v == 0 && neg_zero {
                                -0.0
                            } else {
                                f64::from(v)
                            }
                        })
                        .collect();
                    let idx = (0..keep.len() as u32)
                        .filter(|&i| keep[i as usize])
                        .collect();
                    (values, idx)
                })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The counting rank gives exactly the scores of the stable sort.
        #[test]
        fn counting_ranks_like_sorting(
            (values, idx) in whole_values(),
            k in 2u64..=10,
            shared in any::<bool>(),
            hb in any::<bool>(),
        ) {
            let ties = if shared { TieRule::Shared } else { TieRule::Ntile };
            let sorted = by_sorting(&values, &idx, k, ties, hb);
            prop_assert_eq!(by_counting(&values, &idx, k, ties, hb), Some(sorted.clone()));
            let mut out = vec![0u8; values.len()];
            score_dim(&values, &idx, &quantile(k, ties), hb, &mut out);
            prop_assert_eq!(out, sorted);
        }

        /// Spend ranked by its integer units scores as ranked by the amounts `u / 10^scale`
        /// (what `score` relies on below 2^52 units): neighbours one unit apart, amounts near
        /// the limit, negatives and zero.
        #[test]
        fn units_rank_like_amounts(
            units in prop::collection::vec(
                prop_oneof![
                    -1000i64..1000,
                    ((1i64 << 52) - 2000..(1i64 << 52)),
                    (-(1i64 << 52) + 1..-(1i64 << 52) + 2000),
                    any::<i64>().prop_map(|u| u % (1 << 52)),
                ],
                0..200,
            ),
            scale in 0u32..=8,
            k in 2u64..=10,
            shared in any::<bool>(),
        ) {
            let ties = if shared { TieRule::Shared } else { TieRule::Ntile };
            let idx: Vec<u32> = (0..units.len() as u32).collect();
            let div = 10_f64.powi(scale as i32);
            let amounts: Vec<f64> = units.iter().map(|&u| u as f64 / div).collect();
            let whole: Vec<f64> = units.iter().map(|&u| u as f64).collect();
            let (mut a, mut b) = (vec![0u8; units.len()], vec![0u8; units.len()]);
            score_dim(&amounts, &idx, &quantile(k, ties), true, &mut a);
            score_dim(&whole, &idx, &quantile(k, ties), true, &mut b);
            prop_assert_eq!(a, b);
        }

        /// Whatever the values, `score_dim` scores as the sort does.
        #[test]
        fn score_dim_ranks_like_sorting(
            values in prop::collection::vec(
                prop_oneof![
                    (-3i32..3).prop_map(f64::from),
                    (-3i32..3).prop_map(|v| f64::from(v) + 0.5),
                    Just(f64::NAN),
                    Just(-0.0),
                    Just(1e9),
                ],
                0..200,
            ),
            k in 2u64..=10,
            shared in any::<bool>(),
            hb in any::<bool>(),
        ) {
            let ties = if shared { TieRule::Shared } else { TieRule::Ntile };
            let idx: Vec<u32> = (0..values.len() as u32).collect();
            let mut out = vec![0u8; values.len()];
            score_dim(&values, &idx, &quantile(k, ties), hb, &mut out);
            prop_assert_eq!(out, by_sorting(&values, &idx, k, ties, hb));
        }
    }
}
