//! Exports of the protocol core: header codec, 402 recognition, amounts, networks.

use js_sys::{JsString, Object, Reflect, Uint8Array};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wasm_bindgen::prelude::*;

use super::convert::{
    bytes_for, entries, json_to_js, length_of, method, string_arg, view_to_js, whole_arg,
};
use super::error::{invalid_argument, js, to_js};
use super::headers::JsHeaders;
use crate::dialect::{MAX_BODY_LEN, Response402, recognize};
use crate::error::{Document, Error};
use crate::protocol::{
    self, Amount, Network, PaymentPayload, PaymentPayloadV1, PaymentRequired, SettlementResponse,
};

/// The longest JSON text `from_js_value` copies into wasm (in UTF-16 units); far
/// above any header.
const MAX_JSON_TEXT: u32 = 4 << 20;

fn from_js_value<T: DeserializeOwned>(value: JsValue, document: Document) -> Result<T, JsValue> {
    // Through JSON text: numbers keep their integer form and `undefined` drops out,
    // exactly as the value would travel on the wire.
    let text = js_sys::JSON::stringify(&value)
        .map_err(|_| invalid_argument("value cannot be serialised to JSON"))?;
    // `undefined`, a function, a symbol (or a toJSON answering one of them) has no JSON:
    // stringify answers undefined, which is no string to measure.
    if !text.is_string() {
        return Err(invalid_argument(
            "value has no JSON form (undefined, a function or a symbol)",
        ));
    }
    if text.length() > MAX_JSON_TEXT {
        return Err(invalid_argument(&format!(
            "value is over {MAX_JSON_TEXT} characters of JSON"
        )));
    }
    let text = String::from(text);
    js(crate::protocol::parse_json(&text).map_err(|source| Error::json(document, source)))
}

fn document_named(name: &str) -> Result<Document, JsValue> {
    match name {
        "PaymentRequired" => Ok(Document::PaymentRequired),
        "PaymentPayload" => Ok(Document::PaymentPayload),
        "SettlementResponse" => Ok(Document::SettlementResponse),
        _ => Err(invalid_argument(
            "document must be PaymentRequired, PaymentPayload or SettlementResponse",
        )),
    }
}

/// Decodes an x402 header (base64 of UTF-8 JSON) and checks it has the shape of
/// `document`: `"PaymentRequired"`, `"PaymentPayload"` or `"SettlementResponse"`.
/// Returns the JSON object as the header carried it.
#[wasm_bindgen(js_name = decodeHeader)]
pub fn decode_header(value: JsValue, document: JsValue) -> Result<JsValue, JsValue> {
    let document = document_named(&string_arg(&document, "document")?)?;
    let value = string_arg(&value, "the header value")?;
    let json: Value = js(protocol::decode_header_exact(&value, document))?;
    // A version given as a number other than 1 or 2 is a document of another version,
    // whatever its shape (a missing or malformed one is the shape's error).
    if !matches!(document, Document::SettlementResponse)
        && json.get("x402Version").is_some_and(Value::is_number)
    {
        supported_version(&json)?;
    }
    let checked = match document {
        Document::PaymentRequired => PaymentRequired::deserialize(&json).map(drop),
        Document::PaymentPayload => match json.get("x402Version").and_then(Value::as_u64) {
            Some(1) => PaymentPayloadV1::deserialize(&json).map(drop),
            _ => PaymentPayload::deserialize(&json).map(drop),
        },
        _ => SettlementResponse::deserialize(&json).map(drop),
    };
    js(checked.map_err(|source| Error::json(document, source)))?;
    if !matches!(document, Document::SettlementResponse) {
        supported_version(&json)?;
    }
    // Its text held no integer beyond 2^53 (decode_header_exact): nothing for JSON.parse to round.
    view_to_js(&json)
}

/// A document's `x402Version`: 1 or 2, else UNSUPPORTED_VERSION naming what it holds.
fn supported_version(json: &Value) -> Result<u64, JsValue> {
    match json.get("x402Version").and_then(Value::as_u64) {
        Some(version @ (1 | 2)) => Ok(version),
        _ => {
            let found = json
                .get("x402Version")
                .map_or("missing".into(), Value::to_string);
            Err(to_js(&Error::UnsupportedVersion { found }))
        }
    }
}

