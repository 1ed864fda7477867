//! EVM exports: the local private-key wallet, payload creation with any wallet,
//! and verification.

use js_sys::{Function, Promise, Reflect};
use serde::Deserialize;
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;

use super::convert::{js_to_json, json_to_js, string_arg};
use super::error::{invalid_argument, js, to_js, unchecked_account, wallet_error};
pub use super::evm_key::EvmPrivateKeyWallet;
use super::evm_key::local_key;
use super::guarded::guarded_promise;
use super::payload_options::{PayloadOptions, option_u64};
use super::random::random_payment_id;
pub(crate) use super::random::{random_memo, random_nonce};
use super::request::{stop_if_aborted, with_signal};
use super::sponsor::{Payer, sponsored_extensions};
use super::wallet::{has_code, typed_data_to_js};
pub(crate) use super::wallet::{wallet_address, wallet_promise};
use crate::client::{identify_payment, payment_payload};
use crate::dialect::challenge_from_json;
use crate::error::Error;
use crate::evm::exact::{PaymentParams, prepare};
use crate::evm::verify::VerifyOptions;
use crate::evm::{Address, PrivateKeySigner, RecoverableSignature, TypedData, signature_hex};
use crate::protocol::Network;
use crate::server::check_payment;

/// A wallet for a hex secp256k1 private key (`0x` optional).
#[wasm_bindgen(js_name = evmPrivateKeyWallet)]
pub fn evm_private_key_wallet(hex_key: JsValue) -> Result<JsValue, JsValue> {
    let hex_key = zeroize::Zeroizing::new(string_arg(&hex_key, "the private key")?);
    let wallet = EvmPrivateKeyWallet::new(js(PrivateKeySigner::from_hex(&hex_key))?);
    Ok(super::evm_key::genuine(wallet))
}

/// Typed data `{ domain, types, primaryType, message }` from JS, or INVALID_TYPED_DATA.
pub(super) fn typed_data_of(value: &JsValue) -> Result<TypedData, JsValue> {
    TypedData::deserialize(&js_to_json(value)?).map_err(|e| {
        to_js(&Error::InvalidTypedData {
            reason: e.to_string(),
        })
    })
}

/// The EIP-712 digest of typed data, as hex.
#[wasm_bindgen(js_name = hashTypedData)]
pub fn hash_typed_data(typed_data: JsValue) -> Result<String, JsValue> {
    let digest = js(typed_data_of(&typed_data)?.digest())?;
    Ok(format!("0x{}", hex::encode(digest)))
}

/// Recovers the address that signed typed data (EIP-55). High-s signatures are refused.
#[wasm_bindgen(js_name = recoverTypedDataAddress)]
pub fn recover_typed_data_address(
    typed_data: JsValue,
    signature: JsValue,
) -> Result<String, JsValue> {
    let signature = string_arg(&signature, "signature")?;
    let digest = js(typed_data_of(&typed_data)?.digest())?;
    let signature = js(RecoverableSignature::parse(&signature))?;
    js(crate::evm::recover_address(&digest, &signature)).map(|a| a.to_checksum())
}

/// Creates the payment payload for `requirement` (one of `paymentRequired.accepts`,
/// a recognised requirement, or its index), signed by `wallet` (any object with
/// `address` and `signTypedData`). Options: `now` (Unix seconds), `nonce`
/// (0x + 32 bytes hex), `validAfter` (Unix seconds; default now - 600 for EIP-3009, 0 for
/// Permit2), `paymentId` (the `payment-identifier` extension's id, when the server
/// declared it; a random `pay_` id otherwise).
#[wasm_bindgen(js_name = createPaymentPayload)]
pub fn create_payment_payload(
    payment_required: JsValue,
    requirement: JsValue,
    wallet: JsValue,
    options: JsValue,
) -> Promise {
    guarded_promise(async move {
        let document = document_of(js_to_json(&payment_required)?)?;
        let challenge = js(challenge_from_json(&document))?;
        let requirement = js(challenge.find_requirement(&js_to_json(&requirement)?))?;
        let options = PayloadOptions::read(&options, requirement)?;
        let inputs = options.inputs();
        json_to_js(&sign_for(&challenge, requirement, &wallet, &inputs, None).await?)
    })
}

