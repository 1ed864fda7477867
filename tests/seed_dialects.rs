//! The seed dialects (../shared/seeds 001, 003, 004) are recognised into the common
//! shape with exact atomic amounts, and malformed ones get stable codes.
//! The documents follow the seed texts, with placeholders replaced by real keys.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{Value, json};
use x402_wasm::dialect::{Challenge, DialectId, Response402, recognize};
use x402_wasm::select::{Policy, PolicyConfig};

const DEVNET_USDC: &str = "4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU";
const MAINNET_USDC: &str = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
const BASE_USDC: &str = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
const RECIPIENT: &str = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM";
const REFERENCE: &str = "7owWEdQ8YLGZ5ZTVgrSYTLhEvLaLKsbxZtvq5H9p1Ety";

fn body(json: &Value) -> Result<Challenge, x402_wasm::Error> {
    let headers: Vec<(&str, &str)> = vec![("content-type", "application/json")];
    let text = json.to_string();
    recognize(&Response402::new(402, &headers, text.as_bytes()))
}

fn solana_pay() -> Value {
    json!({
        "chain": "solana",
        "network": "devnet",
        "asset_mint": DEVNET_USDC,
        "amount": "0.25",
        "recipient": RECIPIENT,
        "reference": REFERENCE,
        "expires_at": "2026-11-21T10:02:00.000Z",
        "description": "Access to the hello endpoint result",
        "solana_pay_url": format!("solana:{RECIPIENT}?amount=0.25&spl-token={DEVNET_USDC}&reference={REFERENCE}&label=x402"),
    })
}

#[test]
fn solana_pay_reference_body() {
    let challenge = body(&solana_pay()).unwrap();
    assert_eq!(challenge.dialect, DialectId::SolanaPay);
    assert_eq!(challenge.dialect.payment_header(), "X-Payment-Reference");
    let r = &challenge.requirements[0];
    assert_eq!(r.scheme, "transfer");
    assert_eq!(
        r.network.to_string(),
        "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1"
    );
    assert_eq!(r.amount.to_string(), "250000");
    assert_eq!(r.asset, DEVNET_USDC);
    assert_eq!(r.pay_to, RECIPIENT);
    assert_eq!(r.extra_str("reference"), Some(REFERENCE));
    // Date.parse("2026-11-21T10:02:00.000Z") / 1000
    assert_eq!(r.extra.as_ref().unwrap()["expiresAt"], json!(1_795_255_320));
    assert_eq!(r.raw, solana_pay());
}

/// Seed 001's `description` ("Access to the hello endpoint result") describes what is
/// sold: it is the challenge's `resource.description` (no URL given), not its `error`.
#[test]
fn solana_pay_description_describes_the_resource() {
    let challenge = body(&solana_pay()).unwrap();
    assert_eq!(challenge.error, None);
    let resource = challenge.resource.unwrap();
    assert_eq!(
        resource.description.as_deref(),
        Some("Access to the hello endpoint result")
    );
    assert_eq!(resource.url, "");
    let mut doc = solana_pay();
    doc.as_object_mut().unwrap().remove("description");
    let challenge = body(&doc).unwrap();
    assert!(challenge.resource.is_none() && challenge.error.is_none());
}

