//! `wrapFetch`: a fetch that pays 402s. One request is paid at most once: the
//! policy and budget act before any wallet call, approval before signing, and a
//! 402 on the paid retry is returned, never paid again. This file recognises the
//! 402; pay.rs pays it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Object, Promise};
use serde::Deserialize;
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

use super::again::marked;
use super::caller::{Caller, Taken};
use super::convert::{MAX_ELEMENTS, is_array, items};
use super::convert::{callback, read, stray_function};
use super::convert::{js_to_json, view_to_js};
use super::error::{code_of, invalid_argument, is_x402_error, js, to_js};
use super::evm::now_seconds;
use super::facilitator_pay::Facilitator;
use super::guarded::{catching, guarded_promise_abandoning};
use super::headers::JsHeaders;
use super::hooks::Hooks;
use super::receipts::{one_ly_style, paid_already};
use super::request::{
    attempt, call_fetch, look_deadline, new_request, origin_of, plain_call, read_body, read_text,
};
use super::response::{cancel_body, headers_of, redirected, status_of};
use super::rpc::RPC_MS;
use super::spending::{Spending, register_spending, shared_spending};
use super::timer::{ledger_ms, ms_option};
use super::wallets::Wallet;
use crate::budget::{Ledger, ReservationId};
use crate::dialect::{Challenge, MAX_BODY_LEN, Requirement, Response402, recognize};
use crate::error::Error;
use crate::resend::SentPayments;
use crate::select::{Policy, PolicyConfig};

pub(super) struct Inner {
    pub(super) fetch: Function,
    /// `fetch` is the runtime's own (`globalThis.fetch`): it is called with
    /// `(input, init)`, so no Request is built that it would copy again.
    pub(super) native: bool,
    pub(super) wallets: Vec<Wallet>,
    pub(super) policy: Policy,
    /// What has been spent, possibly shared with other paying fetches (`shareBudgetWith`),
    /// each checking it against its own policy's limits.
    pub(super) ledger: Rc<RefCell<Ledger>>,
    pub(super) approve: Option<Function>,
    pub(super) on_event: Option<Function>,
    pub(super) select: Option<Function>,
    pub(super) rpc: Value,
    pub(super) facilitators: Vec<Facilitator>,
    /// How long a direct transfer's confirmation is awaited (`options.transactionTimeout`).
    pub(super) transaction_timeout_ms: u32,
    /// How long one JSON-RPC call before signing may take (`options.rpcTimeout`).
    pub(super) rpc_timeout_ms: u32,
    /// Payments made under callers' `paymentId`s, sent again for the same purchase;
    /// shared, as the ledger, with the paying fetches of `shareBudgetWith`.
    pub(super) sent: Rc<RefCell<SentPayments>>,
}

/// Wraps `fetch` so that x402 402 responses are paid by `options.wallets` under
/// `options.policy`, after `options.onPaymentRequired` approves (when given).
#[wasm_bindgen(js_name = wrapFetch)]
pub fn wrap_fetch(fetch: Function, options: JsValue) -> Result<Function, JsValue> {
    let inner = Rc::new(Inner::new(fetch, &options)?);
    let spending = Spending {
        ledger: Rc::downgrade(&inner.ledger),
        sent: Rc::downgrade(&inner.sent),
    };
    let closure =
        Closure::<dyn Fn(JsValue, JsValue, JsValue) -> Promise>::new(move |input, init, hooks| {
            let inner = Rc::clone(&inner);
            // Read now, as fetch reads its arguments: the caller may reuse or change its
            // init (or URL) as soon as the call returns.
            let taken = catching(|| Ok((inner.take(input, &init)?, Hooks::from_js(&hooks)?)));
            // The call's open budget reservation: kept as spent if JS throws part-way (the
            // payment may have gone out), not held open for ever.
            let pending: Rc<Cell<Option<ReservationId>>> = Rc::default();
            // And the paymentId it pays under, if it holds one: free for the next call.
            let held = taken.as_ref().ok().and_then(|(_, hooks)| {
                let id = hooks.payment_id.clone()?;
                Some((id, Rc::clone(&hooks.holding)))
            });
            let abandoned = {
                let (ledger, pending) = (Rc::clone(&inner.ledger), Rc::clone(&pending));
                let inner = Rc::clone(&inner);
                move || {
                    if let (Some(id), Ok(mut ledger)) = (pending.take(), ledger.try_borrow_mut()) {
                        ledger.commit(id, ledger_ms());
                    }
                    if let (Some((id, holding)), Ok(mut sent)) = (held, inner.sent.try_borrow_mut())
                        && holding.get()
                    {
                        sent.end(&id);
                    }
                }
            };
            guarded_promise_abandoning(
                async move {
                    let (taken, hooks) = taken?;
                    inner.fetch(taken, hooks, &pending).await
                },
                abandoned,
            )
        });
    let paying: Function = closure.into_js_value().unchecked_into();
    register_spending(&paying, spending);
    Ok(paying)
}

