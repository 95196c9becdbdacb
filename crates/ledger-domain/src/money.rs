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

/// The text of an amount, as the API documents it (JSON Schema `pattern`):
/// a number greater than zero, digits without leading zeros, an optional point
/// followed by one to four digits — nothing else (no sign, space, exponent,
/// leading or trailing point). ISO 4217 exponents go up to 4 (CLF);
/// [`Amount::parse`] further holds the digits after the point to the
/// currency's exponent.
pub const AMOUNT_PATTERN: &str =
    r"^([1-9][0-9]{0,29}(\.[0-9]{1,4})?|0\.([1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9]))$";

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

    /// Every currency [`Currency::parse`] accepts (ISO 4217 codes with a
    /// minor unit), in code order.
    pub fn all() -> Vec<Currency> {
        use iso_currency::IntoEnumIterator;
        let mut all: Vec<Currency> = iso_currency::Currency::iter()
            .filter(|c| c.exponent().is_some())
            .map(Currency)
            .collect();
        all.sort_by_key(|c| c.code());
        all
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
    /// An amount from a decimal whose scale (digits after the point, trailing
    /// zeros included) is at most the currency's exponent.
    pub fn new(value: BigDecimal, currency: Currency) -> Result<Self, AmountError> {
        if !value.is_positive() {
            return Err(AmountError::NotPositive);
        }
        let value = fit_to_exponent(&value, currency)?;
        Ok(Self { value, currency })
    }

    /// Parses the text of an amount: exactly [`AMOUNT_PATTERN`], with at most
    /// the currency's exponent of fractional digits (`"1.000"` USD is refused,
    /// not read as 1.00), greater than zero.
    pub fn parse(text: &str, currency: Currency) -> Result<Self, AmountError> {
        let value = parse_decimal(text)?;
        if value.is_negative() {
            return Err(AmountError::NotPositive);
        }
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

/// Parses a plain decimal string: an optional `-`, digits without leading
/// zeros (`0` alone is fine), and optionally a point followed by digits. No
/// spaces, `+`, exponent, or bare point (`"1."`, `".5"`) — the one grammar for
/// every decimal the API reads. The scale of the result is the number of
/// digits written after the point.
pub fn parse_decimal(text: &str) -> Result<BigDecimal, AmountError> {
    let bad = || AmountError::NotANumber(text.chars().take(64).collect());
    if text.len() > 64 {
        return Err(bad());
    }
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let integer_ok = digits(integer) && (integer == "0" || !integer.starts_with('0'));
    if !integer_ok || fraction.is_some_and(|f| !digits(f)) {
        return Err(bad());
    }
    BigDecimal::from_str(text).map_err(|_| bad())
}

/// Rescales `value` to the currency's exponent without rounding, refusing values
/// written with more fractional digits than the exponent (even zeros) or with
/// too many integer digits.
pub fn fit_to_exponent(value: &BigDecimal, currency: Currency) -> Result<BigDecimal, AmountError> {
    let exponent = currency.exponent_i64();
    let (_, scale) = value.as_bigint_and_exponent();
    if scale > exponent {
        return Err(AmountError::TooManyDecimals {
            currency,
            exponent: currency.exponent(),
        });
    }
    let fitted = value.with_scale(exponent);
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
        let a = Amount::parse("5.5", usd()).unwrap();
        assert_eq!(a.value().to_string(), "5.50");
        // more digits than the currency has are refused, even zeros: the
        // client meant something this currency cannot hold
        assert!(matches!(
            Amount::parse("1.000", usd()),
            Err(AmountError::TooManyDecimals { exponent: 2, .. })
        ));
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
        for bad in [
            "", "abc", "1e5", "1E5", "1.2.3", "NaN", "+1", " ", ".", " 1.00", "1.00 ", "1.", ".5", "00001.00", "01",
            "-01", "1,00", "0x10", "١", "1_000", "--1", "-", "-.5", "1.-5", "\u{0}1",
        ] {
            assert!(
                matches!(Amount::parse(bad, usd()), Err(AmountError::NotANumber(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_grammar_is_the_documented_pattern() {
        // Amount::parse accepts exactly what AMOUNT_PATTERN describes, for
        // every string over a small alphabet up to six characters (CLF has 4
        // decimals, so the pattern's limit is the currency's)
        let alphabet = ['0', '1', '9', '.', '-', ' ', 'e'];
        let pattern = |s: &str| -> bool {
            // AMOUNT_PATTERN by hand (no regex dependency)
            let (i, f) = s.split_once('.').map_or((s, None), |(i, f)| (i, Some(f)));
            let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
            let int_ok = i == "0" || (digits(i) && !i.starts_with('0') && i.len() <= 30);
            let frac_ok = f.is_none_or(|f| digits(f) && f.len() <= 4);
            let positive = s.bytes().any(|b| (b'1'..=b'9').contains(&b));
            int_ok && frac_ok && positive
        };
        let clf = Currency::parse("CLF").unwrap();
        assert_eq!(clf.exponent(), 4);
        let mut words = vec![String::new()];
        for _ in 0..6 {
            let mut next = Vec::new();
            for w in &words {
                for c in alphabet {
                    let s = format!("{w}{c}");
                    assert_eq!(Amount::parse(&s, clf).is_ok(), pattern(&s), "{s:?}");
                    next.push(s);
                }
            }
            words = next;
        }
        // the documented regex, spelled out, is the one the API shows
        assert_eq!(
            AMOUNT_PATTERN,
            r"^([1-9][0-9]{0,29}(\.[0-9]{1,4})?|0\.([1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9]))$"
        );
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
