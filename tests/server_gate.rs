//! The Worker helper's gate, natively: route resolution, and the decision on
//! payment headers (good, tampered, expired, wrong chain, malformed, v1).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use ruint::aliases::U256;
use serde_json::{Value, json};
use x402_wasm::client::payment_payload;
use x402_wasm::dialect::challenge_from_json;
use x402_wasm::error::Document;
use x402_wasm::evm::PrivateKeySigner;
use x402_wasm::evm::exact::{PaymentParams, prepare};
use x402_wasm::protocol::encode_header;
use x402_wasm::server::{Decision, Gate, GateOptions, Route, RouteConfig};

const NOW: u64 = 1_800_000_000;
const PAY_TO: &str = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";

fn route(accept_v1: bool) -> Route {
    let config: RouteConfig = serde_json::from_value(json!({
        "accepts": [{ "network": "base", "payTo": PAY_TO, "price": "$0.01" }],
        "resource": { "description": "Weather" }, "acceptV1": accept_v1,
    }))
    .unwrap();
    Route::new(&config, "https://api.example/weather").unwrap()
}

/// A payment for the route's first requirement, as a client makes it, then `edit`ed.
fn payment(route: &Route, version: u8, edit: impl Fn(&mut Value)) -> String {
    payment_for(route, version, 0, edit)
}

/// A payment for the route's requirement `index`, as a client makes it, then `edit`ed.
fn payment_for(route: &Route, version: u8, index: usize, edit: impl Fn(&mut Value)) -> String {
    let document = if version == 1 {
        route.v1_body.clone().unwrap()
    } else {
        route.payment_required.clone()
    };
    let challenge = challenge_from_json(&document).unwrap();
    let signer = PrivateKeySigner::from_hex(&"11".repeat(32)).unwrap();
    let params = PaymentParams {
        now: NOW,
        nonce: [7; 32],
        valid_after: None,
    };
    let requirement = &challenge.requirements[index];
    let prepared = prepare(requirement, signer.address(), &params).unwrap();
    let payload = prepared
        .payload(&signer.sign_digest(&prepared.digest))
        .unwrap();
    let mut payment = payment_payload(&challenge, requirement, payload);
    edit(&mut payment);
    encode_header(&payment, Document::PaymentPayload).unwrap()
}

fn outcome(decision: Decision) -> String {
    match decision {
        Decision::Challenge => "challenge".into(),
        Decision::Malformed(e) => format!("400 {}", e.code()),
        Decision::Refused { reason } => format!("402 {reason}"),
        Decision::Accepted(a) => format!("accepted v{} {}", a.x402_version, a.payer),
    }
}

/// A Solana `exact` transaction (base64) paying `requirement`, signed by the test payer,
/// and that payer's address.
fn solana_transaction(requirement: &x402_wasm::dialect::Requirement) -> (String, String) {
    use base64::Engine as _;
    use x402_wasm::svm::SolanaSigner;
    use x402_wasm::svm::exact::{SvmPayment, SvmTerms};
    let terms = SvmTerms::from_requirement(requirement).unwrap();
    let signer = SolanaSigner::from_bytes(&[9u8; 32]).unwrap();
    let payment = SvmPayment {
        payer: signer.pubkey(),
        fee_payer: terms.fee_payer,
        mint: terms.mint,
        pay_to: terms.pay_to,
        amount: terms.amount,
        decimals: 6,
        token_program: x402_wasm::svm::Pubkey::parse(x402_wasm::svm::TOKEN_PROGRAM).unwrap(),
        recent_blockhash: [3; 32],
        memo: b"0123456789abcdef0123456789abcdef".to_vec(),
    };
    let tx = base64::engine::general_purpose::STANDARD
        .encode(payment.sign(&signer).unwrap().serialize());
    (tx, signer.pubkey().to_string())
}

