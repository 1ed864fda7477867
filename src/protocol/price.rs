//! Money strings (`"$0.01"`, `"0.05 USDC"`, `"1,000.25"`) to atomic units, exactly:
//! the decimal point is moved digit by digit, never through a float.

use super::Amount;
use crate::error::{Error, Result};

/// A price read from a money string, already converted to atomic units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Price {
    /// The amount in atomic units of an asset with the given decimals.
    pub amount: Amount,
    /// The currency named in the string: `"USD"` for a leading `$`, the trailing
    /// symbol for `"0.05 USDC"`, or `None` for a bare number.
    pub currency: Option<String>,
}

/// Converts a money string to atomic units for an asset with `decimals` decimals.
///
/// Accepts `"1.5"`, `"$0.01"`, `"0.05 USDC"`, `"$1,000.25"` (comma groups of three),
/// with surrounding whitespace. Exact: `"0.0000001"` for a 6-decimal asset is an
/// error, never rounded.
///
/// # Errors
/// [`Error::InvalidPrice`] for malformed text, [`Error::TooManyDecimals`] for
/// digits below the asset's precision, [`Error::AmountOverflow`] past 2^256 - 1.
pub fn parse_price(text: &str, decimals: u8) -> Result<Price> {
    let text = text.trim();
    let (number, mut currency) = match text.strip_prefix('$') {
        Some(rest) => (rest, Some("USD".to_owned())),
        None => (text, None),
    };
    let (number, symbol) = match number.split_once(char::is_whitespace) {
        Some((number, symbol)) => (number, Some(symbol.trim())),
        None => (number, None),
    };
    if let Some(symbol) = symbol {
        let valid = !symbol.is_empty()
            && symbol.len() <= 12
            && symbol
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if !valid {
            return Err(Error::InvalidPrice {
                reason: "currency symbol must be letters or digits",
            });
        }
        if currency.is_some() && !symbol.eq_ignore_ascii_case("USD") {
            return Err(Error::InvalidPrice {
                reason: "a $ price cannot name another currency",
            });
        }
        currency = Some(symbol.to_ascii_uppercase());
    }
    let (int, frac) = match number.split_once('.') {
        Some((int, frac)) => (int, frac),
        None => (number, ""),
    };
    let int = strip_thousands(int)?;
    if int.is_empty() && frac.is_empty() {
        return Err(Error::InvalidPrice {
            reason: "no digits",
        });
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::InvalidPrice {
            reason: "only digits, one point and a leading $ are allowed",
        });
    }
    if number.contains('.') && frac.is_empty() {
        return Err(Error::InvalidPrice {
            reason: "a point must be followed by digits",
        });
    }
    let significant_frac = frac.trim_end_matches('0');
    if significant_frac.len() > usize::from(decimals) {
        return Err(Error::TooManyDecimals {
            decimals,
            given: significant_frac.len(),
        });
    }
    let padding = usize::from(decimals) - significant_frac.len();
    let atomic = format!("{int}{significant_frac}{}", "0".repeat(padding));
    let atomic = if atomic.is_empty() {
        "0"
    } else {
        atomic.as_str()
    };
    let amount = Amount::parse(atomic).map_err(|e| match e {
        e @ Error::AmountOverflow { .. } => e,
        _ => Error::InvalidPrice {
            reason: "not a number",
        },
    })?;
    Ok(Price { amount, currency })
}

/// Removes comma thousands separators, insisting on groups of exactly three.
fn strip_thousands(int: &str) -> Result<String> {
    if !int.contains(',') {
        return Ok(int.to_owned());
    }
    let mut groups = int.split(',');
    let head = groups.next().unwrap_or_default();
    if head.is_empty() || head.len() > 3 {
        return Err(Error::InvalidPrice {
            reason: "misplaced thousands separator",
        });
    }
    let mut out = head.to_owned();
    for group in groups {
        if group.len() != 3 {
            return Err(Error::InvalidPrice {
                reason: "misplaced thousands separator",
            });
        }
        out.push_str(group);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_convert_exactly() {
        let usdc = |s| parse_price(s, 6).map(|p| (p.amount.to_string(), p.currency));
        assert_eq!(usdc("$0.01").unwrap(), ("10000".into(), Some("USD".into())));
        assert_eq!(
            usdc("0.05 USDC").unwrap(),
            ("50000".into(), Some("USDC".into()))
        );
        assert_eq!(usdc("1.5").unwrap(), ("1500000".into(), None));
        assert_eq!(
            usdc(" $1,000.25 ").unwrap(),
            ("1000250000".into(), Some("USD".into()))
        );
        assert_eq!(usdc("$.5").unwrap().0, "500000");
        assert_eq!(usdc("0.000001").unwrap().0, "1");
        assert_eq!(usdc("0.0000010").unwrap().0, "1");
        assert_eq!(usdc("$0").unwrap().0, "0");
        assert_eq!(usdc("$1 usd").unwrap().1, Some("USD".into()));
        let eth = parse_price("0.1 ETH", 18).unwrap();
        assert_eq!(eth.amount.to_string(), "100000000000000000");
        // 0.1 is not representable in binary floating point; here it is exact.
        assert_eq!(
            parse_price("0.3", 18).unwrap().amount.to_string(),
            "300000000000000000"
        );
    }

    #[test]
    fn bad_prices_have_codes() {
        let cases = [
            ("0.0000001", "AMOUNT_PRECISION"),
            ("1.1234567", "AMOUNT_PRECISION"),
            ("", "INVALID_PRICE"),
            ("$", "INVALID_PRICE"),
            ("1.", "INVALID_PRICE"),
            ("-1", "INVALID_PRICE"),
            ("1e-3", "INVALID_PRICE"),
            ("1.2.3", "INVALID_PRICE"),
            ("$1 EUR", "INVALID_PRICE"),
            ("1,00", "INVALID_PRICE"),
            ("1 US$D", "INVALID_PRICE"),
            ("NaN", "INVALID_PRICE"),
            ("Infinity", "INVALID_PRICE"),
        ];
        for (input, code) in cases {
            assert_eq!(
                parse_price(input, 6).unwrap_err().code(),
                code,
                "input {input}"
            );
        }
        let huge = format!("{}.5", "9".repeat(80));
        assert_eq!(parse_price(&huge, 6).unwrap_err().code(), "AMOUNT_OVERFLOW");
    }
}