/// Decodes a `PAYMENT-RESPONSE` / `X-PAYMENT-RESPONSE` header to its settlement response.
#[wasm_bindgen(js_name = decodePaymentResponse)]
pub fn decode_payment_response(value: JsValue) -> Result<JsValue, JsValue> {
    let value = string_arg(&value, "the header value")?;
    let response: SettlementResponse = js(protocol::decode_header(
        &value,
        Document::SettlementResponse,
    ))?;
    view_to_js(&response)
}

/// Encodes a payment payload (v1 or v2) as the `PAYMENT-SIGNATURE` / `X-PAYMENT`
/// header value: base64 of its UTF-8 JSON, padded.
#[wasm_bindgen(js_name = encodePaymentHeader)]
pub fn encode_payment_header(payload: JsValue) -> Result<String, JsValue> {
    let json: Value = from_js_value(payload, Document::PaymentPayload)?;
    let checked = if supported_version(&json)? == 1 {
        PaymentPayloadV1::deserialize(&json).map(drop)
    } else {
        PaymentPayload::deserialize(&json).map(drop)
    };
    js(checked.map_err(|source| Error::json(Document::PaymentPayload, source)))?;
    js(protocol::encode_header(&json, Document::PaymentPayload))
}

/// Encodes any x402 document (a `PaymentRequired`, a settlement response, ...) as a
/// header value, without checking its shape.
#[wasm_bindgen(js_name = encodeHeader)]
pub fn encode_header(value: JsValue) -> Result<String, JsValue> {
    let json: Value = from_js_value(value, Document::PaymentRequired)?;
    js(protocol::encode_header(&json, Document::PaymentRequired))
}

/// Recognises a 402 response in any supported dialect and returns the common
/// shape: `{ dialect, x402Version, resource?, error?, requirements: [...], rejected: [...] }`.
///
/// `headers` is a `Headers` object or a plain record; `body` is the body as a
/// string or `Uint8Array` (may be empty).
#[wasm_bindgen(js_name = recognizePaymentRequired)]
pub fn recognize_payment_required(
    status: JsValue,
    headers: JsValue,
    body: JsValue,
) -> Result<JsValue, JsValue> {
    let status = whole_arg(&status, "status", 999)?;
    // A body over MAX_BODY_LEN is not copied (a Uint8Array may hold 2^31 bytes and
    // more): recognition gets a stand-in over the limit, which it refuses as it would
    // the body (BODY_TOO_LARGE), or ignores when the PAYMENT-REQUIRED header decides.
    let over = |len: usize| (len > MAX_BODY_LEN).then_some(len);
    let (bytes, over) = if let Some(text) = body.dyn_ref::<JsString>() {
        // Each UTF-16 unit is at least one UTF-8 byte.
        match over(usize::try_from(text.length()).unwrap_or(usize::MAX)) {
            Some(units) => (vec![0; MAX_BODY_LEN + 1], Some(units)),
            None => (String::from(text).into_bytes(), None),
        }
    } else if body.is_undefined() || body.is_null() {
        (Vec::new(), None)
    } else if let Some(array) = body.dyn_ref::<Uint8Array>() {
        match over(length_of(array)?) {
            Some(len) => (vec![0; MAX_BODY_LEN + 1], Some(len)),
            None => (bytes_for(array, MAX_BODY_LEN)?, None),
        }
    } else {
        return Err(invalid_argument("body must be a string or a Uint8Array"));
    };
    let headers = JsHeaders::new(plain_headers(headers)?);
    let challenge = recognize(&Response402::new(status, &headers, &bytes));
    if let Some(failure) = headers.failure() {
        return Err(failure);
    }
    let challenge = challenge.map_err(|e| match e {
        // The stand-in's length is not the body's.
        Error::BodyTooLarge { limit, .. } => Error::BodyTooLarge {
            len: over.unwrap_or(bytes.len()),
            limit,
        },
        other => other,
    });
    view_to_js(&ChallengeView::from(&js(challenge)?))
}

