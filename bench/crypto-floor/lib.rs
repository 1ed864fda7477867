//! Only the cryptography of a payment: secp256k1 ECDSA signing and recovery, Ed25519
//! signing and verification, Keccak-256 and SHA-256. No JSON, no fetch, no protocol.

use sha3::Digest;
use wasm_bindgen::prelude::*;

/// Signs `digest` with `key` and returns the signature and the recovered signer's hash.
#[wasm_bindgen]
pub fn evm(key: &[u8], digest: &[u8]) -> Option<Vec<u8>> {
    let key = k256::ecdsa::SigningKey::from_slice(key).ok()?;
    let (signature, recovery) = key.sign_prehash_recoverable(digest);
    let signer =
        k256::ecdsa::VerifyingKey::recover_from_prehash(digest, &signature, recovery).ok()?;
    let mut out = signature.to_bytes().to_vec();
    out.extend_from_slice(&sha3::Keccak256::digest(
        signer.to_sec1_point(false).as_bytes(),
    ));
    Some(out)
}

/// Signs `message` with the Ed25519 `seed`, verifies it, and appends its SHA-256.
#[wasm_bindgen]
pub fn svm(seed: &[u8], message: &[u8]) -> Option<Vec<u8>> {
    use ed25519_dalek::Signer;
    let key = ed25519_dalek::SigningKey::from_bytes(seed.try_into().ok()?);
    let signature = key.sign(message);
    key.verifying_key()
        .verify_strict(message, &signature)
        .ok()?;
    let mut out = signature.to_bytes().to_vec();
    out.extend_from_slice(&sha2::Sha256::digest(message));
    Some(out)
}