#[test]
fn solana_pay_reference_refusals() {
    let with = |key: &str, value: Value| {
        let mut doc = solana_pay();
        doc[key] = value;
        body(&doc).map(|_| ()).unwrap_err().code()
    };
    assert_eq!(with("chain", json!("ethereum")), "UNSUPPORTED_NETWORK");
    assert_eq!(with("network", json!("moonnet")), "INVALID_NETWORK");
    // The seed's own placeholder mint.
    assert_eq!(with("asset_mint", json!("TBA")), "INVALID_ADDRESS");
    assert_eq!(
        with("reference", json!("<UNIQUE_REFERENCE_PUBKEY>")),
        "INVALID_ADDRESS"
    );
    assert_eq!(
        with("expires_at", json!("<ISO8601_TIMESTAMP>")),
        "INVALID_TIMESTAMP"
    );
    assert_eq!(with("amount", json!("0.0000001")), "AMOUNT_PRECISION");
    assert_eq!(with("amount", json!("-1")), "INVALID_PRICE");
    // A decimal comma, or a thousands separator: either way, not a plain number.
    assert_eq!(with("amount", json!("1,000")), "INVALID_PRICE");
    // A transfer of nothing still costs the payer its fee.
    assert_eq!(with("amount", json!("0")), "INVALID_PRICE");
    assert_eq!(with("amount", json!("0.000")), "INVALID_PRICE");
    assert_eq!(with("amount", json!(10)), "INVALID_402");
    // A mint neither known nor allowed by the policy cannot be priced.
    assert_eq!(with("asset_mint", json!(RECIPIENT)), "ASSET_NOT_ALLOWED");
    // The URL must ask for what the body asks.
    for url in [
        format!("solana:{REFERENCE}?amount=0.25"),
        format!("solana:{RECIPIENT}?amount=2.5"),
        format!("solana:{RECIPIENT}?spl-token={MAINNET_USDC}"),
        format!("solana:{RECIPIENT}?reference={RECIPIENT}"),
        "https://example.com".to_owned(),
    ] {
        assert_eq!(with("solana_pay_url", json!(url)), "INVALID_402", "{url}");
    }
    assert!(
        body(&{
            let mut doc = solana_pay();
            doc["solana_pay_url"] = json!(format!(
                "solana:{RECIPIENT}?amount=0.250&spl-token={DEVNET_USDC}"
            ));
            doc
        })
        .is_ok()
    );
}

/// The Solana Pay transfer-request spec (docs.solanapay.com/spec): no `spl-token`
/// means native SOL; `memo` asks for a Memo instruction before the transfer; every
/// `reference` is included, in order. Each is checked against what the client pays.
#[test]
fn solana_pay_url_asks_for_what_the_transfer_does() {
    const OTHER: &str = "GmaDrppBC7P5ARKV8g3djiwP89vz1jLK23V2GBjuAEGB";
    let with_url = |url: String| {
        let mut doc = solana_pay();
        doc["solana_pay_url"] = json!(url);
        body(&doc)
    };
    let refused = |url: String| with_url(url).map(|_| ()).unwrap_err();
    // (a) No spl-token: a SOL transfer, while the body asks for an SPL token.
    let error = refused(format!(
        "solana:{RECIPIENT}?amount=0.25&reference={REFERENCE}"
    ));
    assert_eq!(error.code(), "INVALID_402");
    assert!(error.to_string().contains("disagrees"), "{error}");
    // (b) A memo the transfer would not carry.
    let error = refused(format!(
        "solana:{RECIPIENT}?amount=0.25&spl-token={DEVNET_USDC}&reference={REFERENCE}&memo=order-42"
    ));
    assert_eq!(error.code(), "INVALID_402");
    assert!(error.to_string().contains("memo"), "{error}");
    // A parameter given twice is ambiguous.
    for url in [
        format!("solana:{RECIPIENT}?amount=0.25&amount=2.5&spl-token={DEVNET_USDC}"),
        format!("solana:{RECIPIENT}?amount=0.25&spl-token={DEVNET_USDC}&spl-token={MAINNET_USDC}"),
    ] {
        assert_eq!(refused(url.clone()).code(), "INVALID_402", "{url}");
    }
    // (c) References: each a public key, none twice, the body's among them.
    for url in [
        format!(
            "solana:{RECIPIENT}?amount=0.25&spl-token={DEVNET_USDC}&reference={REFERENCE}&reference=not-a-key"
        ),
        format!(
            "solana:{RECIPIENT}?amount=0.25&spl-token={DEVNET_USDC}&reference={REFERENCE}&reference={REFERENCE}"
        ),
        format!("solana:{RECIPIENT}?amount=0.25&spl-token={DEVNET_USDC}&reference={OTHER}"),
    ] {
        assert_eq!(refused(url.clone()).code(), "INVALID_402", "{url}");
    }
    // All of the URL's references are paid with, in the URL's order; the body's is polled.
    let challenge = with_url(format!(
        "solana:{RECIPIENT}?amount=0.25&spl-token={DEVNET_USDC}&reference={OTHER}&reference={REFERENCE}&label=x402"
    ))
    .unwrap();
    let r = &challenge.requirements[0];
    assert_eq!(r.extra_str("reference"), Some(REFERENCE));
    assert_eq!(
        r.extra.as_ref().unwrap()["references"],
        json!([OTHER, REFERENCE])
    );
    // A URL naming no reference, or no URL: the body's alone.
    let r = &body(&solana_pay()).unwrap().requirements[0];
    assert_eq!(r.extra.as_ref().unwrap()["references"], json!([REFERENCE]));
    let mut doc = solana_pay();
    doc.as_object_mut().unwrap().remove("solana_pay_url");
    let r = &body(&doc).unwrap().requirements[0];
    assert_eq!(r.extra.as_ref().unwrap()["references"], json!([REFERENCE]));
}

