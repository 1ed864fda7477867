//! Calls to a wallet adapter the core makes besides signing: its address, its
//! promises (abortable, failures coded), and whether its account has code.

use js_sys::{BigInt, Function, Object, Promise, Reflect};
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::convert::{json_to_js, method, read};
use super::error::{invalid_argument, to_js, wallet_error};
use super::request::{stop_if_aborted, with_signal};
use super::rpc::{rpc_url_for, rpc_within};
use crate::error::Error;
use crate::evm::{Address, TypedData};
use crate::protocol::Network;

/// Nesting of typed data's structs (the JSON walk in json.js has the same limit).
const MAX_DEPTH: usize = 64;

/// How far up its prototype chain a wallet is searched for the object the package
/// made (`Object.create(wallet)` is one step).
const MAX_PROTOTYPES: usize = 16;

/// The object on `wallet`'s prototype chain (`wallet` itself first) that `is_made`
/// says the package made, when `wallet` uses that object's own `methods` (the same
/// functions): an object inheriting from it with a method of its own (a confirmation
/// step, or a wrapper that may broadcast a transfer and then fail with any code) is
/// the caller's, not the package's.
pub(crate) fn made_by_package(
    wallet: &JsValue,
    is_made: impl Fn(&Object) -> Result<bool, JsValue>,
    methods: &[&str],
) -> Result<Option<Object>, JsValue> {
    let mut holder = wallet.clone();
    for _ in 0..MAX_PROTOTYPES {
        if !holder.is_object() {
            return Ok(None);
        }
        // Any object, null-prototype or from another realm (`instanceof Object` fails).
        let target: &Object = holder.unchecked_ref();
        if is_made(target)? {
            for name in methods {
                if !Object::is(&read(wallet, name)?, &read(target, name)?) {
                    return Ok(None);
                }
            }
            return Ok(Some(target.clone()));
        }
        holder = Reflect::get_prototype_of(&holder)?.into();
    }
    Ok(None)
}

/// Whether `adapter` is one of the package's wallets as the package made it (see
/// [`made_by_package`]): only their failure codes are believed to say that nothing
/// was sent. The package's JS adapters hold `__x402Own` themselves (and are frozen),
/// its key wallets on their class's prototype.
pub(crate) fn own_adapter(adapter: &JsValue) -> Result<bool, JsValue> {
    if read(adapter, "__x402Own")?.as_bool() != Some(true) {
        return Ok(false);
    }
    let marker = JsValue::from_str("__x402Own");
    let holds_marker = |target: &Object| {
        Ok(!Reflect::get_own_property_descriptor(target, &marker)?.is_undefined())
    };
    let believed = ["sendTransaction", "signTransaction", "signTypedData"];
    Ok(made_by_package(adapter, holds_marker, &believed)?.is_some())
}

/// Whether `address` has code on `network`: the question a wallet's signature that
/// does not recover its address leaves. A plain account (no code) made a mistake,
/// caught before anything is sent; an account with code (a Safe, an EIP-7702
/// delegated account) answers for its own signatures on chain, as the token's
/// SignatureChecker asks it, so its signature is sent as it is.
///
/// Where the answer comes from, in order: the wallet's own `getCode(address, { chainId, signal })`
/// (the EIP-1193 and viem adapters ask their node), else `eth_getCode` on the JSON-RPC URL
/// the user gave for `network` (`options.rpc`, within `rpc_ms`). Without either, `false`:
/// the signature is refused as it was. Empty code (`0x`) is `false`; a failure to read
/// it is an error, which the caller takes as "no code".
pub(crate) async fn has_code(
    wallet: &JsValue,
    address: &Address,
    network: &Network,
    rpc: &Value,
    rpc_ms: u32,
    signal: Option<&AbortSignal>,
) -> Result<bool, JsValue> {
    stop_if_aborted(signal)?;
    let address = address.to_checksum();
    let code = if let Some(get_code) = method(wallet, "getCode")? {
        let context = with_signal(signal)?;
        // Exact: a payment's chain id is at most 2^53 - 1 (`prepare` refuses others).
        if let Some(id) = network.chain_id() {
            Reflect::set(&context, &"chainId".into(), &JsValue::from_f64(id as f64))?;
        }
        let pending = get_code
            .call2(wallet, &JsValue::from_str(&address), &context)
            .map_err(wallet_error)?;
        let code = wallet_promise(Promise::resolve(&pending), signal).await?;
        code.as_string()
            .ok_or_else(|| invalid_argument("getCode must resolve to a hex string"))?
    } else if let Some(url) = rpc_url_for(rpc, network) {
        rpc_within(
            &url,
            "eth_getCode",
            json!([address, "latest"]),
            rpc_ms,
            signal,
        )
        .await?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| invalid_argument("eth_getCode did not answer a hex string"))?
    } else {
        return Ok(false);
    };
    Ok(has_bytes(&code))
}

