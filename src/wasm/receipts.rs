//! Receipts of paid requests: what `getPaymentReceipt(response)` returns.

use std::cell::OnceCell;

use js_sys::WeakMap;
use serde::Serialize;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, Response};

use super::convert::{method, read, view_to_js};
use super::error::{caused, invalid_argument, js};
use super::request::{look_deadline, paid_responses, read_text};
use super::response::{cancel_body, header_value, headers_of, is_ok, status_or_zero};
use crate::dialect::{DialectId, MAX_BODY_LEN, Requirement};
use crate::error::Document;
use crate::protocol::{PaymentRequired, SettlementResponse, decode_header};

/// The outcome of a paid request.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Receipt {
    pub(crate) success: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    transaction: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    network: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    payer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extensions: Option<Map<String, Value>>,
    /// 1ly's purchase metadata (`{purchaseId, reviewToken}`), from the paid JSON body.
    #[serde(rename = "_1ly", skip_serializing_if = "Option::is_none")]
    pub(crate) one_ly: Option<Value>,
    /// The HTTP status of the paid response.
    status: u16,
}

impl Receipt {
    pub(crate) fn from_settlement(s: SettlementResponse, status: u16) -> Self {
        // CAIP-2 everywhere: v1 servers name networks "base-sepolia".
        let network =
            crate::protocol::Network::parse(&s.network).map_or(s.network, |n| n.to_string());
        Receipt {
            success: s.success,
            transaction: s.transaction,
            network,
            payer: s.payer,
            amount: s.amount,
            error_reason: s.error_reason,
            extensions: s.extensions,
            one_ly: None,
            status,
        }
    }

    /// A failed settlement that names no reason takes the one the response gives
    /// otherwise (its challenge's or body's `error`, else `payment_refused` for a 402):
    /// the same as a response without a settlement header.
    pub(crate) async fn with_reason_of(
        self,
        requirement: &Requirement,
        response: &Response,
        signal: Option<&AbortSignal>,
    ) -> Self {
        if self.success || self.error_reason.as_deref().is_some_and(|r| !r.is_empty()) {
            return self;
        }
        let error = super::request::body_error(response, signal).await;
        match Self::missing(requirement, response, error).error_reason {
            Some(reason) => Receipt {
                error_reason: Some(reason),
                ..self
            },
            None => self,
        }
    }

    /// A receipt for a paid response that carried none: a success only for a 2xx.
    /// A refusal (402 again, whose challenge header or body may say why: `body_error`
    /// is the body's `error`), a failure or a redirect (3xx; 0 for a browser's opaque
    /// redirect) did not deliver what was paid for.
    pub(crate) fn missing(
        requirement: &Requirement,
        response: &Response,
        body_error: Option<String>,
    ) -> Self {
        let status = status_or_zero(response);
        let success = (200..300).contains(&status);
        let error_reason = (!success).then(|| {
            header_value(response, "payment-required")
                .and_then(|h| decode_header::<PaymentRequired>(&h, Document::PaymentRequired).ok())
                .and_then(|c| c.error)
                .or(body_error)
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| refusal(status))
        });
        Receipt {
            success,
            transaction: String::new(),
            network: requirement.network.to_string(),
            payer: None,
            amount: None,
            error_reason,
            extensions: None,
            one_ly: None,
            status,
        }
    }
}

impl Receipt {
    /// The receipt of a payment the client made itself (seed dialects): the
    /// transaction it sent (or the facilitator's), a success when the repeated
    /// request got a 2xx.
    pub(crate) fn direct(
        requirement: &Requirement,
        response: &Response,
        transaction: String,
        payer: String,
    ) -> Self {
        let status = status_or_zero(response);
        let success = (200..300).contains(&status);
        Receipt {
            success,
            transaction,
            network: requirement.network.to_string(),
            payer: Some(payer),
            amount: Some(requirement.amount.to_string()),
            error_reason: (!success).then(|| refusal(status)),
            extensions: None,
            one_ly: None,
            status,
        }
    }
}

