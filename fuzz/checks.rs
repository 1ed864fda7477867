//! The properties the fuzz targets (fuzz/fuzz_targets/*.rs, under libFuzzer) and the
//! property tests (tests/properties.rs, under `cargo test`) check on one input each.
//!
//! Every check takes raw bytes, must never panic, and asserts what must hold for
//! that input: a round trip, a canonical form, or what an accepted payment implies.
//! The first byte of most inputs selects a mode; the rest is the input proper.

#![allow(dead_code)]

use std::borrow::Cow;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use ruint::aliases::U256;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sha2::Digest as _;

use x402_wasm::dialect::{DialectId, Requirement, Response402, challenge_from_json, recognize};
use x402_wasm::error::Document;
use x402_wasm::evm::exact::{PaymentParams, prepare};
use x402_wasm::evm::verify::{Invalid, VerifyOptions, verify};
use x402_wasm::evm::{Address, PrivateKeySigner, TypedData};
use x402_wasm::protocol::{
    Amount, Network, PaymentPayload, PaymentPayloadV1, PaymentRequired, PaymentRequiredV1,
    SettlementResponse, SupportedResponse, VerifyResponse, decode_header, decode_header_text,
    encode_header, parse_price,
};
use x402_wasm::server::gate::{Accepted, Decision, Gate};
use x402_wasm::server::route::{Route, RouteConfig};
use x402_wasm::svm::exact::{SvmPayment, SvmTerms};
use x402_wasm::svm::message::{Message, Transaction};
use x402_wasm::svm::verify::verify_transaction;
use x402_wasm::svm::{Pubkey, SolanaSigner, TOKEN_PROGRAM, verify_signature};

/// The byte after the mode byte, and the rest.
fn split(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((first, rest)) => (*first, rest),
        None => (0, &[]),
    }
}