/// What signing needs besides the requirement and the wallet, for either family.
pub(crate) struct SignInputs<'a> {
    /// EVM: the clock, nonce and validAfter.
    pub(crate) params: PaymentParams,
    /// Solana: the memo bytes used when the server set none.
    pub(crate) memo: [u8; 16],
    /// JSON-RPC URLs by network: Solana's blockhash and mint, an EVM account's code.
    pub(crate) rpc: &'a Value,
    /// How long one JSON-RPC call may take.
    pub(crate) rpc_ms: u32,
    /// The caller's `payment-identifier` id; a random one when `None` (sent only when
    /// the server declared the extension).
    pub(crate) payment_id: Option<&'a str>,
}

/// Signs `requirement` with `wallet`, on whichever chain family it is.
pub(crate) async fn sign_for(
    challenge: &crate::dialect::Challenge,
    requirement: &crate::dialect::Requirement,
    wallet: &JsValue,
    inputs: &SignInputs<'_>,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<Value, JsValue> {
    let mut payment = if requirement.network.is_solana() {
        super::svm::sign_svm_payment(
            challenge,
            requirement,
            wallet,
            inputs.rpc,
            inputs.rpc_ms,
            inputs.memo,
            signal,
        )
        .await?
    } else {
        sign_payment(challenge, requirement, wallet, inputs, signal).await?
    };
    identify_payment(&mut payment, || match inputs.payment_id {
        Some(id) => Ok(id.to_owned()),
        None => random_payment_id(),
    })?;
    Ok(payment)
}

/// A recognised challenge (the object `recognizePaymentRequired` returns) turned
/// back into the document it came from; anything else is returned as is. Each
/// requirement goes back to its own position in `accepts` (the ones that were not
/// usable become `null`, refused again), so an index means the same entry in both.
fn document_of(value: Value) -> Result<Value, JsValue> {
    let Some(requirements) = value.get("requirements").and_then(Value::as_array) else {
        return Ok(value);
    };
    if value.get("accepts").is_some() {
        return Ok(value);
    }
    let mut accepts: Vec<Value> = Vec::new();
    for requirement in requirements {
        let (Some(index), Some(raw)) = (
            requirement.get("index").and_then(Value::as_u64),
            requirement.get("raw"),
        ) else {
            return Err(invalid_argument("a requirement without its index and raw"));
        };
        let index = usize::try_from(index)
            .ok()
            .filter(|i| *i < crate::dialect::MAX_ACCEPTS)
            .ok_or_else(|| invalid_argument("a requirement's index is out of range"))?;
        if accepts.len() <= index {
            accepts.resize(index + 1, Value::Null);
        }
        if let Some(slot) = accepts.get_mut(index) {
            *slot = raw.clone();
        }
    }
    let mut document = serde_json::Map::new();
    for key in ["x402Version", "error", "resource", "extensions"] {
        if let Some(v) = value.get(key) {
            document.insert(key.to_owned(), v.clone());
        }
    }
    document.insert("accepts".to_owned(), Value::Array(accepts));
    Ok(Value::Object(document))
}

