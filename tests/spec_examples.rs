//! The public x402 specification's HTTP examples (tests/vectors/spec_http.json)
//! decode to exactly the documented JSON, and every model round-trips.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use x402_wasm::dialect::{DialectId, Response402, recognize};
use x402_wasm::error::Document;
use x402_wasm::protocol::{
    PaymentPayload, PaymentPayloadV1, PaymentRequired, PaymentRequiredV1, SettlementResponse,
    decode_header, encode_header,
};

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/spec_http.json")).expect("vector file is JSON")
}

/// Decodes `value` as `T`, checks it equals the documented JSON, and that
/// encoding it and decoding again gives the same model.
fn check<T>(value: &str, documented: &Value, document: Document)
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let model: T = decode_header(value, document).expect("spec example decodes");
    assert_eq!(&serde_json::to_value(&model).unwrap(), documented);
    let again: T = decode_header(&encode_header(&model, document).unwrap(), document).unwrap();
    assert_eq!(again, model);
}

#[test]
fn spec_headers_decode_to_the_documented_json() {
    let vectors = vectors();
    let headers = vectors["headers"].as_array().unwrap();
    assert_eq!(headers.len(), 7);
    for case in headers {
        let value = case["value"].as_str().unwrap();
        let json = &case["json"];
        match case["document"].as_str().unwrap() {
            "PaymentRequired" => check::<PaymentRequired>(value, json, Document::PaymentRequired),
            "PaymentPayload" => check::<PaymentPayload>(value, json, Document::PaymentPayload),
            "PaymentPayloadV1" => check::<PaymentPayloadV1>(value, json, Document::PaymentPayload),
            "SettlementResponse" => {
                // The failure example has no `transaction`; the model reads it as "".
                let model: SettlementResponse =
                    decode_header(value, Document::SettlementResponse).unwrap();
                let mut documented = json.clone();
                documented
                    .as_object_mut()
                    .unwrap()
                    .entry("transaction")
                    .or_insert("".into());
                assert_eq!(
                    serde_json::to_value(&model).unwrap(),
                    documented,
                    "{}",
                    case["name"]
                );
            }
            other => panic!("unknown document {other}"),
        }
    }
}

#[test]
fn spec_v1_body_decodes_to_the_documented_json() {
    let vectors = vectors();
    let body = &vectors["bodies"][0]["json"];
    let model: PaymentRequiredV1 = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(&serde_json::to_value(&model).unwrap(), body);
    assert_eq!(model.accepts[0].max_amount_required, "10000");
}

#[test]
fn spec_v2_402_is_recognised_from_the_header() {
    let vectors = vectors();
    let value = vectors["headers"][0]["value"].as_str().unwrap();
    let headers = [
        ("Content-Type", "application/json"),
        ("PAYMENT-REQUIRED", value),
    ];
    let challenge = recognize(&Response402::new(402, &headers, b"{}")).unwrap();
    assert_eq!(challenge.dialect, DialectId::X402V2Header);
    assert_eq!(challenge.x402_version, 2);
    assert_eq!(
        challenge.error.as_deref(),
        Some("PAYMENT-SIGNATURE header is required")
    );
    assert_eq!(
        challenge.resource.unwrap().url,
        "https://api.example.com/premium-data"
    );
    let requirement = &challenge.requirements[0];
    assert_eq!(requirement.network.chain_id(), Some(84532));
    assert_eq!(requirement.amount.to_string(), "10000");
    assert_eq!(requirement.extra_str("name"), Some("USDC"));
    // The requirement is kept exactly as received, for `accepted`.
    assert_eq!(requirement.raw, vectors["headers"][0]["json"]["accepts"][0]);
    // The accepted requirement of the spec's PAYMENT-SIGNATURE is that same object.
    assert_eq!(requirement.raw, vectors["headers"][1]["json"]["accepted"]);
}

#[test]
fn unknown_keys_survive_in_the_raw_requirement_in_order() {
    let body = br#"{"x402Version":2,"resource":{"url":"https://a.example/x"},"accepts":[
        {"zeta":1,"scheme":"exact","network":"eip155:8453","amount":"1","asset":"0xA",
         "payTo":"0xB","maxTimeoutSeconds":5,"extra":{"z":1,"a":[2]},"alpha":{"nested":true}}]}"#;
    let challenge = recognize(&Response402::new(402, &[("x", "y")], body)).unwrap();
    assert_eq!(challenge.dialect, DialectId::X402V2Body);
    let raw = serde_json::to_string(&challenge.requirements[0].raw).unwrap();
    assert_eq!(
        raw,
        r#"{"zeta":1,"scheme":"exact","network":"eip155:8453","amount":"1","asset":"0xA","payTo":"0xB","maxTimeoutSeconds":5,"extra":{"z":1,"a":[2]},"alpha":{"nested":true}}"#
    );
}

#[test]
fn v1_body_maps_networks_and_resource() {
    let body = include_str!("../../shared/seeds/002_a9f68b2330089a57.txt");
    // The seed's example body, cut out of the prose.
    let start = body.find("{\n  \"x402Version\": 1").unwrap();
    let end = start + body[start..].find("\n}\n").unwrap() + 2;
    let challenge = recognize(&Response402::new(
        402,
        &[("a", "b")],
        &body.as_bytes()[start..end],
    ))
    .unwrap();
    assert_eq!(challenge.dialect, DialectId::X402V1);
    let requirement = &challenge.requirements[0];
    assert_eq!(
        requirement.network.to_string(),
        "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1"
    );
    assert_eq!(requirement.amount.to_string(), "10000");
    assert_eq!(
        requirement.resource.as_ref().unwrap().url,
        "https://api.example.com/api/data"
    );
}

#[test]
fn seed_000_body_and_header_agree() {
    // Seed 000 (1ly) sends the same JSON in the body and in PAYMENT-REQUIRED.
    let seed = include_str!("../../shared/seeds/000_7656f00b304ab3f5.txt");
    let start = seed.find("{\n\"x402Version\": 2").unwrap();
    let end = start + seed[start..].find("\n}Notes").unwrap() + 2;
    let body = &seed[start..end];
    let json: Value = serde_json::from_str(body).unwrap();
    let header = encode_header(&json, Document::PaymentRequired).unwrap();
    let from_header = recognize(&Response402::new(
        402,
        &[("payment-required", header.as_str())],
        b"",
    ))
    .unwrap();
    let from_body = recognize(&Response402::new(402, &[("a", "b")], body.as_bytes())).unwrap();
    assert_eq!(from_header.requirements, from_body.requirements);
    assert_eq!(from_body.requirements.len(), 2);
    assert!(from_body.requirements[0].network.is_solana());
    assert_eq!(from_body.requirements[1].network.chain_id(), Some(8453));
}