#[test]
fn money_prices_resolve_through_the_known_asset_table() {
    let r = route(true);
    let accepted = &r.accepts()[0];
    assert_eq!(accepted["network"], "eip155:8453");
    assert_eq!(accepted["amount"], "10000");
    assert_eq!(
        accepted["asset"],
        "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
    );
    assert_eq!(
        accepted["extra"],
        json!({ "name": "USD Coin", "version": "2" })
    );
    assert_eq!(
        r.payment_required["resource"]["url"],
        "https://api.example/weather"
    );
    let v1 = &r.v1_accepts()[0];
    assert_eq!(
        (v1["network"].as_str(), v1["maxAmountRequired"].as_str()),
        (Some("base"), Some("10000"))
    );
    assert!(
        v1.get("outputSchema").is_none(),
        "v1 clients refuse null members"
    );
    for bad in [
        json!({ "accepts": [{ "network": "eip155:31337", "payTo": PAY_TO, "price": "$0.01" }] }),
        json!({ "accepts": [{ "network": "base", "payTo": PAY_TO, "price": "$0.0000001" }] }),
        // The README's placeholder, a Solana key on an EVM chain, an EVM address on Solana.
        json!({ "accepts": [{ "network": "base", "payTo": "0xYourAddress…", "price": "$0.01" }] }),
        json!({ "accepts": [{ "network": "base", "payTo": "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin", "price": "$0.01" }] }),
        json!({ "accepts": [{ "network": "solana", "payTo": PAY_TO, "price": "$0.01" }] }),
        json!({ "accepts": [{ "network": "base", "payTo": PAY_TO, "price": { "amount": "1", "asset": "USDC" } }] }),
    ] {
        let config: RouteConfig = serde_json::from_value(bad).unwrap();
        assert_eq!(
            Route::new(&config, "https://x/").unwrap_err().code(),
            "INVALID_ROUTE_CONFIG"
        );
    }
}

#[test]
fn decisions_on_payment_headers() {
    let r = route(false);
    let gate = Gate::new(&r);
    let at = |now| GateOptions::at(now);
    let decide = |header: &str, now| outcome(gate.decide(Some(header), None, &at(now)));
    assert_eq!(outcome(gate.decide(None, None, &at(NOW))), "challenge");
    let good = payment(&r, 2, |_| {});
    assert!(
        decide(&good, NOW).starts_with("accepted v2 0x"),
        "{}",
        decide(&good, NOW)
    );
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "amount lowered in both places",
            payment(&r, 2, |p| {
                p["accepted"]["amount"] = json!("1");
                p["payload"]["authorization"]["value"] = json!("1");
            }),
            "402 invalid_exact_evm_payload_authorization_value_mismatch",
        ),
        (
            "amount raised in the authorization",
            payment(&r, 2, |p| {
                p["payload"]["authorization"]["value"] = json!("10001")
            }),
            "402 invalid_exact_evm_payload_authorization_value_mismatch",
        ),
        (
            "payTo swapped",
            payment(&r, 2, |p| {
                p["payload"]["authorization"]["to"] =
                    json!("0x3333333333333333333333333333333333333333")
            }),
            "402 invalid_exact_evm_payload_recipient_mismatch",
        ),
        (
            "signature flipped",
            payment(&r, 2, |p| {
                let s = p["payload"]["signature"].as_str().unwrap().to_owned();
                p["payload"]["signature"] = json!(
                    format!("{}{}", &s[..10], if &s[10..11] == "a" { "b" } else { "a" }) + &s[11..]
                );
            }),
            "402 invalid_exact_evm_payload_signature",
        ),
        (
            "wrong chain",
            payment(&r, 2, |p| p["accepted"]["network"] = json!("eip155:84532")),
            "402 invalid_network",
        ),
        (
            "a scheme the route does not offer on its network",
            payment(&r, 2, |p| p["accepted"]["scheme"] = json!("upto")),
            "402 unsupported_scheme",
        ),
        (
            "another scheme on a network the route does not offer",
            payment(&r, 2, |p| {
                p["accepted"]["scheme"] = json!("upto");
                p["accepted"]["network"] = json!("eip155:84532");
            }),
            "402 invalid_network",
        ),
        (
            // A facilitator would settle the Permit2 one, checked here on the EIP-3009 one.
            "a Permit2 authorization beside the EIP-3009 one",
            payment(&r, 2, |p| {
                p["payload"]["permit2Authorization"] =
                    json!({ "from": PAY_TO, "permitted": {}, "witness": {} })
            }),
            "402 invalid_payload",
        ),
        (
            "an empty permit2Authorization beside the EIP-3009 one",
            payment(&r, 2, |p| {
                p["payload"]["permit2Authorization"] = Value::Null
            }),
            "402 invalid_payload",
        ),
        (
            "accepted not an object",
            payment(&r, 2, |p| p["accepted"] = json!("exact")),
            "400 INVALID_PAYLOAD",
        ),
        (
            "unknown version",
            payment(&r, 2, |p| p["x402Version"] = json!(7)),
            "400 UNSUPPORTED_VERSION",
        ),
    ];
    for (name, header, want) in cases {
        assert_eq!(decide(&header, NOW), want, "{name}");
    }
    // An authorization signed valid for ten years (a route offering that, then the payment's
    // `accepted` set back to the route's 60 s): far past maxTimeoutSeconds, so refused.
    let decade: RouteConfig = serde_json::from_value(json!({
        "accepts": [{ "network": "base", "payTo": PAY_TO, "price": "$0.01", "maxTimeoutSeconds": 315_360_000 }],
        "resource": { "description": "Weather" },
    }))
    .unwrap();
    let decade = Route::new(&decade, "https://api.example/weather").unwrap();
    let long = payment(&decade, 2, |p| {
        p["accepted"]["maxTimeoutSeconds"] = json!(60)
    });
    assert_eq!(
        decide(&long, NOW),
        "402 invalid_exact_evm_payload_authorization_valid_before"
    );
    assert_eq!(
        decide(&good, NOW + 61),
        "402 invalid_exact_evm_payload_authorization_valid_before",
        "expired"
    );
    assert_eq!(
        decide(&good, NOW - 700),
        "402 invalid_exact_evm_payload_authorization_valid_after",
        "not yet valid"
    );
    assert_eq!(decide("%%%", NOW), "400 INVALID_HEADER");
    assert_eq!(decide(&"A".repeat(40_000), NOW), "400 HEADER_TOO_LARGE");
}

