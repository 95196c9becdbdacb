//! Blnk amounts, exactly: `amount` (major units) or `precise_amount` (an
//! integer of `1/precision` units), read from the JSON number's own text,
//! never through a float; answered as JSON numbers written from the decimal.

use std::str::FromStr;

use bigdecimal::{BigDecimal, Signed};
use ledger_domain::{Amount, Currency};
use ledger_http::error::ApiError;
use serde_json::{Number, Value};

/// The largest `precision` accepted: 10^18.
const MAX_PRECISION_DIGITS: usize = 18;

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::validation(field, message)
}

/// `precision` as the power of ten it must be: `100` → 2. Absent means 1, as in Blnk.
fn precision_exponent(precision: Option<&Number>) -> Result<i64, ApiError> {
    let Some(p) = precision else { return Ok(0) };
    let text = p.to_string();
    let zeros = text.strip_prefix('1').filter(|z| z.bytes().all(|b| b == b'0'));
    match zeros {
        Some(z) if z.len() <= MAX_PRECISION_DIGITS => Ok(i64::try_from(z.len()).unwrap_or(0)),
        _ => Err(invalid(
            "precision",
            format!("precision must be a power of ten (1, 10, 100, …, 10^18), not {text}"),
        )),
    }
}

/// The amount a Blnk request names, in `currency`: exactly one of `amount`
/// and `precise_amount`; refused (never rounded) when it has more decimals
/// than the currency allows.
pub fn requested(
    amount: Option<&Number>,
    precise_amount: Option<&Number>,
    precision: Option<&Number>,
    currency: Currency,
) -> Result<Amount, ApiError> {
    let value = match (amount, precise_amount) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "amount",
                "either amount or precise_amount should be provided, not both",
            ));
        }
        (None, None) => return Err(invalid("amount", "either amount or precise_amount is required")),
        (Some(a), None) => {
            let text = a.to_string();
            BigDecimal::from_str(&text).map_err(|_| invalid("amount", format!("`{text}` is not a number")))?
        }
        (None, Some(p)) => {
            let text = p.to_string();
            if !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("precise_amount", format!("`{text}` is not a positive integer")));
            }
            let units = bigdecimal::num_bigint::BigInt::from_str(&text)
                .map_err(|_| invalid("precise_amount", format!("`{text}` is not an integer")))?;
            BigDecimal::new(units, precision_exponent(precision)?)
        }
    };
    if !value.is_positive() {
        return Err(invalid("amount", "amount must be greater than zero"));
    }
    // 12340 at precision 1000 is 12.34 USD: trailing zeros carry nothing
    Amount::new(value.normalized(), currency).map_err(|e| invalid("amount", e.to_string()))
}

/// A JSON number written from a decimal's plain text.
pub fn number(value: &BigDecimal) -> Value {
    Number::from_str(&value.normalized().to_plain_string())
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// `value` in minor units of `currency` (USD 10.50 → 1050), as a JSON number.
pub fn minor_units(value: &BigDecimal, currency: Currency) -> Value {
    let scaled = value * BigDecimal::new(1.into(), -i64::from(currency.exponent()));
    Number::from_str(&scaled.with_scale(0).to_plain_string())
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// `10^exponent` of the currency: Blnk's `precision` of an answer.
pub fn precision_of(currency: Currency) -> Value {
    number(&BigDecimal::new(1.into(), -i64::from(currency.exponent())))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn n(text: &str) -> Number {
        serde_json::from_str(text).unwrap()
    }
    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[test]
    fn json_numbers_are_read_from_their_text() {
        let a = |t: &str| requested(Some(&n(t)), None, None, usd()).map(|a| a.to_fixed());
        assert_eq!(a("100.5").unwrap(), "100.50");
        assert_eq!(a("1e2").unwrap(), "100.00");
        assert_eq!(a("0.1").unwrap(), "0.10"); // 0.1 has no exact f64
        assert_eq!(
            a("123456789012345678901234567.89").unwrap(),
            "123456789012345678901234567.89"
        );
        assert!(
            a("100.505").is_err(),
            "more decimals than USD has: refused, not rounded"
        );
        assert!(a("0").is_err() && a("-1").is_err());
    }

    #[test]
    fn precise_amounts_are_integers_of_a_power_of_ten() {
        let p = |units: &str, precision: Option<&str>| {
            requested(None, Some(&n(units)), precision.map(n).as_ref(), usd()).map(|a| a.to_fixed())
        };
        assert_eq!(p("100000", Some("100")).unwrap(), "1000.00");
        assert_eq!(p("12340", Some("1000")).unwrap(), "12.34");
        assert_eq!(p("7", None).unwrap(), "7.00");
        assert!(p("12345", Some("1000")).is_err(), "12.345 USD");
        assert!(p("100", Some("3")).is_err(), "precision 3 would divide inexactly");
        assert!(p("1.5", Some("100")).is_err());
        assert!(p("1e3", Some("100")).is_err());
        assert!(requested(Some(&n("1")), Some(&n("100")), None, usd()).is_err(), "both");
        assert!(requested(None, None, None, usd()).is_err(), "neither");
    }

    #[test]
    fn answers_are_exact_numbers() {
        let d = |t: &str| BigDecimal::from_str(t).unwrap();
        assert_eq!(minor_units(&d("700.00"), usd()).to_string(), "70000");
        assert_eq!(minor_units(&d("-900.00"), usd()).to_string(), "-90000");
        assert_eq!(
            minor_units(&d("123456789012345678901234567890.99"), usd()).to_string(),
            "12345678901234567890123456789099"
        );
        assert_eq!(number(&d("1000.00")).to_string(), "1000");
        assert_eq!(number(&d("0.10")).to_string(), "0.1");
        assert_eq!(precision_of(usd()).to_string(), "100");
    }
}
