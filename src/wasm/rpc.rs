//! A minimal JSON-RPC 2.0 client over the runtime's global `fetch`, shared by the
//! Solana and EVM code paths (blockhashes, mint info, nonces, fees, sending and
//! confirming transactions).

use js_sys::{Function, Object, Promise, Reflect};
use ruint::aliases::U256;
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::error::{coded, invalid_argument, to_js};
use super::timer::{TIMED_OUT, ms_left, now_millis, request_signal, within};
use crate::error::Error;
use crate::evm::Address;
use crate::evm::eip712::hex_u256;

/// How long one JSON-RPC call may take by default (`options.rpcTimeout` of a paying
/// fetch or of createPaymentPayload changes it for the calls made before signing).
pub(crate) const RPC_MS: u32 = 30_000;

/// Calls `method` with `params` on the JSON-RPC endpoint `url` and returns its
/// `result`; a transport failure, a non-JSON answer, a JSON-RPC `error` or no answer
/// within [`RPC_MS`] is an `RPC_ERROR`.
///
/// An `RPC_ERROR` may come after a transaction went out, so it keeps a payment's
/// budget reservation; a refusal the node states before sending anything is made
/// `TRANSACTION_FAILED` by [`rpc_or`], which releases it.
pub(crate) async fn rpc(url: &str, method: &str, params: Value) -> Result<Value, JsValue> {
    rpc_or(url, method, params, |_| None).await
}

/// [`rpc`], with a JSON-RPC `error` object that `refusal` recognises reported as the
/// error it returns instead of `RPC_ERROR`.
pub(crate) async fn rpc_or(
    url: &str,
    method: &str,
    params: Value,
    refusal: impl Fn(&Value) -> Option<Error>,
) -> Result<Value, JsValue> {
    call(url, method, params, refusal, (RPC_MS, None)).await
}

/// [`rpc`] that gives up after `ms` milliseconds (RPC_ERROR) or when `signal` aborts
/// (the request is aborted too): one poll of a loop that keeps to a deadline, which a
/// node that never answers must not hold past it.
pub(crate) async fn rpc_within(
    url: &str,
    method: &str,
    params: Value,
    ms: u32,
    signal: Option<&AbortSignal>,
) -> Result<Value, JsValue> {
    call(url, method, params, |_| None, (ms, signal)).await
}

async fn call(
    url: &str,
    method: &str,
    params: Value,
    refusal: impl Fn(&Value) -> Option<Error>,
    bound: (u32, Option<&AbortSignal>),
) -> Result<Value, JsValue> {
    answer(url, method, params, bound)
        .await?
        .map_err(|error| match refusal(&error) {
            Some(known) => to_js(&known),
            None => to_js(&Error::RpcError {
                reason: format!("{method}: {error}"),
            }),
        })
}

/// The node's answer to one call: its `result`, or the JSON-RPC `error` object it
/// answered with (`Ok(Err(error))`). No answer in time, a failed request or an answer
/// that is neither is RPC_ERROR; an abort rejects with the signal's reason.
async fn answer(
    url: &str,
    method: &str,
    params: Value,
    bound: (u32, Option<&AbortSignal>),
) -> Result<Result<Value, Value>, JsValue> {
    let fetch: Function = super::global("fetch")
        .dyn_into()
        .map_err(|_| invalid_argument("this runtime has no fetch"))?;
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string();
    let init = Object::new();
    Reflect::set(&init, &"method".into(), &"POST".into())?;
    Reflect::set(&init, &"body".into(), &body.into())?;
    let headers = Object::new();
    Reflect::set(&headers, &"content-type".into(), &"application/json".into())?;
    Reflect::set(&init, &"headers".into(), &headers)?;
    let (ms, signal) = bound;
    // Aborted when the call gives up (out of time) or the caller's signal aborts, so an
    // abandoned request does not hold its socket (and a Node process) until the runtime's
    // own timeouts.
    let own = web_sys::AbortController::new()?;
    Reflect::set(&init, &"signal".into(), &request_signal(&own, signal))?;
    let failure = |reason: String| {
        to_js(&Error::RpcError {
            reason: format!("{method}: {reason}"),
        })
    };
    // An abort rejects with the signal's reason, as fetch does; running out of time
    // or a failed request is an RPC_ERROR.
    let lost = |error: JsValue, what: &str| {
        own.abort();
        match signal.filter(|s| s.aborted()) {
            Some(signal) => signal.reason(),
            None if error.as_string().as_deref() == Some(TIMED_OUT) => {
                failure("no answer in time".into())
            }
            None => failure(what.into()),
        }
    };
    let deadline = now_millis() + f64::from(ms);
    let wait = |promise: Promise| within(promise, ms_left(deadline), signal);
    let sent = fetch.call2(&JsValue::NULL, &url.into(), &init)?;
    let response: web_sys::Response = wait(Promise::resolve(&sent))
        .await
        .map_err(|e| lost(e, "unreachable"))?
        .dyn_into()?;
    let text = wait(response.text()?)
        .await
        .map_err(|e| lost(e, "the answer was cut off"))?
        .as_string()
        .unwrap_or_default();
    let json: Value = serde_json::from_str(&text)
        .map_err(|_| failure(format!("HTTP {} without JSON", response.status())))?;
    if let Some(error) = json.get("error") {
        return Ok(Err(error.clone()));
    }
    json.get("result")
        .cloned()
        .map(Ok)
        .ok_or_else(|| failure("no result".into()))
}