#[test]
fn a_payment_is_matched_to_the_requirement_of_its_transfer_method() {
    // The same token, recipient and amount, by EIP-3009 or by Permit2, in either order: each
    // payment (v2, or v1, which names no requirement) is given to the facilitator with the
    // requirement of its own transfer method, `extra` included.
    let eip3009 = json!({ "network": "base", "payTo": PAY_TO, "price": "$0.01" });
    let permit2 = json!({ "network": "base", "payTo": PAY_TO, "price": "$0.01", "extra": { "assetTransferMethod": "permit2" } });
    for accepts in [
        vec![eip3009.clone(), permit2.clone()],
        vec![permit2.clone(), eip3009.clone()],
    ] {
        let config: RouteConfig =
            serde_json::from_value(json!({ "accepts": accepts, "acceptV1": true })).unwrap();
        let r = Route::new(&config, "https://api.example/weather").unwrap();
        let gate = Gate::new(&r);
        for version in [2, 1] {
            for index in [0, 1] {
                let header = payment_for(&r, version, index, |p| {
                    // "eip3009" spelled out is the same method as none.
                    if version == 2 && p["accepted"]["extra"]["assetTransferMethod"].is_null() {
                        p["accepted"]["extra"]["assetTransferMethod"] = json!("eip3009");
                    }
                });
                let (v1, v2) = if version == 1 {
                    (Some(header.as_str()), None)
                } else {
                    (None, Some(header.as_str()))
                };
                let Decision::Accepted(a) = gate.decide(v2, v1, &GateOptions::at(NOW)) else {
                    panic!("v{version} requirement {index} was not accepted");
                };
                let method = accepts[index]["extra"]["assetTransferMethod"].as_str();
                let member = if method.is_some() {
                    "permit2Authorization"
                } else {
                    "authorization"
                };
                assert!(a.payment["payload"].get(member).is_some());
                assert_eq!(
                    a.requirement["extra"]["assetTransferMethod"].as_str(),
                    method,
                    "v{version} requirement {index} of {accepts:?}"
                );
            }
        }
    }
}

#[test]
fn v1_payments_only_when_accepted() {
    let v1_route = route(true);
    let header = payment(&v1_route, 1, |_| {});
    let decision = Gate::new(&v1_route).decide(None, Some(&header), &GateOptions::at(NOW));
    assert!(outcome(decision).starts_with("accepted v1 0x"));
    let v2_only = route(false);
    let decision = Gate::new(&v2_only).decide(None, Some(&header), &GateOptions::at(NOW));
    assert_eq!(outcome(decision), "402 invalid_x402_version");
    // A v1 payment of another scheme, on the route's network or not.
    let decide_v1 = |edit: fn(&mut Value)| {
        let header = payment(&v1_route, 1, edit);
        outcome(Gate::new(&v1_route).decide(None, Some(&header), &GateOptions::at(NOW)))
    };
    assert_eq!(
        decide_v1(|p| p["scheme"] = json!("upto")),
        "402 unsupported_scheme"
    );
    assert_eq!(
        decide_v1(|p| {
            p["scheme"] = json!("upto");
            p["network"] = json!("polygon");
        }),
        "402 invalid_network"
    );
}