fn text(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// JSON equality, except that floats may differ in their last bit: serde_json's
/// default float parser is not correctly rounded (its `float_roundtrip` feature is
/// off), so a float printed and read back can move by one ulp. Integers, strings and
/// structure must be identical.
pub(crate) fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x.is_f64() || y.is_f64() {
                match (x.as_f64(), y.as_f64()) {
                    (Some(x), Some(y)) => {
                        x == y || (x - y).abs() <= f64::EPSILON * 4.0 * x.abs().max(y.abs())
                    }
                    _ => false,
                }
            } else {
                x == y
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// `decode(encode(x)) == x` for one model, given as JSON.
fn model_round_trip<T>(json: &str, document: Document)
where
    T: Serialize + DeserializeOwned + std::fmt::Debug,
{
    let Ok(model) = serde_json::from_str::<T>(json) else {
        return;
    };
    let header = encode_header(&model, document).expect("a model always encodes");
    let back: T = decode_header(&header, document).expect("an encoded model decodes");
    let (a, b) = (
        serde_json::to_value(&model).expect("to JSON"),
        serde_json::to_value(&back).expect("to JSON"),
    );
    assert!(
        same_json(&a, &b),
        "round trip changed {model:?} into {back:?}"
    );
}

fn every_model_round_trips(json: &str) {
    model_round_trip::<Value>(json, Document::PaymentPayload);
    model_round_trip::<PaymentRequired>(json, Document::PaymentRequired);
    model_round_trip::<PaymentPayload>(json, Document::PaymentPayload);
    model_round_trip::<PaymentRequiredV1>(json, Document::PaymentRequired);
    model_round_trip::<PaymentPayloadV1>(json, Document::PaymentPayload);
    model_round_trip::<SettlementResponse>(json, Document::SettlementResponse);
    model_round_trip::<VerifyResponse>(json, Document::VerifyResponse);
    model_round_trip::<SupportedResponse>(json, Document::SupportedResponse);
}

/// Decodes `header` as every document; whatever decodes re-encodes to itself.
fn decode_everything(header: &str) {
    let decoded = decode_header_text(header);
    if let Ok(text) = &decoded {
        // The canonical (padded) encoding of the same bytes decodes to the same text,
        // and so does the unpadded one.
        assert_eq!(
            decode_header_text(&STANDARD.encode(text)).ok().as_ref(),
            Some(text)
        );
        assert_eq!(
            decode_header_text(&STANDARD_NO_PAD.encode(text))
                .ok()
                .as_ref(),
            Some(text)
        );
        every_model_round_trips(text);
    }
    let value = decode_header::<Value>(header, Document::PaymentPayload);
    assert_eq!(
        value.is_ok(),
        decoded
            .as_ref()
            .is_ok_and(|t| serde_json::from_str::<Value>(t).is_ok()),
        "decode_header and decode_header_text disagree on {header:?}"
    );
    if let Err(e) = &value {
        assert!(!e.code().is_empty());
        let _ = e.to_string();
    }
    let _ = decode_header::<PaymentRequired>(header, Document::PaymentRequired);
    let _ = decode_header::<PaymentPayload>(header, Document::PaymentPayload);
    let _ = decode_header::<PaymentRequiredV1>(header, Document::PaymentRequired);
    let _ = decode_header::<PaymentPayloadV1>(header, Document::PaymentPayload);
    let _ = decode_header::<SettlementResponse>(header, Document::SettlementResponse);
}

/// Header decoding. Mode 0: the input is the header value. Mode 1: the input is JSON,
/// and every model it parses as round-trips through the header codec. Mode 2: the input
/// is base64-encoded (padded, unpadded or with outer whitespace) and must decode back.
pub(crate) fn header_decode(data: &[u8]) {
    let (mode, rest) = split(data);
    match mode % 3 {
        0 => decode_everything(&text(rest)),
        1 => every_model_round_trips(&text(rest)),
        _ => {
            let encoded = match mode / 3 % 3 {
                0 => STANDARD.encode(rest),
                1 => STANDARD_NO_PAD.encode(rest),
                _ => format!(" \t{}\r\n", STANDARD.encode(rest)),
            };
            let decoded = decode_header_text(&encoded);
            match std::str::from_utf8(rest) {
                Ok(original) if encoded.len() <= x402_wasm::protocol::MAX_HEADER_LEN => {
                    assert_eq!(decoded.ok().as_deref(), Some(original));
                }
                Ok(_) => assert_eq!(decoded.map_err(|e| e.code()), Err("HEADER_TOO_LARGE")),
                Err(_) => assert!(decoded.is_err(), "invalid UTF-8 decoded"),
            }
            decode_everything(&encoded);
        }
    }
}

/// 402 recognition on an arbitrary status, headers and body.
///
/// Byte 0: bits 0-1 = 3 takes the status from the next two bytes (else 402); bit 2
/// adds a `PAYMENT-REQUIRED` header made of the input up to the first newline (bit 3:
/// base64 of it, as a server would send; else the raw text; bit 4: upper-case name);
/// bit 5 adds an unrelated header. The rest is the body.
pub(crate) fn recognize_402(data: &[u8]) {
    let (flags, mut rest) = split(data);
    let mut status = 402u16;
    if flags & 3 == 3 {
        if let Some((head, tail)) = rest.split_first_chunk::<2>() {
            status = u16::from_be_bytes(*head);
            rest = tail;
        }
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    if flags & 32 != 0 {
        headers.push(("Content-Type".into(), "application/json".into()));
    }
    if flags & 64 != 0 {
        // Seed 003: the first line holds `name=value` pairs separated by `;`, sent as
        // X-402-<name> headers; the rest is the body.
        let (line, tail) = match rest.iter().position(|b| *b == b'\n') {
            Some(at) => (
                rest.get(..at).unwrap_or_default(),
                rest.get(at + 1..).unwrap_or_default(),
            ),
            None => (rest, &[][..]),
        };
        for pair in text(line).split(';') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            headers.push((format!("X-402-{name}"), value.to_owned()));
        }
        rest = tail;
    }
    let body = if flags & 4 != 0 {
        let (header, body) = match rest.iter().position(|b| *b == b'\n') {
            Some(at) => (
                rest.get(..at).unwrap_or_default(),
                rest.get(at + 1..).unwrap_or_default(),
            ),
            None => (rest, &[][..]),
        };
        let value = if flags & 8 != 0 {
            STANDARD.encode(header)
        } else {
            text(header).into_owned()
        };
        let name = if flags & 16 != 0 {
            "PAYMENT-REQUIRED"
        } else {
            "payment-required"
        };
        headers.push((name.into(), value));
        body
    } else {
        rest
    };
    let response = Response402::new(status, &headers, body);
    let result = recognize(&response);
    let challenge = match result {
        Ok(challenge) => challenge,
        Err(error) => {
            assert!(!error.code().is_empty());
            let _ = error.to_string();
            if status != 402 {
                assert_eq!(error.code(), "NOT_402");
            }
            return;
        }
    };
    assert_eq!(status, 402, "a challenge from a {status}");
    if !challenge.dialect.is_x402() {
        check_seed_challenge(&challenge);
        return;
    }
    match challenge.dialect {
        DialectId::X402V1 => assert_eq!(challenge.x402_version, 1),
        _ => assert_eq!(challenge.x402_version, 2),
    }
    assert!(
        !challenge.requirements.is_empty(),
        "a challenge with no usable requirement"
    );
    // Every listed requirement is either usable or rejected, once, in order.
    let mut indices: Vec<usize> = challenge
        .requirements
        .iter()
        .map(|r| r.index)
        .chain(challenge.rejected.iter().map(|r| r.index))
        .collect();
    indices.sort_unstable();
    assert!(
        indices.iter().enumerate().all(|(i, index)| i == *index),
        "{indices:?}"
    );
    assert!(
        challenge
            .requirements
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.index < b.index))
    );
    for requirement in &challenge.requirements {
        check_requirement(requirement, challenge.x402_version);
        let by_index = challenge.find_requirement(&Value::from(requirement.index as u64));
        assert_eq!(by_index.ok(), Some(requirement));
        let by_raw = challenge
            .find_requirement(&requirement.raw)
            .expect("found by raw");
        assert_eq!(by_raw.raw, requirement.raw);
    }
    for rejected in &challenge.rejected {
        assert!(!rejected.error.code().is_empty());
    }
    // The same document, handed over already decoded, is read the same way.
    let document = match challenge.dialect {
        DialectId::X402V2Header => headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("payment-required"))
            .and_then(|(_, v)| decode_header::<Value>(v, Document::PaymentRequired).ok()),
        _ => serde_json::from_slice::<Value>(body).ok(),
    };
    let document = document.expect("a recognised challenge has a document");
    let again = challenge_from_json(&document).expect("the document is a challenge");
    assert_eq!(again.requirements, challenge.requirements);
    assert_eq!(again.x402_version, challenge.x402_version);
}

