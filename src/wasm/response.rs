//! The Response a wrapped fetch resolved to: the runtime's own or one of another
//! implementation, whose members are read through catching calls, so that a getter
//! that throws is a coded error (or a failure to report), never an exception thrown
//! through wasm.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use web_sys::{Request, Response};

use super::convert::method;
use super::error::invalid_argument;
use super::request::{cancel_quietly, get};

/// What a fetch resolved to, as a Response: the runtime's own, or one of another
/// realm or fetch implementation (undici's package, a polyfill, an iframe's fetch),
/// which is used through its members as fetch's own would be.
pub(crate) fn as_response(value: JsValue) -> Result<Response, JsValue> {
    if value.is_instance_of::<Response>() || response_like(&value) {
        return Ok(value.unchecked_into());
    }
    Err(invalid_argument(
        "the wrapped fetch must resolve to a Response (status, url, redirected, headers.get, clone)",
    ))
}

/// Whether `value` has the members of a Response that the paying fetch uses besides
/// its body (which, when read, must be a web ReadableStream too).
fn response_like(value: &JsValue) -> bool {
    let member = |key: &str| get(value, key);
    value.is_object()
        && member("status").as_f64().is_some()
        && member("url").is_string()
        && member("redirected").as_bool().is_some()
        && method(&member("headers"), "get").is_ok_and(|get| get.is_some())
        && method(value, "clone").is_ok_and(|clone| clone.is_some())
}

pub(crate) fn response_url(response: &Response, request: &Request) -> Result<String, JsValue> {
    let url = url_of_response(response)?;
    Ok(if url.is_empty() { request.url() } else { url })
}

/// A member of the wrapped fetch's Response, read through a catching call: one of
/// another implementation whose getter throws, or answers the wrong type, is
/// INVALID_ARGUMENT, never an exception thrown through wasm (which would leave what
/// the unwound frames held allocated).
fn response_member(response: &Response, key: &str) -> Result<JsValue, JsValue> {
    Reflect::get(response, &JsValue::from_str(key)).map_err(|_| {
        invalid_argument(&format!(
            "the wrapped fetch's response.{key} cannot be read"
        ))
    })
}

fn wrong_member(key: &str) -> JsValue {
    invalid_argument(&format!(
        "the wrapped fetch's response.{key} has the wrong type"
    ))
}

/// Cancels the body of a response that will not be read (read through a catching call,
/// see [`get`]): an unread body holds its connection.
pub(crate) fn cancel_body(response: &Response) {
    let body = get(response, "body");
    if body.is_object() {
        cancel_quietly(&body);
    }
}

/// `response.status`, or 0 when it cannot be read (see [`response_member`]): for a
/// response that answers a payment already sent, a failure to report, not an error.
pub(crate) fn status_or_zero(response: &Response) -> u16 {
    status_of(response).unwrap_or(0)
}

/// Whether `status` is a success (2xx), as `response.ok` says.
pub(crate) fn is_ok(status: u16) -> bool {
    (200..300).contains(&status)
}

/// `response.status` (see [`response_member`]).
pub(crate) fn status_of(response: &Response) -> Result<u16, JsValue> {
    response_member(response, "status")?
        .as_f64()
        .filter(|status| status.fract() == 0.0 && (0.0..1000.0).contains(status))
        .map(|status| status as u16)
        .ok_or_else(|| wrong_member("status"))
}

/// `response.redirected` (see [`response_member`]).
pub(crate) fn redirected(response: &Response) -> Result<bool, JsValue> {
    response_member(response, "redirected")?
        .as_bool()
        .ok_or_else(|| wrong_member("redirected"))
}

/// `response.url` (see [`response_member`]).
pub(crate) fn url_of_response(response: &Response) -> Result<String, JsValue> {
    response_member(response, "url")?
        .as_string()
        .ok_or_else(|| wrong_member("url"))
}

/// `response.headers` (see [`response_member`]): an object, whose `get` and `has`
/// calls catch what they throw.
pub(crate) fn headers_of(response: &Response) -> Result<web_sys::Headers, JsValue> {
    let headers = response_member(response, "headers")?;
    if !headers.is_object() {
        return Err(wrong_member("headers"));
    }
    Ok(headers.unchecked_into())
}

/// The value of header `name` of `response`, `None` when absent or when the headers
/// cannot be read: for reading what a server said, where a failure is not an error.
pub(crate) fn header_value(response: &Response, name: &str) -> Option<String> {
    headers_of(response).ok()?.get(name).ok().flatten()
}
