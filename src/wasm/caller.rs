//! The caller's request, as the paying fetch was given it. Most calls are plain
//! calls to the runtime's own fetch (see `plain_call`): they are sent as the
//! caller's `(input, init)`, and so is their paid retry, with the payment header
//! added. Their Request is built only if something needs it (a redirected 402, a
//! response without a URL, an abort signal from another realm), so a paid request
//! costs the runtime no Request to build and then copy again. Any other call is
//! built into a Request up front, its body read once.

use std::cell::OnceCell;

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, Headers, Request, Response};

use super::request::{Outgoing, attempt, get, new_request, response_url};

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
    /// A plain call to the runtime's fetch, sent as given. A URL object is read now:
    /// the caller may change it while the payment is approved.
    pub(crate) fn plain(input: JsValue, init: JsValue) -> Self {
        let input = match input.dyn_ref::<web_sys::Url>() {
            Some(url) => url.href().into(),
            None => input,
        };
        Caller {
            input,
            init: if init.is_null() {
                JsValue::UNDEFINED
            } else {
                init
            },
            plain: true,
            request: OnceCell::new(),
            body: None,
        }
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
        match self.signal() {
            Some(signal) if signal.aborted() => Err(signal.reason()),
            _ => Ok(()),
        }
    }

    /// The URL a response came from (the request's, when the response names none).
    pub(crate) fn url_of(&self, response: &Response) -> Result<String, JsValue> {
        match response.url() {
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
        let url = first.url();
        if self.plain && !first.redirected() && !url.is_empty() {
            let init = match self.init.dyn_ref::<Object>() {
                Some(given) => Object::create(given),
                None => Object::new(),
            };
            let headers = match get(&init, "headers") {
                given if given.is_undefined() || given.is_null() => Headers::new()?,
                given => Headers::new_with_str_sequence_sequence(&given)?,
            };
            for (name, value) in payment {
                headers.set(name, value)?;
            }
            own(&init, "headers", &headers)?;
            own(&init, "redirect", &"manual".into())?;
            return Ok(Outgoing::new(url, init));
        }
        let request = self.request()?;
        let url = response_url(first, request);
        attempt(request, self.body.as_ref(), Some((&url, payment)))
    }
}

/// Gives `object` its own `key` (defined, not assigned: a read-only member it inherits
/// from the caller's init would make an assignment fail).
fn own(object: &Object, key: &str, value: &JsValue) -> Result<(), JsValue> {
    let descriptor = Object::new();
    for (name, field) in [
        ("value", value.clone()),
        ("writable", JsValue::TRUE),
        ("enumerable", JsValue::TRUE),
        ("configurable", JsValue::TRUE),
    ] {
        Reflect::set(&descriptor, &name.into(), &field)?;
    }
    Object::define_property(object, &key.into(), &descriptor);
    Ok(())
}
