//! Exact money columns: integer minor units at one scale per column.

use rust_decimal::Decimal;

use crate::{Error, Location, Result};

/// Amounts stored exactly as `units / 10^scale` (8 bytes a value, summed in `i128`).
///
/// The scale grows to the largest number of decimals seen, so every pushed [`Decimal`] is kept
/// exactly; a value that does not fit is an [`Error::InvalidValue`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MoneyColumn {
    units: Vec<i64>,
    scale: u32,
}

const MAX_SCALE: u32 = 8;

/// Converts `d` to units at `*scale`. When `d` has more decimals, the scale grows: `grow(k)`
/// must multiply every stored value by `k` and say whether they all still fit an `i64`.
fn units_at(
    scale: &mut u32,
    d: Decimal,
    grow: impl FnOnce(i64) -> bool,
    location: &dyn Fn() -> Location,
) -> Result<i64> {
    // Trailing zeros (12.50) must not grow the scale; normalising is only needed then.
    let d = if d.scale() > *scale { d.normalize() } else { d };
    if d.scale() > *scale {
        if d.scale() > MAX_SCALE {
            return Err(Error::InvalidValue {
                value: d.to_string(),
                location: location(),
                reason: format!(
                    "amounts may have at most {MAX_SCALE} decimal places; round it first"
                ),
            });
        }
        if !grow(10_i64.pow(d.scale() - *scale)) {
            return Err(Error::InvalidValue {
                value: d.to_string(),
                location: location(),
                reason: "too many decimal places for the size of other amounts in this log".into(),
            });
        }
        *scale = d.scale();
    }
    let m = d.mantissa() * 10_i128.pow(*scale - d.scale());
    i64::try_from(m).map_err(|_| Error::InvalidValue {
        value: d.to_string(),
        location: location(),
        reason: "amount too large (beyond ±9.2e18 minor units)".into(),
    })
}

/// The scale of a [`MoneyColumn`] without its values, for accumulators that keep sums only:
/// the same pushes give the same scale and the same errors, because the largest magnitude
/// stored is enough to know whether growing the scale overflows.
#[derive(Debug, Clone, Default)]
pub(crate) struct UnitScale {
    scale: u32,
    max_abs: u64,
}

impl UnitScale {
    /// The scale (decimal places).
    pub(crate) fn scale(&self) -> u32 {
        self.scale
    }
    /// Units of `d` at the scale, and the factor by which the scale grew for it (1 when it
    /// did not): the caller multiplies its sums by it.
    pub(crate) fn units_of(
        &mut self,
        d: Decimal,
        location: &dyn Fn() -> Location,
    ) -> Result<(i64, i64)> {
        let mut factor = 1;
        let max_abs = &mut self.max_abs;
        let u = units_at(
            &mut self.scale,
            d,
            |k| {
                factor = k;
                match i64::try_from(*max_abs).ok().and_then(|m| m.checked_mul(k)) {
                    Some(m) => {
                        *max_abs = m.unsigned_abs();
                        true
                    }
                    None => false,
                }
            },
            location,
        )?;
        Ok((u, factor))
    }
    /// Records a value as stored (for the overflow check of a later scale growth).
    pub(crate) fn note(&mut self, units: i64) {
        self.max_abs = self.max_abs.max(units.unsigned_abs());
    }
}

impl MoneyColumn {
    /// An empty column.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
    /// With room for `n` values.
    #[must_use]
    pub fn with_capacity(n: usize) -> Self {
        Self {
            units: Vec::with_capacity(n),
            scale: 0,
        }
    }
    /// Number of values.
    #[must_use]
    pub fn len(&self) -> usize {
        self.units.len()
    }
    /// Whether empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }
    /// The scale (decimal places) of the stored units.
    #[must_use]
    pub fn scale(&self) -> u32 {
        self.scale
    }
    /// The raw units.
    #[must_use]
    pub fn units(&self) -> &[i64] {
        &self.units
    }
    /// Converts a decimal to units at this column's scale, growing the scale when needed.
    pub fn to_units(&mut self, d: Decimal, location: impl Fn() -> Location) -> Result<i64> {
        let units = &mut self.units;
        units_at(
            &mut self.scale,
            d,
            |k| {
                units
                    .iter_mut()
                    .all(|u| u.checked_mul(k).map(|v| *u = v).is_some())
            },
            &location,
        )
    }
    /// Room for `n` more values.
    pub fn reserve(&mut self, n: usize) {
        self.units.reserve(n);
    }
    /// Appends a decimal.
    pub fn push(&mut self, d: Decimal, location: impl Fn() -> Location) -> Result<()> {
        let u = self.to_units(d, location)?;
        self.units.push(u);
        Ok(())
    }
    /// Appends a value already in units at this column's scale (from [`MoneyColumn::to_units`]).
    pub(crate) fn push_units(&mut self, units: i64) {
        self.units.push(units);
    }
    /// A column from stored units and their scale (restoring a snapshot; `None` for a scale
    /// beyond the supported decimals).
    pub(crate) fn from_parts(units: Vec<i64>, scale: u32) -> Option<Self> {
        (scale <= MAX_SCALE).then_some(Self { units, scale })
    }
    /// Adds `d` to value `i`.
    pub fn add_to(&mut self, i: usize, d: Decimal, location: impl Fn() -> Location) -> Result<()> {
        let u = self.to_units(d, &location)?;
        if let Some(v) = self.units.get_mut(i) {
            *v = v.checked_add(u).ok_or_else(|| Error::InvalidValue {
                value: d.to_string(),
                location: location(),
                reason: "order total overflows".into(),
            })?;
        }
        Ok(())
    }
    /// Value `i` as a decimal.
    #[must_use]
    pub fn get(&self, i: usize) -> Decimal {
        self.units
            .get(i)
            .map_or(Decimal::ZERO, |&u| Decimal::new(u, self.scale))
    }
    /// A sum of units as a decimal (saturating beyond `Decimal`'s 96-bit range).
    #[must_use]
    pub fn units_to_decimal(&self, sum: i128) -> Decimal {
        Decimal::try_from_i128_with_scale(sum, self.scale).unwrap_or(if sum < 0 {
            Decimal::MIN
        } else {
            Decimal::MAX
        })
    }
    /// A sum of units as `f64`.
    #[must_use]
    pub fn units_to_f64(&self, sum: i128) -> f64 {
        sum as f64 / 10_f64.powi(self.scale as i32)
    }
    /// A new column in the order of `perm`.
    #[must_use]
    pub fn permuted(&self, perm: &[u32]) -> Self {
        Self {
            units: perm.iter().map(|&p| self.units[p as usize]).collect(),
            scale: self.scale,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn grows_scale_exactly() {
        let mut m = MoneyColumn::new();
        m.push(Decimal::from(12), Location::default).unwrap();
        m.push(Decimal::from_str("0.25").unwrap(), Location::default)
            .unwrap();
        assert_eq!(m.scale(), 2);
        assert_eq!(m.units(), &[1200, 25]);
        assert_eq!(m.get(1).to_string(), "0.25");
        assert_eq!(m.units_to_decimal(1225).to_string(), "12.25");
    }
}