/// Signs `requirement` of `challenge` with `wallet` and returns the payment payload.
async fn sign_payment(
    challenge: &crate::dialect::Challenge,
    requirement: &crate::dialect::Requirement,
    wallet: &JsValue,
    inputs: &SignInputs<'_>,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<Value, JsValue> {
    let params = &inputs.params;
    if !requirement.network.is_evm() {
        return Err(to_js(&Error::UnsupportedNetwork {
            network: requirement.network.to_string(),
        }));
    }
    if let Some(key) = local_key(wallet) {
        // Our own key signs in place: no typed data crosses to JS, and the signature
        // needs no recovery check since the signing key is known.
        let prepared = js(prepare(requirement, key.address(), params))?;
        let payload = prepared.payload_signed_by(&key.sign_digest(&prepared.digest));
        let sponsored = sponsored_extensions(
            challenge,
            requirement,
            Payer {
                wallet,
                key: Some(&key),
                address: &key.address(),
            },
            &payload,
            inputs,
            signal,
        )
        .await?;
        return Ok(with_extensions(
            payment_payload(challenge, requirement, payload),
            sponsored,
        ));
    }
    let from = js(Address::parse(&wallet_address(wallet, signal).await?))?;
    let prepared = js(prepare(requirement, from, params))?;
    let sign = Reflect::get(wallet, &JsValue::from_str("signTypedData"))?
        .dyn_into::<Function>()
        .map_err(|_| invalid_argument("wallet has no signTypedData method"))?;
    stop_if_aborted(signal)?;
    let pending = sign
        .call2(
            wallet,
            &typed_data_to_js(&prepared.typed_data())?,
            &with_signal(signal)?,
        )
        .map_err(wallet_error)?;
    let signature = super::wallet::signature_within(
        Promise::resolve(&pending),
        requirement.max_timeout_seconds,
        signal,
    )
    .await?;
    let signature = signature
        .as_string()
        .ok_or_else(|| invalid_argument("signTypedData must resolve to a hex string"))?;
    let payload = match prepared.payload_from_wallet(&signature) {
        Ok(payload) => payload,
        // Not an ECDSA signature by `from`: an account with code may still own it.
        Err(refused) if signature_hex(&signature).is_some() => {
            let network = &requirement.network;
            match has_code(wallet, &from, network, inputs.rpc, inputs.rpc_ms, signal).await {
                Ok(true) => js(prepared.payload_as_contract(&signature))?,
                // No code: the refusal stands.
                Ok(false) => return Err(to_js(&refused)),
                // It could not be read (an abort first): that failure, named with the refusal.
                Err(failure) => {
                    stop_if_aborted(signal)?;
                    return Err(unchecked_account(&refused, failure));
                }
            }
        }
        Err(refused) => return Err(to_js(&refused)),
    };
    let sponsored = sponsored_extensions(
        challenge,
        requirement,
        Payer {
            wallet,
            key: None,
            address: &from,
        },
        &payload,
        inputs,
        signal,
    )
    .await?;
    Ok(with_extensions(
        payment_payload(challenge, requirement, payload),
        sponsored,
    ))
}

/// A v2 payment payload with its `extensions` replaced, when there are new ones.
fn with_extensions(
    mut payment: Value,
    extensions: Option<serde_json::Map<String, Value>>,
) -> Value {
    if let (Some(extensions), Value::Object(payment)) = (extensions, &mut payment) {
        payment.insert("extensions".into(), Value::Object(extensions));
    }
    payment
}

/// Verifies a payment payload (v1 or v2) against the requirement it must pay,
/// locally: `{ isValid, invalidReason?, payer?, nonce? }`. Options: `now` (Unix
/// seconds), `maxClockSkew`, `minValidity` (seconds).
#[wasm_bindgen(js_name = verifyPayment)]
pub fn verify_payment(
    payment: JsValue,
    requirement: JsValue,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let payment = js_to_json(&payment)?;
    let requirement = js(crate::dialect::Requirement::from_v2(
        0,
        &js_to_json(&requirement)?,
    ))?;
    let options = js_to_json(&options)?;
    let mut verify_options =
        VerifyOptions::at(option_u64(&options, "now")?.unwrap_or_else(now_seconds));
    if let Some(skew) = option_u64(&options, "maxClockSkew")? {
        verify_options.max_clock_skew = skew;
    }
    if let Some(min) = option_u64(&options, "minValidity")? {
        verify_options.min_validity = min;
    }
    let (scheme, network) = match payment.get("x402Version").and_then(Value::as_u64) {
        Some(1) => (payment.get("scheme"), payment.get("network")),
        Some(2) => {
            let accepted = payment.get("accepted");
            (
                accepted.and_then(|a| a.get("scheme")),
                accepted.and_then(|a| a.get("network")),
            )
        }
        // The spec's facilitator answer, as the Worker gate's.
        _ => {
            return json_to_js(
                &json!({ "isValid": false, "invalidReason": "invalid_x402_version" }),
            );
        }
    };
    let scheme = scheme.and_then(Value::as_str).unwrap_or_default();
    let scheme_payload = payment.get("payload").unwrap_or(&Value::Null);
    let network = match network.and_then(Value::as_str).map(Network::parse) {
        Some(Ok(network)) => network,
        _ => return json_to_js(&json!({ "isValid": false, "invalidReason": "invalid_network" })),
    };
    json_to_js(&match check_payment(
        scheme,
        &network,
        scheme_payload,
        &requirement,
        &verify_options,
    ) {
        Ok(c) => json!({ "isValid": true, "payer": c.payer, "nonce": c.nonce }),
        Err(reason) => json!({ "isValid": false, "invalidReason": reason }),
    })
}

// Date.now() is milliseconds since the epoch, always positive and below 2^53.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub(crate) fn now_seconds() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}
