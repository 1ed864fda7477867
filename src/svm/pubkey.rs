//! Solana public keys: base58, program-derived addresses (with the off-curve
//! check) and associated token accounts for Token and Token-2022.

use std::fmt;

use curve25519_dalek::edwards::CompressedEdwardsY;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A 32-byte Solana address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Pubkey(pub [u8; 32]);

/// The SPL Token program.
pub const TOKEN_PROGRAM: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
/// The SPL Token-2022 program.
pub const TOKEN_2022_PROGRAM: &str = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb";
/// The Associated Token Account program.
pub const ASSOCIATED_TOKEN_PROGRAM: &str = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL";
/// The Compute Budget program.
pub const COMPUTE_BUDGET_PROGRAM: &str = "ComputeBudget111111111111111111111111111111";
/// The Memo program (v2).
pub const MEMO_PROGRAM: &str = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr";
/// The Lighthouse program (wallets such as Phantom add its assertions).
pub const LIGHTHOUSE_PROGRAM: &str = "L2TExMFKdjpN9kozasaurPirfHy9P8sbXoAN1qA3S95";

impl Pubkey {
    /// Parses base58.
    ///
    /// # Errors
    /// [`Error::InvalidAddress`] unless it decodes to exactly 32 bytes.
    pub fn parse(text: &str) -> Result<Self> {
        let mut bytes = [0u8; 32];
        match bs58::decode(text).onto(&mut bytes[..]) {
            Ok(32) => Ok(Pubkey(bytes)),
            _ => Err(Error::InvalidAddress {
                reason: "not a 32-byte base58 Solana address",
            }),
        }
    }

    /// A constant known to be valid base58 (program ids).
    pub(crate) fn known(text: &str) -> Self {
        Pubkey::parse(text).unwrap_or_default()
    }

    /// Whether the key is a point on the ed25519 curve (PDAs are not).
    pub fn is_on_curve(&self) -> bool {
        CompressedEdwardsY(self.0).decompress().is_some()
    }

    /// The program-derived address of `seeds` under `program` and its bump.
    ///
    /// # Errors
    /// [`Error::InvalidAddress`] in the (astronomically unlikely) case no bump works.
    pub fn find_program_address(seeds: &[&[u8]], program: &Pubkey) -> Result<(Pubkey, u8)> {
        for bump in (0..=255u8).rev() {
            let mut hasher = Sha256::new();
            for seed in seeds {
                hasher.update(seed);
            }
            hasher.update([bump]);
            hasher.update(program.0);
            hasher.update(b"ProgramDerivedAddress");
            let candidate = Pubkey(hasher.finalize().into());
            if !candidate.is_on_curve() {
                return Ok((candidate, bump));
            }
        }
        Err(Error::InvalidAddress {
            reason: "no program address found",
        })
    }

    /// The associated token account of `owner` for `mint` under `token_program`.
    ///
    /// # Errors
    /// As [`Pubkey::find_program_address`].
    pub fn associated_token_address(
        owner: &Pubkey,
        mint: &Pubkey,
        token_program: &Pubkey,
    ) -> Result<Pubkey> {
        let ata = Pubkey::known(ASSOCIATED_TOKEN_PROGRAM);
        Pubkey::find_program_address(&[&owner.0, &token_program.0, &mint.0], &ata).map(|(p, _)| p)
    }
}

impl fmt::Display for Pubkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).into_string())
    }
}

impl fmt::Debug for Pubkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_base58() {
        let key = Pubkey::parse(TOKEN_PROGRAM).unwrap();
        assert_eq!(key.to_string(), TOKEN_PROGRAM);
        assert!(Pubkey::parse("abc").is_err());
        assert!(Pubkey::parse("0OIl").is_err());
        assert!(Pubkey::parse(&"1".repeat(45)).is_err());
    }
}