/// A seed dialect's challenge: one requirement, priced in atomic units, whose
/// network, asset and recipient read back, and whose extra says how to pay.
fn check_seed_challenge(challenge: &x402_wasm::dialect::Challenge) {
    assert_eq!(challenge.x402_version, 0);
    assert!(challenge.rejected.is_empty());
    let [requirement] = challenge.requirements.as_slice() else {
        panic!("a seed challenge has exactly one requirement");
    };
    check_reads_back(requirement);
    assert!(!requirement.asset.is_empty() && !requirement.pay_to.is_empty());
    let extra = requirement
        .extra
        .as_ref()
        .expect("seed requirements carry extra");
    match challenge.dialect {
        DialectId::SolanaPay => {
            assert!(requirement.network.is_solana());
            assert!(extra.get("reference").and_then(Value::as_str).is_some());
            assert!(extra.get("expiresAt").and_then(Value::as_i64).is_some());
        }
        DialectId::X402Headers => assert!(requirement.network.is_evm()),
        DialectId::FacilitatorPay => {
            let url = extra
                .get("facilitatorUrl")
                .and_then(Value::as_str)
                .unwrap_or_default();
            assert!(url.starts_with("http://") || url.starts_with("https://"));
        }
        other => panic!("unexpected dialect {other:?}"),
    }
    let _ = serde_json::to_value(requirement).expect("a requirement serializes");
}

/// The amount and the network print and parse back to themselves.
fn check_reads_back(requirement: &Requirement) {
    assert_eq!(
        Amount::parse(&requirement.amount.to_string()).ok(),
        Some(requirement.amount)
    );
    assert_eq!(
        Network::parse(&requirement.network.to_string())
            .ok()
            .as_ref(),
        Some(&requirement.network)
    );
}

fn check_requirement(requirement: &Requirement, version: u8) {
    check_reads_back(requirement);
    assert!(!requirement.scheme.is_empty() && !requirement.asset.is_empty());
    assert!(!requirement.pay_to.is_empty());
    let again = match version {
        1 => Requirement::from_v1(requirement.index, &requirement.raw),
        _ => Requirement::from_v2(requirement.index, &requirement.raw),
    };
    assert_eq!(again.ok().as_ref(), Some(requirement));
    let _ = serde_json::to_value(requirement).expect("a requirement serializes");
}

