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
pub(crate) async fn rpc(url: &str, method: &str, params: Value) -> Result<Value, JsValue> {
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
        return Err(failure(error.to_string()));
    }
    json.get("result")
        .cloned()
        .ok_or_else(|| failure("no result".into()))
}
