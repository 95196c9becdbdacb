//! Money: ISO 4217 currencies and exact decimal amounts.
//!
//! Rounding rules used anywhere in the ledger are written down here:
//! * An [`Amount`] is never rounded: a value with more fractional digits than the
//!   currency's exponent is refused, not truncated.
//! * A fee is `amount × rate`, rounded **half-up** (away from zero at exactly .5)
//!   to the currency's exponent — see [`Amount::fee`].

use std::fmt;
use std::str::FromStr;

use bigdecimal::{BigDecimal, RoundingMode, Signed, Zero};
use serde::{Deserialize, Serialize};

/// The largest number of integer digits an amount may have.
pub const MAX_INTEGER_DIGITS: u64 = 30;

/// An ISO 4217 currency, from the maintained `iso_currency` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(iso_currency::Currency);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurrencyError {
    #[error("`{0}` is not an ISO 4217 currency code")]
    Unknown(String),
    #[error("`{0}` has no minor unit (not a currency money can be held in)")]
    NoMinorUnit(String),
}

impl Currency {
    /// Parses an upper-case ISO 4217 alphabetic code such as `USD`.
    pub fn parse(code: &str) -> Result<Self, CurrencyError> {
        let currency =
            iso_currency::Currency::from_code(code).ok_or_else(|| CurrencyError::Unknown(code.to_owned()))?;
        // Funds codes and metals (XAU, XDR, …) have no exponent: refuse them.
        if currency.exponent().is_none() {
            return Err(CurrencyError::NoMinorUnit(code.to_owned()));
        }
        Ok(Self(currency))
    }

    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// Number of digits after the decimal point (USD 2, JPY 0, BHD 3).
    pub fn exponent(&self) -> u16 {
        self.0.exponent().unwrap_or(0)
    }

    fn exponent_i64(&self) -> i64 {
        i64::from(self.exponent())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = CurrencyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Self::parse(&code).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("amount must be greater than zero")]
    NotPositive,
    #[error("{currency} allows at most {exponent} fractional digits")]
    TooManyDecimals { currency: Currency, exponent: u16 },
    #[error("amount has more than {MAX_INTEGER_DIGITS} integer digits")]
    TooLarge,
    #[error("`{0}` is not a decimal number")]
    NotANumber(String),
}

/// A strictly positive, exact amount of one currency.
///
/// Its scale is always the currency's exponent, so `"1000"` USD is held and shown
/// as `1000.00`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Amount {
    value: BigDecimal,
    currency: Currency,
}

impl Amount {
    pub fn new(value: BigDecimal, currency: Currency) -> Result<Self, AmountError> {
        if !value.is_positive() {
            return Err(AmountError::NotPositive);
        }
        let value = fit_to_exponent(&value, currency)?;
        Ok(Self { value, currency })
    }

    /// Parses a decimal string such as `"1000.00"`.
    pub fn parse(text: &str, currency: Currency) -> Result<Self, AmountError> {
        let value = parse_decimal(text)?;
        Self::new(value, currency)
    }

    pub fn value(&self) -> &BigDecimal {
        &self.value
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// `self × rate`, rounded half-up to the currency's exponent.
    ///
    /// The result may be zero (`0.01 USD × 0.02 = 0.0002 → 0.00`); the caller
    /// decides what a zero fee means. `rate` must not be negative.
    pub fn fee(&self, rate: &FeeRate) -> BigDecimal {
        let raw = &self.value * rate.value();
        let exponent = self.currency.exponent_i64();
        raw.with_scale_round(exponent, RoundingMode::HalfUp)
            .with_scale(exponent)
    }

    /// `self − other` when the result is still a positive amount, `None` when it is
    /// zero; an error when `other` exceeds `self`.
    pub fn checked_sub(&self, other: &BigDecimal) -> Result<Option<Amount>, AmountError> {
        let rest = &self.value - other;
        if rest.is_zero() {
            return Ok(None);
        }
        Amount::new(rest, self.currency).map(Some)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.value, self.currency)
    }
}

/// Formats a decimal in plain notation with exactly `scale` fractional digits
/// (`0` at scale 2 is `"0.00"`). The value must already fit that scale; digits
/// beyond it would be cut, so callers pass only values of that currency.
pub fn format_fixed(value: &BigDecimal, scale: u16) -> String {
    let scale = i64::from(scale);
    if value.is_zero() {
        return BigDecimal::from(0).with_scale(scale).to_plain_string();
    }
    value.with_scale(scale).to_plain_string()
}

