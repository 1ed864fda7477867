//! secp256k1 keys: a local signer (RFC 6979, low-s, v = 27/28) and recovery of the
//! signing address from a 65-byte signature.

use std::fmt;

use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use k256::elliptic_curve::scalar::IsHigh;
use zeroize::Zeroizing;

use super::{Address, keccak256};
use crate::error::{Error, Result};

/// A private key held in memory, zeroized when dropped. Its Debug output shows
/// only the address; the key never appears in logs or errors.
pub struct PrivateKeySigner {
    key: SigningKey,
    address: Address,
}

impl PrivateKeySigner {
    /// Reads a 32-byte key from hex (`0x` prefix optional).
    ///
    /// # Errors
    /// [`Error::InvalidPrivateKey`] for bad hex, a wrong length, zero or a value
    /// not below the curve order. The message never contains the input.
    pub fn from_hex(text: &str) -> Result<Self> {
        let digits = text.trim();
        let digits = digits.strip_prefix("0x").unwrap_or(digits);
        let mut bytes = Zeroizing::new([0u8; 32]);
        if digits.len() != 64 || hex::decode_to_slice(digits, bytes.as_mut()).is_err() {
            return Err(Error::InvalidPrivateKey {
                reason: "must be 32 bytes of hex",
            });
        }
        Self::from_bytes(&bytes)
    }

    /// Uses 32 raw key bytes.
    ///
    /// # Errors
    /// [`Error::InvalidPrivateKey`] for zero or a value not below the curve order.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self> {
        let key = SigningKey::from_slice(bytes).map_err(|_| Error::InvalidPrivateKey {
            reason: "not a valid secp256k1 scalar",
        })?;
        let address = address_of(key.verifying_key());
        Ok(PrivateKeySigner { key, address })
    }

    /// The key's address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Signs a 32-byte digest: deterministic (RFC 6979), low-s, v = 27 or 28.
    pub fn sign_digest(&self, digest: &[u8; 32]) -> RecoverableSignature {
        let (signature, recovery) = self.key.sign_prehash_recoverable(digest);
        // k256 already returns low-s; normalise anyway and flip the parity if it changed.
        let normalized = signature.normalize_s();
        let flipped = normalized != signature;
        let mut bytes = [0u8; 65];
        let (rs, _) = bytes.split_at_mut(64);
        rs.copy_from_slice(&normalized.to_bytes());
        bytes[64] = 27 + (u8::from(recovery.is_y_odd()) ^ u8::from(flipped));
        RecoverableSignature(bytes)
    }
}

impl fmt::Debug for PrivateKeySigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKeySigner")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

fn address_of(key: &VerifyingKey) -> Address {
    let point = key.to_sec1_point(false);
    let hash = keccak256(point.as_bytes().get(1..).unwrap_or_default());
    let mut address = [0u8; 20];
    address.copy_from_slice(hash.get(12..).unwrap_or(&[0; 20]));
    Address(address)
}

/// The longest smart-contract wallet signature accepted, in bytes: ERC-6492 wraps
/// the factory call and ERC-1271 wallets' own formats (WebAuthn, several owners) run
/// to a few hundred bytes; 8 KiB leaves room and keeps a payment header bounded.
pub const MAX_CONTRACT_SIGNATURE: usize = 8 << 10;

/// `text` when it is a smart-contract wallet's signature: `0x` and hex bytes of any
/// length but an ECDSA signature's 65 or its compact EIP-2098 form's 64 (from 1 byte
/// to [`MAX_CONTRACT_SIGNATURE`]): token contracts read neither as a contract's.
/// Such a signature is checked on chain (ERC-1271 `isValidSignature`, or ERC-6492
/// for a wallet not deployed yet), which a facilitator does and this crate cannot.
pub fn contract_signature(text: &str) -> Option<&str> {
    let bytes = (signature_hex(text)?.len() - 2) / 2;
    (bytes != 64 && bytes != 65).then_some(text)
}