#[test]
fn replay_keys_identify_the_authorization() {
    let r = route(false);
    let header = payment(&r, 2, |_| {});
    let Decision::Accepted(a) = Gate::new(&r).decide(Some(&header), None, &GateOptions::at(NOW))
    else {
        panic!()
    };
    assert_eq!(
        a.replay_key,
        format!("eip155:8453/{}/0x{}", a.payer, "07".repeat(32))
    );
    assert_eq!(a.expires_at, NOW + 60);
}

#[test]
fn solana_payments_pass_the_gate_once_verified() {
    let mint = "4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU";
    let fee_payer = "A8pFDXgRiTVHhKsJqmMV2rYsfHok8dH2xaqdyFYwvueD";
    let pay_to = "9iwnHYithMG2kK9j7HnNWsvn9MaJVqSqmdEN62xyKc8K";
    let config: RouteConfig = serde_json::from_value(json!({ "accepts": [{
        "network": "solana-devnet", "payTo": pay_to, "price": "$0.01", "extra": { "feePayer": fee_payer } }] }))
    .unwrap();
    let route = Route::new(&config, "https://api.example/sol").unwrap();
    let challenge = challenge_from_json(&route.payment_required).unwrap();
    let requirement = &challenge.requirements[0];
    assert_eq!(
        (
            requirement.amount.to_string().as_str(),
            requirement.asset.as_str()
        ),
        ("10000", mint)
    );
    let (tx, payer) = solana_transaction(requirement);
    let header = |payload: Value| {
        let document = payment_payload(&challenge, requirement, payload);
        encode_header(&document, Document::PaymentPayload).unwrap()
    };
    let gate = Gate::new(&route);
    let decision = gate.decide(
        Some(&header(json!({ "transaction": tx }))),
        None,
        &GateOptions::at(NOW),
    );
    let Decision::Accepted(accepted) = decision else {
        panic!("{}", outcome(decision))
    };
    assert_eq!(accepted.payer, payer);
    assert!(
        accepted
            .replay_key
            .starts_with("solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1/")
    );
    assert_eq!(accepted.expires_at, NOW + 120);
    let refused = gate.decide(
        Some(&header(json!({ "transaction": "AAAA" }))),
        None,
        &GateOptions::at(NOW),
    );
    assert_eq!(
        outcome(refused),
        "402 invalid_exact_svm_payload_transaction_could_not_be_decoded"
    );
}

