//! The Solana `exact` scheme against vectors made by the official @x402/svm client
//! (tests/vectors/svm_exact.json): transaction bytes, token accounts, verification.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use base64::Engine as _;
use serde_json::Value;
use x402_wasm::dialect::challenge_from_json;
use x402_wasm::svm::exact::{SvmPayment, SvmTerms};
use x402_wasm::svm::verify::{SvmInvalid, verify_transaction};
use x402_wasm::svm::{Pubkey, SolanaSigner};

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/svm_exact.json")).unwrap()
}

fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

#[test]
fn transactions_are_byte_identical_to_the_official_client() {
    let vectors = vectors();
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let seed = hex::decode(case["seed"].as_str().unwrap()).unwrap();
        let signer = SolanaSigner::from_bytes(&seed).unwrap();
        assert_eq!(signer.pubkey().to_string(), case["payer"], "{name}: payer");
        let challenge = challenge_from_json(&case["paymentRequired"]).unwrap();
        let requirement = challenge.find_requirement(&case["acceptedIndex"]).unwrap();
        let terms = SvmTerms::from_requirement(requirement).unwrap();
        let memo = match terms.memo.clone() {
            Some(memo) => memo,
            None => hex::encode(hex::decode(case["randomBytes"][0].as_str().unwrap()).unwrap())
                .into_bytes(),
        };
        let payment = SvmPayment {
            payer: signer.pubkey(),
            fee_payer: terms.fee_payer,
            mint: terms.mint,
            pay_to: terms.pay_to,
            amount: terms.amount,
            decimals: u8::try_from(case["decimals"].as_u64().unwrap()).unwrap(),
            token_program: Pubkey::parse(case["tokenProgram"].as_str().unwrap()).unwrap(),
            recent_blockhash: Pubkey::parse(case["recentBlockhash"].as_str().unwrap())
                .unwrap()
                .0,
            memo,
        };
        let (source, destination) = payment.token_accounts().unwrap();
        assert_eq!(source.to_string(), case["sourceAta"], "{name}: source ATA");
        assert_eq!(
            destination.to_string(),
            case["destinationAta"],
            "{name}: destination ATA"
        );
        let message = payment.message().unwrap().serialize();
        assert_eq!(
            message,
            b64(case["message"].as_str().unwrap()),
            "{name}: message bytes"
        );
        let tx = payment.sign(&signer).unwrap().serialize();
        assert_eq!(
            tx,
            b64(case["transaction"].as_str().unwrap()),
            "{name}: transaction bytes"
        );
        let verified = verify_transaction(&tx, requirement)
            .unwrap_or_else(|e| panic!("{name}: {}", e.reason()));
        assert_eq!(verified.payer, signer.pubkey());
    }
}

#[test]
fn requirement_errors_are_coded() {
    let vectors = vectors();
    let mut seen = 0;
    for case in vectors["errors"].as_array().unwrap() {
        let challenge = challenge_from_json(&case["paymentRequired"]);
        let Ok(challenge) = challenge else {
            seen += 1;
            continue;
        };
        let requirement = challenge.find_requirement(&case["acceptedIndex"]).unwrap();
        if SvmTerms::from_requirement(requirement).is_err() {
            seen += 1;
        }
    }
    // Owner program and missing mint are RPC answers, checked in the JS tests.
    assert!(seen >= 3, "only {seen} requirement errors were refused");
}

#[test]
fn a_tampered_transaction_fails_verification() {
    let vectors = vectors();
    let case = &vectors["cases"][0];
    let challenge = challenge_from_json(&case["paymentRequired"]).unwrap();
    let requirement = challenge.find_requirement(&case["acceptedIndex"]).unwrap();
    let mut tx = b64(case["transaction"].as_str().unwrap());
    let memo_byte = tx.len() - 2; // the last memo byte (the lookup-table count follows)
    tx[memo_byte] ^= 1;
    assert_eq!(
        verify_transaction(&tx, requirement).unwrap_err(),
        SvmInvalid::Signature
    );
}