/// Headers for `JsHeaders`: a `Headers`-like object (with `get`) as it is; a plain
/// record or an array of `[name, value]` pairs copied into a fresh object, its members
/// read with catching imports (a throwing getter is INVALID_ARGUMENT, not an exception
/// from `Object.entries`). Anything else is INVALID_ARGUMENT.
fn plain_headers(headers: JsValue) -> Result<JsValue, JsValue> {
    if !headers.is_object() {
        return Err(invalid_argument(
            "headers must be a Headers object, a record of names to strings or an array of [name, value] pairs",
        ));
    }
    if method(&headers, "get")?.is_some() {
        return Ok(headers);
    }
    let copy = Object::new();
    if let Some(pairs) = headers.dyn_ref::<js_sys::Array>() {
        // HeadersInit's other form: [name, value] pairs.
        for pair in pairs.iter() {
            let pair = pair
                .dyn_into::<js_sys::Array>()
                .ok()
                .filter(|p| p.length() == 2);
            let Some((name, value)) = pair.and_then(|p| Some((p.get(0).as_string()?, p.get(1))))
            else {
                return Err(invalid_argument("each header pair must be [name, value]"));
            };
            Reflect::set(&copy, &JsValue::from_str(&name), &value)?;
        }
        return Ok(copy.into());
    }
    for (name, value) in entries(&headers, "headers")? {
        Reflect::set(&copy, &JsValue::from_str(&name), &value)?;
    }
    Ok(copy.into())
}

/// The JS view of a challenge.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChallengeView<'a> {
    dialect: crate::dialect::DialectId,
    x402_version: u8,
    payment_header: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<&'a protocol::ResourceInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    requirements: &'a [crate::dialect::Requirement],
    rejected: Vec<RejectedView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extensions: Option<&'a serde_json::Map<String, Value>>,
}

#[derive(Serialize)]
struct RejectedView {
    index: usize,
    code: &'static str,
    message: String,
}

impl<'a> From<&'a crate::dialect::Challenge> for ChallengeView<'a> {
    fn from(c: &'a crate::dialect::Challenge) -> Self {
        ChallengeView {
            dialect: c.dialect,
            x402_version: c.x402_version,
            payment_header: c.dialect.payment_header(),
            resource: c.resource.as_ref(),
            error: c.error.as_deref(),
            requirements: &c.requirements,
            rejected: c
                .rejected
                .iter()
                .map(|r| RejectedView {
                    index: r.index,
                    code: r.error.code(),
                    message: r.error.to_string(),
                })
                .collect(),
            extensions: c.extensions.as_ref(),
        }
    }
}

/// Validates an atomic amount (a decimal integer string below 2^256) and returns
/// it in canonical form (no leading zeros).
#[wasm_bindgen(js_name = parseAmount)]
pub fn parse_amount(amount: JsValue) -> Result<String, JsValue> {
    js(Amount::parse(&string_arg(&amount, "amount")?)).map(|a| a.to_string())
}

/// Converts a money string (`"$0.01"`, `"0.05 USDC"`, `"1.5"`) to atomic units of
/// an asset with `decimals` decimals, exactly: `{ amount, currency }`.
#[wasm_bindgen(js_name = parsePrice)]
pub fn parse_price(price: JsValue, decimals: JsValue) -> Result<JsValue, JsValue> {
    let (price, decimals) = (string_arg(&price, "price")?, decimals_arg(&decimals)?);
    let price = js(protocol::parse_price(&price, decimals))?;
    json_to_js(&serde_json::json!({ "amount": price.amount, "currency": price.currency }))
}

/// Formats atomic units as a decimal string: `formatUnits("10000", 6) === "0.01"`.
#[wasm_bindgen(js_name = formatUnits)]
pub fn format_units(amount: JsValue, decimals: JsValue) -> Result<String, JsValue> {
    let (amount, decimals) = (string_arg(&amount, "amount")?, decimals_arg(&decimals)?);
    js(Amount::parse(&amount)).map(|a| a.format_units(decimals))
}

/// A token's decimals: a whole number from 0 to 255.
fn decimals_arg(value: &JsValue) -> Result<u8, JsValue> {
    // `whole_arg` keeps it within 0..=255.
    Ok(whole_arg(value, "decimals", u16::from(u8::MAX))? as u8)
}

/// Normalises a network (CAIP-2 or an x402 v1 name) to CAIP-2.
#[wasm_bindgen(js_name = toCaip2)]
pub fn to_caip2(network: JsValue) -> Result<String, JsValue> {
    js(Network::parse(&string_arg(&network, "network")?)).map(|n| n.to_string())
}

/// The x402 v1 name of a network, or `undefined` when v1 had none.
#[wasm_bindgen(js_name = toV1Network)]
pub fn to_v1_network(network: JsValue) -> Result<Option<String>, JsValue> {
    js(Network::parse(&string_arg(&network, "network")?)).map(|n| n.v1_name().map(str::to_owned))
}
