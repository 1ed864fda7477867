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

/// The x402 v2 extension through which a server takes an idempotency key with each
/// payment: `extensions["payment-identifier"].info.id`.
pub const PAYMENT_IDENTIFIER: &str = "payment-identifier";

/// Whether `id` may be a payment identifier: 16 to 128 ASCII letters, digits, `_` and `-`,
/// as the extension's schema says.
pub fn is_payment_id(id: &str) -> bool {
    (16..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The name among `names` that `key` misspells: the same letters ignoring ASCII case,
/// `_` and `-` (`paymentID`, `payment_id` for `paymentId`), but not exactly it. A
/// caller's misspelt option is refused with it rather than ignored.
pub fn misspelt<'a>(key: &str, names: &[&'a str]) -> Option<&'a str> {
    let letters = |text: &str| {
        text.bytes()
            .filter(|b| !matches!(b, b'_' | b'-'))
            .map(|b| b.to_ascii_lowercase())
            .collect::<Vec<u8>>()
    };
    let folded = letters(key);
    names
        .iter()
        .find(|name| **name != key && letters(name) == folded)
        .copied()
}

/// Gives a v2 payment payload's `payment-identifier` extension its `info.id` when the
/// server declared the extension (an object with an `info` object, echoed from the
/// 402): the id `id()` makes, called only then. An `info.id` already there is kept (an
/// echoed extension is added to, never overwritten); a payload without the extension is
/// left as it is.
///
/// # Errors
/// What `id()` returns.
pub fn identify_payment<E>(
    payment: &mut Value,
    id: impl FnOnce() -> std::result::Result<String, E>,
) -> std::result::Result<(), E> {
    let info = payment
        .get_mut("extensions")
        .and_then(|extensions| extensions.get_mut(PAYMENT_IDENTIFIER))
        .and_then(|extension| extension.get_mut("info"))
        .and_then(Value::as_object_mut);
    if let Some(info) = info
        && !info.contains_key("id")
    {
        info.insert("id".into(), Value::String(id()?));
    }
    Ok(())
}

/// The `payment-identifier` id a payment payload carries, if any (of any JSON type:
/// the server side refuses one that is not a valid id).
pub fn payment_id_value(payment: &Value) -> Option<&Value> {
    payment
        .get("extensions")?
        .get(PAYMENT_IDENTIFIER)?
        .get("info")?
        .get("id")
}

/// The `payment-identifier` id a payment payload carries, if it is a string.
pub fn payment_id_of(payment: &Value) -> Option<&str> {
    payment_id_value(payment)?.as_str()
}

/// The wallet a payment payload this client made is paid from: the EVM authorization's
/// `from` (EIP-3009 or Permit2), or the Solana transfer's authority.
pub fn payer_of(payment: &Value) -> Option<String> {
    let payload = payment.get("payload")?;
    let from = ["authorization", "permit2Authorization"]
        .iter()
        .find_map(|k| payload.get(k)?.get("from")?.as_str());
    if let Some(from) = from {
        return Some(from.to_owned());
    }
    let tx = crate::svm::verify::payload_transaction(payload)?;
    Some(crate::svm::returned::transfer_authority(&tx)?.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_of_a_name_are_found() {
        let hooks = ["onPaymentRequired", "onEvent", "paymentId"];
        for key in [
            "paymentID",
            "payment_id",
            "paymentid",
            "PaymentId",
            "payment-id",
            "ON_EVENT",
        ] {
            assert!(misspelt(key, &hooks).is_some(), "{key}");
        }
        assert_eq!(misspelt("payment_id", &hooks), Some("paymentId"));
        for key in [
            "paymentId",
            "onEvent",
            "payment",
            "signal",
            "paymentIdentifier",
        ] {
            assert_eq!(misspelt(key, &hooks), None, "{key}");
        }
    }

    #[test]
    fn payment_ids_follow_the_extension_schema() {
        assert!(is_payment_id("pay_7d5d747be160e280504c099d984bcfe0"));
        assert!(is_payment_id("order-2026-11-23_A"));
        assert!(is_payment_id(&"a".repeat(128)));
        assert!(!is_payment_id("pay_short"));
        assert!(!is_payment_id(&"a".repeat(129)));
        assert!(!is_payment_id("pay_7d5d747be160e2805 4c099d984bcfe0"));
        assert!(!is_payment_id("pay_7d5d747be160e280é04c099d984bcfe"));
    }

    #[test]
    fn an_identifier_goes_only_where_the_server_declared_the_extension() {
        let declared = json!({ "x402Version": 2, "extensions": {
            "payment-identifier": { "info": { "required": true }, "schema": { "type": "object" } },
            "other": { "info": {} }
        }});
        let mut payment = declared.clone();
        identify_payment(&mut payment, || Ok::<_, ()>("pay_0123456789abcdef".into())).unwrap();
        assert_eq!(
            payment["extensions"]["payment-identifier"],
            json!({ "info": { "required": true, "id": "pay_0123456789abcdef" }, "schema": { "type": "object" } })
        );
        assert_eq!(payment["extensions"]["other"], json!({ "info": {} }));

        for undeclared in [
            json!({ "x402Version": 2 }),
            json!({ "x402Version": 2, "extensions": { "other": { "info": {} } } }),
            json!({ "x402Version": 2, "extensions": { "payment-identifier": true } }),
            json!({ "x402Version": 2, "extensions": { "payment-identifier": { "info": "x" } } }),
            json!({ "x402Version": 1, "payload": {} }),
        ] {
            let mut payment = undeclared.clone();
            identify_payment(&mut payment, || -> std::result::Result<String, ()> {
                panic!("no id is made for {undeclared}")
            })
            .unwrap();
            assert_eq!(payment, undeclared);
        }

        // An id already in the echoed extension is kept; a failing id() is the caller's error.
        let mut payment = json!({ "extensions": { "payment-identifier": { "info": { "id": "server_given_id_0001" } } } });
        identify_payment(&mut payment, || Err::<String, _>("unused")).unwrap();
        assert_eq!(
            payment["extensions"]["payment-identifier"]["info"]["id"],
            "server_given_id_0001"
        );
        let mut payment = declared;
        assert_eq!(
            identify_payment(&mut payment, || Err::<String, _>("no randomness")),
            Err("no randomness")
        );
    }
}