/// Amounts, prices, networks and addresses. Byte 0: the decimals; the rest: the text.
pub(crate) fn amount_price(data: &[u8]) {
    let (decimals, rest) = split(data);
    let input = text(rest);
    let input = input.as_ref();

    match Amount::parse(input) {
        Ok(amount) => {
            assert!(input.bytes().all(|b| b.is_ascii_digit()) && !input.is_empty());
            let canonical = input.trim_start_matches('0');
            let printed = amount.to_string();
            assert_eq!(printed, if canonical.is_empty() { "0" } else { canonical });
            assert_eq!(Amount::parse(&printed).ok(), Some(amount));
            let json = serde_json::to_string(&amount).expect("serializes");
            assert_eq!(serde_json::from_str::<Amount>(&json).ok(), Some(amount));
            assert_eq!(
                U256::from_str_radix(&printed, 10).ok(),
                Some(amount.as_u256())
            );
            assert_eq!(amount.to_u64(), u64::try_from(amount.as_u256()).ok());
            // Formatted in units, it parses back as a price to the same amount.
            let formatted = amount.format_units(decimals);
            let price = parse_price(&formatted, decimals).expect("a formatted amount is a price");
            assert_eq!(price.amount, amount, "{formatted} at {decimals} decimals");
            assert_eq!(price.currency, None);
            // Arithmetic: a + b - b == a, when it fits.
            let other = Amount::from(U256::from(decimals) << 200usize);
            if let Ok(sum) = amount.checked_add(other) {
                assert_eq!(sum.checked_sub(other), Some(amount));
                assert!(sum >= amount);
            } else {
                assert!(amount.as_u256().checked_add(other.as_u256()).is_none());
            }
        }
        Err(error) => {
            let digits = !input.is_empty() && input.bytes().all(|b| b.is_ascii_digit());
            let expected = if digits {
                "AMOUNT_OVERFLOW"
            } else {
                "INVALID_AMOUNT"
            };
            assert_eq!(error.code(), expected, "{input:?}");
        }
    }

    match parse_price(input, decimals) {
        Ok(price) => {
            if let Some(currency) = &price.currency {
                assert!(!currency.is_empty() && !currency.bytes().any(|b| b.is_ascii_lowercase()));
            }
            let formatted = price.amount.format_units(decimals);
            assert_eq!(
                parse_price(&formatted, decimals).map(|p| p.amount).ok(),
                Some(price.amount)
            );
            // Exactness: one more decimal is ten times the atomic amount.
            if let Some(more) = decimals.checked_add(1) {
                let tenfold = price.amount.as_u256().checked_mul(U256::from(10u8));
                match parse_price(input, more) {
                    Ok(p) => assert_eq!(Some(p.amount.as_u256()), tenfold, "{input:?}"),
                    Err(e) => {
                        assert_eq!(e.code(), "AMOUNT_OVERFLOW");
                        assert_eq!(tenfold, None);
                    }
                }
            }
        }
        Err(error) => {
            let code = error.code();
            assert!(
                ["INVALID_PRICE", "AMOUNT_PRECISION", "AMOUNT_OVERFLOW"].contains(&code),
                "{code}"
            );
        }
    }

    if let Ok(network) = Network::parse(input) {
        let printed = network.to_string();
        assert_eq!(Network::parse(&printed).ok().as_ref(), Some(&network));
        if let Some(name) = network.v1_name() {
            assert_eq!(Network::from_v1_name(name).as_ref(), Some(&network));
        }
        assert_eq!(network.is_evm(), network.chain_id().is_some());
    }
    if let Ok(address) = Address::parse(input) {
        assert_eq!(Address::parse(&address.to_checksum()).ok(), Some(address));
        assert!(input.eq_ignore_ascii_case(&address.to_checksum()));
    }
    if let Ok(key) = Pubkey::parse(input) {
        assert_eq!(key.to_string(), input);
    }
}

// ---------------------------------------------------------------------------------
// EVM

/// The clock of the EVM fixtures: payments are signed at NOW and verified 10 s later.
const NOW: u64 = 1_740_672_089;

const EIP3009_REQUIREMENT: &str = r#"{"scheme":"exact","network":"eip155:8453","amount":"10000",
  "asset":"0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
  "payTo":"0x209693Bc6afc0C5328bA36FaF03C514EF312287C","maxTimeoutSeconds":60,
  "extra":{"name":"USD Coin","version":"2"}}"#;
const PERMIT2_REQUIREMENT: &str = r#"{"scheme":"exact","network":"eip155:8453","amount":"10000",
  "asset":"0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
  "payTo":"0x209693Bc6afc0C5328bA36FaF03C514EF312287C","maxTimeoutSeconds":60,
  "extra":{"name":"USD Coin","version":"2","assetTransferMethod":"permit2"}}"#;

/// One fixed requirement and a payment for it, signed by a fixed test key.
pub(crate) struct EvmFixture {
    pub(crate) requirement: Requirement,
    pub(crate) payload: Value,
    pub(crate) payer: Address,
    pub(crate) nonce: String,
}

fn requirement(json: &str) -> Requirement {
    let raw: Value = serde_json::from_str(json).expect("fixture JSON");
    Requirement::from_v2(0, &raw).expect("fixture requirement")
}

