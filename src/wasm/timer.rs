//! Waiting: `sleep` and `within` over the runtime's global `setTimeout`, cut short
//! by an `AbortSignal`. Used to poll chains and verify endpoints with backoff, and to
//! bound a request or a wallet call.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::error::invalid_argument;
use super::request::until_aborted;

/// Resolves after `ms` milliseconds; rejects with the signal's reason if it aborts first
/// (the timer is cleared then: it would keep a process alive to its end).
pub(crate) async fn sleep(ms: u32, signal: Option<&web_sys::AbortSignal>) -> Result<(), JsValue> {
    let (set_timeout, clear_timeout) = timers()?;
    let mut timer = JsValue::UNDEFINED;
    let slept = Promise::new(&mut |resolve, _reject| {
        timer = set_timeout
            .call2(&JsValue::NULL, &resolve, &JsValue::from(ms))
            .unwrap_or(JsValue::UNDEFINED);
    });
    let outcome = until_aborted(signal, slept).await;
    if outcome.is_err() {
        let _ = clear_timeout.call1(&JsValue::NULL, &timer);
    }
    outcome.map(|_| ())
}

/// The runtime's `setTimeout` and `clearTimeout`.
fn timers() -> Result<(Function, Function), JsValue> {
    Ok((
        super::global("setTimeout")
            .dyn_into()
            .map_err(|_| invalid_argument("this runtime has no setTimeout"))?,
        super::global("clearTimeout")
            .dyn_into()
            .map_err(|_| invalid_argument("this runtime has no clearTimeout"))?,
    ))
}

/// The current time in milliseconds (`Date.now()`).
pub(crate) fn now_millis() -> f64 {
    js_sys::Date::now()
}

/// The budget's clock, in milliseconds: `performance.timeOrigin + performance.now()`,
/// which never steps (an NTP correction, a user changing the time or a VM resumed
/// setting the wall clock does not move it), where the runtime has it (Node, browsers;
/// in workerd it is `Date.now()`, which only moves on I/O there); else `Date.now()`.
/// Near the wall clock, so a window's `retryAfterMs` is real time; a machine asleep
/// may not count as time passing.
pub(crate) fn ledger_ms() -> u64 {
    // A whole or fractional, positive number of milliseconds below 2^53.
    CLOCK.with(Clock::now) as u64
}

thread_local! {
    /// Read once: the hot path calls the function, without looking it up again.
    static CLOCK: Clock = Clock::read();
}

/// Where [`ledger_ms`] reads the time.
enum Clock {
    /// `performance`, its `now` and its `timeOrigin`.
    Performance(JsValue, Function, f64),
    /// `Date.now()`.
    Date,
}

impl Clock {
    fn read() -> Self {
        let performance = super::global("performance");
        let now = super::request::get(&performance, "now").dyn_into::<Function>();
        let origin = super::request::get(&performance, "timeOrigin")
            .as_f64()
            .filter(|origin| origin.is_finite() && *origin >= 0.0);
        match (now, origin) {
            (Ok(now), Some(origin)) => Clock::Performance(performance, now, origin),
            _ => Clock::Date,
        }
    }

    fn now(&self) -> f64 {
        match self {
            Clock::Performance(performance, now, origin) => now
                .call0(performance)
                .ok()
                .and_then(|ms| ms.as_f64())
                .filter(|ms| ms.is_finite() && *ms >= 0.0)
                .map_or_else(js_sys::Date::now, |ms| origin + ms),
            Clock::Date => js_sys::Date::now(),
        }
    }
}

/// The whole milliseconds left until `deadline_ms` (Unix milliseconds), at least 1:
/// what a bounded wait is given.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub(crate) fn ms_left(deadline_ms: f64) -> u32 {
    (deadline_ms - now_millis()).clamp(1.0, f64::from(u32::MAX)) as u32
}

pub(crate) const TIMED_OUT: &str = "x402-wasm: timed out";

/// A timeout option (`options.<name>`): a whole number of milliseconds, 1 to 600000;
/// `default` when it is absent.
pub(crate) fn ms_option(value: &JsValue, name: &str, default: u32) -> Result<u32, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(default);
    }
    value
        .as_f64()
        .filter(|ms| ms.fract() == 0.0 && (1.0..=600_000.0).contains(ms))
        .map(|ms| ms as u32)
        .ok_or_else(|| {
            invalid_argument(&format!(
                "options.{name} must be a whole number of milliseconds, 1 to 600000"
            ))
        })
}

/// Awaits `promise` for at most `ms` milliseconds (then rejects with [`TIMED_OUT`]), or
/// until `signal` aborts (then with its reason). The timer is cleared either way, so
/// it never keeps a process alive.
pub(crate) async fn within(
    promise: Promise,
    ms: u32,
    signal: Option<&AbortSignal>,
) -> Result<JsValue, JsValue> {
    let (set_timeout, clear_timeout) = timers()?;
    let mut timer = JsValue::UNDEFINED;
    let timeout = Promise::new(&mut |_resolve, reject| {
        timer = set_timeout
            .call3(
                &JsValue::NULL,
                &reject,
                &JsValue::from(ms),
                &JsValue::from_str(TIMED_OUT),
            )
            .unwrap_or(JsValue::UNDEFINED);
    });
    let race = Promise::race(&js_sys::Array::of2(&promise, &timeout));
    let outcome = until_aborted(signal, race).await;
    let _ = clear_timeout.call1(&JsValue::NULL, &timer);
    outcome
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
        if let Some(done) = step(ms_left(deadline_ms)).await? {
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

/// The signal for a request made on behalf of a caller whose signal is `caller`: it
/// aborts when `own` does (the wait for the request was given up) or when the
/// caller's does, so an abandoned request does not hold its connection. Without
/// `AbortSignal.any` in the runtime, the caller's signal (or `own`'s when there is none).
pub(crate) fn request_signal(
    own: &web_sys::AbortController,
    caller: Option<&web_sys::AbortSignal>,
) -> web_sys::AbortSignal {
    let Some(caller) = caller else {
        return own.signal();
    };
    let any = js_sys::Reflect::get(&super::global("AbortSignal"), &"any".into())
        .ok()
        .and_then(|any| any.dyn_into::<js_sys::Function>().ok());
    let both = js_sys::Array::of2(caller, &own.signal());
    any.and_then(|any| any.call1(&super::global("AbortSignal"), &both).ok())
        .and_then(|signal| signal.dyn_into::<web_sys::AbortSignal>().ok())
        .unwrap_or_else(|| caller.clone())
}