impl Inner {
    fn new(fetch: Function, options: &JsValue) -> Result<Self, JsValue> {
        let wallets = read(options, "wallets")?;
        if !is_array(&wallets)? {
            return Err(invalid_argument(
                "options.wallets must be an array of wallet adapters",
            ));
        }
        let wallets = items(&wallets, MAX_ELEMENTS)?
            .into_iter()
            .map(Wallet::new)
            .collect::<Result<_, JsValue>>()?;
        let policy_js = read(options, "policy")?;
        let select = callback(&policy_js, "select")?;
        let policy = if policy_js.is_undefined() || policy_js.is_null() {
            Policy::default_policy()
        } else {
            // Functions are not data: one other than `select` is a misspelt member, which
            // the conversion below would drop rather than refuse.
            if let Some(key) = stray_function(&policy_js, &["select"], "options.policy")? {
                return Err(to_js(&Error::InvalidPolicy {
                    reason: format!("unknown policy member {key} (a function; only select is one)"),
                }));
            }
            let config: PolicyConfig = PolicyConfig::deserialize(&js_to_json(&policy_js)?)
                .map_err(|e| {
                    to_js(&Error::InvalidPolicy {
                        reason: e.to_string(),
                    })
                })?;
            js(Policy::new(config))?
        };
        let (ledger, sent) = match shared_spending(options)? {
            Some((ledger, sent)) => {
                ledger.borrow_mut().keep_for(&policy.budget);
                (ledger, sent)
            }
            None => (
                Rc::new(RefCell::new(Ledger::new(policy.budget.clone()))),
                Rc::default(),
            ),
        };
        Ok(Inner {
            native: Object::is(&fetch, &super::global("fetch")),
            fetch,
            wallets,
            ledger,
            policy,
            approve: callback(options, "onPaymentRequired")?,
            on_event: callback(options, "onEvent")?,
            select,
            rpc: js_to_json(&read(options, "rpc")?)?,
            facilitators: Facilitator::list(&read(options, "facilitators")?)?,
            transaction_timeout_ms: ms_option(
                &read(options, "transactionTimeout")?,
                "transactionTimeout",
                TRANSACTION_TIMEOUT_MS,
            )?,
            rpc_timeout_ms: ms_option(&read(options, "rpcTimeout")?, "rpcTimeout", RPC_MS)?,
            sent,
        })
    }

    /// The `failed` event of a call that rejects with `error` (`spent` as the event
    /// says it), unless a refused approval already said so (`rejected`).
    pub(super) fn emit_failed(
        &self,
        hooks: &Hooks,
        requirement: Option<&Requirement>,
        error: &JsValue,
        spent: Value,
    ) {
        self.emit_failed_marked(hooks, requirement, error, spent, false);
    }

