//! Seed 004, facilitator-pay: the client asks a facilitator the user allows
//! (`options.facilitators`, with its credentials) to pay, and retries with the
//! proof it returns.

use js_sys::{Function, Object, Promise, Reflect};
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::convert::{MAX_ELEMENTS, entries, is_array, items, unreadable};
use super::direct::text;
use super::error::{invalid_argument, to_js};
use super::fetch::{Call, Inner, Settled};
use super::request::{Outgoing, call_fetch, read_json};
use super::response::{is_ok, status_or_zero};
use crate::dialect::Requirement;
use crate::error::Error;

/// A facilitator the user allows the client to ask for payment (seed 004), with the
/// headers (credentials) to send it. A 402 naming any other facilitator is refused:
/// the server does not get to choose where the client's credentials go.
pub(super) struct Facilitator {
    pub(super) url: String,
    headers: JsValue,
}

impl Facilitator {
    /// Reads `options.facilitators`: URL strings or `{ url, headers }`.
    pub(super) fn list(value: &JsValue) -> Result<Vec<Facilitator>, JsValue> {
        if value.is_undefined() || value.is_null() {
            return Ok(Vec::new());
        }
        if !is_array(value)? {
            return Err(invalid_argument(
                "options.facilitators must be an array of URLs or { url, headers }",
            ));
        }
        items(value, MAX_ELEMENTS)?
            .into_iter()
            .map(|entry| {
                let (url, headers) = match entry.as_string() {
                    Some(url) => (url, JsValue::UNDEFINED),
                    None => (
                        Reflect::get(&entry, &"url".into())
                            .map_err(|e| unreadable("options.facilitators[].url", e))?
                            .as_string()
                            .ok_or_else(|| {
                                invalid_argument("options.facilitators[].url must be a string")
                            })?,
                        Reflect::get(&entry, &"headers".into())
                            .map_err(|e| unreadable("options.facilitators[].headers", e))?,
                    ),
                };
                Ok(Facilitator {
                    url: url.trim_end_matches('/').to_owned(),
                    headers,
                })
            })
            .collect()
    }
}

impl Inner {
    /// Seed 004: the allowed facilitator pays (`POST <facilitatorUrl>/pay`).
    pub(super) async fn pay_facilitator(
        &self,
        call: &Call<'_>,
        requirement: &Requirement,
        payer: &str,
    ) -> Result<(String, Vec<(&'static str, String)>), Settled> {
        let no = |e: JsValue| Settled::No(e);
        let url = text(requirement, "facilitatorUrl");
        let facilitator = self
            .facilitator(&url)
            .ok_or_else(|| no(to_js(&Error::FacilitatorNotAllowed { url: url.clone() })))?;
        let body = json!({
            "amount": text(requirement, "amountDecimal"),
            "currency": text(requirement, "currency"),
            // As the 402 gave it (checked by the dialect); `pay_to` is its canonical form.
            "payee": text(requirement, "payee"),
            "reference": text(requirement, "reference"),
            "payer": payer,
        });
        let headers = web_sys::Headers::new().map_err(no)?;
        headers
            .set("content-type", "application/json")
            .map_err(no)?;
        let configured = match facilitator.headers.dyn_ref::<Function>() {
            Some(f) => JsFuture::from(Promise::resolve(&f.call0(&JsValue::NULL).map_err(no)?))
                .await
                .map_err(no)?,
            None => facilitator.headers.clone(),
        };
        if configured.is_object() {
            // Read with catching imports: a throwing getter is INVALID_ARGUMENT.
            let configured = entries(&configured, "options.facilitators[].headers").map_err(no)?;
            for (name, value) in configured {
                if let Some(value) = value.as_string() {
                    headers.set(&name, &value).map_err(no)?;
                }
            }
        }
        let init = Object::new();
        for (key, value) in [
            ("method", JsValue::from_str("POST")),
            ("body", JsValue::from_str(&body.to_string())),
            ("headers", headers.into()),
            (
                "signal",
                call.request.signal().map_or(JsValue::UNDEFINED, Into::into),
            ),
            ("redirect", JsValue::from_str("error")),
        ] {
            Reflect::set(&init, &key.into(), &value).map_err(no)?;
        }
        super::direct::unexpired(call.challenge).map_err(|e| no(to_js(&e)))?;
        let out = Outgoing::new(format!("{url}/pay"), init);
        // Once the request is out the facilitator may have paid, whatever we see next.
        let response = call_fetch(&self.fetch, self.native, &out)
            .await
            .map_err(Settled::Unknown)?;
        let status = status_or_zero(&response);
        let signal = call.request.signal();
        let answer = read_json(&response, super::request::look_deadline(), signal.as_ref()).await;
        let field = |name: &str| answer.get(name).and_then(Value::as_str).map(str::to_owned);
        let refused = |reason: String| to_js(&Error::FacilitatorError { reason });
        // Aborted while the answer was read: the caller's reason, settled as the status says.
        let aborted = call.request.check_aborted().err();
        if !is_ok(status) {
            // A 4xx is a refusal (nothing paid), but for those that may come after paying: a
            // timeout (408), a conflict ("reference already paid", 409), too early (425) or a
            // rate limit a proxy put in front (429). Anything else leaves it unknown too.
            let refusal = (400..500).contains(&status) && !matches!(status, 408 | 409 | 425 | 429);
            let error = aborted.unwrap_or_else(|| {
                refused(field("error").unwrap_or_else(|| format!("HTTP {status}")))
            });
            return Err(if refusal {
                Settled::No(error)
            } else {
                Settled::Unknown(error)
            });
        }
        // A success (the facilitator may have paid) whose answer was cut short by the abort.
        if let Some(aborted) = aborted {
            return Err(Settled::Unknown(aborted));
        }
        match (field("txId"), field("signature")) {
            // They become header values: visible ASCII only (no CR/LF, nothing fetch refuses).
            (Some(tx_id), Some(signature)) if header_value(&tx_id) && header_value(&signature) => {
                self.emit(
                    call.hooks,
                    "signed",
                    Some(requirement),
                    || json!({ "transaction": tx_id }),
                );
                Ok((
                    tx_id.clone(),
                    vec![("X-Payment-Proof", signature), ("X-Payment-TxId", tx_id)],
                ))
            }
            _ => Err(Settled::Unknown(refused(
                "the /pay answer has no txId and signature (non-empty visible ASCII)".into(),
            ))),
        }
    }
}

/// A non-empty, short string of visible ASCII: safe as an HTTP header value.
fn header_value(text: &str) -> bool {
    !text.is_empty() && text.len() <= 1024 && text.bytes().all(|b| b.is_ascii_graphic())
}