/// Awaits a wallet's promise (abortable), mapping its failure to a coded error.
pub(crate) async fn wallet_promise(
    promise: Promise,
    signal: Option<&AbortSignal>,
) -> Result<JsValue, JsValue> {
    let aborted = || signal.is_some_and(AbortSignal::aborted);
    super::request::until_aborted(signal, promise)
        .await
        .map_err(|e| if aborted() { e } else { wallet_error(e) })
}

/// [`wallet_promise`] for a signature valid `lifetime_s` seconds (the requirement's
/// `maxTimeoutSeconds`): a wallet that has not answered by then (a prompt closed
/// without an answer) fails with PAYMENT_EXPIRED, so its reservation comes back,
/// instead of holding the call and its budget for ever.
pub(crate) async fn signature_within(
    promise: Promise,
    lifetime_s: u64,
    signal: Option<&AbortSignal>,
) -> Result<JsValue, JsValue> {
    // No lifetime given (0): the payment sets none (Solana's comes from its blockhash).
    if lifetime_s == 0 {
        return wallet_promise(promise, signal).await;
    }
    // setTimeout takes at most 2^31 - 1 ms (about 24.8 days); past that it fires at once.
    let ms = u32::try_from(lifetime_s.saturating_mul(1000).min(0x7fff_ffff)).unwrap_or(0x7fff_ffff);
    wallet_within(promise, ms, signal, || {
        to_js(&Error::PaymentExpired {
            reason: format!(
                "the wallet did not sign within the payment's {lifetime_s} s (maxTimeoutSeconds)"
            ),
        })
    })
    .await
}

/// [`wallet_promise`] given at most `ms` milliseconds: past them it fails with
/// `timed_out()`'s error (an abort wins over a timer that fired at the same time).
pub(crate) async fn wallet_within(
    promise: Promise,
    ms: u32,
    signal: Option<&AbortSignal>,
    timed_out: impl FnOnce() -> JsValue,
) -> Result<JsValue, JsValue> {
    super::timer::within(promise, ms, signal)
        .await
        .map_err(
            |e| match (signal.filter(|s| s.aborted()), e.as_string().as_deref()) {
                (Some(signal), _) => signal.reason(),
                (None, Some(super::timer::TIMED_OUT)) => timed_out(),
                (None, _) => wallet_error(e),
            },
        )
}

/// The wallet's address (`address`, or `getAddress()` followed up to `signal`).
pub(crate) async fn wallet_address(
    wallet: &JsValue,
    signal: Option<&AbortSignal>,
) -> Result<String, JsValue> {
    // Not an object (null, a string...) is the caller's mistake, not a wallet's failure.
    if !wallet.is_object() && !wallet.is_function() {
        return Err(invalid_argument(
            "a wallet must be an object (a wallet adapter)",
        ));
    }
    // A getter that throws is the wallet's failure (WALLET_ERROR), as a rejected getAddress().
    let address = Reflect::get(wallet, &JsValue::from_str("address")).map_err(wallet_error)?;
    if let Some(text) = address.as_string() {
        return Ok(text);
    }
    let getter = Reflect::get(wallet, &JsValue::from_str("getAddress")).map_err(wallet_error)?;
    if let Some(getter) = getter.dyn_ref::<Function>() {
        stop_if_aborted(signal)?;
        let pending = getter.call0(wallet).map_err(wallet_error)?;
        let resolved = wallet_promise(Promise::resolve(&pending), signal).await?;
        if let Some(text) = resolved.as_string() {
            return Ok(text);
        }
    }
    Err(invalid_argument("wallet has no address"))
}

/// `0x` followed by at least one byte of hex.
fn has_bytes(code: &str) -> bool {
    code.strip_prefix("0x")
        .is_some_and(|hex| hex.len() >= 2 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Typed data for a JS wallet's `signTypedData`: the integer members of the message
/// (`uintN` / `intN`, nested structs included) as BigInts.
pub(crate) fn typed_data_to_js(typed: &TypedData) -> Result<JsValue, JsValue> {
    let js = json_to_js(typed)?;
    let message = Reflect::get(&js, &JsValue::from_str("message"))?;
    bigints(typed, &typed.primary_type, &message, 0)?;
    Ok(js)
}

fn bigints(typed: &TypedData, ty: &str, target: &JsValue, depth: usize) -> Result<(), JsValue> {
    let Some(fields) = typed.types.get(ty) else {
        return Ok(());
    };
    if depth > MAX_DEPTH {
        return Err(invalid_argument("typed data nested too deeply"));
    }
    for field in fields {
        let key = JsValue::from_str(&field.name);
        let value = Reflect::get(target, &key)?;
        if field.ty.starts_with("uint") || field.ty.starts_with("int") {
            if let Some(text) = value.as_string() {
                let big = BigInt::new(&JsValue::from_str(&text))?;
                Reflect::set(target, &key, &big)?;
            }
        } else if typed.types.contains_key(&field.ty) {
            bigints(typed, &field.ty, &value, depth + 1)?;
        }
    }
    Ok(())
}