impl Amount {
    /// The amount as a plain decimal string with the currency's digits.
    pub fn to_fixed(&self) -> String {
        format_fixed(&self.value, self.currency.exponent())
    }
}

/// Parses a plain decimal string (no exponent notation, no sign other than `-`).
pub fn parse_decimal(text: &str) -> Result<BigDecimal, AmountError> {
    let trimmed = text.trim();
    let plain = !trimmed.is_empty()
        && trimmed.len() <= 64
        && trimmed
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && c == '-'))
        && trimmed.chars().filter(|c| *c == '.').count() <= 1
        && trimmed.chars().any(|c| c.is_ascii_digit());
    if !plain {
        return Err(AmountError::NotANumber(text.chars().take(64).collect()));
    }
    BigDecimal::from_str(trimmed).map_err(|_| AmountError::NotANumber(text.to_owned()))
}

/// Rescales `value` to the currency's exponent without rounding, refusing values
/// that would lose digits or have too many integer digits.
pub fn fit_to_exponent(value: &BigDecimal, currency: Currency) -> Result<BigDecimal, AmountError> {
    let exponent = currency.exponent_i64();
    let normalized = value.normalized();
    let (_, scale) = normalized.as_bigint_and_exponent();
    if scale > exponent {
        return Err(AmountError::TooManyDecimals {
            currency,
            exponent: currency.exponent(),
        });
    }
    let fitted = normalized.with_scale(exponent);
    let integer_digits = fitted.digits().saturating_sub(u64::from(currency.exponent()));
    if integer_digits > MAX_INTEGER_DIGITS {
        return Err(AmountError::TooLarge);
    }
    Ok(fitted)
}

/// A withdrawal fee rate: `0 ≤ rate < 1`, at most 8 fractional digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "BigDecimal", into = "BigDecimal")]
pub struct FeeRate(BigDecimal);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeeRateError {
    #[error("fee rate must be at least 0 and below 1")]
    OutOfRange,
    #[error("fee rate allows at most 8 fractional digits")]
    TooPrecise,
}

impl FeeRate {
    pub const MAX_SCALE: i64 = 8;

    pub fn new(value: BigDecimal) -> Result<Self, FeeRateError> {
        if value.is_negative() || value >= 1 {
            return Err(FeeRateError::OutOfRange);
        }
        let (_, scale) = value.normalized().as_bigint_and_exponent();
        if scale > Self::MAX_SCALE {
            return Err(FeeRateError::TooPrecise);
        }
        Ok(Self(value.normalized().with_scale(scale.max(2))))
    }

    /// The default withdrawal fee: 2%.
    pub fn default_withdrawal() -> Self {
        Self(BigDecimal::new(2.into(), 2))
    }

    pub fn value(&self) -> &BigDecimal {
        &self.0
    }
}

