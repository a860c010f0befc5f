//! Calibration data: one row per customer with `x`, `t_x`, `T` (and optionally the average
//! repeat-order value and a weight), in an explicit time unit.

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

fn bad(value: f64, row: usize, column: &str, reason: &str) -> Error {
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
        check_len(monetary.len(), self.x.len(), "monetary")?;
        for (i, &m) in monetary.iter().enumerate() {
            if self.x[i] > 0.0 && !(m.is_finite() && m > 0.0) {
                return Err(bad(
                    m,
                    i,
                    "monetary",
                    "mean repeat-purchase value must be > 0 for customers with x > 0",
                ));
            }
        }
        self.monetary = Some(monetary);
        Ok(self)
    }

    /// Attach row weights (finite, >= 0).
    pub fn with_weights(mut self, weights: Vec<f64>) -> Result<Self> {
        check_len(weights.len(), self.x.len(), "weights")?;
        for (i, &w) in weights.iter().enumerate() {
            if !(w.is_finite() && w >= 0.0) {
                return Err(bad(w, i, "weights", "weights must be finite and >= 0"));
            }
        }
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
        collapse3(&self.x, &self.t_x, &self.t, |i| self.weight(i))
    }

    /// The repeat buyers' `(x, z̄)` pairs merged into weights, for Gamma-Gamma.
    pub fn collapse_monetary(&self) -> Result<Collapsed> {
        let m = self.monetary.as_ref().ok_or_else(|| Error::MissingColumn {
            column: "monetary_value".into(),
            hint: "Gamma-Gamma needs the mean repeat-purchase value (monetary_value or zbar)"
                .into(),
        })?;
        let keep: Vec<usize> = (0..self.len()).filter(|&i| self.x[i] > 0.0).collect();
        if let Some(&i) = keep.iter().find(|&&i| !(m[i].is_finite() && m[i] > 0.0)) {
            return Err(bad(
                m[i],
                i,
                "monetary",
                "mean repeat-purchase value must be > 0 for customers with x > 0 (Gamma-Gamma)",
            ));
        }
        let xs: Vec<f64> = keep.iter().map(|&i| self.x[i]).collect();
        let ms: Vec<f64> = keep.iter().map(|&i| m[i]).collect();
        let zeros = vec![0.0; keep.len()];
        Ok(collapse3(&xs, &ms, &zeros, |k| self.weight(keep[k])))
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
    pub(crate) fn new(c: &Collapsed) -> Self {
        let mut grid: Vec<f64> = c.t_x.iter().chain(&c.t).copied().collect();
        grid.sort_unstable_by(f64::total_cmp);
        grid.dedup_by(|a, b| a.to_bits() == b.to_bits());
        let index = |v: f64| grid.partition_point(|g| *g < v) as u32;
        let i_tx = c.t_x.iter().map(|&v| index(v)).collect();
        let i_t = c.t.iter().map(|&v| index(v)).collect();
        let (mut x, mut start, mut group_weight) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..c.len() {
            if x.last()
                .is_none_or(|l: &f64| l.to_bits() != c.x[i].to_bits())
            {
                x.push(c.x[i]);
                start.push(i);
                group_weight.push(0.0);
            }
            if let Some(w) = group_weight.last_mut() {
                *w += c.weight[i];
            }
        }
        start.push(c.len());
        Self {
            x,
            start,
            group_weight,
            grid,
            i_tx,
            i_t,
            weight: c.weight.clone(),
        }
    }
}

fn collapse3(a: &[f64], b: &[f64], c: &[f64], w: impl Fn(usize) -> f64) -> Collapsed {
    // Merge equal keys with a hash map (weights summed in row order, so deterministic), then sort
    // the distinct rows. Non-negative finite floats order like their bit patterns.
    let mut slot: std::collections::HashMap<(u64, u64, u64), u32, foldhash::fast::FixedState> =
        std::collections::HashMap::with_capacity_and_hasher(
            a.len() / 2,
            foldhash::fast::FixedState::default(),
        );
    let mut keys: Vec<(u64, u64, u64)> = Vec::new();
    let mut sums: Vec<f64> = Vec::new();
    for i in 0..a.len() {
        let wi = w(i);
        if wi == 0.0 {
            continue;
        }
        let k = (a[i].to_bits(), b[i].to_bits(), c[i].to_bits());
        let s = *slot.entry(k).or_insert_with(|| {
            keys.push(k);
            sums.push(0.0);
            (keys.len() - 1) as u32
        });
        sums[s as usize] += wi;
    }
    let mut order: Vec<(u64, u64, u64, u32)> = keys
        .iter()
        .enumerate()
        .map(|(s, k)| (k.0, k.1, k.2, s as u32))
        .collect();
    order.sort_unstable();
    let mut out = Collapsed::default();
    for (ka, kb, kc, s) in order {
        out.x.push(f64::from_bits(ka));
        out.t_x.push(f64::from_bits(kb));
        out.t.push(f64::from_bits(kc));
        out.weight.push(sums[s as usize]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn rejects_recency_after_age() {
        let e = CalibrationData::new(vec![1.0], vec![3.0], vec![2.0], TimeUnit::Days).unwrap_err();
        assert_eq!(e.code(), "invalid_value");
        assert!(e.to_string().contains("row 1"));
    }
}