pub(crate) fn evm_fixtures() -> &'static [EvmFixture; 2] {
    static FIXTURES: OnceLock<[EvmFixture; 2]> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let signer = PrivateKeySigner::from_bytes(&[0x42; 32]).expect("test key");
        let make = |json: &str| {
            let requirement = requirement(json);
            let params = PaymentParams {
                now: NOW,
                nonce: [0x5a; 32],
                valid_after: None,
            };
            let prepared = prepare(&requirement, signer.address(), &params).expect("prepare");
            let payload = prepared.payload_signed_by(&signer.sign_digest(&prepared.digest));
            let verified = verify(
                "exact",
                &requirement.network,
                &payload,
                &requirement,
                &options(),
            )
            .expect("the fixture payment verifies");
            EvmFixture {
                requirement,
                payload,
                payer: signer.address(),
                nonce: verified.nonce,
            }
        };
        [make(EIP3009_REQUIREMENT), make(PERMIT2_REQUIREMENT)]
    })
}

fn options() -> VerifyOptions {
    VerifyOptions::at(NOW + 10)
}

/// The places of a payload the patch mode replaces.
const EVM_PATHS: [&str; 20] = [
    "",
    "/signature",
    "/authorization",
    "/authorization/from",
    "/authorization/to",
    "/authorization/value",
    "/authorization/validAfter",
    "/authorization/validBefore",
    "/authorization/nonce",
    "/permit2Authorization",
    "/permit2Authorization/from",
    "/permit2Authorization/spender",
    "/permit2Authorization/nonce",
    "/permit2Authorization/deadline",
    "/permit2Authorization/permitted",
    "/permit2Authorization/permitted/token",
    "/permit2Authorization/permitted/amount",
    "/permit2Authorization/witness",
    "/permit2Authorization/witness/to",
    "/permit2Authorization/witness/validAfter",
];

/// EVM payload verification against a fixed requirement.
///
/// Byte 0: bit 0 picks the requirement (EIP-3009 or Permit2); bit 1 set: the rest is
/// the whole scheme payload as JSON; clear: the fixture's own signed payment is patched,
/// byte 1 choosing the place and the rest (JSON, else a string) the new value. Bit 2
/// verifies under scheme `"Exact"`, which must fail.
///
/// An accepted payment is by its stated `from`, to the requirement's recipient; a
/// patched fixture that is still accepted is by the fixture's key with the fixture's
/// replay nonce (whatever the spelling of its numbers).
pub(crate) fn evm_verify(data: &[u8]) {
    let (flags, rest) = split(data);
    let fixture = match evm_fixtures() {
        [eip3009, permit2] => {
            if flags & 1 == 0 {
                eip3009
            } else {
                permit2
            }
        }
    };
    let (payload, patched) = if flags & 2 != 0 {
        match serde_json::from_slice::<Value>(rest) {
            Ok(v) => (v, false),
            Err(_) => return,
        }
    } else {
        let (place, value) = split(rest);
        let path = EVM_PATHS
            .get(usize::from(place) % EVM_PATHS.len())
            .copied()
            .unwrap_or("");
        let value = serde_json::from_slice::<Value>(value)
            .unwrap_or_else(|_| Value::String(text(value).into_owned()));
        let mut payload = fixture.payload.clone();
        match payload.pointer_mut(path) {
            Some(slot) => *slot = value,
            None => return,
        }
        (payload, !path.is_empty())
    };
    let scheme = if flags & 4 != 0 { "Exact" } else { "exact" };
    let requirement = &fixture.requirement;
    let result = verify(
        scheme,
        &requirement.network,
        &payload,
        requirement,
        &options(),
    );
    if scheme != "exact" {
        assert_eq!(result, Err(Invalid::Scheme));
        return;
    }
    match result {
        Ok(verified) => {
            check_accepted_evm(&payload, &verified.payer.to_checksum(), &verified.nonce);
            if patched {
                assert_eq!(
                    verified.payer, fixture.payer,
                    "accepted a payment by someone else"
                );
                assert_eq!(
                    verified.nonce.to_ascii_lowercase(),
                    fixture.nonce.to_ascii_lowercase(),
                    "an accepted variant has another replay key"
                );
            }
            assert!(verified.valid_before >= NOW + 10);
        }
        Err(invalid) => assert!(!invalid.reason().is_empty()),
    }
}

