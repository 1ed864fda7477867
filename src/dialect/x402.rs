//! The x402 dialects proper: v2 (header, or body only) and v1 (body).

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Map, Value};

use super::{
    Challenge, Dialect, DialectId, RejectedRequirement, Requirement, Response402, malformed,
};
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
    /// Checked to be a list here; its entries are read in place from the document.
    #[allow(dead_code, reason = "deserialized for its shape check only")]
    accepts: Vec<IgnoredAny>,
    #[serde(default)]
    extensions: Option<Map<String, Value>>,
}

impl Dialect for X402V2Header {
    fn id(&self) -> DialectId {
        DialectId::X402V2Header
    }

    fn recognize(&self, response: &Response402<'_>) -> Option<Result<Challenge>> {
        // An empty header is none (the official client reads the body then).
        let header = response
            .header(PAYMENT_REQUIRED)
            .filter(|value| !value.trim().is_empty())?;
        Some(
            decode_header::<Value>(&header, Document::PaymentRequired).and_then(|json| {
                match version_of(&json) {
                    Some(2) => challenge(self.id(), 2, &json, Requirement::from_v2),
                    // A version this crate speaks, in the wrong place: not UNSUPPORTED_VERSION.
                    Some(1) => Err(malformed(
                        "the PAYMENT-REQUIRED header holds an x402 v1 document (v1 sends it in the body)",
                    )),
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

/// The most `accepts` entries a challenge may list. The v2 specification sets no
/// maximum; a server lists one entry per scheme, network and asset it takes, a handful
/// in practice. This bound, far above that, keeps the work per challenge bounded (each
/// entry is validated and kept); a longer list is INVALID_402.
pub const MAX_ACCEPTS: usize = 1_000;

fn challenge(
    dialect: DialectId,
    x402_version: u8,
    json: &Value,
    validate: fn(usize, &Value) -> Result<Requirement>,
) -> Result<Challenge> {
    let count = json.get("accepts").and_then(Value::as_array).map(Vec::len);
    if let Some(count) = count.filter(|n| *n > MAX_ACCEPTS) {
        return Err(Error::json(
            Document::PaymentRequired,
            <serde_json::Error as serde::de::Error>::custom(format_args!(
                "accepts lists {count} requirements, more than the {MAX_ACCEPTS} allowed"
            )),
        ));
    }
    let envelope = Envelope::deserialize(json)
        .map_err(|source| Error::json(Document::PaymentRequired, source))?;
    // Grown as requirements pass (an input's count never sizes an allocation).
    let mut requirements = Vec::new();
    let mut rejected = Vec::new();
    let accepts = json.get("accepts").and_then(Value::as_array);
    for (index, raw) in accepts.into_iter().flatten().enumerate() {
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
        expires_at: None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::dialect::{MAX_BODY_LEN, Response402, challenge_from_json, recognize};

    fn usdc() -> serde_json::Value {
        json!({
            "scheme": "exact", "network": "eip155:84532", "amount": "10000",
            "asset": "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
            "payTo": "0x209693Bc6afc0C5328bA36FaF03C514EF312287C", "maxTimeoutSeconds": 60,
            "extra": { "name": "USDC", "version": "2" }
        })
    }

    /// Every dialect's payment header is one a request is "already paid" by: the list
    /// the paying fetch checks names each (the match fails to compile on a new dialect).
    #[test]
    fn every_payment_header_marks_a_request_paid() {
        use crate::dialect::{DialectId, PAYMENT_HEADERS};
        let all = [
            DialectId::X402V2Header,
            DialectId::X402V2Body,
            DialectId::X402V1,
            DialectId::SolanaPay,
            DialectId::X402Headers,
            DialectId::FacilitatorPay,
        ];
        for id in all {
            match id {
                DialectId::X402V2Header
                | DialectId::X402V2Body
                | DialectId::X402V1
                | DialectId::SolanaPay
                | DialectId::X402Headers
                | DialectId::FacilitatorPay => {}
            }
            let header = id.payment_header().to_ascii_lowercase();
            assert!(PAYMENT_HEADERS.contains(&header.as_str()), "{header}");
        }
        // Seed 004's second proof header.
        assert!(PAYMENT_HEADERS.contains(&"x-payment-txid"));
    }

    /// A v1 document in the v2 header is INVALID_402 (a version we speak, misplaced),
    /// not UNSUPPORTED_VERSION, which the README keeps for versions other than 1 and 2.
    #[test]
    fn a_v1_document_in_the_header_is_invalid_not_unsupported() {
        use base64::Engine as _;
        let v1 = json!({ "x402Version": 1, "error": "", "accepts": [usdc()] });
        let v3 = json!({ "x402Version": 3, "accepts": [usdc()] });
        let header = |doc: &serde_json::Value| {
            base64::engine::general_purpose::STANDARD.encode(doc.to_string())
        };
        let code = |doc| {
            let headers = vec![("payment-required".to_owned(), header(doc))];
            recognize(&Response402::new(402, &headers, b"{}")).unwrap_err()
        };
        let error = code(&v1);
        assert_eq!(error.code(), "INVALID_402");
        assert!(error.to_string().contains("x402 v1 document"), "{error}");
        assert_eq!(code(&v3).code(), "UNSUPPORTED_VERSION");
    }

    /// F3 of the panic audit (fuzz/README.md): `challenge` reserved one `Requirement`
    /// per `accepts` entry up front, and 8,000,000 entries overflowed the capacity on
    /// wasm32. The list is now capped at 1,000, checked before anything is copied.
    #[test]
    fn accepts_lists_are_capped_at_a_thousand() {
        let at_limit = json!({ "x402Version": 2, "accepts": vec![usdc(); 1_000] });
        let challenge = challenge_from_json(&at_limit).unwrap();
        assert_eq!(challenge.requirements.len(), 1_000);

        let over = json!({ "x402Version": 1, "accepts": vec![usdc(); 1_001] });
        let error = challenge_from_json(&over).unwrap_err();
        assert_eq!(error.code(), "INVALID_402");
        assert!(
            error
                .to_string()
                .contains("1001 requirements, more than the 1000 allowed")
        );

        // The size that trapped in wasm: refused at once, by its count.
        let huge = json!({ "x402Version": 2, "accepts": vec![0; 8_000_000] });
        assert_eq!(
            challenge_from_json(&huge).unwrap_err().code(),
            "INVALID_402"
        );

        // Through a body as well (at most 256 KiB: about 130,000 `0,` entries).
        let body = format!(
            "{{\"x402Version\":2,\"accepts\":[{}0]}}",
            "0,".repeat(120_000)
        );
        assert!(body.len() < MAX_BODY_LEN);
        let headers: Vec<(String, String)> = Vec::new();
        let error = recognize(&Response402::new(402, &headers, body.as_bytes())).unwrap_err();
        assert!(
            error.to_string().contains("more than the 1000 allowed"),
            "{error}"
        );
    }
}
