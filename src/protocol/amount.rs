//! Token amounts: unsigned 256-bit integers in atomic units.
//!
//! Nothing here touches a float. Amounts travel as decimal strings on the wire
//! (they may exceed 2^64); money strings convert to them in [`super::price`].

use std::fmt;
use std::str::FromStr;

use ruint::aliases::U256;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, MAX_U64, MAX_UINT256, Result};

/// The most digits a value below 2^256 can have (2^256 - 1 has 78).
const MAX_DIGITS: usize = 78;

/// A non-negative integer amount in the asset's smallest unit, at most 2^256 - 1.
///
/// Serialized as a decimal string, the x402 wire form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(U256);

impl Amount {
    /// Zero.
    pub const ZERO: Amount = Amount(U256::ZERO);

    /// Parses a plain decimal integer string: ASCII digits only, no sign, point,
    /// exponent, separator or surrounding space.
    ///
    /// # Errors
    /// [`Error::InvalidAmount`] for anything but digits, [`Error::AmountOverflow`]
    /// above 2^256 - 1.
    pub fn parse(text: &str) -> Result<Self> {
        if text.is_empty() {
            return Err(Error::InvalidAmount {
                reason: "empty string",
            });
        }
        if let Some(reason) = text.bytes().find_map(non_digit_reason) {
            return Err(Error::InvalidAmount { reason });
        }
        let significant = text.trim_start_matches('0');
        if significant.len() > MAX_DIGITS {
            return Err(Error::AmountOverflow { max: MAX_UINT256 });
        }
        let mut value = U256::ZERO;
        for digit in significant.bytes() {
            value = value
                .checked_mul(U256::from(10u8))
                .and_then(|v| v.checked_add(U256::from(digit - b'0')))
                .ok_or(Error::AmountOverflow { max: MAX_UINT256 })?;
        }
        Ok(Amount(value))
    }

    /// The amount as a 256-bit integer.
    pub fn as_u256(&self) -> U256 {
        self.0
    }

    /// The amount as a `u64`, if it fits.
    pub fn to_u64(&self) -> Option<u64> {
        u64::try_from(self.0).ok()
    }

    /// The amount as an SPL token amount (a `u64`).
    ///
    /// # Errors
    /// [`Error::AmountOverflow`] past 2^64 - 1.
    pub fn to_spl_amount(&self) -> Result<u64> {
        self.to_u64().ok_or(Error::AmountOverflow { max: MAX_U64 })
    }

    /// The 32-byte big-endian encoding (an ABI `uint256`).
    pub fn to_be_bytes(&self) -> [u8; 32] {
        self.0.to_be_bytes::<32>()
    }

    /// Adds two amounts.
    ///
    /// # Errors
    /// [`Error::AmountOverflow`] when the sum exceeds 2^256 - 1.
    pub fn checked_add(self, other: Amount) -> Result<Amount> {
        self.0
            .checked_add(other.0)
            .map(Amount)
            .ok_or(Error::AmountOverflow { max: MAX_UINT256 })
    }

    /// Subtracts, or returns `None` when `other` is larger.
    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }

    /// Formats the amount as a decimal with `decimals` fractional digits, trailing
    /// zeros trimmed: 10000 with 6 decimals is `"0.01"`.
    pub fn format_units(&self, decimals: u8) -> String {
        let digits = self.0.to_string();
        let decimals = usize::from(decimals);
        if decimals == 0 {
            return digits;
        }
        let padded = format!("{digits:0>width$}", width = decimals + 1);
        let (int, frac) = padded.split_at(padded.len() - decimals);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            int.to_owned()
        } else {
            format!("{int}.{frac}")
        }
    }
}

fn non_digit_reason(b: u8) -> Option<&'static str> {
    match b {
        b'0'..=b'9' => None,
        b'-' | b'+' => Some("signs are not allowed"),
        b'.' => Some("fractions are not allowed; amounts are atomic units"),
        b'e' | b'E' => Some("exponents are not allowed"),
        b' ' | b'\t' | b'\n' | b'\r' => Some("whitespace is not allowed"),
        _ => Some("not a decimal integer"),
    }
}

impl From<u64> for Amount {
    fn from(value: u64) -> Self {
        Amount(U256::from(value))
    }
}

impl From<U256> for Amount {
    fn from(value: U256) -> Self {
        Amount(value)
    }
}

impl FromStr for Amount {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Amount::parse(s)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Amount::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_integers_up_to_2_256_minus_1() {
        assert_eq!(Amount::parse("0").unwrap(), Amount::ZERO);
        assert_eq!(Amount::parse("10000").unwrap(), Amount::from(10_000));
        assert_eq!(Amount::parse("000123").unwrap(), Amount::from(123));
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        assert_eq!(Amount::parse(max).unwrap().to_string(), max);
        assert_eq!(Amount::parse(max).unwrap().as_u256(), U256::MAX);
        let above_u64 = "18446744073709551616";
        assert_eq!(Amount::parse(above_u64).unwrap().to_u64(), None);
        assert_eq!(
            Amount::parse("18446744073709551615").unwrap().to_u64(),
            Some(u64::MAX)
        );
    }

    #[test]
    fn rejects_everything_else_with_a_code() {
        let max_plus_one =
            "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        let cases = [
            ("", "INVALID_AMOUNT"),
            ("-1", "INVALID_AMOUNT"),
            ("+1", "INVALID_AMOUNT"),
            ("1.0", "INVALID_AMOUNT"),
            ("1e6", "INVALID_AMOUNT"),
            (" 1", "INVALID_AMOUNT"),
            ("0x10", "INVALID_AMOUNT"),
            ("1_000", "INVALID_AMOUNT"),
            ("١٢", "INVALID_AMOUNT"),
            (max_plus_one, "AMOUNT_OVERFLOW"),
            (&"9".repeat(79), "AMOUNT_OVERFLOW"),
            (&"9".repeat(100_000), "AMOUNT_OVERFLOW"),
        ];
        for (input, code) in cases {
            assert_eq!(
                Amount::parse(input).unwrap_err().code(),
                code,
                "input {input:.20}"
            );
        }
        assert_eq!(
            Amount::parse(&format!("{}1", "0".repeat(500))).unwrap(),
            Amount::from(1)
        );
    }

    #[test]
    fn serde_uses_decimal_strings() {
        let a: Amount =
            serde_json::from_str("\"340282366920938463463374607431768211456\"").unwrap();
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            "\"340282366920938463463374607431768211456\""
        );
        assert!(serde_json::from_str::<Amount>("10").is_err());
        assert!(serde_json::from_str::<Amount>("\"-5\"").is_err());
    }

    #[test]
    fn formats_units() {
        assert_eq!(Amount::from(10_000).format_units(6), "0.01");
        assert_eq!(Amount::from(1_500_000).format_units(6), "1.5");
        assert_eq!(Amount::from(0).format_units(6), "0");
        assert_eq!(Amount::from(7).format_units(0), "7");
        assert_eq!(Amount::from(1).format_units(18), "0.000000000000000001");
    }
}
