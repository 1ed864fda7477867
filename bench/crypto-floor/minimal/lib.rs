//! The floor under a whole client: what signing on both chains and one JSON round trip
//! cost before any fetch, wallet, policy or scheme code.

use serde::{Deserialize, Serialize};
use sha3::Digest;
use wasm_bindgen::prelude::*;

/// One x402 v2 requirement, as `accepts` lists it.
#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct Requirement {
    scheme: String,
    network: String,
    amount: String,
    asset: String,
    pay_to: String,
    max_timeout_seconds: u64,
    #[serde(default)]
    extra: serde_json::Value,
}

/// The 402's PaymentRequired document.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PaymentRequired {
    x402_version: u32,
    resource: serde_json::Value,
    accepts: Vec<Requirement>,
}

/// The payment payload sent back.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Payload<'a> {
    x402_version: u32,
    resource: &'a serde_json::Value,
    accepted: &'a Requirement,
    payload: serde_json::Value,
}

/// Reads a PaymentRequired document and writes a payload for its first requirement,
/// carrying `signature` (hex).
#[wasm_bindgen]
pub fn payload(document: &str, signature: &str) -> Result<String, String> {
    let document: PaymentRequired = serde_json::from_str(document).map_err(|e| e.to_string())?;
    let accepted = document.accepts.first().ok_or("no requirement")?;
    let payload = Payload {
        x402_version: document.x402_version,
        resource: &document.resource,
        accepted,
        payload: serde_json::json!({ "signature": signature }),
    };
    serde_json::to_string(&payload).map_err(|e| e.to_string())
}

/// Signs the Keccak-256 of `message` with `key`: signature and recovery id.
#[wasm_bindgen]
pub fn evm(key: &[u8], message: &[u8]) -> Option<Vec<u8>> {
    let key = k256::ecdsa::SigningKey::from_slice(key).ok()?;
    let digest = sha3::Keccak256::digest(message);
    let (signature, recovery) = key.sign_prehash_recoverable(&digest);
    let mut out = signature.to_bytes().to_vec();
    out.push(recovery.to_byte());
    Some(out)
}

/// Signs `message` with the Ed25519 `seed`: signature and public key.
#[wasm_bindgen]
pub fn svm(seed: &[u8], message: &[u8]) -> Option<Vec<u8>> {
    use ed25519_dalek::Signer;
    let key = ed25519_dalek::SigningKey::from_bytes(seed.try_into().ok()?);
    let mut out = key.sign(message).to_bytes().to_vec();
    out.extend_from_slice(key.verifying_key().as_bytes());
    Some(out)
}