    /// [`Self::emit_failed`], with `sentAgain: true` for a payment sent again.
    pub(super) fn emit_failed_marked(
        &self,
        hooks: &Hooks,
        requirement: Option<&Requirement>,
        error: &JsValue,
        spent: Value,
        sent_again: bool,
    ) {
        // Only an X402Error's code is ours to report (its type is X402ErrorCode); a wallet's or
        // a runtime's own `code` stays on the error the call rejects with.
        let code = code_of(error).filter(|_| is_x402_error(error));
        if code.as_deref() == Some("PAYMENT_REJECTED") {
            return;
        }
        let message = read(error, "message").ok().and_then(|m| m.as_string());
        self.emit(hooks, "failed", requirement, || {
            let mut about = serde_json::Map::new();
            about.insert("spent".to_owned(), spent);
            about.extend(code.map(|c| ("error".to_owned(), Value::String(c))));
            about.extend(message.map(|m| ("message".to_owned(), Value::String(m))));
            marked(Value::Object(about), sent_again.then_some(None))
        });
    }

    pub(super) fn emit(
        &self,
        hooks: &Hooks,
        kind: &str,
        requirement: Option<&Requirement>,
        extra: impl FnOnce() -> Value,
    ) {
        let listeners: Vec<&Function> = self.on_event.iter().chain(hooks.on_event.iter()).collect();
        if listeners.is_empty() {
            return;
        }
        let mut event = serde_json::Map::new();
        event.insert("type".into(), json!(kind));
        if let Some(r) = requirement {
            event.insert("requirement".into(), json!(r));
        }
        if let Value::Object(more) = extra() {
            event.extend(more);
        }
        if let Ok(event) = view_to_js(&event) {
            // A listener's failure must not change the payment flow.
            for listener in listeners {
                let _ = listener.call1(&JsValue::NULL, &event);
            }
        }
    }

    /// The call's arguments, taken when it is made: a plain call to the runtime's
    /// fetch is copied (its Request is built only if something needs it), any other
    /// is built into a Request.
    fn take(&self, input: JsValue, init: &JsValue) -> Result<Taken, JsValue> {
        if self.native && plain_call(&input, init) {
            Ok(Taken::Plain(Caller::plain(input, init)?))
        } else {
            Ok(Taken::Built(new_request(&input, init)?))
        }
    }

    async fn fetch(
        &self,
        taken: Taken,
        hooks: Hooks,
        pending: &Cell<Option<ReservationId>>,
    ) -> Result<JsValue, JsValue> {
        let (request, first) = match taken {
            Taken::Plain(caller) => {
                let first = call_fetch(&self.fetch, true, &caller.first()).await?;
                if status_of(&first).inspect_err(|_| cancel_body(&first))? != 402 {
                    return Ok(first.into());
                }
                (caller, first)
            }
            Taken::Built(request) => {
                // Read once, up front (until an abort), as a Blob: sent twice, survives 307/308.
                let body = JsFuture::from(read_body(&request, &request.signal())).await?;
                let body = (!body.is_null()).then_some(body);
                let out = attempt(&request, body.as_ref(), None)?;
                let first = call_fetch(&self.fetch, self.native, &out).await?;
                if status_of(&first).inspect_err(|_| cancel_body(&first))? != 402 {
                    return Ok(first.into());
                }
                (Caller::built(request, body), first)
            }
        };
        let answer = self.answer_402(&request, &first, hooks, pending).await;
        // A 402 we return nothing for is dropped: its unread body would hold the connection
        // (Node's fetch keeps the socket of a body never read nor cancelled, past collection).
        if answer.is_err() {
            cancel_body(&first);
        }
        answer
    }