/// A route only serves a 402 some client can pay: the same `exact` terms the client
/// checks before asking anyone, and a time window. Each of these was served before.
#[test]
fn routes_no_client_could_pay_are_refused() {
    let fee_payer = "A8pFDXgRiTVHhKsJqmMV2rYsfHok8dH2xaqdyFYwvueD";
    let sol_pay_to = "9iwnHYithMG2kK9j7HnNWsvn9MaJVqSqmdEN62xyKc8K";
    let token = "0x1111111111111111111111111111111111111111"; // not in the known-asset table
    let refused = |config: Value, why: &str| {
        let config: RouteConfig = serde_json::from_value(config).unwrap();
        let error = Route::new(&config, "https://x/").unwrap_err();
        assert_eq!(error.code(), "INVALID_ROUTE_CONFIG", "{why}");
        error.to_string()
    };
    let message = refused(json!({ "accepts": [] }), "nothing to pay");
    assert!(message.contains("accepts is empty"), "{message}");
    for seconds in [0_u64, 1 << 53] {
        let message = refused(
            json!({ "accepts": [{ "network": "base", "payTo": PAY_TO, "price": "$0.01", "maxTimeoutSeconds": seconds }] }),
            "no time window, or one JS clients read inexactly",
        );
        assert!(message.contains("maxTimeoutSeconds"), "{message}");
    }
    let message = refused(
        json!({ "accepts": [{ "network": "solana-devnet", "payTo": sol_pay_to, "price": "$0.01" }] }),
        "a Solana exact route without the facilitator's fee payer",
    );
    assert!(message.contains("feePayer"), "{message}");
    let message = refused(
        json!({ "accepts": [{ "network": "base-sepolia", "payTo": PAY_TO, "price": { "amount": "10000", "asset": token } }] }),
        "an EIP-3009 token without its EIP-712 domain",
    );
    assert!(message.contains("EIP-712"), "{message}");
    let message = refused(
        json!({ "accepts": [{ "scheme": "", "network": "base", "payTo": PAY_TO, "price": "$0.01" }] }),
        "an empty scheme, which every payment would fail",
    );
    assert!(message.contains("scheme is empty"), "{message}");

    // The same routes with what was missing are served.
    for good in [
        json!({ "accepts": [{ "network": "solana-devnet", "payTo": sol_pay_to, "price": "$0.01", "extra": { "feePayer": fee_payer } }] }),
        json!({ "accepts": [{ "network": "base-sepolia", "payTo": PAY_TO, "price": { "amount": "10000", "asset": token, "extra": { "name": "USDC", "version": "2" } } }] }),
        json!({ "accepts": [{ "network": "base-sepolia", "payTo": PAY_TO, "price": { "amount": "10000", "asset": token }, "extra": { "assetTransferMethod": "permit2" } }] }),
        json!({ "accepts": [{ "network": "base", "payTo": PAY_TO, "price": "$0.01", "maxTimeoutSeconds": 1 }] }),
    ] {
        let config: RouteConfig = serde_json::from_value(good.clone()).unwrap();
        assert!(Route::new(&config, "https://x/").is_ok(), "{good}");
    }
}

/// A smart-contract wallet's signature (ERC-1271, ERC-6492: any length but 65 or 64
/// bytes) cannot be checked without a chain: refused by default, and past the local
/// checks only with `contract_signatures` (the Worker sets it when its facilitator
/// verifies first), every other check still made. A 65-byte signature that does not
/// recover the payer, and a 64-byte one, are refused locally, and deferred too: a
/// one-owner Safe signs with its owner's key, 65 bytes that recover another address,
/// and its `isValidSignature` (which the facilitator asks) decides.
#[test]
fn contract_wallet_signatures_pass_only_when_a_facilitator_verifies() {
    let r = route(false);
    let gate = Gate::new(&r);
    let strict = GateOptions::at(NOW);
    let deferring = GateOptions {
        contract_signatures: true,
        ..GateOptions::at(NOW)
    };
    let with_signature = |signature: String| {
        payment(&r, 2, move |p| {
            p["payload"]["signature"] = json!(signature.clone());
        })
    };
    // ERC-6492: ABI-encoded (factory, calldata, inner signature) ending in the magic bytes.
    let erc6492 = format!("0x{}{}", "ab".repeat(160), "6492".repeat(16));
    let webauthn = format!("0x{}", "cd".repeat(330));
    let good = {
        let payment = payment(&r, 2, |_| {});
        let decoded: Value =
            x402_wasm::protocol::decode_header(&payment, Document::PaymentPayload).unwrap();
        decoded["payload"]["signature"].as_str().unwrap().to_owned()
    };
    for (what, signature) in [("ERC-6492", erc6492), ("ERC-1271 (WebAuthn)", webauthn)] {
        let header = with_signature(signature);
        let refused = outcome(gate.decide(Some(&header), None, &strict));
        assert_eq!(refused, "402 invalid_payload", "{what}");
        let deferred = outcome(gate.decide(Some(&header), None, &deferring));
        assert!(deferred.starts_with("accepted v2 0x"), "{what}: {deferred}");
    }
    // r changed: 65 bytes that recover another address; and the first 64 bytes alone.
    let other_signer = format!("0x12{}", &good[4..]);
    let compact = good[..2 + 128].to_owned();
    for (what, signature, reason) in [
        (
            "another signer's",
            other_signer,
            "402 invalid_exact_evm_payload_signature",
        ),
        ("a compact (EIP-2098) one", compact, "402 invalid_payload"),
    ] {
        let header = with_signature(signature);
        assert_eq!(
            outcome(gate.decide(Some(&header), None, &strict)),
            reason,
            "{what}"
        );
        let deferred = outcome(gate.decide(Some(&header), None, &deferring));
        assert!(deferred.starts_with("accepted v2 0x"), "{what}: {deferred}");
    }
    // The payer's own key, in forms the token's ecrecover refuses (v = 0/1; high s, with v
    // flipped so that it still recovers the payer off chain): refused either way, never
    // deferred, since a facilitator that recovers leniently would pass it and settlement fail.
    let v = u8::from_str_radix(&good[130..132], 16).unwrap();
    let low_v = format!("{}{:02x}", &good[..130], v - 27);
    let order = U256::from_str_radix(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        16,
    )
    .unwrap();
    let s_value = U256::from_str_radix(&good[66..130], 16).unwrap();
    let high_s = format!(
        "{}{:064x}{:02x}",
        &good[..66],
        order - s_value,
        if v == 27 { 28 } else { 27 }
    );
    for (what, signature) in [("v = 0/1", low_v), ("high s", high_s)] {
        let header = with_signature(signature);
        for options in [&strict, &deferring] {
            assert_eq!(
                outcome(gate.decide(Some(&header), None, options)),
                "402 invalid_exact_evm_payload_signature",
                "{what}"
            );
        }
    }
    // The payer's own signature passes either way.
    let header = with_signature(good.clone());
    for options in [&strict, &deferring] {
        let decided = outcome(gate.decide(Some(&header), None, options));
        assert!(decided.starts_with("accepted v2 0x"), "{decided}");
    }
    // Everything but the signature is still checked.
    let underpaid = payment(&r, 2, |p| {
        p["payload"]["signature"] = json!(format!("0x{}", "ab".repeat(100)));
        p["accepted"]["amount"] = json!("1");
        p["payload"]["authorization"]["value"] = json!("1");
    });
    assert_eq!(
        outcome(gate.decide(Some(&underpaid), None, &deferring)),
        "402 invalid_exact_evm_payload_authorization_value_mismatch"
    );
    for not_hex in ["0xzz", "0x", "0xabc", "signature"] {
        let header = with_signature(not_hex.to_owned());
        let decided = outcome(gate.decide(Some(&header), None, &deferring));
        assert!(!decided.starts_with("accepted"), "{not_hex}: {decided}");
    }
}