#[test]
fn solana_pay_prices_allowed_mints_with_the_policy() {
    let policy = Policy::new(
        serde_json::from_value::<PolicyConfig>(json!({
            "assets": [{ "network": "solana-devnet", "asset": RECIPIENT, "decimals": 9, "symbol": "TEST", "maxPerPayment": "1" }]
        }))
        .unwrap(),
    )
    .unwrap();
    let mut doc = solana_pay();
    doc["asset_mint"] = json!(RECIPIENT);
    doc.as_object_mut().unwrap().remove("solana_pay_url");
    let headers: Vec<(&str, &str)> = vec![];
    let text = doc.to_string();
    let challenge =
        recognize(&Response402::new(402, &headers, text.as_bytes()).with_assets(&policy)).unwrap();
    assert_eq!(challenge.requirements[0].amount.to_string(), "250000000");
}

fn x402_headers(overrides: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut headers = vec![
        ("X-402-Version", "1.0"),
        ("X-402-Amount", "0.001"),
        ("X-402-Currency", "USD"),
        ("X-402-Network", "base"),
        ("X-402-Token", "USDC"),
        (
            "X-402-Receiver",
            "0x209693Bc6afc0C5328bA36FaF03C514EF312287C",
        ),
        ("X-402-Expires", "2025-12-28T12:00:00Z"),
        ("Content-Type", "application/json"),
    ];
    for (name, value) in overrides {
        headers.retain(|(n, _)| n != name);
        if !value.is_empty() {
            headers.push((name, value));
        }
    }
    headers
}

fn headers_challenge(
    headers: &[(&'static str, &'static str)],
) -> Result<Challenge, x402_wasm::Error> {
    let body = br#"{"error":"Payment required","paymentRequest":{}}"#;
    recognize(&Response402::new(402, &headers.to_vec(), body))
}

#[test]
fn x402_headers_dialect() {
    let challenge = headers_challenge(&x402_headers(&[])).unwrap();
    assert_eq!(challenge.dialect, DialectId::X402Headers);
    assert_eq!(challenge.dialect.payment_header(), "X-402-Payment-Proof");
    assert_eq!(challenge.error.as_deref(), Some("Payment required"));
    let r = &challenge.requirements[0];
    assert_eq!(r.scheme, "transfer");
    assert_eq!(r.network.to_string(), "eip155:8453");
    assert_eq!(r.asset, BASE_USDC);
    assert_eq!(r.amount.to_string(), "1000"); // $0.001 of a 6-decimal dollar token
    assert_eq!(r.pay_to, "0x209693Bc6afc0C5328bA36FaF03C514EF312287C");
    let extra = r.extra.as_ref().unwrap();
    assert_eq!(extra["expiresAt"], json!(1_766_923_200));
    assert_eq!(extra["networkName"], json!("base"));
    assert_eq!(extra["token"], json!("USDC"));
    assert_eq!(r.raw["x-402-amount"], json!("0.001"));
    // The token may be given by address, and without an expiry.
    let by_address = headers_challenge(&x402_headers(&[
        ("X-402-Token", "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913"),
        ("X-402-Expires", ""),
    ]))
    .unwrap();
    assert_eq!(by_address.requirements[0].asset, BASE_USDC);
}