/// The JSON-RPC URL for `network`: the one the user configured (`options.rpc`, by
/// CAIP-2 network), else a Solana cluster's public endpoint.
pub(crate) fn rpc_url_for(rpc: &Value, network: &crate::protocol::Network) -> Option<String> {
    rpc.get(network.to_string())
        .and_then(Value::as_str)
        .or_else(|| default_solana_rpc(network))
        .map(str::to_owned)
}

/// [`rpc_url_for`], or INVALID_ARGUMENT asking for `options.rpc`.
pub(crate) fn need_rpc_url(
    rpc: &Value,
    network: &crate::protocol::Network,
) -> Result<String, JsValue> {
    rpc_url_for(rpc, network)
        .ok_or_else(|| invalid_argument("no RPC URL for this network: pass options.rpc"))
}

/// The public JSON-RPC endpoint of a Solana cluster.
pub(crate) fn default_solana_rpc(network: &crate::protocol::Network) -> Option<&'static str> {
    use crate::protocol::network::{SOLANA_DEVNET, SOLANA_MAINNET, SOLANA_TESTNET};
    if !network.is_solana() {
        return None;
    }
    match network.reference() {
        SOLANA_MAINNET => Some("https://api.mainnet-beta.solana.com"),
        SOLANA_DEVNET => Some("https://api.devnet.solana.com"),
        SOLANA_TESTNET => Some("https://api.testnet.solana.com"),
        _ => None,
    }
}

/// A recent blockhash (`getLatestBlockhash`, confirmed commitment), within `ms`
/// milliseconds unless `signal` aborts first.
pub(crate) async fn latest_blockhash(
    url: &str,
    ms: u32,
    signal: Option<&AbortSignal>,
) -> Result<[u8; 32], JsValue> {
    let result = rpc_within(
        url,
        "getLatestBlockhash",
        json!([{ "commitment": "confirmed" }]),
        ms,
        signal,
    )
    .await?;
    let hash = result
        .pointer("/value/blockhash")
        .and_then(Value::as_str)
        .unwrap_or_default();
    crate::svm::Pubkey::parse(hash)
        .map(|key| key.0)
        .map_err(|_| {
            to_js(&Error::RpcError {
                reason: "getLatestBlockhash: no valid blockhash".into(),
            })
        })
}

/// `ctx.rpcUrl` of a wallet's `sendTransaction(tx, ctx)` call, if any.
pub(crate) fn ctx_rpc_url(ctx: &JsValue) -> Result<Option<String>, JsValue> {
    if ctx.is_undefined() || ctx.is_null() {
        return Ok(None);
    }
    if !ctx.is_object() {
        return Err(invalid_argument("ctx must be an object { rpcUrl }"));
    }
    let url = Reflect::get(ctx, &JsValue::from_str("rpcUrl"))?;
    if url.is_undefined() || url.is_null() {
        return Ok(None);
    }
    url.as_string()
        .filter(|u| !u.is_empty())
        .map(Some)
        .ok_or_else(|| invalid_argument("ctx.rpcUrl must be a URL string"))
}

