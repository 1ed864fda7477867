//! EVM addresses: parsing (strict EIP-55 for mixed case) and checksummed output.

use std::fmt;
use std::str::FromStr;

use super::keccak256;
use crate::error::{Error, Result};

/// How many checksummed addresses are remembered (oldest dropped first).
const CHECKSUM_CACHE: usize = 16;

thread_local! {
    static CHECKSUMS: std::cell::RefCell<Vec<(Address, String)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// A 20-byte EVM address. Displays EIP-55 checksummed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Address(pub [u8; 20]);

impl Address {
    /// Parses `0x` + 40 hex digits. All-lower or all-upper case is accepted as is;
    /// mixed case must be a correct EIP-55 checksum.
    ///
    /// # Errors
    /// [`Error::InvalidAddress`] for a wrong length, bad hex or a wrong checksum.
    pub fn parse(text: &str) -> Result<Self> {
        let address = Address::parse_hex(text)?;
        let digits = text.get(2..).unwrap_or_default();
        let has_lower = digits.bytes().any(|b| b.is_ascii_lowercase());
        let has_upper = digits.bytes().any(|b| b.is_ascii_uppercase());
        if has_lower && has_upper && address.to_checksum().strip_prefix("0x") != Some(digits) {
            return Err(Error::InvalidAddress {
                reason: "wrong EIP-55 checksum",
            });
        }
        Ok(address)
    }

    /// Parses `0x` + 40 hex digits in any case, without checking an EIP-55 checksum.
    ///
    /// # Errors
    /// [`Error::InvalidAddress`] for a wrong length or bad hex.
    pub fn parse_hex(text: &str) -> Result<Self> {
        let digits = text
            .strip_prefix("0x")
            .or_else(|| text.strip_prefix("0X"))
            .ok_or(Error::InvalidAddress {
                reason: "missing 0x prefix",
            })?;
        let mut bytes = [0u8; 20];
        if digits.len() != 40 || hex::decode_to_slice(digits, &mut bytes).is_err() {
            return Err(Error::InvalidAddress {
                reason: "must be 40 hex digits",
            });
        }
        Ok(Address(bytes))
    }

    /// The EIP-55 checksummed form, `0x`-prefixed.
    pub fn to_checksum(&self) -> String {
        // A payment names the same few addresses (payer, payee, token) again and
        // again; each checksum costs a Keccak-256, so the last ones are remembered.
        if let Some(known) = CHECKSUMS.with(|c| {
            c.borrow()
                .iter()
                .find(|(a, _)| a == self)
                .map(|(_, text)| text.clone())
        }) {
            return known;
        }
        let text = self.compute_checksum();
        CHECKSUMS.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() >= CHECKSUM_CACHE {
                c.remove(0);
            }
            c.push((*self, text.clone()));
        });
        text
    }

    fn compute_checksum(&self) -> String {
        let lower = hex::encode(self.0);
        let hash = keccak256(lower.as_bytes());
        let mut out = String::with_capacity(42);
        out.push_str("0x");
        for (i, c) in lower.chars().enumerate() {
            let nibble = hash
                .get(i / 2)
                .map_or(0, |b| if i % 2 == 0 { b >> 4 } else { b & 0x0f });
            out.push(if nibble >= 8 {
                c.to_ascii_uppercase()
            } else {
                c
            });
        }
        out
    }

    /// The ABI encoding: the address left-padded to 32 bytes.
    pub fn to_word(&self) -> [u8; 32] {
        let mut word = [0u8; 32];
        let (_, tail) = word.split_at_mut(12);
        tail.copy_from_slice(&self.0);
        word
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_checksum())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_checksum())
    }
}

impl FromStr for Address {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Address::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The EIP-55 specification's own examples.
    const EIP55: [&str; 4] = [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ];

    #[test]
    fn checksums_match_eip55() {
        for expected in EIP55 {
            let lower = Address::parse(&expected.to_lowercase()).unwrap();
            assert_eq!(lower.to_checksum(), expected);
            assert_eq!(Address::parse(expected).unwrap(), lower);
            let upper = format!("0x{}", &expected[2..].to_uppercase());
            assert_eq!(Address::parse(&upper).unwrap(), lower);
        }
    }

    /// The remembered checksums stay right when more addresses pass than the cache holds.
    #[test]
    fn remembered_checksums_stay_right() {
        for _ in 0..3 {
            for expected in EIP55 {
                let address = Address::parse(&expected.to_lowercase()).unwrap();
                assert_eq!(address.to_checksum(), expected);
            }
            // More distinct addresses than the cache holds: entries are dropped.
            for i in 0..(3 * CHECKSUM_CACHE as u8) {
                let address = Address([i.wrapping_mul(37); 20]);
                assert_eq!(address.to_checksum(), address.compute_checksum());
            }
        }
    }

    #[test]
    fn rejects_bad_addresses() {
        let wrong_case = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD";
        for bad in [
            "",
            "0x",
            "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00",
            "0xgaaeb6053f3e94c9b9a09f33669435e7ef1beaed",
            wrong_case,
            " 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
        ] {
            assert_eq!(
                Address::parse(bad).unwrap_err().code(),
                "INVALID_ADDRESS",
                "{bad:?}"
            );
        }
    }
}
