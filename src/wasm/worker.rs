//! Exports for the Workers verify helper (`x402-wasm/worker`): a route resolved
//! for one request, its 402 challenge, and the decision on a payment header.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;

use super::convert::{js_to_json, json_to_js};
use super::error::{invalid_argument, js, to_js};
use super::evm::now_seconds;
use crate::error::{Document, Error};
use crate::protocol::encode_header;
use crate::server::{Decision, Gate, GateOptions, Route, RouteConfig};

/// A route's payment terms resolved for one request.
#[wasm_bindgen(js_name = X402Route)]
pub struct X402Route {
    route: Route,
}

#[wasm_bindgen(js_class = X402Route)]
impl X402Route {
    /// Resolves `config` (`{ accepts, resource?, acceptV1? }`) for `requestUrl`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, request_url: &str) -> Result<X402Route, JsValue> {
        let config: RouteConfig = RouteConfig::deserialize(&js_to_json(&config)?).map_err(|e| {
            to_js(&Error::InvalidRouteConfig {
                reason: e.to_string(),
            })
        })?;
        Ok(X402Route {
            route: js(Route::new(&config, request_url))?,
        })
    }

    /// The 402 challenge: `{ paymentRequired, header, body }`. `body` is the same
    /// JSON as the header, or the v1 document when v1 is accepted.
    pub fn challenge(&self, error: Option<String>) -> Result<JsValue, JsValue> {
        let mut payment_required = self.route.payment_required.clone();
        if let (Some(error), Some(map)) = (error, payment_required.as_object_mut()) {
            map.insert("error".into(), json!(error));
        }
        let header = js(encode_header(&payment_required, Document::PaymentRequired))?;
        let body = self
            .route
            .v1_body
            .clone()
            .unwrap_or_else(|| payment_required.clone());
        json_to_js(&json!({ "paymentRequired": payment_required, "header": header, "body": body }))
    }

    /// Decides on the payment headers. Options: `now`, `maxClockSkew`, `minValidity`,
    /// `contractSignatures` (a smart-contract wallet's signature passes the local checks,
    /// for a caller whose facilitator verifies it before serving).
    /// Returns `{ action: 'challenge' }`, `{ action: 'malformed', status: 400, code, message }`,
    /// `{ action: 'refused', status: 402, reason }` or `{ action: 'accepted', x402Version,
    /// payment, requirement, payer, replayKey, expiresAt }`.
    pub fn decide(
        &self,
        payment_signature: Option<String>,
        x_payment: Option<String>,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let options = js_to_json(&options)?;
        // Whole seconds; a fractional one is rounded down (not taken as "none", which
        // would silently use the real clock), anything else that is given is refused.
        let number = |key: &str| -> Result<Option<u64>, JsValue> {
            match options.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(value) => match value.as_u64() {
                    Some(whole) => Ok(Some(whole)),
                    None => match value.as_f64().filter(|v| v.is_finite() && *v >= 0.0) {
                        Some(seconds) if seconds < 9.0e15 => Ok(Some(seconds.floor() as u64)),
                        _ => Err(invalid_argument(&format!(
                            "options.{key} must be a number of seconds"
                        ))),
                    },
                },
            }
        };
        let mut gate_options = GateOptions::at(number("now")?.unwrap_or_else(now_seconds));
        if let Some(skew) = number("maxClockSkew")? {
            gate_options.max_clock_skew = skew;
        }
        if let Some(min) = number("minValidity")? {
            gate_options.min_validity = min;
        }
        // Set by the handler only when the facilitator verifies every payment first.
        gate_options.contract_signatures = options.get("contractSignatures") == Some(&json!(true));
        let gate = Gate::new(&self.route);
        let decision = gate.decide(
            payment_signature.as_deref(),
            x_payment.as_deref(),
            &gate_options,
        );
        let answer = match decision {
            Decision::Challenge => json_to_js(&json!({ "action": "challenge" })),
            Decision::Malformed(e) => json_to_js(
                &json!({ "action": "malformed", "status": 400, "code": e.code(), "message": e.to_string() }),
            ),
            Decision::Refused { reason } => {
                json_to_js(&json!({ "action": "refused", "status": 402, "reason": reason }))
            }
            // Serialised from the payment itself, not from a copy of it.
            Decision::Accepted(a) => json_to_js(&AcceptedAnswer {
                action: "accepted",
                x402_version: a.x402_version,
                payment: &a.payment,
                requirement: &a.requirement,
                payer: &a.payer,
                replay_key: &a.replay_key,
                // A number JS holds exactly (a route's maxTimeoutSeconds may reach 2^53 - 1).
                expires_at: a.expires_at.min((1 << 53) - 1),
                payment_id: a.payment_id.as_deref(),
            }),
        };
        // A payment is handed to JS (and on to the facilitator) as it was sent: one holding an
        // integer JS cannot hold exactly (past 2^53, say in its extensions) is malformed.
        answer.or_else(|_| {
            json_to_js(&json!({
                "action": "malformed", "status": 400, "code": "INVALID_PAYLOAD",
                "message": "the payment holds an integer past 2^53, which JavaScript cannot hold exactly",
            }))
        })
    }
}

/// `decide`'s answer for an accepted payment.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AcceptedAnswer<'a> {
    action: &'static str,
    x402_version: u8,
    payment: &'a Value,
    requirement: &'a Value,
    payer: &'a str,
    replay_key: &'a str,
    expires_at: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_id: Option<&'a str>,
}
