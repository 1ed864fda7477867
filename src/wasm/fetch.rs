//! `wrapFetch`: a fetch that pays 402s. One request is paid at most once: the
//! policy and budget act before any wallet call, approval before signing, and a
//! 402 on the paid retry is returned, never paid again.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Object, Promise};
use serde::Deserialize;
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, Response};

use super::convert::{MAX_ELEMENTS, guarded_promise, is_array, items, js_to_json, json_to_js};
use super::convert::{method, read};
use super::error::{invalid_argument, js, to_js};
use super::evm::{SignInputs, now_seconds, random_memo, random_nonce, sign_for};
use super::facilitator_pay::Facilitator;
use super::headers::JsHeaders;
use super::receipts::{Receipt, one_ly_metadata, one_ly_style, read_receipt, remember_receipt};
use super::request::{
    Hooks, Outgoing, attempt, body_error, call_fetch, check_aborted, function, get, new_request,
    origin_of, response_url, until_aborted,
};
use crate::budget::Ledger;
use crate::dialect::{
    Challenge, FACILITATOR_SCHEME, Requirement, Response402, TRANSFER_SCHEME, recognize,
};
use crate::error::Error;
use crate::evm::exact::PaymentParams;
use crate::select::{Candidate, Policy, PolicyConfig};

pub(super) struct Wallet {
    kind: String,
    pub(super) adapter: JsValue,
}

pub(super) struct Inner {
    pub(super) fetch: Function,
    /// `fetch` is the runtime's own (`globalThis.fetch`): it is called with
    /// `(input, init)`, so no Request is built that it would copy again.
    pub(super) native: bool,
    wallets: Vec<Wallet>,
    policy: Policy,
    ledger: RefCell<Ledger>,
    approve: Option<Function>,
    on_event: Option<Function>,
    select: Option<Function>,
    pub(super) rpc: Value,
    pub(super) facilitators: Vec<Facilitator>,
    /// How long a direct transfer's confirmation is awaited (`options.transactionTimeout`).
    pub(super) transaction_timeout_ms: u32,
}