/// `ctx.signal` of a wallet's `sendTransaction(tx, ctx)` call, if any (the paying
/// fetch's): a send stops at it, and broadcasts nothing once it has aborted.
pub(crate) fn ctx_signal(ctx: &JsValue) -> Result<Option<AbortSignal>, JsValue> {
    if !ctx.is_object() {
        return Ok(None);
    }
    match Reflect::get(ctx, &JsValue::from_str("signal"))? {
        signal if signal.is_undefined() || signal.is_null() => Ok(None),
        // An AbortSignal, also another realm's (an iframe's), which `instanceof` misses.
        signal
            if signal.is_instance_of::<AbortSignal>()
                || signal.is_object()
                    && Reflect::get(&signal, &JsValue::from_str("aborted"))?
                        .as_bool()
                        .is_some() =>
        {
            Ok(Some(signal.unchecked_into()))
        }
        _ => Err(invalid_argument("ctx.signal must be an AbortSignal")),
    }
}

/// A quantity in a JSON-RPC answer; anything else is an RPC_ERROR naming `method`.
pub(crate) fn rpc_quantity(answer: &Value, method: &str) -> Result<U256, JsValue> {
    answer.as_str().and_then(hex_u256).ok_or_else(|| {
        to_js(&Error::RpcError {
            reason: format!("{method}: {answer} is not a quantity"),
        })
    })
}

/// How long each JSON-RPC call may take, and the signal that stops it.
pub(crate) type Bound<'s> = (u32, Option<&'s AbortSignal>);

/// CHAIN_NOT_AVAILABLE unless the RPC at `url` serves `chain_id` (asked first, so
/// nothing is signed for a node on another chain).
pub(crate) async fn check_chain(url: &str, chain_id: u64, bound: Bound<'_>) -> Result<(), JsValue> {
    let served = rpc_within(url, "eth_chainId", json!([]), bound.0, bound.1).await?;
    let served = rpc_quantity(&served, "eth_chainId")?;
    if served == U256::from(chain_id) {
        return Ok(());
    }
    Err(coded(
        "CHAIN_NOT_AVAILABLE",
        &format!("the RPC serves chain {served}, the transaction is for chain {chain_id}"),
    ))
}

/// The account's next nonce, counting its pending transactions.
pub(crate) async fn pending_nonce(
    url: &str,
    from: &Address,
    bound: Bound<'_>,
) -> Result<u64, JsValue> {
    let params = json!([from.to_checksum(), "pending"]);
    let nonce = rpc_within(url, "eth_getTransactionCount", params, bound.0, bound.1).await?;
    u64::try_from(rpc_quantity(&nonce, "eth_getTransactionCount")?).map_err(|_| {
        to_js(&Error::RpcError {
            reason: "eth_getTransactionCount: a nonce above 2^64 - 1".into(),
        })
    })
}

/// `(maxPriorityFeePerGas, maxFeePerGas)`: twice the latest base fee plus the node's
/// suggested tip (room for six full blocks of base-fee rises). A node that answers
/// `eth_maxPriorityFeePerGas` with an error gets `eth_gasPrice - baseFee` as the tip; a block without
/// a base fee (a pre-London chain) gets `eth_gasPrice` for both, which is what a legacy
/// transaction would pay.
pub(crate) async fn fees(url: &str, bound: Bound<'_>) -> Result<(U256, U256), JsValue> {
    let (ms, signal) = bound;
    let block = rpc_within(
        url,
        "eth_getBlockByNumber",
        json!(["latest", false]),
        ms,
        signal,
    )
    .await?;
    let base = match block.get("baseFeePerGas") {
        None | Some(Value::Null) => None,
        Some(base) => Some(rpc_quantity(base, "eth_getBlockByNumber")?),
    };
    let gas_price = || async {
        let price = rpc_within(url, "eth_gasPrice", json!([]), ms, signal).await?;
        rpc_quantity(&price, "eth_gasPrice")
    };
    let Some(base) = base else {
        let price = gas_price().await?;
        return Ok((price, price));
    };
    // Only a node that answers with a JSON-RPC error (no such method) gets the fallback:
    // one that fails or does not answer in time has had its time.
    let method = "eth_maxPriorityFeePerGas";
    let tip = match answer(url, method, json!([]), bound).await? {
        Ok(tip) => rpc_quantity(&tip, method)?,
        Err(_refused) => gas_price().await?.saturating_sub(base),
    };
    Ok((
        tip,
        base.saturating_mul(U256::from(2u8)).saturating_add(tip),
    ))
}