#[test]
fn x402_headers_refusals() {
    let code = |overrides: &[(&'static str, &'static str)]| {
        headers_challenge(&x402_headers(overrides))
            .map(|_| ())
            .unwrap_err()
            .code()
    };
    assert_eq!(code(&[("X-402-Currency", "EUR")]), "INVALID_PRICE");
    assert_eq!(code(&[("X-402-Network", "solana")]), "UNSUPPORTED_NETWORK");
    assert_eq!(code(&[("X-402-Network", "")]), "INVALID_402");
    assert_eq!(code(&[("X-402-Token", "DOGE")]), "ASSET_NOT_ALLOWED");
    // The seed's own placeholder receiver.
    assert_eq!(
        code(&[("X-402-Receiver", "0x1234...abcd")]),
        "INVALID_ADDRESS"
    );
    assert_eq!(
        code(&[(
            "X-402-Receiver",
            "0x209693bc6afc0c5328bA36FaF03C514EF312287C"
        )]),
        "INVALID_ADDRESS"
    );
    assert_eq!(code(&[("X-402-Amount", "0.0000001")]), "AMOUNT_PRECISION");
    assert_eq!(code(&[("X-402-Amount", "1e-3")]), "INVALID_PRICE");
    assert_eq!(code(&[("X-402-Amount", "1,000")]), "INVALID_PRICE");
    assert_eq!(code(&[("X-402-Amount", "0,50")]), "INVALID_PRICE");
    // An amount naming another currency than X-402-Currency is not paid in it.
    assert_eq!(code(&[("X-402-Amount", "0.5 EUR")]), "INVALID_PRICE");
    assert_eq!(code(&[("X-402-Amount", "100 JPY")]), "INVALID_PRICE");
    assert_eq!(code(&[("X-402-Amount", "0")]), "INVALID_PRICE");
    assert_eq!(
        code(&[(
            "X-402-Amount",
            "115792089237316195423570985008687907853269984665640564039457584007913129639936"
        )]),
        "AMOUNT_OVERFLOW"
    );
    assert_eq!(code(&[("X-402-Expires", "tomorrow")]), "INVALID_TIMESTAMP");
}

fn facilitator_pay() -> Value {
    json!({
        "amount": "0.01",
        "currency": "USDC",
        "payee": RECIPIENT,
        "reference": "pay_abc123def456",
        "facilitatorUrl": "https://facilitator.x402.network",
        "ttl": "120",
        "message": "Payment required to access this resource",
    })
}

#[test]
fn facilitator_pay_body() {
    let challenge = body(&facilitator_pay()).unwrap();
    assert_eq!(challenge.dialect, DialectId::FacilitatorPay);
    assert_eq!(
        challenge.error.as_deref(),
        Some("Payment required to access this resource")
    );
    let r = &challenge.requirements[0];
    assert_eq!(r.scheme, "facilitator-pay");
    assert_eq!(
        r.network.to_string(),
        "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"
    );
    assert_eq!(r.asset, MAINNET_USDC);
    assert_eq!(r.amount.to_string(), "10000");
    assert_eq!(r.max_timeout_seconds, 120);
    assert_eq!(
        r.extra_str("facilitatorUrl"),
        Some("https://facilitator.x402.network")
    );
    assert_eq!(r.extra_str("reference"), Some("pay_abc123def456"));
    let mut devnet = facilitator_pay();
    devnet["network"] = json!("devnet");
    devnet["ttl"] = json!(60);
    let r = &body(&devnet).unwrap().requirements[0];
    assert_eq!(r.asset, DEVNET_USDC);
    assert_eq!(r.max_timeout_seconds, 60);
}