/// The reason of a failed paid response that gave none of its own.
fn refusal(status: u16) -> String {
    if status == 402 {
        "payment_refused".to_owned()
    } else {
        format!("http_{status}")
    }
}

thread_local! {
    // Created on first use, never at module start (Workers forbid work at global scope).
    static RECEIPTS: OnceCell<WeakMap> = const { OnceCell::new() };
}

/// Remembers the receipt of a response this SDK returned for a payment it made, and
/// marks the response paid (whether or not the receipt could be kept).
pub(crate) fn remember_receipt(response: &Response, receipt: &Receipt) {
    paid_responses().add(response.as_ref());
    if let Ok(value) = view_to_js(receipt) {
        RECEIPTS.with(|cell| {
            cell.get_or_init(WeakMap::new)
                .set(response.as_ref(), &value);
        });
    }
}

/// Whether `response` is one a paying fetch (of any copy of the package) returned
/// for a payment it made (the paid retry's answer, a 402 included), or a 402 that
/// says it answers a payment (a `PAYMENT-RESPONSE` or `X-PAYMENT-RESPONSE`: a
/// paying fetch inside this one paid, and what it returned was rebuilt on the way).
pub(crate) fn paid_already(response: &Response) -> Result<bool, JsValue> {
    if paid_responses().has(response.as_ref()) {
        return Ok(true);
    }
    let headers = headers_of(response)?;
    Ok(headers.has("payment-response")? || headers.has("x-payment-response")?)
}

/// The payment receipt of a response: the one recorded when `wrapFetch` paid for
/// it, else the decoded `PAYMENT-RESPONSE` / `X-PAYMENT-RESPONSE` header, else
/// `undefined`.
#[wasm_bindgen(js_name = getPaymentReceipt)]
pub fn get_payment_receipt(response: JsValue) -> Result<JsValue, JsValue> {
    // The caller's value, read only through calls that catch what it throws (a missing
    // argument, a getter that throws): an exception must not unwind through wasm.
    if !response.is_object() {
        return Err(invalid_argument("getPaymentReceipt needs a Response"));
    }
    let key: &js_sys::Object = response.unchecked_ref();
    let known = RECEIPTS.with(|cell| cell.get().map(|map| map.get(key)));
    if let Some(found) = known.filter(|v| !v.is_undefined()) {
        return Ok(found);
    }
    let headers = read(&response, "headers")?;
    let get = method(&headers, "get")?
        .ok_or_else(|| invalid_argument("getPaymentReceipt needs a Response (with headers)"))?;
    let header = |name: &str| {
        get.call1(&headers, &JsValue::from_str(name))
            .map(|value| value.as_string())
            .map_err(|e| caused("response.headers.get", e))
    };
    let value = match header("payment-response")? {
        Some(value) => Some(value),
        None => header("x-payment-response")?,
    };
    match value {
        Some(value) => {
            let settlement: SettlementResponse =
                js(decode_header(&value, Document::SettlementResponse))?;
            let status = read(&response, "status")?.as_f64().unwrap_or(0.0);
            // A status is a whole number from 0 to 999; anything else reads as 0.
            let status = if (0.0..1000.0).contains(&status) {
                status as u16
            } else {
                0
            };
            view_to_js(&Receipt::from_settlement(settlement, status))
        }
        None => Ok(JsValue::UNDEFINED),
    }
}

/// The settlement receipt a paid response carries: under the name of the dialect
/// paid in, else the other one (servers mix them, and the official client reads both).
pub(crate) fn read_receipt(response: &Response, dialect: DialectId) -> Option<Receipt> {
    let names = match dialect {
        DialectId::X402V1 => ["x-payment-response", "payment-response"],
        _ => ["payment-response", "x-payment-response"],
    };
    // One that does not decode gives way to the other.
    let settlement: SettlementResponse = names.into_iter().find_map(|name| {
        decode_header(&header_value(response, name)?, Document::SettlementResponse).ok()
    })?;
    Some(Receipt::from_settlement(
        settlement,
        status_or_zero(response),
    ))
}