#[test]
fn a_v1_payment_is_matched_to_the_requirement_its_authorization_pays() {
    // Two offers on one network (another price, another recipient): a v1 payment names no
    // requirement, so the one its authorization's recipient and amount (and Permit2 token) pay
    // is the one checked and settled, whichever of them it is.
    const OTHER: &str = "0x1111111111111111111111111111111111111111";
    let accepts = json!([
        { "network": "base", "payTo": PAY_TO, "price": "$0.05" },
        { "network": "base", "payTo": OTHER, "price": "$0.01" },
        { "network": "base", "payTo": OTHER, "price": "$0.02", "extra": { "assetTransferMethod": "permit2" } },
    ]);
    let config: RouteConfig =
        serde_json::from_value(json!({ "accepts": accepts, "acceptV1": true })).unwrap();
    let r = Route::new(&config, "https://api.example/weather").unwrap();
    for (index, amount) in [(0, "50000"), (1, "10000"), (2, "20000")] {
        let header = payment_for(&r, 1, index, |_| {});
        let Decision::Accepted(a) =
            Gate::new(&r).decide(None, Some(&header), &GateOptions::at(NOW))
        else {
            panic!("the v1 payment of requirement {index} was not accepted");
        };
        assert_eq!(
            a.requirement["maxAmountRequired"], amount,
            "requirement {index}"
        );
    }
    // One that pays none of them is still refused (checked against the first of its method).
    let tampered = payment_for(&r, 1, 1, |p| {
        p["payload"]["authorization"]["value"] = json!("30000");
    });
    assert!(
        outcome(Gate::new(&r).decide(None, Some(&tampered), &GateOptions::at(NOW)))
            .starts_with("402 ")
    );
}

