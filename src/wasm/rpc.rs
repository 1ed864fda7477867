//! A minimal JSON-RPC 2.0 client over the runtime's global `fetch`, shared by the
//! Solana and EVM code paths (blockhashes, mint info, nonces, sending and
//! confirming transactions).

use js_sys::{Function, Object, Promise, Reflect};
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::error::{invalid_argument, to_js};
use crate::error::Error;

/// Calls `method` with `params` on the JSON-RPC endpoint `url` and returns its
/// `result`; a transport failure, a non-JSON answer or a JSON-RPC `error` is an
/// `RPC_ERROR`.
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
    let failure = |reason: String| {
        to_js(&Error::RpcError {
            reason: format!("{method}: {reason}"),
        })
    };
    let response: web_sys::Response = JsFuture::from(Promise::resolve(&fetch.call2(
        &JsValue::NULL,
        &url.into(),
        &init,
    )?))
    .await
    .map_err(|_| failure("unreachable".into()))?
    .dyn_into()?;
    let text = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    let json: Value = serde_json::from_str(&text)
        .map_err(|_| failure(format!("HTTP {} without JSON", response.status())))?;
    if let Some(error) = json.get("error") {
        return Err(match refusal(error) {
            Some(known) => to_js(&known),
            None => failure(error.to_string()),
        });
    }
    json.get("result")
        .cloned()
        .ok_or_else(|| failure("no result".into()))
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

/// A recent blockhash (`getLatestBlockhash`, confirmed commitment).
pub(crate) async fn latest_blockhash(url: &str) -> Result<[u8; 32], JsValue> {
    let result = rpc(
        url,
        "getLatestBlockhash",
        json!([{ "commitment": "confirmed" }]),
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
