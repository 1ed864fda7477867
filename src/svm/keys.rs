//! ed25519 keys of Solana payers: a 32-byte seed or a 64-byte keypair, as base58,
//! hex or bytes. Zeroized on drop; never printed.

use std::fmt;

use ed25519_dalek::{Signer, SigningKey};
use zeroize::Zeroizing;

use super::Pubkey;
use crate::error::{Error, Result};

/// A Solana keypair held in memory.
pub struct SolanaSigner {
    key: SigningKey,
    pubkey: Pubkey,
}

fn invalid(reason: &'static str) -> Error {
    Error::InvalidPrivateKey { reason }
}

impl SolanaSigner {
    /// From secret bytes: a 32-byte seed or a 64-byte keypair (seed ‖ public key,
    /// which must match).
    ///
    /// # Errors
    /// [`Error::InvalidPrivateKey`] for other lengths or a mismatched keypair.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let key = match bytes.len() {
            32 => {
                let mut seed = Zeroizing::new([0u8; 32]);
                seed.copy_from_slice(bytes);
                SigningKey::from_bytes(&seed)
            }
            64 => {
                let mut pair = Zeroizing::new([0u8; 64]);
                pair.copy_from_slice(bytes);
                SigningKey::from_keypair_bytes(&pair)
                    .map_err(|_| invalid("the keypair's public half does not match its secret"))?
            }
            _ => return Err(invalid("must be a 32-byte seed or a 64-byte keypair")),
        };
        let pubkey = Pubkey(key.verifying_key().to_bytes());
        Ok(SolanaSigner { key, pubkey })
    }

    /// From text: base58 (the usual export), or hex with `0x`.
    ///
    /// # Errors
    /// [`Error::InvalidPrivateKey`].
    pub fn from_text(text: &str) -> Result<Self> {
        let text = text.trim();
        // A 64-byte keypair is at most 88 base58 digits or 130 hex ones: anything much
        // longer is refused by its length (base58 decoding takes time quadratic in it).
        if text.len() > 256 {
            return Err(invalid("longer than any Solana key"));
        }
        let bytes = Zeroizing::new(match text.strip_prefix("0x") {
            Some(digits) => hex::decode(digits).map_err(|_| invalid("not hex"))?,
            None => bs58::decode(text)
                .into_vec()
                .map_err(|_| invalid("not base58"))?,
        });
        Self::from_bytes(&bytes)
    }

    /// The public key.
    pub fn pubkey(&self) -> Pubkey {
        self.pubkey
    }

    /// Signs `message` (ed25519, deterministic).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

impl fmt::Debug for SolanaSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SolanaSigner")
            .field("pubkey", &self.pubkey)
            .finish_non_exhaustive()
    }
}

/// Verifies an ed25519 signature by `pubkey` over `message` (strict: no small-order keys).
pub fn verify_signature(pubkey: &Pubkey, message: &[u8], signature: &[u8; 64]) -> bool {
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&pubkey.0) else {
        return false;
    };
    key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature))
        .is_ok()
}
