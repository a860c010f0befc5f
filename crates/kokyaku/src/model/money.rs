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
    /// The factor by which the scale would grow to hold amounts of `scale` decimals (1 when
    /// it holds them already), or `None` when [`Self::units_of`] would refuse such an amount
    /// (more than the most decimals, or stored values no longer fitting). Changes nothing.
    pub(crate) fn growth_to(&self, scale: u32) -> Option<i64> {
        if scale <= self.scale {
            return Some(1);
        }
        if scale > MAX_SCALE {
            return None;
        }
        let k = 10_i64.pow(scale - self.scale);
        i64::try_from(self.max_abs).ok()?.checked_mul(k)?;
        Some(k)
    }
    /// Grows the scale to `scale` (after [`Self::growth_to`] said it can).
    pub(crate) fn grow_to(&mut self, scale: u32) {
        if let Some(k) = self.growth_to(scale).filter(|&k| k != 1) {
            self.max_abs *= k.unsigned_abs();
            self.scale = scale;
        }
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
    /// How a batch of non-negative units at `scale` (at most `max_units`) is appended, as
    /// pushing each amount would store them: `(grow, k)`, where the stored values are
    /// multiplied by `grow` (the scale grows to `scale`) and the batch's by `k`; plus, for
    /// `joined = Some((i, u))`, `u` added to value `i`. `None` when pushing them one by one
    /// would fail (too many decimals, or a value beyond `i64`). Changes nothing.
    #[cfg(feature = "parquet")]
    pub(crate) fn plan_extend(
        &self,
        scale: u32,
        max_units: i64,
        joined: Option<(usize, i64)>,
    ) -> Option<(i64, i64)> {
        if scale > MAX_SCALE {
            return None;
        }
        let grow = 10_i64.checked_pow(scale.saturating_sub(self.scale))?;
        let k = 10_i64.checked_pow(self.scale.saturating_sub(scale))?;
        if grow != 1 && !self.units.iter().all(|u| u.checked_mul(grow).is_some()) {
            return None;
        }
        max_units.checked_mul(k)?;
        if let Some((i, u)) = joined {
            self.units
                .get(i)?
                .checked_mul(grow)?
                .checked_add(u.checked_mul(k)?)?;
        }
        Some((grow, k))
    }
    /// Applies [`Self::plan_extend`]'s `(grow, k)`: grows the stored values to `scale`, adds
    /// the joined value and appends `units`.
    #[cfg(feature = "parquet")]
    pub(crate) fn extend_planned(
        &mut self,
        (grow, k): (i64, i64),
        scale: u32,
        joined: Option<(usize, i64)>,
        units: &[i64],
    ) {
        if grow != 1 {
            for u in &mut self.units {
                *u *= grow;
            }
            self.scale = scale;
        }
        if let Some((i, u)) = joined {
            self.units[i] += u * k;
        }
        if k == 1 {
            self.units.extend_from_slice(units);
        } else {
            self.units.extend(units.iter().map(|u| u * k));
        }
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

/// The minor units (decimal places) of an ISO 4217 currency code, case-insensitive: 0 for
/// JPY, KRW, VND, CLP, ISK and the other currencies without subunits, 3 for BHD, IQD, JOD,
/// KWD, LYD, OMR and TND, 4 for CLF and UYW, 2 for every other code.
#[must_use]
pub fn minor_units(code: &str) -> u32 {
    let c = code.trim().to_ascii_uppercase();
    match c.as_str() {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

/// Why a float is not an amount of money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FloatMoneyError {
    /// NaN or an infinity.
    NonFinite,
    /// More decimals than the currency's minor units, beyond float rounding noise.
    Precision,
    /// Beyond what a decimal holds.
    TooLarge,
}

/// A float amount as money (see docs/ingestion.md, "Money from floats"): the exact decimal of
/// its shortest round-trip text (`format!("{f}")`, as Python's `repr`, JavaScript's
/// `String(x)`). With the currency's `minor` units known, a text with more decimals is rounded
/// to them (half to even) only when the float lies within four float steps or a millionth of a
/// minor unit of that rounded amount (the noise of float arithmetic: `0.1 + 0.2` is
/// `0.30000000000000004`, read as `0.30` in USD); otherwise it is [`FloatMoneyError::Precision`] (`12.345` USD, `0.5` JPY). Without a
/// currency, at most 8 decimals are kept (rounded half to even). Zero, also `-0.0`, is zero.
pub(crate) fn float_money(f: f64, minor: Option<u32>) -> Result<Decimal, FloatMoneyError> {
    // Most amounts are whole cents: their shortest text is the one multiple of 0.01 that
    // reads back as the float (below 10^13 floats are less than a cent apart, so no other
    // multiple of 0.01 does, and a shorter text is such a multiple too), found without
    // formatting the float.
    if f.abs() < 1e13 && f != 0.0 {
        let c = (f * 100.0).round();
        // `c / 100` is correctly rounded: equal to `f` exactly when the decimal reads back
        // as `f`.
        #[allow(clippy::float_cmp)] // exact equality is the point
        if c / 100.0 == f {
            let d = Decimal::new(c as i64, 2).normalize();
            if minor.is_none_or(|m| d.scale() <= m) {
                return Ok(d);
            }
        }
    }
    float_money_text(f, minor)
}

/// [`float_money`] through the float's shortest text (the definition).
pub(crate) fn float_money_text(f: f64, minor: Option<u32>) -> Result<Decimal, FloatMoneyError> {
    use std::str::FromStr as _;
    if !f.is_finite() {
        return Err(FloatMoneyError::NonFinite);
    }
    if f == 0.0 {
        return Ok(Decimal::ZERO);
    }
    let d = Decimal::from_str(&format!("{f}"))
        .or_else(|_| {
            rust_decimal::prelude::FromPrimitive::from_f64(f).ok_or(FloatMoneyError::TooLarge)
        })?
        .normalize();
    let Some(m) = minor else {
        return Ok(d.round_dp(MAX_SCALE).normalize());
    };
    if d.scale() <= m {
        return Ok(d);
    }
    let r = d.round_dp_with_strategy(m, rust_decimal::RoundingStrategy::MidpointNearestEven);
    let back: f64 = rust_decimal::prelude::ToPrimitive::to_f64(&r).unwrap_or(f64::NAN);
    let step = f64::from_bits(f.abs().to_bits() + 1) - f.abs();
    // Float noise: four float steps, or a millionth of a minor unit (sums of many floats).
    let noise = (4.0 * step).max(10_f64.powi(-(m as i32) - 6));
    if (f - back).abs() <= noise {
        Ok(r.normalize())
    } else {
        Err(FloatMoneyError::Precision)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// The whole-cents shortcut of `float_money` gives what the definition gives (the same
    /// decimal, scale included, or the same error).
    #[test]
    fn float_money_shortcut_equals_the_text() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut values = vec![
            0.1 + 0.2,
            0.01,
            0.5,
            12.5,
            99_999_999_999.99,
            9_999_999_999_999.99,
            1e13,
            1e13 - 0.01,
            -0.0,
            -12.34,
            1e-9,
            123.456,
            f64::MIN_POSITIVE,
        ];
        for _ in 0..200_000 {
            let r = next();
            let cents = (r >> 20) as i64 % 10_000_000_000_000_000;
            let sign = if r & 1 == 0 { 1.0 } else { -1.0 };
            values.push(sign * cents as f64 / 100.0);
            values.push(sign * (r >> 11) as f64 / (1u64 << (r % 60)) as f64);
            values.push(f64::from_bits(r));
        }
        for f in values {
            for minor in [None, Some(0), Some(1), Some(2), Some(3)] {
                let a = float_money(f, minor);
                let b = float_money_text(f, minor);
                assert_eq!(a, b, "{f:?} {minor:?}");
                if let (Ok(a), Ok(b)) = (a, b) {
                    assert_eq!(a.scale(), b.scale(), "{f:?} {minor:?}");
                }
            }
        }
    }

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

    #[test]
    fn floats_become_money_exactly_or_are_refused() {
        use super::{FloatMoneyError as E, float_money, minor_units};
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let (usd, jpy, bhd) = (Some(minor_units("usd")), Some(minor_units("JPY")), Some(3));
        assert_eq!((usd, jpy, minor_units(" KWD ")), (Some(2), Some(0), 3));
        // 0.1 + 0.2 = 0.30000000000000004: float noise, 0.30 in USD; not yen.
        assert_eq!(float_money(0.1 + 0.2, usd), Ok(d("0.3")));
        assert_eq!(float_money(0.1 + 0.2, jpy), Err(E::Precision));
        assert_eq!(float_money(3.0 * 1.1, usd), Ok(d("3.3")));
        // Sums of many cents stay cents.
        let sum: f64 = (0..1000).map(|_| 0.01).sum();
        assert_eq!(float_money(sum, usd), Ok(d("10")));
        // A real third decimal is refused, unless the currency has three.
        assert_eq!(float_money(12.345, usd), Err(E::Precision));
        assert_eq!(float_money(12.345, bhd), Ok(d("12.345")));
        assert_eq!(float_money(0.5, jpy), Err(E::Precision));
        assert_eq!(float_money(1234.0, jpy), Ok(d("1234")));
        // Large whole amounts are exact.
        assert_eq!(float_money(1e15, usd), Ok(d("1000000000000000")));
        assert_eq!(float_money(1e15, jpy), Ok(d("1000000000000000")));
        assert_eq!(float_money(-1e15, jpy), Ok(d("-1000000000000000")));
        // Negative zero is zero (not a refund).
        let z = float_money(-0.0, usd).unwrap();
        assert!(z.is_zero() && !z.is_sign_negative());
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(float_money(bad, usd), Err(E::NonFinite));
            assert_eq!(float_money(bad, None), Err(E::NonFinite));
        }
        // Without a currency: the shortest text, at most 8 decimals.
        assert_eq!(float_money(0.1 + 0.2, None), Ok(d("0.3")));
        assert_eq!(float_money(11.77, None), Ok(d("11.77")));
        assert_eq!(float_money(-2.5, usd), Ok(d("-2.5")));
    }
}
