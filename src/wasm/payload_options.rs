//! createPaymentPayload's options (`now`, `nonce`, `validAfter`, `memoBytes`, `rpc`,
//! `rpcTimeout`, `paymentId`), read and checked into what signing needs.

use serde_json::Value;
use wasm_bindgen::prelude::*;

use super::convert::{js_to_json, read};
use super::error::invalid_argument;
use super::evm::{SignInputs, now_seconds, random_memo, random_nonce};
use super::hooks::payment_id_option;
use super::rpc::RPC_MS;
use super::timer::ms_option;
use crate::dialect::Requirement;
use crate::evm::exact::PaymentParams;

/// The options of one createPaymentPayload call, for `requirement`.
pub(super) struct PayloadOptions {
    /// The options as JSON (their `rpc` URLs are lent to signing).
    json: Value,
    params: PaymentParams,
    memo: [u8; 16],
    rpc_ms: u32,
    payment_id: Option<String>,
}

impl PayloadOptions {
    /// Reads `options` (an object, or undefined) for `requirement`; INVALID_ARGUMENT for
    /// a value of the wrong kind, and for a `validAfter` no authorization could be used
    /// after.
    pub(super) fn read(options: &JsValue, requirement: &Requirement) -> Result<Self, JsValue> {
        // Read as wrapFetch reads them: one parser for each option.
        let rpc_ms = ms_option(&read(options, "rpcTimeout")?, "rpcTimeout", RPC_MS)?;
        let payment_id = payment_id_option(&read(options, "paymentId")?)?;
        let json = js_to_json(options)?;
        let params = PaymentParams {
            now: option_u64(&json, "now")?.unwrap_or_else(now_seconds),
            nonce: match json.get("nonce").and_then(Value::as_str) {
                Some(hex_nonce) => parse_nonce(hex_nonce)?,
                None if requirement.network.is_evm() => random_nonce()?,
                None => [0; 32],
            },
            valid_after: option_u64(&json, "validAfter")?,
        };
        // Valid on chain only strictly between validAfter and validBefore (now +
        // maxTimeoutSeconds): a validAfter that leaves no second between them signs an
        // authorization nobody could ever use.
        let before = params.now.saturating_add(requirement.max_timeout_seconds);
        let unusable = params
            .valid_after
            .is_some_and(|after| after.saturating_add(1) >= before);
        if requirement.network.is_evm() && unusable {
            return Err(invalid_argument(
                "validAfter must be at least 2 seconds before validBefore (now + maxTimeoutSeconds)",
            ));
        }
        let memo = match json.get("memoBytes").and_then(Value::as_str) {
            Some(hex_memo) => {
                let mut bytes = [0u8; 16];
                hex::decode_to_slice(hex_memo.trim_start_matches("0x"), &mut bytes)
                    .map_err(|_| invalid_argument("memoBytes must be 16 bytes of hex"))?;
                bytes
            }
            None if requirement.network.is_solana() => random_memo()?,
            None => [0; 16],
        };
        Ok(PayloadOptions {
            json,
            params,
            memo,
            rpc_ms,
            payment_id,
        })
    }

    /// What signing takes of them.
    pub(super) fn inputs(&self) -> SignInputs<'_> {
        SignInputs {
            params: self.params,
            memo: self.memo,
            rpc: self.json.get("rpc").unwrap_or(&Value::Null),
            rpc_ms: self.rpc_ms,
            payment_id: self.payment_id.as_deref(),
        }
    }
}

/// An option given as a non-negative integer (a number or its decimal text), or none;
/// INVALID_ARGUMENT otherwise (also verifyPayment's `now`, `maxClockSkew`, `minValidity`).
pub(super) fn option_u64(options: &Value, key: &str) -> Result<Option<u64>, JsValue> {
    match options.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
            .map(Some)
            .ok_or_else(|| {
                invalid_argument(&format!("option {key} must be a non-negative integer"))
            }),
    }
}

/// `nonce`: 0x and 32 bytes of hex.
fn parse_nonce(text: &str) -> Result<[u8; 32], JsValue> {
    crate::evm::hex32(text.strip_prefix("0x").unwrap_or(text))
        .ok_or_else(|| invalid_argument("nonce must be 0x + 32 bytes of hex"))
}
