//! The x402 dialects proper: v2 (header, or body only) and v1 (body).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Challenge, Dialect, DialectId, RejectedRequirement, Requirement, Response402};
use crate::error::{Document, Error, Result};
use crate::protocol::headers::PAYMENT_REQUIRED;
use crate::protocol::{ResourceInfo, decode_header};

/// x402 v2 with a `PAYMENT-REQUIRED` header. When the header is present it is
/// authoritative: a malformed header is an error, not a fall back to the body.
pub struct X402V2Header;

/// x402 v2 with no header and the `PaymentRequired` JSON in the body.
pub struct X402V2Body;

/// x402 v1: the JSON body with `x402Version: 1`.
pub struct X402V1Body;

/// The envelope of a challenge; each requirement is validated on its own so one
/// malformed option does not hide the good ones.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    resource: Option<ResourceInfo>,
    accepts: Vec<Value>,
    #[serde(default)]
    extensions: Option<Map<String, Value>>,
}

impl Dialect for X402V2Header {
    fn id(&self) -> DialectId {
        DialectId::X402V2Header
    }

    fn recognize(&self, response: &Response402<'_>) -> Option<Result<Challenge>> {
        let header = response.header(PAYMENT_REQUIRED)?;
        Some(
            decode_header::<Value>(&header, Document::PaymentRequired).and_then(|json| {
                match version_of(&json) {
                    Some(2) => challenge(self.id(), 2, &json, Requirement::from_v2),
                    _ => Err(unsupported(&json)),
                }
            }),
        )
    }
}

impl Dialect for X402V2Body {
    fn id(&self) -> DialectId {
        DialectId::X402V2Body
    }

    fn recognize(&self, response: &Response402<'_>) -> Option<Result<Challenge>> {
        let json = response
            .body_json()
            .filter(|json| version_of(json) == Some(2))?;
        Some(challenge(self.id(), 2, json, Requirement::from_v2))
    }
}

impl Dialect for X402V1Body {
    fn id(&self) -> DialectId {
        DialectId::X402V1
    }

    fn recognize(&self, response: &Response402<'_>) -> Option<Result<Challenge>> {
        let json = response
            .body_json()
            .filter(|json| version_of(json) == Some(1))?;
        Some(challenge(self.id(), 1, json, Requirement::from_v1))
    }
}

/// A challenge document already parsed (v2 `PaymentRequired` or v1 body).
pub(super) fn from_document(json: &Value) -> Result<Challenge> {
    match version_of(json) {
        Some(2) => challenge(DialectId::X402V2Body, 2, json, Requirement::from_v2),
        Some(1) => challenge(DialectId::X402V1, 1, json, Requirement::from_v1),
        _ => Err(unsupported(json)),
    }
}

fn version_of(json: &Value) -> Option<u64> {
    json.get("x402Version")?.as_u64()
}

fn unsupported(json: &Value) -> Error {
    match json.get("x402Version") {
        Some(found) => Error::UnsupportedVersion {
            found: found.to_string(),
        },
        None => Error::json(
            Document::PaymentRequired,
            <serde_json::Error as serde::de::Error>::missing_field("x402Version"),
        ),
    }
}

fn challenge(
    dialect: DialectId,
    x402_version: u8,
    json: &Value,
    validate: fn(usize, &Value) -> Result<Requirement>,
) -> Result<Challenge> {
    let envelope = Envelope::deserialize(json)
        .map_err(|source| Error::json(Document::PaymentRequired, source))?;
    let mut requirements = Vec::with_capacity(envelope.accepts.len());
    let mut rejected = Vec::new();
    for (index, raw) in envelope.accepts.iter().enumerate() {
        match validate(index, raw) {
            Ok(requirement) => requirements.push(requirement),
            Err(error) => rejected.push(RejectedRequirement { index, error }),
        }
    }
    if requirements.is_empty() {
        // Report the first requirement's own error: its code says what was wrong.
        return Err(match rejected.into_iter().next() {
            Some(first) => first.error,
            None => Error::NoValidRequirement { first: None },
        });
    }
    Ok(Challenge {
        dialect,
        x402_version,
        resource: envelope.resource,
        error: envelope.error,
        requirements,
        rejected,
        extensions: envelope.extensions,
    })
}
