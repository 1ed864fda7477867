//! The malformed-input table (tests/vectors/malformed.json): every hostile input
//! gives its stable error code, and nothing panics.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;
use x402_wasm::dialect::{Response402, recognize};
use x402_wasm::error::Document;
use x402_wasm::protocol::{PaymentPayload, SettlementResponse, decode_header};

fn body_of(case: &Value) -> Vec<u8> {
    match case.get("bodyRepeat") {
        Some(repeat) => {
            let unit = repeat["char"].as_str().unwrap();
            unit.repeat(usize::try_from(repeat["times"].as_u64().unwrap()).unwrap())
                .into_bytes()
        }
        None => case["body"].as_str().unwrap().as_bytes().to_vec(),
    }
}

fn code_of(case: &Value) -> String {
    match case["kind"].as_str().unwrap() {
        "response" => {
            let headers: Vec<(&str, &str)> = case
                .get("headers")
                .and_then(Value::as_object)
                .map(|h| {
                    h.iter()
                        .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
                        .collect()
                })
                .unwrap_or_default();
            let body = body_of(case);
            let status = u16::try_from(case["status"].as_u64().unwrap()).unwrap();
            match recognize(&Response402::new(status, &headers, &body)) {
                Ok(challenge) => {
                    format!("accepted {} requirement(s)", challenge.requirements.len())
                }
                Err(error) => error.code().to_owned(),
            }
        }
        "decode" => {
            let value = case["value"].as_str().unwrap();
            let result = match case["document"].as_str().unwrap() {
                "PaymentPayload" => {
                    decode_header::<PaymentPayload>(value, Document::PaymentPayload).map(drop)
                }
                "SettlementResponse" => {
                    decode_header::<SettlementResponse>(value, Document::SettlementResponse)
                        .map(drop)
                }
                other => panic!("unknown document {other}"),
            };
            match result {
                Ok(()) => "accepted".to_owned(),
                Err(error) => error.code().to_owned(),
            }
        }
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn every_malformed_input_has_its_code() {
    let table: Value = serde_json::from_str(include_str!("vectors/malformed.json")).unwrap();
    let cases = table["cases"].as_array().unwrap();
    assert!(cases.len() >= 30, "the table must hold at least 30 cases");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let got = code_of(case);
            let want = case["code"].as_str().unwrap();
            (got != want).then(|| format!("{}: want {want}, got {got}", case["name"]))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn one_bad_requirement_does_not_hide_a_good_one() {
    let body = br#"{"x402Version":2,"accepts":[
      {"scheme":"exact","network":"eip155:8453","amount":"-1","asset":"0xA","payTo":"0xB","maxTimeoutSeconds":1},
      {"scheme":"exact","network":"eip155:8453","amount":"5","asset":"0xA","payTo":"0xB","maxTimeoutSeconds":1}]}"#;
    let challenge = recognize(&Response402::new(402, &[("a", "b")], body)).unwrap();
    assert_eq!(challenge.requirements.len(), 1);
    assert_eq!(challenge.requirements[0].index, 1);
    assert_eq!(challenge.rejected[0].index, 0);
    assert_eq!(challenge.rejected[0].error.code(), "INVALID_AMOUNT");
}