    /// The rest of [`Self::fetch`] once the first answer is a 402: `Ok` with `first`
    /// itself when it is not ours to pay, else the paid answer.
    async fn answer_402(
        &self,
        request: &Caller,
        first: &Response,
        hooks: Hooks,
        pending: &Cell<Option<ReservationId>>,
    ) -> Result<JsValue, JsValue> {
        // One request is paid at most once: not when it carries a payment already (the
        // caller's own), nor when the 402 is what a paying fetch inside this one returned
        // after paying (`wrapFetch(wrapFetch(fetch))`, a provider given a paying fetch,
        // another copy of the package), nor when it answers a payment (PAYMENT-RESPONSE).
        if request.carries_payment()? || paid_already(first)? {
            return Ok(first.into());
        }
        // The v2 header is authoritative: the body is read (from a clone) only without it
        // (an empty one is none, as the official client reads it).
        let signal = request.signal();
        let header = headers_of(first)?.get("payment-required")?;
        let text = if header.is_some_and(|value| !value.trim().is_empty()) {
            String::new()
        } else {
            // A body too large is not read further (X-402-* headers may still be read); one
            // that does not end in time, or fails, is the caller's (an abort rejects).
            match read_text(
                &first.clone()?,
                MAX_BODY_LEN,
                look_deadline(),
                signal.as_ref(),
            )
            .await
            {
                Ok(text) => text.unwrap_or_default(),
                Err(_) => return request.check_aborted().map(|()| first.into()),
            }
        };
        let headers = JsHeaders::new(headers_of(first)?.into());
        let response = Response402::new(402, &headers, text.as_bytes())
            .with_assets(&self.policy)
            .received_at(i64::try_from(now_seconds()).unwrap_or(i64::MAX));
        let challenge = match recognize(&response) {
            Ok(challenge) => challenge,
            // A 402 in no dialect we speak is the caller's to handle, untouched; so is one
            // whose body grew past the limit as text (each byte that is not UTF-8 becomes
            // three): the bytes read were within it.
            Err(Error::Unrecognized402 { .. } | Error::BodyTooLarge { .. }) => {
                return Ok(first.into());
            }
            Err(error) => return Err(self.refused_before(&hooks, &error)),
        };
        if redirected(first)? {
            let method = request.request()?.method();
            if method != "GET" && method != "HEAD" {
                // fetch may have turned it into a GET (301/302/303) or kept it (307/308);
                // we cannot tell which request the server priced, so we pay for neither.
                return Err(self.refused_before(&hooks, &Error::UnsafeRedirect { method }));
            }
        }
        // Finish the unread 402 body (frees the connection), noting whether it is 1ly's.
        let one_ly = text.is_empty() && one_ly_style(first, signal.as_ref()).await;
        request.check_aborted()?;
        let origin = origin_of(&request.url_of(first)?);
        let call = Call {
            hooks: &hooks,
            request,
            first,
            challenge: &challenge,
            origin: &origin,
            one_ly,
            pending,
        };
        self.pay(&call).await
    }
}

impl Inner {
    /// A 402 refused before any requirement was chosen (malformed, unsafe): the call
    /// rejects with `error`, and its listeners hear a `failed` event saying so.
    fn refused_before(&self, hooks: &Hooks, error: &Error) -> JsValue {
        let error = to_js(error);
        self.emit_failed(hooks, None, &error, serde_json::json!(false));
        error
    }
}

/// The default of `options.transactionTimeout`: two minutes, in milliseconds.
const TRANSACTION_TIMEOUT_MS: u32 = 120_000;

/// One paying call: its hooks, the caller's request, the 402 and what it asks.
#[derive(Clone, Copy)]
pub(super) struct Call<'a> {
    pub(super) hooks: &'a Hooks,
    pub(super) request: &'a Caller,
    pub(super) first: &'a Response,
    pub(super) challenge: &'a Challenge,
    pub(super) origin: &'a str,
    /// Whether the paid response may carry 1ly's `_1ly` metadata (see `one_ly_style`).
    pub(super) one_ly: bool,
    /// The budget reservation open while the payment is made (see `wrap_fetch`).
    pub(super) pending: &'a Cell<Option<ReservationId>>,
}

/// Whether money may have moved when a payment attempt failed.
pub(super) enum Settled {
    /// Nothing was sent: the reservation is released.
    No(JsValue),
    /// The paid request went out: the reservation is kept.
    Unknown(JsValue),
}