#[test]
fn facilitator_pay_refusals() {
    let with = |key: &str, value: Value| {
        let mut doc = facilitator_pay();
        doc[key] = value;
        body(&doc).map(|_| ()).unwrap_err().code()
    };
    // The seed's own placeholder payee.
    assert_eq!(
        with("payee", json!("7xKz...merchant_wallet")),
        "INVALID_ADDRESS"
    );
    assert_eq!(
        with("facilitatorUrl", json!("ftp://facilitator")),
        "INVALID_402"
    );
    assert_eq!(
        with("facilitatorUrl", json!("https://f.example/?next=evil")),
        "INVALID_402"
    );
    assert_eq!(with("reference", json!("")), "INVALID_402");
    assert_eq!(with("ttl", json!("two minutes")), "INVALID_402");
    assert_eq!(with("currency", json!("BONK")), "ASSET_NOT_ALLOWED");
    assert_eq!(with("amount", json!("$0.01")), "INVALID_PRICE");
    assert_eq!(with("amount", json!("1,000")), "INVALID_PRICE");
    assert_eq!(with("amount", json!("0")), "INVALID_PRICE");
    assert_eq!(with("network", json!("base")), "INVALID_ADDRESS");
    // An EVM payee with no `network` member: Base or another chain? Not guessed.
    let error = {
        let mut doc = facilitator_pay();
        doc["payee"] = json!("0x209693Bc6afc0C5328bA36FaF03C514EF312287C");
        body(&doc).map(|_| ()).unwrap_err()
    };
    assert_eq!(error.code(), "INVALID_402");
    assert!(error.to_string().contains("names no network"), "{error}");
}

/// Seed 004's `ttl` counts from the 402's arrival (its servers refuse a proof after
/// `issued + ttl`): the challenge expires then; no arrival time, or no ttl, no expiry.
#[test]
fn facilitator_pay_ttl_is_an_expiry_from_arrival() {
    let at = |doc: &Value, now: Option<i64>| {
        let headers: Vec<(&str, &str)> = vec![("content-type", "application/json")];
        let text = doc.to_string();
        let response = Response402::new(402, &headers, text.as_bytes());
        let response = match now {
            Some(now) => response.received_at(now),
            None => response,
        };
        recognize(&response).unwrap().expires_at
    };
    let doc = facilitator_pay();
    assert_eq!(at(&doc, Some(1_800_000_000)), Some(1_800_000_120));
    assert_eq!(at(&doc, None), None);
    let mut forever = facilitator_pay();
    forever.as_object_mut().unwrap().remove("ttl");
    assert_eq!(at(&forever, Some(1_800_000_000)), None);
    forever["ttl"] = json!(0);
    assert_eq!(at(&forever, Some(1_800_000_000)), None);
}

#[test]
fn x402_wins_over_seed_fields() {
    // A v1 body that also happens to carry seed-looking members is paid the x402 way.
    let mut doc = facilitator_pay();
    doc["x402Version"] = json!(1);
    doc["accepts"] = json!([{
        "scheme": "exact", "network": "base", "maxAmountRequired": "1000", "resource": "https://a.example/",
        "description": "", "mimeType": "", "payTo": "0x209693Bc6afc0C5328bA36FaF03C514EF312287C",
        "maxTimeoutSeconds": 60, "asset": BASE_USDC, "extra": { "name": "USD Coin", "version": "2" }
    }]);
    assert_eq!(body(&doc).unwrap().dialect, DialectId::X402V1);
}

/// Seed 004's client posts `payee: paymentDetails.payee` to `/pay`: the 402's string as
/// sent is kept for that (`extra.payee`), while `pay_to` is the checksummed address the
/// policy compares.
#[test]
fn facilitator_pay_keeps_the_payee_as_sent() {
    let lower = "0x209693bc6afc0c5328ba36faf03c514ef312287c";
    let mut doc = facilitator_pay();
    doc["payee"] = json!(lower);
    doc["network"] = json!("base");
    let r = &body(&doc).unwrap().requirements[0];
    assert_eq!(r.pay_to, "0x209693Bc6afc0C5328bA36FaF03C514EF312287C");
    assert_eq!(r.extra_str("payee"), Some(lower));
    let r = &body(&facilitator_pay()).unwrap().requirements[0];
    assert_eq!(r.extra_str("payee"), Some(RECIPIENT));
}
