//! Async exports and calls on a caller's values that must not throw through wasm:
//! what JS throws meanwhile (a Proxy trap, a non-catching import, a trap) is caught
//! and becomes a rejection or an error.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

use super::error::{caused, invalid_argument, is_x402_error};

#[wasm_bindgen]
extern "C" {
    /// `Reflect.apply(f, this, args)` on a Rust closure: what its call throws (a JS
    /// exception, or a trap such as a panic) is caught here.
    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = apply)]
    fn call_catching(f: &mut dyn FnMut(), this: &JsValue, args: &Array)
    -> Result<JsValue, JsValue>;
}

/// The promise of an async export. Inputs are read with catching imports, but should a
/// poll still throw (a non-catching import, a panic or an allocation failure: wasm
/// traps are JS exceptions too), the exception would escape from the microtask that
/// polled, leave the promise pending for ever, and end a Node process. Each poll runs
/// inside [`call_catching`] instead, and the promise is rejected with INVALID_ARGUMENT
/// (the exception as `cause`; an X402Error is kept as it is).
pub(crate) fn guarded_promise<F>(future: F) -> Promise
where
    F: Future<Output = Result<JsValue, JsValue>> + 'static,
{
    wasm_bindgen_futures::future_to_promise(Guarded(Some(Box::pin(future)), None))
}

/// [`guarded_promise`], calling `abandoned` when JS throws part-way through a poll:
/// the future is then never polled again, so what it holds open (a budget
/// reservation) is closed there.
pub(crate) fn guarded_promise_abandoning<F>(
    future: F,
    abandoned: impl FnOnce() + 'static,
) -> Promise
where
    F: Future<Output = Result<JsValue, JsValue>> + 'static,
{
    wasm_bindgen_futures::future_to_promise(Guarded(
        Some(Box::pin(future)),
        Some(Box::new(abandoned)),
    ))
}

/// Runs `f`, catching what JS throws meanwhile (a caller's Proxy trap, a revoked
/// Proxy): a paying fetch must reject, never throw, whatever it is given.
pub(crate) fn catching<T>(f: impl FnOnce() -> Result<T, JsValue>) -> Result<T, JsValue> {
    let mut f = Some(f);
    let mut outcome = None;
    let caught = call_catching(
        &mut || outcome = f.take().map(|f| f()),
        &JsValue::UNDEFINED,
        &Array::new(),
    );
    match (caught, outcome) {
        (Ok(_), Some(result)) => result,
        (caught, _) => Err(thrown(caught.err().unwrap_or(JsValue::UNDEFINED))),
    }
}

/// What a caller's value threw, as the paying fetch rejects with it: an X402Error as
/// it is, anything else as INVALID_ARGUMENT with the exception as `cause`.
fn thrown(exception: JsValue) -> JsValue {
    if is_x402_error(&exception) {
        exception
    } else {
        caused("the call failed on its input", exception)
    }
}

struct Guarded<F>(Option<Pin<Box<F>>>, Option<Box<dyn FnOnce()>>);

impl<F: Future<Output = Result<JsValue, JsValue>>> Future for Guarded<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(inner) = self.0.as_mut() else {
            return Poll::Ready(Err(invalid_argument("polled after completion")));
        };
        let mut outcome = None;
        let caught = call_catching(
            &mut || outcome = Some(inner.as_mut().poll(cx)),
            &JsValue::UNDEFINED,
            &Array::new(),
        );
        match (caught, outcome) {
            (Ok(_), Some(Poll::Pending)) => Poll::Pending,
            (Ok(_), Some(Poll::Ready(result))) => {
                self.0 = None;
                Poll::Ready(result)
            }
            (caught, _) => {
                // The poll stopped part-way: the future's state is unknown, so it is
                // neither polled nor dropped again (dropping could free twice).
                if let Some(inner) = self.0.take() {
                    std::mem::forget(inner);
                }
                if let Some(abandoned) = self.1.take() {
                    abandoned();
                }
                Poll::Ready(Err(thrown(caught.err().unwrap_or(JsValue::UNDEFINED))))
            }
        }
    }
}