impl TryFrom<BigDecimal> for FeeRate {
    type Error = FeeRateError;
    fn try_from(value: BigDecimal) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<FeeRate> for BigDecimal {
    fn from(rate: FeeRate) -> Self {
        rate.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }
    fn dec(s: &str) -> BigDecimal {
        BigDecimal::from_str(s).unwrap()
    }

    #[test]
    fn currency_exponents_come_from_iso_4217() {
        assert_eq!(Currency::parse("USD").unwrap().exponent(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("BHD").unwrap().exponent(), 3);
    }

    #[test]
    fn unknown_and_unitless_currencies_are_refused() {
        assert!(matches!(Currency::parse("ABC"), Err(CurrencyError::Unknown(_))));
        assert!(matches!(Currency::parse("usd"), Err(CurrencyError::Unknown(_))));
        assert!(matches!(Currency::parse("XAU"), Err(CurrencyError::NoMinorUnit(_))));
    }

    #[test]
    fn amounts_are_rescaled_to_the_exponent_without_rounding() {
        let a = Amount::parse("1000", usd()).unwrap();
        assert_eq!(a.value().to_string(), "1000.00");
        let a = Amount::parse("0.10", usd()).unwrap();
        assert_eq!(a.value().to_string(), "0.10");
        // trailing zeros beyond the exponent carry no information: accepted
        let a = Amount::parse("5.000", usd()).unwrap();
        assert_eq!(a.value().to_string(), "5.00");
    }

    #[test]
    fn zero_and_negative_amounts_are_refused() {
        assert_eq!(Amount::parse("0", usd()), Err(AmountError::NotPositive));
        assert_eq!(Amount::parse("0.00", usd()), Err(AmountError::NotPositive));
        assert_eq!(Amount::parse("-1.00", usd()), Err(AmountError::NotPositive));
    }

    #[test]
    fn too_many_decimals_are_refused_per_currency() {
        assert!(matches!(
            Amount::parse("0.001", usd()),
            Err(AmountError::TooManyDecimals { exponent: 2, .. })
        ));
        let jpy = Currency::parse("JPY").unwrap();
        assert!(Amount::parse("1.5", jpy).is_err());
        assert_eq!(Amount::parse("15", jpy).unwrap().value().to_string(), "15");
        let bhd = Currency::parse("BHD").unwrap();
        assert_eq!(Amount::parse("1.234", bhd).unwrap().value().to_string(), "1.234");
        assert!(Amount::parse("1.2345", bhd).is_err());
    }

    #[test]
    fn thirty_integer_digits_are_exact_and_thirty_one_are_refused() {
        let thirty = "123456789012345678901234567890.99";
        let a = Amount::parse(thirty, usd()).unwrap();
        assert_eq!(a.value().to_string(), thirty);
        let sum = a.value() + a.value();
        assert_eq!(sum.to_string(), "246913578024691357802469135781.98");
        assert_eq!(
            Amount::parse("1234567890123456789012345678901", usd()),
            Err(AmountError::TooLarge)
        );
    }

    #[test]
    fn non_numbers_and_exponent_notation_are_refused() {
        for bad in ["", "abc", "1e5", "1.2.3", "NaN", "+1", " ", "."] {
            assert!(
                matches!(Amount::parse(bad, usd()), Err(AmountError::NotANumber(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn fee_rounds_half_up_to_the_exponent() {
        let rate = FeeRate::default_withdrawal();
        let fee = |s: &str, c: Currency| format_fixed(&Amount::parse(s, c).unwrap().fee(&rate), c.exponent());
        assert_eq!(fee("0.01", usd()), "0.00"); // 0.0002
        assert_eq!(fee("0.25", usd()), "0.01"); // 0.005 exactly: half-up
        assert_eq!(fee("0.24", usd()), "0.00"); // 0.0048
        assert_eq!(fee("0.26", usd()), "0.01"); // 0.0052
        assert_eq!(fee("100.00", usd()), "2.00");
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(fee("25", jpy), "1"); // 0.5 → 1
        assert_eq!(fee("24", jpy), "0"); // 0.48 → 0
        let bhd = Currency::parse("BHD").unwrap();
        assert_eq!(fee("0.025", bhd), "0.001"); // 0.0005 → 0.001
        assert_eq!(fee("0.024", bhd), "0.000");
        assert_eq!(
            fee("123456789012345678901234567890.00", usd()),
            "2469135780246913578024691357.80"
        );
    }

    #[test]
    fn fixed_formatting_keeps_the_currency_digits() {
        assert_eq!(format_fixed(&dec("0"), 2), "0.00");
        assert_eq!(format_fixed(&dec("0"), 0), "0");
        assert_eq!(format_fixed(&dec("-1.5"), 2), "-1.50");
        assert_eq!(
            format_fixed(&dec("123456789012345678901234567890"), 3),
            "123456789012345678901234567890.000"
        );
    }

    #[test]
    fn fee_rates_must_lie_in_zero_to_one() {
        assert!(FeeRate::new(dec("0")).is_ok());
        assert!(FeeRate::new(dec("0.99999999")).is_ok());
        assert_eq!(FeeRate::new(dec("1")), Err(FeeRateError::OutOfRange));
        assert_eq!(FeeRate::new(dec("-0.01")), Err(FeeRateError::OutOfRange));
        assert_eq!(FeeRate::new(dec("0.000000001")), Err(FeeRateError::TooPrecise));
        assert_eq!(FeeRate::default_withdrawal().value().to_string(), "0.02");
    }
}
