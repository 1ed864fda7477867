//! The EVM side of the `exact` scheme: addresses, EIP-712 hashing, secp256k1
//! signing and recovery, EIP-3009 and Permit2 payloads, and their verification;
//! ERC-20 transfers sent as EIP-1559 transactions for the direct-transfer dialects.

mod address;
mod authorization;
pub mod eip712;
pub mod exact;
mod keys;
pub mod sponsoring;
pub mod tx;
pub mod verify;

pub use address::Address;
pub use eip712::{TypedData, TypedField};
pub use keys::{
    MAX_CONTRACT_SIGNATURE, PrivateKeySigner, RecoverableSignature, contract_signature,
    recover_address, signature_hex, signed_by_key_of,
};
pub use tx::{Eip1559Transaction, SignedTransaction, erc20_transfer_data};

use sha3::{Digest, Keccak256};

/// 32 bytes from exactly 64 hex digits (no `0x`; either case): a hash, a nonce, a
/// log topic or word.
pub fn hex32(digits: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(digits, &mut out).ok().map(|()| out)
}

/// Keccak-256 of `data`.
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}