/// Finishes an x402 v2 402 whose body was not needed (its `PAYMENT-REQUIRED`
/// header decided) and tells whether it is 1ly's (seed 000): a JSON body that
/// repeats the header's document. Only then is the paid body read for `_1ly`, so
/// other servers' paid responses cost no extra read. A JSON body is read (it is
/// small: `{}` or the document); anything else is cancelled unread. Never left
/// unread: a Worker's unread subrequest body holds one of its few connections.
pub(crate) async fn one_ly_style(first: &Response, signal: Option<&AbortSignal>) -> bool {
    if !is_json(first) || too_short_for_a_document(first) {
        cancel_body(first);
        return false;
    }
    // `{}` or an error message is not the document; 1ly's repeat names its accepts.
    match read_text(first, MAX_BODY_LEN, look_deadline(), signal).await {
        Ok(Some(text)) => text.len() > 64 && text.contains("\"accepts\""),
        _ => false,
    }
}

/// Whether an uncompressed body's Content-Length says it is at most 64 bytes, too
/// short to repeat the document (the official servers' `{}`): it need not be read.
/// A browser hides Content-Encoding from cross-origin code, so the length may be a
/// compressed one there; 1ly's document (random addresses) never compresses to 64.
fn too_short_for_a_document(response: &Response) -> bool {
    let header = |name: &str| header_value(response, name);
    header("content-encoding").is_none_or(|e| e.trim().eq_ignore_ascii_case("identity"))
        && header("content-length").is_some_and(|n| n.trim().parse::<u64>().is_ok_and(|n| n <= 64))
}

/// Whether a response's content-type names JSON.
fn is_json(response: &Response) -> bool {
    header_value(response, "content-type").is_some_and(|t| t.to_ascii_lowercase().contains("json"))
}

/// Whether a response's media type is one JSON document: `application/json` or a
/// `+json` suffix (not `application/x-ndjson`, `application/json-seq`...).
fn is_json_document(response: &Response) -> bool {
    header_value(response, "content-type").is_some_and(|t| {
        let media = t
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        media == "application/json"
            || (media.starts_with("application/") && media.ends_with("+json"))
    })
}

/// The receipt of the paid retry's `response`: its settlement header's (`read`) with
/// the reason of a failure its body or challenge gives, or the one a response without
/// a readable header earns; with 1ly's metadata when `one_ly`. Those are read from
/// clones before the response is returned; the reads stop when `signal` aborts.
pub(crate) async fn paid_receipt(
    read: Option<Receipt>,
    requirement: &Requirement,
    response: &Response,
    one_ly: bool,
    signal: Option<&AbortSignal>,
) -> Receipt {
    let mut receipt = match read {
        Some(receipt) => receipt.with_reason_of(requirement, response, signal).await,
        None => {
            let error = super::request::body_error(response, signal).await;
            Receipt::missing(requirement, response, error)
        }
    };
    if one_ly {
        receipt.one_ly = one_ly_metadata(response, signal).await;
    }
    receipt
}

/// The `_1ly` member of a paid JSON response (1ly's purchase metadata), read from
/// a clone so the caller still gets the whole body. Only small JSON documents are
/// read: not a stream of JSON values (NDJSON, JSON text sequences), which the caller
/// may read as it arrives.
async fn one_ly_metadata(response: &Response, signal: Option<&AbortSignal>) -> Option<Value> {
    if !is_ok(status_or_zero(response)) || !is_json_document(response) {
        return None;
    }
    let text = read_text(&response.clone().ok()?, 1 << 20, look_deadline(), signal)
        .await
        .ok()??;
    let mut body: Value = serde_json::from_str(&text).ok()?;
    match body.get_mut("_1ly").map(Value::take) {
        Some(metadata) if metadata.is_object() => Some(metadata),
        _ => None,
    }
}