/// What an accepted EVM scheme payload implies: the payer is its `from`, the nonce its
/// nonce, the recipient and amount the fixed requirement's.
fn check_accepted_evm(payload: &Value, payer: &str, nonce: &str) {
    let uint = |v: Option<&Value>| match v {
        Some(Value::String(s)) if !s.starts_with("0x") => U256::from_str_radix(s, 10).ok(),
        Some(Value::String(s)) => U256::from_str_radix(s.trim_start_matches("0x"), 16).ok(),
        Some(Value::Number(n)) => n.as_u64().map(U256::from),
        _ => None,
    };
    let amount = Some(U256::from(10_000u64));
    let pay_to = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";
    let (from, to) = if let Some(auth) = payload.get("authorization") {
        assert_eq!(uint(auth.get("value")), amount);
        let stated = auth
            .get("nonce")
            .and_then(Value::as_str)
            .unwrap_or_default();
        assert_eq!(stated, nonce);
        (auth.get("from"), auth.get("to"))
    } else {
        let auth = payload.get("permit2Authorization").unwrap_or(&Value::Null);
        assert_eq!(uint(auth.pointer("/permitted/amount")), amount);
        assert_eq!(
            uint(auth.get("nonce")).map(|n| n.to_string()).as_deref(),
            Some(nonce)
        );
        (auth.get("from"), auth.pointer("/witness/to"))
    };
    let from = from.and_then(Value::as_str).unwrap_or_default();
    let to = to.and_then(Value::as_str).unwrap_or_default();
    assert!(
        from.eq_ignore_ascii_case(payer),
        "payer {payer} is not from {from}"
    );
    assert!(to.eq_ignore_ascii_case(pay_to), "paid {to}, not {pay_to}");
}

/// EIP-712 hashing of arbitrary typed data (JSON). Whatever hashes must hash the same
/// after a trip through the `eth_signTypedData_v4` JSON.
pub(crate) fn evm_typed_data(data: &[u8]) {
    let Ok(typed) = serde_json::from_slice::<TypedData>(data) else {
        return;
    };
    let digest = typed.digest();
    let _ = typed.encode_type(&typed.primary_type);
    let _ = typed.domain_separator();
    for name in typed.types.keys() {
        let _ = typed.encode_type(name);
        let _ = typed.hash_struct(name, &typed.message);
    }
    let v4 = typed.to_v4_json();
    let again: TypedData = serde_json::from_value(v4).expect("v4 JSON is typed data");
    match &digest {
        Ok(d) => assert_eq!(again.digest().ok().as_ref(), Some(d)),
        Err(e) => assert!(!e.code().is_empty()),
    }
}

// ---------------------------------------------------------------------------------
// Solana

const SVM_REQUIREMENT: &str = r#"{"scheme":"exact","network":"solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp",
  "amount":"10000","asset":"EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
  "payTo":"3Txfm5Pz2aBqYAzijur1Zj28pP19Y6AxPThXYoYvG7Xr","maxTimeoutSeconds":60,
  "extra":{"feePayer":"FmWChfny2QjU7cwjobJDJxLLjZhXYHqAiyobbpuEQPB8"}}"#;
const SVM_MEMO_REQUIREMENT: &str = r#"{"scheme":"exact","network":"solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1",
  "amount":"1","asset":"4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU",
  "payTo":"BHb7sv4941p6bjGmW97nyd3oUPpZbk3FXtSiZLBWJv9h","maxTimeoutSeconds":60,
  "extra":{"feePayer":"A8pFDXgRiTVHhKsJqmMV2rYsfHok8dH2xaqdyFYwvueD","memo":"order-1234"}}"#;

/// A fixed Solana requirement and a transaction paying it, signed by a test key.
pub(crate) struct SvmFixture {
    pub(crate) requirement: Requirement,
    pub(crate) transaction: Vec<u8>,
    pub(crate) message: Vec<u8>,
    pub(crate) payer: Pubkey,
}

pub(crate) fn svm_fixtures() -> &'static [SvmFixture; 2] {
    static FIXTURES: OnceLock<[SvmFixture; 2]> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let signer = SolanaSigner::from_bytes(&[0x24; 32]).expect("test key");
        let make = |json: &str| {
            let requirement = requirement(json);
            let terms = SvmTerms::from_requirement(&requirement).expect("terms");
            let payment = SvmPayment {
                payer: signer.pubkey(),
                fee_payer: terms.fee_payer,
                mint: terms.mint,
                pay_to: terms.pay_to,
                amount: terms.amount,
                decimals: 6,
                token_program: Pubkey::parse(TOKEN_PROGRAM).expect("token program"),
                recent_blockhash: [7; 32],
                memo: terms.memo.unwrap_or_else(|| b"0123456789abcdef".to_vec()),
            };
            let tx = payment.sign(&signer).expect("sign");
            let transaction = tx.serialize();
            verify_transaction(&transaction, &requirement).expect("the fixture verifies");
            SvmFixture {
                requirement,
                transaction,
                message: tx.message,
                payer: signer.pubkey(),
            }
        };
        [make(SVM_REQUIREMENT), make(SVM_MEMO_REQUIREMENT)]
    })
}

