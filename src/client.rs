//! The pure client flow: from a challenge and a chosen requirement to the payment
//! payload and the header to retry with. No I/O: signing is the caller's part.

use serde_json::{Map, Value, json};

use crate::dialect::{Challenge, Requirement};
use crate::error::{Document, Error, Result};
use crate::protocol::encode_header;

/// Why an `exact` requirement cannot be paid whatever the wallet, checked before
/// anyone is asked to approve it: EVM (see [`crate::evm::exact::check_terms`]) or
/// Solana ([`crate::svm::exact::SvmTerms::from_requirement`]: `extra.feePayer`, addresses,
/// an amount that fits in u64). `None` for a payable one, and for other schemes.
pub fn exact_terms_problem(requirement: &Requirement, now: u64) -> Option<Error> {
    if requirement.scheme != "exact" {
        return None;
    }
    if requirement.network.is_evm() {
        crate::evm::exact::check_terms(requirement, now).err()
    } else if requirement.network.is_solana() {
        crate::svm::exact::SvmTerms::from_requirement(requirement).err()
    } else {
        None
    }
}

/// The payment payload for `requirement` with the scheme's `payload`, in the
/// challenge's protocol version: v2 echoes the requirement verbatim as `accepted`
/// (and the server's resource and extensions); v1 names scheme and network.
pub fn payment_payload(challenge: &Challenge, requirement: &Requirement, payload: Value) -> Value {
    if challenge.x402_version == 1 {
        let network = requirement
            .raw
            .get("network")
            .cloned()
            .unwrap_or(Value::Null);
        return json!({
            "x402Version": 1,
            "scheme": requirement.scheme,
            "network": network,
            "payload": payload,
        });
    }
    let mut out = Map::new();
    out.insert("x402Version".into(), json!(2));
    if let Some(resource) = &challenge.resource {
        out.insert("resource".into(), json!(resource));
    }
    out.insert("accepted".into(), requirement.raw.clone());
    out.insert("payload".into(), payload);
    if let Some(extensions) = &challenge.extensions {
        out.insert("extensions".into(), Value::Object(extensions.clone()));
    }
    Value::Object(out)
}

/// The header to retry with: its name for the challenge's dialect, and its value.
///
/// # Errors
/// Only if serialization fails, which JSON values never do.
pub fn payment_header(challenge: &Challenge, payment: &Value) -> Result<(&'static str, String)> {
    Ok((
        challenge.dialect.payment_header(),
        encode_header(payment, Document::PaymentPayload)?,
    ))
}
