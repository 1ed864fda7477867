//! The HTTP side of the paying fetch: building each attempt from the caller's
//! request, calling the wrapped fetch, abort handling and URL origins.

use std::cell::RefCell;

use js_sys::{Array, Function, Object, Promise, Reflect};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Request, Response};

use super::error::invalid_argument;
use super::response::{as_response, status_or_zero};

/// `target[key]`, or `undefined` when it cannot be read (a getter that throws). Nothing
/// is read from `undefined` or `null`: that would throw, and a thrown error is costly.
pub(crate) fn get(target: &JsValue, key: &str) -> JsValue {
    if target.is_undefined() || target.is_null() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `Err(reason)` once `signal` has aborted: the wallet is never asked anything then.
pub(crate) fn stop_if_aborted(signal: Option<&web_sys::AbortSignal>) -> Result<(), JsValue> {
    match signal {
        Some(signal) if signal.aborted() => Err(signal.reason()),
        _ => Ok(()),
    }
}

/// The options a wallet's signing method is given: `{ signal }`, so an adapter that
/// asks several things (a chain switch, then the signature) can stop in between.
pub(crate) fn with_signal(signal: Option<&web_sys::AbortSignal>) -> Result<JsValue, JsValue> {
    let options = Object::new();
    if let Some(signal) = signal {
        Reflect::set(&options, &JsValue::from_str("signal"), signal)?;
    }
    Ok(options.into())
}

/// How long a body read only to look into it (a 402's terms, a refusal's reason, 1ly's
/// metadata) may take: a body that never ends must not hold the call forever.
const LOOK_MS: f64 = 10_000.0;

/// The deadline (Unix milliseconds) of a body read starting now, to look into it.
pub(crate) fn look_deadline() -> f64 {
    js_sys::Date::now() + LOOK_MS
}

/// The `error` member of a failed response's JSON body (read from a clone; the read
/// stops when `signal` aborts).
pub(crate) async fn body_error(
    response: &Response,
    signal: Option<&AbortSignal>,
) -> Option<String> {
    if status_or_zero(response) < 400 {
        return None;
    }
    let json = read_json(&response.clone().ok()?, look_deadline(), signal).await;
    json.get("error").and_then(Value::as_str).map(str::to_owned)
}

/// A response's JSON body (at most 64 KiB), or `null` for anything else (or once
/// `deadline_ms`, Unix milliseconds, has passed).
pub(crate) async fn read_json(
    response: &Response,
    deadline_ms: f64,
    signal: Option<&AbortSignal>,
) -> Value {
    match read_text(response, 64 * 1024, deadline_ms, signal).await {
        Ok(Some(text)) => serde_json::from_str(&text).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

#[wasm_bindgen(module = "/src/wasm/request.js")]
extern "C" {
    /// The bounded body read of [`read_text`], in JS: one call and one timer per body
    /// instead of a boundary crossing and a timer per chunk (58 µs for a 402's `{}`).
    /// Resolves to the text, `null` past the limit, or `{ refused: message }`.
    #[wasm_bindgen(js_name = readText)]
    fn read_text_js(
        response: &Response,
        limit: u32,
        ms: u32,
        signal: Option<&AbortSignal>,
    ) -> Promise;

    /// A Request's body as a Blob (null for none), read up front; the read (and the
    /// stream) stops when `signal` aborts, rejecting with its reason.
    #[wasm_bindgen(js_name = readBody)]
    pub(crate) fn read_body(request: &Request, signal: &AbortSignal) -> Promise;

    /// Calls `target.cancel()` (a body stream or its reader), not waiting for it, and
    /// without leaving a rejection unhandled (the stream may have failed already).
    #[wasm_bindgen(js_name = cancelQuietly)]
    pub(crate) fn cancel_quietly(target: &JsValue);

    /// Handles a promise's rejection that nobody awaits any more.
    #[wasm_bindgen(js_name = ignoreRejection)]
    fn ignore_rejection(promise: &Promise);

    /// The responses paying fetches (of every copy of the package in the realm)
    /// returned for the payments they made.
    #[wasm_bindgen(js_name = paidResponses)]
    pub(crate) fn paid_responses() -> js_sys::WeakSet;
}

/// A response's body as text (UTF-8, malformed sequences replaced and a BOM dropped,
/// as `text()` does) when it is at most `limit` bytes; `None` when it is longer. It
/// is read chunk by chunk, and the rest is cancelled as soon as the limit is passed,
/// so a hostile body is never held whole, whatever its Content-Length or
/// Content-Encoding says. A body still arriving at `deadline_ms` (Unix milliseconds)
/// is an error: every read is bounded ([`look_deadline`] for one that only looks
/// into a body).
pub(crate) async fn read_text(
    response: &Response,
    limit: usize,
    deadline_ms: f64,
    signal: Option<&AbortSignal>,
) -> Result<Option<String>, JsValue> {
    let limit = u32::try_from(limit).unwrap_or(u32::MAX);
    let ms = super::timer::ms_left(deadline_ms);
    let out = JsFuture::from(read_text_js(response, limit, ms, signal)).await?;
    if out.is_null() {
        return Ok(None);
    }
    match out.as_string() {
        Some(text) => Ok(Some(text)),
        None => Err(invalid_argument(
            &get(&out, "refused")
                .as_string()
                .unwrap_or_else(|| "the response body cannot be read".to_owned()),
        )),
    }
}

/// Awaits `promise`, or rejects with the signal's reason as soon as it aborts (without
/// a signal, simply awaits it).
pub(crate) async fn until_aborted(
    signal: Option<&web_sys::AbortSignal>,
    promise: Promise,
) -> Result<JsValue, JsValue> {
    let Some(signal) = signal else {
        return JsFuture::from(promise).await;
    };
    if signal.aborted() {
        // Not awaited: its rejection (an adapter that stops on the abort) is handled here, not
        // left to end a Node process as an unhandled rejection.
        ignore_rejection(&promise);
        return Err(signal.reason());
    }
    let listener: RefCell<Option<Closure<dyn FnMut()>>> = RefCell::new(None);
    let abort = Promise::new(&mut |_resolve, reject| {
        let aborted = signal.clone();
        let closure = Closure::<dyn FnMut()>::new(move || {
            let _ = reject.call1(&JsValue::NULL, &aborted.reason());
        });
        let _ = signal_listen(signal, closure.as_ref().unchecked_ref(), true);
        *listener.borrow_mut() = Some(closure);
    });
    let outcome = JsFuture::from(Promise::race(&Array::of2(&promise, &abort))).await;
    if let Some(closure) = listener.borrow_mut().take() {
        let _ = signal_listen(signal, closure.as_ref().unchecked_ref(), false);
    }
    outcome
}

fn signal_listen(
    signal: &web_sys::AbortSignal,
    callback: &Function,
    add: bool,
) -> Result<(), JsValue> {
    if add {
        signal.add_event_listener_with_callback("abort", callback)
    } else {
        signal.remove_event_listener_with_callback("abort", callback)
    }
}

pub(crate) fn new_request(input: &JsValue, init: &JsValue) -> Result<Request, JsValue> {
    let constructor = super::global("Request");
    let constructor: Function = constructor
        .dyn_into()
        .map_err(|_| invalid_argument("this runtime has no Request"))?;
    let args = if init.is_undefined() {
        Array::of1(input)
    } else {
        Array::of2(input, init)
    };
    Reflect::construct(&constructor, &args)?.dyn_into::<Request>()
}

/// The arguments of one fetch call: `input` and `init` (`undefined` for none), as
/// `fetch(input, init)` takes them. `call_fetch` hands them to the runtime's own
/// fetch as they are (it builds its Request from them), and gives a custom fetch
/// the one Request they describe.
pub(crate) struct Outgoing {
    pub(crate) input: JsValue,
    pub(crate) init: JsValue,
}

impl Outgoing {
    pub(crate) fn new(input: impl Into<JsValue>, init: impl Into<JsValue>) -> Self {
        Outgoing {
            input: input.into(),
            init: init.into(),
        }
    }
}

/// One attempt: the original request with the body read up front, optionally sent
/// to `url` with the payment headers (and never following a redirect with them).
pub(crate) fn attempt(
    request: &Request,
    body: Option<&JsValue>,
    paid: Option<(&str, &[(&str, String)])>,
) -> Result<Outgoing, JsValue> {
    if body.is_none() && paid.is_none() {
        // A request without a body can be sent as it is, any number of times.
        return Ok(Outgoing::new(Clone::clone(request), JsValue::UNDEFINED));
    }
    let init = Object::new();
    let headers = web_sys::Headers::new_with_headers(&request.headers())?;
    if let Some(body) = body {
        Reflect::set(&init, &"body".into(), body)?;
    }
    // A Request built from another with a non-empty init resets these two.
    for key in ["referrer", "referrerPolicy"] {
        let value = get(request, key);
        if value.as_string().is_some() {
            Reflect::set(&init, &key.into(), &value)?;
        }
    }
    let Some((url, payment)) = paid else {
        Reflect::set(&init, &"headers".into(), &headers)?;
        return Ok(Outgoing::new(Clone::clone(request), init));
    };
    for (name, value) in payment {
        headers.set(name, value)?;
    }
    Reflect::set(&init, &"headers".into(), &headers)?;
    Reflect::set(&init, &"redirect".into(), &"manual".into())?;
    if url == request.url() {
        return Ok(Outgoing::new(Clone::clone(request), init));
    }
    if origin_of(url) != origin_of(&request.url()) {
        // The 402 came from where a redirect led: drop what fetch drops on a
        // cross-origin redirect, so the caller's credentials for the first origin stay there.
        for name in ["authorization", "cookie", "proxy-authorization"] {
            headers.delete(name)?;
        }
        Reflect::set(&init, &"headers".into(), &headers)?;
    }
    for key in [
        "method",
        "credentials",
        "mode",
        "cache",
        "referrerPolicy",
        "integrity",
        "keepalive",
        "signal",
    ] {
        let value = get(request, key);
        let navigate = key == "mode" && value.as_string().as_deref() == Some("navigate");
        if !value.is_undefined() && !navigate {
            Reflect::set(&init, &key.into(), &value)?;
        }
    }
    Ok(Outgoing::new(url, init))
}

/// Calls `fetch` with `out`. The runtime's own fetch (`native`) takes `(input, init)`
/// and builds the Request itself; a custom fetch always receives one Request, so
/// it sees exactly what the runtime's fetch would send.
pub(crate) async fn call_fetch(
    fetch: &Function,
    native: bool,
    out: &Outgoing,
) -> Result<Response, JsValue> {
    as_response(JsFuture::from(fetch_promise(fetch, native, out)?).await?)
}

/// The promise of one fetch call (see [`call_fetch`]), for a caller that bounds the wait.
pub(crate) fn fetch_promise(
    fetch: &Function,
    native: bool,
    out: &Outgoing,
) -> Result<Promise, JsValue> {
    let pending = if out.init.is_undefined() && (native || out.input.is_instance_of::<Request>()) {
        fetch.call1(&JsValue::NULL, &out.input)?
    } else if native {
        fetch.call2(&JsValue::NULL, &out.input, &out.init)?
    } else {
        let request: JsValue = new_request(&out.input, &out.init)?.into();
        fetch.call1(&JsValue::NULL, &request)?
    };
    Ok(Promise::resolve(&pending))
}

/// `scheme://host[:port]` of a URL.
pub(crate) fn origin_of(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = url.get(start..).unwrap_or_default();
    let end = rest.find(['/', '?', '#']).map_or(url.len(), |i| start + i);
    url.get(..end).unwrap_or(url).to_owned()
}

/// Whether `fetch(input, init)` can go to the runtime's fetch as it is, the Request
/// being built from the same `(input, init)` only if a 402 needs it (see `Caller`): `input` is a string
/// or a URL, and `init` is absent or a plain object with no body whose headers (if
/// any) read the same twice: a `Headers`, an array or a plain record. Anything else
/// (a Request, a body, an iterator of headers that the first read would use up, a
/// class instance whose getters might answer differently) builds the Request first.
pub(crate) fn plain_call(input: &JsValue, init: &JsValue) -> bool {
    let url = input.is_string() || input.is_instance_of::<web_sys::Url>();
    if !url {
        return false;
    }
    if init.is_undefined() || init.is_null() {
        return true;
    }
    let member = |key: &str| Reflect::get(init, &JsValue::from_str(key)).ok();
    let headers_ok = |headers: &JsValue| {
        headers.is_undefined()
            || headers.is_null()
            || Array::is_array(headers)
            || headers.is_instance_of::<web_sys::Headers>()
            || plain_object(headers)
    };
    plain_object(init)
        && member("body").is_some_and(|b| b.is_undefined() || b.is_null())
        && member("headers").is_some_and(|h| headers_ok(&h))
}

/// An object made by `{...}` (its prototype is `Object.prototype`) or with none.
fn plain_object(value: &JsValue) -> bool {
    let Some(object) = value.dyn_ref::<Object>() else {
        return false;
    };
    let prototype = Object::get_prototype_of(object);
    prototype.is_null() || Object::get_prototype_of(&prototype).is_null()
}
