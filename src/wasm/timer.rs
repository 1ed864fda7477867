//! Waiting: `sleep` over the runtime's global `setTimeout`, cut short by an
//! `AbortSignal`. Used to poll chains and verify endpoints with backoff.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use super::error::invalid_argument;
use super::request::until_aborted;

/// Resolves after `ms` milliseconds; rejects with the signal's reason if it aborts first.
pub(crate) async fn sleep(ms: u32, signal: Option<&web_sys::AbortSignal>) -> Result<(), JsValue> {
    let set_timeout: Function = super::global("setTimeout")
        .dyn_into()
        .map_err(|_| invalid_argument("this runtime has no setTimeout"))?;
    let timer = Promise::new(&mut |resolve, _reject| {
        let _ = set_timeout.call2(&JsValue::NULL, &resolve, &JsValue::from(ms));
    });
    match signal {
        Some(signal) => until_aborted(signal, timer).await.map(|_| ()),
        None => wasm_bindgen_futures::JsFuture::from(timer)
            .await
            .map(|_| ()),
    }
}

/// The current time in milliseconds (`Date.now()`).
pub(crate) fn now_millis() -> f64 {
    js_sys::Date::now()
}

/// A poll schedule: the delay before each next try, doubling from `first` up to
/// `max` milliseconds.
pub(crate) struct Backoff {
    next: u32,
    max: u32,
}

impl Backoff {
    pub(crate) fn new(first: u32, max: u32) -> Self {
        Backoff { next: first, max }
    }

    /// Sleeps for the current delay, then doubles it (up to the maximum).
    pub(crate) async fn wait(
        &mut self,
        signal: Option<&web_sys::AbortSignal>,
    ) -> Result<(), JsValue> {
        let delay = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        sleep(delay, signal).await
    }
}

/// Calls `step` with the milliseconds left until `deadline_ms` (at least 1), waiting
/// on `backoff` between calls, until it returns a value or an error. Stops with the
/// signal's reason once it aborts, and with `timeout()` once the deadline has passed.
pub(crate) async fn poll<T>(
    deadline_ms: f64,
    mut backoff: Backoff,
    signal: Option<&web_sys::AbortSignal>,
    mut step: impl AsyncFnMut(u32) -> Result<Option<T>, JsValue>,
    timeout: impl FnOnce() -> JsValue,
) -> Result<T, JsValue> {
    loop {
        if let Some(signal) = signal.filter(|s| s.aborted()) {
            return Err(signal.reason());
        }
        let left = (deadline_ms - now_millis()).clamp(1.0, f64::from(u32::MAX)) as u32;
        if let Some(done) = step(left).await? {
            return Ok(done);
        }
        if let Some(signal) = signal.filter(|s| s.aborted()) {
            return Err(signal.reason());
        }
        if now_millis() >= deadline_ms {
            return Err(timeout());
        }
        backoff.wait(signal).await?;
    }
}