/// Solana transaction and message parsing, and verification against a fixed
/// requirement.
///
/// Byte 0: bit 0 picks the requirement (plain or with `extra.memo`); bit 1 set: the
/// rest is the wire transaction; clear: the fixture's own transaction with the rest
/// applied as (offset, xor) byte pairs. The message parser also reads the rest as is.
pub(crate) fn svm_transaction(data: &[u8]) {
    let (flags, rest) = split(data);
    let fixture = match svm_fixtures() {
        [plain, memo] => {
            if flags & 1 == 0 {
                plain
            } else {
                memo
            }
        }
    };
    let patched = flags & 2 == 0;
    let bytes: Cow<'_, [u8]> = if !patched {
        Cow::Borrowed(rest)
    } else {
        let mut tx = fixture.transaction.clone();
        for pair in rest.chunks(2) {
            if let [offset, xor] = pair {
                let len = tx.len();
                if let Some(b) = tx.get_mut(usize::from(*offset) * 3 % len.max(1)) {
                    *b ^= xor;
                }
            }
        }
        Cow::Owned(tx)
    };
    check_message(rest);
    if let Ok(tx) = Transaction::parse(&bytes) {
        let wire = tx.serialize();
        assert_eq!(Transaction::parse(&wire).ok().as_ref(), Some(&tx));
        // Non-canonical compact-u16s are refused, so what parses re-serializes to its input
        // (up to trailing bytes past the transaction, if the parser tolerates them).
        assert!(wire.len() <= bytes.len());
        if wire.len() == bytes.len() {
            assert_eq!(wire.as_slice(), bytes.as_ref());
        }
        check_message(&tx.message);
    }
    match verify_transaction(&bytes, &fixture.requirement) {
        Ok(verified) => {
            let tx = Transaction::parse(&bytes).expect("a verified transaction parses");
            if patched {
                assert_eq!(
                    verified.payer, fixture.payer,
                    "accepted a payment by someone else"
                );
                assert_eq!(
                    tx.message, fixture.message,
                    "accepted a message the payer did not sign"
                );
            }
            let signature: [u8; 64] = bs58::decode(&verified.signature)
                .into_vec()
                .ok()
                .and_then(|s| s.try_into().ok())
                .expect("the signature is base58");
            // Whatever signs it, one message is one replay key.
            assert_eq!(
                verified.replay_key,
                bs58::encode(sha2::Sha256::digest(&tx.message)).into_string(),
                "the replay key is the message's SHA-256"
            );
            assert!(tx.signatures.contains(&signature));
            assert!(verify_signature(&verified.payer, &tx.message, &signature));
            let message = Message::parse(&tx.message).expect("a verified message parses");
            let signers = usize::from(message.num_required_signatures);
            assert!(
                message
                    .account_keys
                    .iter()
                    .take(signers)
                    .any(|k| *k == verified.payer)
            );
            assert_ne!(message.account_keys.first(), Some(&verified.payer));
        }
        Err(invalid) => assert!(!invalid.reason().is_empty()),
    }
    let payload = json!({ "transaction": STANDARD.encode(bytes.as_ref()) });
    let via_payload = x402_wasm::svm::verify::verify_payload(&payload, &fixture.requirement);
    let direct = verify_transaction(&bytes, &fixture.requirement);
    assert_eq!(via_payload, direct);
}

fn check_message(bytes: &[u8]) {
    let Ok(message) = Message::parse(bytes) else {
        return;
    };
    let keys = message.account_keys.len();
    assert!(usize::from(message.num_required_signatures) <= keys);
    for ix in &message.instructions {
        assert!(usize::from(ix.program_id_index) < keys);
        assert!(ix.accounts.iter().all(|i| usize::from(*i) < keys));
    }
    let writable = (0..keys).filter(|i| message.is_writable(*i)).count();
    let signers = (0..keys).filter(|i| message.is_signer(*i)).count();
    assert_eq!(signers, usize::from(message.num_required_signatures));
    assert!(writable <= keys);
    if message.lookup_count == 0 {
        let wire = message.serialize();
        assert_eq!(Message::parse(&wire).ok().as_ref(), Some(&message));
        assert!(wire.len() <= bytes.len());
        if wire.len() == bytes.len() {
            assert_eq!(wire.as_slice(), bytes);
        }
    }
}

