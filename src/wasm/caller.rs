//! The caller's request, as the paying fetch was given it. Most calls are plain
//! calls to the runtime's own fetch (see `plain_call`): they are sent as the
//! caller's `(input, init)`, and so is their paid retry, with the payment header
//! added. Their Request is built only if something needs it (a redirected 402, a
//! response without a URL, an abort signal from another realm), so a paid request
//! costs the runtime no Request to build and then copy again. Any other call is
//! built into a Request up front, its body read once.

use std::cell::OnceCell;

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, Headers, Request, Response};

use super::request::{Outgoing, attempt, get, new_request, stop_if_aborted};
use super::response::{redirected, response_url, url_of_response};
use crate::dialect::PAYMENT_HEADERS;

/// A call as the paying fetch took it: a plain call, or a Request built from it.
pub(crate) enum Taken {
    Plain(Caller),
    Built(Request),
}

pub(crate) struct Caller {
    input: JsValue,
    /// `undefined` for none (also when the call gave `null`).
    init: JsValue,
    /// Whether `(input, init)` is a plain call to the runtime's own fetch.
    plain: bool,
    request: OnceCell<Request>,
    /// The body, read once up front (never for a plain call, which has none).
    body: Option<JsValue>,
}

impl Caller {
    /// A plain call to the runtime's fetch, taken when the call is made, as fetch
    /// takes its arguments: a URL object is read, and the init copied (see
    /// `snapshot`). The caller may reuse or change both as soon as the call returns,
    /// or while the payment is approved.
    pub(crate) fn plain(input: JsValue, init: &JsValue) -> Result<Self, JsValue> {
        let input = match input.dyn_ref::<web_sys::Url>() {
            Some(url) => url.href().into(),
            None => input,
        };
        Ok(Caller {
            input,
            init: snapshot(init)?,
            plain: true,
            request: OnceCell::new(),
            body: None,
        })
    }

    /// A plain call's first attempt, as the caller made it.
    pub(crate) fn first(&self) -> Outgoing {
        Outgoing::new(self.input.clone(), self.init.clone())
    }

    /// Whether the caller's request already carries a payment (its own, or an
    /// inner paying fetch's): it is not paid again here.
    pub(crate) fn carries_payment(&self) -> Result<bool, JsValue> {
        let headers = match self.request.get() {
            Some(request) => request.headers(),
            None => match get(&self.init, "headers") {
                given if given.is_undefined() || given.is_null() => return Ok(false),
                given => given.unchecked_into::<Headers>(),
            },
        };
        for name in PAYMENT_HEADERS {
            if headers.has(name)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Any other call: its Request, built up front, and its body.
    pub(crate) fn built(request: Request, body: Option<JsValue>) -> Self {
        let cell = OnceCell::new();
        let _ = cell.set(request);
        Caller {
            input: JsValue::UNDEFINED,
            init: JsValue::UNDEFINED,
            plain: false,
            request: cell,
            body,
        }
    }

    /// The Request, built from the plain call's `(input, init)` the first time.
    pub(crate) fn request(&self) -> Result<&Request, JsValue> {
        if let Some(request) = self.request.get() {
            return Ok(request);
        }
        let request = new_request(&self.input, &self.init)?;
        Ok(self.request.get_or_init(|| request))
    }

    /// The call's abort signal. A plain call's is its `init.signal` (valid, since the
    /// runtime's fetch took it for the first attempt); one from another realm (an
    /// iframe's) is followed through the Request, which the runtime makes follow it.
    pub(crate) fn signal(&self) -> Option<AbortSignal> {
        if let Some(request) = self.request.get() {
            return Some(request.signal());
        }
        if self.init.is_undefined() {
            return None;
        }
        match get(&self.init, "signal") {
            given if given.is_undefined() || given.is_null() => None,
            given => match given.dyn_into::<AbortSignal>() {
                Ok(signal) => Some(signal),
                Err(_) => self.request().ok().map(Request::signal),
            },
        }
    }

    /// The signal's reason, if it has aborted.
    pub(crate) fn check_aborted(&self) -> Result<(), JsValue> {
        stop_if_aborted(self.signal().as_ref())
    }

    /// The URL a response came from (the request's, when the response names none).
    pub(crate) fn url_of(&self, response: &Response) -> Result<String, JsValue> {
        match url_of_response(response)? {
            url if url.is_empty() => Ok(self.request()?.url()),
            url => Ok(url),
        }
    }

    /// The paid retry of the call that got `first` (the 402): the same request with
    /// the `payment` headers, sent where the 402 came from, never following a
    /// redirect with them. A plain call that was not redirected is repeated as the
    /// caller made it, to the URL the 402 names (absolute, resolved when it was sent).
    /// Its init is inherited, not copied: fetch reads every member as `init.x` does,
    /// own or not, enumerable or not.
    pub(crate) fn retry(
        &self,
        first: &Response,
        payment: &[(&str, String)],
    ) -> Result<Outgoing, JsValue> {
        let url = url_of_response(first)?;
        if self.plain && !redirected(first)? && !url.is_empty() {
            let flat = Array::new();
            for (name, value) in payment {
                flat.push(&JsValue::from_str(name));
                flat.push(&JsValue::from_str(value));
            }
            return Ok(Outgoing::new(url, retry_init(&self.init, &flat)?));
        }
        let request = self.request()?;
        let url = response_url(first, request)?;
        attempt(request, self.body.as_ref(), Some((&url, payment)))
    }
}

#[wasm_bindgen(module = "/src/wasm/request.js")]
extern "C" {
    /// A plain call's init as fetch reads it when called: every own member (enumerable
    /// or not), defined on a fresh object, with its headers copied into a Headers of
    /// their own. In JS: one call instead of five per member.
    #[wasm_bindgen(catch, js_name = snapshotInit)]
    fn snapshot_init(init: &Object) -> Result<JsValue, JsValue>;

    /// The init of a plain call's paid retry: inherits `init` (fetch reads every
    /// member as `init.x` does, own or not, enumerable or not), with its own headers
    /// (the call's plus `payment`, flattened name, value...) and `redirect: "manual"`.
    #[wasm_bindgen(catch, js_name = retryInit)]
    fn retry_init(init: &JsValue, payment: &Array) -> Result<JsValue, JsValue>;
}

/// A plain call's init as fetch reads it when called (see `snapshot_init`);
/// `undefined` for none.
fn snapshot(init: &JsValue) -> Result<JsValue, JsValue> {
    match init.dyn_ref::<Object>() {
        Some(given) => snapshot_init(given),
        None => Ok(JsValue::UNDEFINED),
    }
}