#[test]
fn a_v1_payment_in_the_second_of_two_tokens_at_one_price_is_accepted_for_that_token() {
    // The same recipient and amount in two tokens: an EIP-3009 authorization names no token
    // (its signature's domain does), so the offer whose token its signature is for is the one.
    const TOKEN: &str = "0x2222222222222222222222222222222222222222";
    let accepts = json!([
        { "network": "base", "payTo": PAY_TO, "price": "$0.01" },
        { "network": "base", "payTo": PAY_TO, "price": { "amount": "10000", "asset": TOKEN, "extra": { "name": "Euro Coin", "version": "2" } } },
    ]);
    let config: RouteConfig =
        serde_json::from_value(json!({ "accepts": accepts, "acceptV1": true })).unwrap();
    let r = Route::new(&config, "https://api.example/weather").unwrap();
    // Also where smart-account signatures pass (verifyWithFacilitator), which any offer's
    // domain would take: the offer whose domain the signature recovers under is preferred.
    for contract_signatures in [false, true] {
        let options = GateOptions {
            contract_signatures,
            ..GateOptions::at(NOW)
        };
        for index in [0, 1] {
            let header = payment_for(&r, 1, index, |_| {});
            let Decision::Accepted(a) = Gate::new(&r).decide(None, Some(&header), &options) else {
                panic!("the v1 payment in token {index} was not accepted");
            };
            assert_eq!(
                a.requirement["asset"],
                r.v1_accepts()[index]["asset"],
                "token {index}, contract signatures {contract_signatures}"
            );
        }
    }
}

#[test]
fn a_v1_solana_payment_is_accepted_for_whichever_offer_it_pays() {
    // Several prices on one network: a v1 payment names no offer, and its terms are inside the
    // transaction, so each offer is tried until one verifies.
    let fee_payer = "A8pFDXgRiTVHhKsJqmMV2rYsfHok8dH2xaqdyFYwvueD";
    let pay_to = "9iwnHYithMG2kK9j7HnNWsvn9MaJVqSqmdEN62xyKc8K";
    // Five prices (more than the offers an EVM payment is tried against: a Solana one may be
    // for any of them).
    let accepts: Vec<Value> = ["$0.01", "$0.02", "$0.03", "$0.04", "$0.05"]
        .iter()
        .map(|price| json!({ "network": "solana-devnet", "payTo": pay_to, "price": price, "extra": { "feePayer": fee_payer } }))
        .collect();
    let config: RouteConfig =
        serde_json::from_value(json!({ "acceptV1": true, "accepts": accepts })).unwrap();
    let route = Route::new(&config, "https://api.example/sol").unwrap();
    let challenge = challenge_from_json(&route.v1_body.clone().unwrap()).unwrap();
    for (index, amount) in [(0, "10000"), (1, "20000"), (4, "50000")] {
        let requirement = &challenge.requirements[index];
        let (tx, _) = solana_transaction(requirement);
        let document = payment_payload(&challenge, requirement, json!({ "transaction": tx }));
        let header = encode_header(&document, Document::PaymentPayload).unwrap();
        let decision = Gate::new(&route).decide(None, Some(&header), &GateOptions::at(NOW));
        let Decision::Accepted(accepted) = decision else {
            panic!("offer {index}: {}", outcome(decision))
        };
        assert_eq!(accepted.requirement["maxAmountRequired"], amount);
    }
}

#[test]
fn a_smart_account_v1_payment_is_refused_for_its_own_reason_whatever_the_offers() {
    // Under verifyWithFacilitator a signature that is no ECDSA one (ERC-1271, 330 bytes here)
    // is checked on chain later; an expired authorization is refused as expired, with one
    // offer or two at its price (trying each offer strictly first must not change the reason).
    const TOKEN: &str = "0x2222222222222222222222222222222222222222";
    let options = GateOptions {
        contract_signatures: true,
        ..GateOptions::at(NOW + 100_000)
    };
    let usdc = json!({ "network": "base", "payTo": PAY_TO, "price": "$0.01" });
    let token = json!({ "network": "base", "payTo": PAY_TO, "price": { "amount": "10000", "asset": TOKEN, "extra": { "name": "Euro Coin", "version": "2" } } });
    for accepts in [json!([usdc.clone()]), json!([usdc, token])] {
        let config: RouteConfig =
            serde_json::from_value(json!({ "accepts": accepts, "acceptV1": true })).unwrap();
        let r = Route::new(&config, "https://api.example/weather").unwrap();
        let header = payment_for(&r, 1, 0, |p| {
            p["payload"]["signature"] = json!(format!("0x{}", "cd".repeat(330)));
        });
        assert_eq!(
            outcome(Gate::new(&r).decide(None, Some(&header), &options)),
            "402 invalid_exact_evm_payload_authorization_valid_before",
            "{accepts}"
        );
    }
}