/// Wraps `fetch` so that x402 402 responses are paid by `options.wallets` under
/// `options.policy`, after `options.onPaymentRequired` approves (when given).
#[wasm_bindgen(js_name = wrapFetch)]
pub fn wrap_fetch(fetch: Function, options: JsValue) -> Result<Function, JsValue> {
    let inner = Rc::new(Inner::new(fetch, &options)?);
    let closure =
        Closure::<dyn Fn(JsValue, JsValue, JsValue) -> Promise>::new(move |input, init, hooks| {
            let inner = Rc::clone(&inner);
            guarded_promise(async move { inner.fetch(input, init, Hooks::from_js(&hooks)?).await })
        });
    Ok(closure.into_js_value().unchecked_into())
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
            .map(|adapter| {
                let evm = function(&adapter, "signTypedData").is_some();
                let kind = get(&adapter, "kind")
                    .as_string()
                    .unwrap_or_else(|| if evm { "evm" } else { "solana" }.into());
                Wallet { kind, adapter }
            })
            .collect();
        let policy_js = read(options, "policy")?;
        let select = method(&policy_js, "select")?;
        let policy = if policy_js.is_undefined() || policy_js.is_null() {
            Policy::default_policy()
        } else {
            let config: PolicyConfig = PolicyConfig::deserialize(&js_to_json(&policy_js)?)
                .map_err(|e| {
                    to_js(&Error::InvalidPolicy {
                        reason: e.to_string(),
                    })
                })?;
            js(Policy::new(config))?
        };
        Ok(Inner {
            native: Object::is(&fetch, &super::global("fetch")),
            fetch,
            wallets,
            ledger: RefCell::new(Ledger::new(policy.budget.clone())),
            policy,
            approve: method(options, "onPaymentRequired")?,
            on_event: method(options, "onEvent")?,
            select,
            rpc: js_to_json(&read(options, "rpc")?)?,
            facilitators: Facilitator::list(&read(options, "facilitators")?)?,
            transaction_timeout_ms: timeout_ms(&read(options, "transactionTimeout")?)?,
        })
    }

    pub(super) fn wallet_for(&self, requirement: &Requirement) -> Option<&Wallet> {
        let kind = match requirement.network.namespace() {
            "eip155" => "evm",
            "solana" => "solana",
            _ => return None,
        };
        let scheme = requirement.scheme.as_str();
        ["exact", TRANSFER_SCHEME, FACILITATOR_SCHEME]
            .contains(&scheme)
            .then_some(())?;
        self.wallets.iter().find(|w| w.kind == kind)
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
        if let Ok(event) = json_to_js(&event) {
            // A listener's failure must not change the payment flow.
            for listener in listeners {
                let _ = listener.call1(&JsValue::NULL, &event);
            }
        }
    }

    async fn fetch(&self, input: JsValue, init: JsValue, hooks: Hooks) -> Result<JsValue, JsValue> {
        let (request, body, first) = if self.native && plain_call(&input, &init) {
            // Sent as the caller gave it; the Request is built only if a 402 needs it.
            let out = Outgoing::new(input.clone(), init.clone());
            let first = call_fetch(&self.fetch, true, &out).await?;
            if first.status() != 402 {
                return Ok(first.into());
            }
            (new_request(&input, &init)?, None, first)
        } else {
            let request = new_request(&input, &init)?;
            // Read once, up front, as a Blob: it can be sent twice and survives 307/308.
            let body = match request.body() {
                Some(_) => Some(JsFuture::from(request.blob()?).await?),
                None => None,
            };
            let out = attempt(&request, body.as_ref(), None)?;
            let first = call_fetch(&self.fetch, self.native, &out).await?;
            if first.status() != 402 {
                return Ok(first.into());
            }
            (request, body, first)
        };
        let method = request.method();
        if first.redirected() && method != "GET" && method != "HEAD" {
            // fetch may have turned it into a GET (301/302/303) or kept it (307/308);
            // we cannot tell which request the server priced, so we pay for neither.
            return Err(to_js(&Error::UnsafeRedirect { method }));
        }
        // The v2 header is authoritative: the body is read (from a clone) only without it.
        let text = if first.headers().has("payment-required")? {
            String::new()
        } else {
            JsFuture::from(first.clone()?.text()?)
                .await?
                .as_string()
                .unwrap_or_default()
        };
        let headers = JsHeaders::new(first.headers().into());
        let response = Response402::new(402, &headers, text.as_bytes()).with_assets(&self.policy);
        let challenge = match recognize(&response) {
            Ok(challenge) => challenge,
            // A 402 in no dialect we speak is the caller's to handle, untouched.
            Err(Error::Unrecognized402 { .. }) => return Ok(first.into()),
            Err(error) => return Err(to_js(&error)),
        };
        // Finish the unread 402 body (frees the connection), noting whether it is 1ly's.
        let one_ly = text.is_empty() && one_ly_style(&first).await;
        let origin = origin_of(&response_url(&first, &request));
        let call = Call {
            hooks: &hooks,
            request: &request,
            body: body.as_ref(),
            first: &first,
            challenge: &challenge,
            origin: &origin,
            one_ly,
        };
        self.pay(&call).await
    }

    async fn pay(&self, call: &Call<'_>) -> Result<JsValue, JsValue> {
        let Call {
            hooks,
            challenge,
            origin,
            ..
        } = *call;
        self.emit(
            hooks,
            "payment_required",
            None,
            || json!({ "origin": origin }),
        );
        let refused = |error: Error| {
            self.emit(
                hooks,
                "failed",
                None,
                || json!({ "error": error.code(), "message": error.to_string() }),
            );
            to_js(&error)
        };
        let candidates = self
            .policy
            .candidates(&challenge.requirements, |r| self.wallet_for(r).is_some())
            .map_err(refused)?;
        let chosen = self.choose(candidates).await?;
        let requirement = chosen.requirement;
        self.precheck(challenge, requirement).map_err(refused)?;
        let now = now_seconds();
        let reservation = self
            .ledger
            .borrow_mut()
            .reserve(origin, chosen.valuation.usd_micros, now)
            .map_err(refused)?;
        let outcome = self.approve_sign_and_retry(call, &chosen, now).await;
        let release = match &outcome {
            // A seed dialect's transfer moved the money before the server answered.
            Ok(_) if !challenge.dialect.is_x402() => false,
            Ok((_, Some(receipt))) => !receipt.success,
            Ok((response, None)) => (400..500).contains(&response.status()), // refused: nothing settled
            Err(settled) => matches!(settled, Settled::No(_)),
        };
        if release {
            self.ledger.borrow_mut().release(reservation);
        } else {
            self.ledger.borrow_mut().commit(reservation);
        }
        match outcome {
            Ok((response, receipt)) => {
                let mut receipt = match receipt {
                    Some(receipt) => receipt,
                    None => Receipt::missing(requirement, &response, body_error(&response).await),
                };
                if call.one_ly {
                    receipt.one_ly = one_ly_metadata(&response).await;
                }
                let kind = if receipt.success { "settled" } else { "failed" };
                self.emit(
                    hooks,
                    kind,
                    Some(requirement),
                    || json!({ "receipt": receipt, "status": response.status() }),
                );
                remember_receipt(&response, &receipt);
                Ok(response.into())
            }
            Err(Settled::No(error) | Settled::Unknown(error)) => Err(error),
        }
    }

    async fn choose<'a>(&self, candidates: Vec<Candidate<'a>>) -> Result<Candidate<'a>, JsValue> {
        let Some(select) = &self.select else {
            return candidates
                .into_iter()
                .next()
                .ok_or_else(|| to_js(&Error::NoMatchingRequirement));
        };
        let views = json_to_js(&candidates.iter().map(|c| c.requirement).collect::<Vec<_>>())?;
        let picked =
            JsFuture::from(Promise::resolve(&select.call1(&JsValue::NULL, &views)?)).await?;
        if picked.is_undefined() || picked.is_null() {
            return candidates
                .into_iter()
                .next()
                .ok_or_else(|| to_js(&Error::NoMatchingRequirement));
        }
        let picked = js_to_json(&picked)?;
        let index = picked
            .as_u64()
            .or_else(|| picked.get("index").and_then(Value::as_u64));
        candidates
            .into_iter()
            .find(|c| Some(c.requirement.index as u64) == index)
            .ok_or_else(|| {
                invalid_argument("policy.select must return one of the requirements it was given")
            })
    }

    async fn approve_sign_and_retry(
        &self,
        call: &Call<'_>,
        chosen: &Candidate<'_>,
        now: u64,
    ) -> Result<(Response, Option<Receipt>), Settled> {
        let Call {
            hooks,
            request,
            body,
            first,
            challenge,
            origin,
            ..
        } = *call;
        let requirement = chosen.requirement;
        let no = Settled::No;
        if let Some(approve) = hooks.approve.as_ref().or(self.approve.as_ref()) {
            let question = json_to_js(&json!({
                "requirement": requirement,
                "resource": challenge.resource.as_ref().map(|r| r.url.clone()).or_else(|| requirement.resource.as_ref().map(|r| r.url.clone())),
                "amountFormatted": chosen.valuation.formatted(),
                "origin": origin,
            }))
            .map_err(no)?;
            let answer = approve.call1(&JsValue::NULL, &question).map_err(no)?;
            let signal = request.signal();
            let answer = until_aborted(&signal, Promise::resolve(&answer))
                .await
                .map_err(no)?;
            if answer.as_bool() != Some(true) {
                self.emit(hooks, "rejected", Some(requirement), || json!({}));
                return Err(no(to_js(&Error::PaymentRejected)));
            }
            self.emit(hooks, "approved", Some(requirement), || json!({}));
        } else {
            self.emit(
                hooks,
                "approved",
                Some(requirement),
                || json!({ "automatic": true }),
            );
        }
        check_aborted(request).map_err(no)?;
        let wallet = self
            .wallet_for(requirement)
            .ok_or_else(|| no(to_js(&Error::NoMatchingRequirement)))?;
        if !challenge.dialect.is_x402() {
            return self.pay_direct(call, requirement, &wallet.adapter).await;
        }
        let inputs = SignInputs {
            params: PaymentParams {
                now,
                // Each scheme draws only the randomness it uses.
                nonce: match requirement.network.is_evm() {
                    true => random_nonce().map_err(no)?,
                    false => [0; 32],
                },
                valid_after: None,
            },
            memo: match requirement.network.is_solana() {
                true => random_memo().map_err(no)?,
                false => [0; 16],
            },
            rpc: self.rpc.clone(),
        };
        let payment = sign_for(
            challenge,
            requirement,
            &wallet.adapter,
            &inputs,
            Some(&request.signal()),
        )
        .await
        .map_err(no)?;
        self.emit(hooks, "signed", Some(requirement), || json!({}));
        check_aborted(request).map_err(no)?;
        let header =
            crate::client::payment_header(challenge, &payment).map_err(|e| no(to_js(&e)))?;
        let url = response_url(first, request);
        let retry = attempt(request, body, Some((&url, &[header]))).map_err(no)?;
        // From here the server may have settled even if we see an error.
        let response = call_fetch(&self.fetch, self.native, &retry)
            .await
            .map_err(Settled::Unknown)?;
        let receipt = read_receipt(&response, challenge.dialect);
        Ok((response, receipt))
    }
}

