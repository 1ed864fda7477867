//! Paying again under a caller's `paymentId` (the x402 `payment-identifier`
//! extension): the payment this paying fetch made for the same purchase is sent again
//! (see [`crate::resend`]), and one call at a time pays under an id.

use serde_json::Value;
use web_sys::Response;

use super::fetch::{Call, Inner, Settled};
use super::receipts::{Receipt, read_receipt};
use super::request::call_fetch;
use crate::select::Candidate;

impl Inner {
    /// Sends the payment made earlier under the call's paymentId again, once approved (it
    /// may not have reached the server the first time: sending it may settle it).
    pub(super) async fn send_again(
        &self,
        call: &Call<'_>,
        chosen: &Candidate<'_>,
        header: (&'static str, String),
        payer: Option<String>,
    ) -> Result<(Response, Option<Receipt>), Settled> {
        self.ask(call, chosen, Some(payer.as_deref())).await?;
        call.request.check_aborted().map_err(Settled::No)?;
        let retry = call
            .request
            .retry(call.first, &[header])
            .map_err(Settled::No)?;
        let response = call_fetch(&self.fetch, self.native, &retry)
            .await
            .map_err(Settled::Unknown)?;
        let receipt = read_receipt(&response, call.challenge.dialect);
        Ok((response, receipt))
    }
}

/// An event's (or the question's) fields, with `sentAgain: true` and the wallet it
/// is paid from (`payer`, when known) for a payment sent again (`again`).
pub(super) fn marked(mut about: Value, again: Option<Option<&str>>) -> Value {
    if let (Some(payer), Value::Object(fields)) = (again, &mut about) {
        fields.insert("sentAgain".into(), Value::Bool(true));
        if let Some(payer) = payer {
            fields.insert("payer".into(), Value::String(payer.to_owned()));
        }
    }
    about
}

/// A call paying under a caller's id: the id is free again when it ends, however (and,
/// through `holding`, when JS threw part-way and the call was abandoned: see `wrap_fetch`).
pub(super) struct Paying<'a> {
    sent: &'a std::cell::RefCell<crate::resend::SentPayments>,
    id: String,
    holding: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<'a> Paying<'a> {
    pub(super) fn start(
        sent: &'a std::cell::RefCell<crate::resend::SentPayments>,
        id: &str,
        holding: &std::rc::Rc<std::cell::Cell<bool>>,
    ) -> Option<Self> {
        let started = sent.borrow_mut().start(id);
        holding.set(started);
        started.then(|| Paying {
            sent,
            id: id.to_owned(),
            holding: std::rc::Rc::clone(holding),
        })
    }
}

impl Drop for Paying<'_> {
    fn drop(&mut self) {
        if let Ok(mut sent) = self.sent.try_borrow_mut() {
            sent.end(&self.id);
            self.holding.set(false);
        }
    }
}

/// What a payment under a caller's id buys, for sending it again: the method and the
/// URL the 402 came from (`None` when either cannot be read: nothing is sent again).
pub(super) fn purchase_of(call: &Call<'_>) -> Option<String> {
    let method = call.request.request().ok()?.method();
    Some(format!(
        "{method} {}",
        call.request.url_of(call.first).ok()?
    ))
}