/// `text` when it is `0x` and hex bytes, from 1 to [`MAX_CONTRACT_SIGNATURE`] of them:
/// what an account with code may sign with, whatever the length. Its
/// `isValidSignature` decides, as the token's SignatureChecker asks it: a one-owner
/// Safe's 65 bytes are its owner's signature of another hash and recover no one's
/// address.
pub fn signature_hex(text: &str) -> Option<&str> {
    let digits = text.strip_prefix("0x")?;
    let bytes = digits.len() / 2;
    let hex = digits.len() % 2 == 0 && digits.bytes().all(|b| b.is_ascii_hexdigit());
    (hex && (1..=MAX_CONTRACT_SIGNATURE).contains(&bytes)).then_some(text)
}

/// A 65-byte signature `r ‖ s ‖ v`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RecoverableSignature(pub [u8; 65]);

impl RecoverableSignature {
    /// Parses `0x` + 130 hex digits.
    ///
    /// # Errors
    /// [`Error::InvalidSignature`] for anything else.
    pub fn parse(text: &str) -> Result<Self> {
        let digits = text.strip_prefix("0x").ok_or(Error::InvalidSignature {
            reason: "missing 0x prefix",
        })?;
        let mut bytes = [0u8; 65];
        hex::decode_to_slice(digits, &mut bytes).map_err(|_| Error::InvalidSignature {
            reason: "must be 65 bytes of hex",
        })?;
        Ok(RecoverableSignature(bytes))
    }

    /// `0x`-prefixed lower-case hex.
    pub fn to_hex(&self) -> String {
        format!("0x{}", hex::encode(self.0))
    }

    /// The `v` byte.
    pub fn v(&self) -> u8 {
        self.0[64]
    }

    /// The same signature with `v` as 27/28: some wallets (hardware ones among them)
    /// give the recovery id (0/1), which token contracts' `ecrecover` refuses.
    pub fn with_legacy_v(&self) -> Self {
        let mut bytes = self.0;
        if let v @ (0 | 1) = bytes[64] {
            bytes[64] = v + 27;
        }
        RecoverableSignature(bytes)
    }

    /// Whether `v` is 27 or 28, as `ecrecover` on chain needs it.
    pub fn has_legacy_v(&self) -> bool {
        matches!(self.v(), 27 | 28)
    }
}

impl fmt::Debug for RecoverableSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Recovers the address that signed `digest`. Accepts v = 27/28 (and 0/1);
/// rejects high-s signatures (malleable duplicates) and other v values.
///
/// # Errors
/// [`Error::InvalidSignature`] when the signature is malformed, high-s, or
/// recovers no key.
pub fn recover_address(digest: &[u8; 32], signature: &RecoverableSignature) -> Result<Address> {
    let (rs, _) = signature.0.split_at(64);
    let parsed = Signature::from_slice(rs).map_err(|_| Error::InvalidSignature {
        reason: "r or s out of range",
    })?;
    if bool::from(parsed.s().is_high()) {
        return Err(Error::InvalidSignature {
            reason: "high-s signature",
        });
    }
    let parity = match signature.v() {
        27 | 0 => false,
        28 | 1 => true,
        _ => {
            return Err(Error::InvalidSignature {
                reason: "v must be 27 or 28",
            });
        }
    };
    let key = VerifyingKey::recover_from_prehash(digest, &parsed, RecoveryId::new(parity, false))
        .map_err(|_| Error::InvalidSignature {
        reason: "no key recovers from it",
    })?;
    Ok(address_of(&key))
}

/// Whether `from`'s key made `signature` of `digest` in any encoding: `v` of any
/// value, `s` high or low. Such a signature is `from`'s own and must be in the form
/// the chain's `ecrecover` takes ([`recover_address`] succeeding, `v` 27/28); one
/// in another form is not a smart-contract account's to defer, and the token
/// refuses it.
pub fn signed_by_key_of(
    digest: &[u8; 32],
    signature: &RecoverableSignature,
    from: Address,
) -> bool {
    let (rs, _) = signature.0.split_at(64);
    let Ok(parsed) = Signature::from_slice(rs) else {
        return false;
    };
    let low = parsed.normalize_s();
    [false, true].into_iter().any(|parity| {
        VerifyingKey::recover_from_prehash(digest, &low, RecoveryId::new(parity, false))
            .is_ok_and(|key| address_of(&key) == from)
    })
}
