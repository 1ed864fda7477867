//! The `payment-identifier` extension on the server side: how a route declares it
//! (x402 v2 idempotency keys), and the declaration its 402 carries.

use serde::Deserialize;
use serde_json::{Value, json};

/// How a route declares the `payment-identifier` extension (x402 v2 idempotency keys).
#[derive(Clone, Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "paymentIdentifier must be true, false or { required?: boolean, ttlSeconds?: number }"
)]
pub enum PaymentIdentifierConfig {
    /// `true`: declared, ids optional; `false`: not declared.
    Declared(bool),
    /// `{ required }`: declared; a payment without an id is refused when `required`.
    Options(PaymentIdentifierOptions),
}

/// The object form of [`PaymentIdentifierConfig`].
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentIdentifierOptions {
    /// Whether every payment must carry an id.
    #[serde(default)]
    pub required: bool,
    /// How long the Worker helper remembers what a settled id bought (seconds, 1 to
    /// 30 days; default one hour).
    #[serde(default)]
    pub ttl_seconds: Option<u64>,
}

impl PaymentIdentifierConfig {
    /// What is wrong with it: a time to live out of range.
    pub(super) fn check(&self) -> Result<(), String> {
        match self {
            PaymentIdentifierConfig::Options(PaymentIdentifierOptions {
                ttl_seconds: Some(ttl),
                ..
            }) if !(1..=MAX_PAYMENT_ID_TTL).contains(ttl) => Err(format!(
                "paymentIdentifier.ttlSeconds must be 1 to {MAX_PAYMENT_ID_TTL} (30 days)"
            )),
            _ => Ok(()),
        }
    }

    /// `Some(required)` when the extension is declared.
    pub(super) fn declared(&self) -> Option<bool> {
        match self {
            PaymentIdentifierConfig::Declared(declared) => declared.then_some(false),
            PaymentIdentifierConfig::Options(options) => Some(options.required),
        }
    }
}

/// The longest a settled payment's id may be remembered: 30 days.
const MAX_PAYMENT_ID_TTL: u64 = 30 * 24 * 3600;

/// The `payment-identifier` declaration of a 402, as the official server helper writes
/// it: `info.required` and the JSON schema of the info a payment echoes.
pub(super) fn payment_identifier_declaration(required: bool) -> Value {
    json!({
        "info": { "required": required },
        "schema": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "required": { "type": "boolean" },
                "id": { "type": "string", "minLength": 16, "maxLength": 128, "pattern": "^[a-zA-Z0-9_-]+$" },
            },
            "required": ["required"],
        },
    })
}