// ---------------------------------------------------------------------------------
// The Worker gate: a payment header against a fixed route (EVM and Solana, v1 and v2).

pub(crate) fn gate_route() -> &'static Route {
    static ROUTE: OnceLock<Route> = OnceLock::new();
    ROUTE.get_or_init(|| {
        let config: RouteConfig = serde_json::from_value(json!({
            "accepts": [
                { "network": "eip155:8453", "payTo": "0x209693Bc6afc0C5328bA36FaF03C514EF312287C",
                  "price": "$0.01" },
                { "network": "eip155:8453", "payTo": "0x209693Bc6afc0C5328bA36FaF03C514EF312287C",
                  "price": { "amount": "10000", "asset": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
                             "extra": { "name": "USD Coin", "version": "2", "assetTransferMethod": "permit2" } } },
                { "network": "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp",
                  "payTo": "3Txfm5Pz2aBqYAzijur1Zj28pP19Y6AxPThXYoYvG7Xr", "price": "$0.01",
                  "extra": { "feePayer": "FmWChfny2QjU7cwjobJDJxLLjZhXYHqAiyobbpuEQPB8" } }
            ],
            "acceptV1": true
        }))
        .expect("route config");
        Route::new(&config, "https://api.example.com/premium").expect("route")
    })
}

/// The Worker gate. Byte 0: bit 0 sends the input as `X-PAYMENT` (v1) instead of
/// `PAYMENT-SIGNATURE`; bit 1 base64-encodes the input first (else it is the header
/// value as is); bit 2 wraps the input as the scheme payload of a v2 payment for the
/// route's first requirement (then base64).
pub(crate) fn server_gate(data: &[u8]) {
    let (flags, rest) = split(data);
    let route = gate_route();
    let header = if flags & 4 != 0 {
        let Ok(payload) = serde_json::from_slice::<Value>(rest) else {
            return;
        };
        let accepted = route.accepts().first().cloned().unwrap_or(Value::Null);
        let payment = json!({ "x402Version": 2, "accepted": accepted, "payload": payload });
        STANDARD.encode(payment.to_string())
    } else if flags & 2 != 0 {
        STANDARD.encode(rest)
    } else {
        text(rest).into_owned()
    };
    let gate = Gate::new(route);
    let decision = if flags & 1 != 0 {
        gate.decide(None, Some(&header), &options())
    } else {
        gate.decide(Some(&header), None, &options())
    };
    match decision {
        Decision::Accepted(accepted) => {
            let payload = accepted.payment.get("payload").unwrap_or(&Value::Null);
            if accepted.replay_key.starts_with("solana:") {
                check_accepted_svm(&accepted);
                return;
            }
            let nonce = accepted.replay_key.rsplit('/').next().unwrap_or_default();
            let stated = payload
                .pointer("/authorization/nonce")
                .and_then(Value::as_str);
            if let Some(stated) = stated {
                assert_eq!(stated.to_ascii_lowercase(), nonce);
            }
            check_accepted_evm(payload, &accepted.payer, stated.unwrap_or(nonce));
            let expected = format!("eip155:8453/{}/", accepted.payer);
            assert!(
                accepted.replay_key.starts_with(&expected),
                "{}",
                accepted.replay_key
            );
            assert!(accepted.expires_at >= NOW + 10);
        }
        Decision::Malformed(error) => assert!(!error.code().is_empty()),
        Decision::Refused { reason } => assert!(!reason.is_empty()),
        Decision::Challenge => panic!("a payment header was taken for no payment"),
    }
}

/// An accepted Solana payment verifies on its own against the requirement the gate
/// names, by the payer it names, under the replay key of its payer's signature.
fn check_accepted_svm(accepted: &Accepted) {
    let payload = accepted.payment.get("payload").unwrap_or(&Value::Null);
    let tx = payload
        .get("transaction")
        .and_then(Value::as_str)
        .and_then(|t| STANDARD.decode(t).ok())
        .expect("an accepted Solana payment carries its transaction");
    let requirement = match accepted.x402_version {
        1 => Requirement::from_v1(0, &accepted.requirement),
        _ => Requirement::from_v2(0, &accepted.requirement),
    }
    .expect("the gate names a valid requirement");
    let verified = verify_transaction(&tx, &requirement).expect("it verifies on its own");
    assert_eq!(verified.payer.to_string(), accepted.payer);
    assert_eq!(
        accepted.replay_key,
        format!("{}/{}", requirement.network, verified.replay_key)
    );
    assert!(accepted.expires_at > options().now);
}
