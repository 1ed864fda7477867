//! Paying one recognised 402: policy and budget, the user's approval, signing (or a
//! direct transfer for the seed dialects) and the one paid retry, with its receipt.

use js_sys::Promise;
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;
use web_sys::Response;

use super::again::{Paying, marked, purchase_of};
use super::convert::{js_to_json, view_to_js};
use super::error::{invalid_argument, to_js};
use super::evm::{SignInputs, now_seconds, random_memo, random_nonce, sign_for};
use super::fetch::{Call, Inner, Settled};
use super::receipts::{Receipt, paid_receipt, read_receipt, remember_receipt};
use super::request::{call_fetch, until_aborted};
use super::response::{cancel_body, status_or_zero};
use super::timer::ledger_ms;
use crate::client::exact_terms_problem;
use crate::dialect::Requirement;
use crate::error::Error;
use crate::evm::exact::PaymentParams;
use crate::select::Candidate;

impl Inner {
    pub(super) async fn pay(&self, call: &Call<'_>) -> Result<JsValue, JsValue> {
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
            || json!({ "origin": origin, "requirements": challenge.requirements }),
        );
        let refused = |error: Error| {
            let error = to_js(&error);
            self.emit_failed(hooks, None, &error, json!(false));
            error
        };
        // Terms no wallet can pay (no fee payer, no EIP-712 domain...) are left out
        // before anyone is asked, as requirements no wallet can sign are.
        let now = now_seconds();
        let signable = |r: &Requirement| self.wallet_for(r).is_some();
        let candidates = self
            .policy
            .candidates(&challenge.requirements, |r| {
                signable(r) && exact_terms_problem(r, now).is_none()
            })
            .or_else(|error| {
                // No wallet can make any payment offered. When the terms are why, or a
                // wallet of the right chain lacks the method, say so (after the policy's
                // own refusals).
                if !matches!(error, Error::NoMatchingRequirement) {
                    return Err(error);
                }
                let requirements = challenge.requirements.iter();
                let problem = requirements
                    .filter(|r| signable(r))
                    .find_map(|r| exact_terms_problem(r, now));
                if let Some(problem) = problem {
                    return Err(problem);
                }
                let lacking = |r: &_| self.missing_method(r).is_some();
                let first = self.policy.candidates(&challenge.requirements, lacking)?;
                let method = first
                    .first()
                    .and_then(|c| self.missing_method(c.requirement))
                    .unwrap_or("a method");
                Err(Error::WalletUnsupported {
                    reason: format!(
                        "no wallet of this chain has {method}, which this payment needs"
                    ),
                })
            })
            .map_err(refused)?;
        // A select that fails, or picks what it was not given, ends the call as a refusal does.
        let chosen = match self.choose(candidates, call).await {
            Ok(chosen) => chosen,
            Err(error) => {
                self.emit_failed(hooks, None, &error, json!(false));
                return Err(error);
            }
        };
        let requirement = chosen.requirement;
        self.precheck(challenge, requirement).map_err(refused)?;
        // One call at a time pays under an id: two would both be asked (and signed, and
        // counted), and a deduplicating server would take one and refuse the other.
        let _paying = match hooks.payment_id.as_deref() {
            Some(id) => Some(
                Paying::start(&self.sent, id, &hooks.holding)
                    .ok_or_else(|| refused(Error::PaymentInProgress))?,
            ),
            None => None,
        };
        // The same purchase under the caller's paymentId, paid by this fetch before: its
        // payment is sent again (it cannot be charged twice), not signed or counted again.
        let again = hooks.payment_id.as_deref().and_then(|id| {
            let raw = requirement.raw.to_string();
            let purchase = purchase_of(call)?;
            self.sent.borrow().find(id, &purchase, &raw, now_seconds())
        });
        let sent_again = again.is_some();
        let outcome = match again {
            Some((header, payer)) => self.send_again(call, &chosen, header, payer).await,
            None => self.pay_once(call, &chosen).await.map_err(refused)?,
        };
        match outcome {
            Ok((response, receipt)) => {
                // A payment the server refused is not sent again: the next call makes a new one.
                if let Some(id) = hooks.payment_id.as_deref()
                    && status_or_zero(&response) == 402
                {
                    self.sent.borrow_mut().forget(id);
                }
                // An abort while its body is read stops that, and rejects the call below
                // (once the settlement is told).
                let signal = call.request.signal();
                let receipt = paid_receipt(
                    receipt,
                    requirement,
                    &response,
                    call.one_ly,
                    signal.as_ref(),
                )
                .await;
                let kind = if receipt.success { "settled" } else { "failed" };
                self.emit(hooks, kind, Some(requirement), || {
                    let about = json!({ "receipt": receipt, "status": status_or_zero(&response) });
                    marked(about, sent_again.then_some(None))
                });
                remember_receipt(&response, &receipt);
                if let Err(reason) = call.request.check_aborted() {
                    cancel_body(&response);
                    return Err(reason);
                }
                Ok(response.into())
            }
            Err(settled) => {
                // `spent`: false when nothing left the client; "unknown" when a payment went
                // out (it may settle: the budget keeps it).
                let (error, spent) = match settled {
                    Settled::No(error) => (error, json!(false)),
                    Settled::Unknown(error) => (error, json!("unknown")),
                };
                self.emit_failed_marked(hooks, Some(requirement), &error, spent, sent_again);
                Err(error)
            }
        }
    }

    /// Reserves the budget, asks, signs and sends the paid request; the reservation is
    /// kept once a payment left the client. `Err` is a budget refusal.
    async fn pay_once(
        &self,
        call: &Call<'_>,
        chosen: &Candidate<'_>,
    ) -> Result<Result<(Response, Option<Receipt>), Settled>, Error> {
        // The ledger is let go before the refusal is announced: a listener may make or
        // call a paying fetch that shares it.
        let reserved = self.ledger.borrow_mut().reserve_under(
            &self.policy.budget,
            call.origin,
            chosen.valuation.usd_micros,
            ledger_ms(),
        );
        let reservation = reserved?;
        call.pending.set(Some(reservation));
        let outcome = self.approve_sign_and_retry(call, chosen).await;
        call.pending.set(None);
        // Released only when nothing that can move money left the client. Once the signed
        // payment is sent, the server holds an authorization it can settle until it expires,
        // whatever it answers (a seed dialect's transfer has moved the money already).
        if matches!(outcome, Err(Settled::No(_))) {
            self.ledger.borrow_mut().release(reservation);
        } else {
            self.ledger.borrow_mut().commit(reservation, ledger_ms());
        }
        Ok(outcome)
    }

    /// The candidate `policy.select` picks (the first without it). A select that is still
    /// pending when the call's signal aborts rejects the call with its reason.
    async fn choose<'a>(
        &self,
        candidates: Vec<Candidate<'a>>,
        call: &Call<'_>,
    ) -> Result<Candidate<'a>, JsValue> {
        let Some(select) = &self.select else {
            return candidates
                .into_iter()
                .next()
                .ok_or_else(|| to_js(&Error::NoMatchingRequirement));
        };
        let views = view_to_js(&candidates.iter().map(|c| c.requirement).collect::<Vec<_>>())?;
        let picked = Promise::resolve(&select.call1(&JsValue::NULL, &views)?);
        let picked = until_aborted(call.request.signal().as_ref(), picked).await?;
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

    /// Asks the call's (or the wrapper's) `onPaymentRequired`, if any, and says what it
    /// answered (`approved`, with `sentAgain` for a payment sent again, or `rejected`).
    /// `again`: for a payment sent again, the wallet it is paid from (`Some(None)` when
    /// unknown), said in the question and the `approved` event.
    pub(super) async fn ask(
        &self,
        call: &Call<'_>,
        chosen: &Candidate<'_>,
        again: Option<Option<&str>>,
    ) -> Result<(), Settled> {
        let Call {
            hooks,
            request,
            challenge,
            origin,
            ..
        } = *call;
        let requirement = chosen.requirement;
        let no = Settled::No;
        if let Some(approve) = hooks.approve.as_ref().or(self.approve.as_ref()) {
            let mut question = json!({
                "requirement": requirement,
                "amountFormatted": chosen.valuation.formatted(),
                "origin": origin,
            });
            // Left out when the 402 names no resource URL (the types say `resource?: string`;
            // seed 001 describes its resource but gives no URL).
            let resource = challenge
                .resource
                .as_ref()
                .or(requirement.resource.as_ref())
                .filter(|resource| !resource.url.is_empty());
            if let (Some(resource), Value::Object(question)) = (resource, &mut question) {
                question.insert("resource".into(), Value::String(resource.url.clone()));
            }
            let question = marked(question, again);
            let question = view_to_js(&question).map_err(no)?;
            let answer = approve.call1(&JsValue::NULL, &question).map_err(no)?;
            let answer = until_aborted(request.signal().as_ref(), Promise::resolve(&answer))
                .await
                .map_err(no)?;
            if answer.as_bool() != Some(true) {
                self.emit(hooks, "rejected", Some(requirement), || json!({}));
                return Err(no(to_js(&Error::PaymentRejected)));
            }
            self.emit(hooks, "approved", Some(requirement), || {
                marked(json!({}), again)
            });
        } else {
            self.emit(hooks, "approved", Some(requirement), || {
                marked(json!({ "automatic": true }), again)
            });
        }
        Ok(())
    }

    async fn approve_sign_and_retry(
        &self,
        call: &Call<'_>,
        chosen: &Candidate<'_>,
    ) -> Result<(Response, Option<Receipt>), Settled> {
        let Call {
            hooks,
            request,
            first,
            challenge,
            ..
        } = *call;
        let requirement = chosen.requirement;
        let no = Settled::No;
        self.ask(call, chosen, None).await?;
        request.check_aborted().map_err(no)?;
        let wallet = self
            .wallet_for(requirement)
            .ok_or_else(|| no(to_js(&Error::NoMatchingRequirement)))?;
        if !challenge.dialect.is_x402() {
            return self.pay_direct(call, requirement, wallet).await;
        }
        let inputs = SignInputs {
            params: PaymentParams {
                // Read after the approval, which may have taken longer than maxTimeoutSeconds:
                // the authorization is valid from now.
                now: now_seconds(),
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
            rpc: &self.rpc,
            rpc_ms: self.rpc_timeout_ms,
            payment_id: hooks.payment_id.as_deref(),
        };
        let payment = sign_for(
            challenge,
            requirement,
            &wallet.adapter,
            &inputs,
            request.signal().as_ref(),
        )
        .await
        .map_err(no)?;
        // A wallet prompt left open past maxTimeoutSeconds signed an authorization that has
        // expired: sending it would only have it refused (and counted).
        let valid_until = inputs
            .params
            .now
            .saturating_add(requirement.max_timeout_seconds);
        if requirement.max_timeout_seconds > 0 && now_seconds() >= valid_until {
            return Err(no(to_js(&Error::PaymentExpired {
                reason: "the wallet signed after the payment's maxTimeoutSeconds had passed".into(),
            })));
        }
        self.emit(hooks, "signed", Some(requirement), || json!({}));
        request.check_aborted().map_err(no)?;
        let header =
            crate::client::payment_header(challenge, &payment).map_err(|e| no(to_js(&e)))?;
        // A payment under the caller's id (where the server declared the extension) is kept
        // to be sent again for the same purchase.
        if let Some(id) = hooks.payment_id.as_deref()
            && crate::client::payment_id_of(&payment) == Some(id)
            && let Some(purchase) = purchase_of(call)
        {
            let raw = requirement.raw.to_string();
            let now = now_seconds();
            let payer = crate::client::payer_of(&payment);
            self.sent.borrow_mut().keep(
                id,
                &purchase,
                raw,
                header.clone(),
                payer,
                valid_until,
                now,
            );
        }
        let retry = request.retry(first, &[header]).map_err(no)?;
        // From here the server may have settled even if we see an error.
        let response = call_fetch(&self.fetch, self.native, &retry)
            .await
            .map_err(Settled::Unknown)?;
        let receipt = read_receipt(&response, challenge.dialect);
        Ok((response, receipt))
    }
}