/// The default of `options.transactionTimeout`: two minutes, in milliseconds.
const TRANSACTION_TIMEOUT_MS: u32 = 120_000;

/// `options.transactionTimeout`: whole milliseconds, from 1 to 10 minutes.
fn timeout_ms(value: &JsValue) -> Result<u32, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(TRANSACTION_TIMEOUT_MS);
    }
    value
        .as_f64()
        .filter(|ms| ms.fract() == 0.0 && (1.0..=600_000.0).contains(ms))
        .map(|ms| ms as u32)
        .ok_or_else(|| {
            invalid_argument(
                "options.transactionTimeout must be a whole number of milliseconds, 1 to 600000",
            )
        })
}

/// Whether `fetch(input, init)` can go to the runtime's fetch as it is, the Request
/// being built from the same `(input, init)` only after a 402: `input` is a string
/// or a URL, and `init` is absent or a plain object with no body whose headers (if
/// any) read the same twice: a `Headers`, an array or a plain record. Anything else
/// (a Request, a body, an iterator of headers that the first read would use up, a
/// class instance whose getters might answer differently) builds the Request first.
fn plain_call(input: &JsValue, init: &JsValue) -> bool {
    let url = input.is_string() || input.is_instance_of::<web_sys::Url>();
    if !url {
        return false;
    }
    if init.is_undefined() || init.is_null() {
        return true;
    }
    let member = |key: &str| js_sys::Reflect::get(init, &JsValue::from_str(key)).ok();
    let headers_ok = |headers: &JsValue| {
        headers.is_undefined()
            || headers.is_null()
            || js_sys::Array::is_array(headers)
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

/// One paying call: its hooks, the request (body read once), the 402 and what it asks.
#[derive(Clone, Copy)]
pub(super) struct Call<'a> {
    pub(super) hooks: &'a Hooks,
    pub(super) request: &'a Request,
    pub(super) body: Option<&'a JsValue>,
    pub(super) first: &'a Response,
    pub(super) challenge: &'a Challenge,
    pub(super) origin: &'a str,
    /// Whether the paid response may carry 1ly's `_1ly` metadata (see `one_ly_style`).
    pub(super) one_ly: bool,
}

/// Whether money may have moved when a payment attempt failed.
pub(super) enum Settled {
    /// Nothing was sent: the reservation is released.
    No(JsValue),
    /// The paid request went out: the reservation is kept.
    Unknown(JsValue),
}
