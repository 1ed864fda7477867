//! Direct SPL transfers with Solana Pay references against vectors made by @solana/kit and
//! the @solana-program token clients (tests/vectors/svm_transfer.json): message and
//! transaction bytes, signatures, and what `check_transfer` accepts from a wallet.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use base64::Engine as _;
use serde_json::{Value, json};
use x402_wasm::svm::exact::sign_in_place;
use x402_wasm::svm::transfer::{
    SvmTransfer, check_transfer, signature_base58, signature_confirmed,
};
use x402_wasm::svm::{Pubkey, SolanaSigner};

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/svm_transfer.json")).unwrap()
}

fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn key(v: &Value) -> Pubkey {
    Pubkey::parse(v.as_str().unwrap()).unwrap()
}

fn transfer(case: &Value) -> SvmTransfer {
    SvmTransfer {
        payer: key(&case["payer"]),
        recipient: key(&case["recipient"]),
        mint: key(&case["mint"]),
        token_program: key(&case["tokenProgram"]),
        decimals: u8::try_from(case["decimals"].as_u64().unwrap()).unwrap(),
        amount: case["amount"].as_str().unwrap().parse().unwrap(),
        references: case["references"]
            .as_array()
            .unwrap()
            .iter()
            .map(key)
            .collect(),
        recent_blockhash: key(&case["recentBlockhash"]).0,
    }
}

#[test]
fn transactions_are_byte_identical_to_solana_kit() {
    let vectors = vectors();
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 8);
    let mut programs = std::collections::HashSet::new();
    let mut reference_counts = std::collections::HashSet::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let t = transfer(case);
        programs.insert(t.token_program);
        reference_counts.insert(t.references.len());
        let (source, destination) = t.token_accounts().unwrap();
        assert_eq!(source.to_string(), case["sourceAta"], "{name}: source ATA");
        assert_eq!(destination.to_string(), case["destinationAta"], "{name}");
        let message = t.message().unwrap();
        assert_eq!(
            message.serialize(),
            b64(case["message"].as_str().unwrap()),
            "{name}: message bytes"
        );
        let keys: Vec<String> = message.account_keys.iter().map(|k| k.to_string()).collect();
        assert_eq!(json!(keys), case["staticAccounts"], "{name}: account order");
        let mut tx = t.unsigned_transaction().unwrap();
        assert_eq!(
            tx.serialize(),
            b64(case["transaction"].as_str().unwrap()),
            "{name}: unsigned transaction"
        );
        let seed = hex::decode(case["seed"].as_str().unwrap()).unwrap();
        let signer = SolanaSigner::from_bytes(&seed).unwrap();
        assert_eq!(signer.pubkey(), t.payer, "{name}: payer");
        sign_in_place(&mut tx, &signer).unwrap();
        let signed = b64(case["signedTransaction"].as_str().unwrap());
        assert_eq!(tx.serialize(), signed, "{name}: signed transaction");
        check_transfer(&signed, &t).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert_eq!(programs.len(), 2, "Token and Token-2022");
    assert!([0, 1, 3].iter().all(|n| reference_counts.contains(n)));
}

#[test]
fn check_transfer_accepts_wallet_additions_and_refuses_changes() {
    let vectors = vectors();
    let mut seen = 0;
    for case in vectors["cases"].as_array().unwrap() {
        let Some(variants) = case["walletVariants"].as_array() else {
            continue;
        };
        let t = transfer(case);
        for v in variants {
            let name = format!("{} / {}", case["name"], v["name"]);
            let got = check_transfer(&b64(v["transaction"].as_str().unwrap()), &t);
            match v["expect"].as_str().unwrap() {
                "ok" => assert!(got.is_ok(), "{name}: {got:?}"),
                code => assert_eq!(got.map_err(|e| e.code()), Err(code), "{name}"),
            }
            seen += 1;
        }
    }
    assert!(seen >= 20, "only {seen} wallet variants");
}

#[test]
fn malformed_bytes_and_bad_terms_are_coded_errors() {
    let vectors = vectors();
    let case = &vectors["cases"][0];
    let t = transfer(case);
    let signed = b64(case["signedTransaction"].as_str().unwrap());
    for bytes in [
        vec![],
        vec![0xff; 3],
        signed[..signed.len() - 1].to_vec(),
        [signed.as_slice(), &[0]].concat(),
        vec![0u8; 2000],
    ] {
        let code = check_transfer(&bytes, &t).unwrap_err().code();
        assert_eq!(code, "INVALID_TRANSACTION", "{} bytes", bytes.len());
    }
    // Another payer: its key is not the fee payer.
    let mut other = t.clone();
    other.payer = other.recipient;
    assert_eq!(
        check_transfer(&signed, &other).unwrap_err().code(),
        "WALLET_ALTERED_TRANSACTION"
    );
    // Not a token program.
    let mut wrong = t.clone();
    wrong.token_program = wrong.mint;
    assert_eq!(
        wrong.unsigned_transaction().unwrap_err().code(),
        "INVALID_SOLANA_REQUIREMENT"
    );
    // A reference repeating the recipient's token account or another reference.
    let (_, destination) = t.token_accounts().unwrap();
    for references in [vec![destination], vec![t.references[0], t.references[0]]] {
        let mut repeated = t.clone();
        repeated.references = references;
        assert_eq!(
            repeated.unsigned_transaction().unwrap_err().code(),
            "INVALID_SOLANA_REQUIREMENT"
        );
    }
    // More references than fit a packet: 28 fit (1205 bytes), 29 do not.
    let mut many = t.clone();
    many.references = (0..29u8).map(|i| Pubkey([i; 32])).collect();
    assert_eq!(
        many.unsigned_transaction().unwrap_err().code(),
        "INVALID_TRANSACTION"
    );
    many.references.truncate(28);
    assert_eq!(many.unsigned_transaction().unwrap().serialize().len(), 1205);
}

#[test]
fn signature_statuses_read_as_the_rpc_answers_them() {
    let sig =
        "5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW";
    // The entry shapes of getSignatureStatuses (and of the litesvm front in the JS tests).
    let failed = json!({ "slot": 3, "confirmations": null, "err": { "InstructionError": [0, { "Custom": 1 }] },
        "status": { "Err": { "InstructionError": [0, { "Custom": 1 }] } }, "confirmationStatus": "confirmed" });
    let error = signature_confirmed(&failed, sig).unwrap_err();
    assert_eq!(error.code(), "TRANSACTION_FAILED");
    assert!(error.to_string().contains("Custom"), "{error}");
    let processed_failed =
        json!({ "slot": 3, "err": "AccountNotFound", "confirmationStatus": "processed" });
    assert_eq!(
        signature_confirmed(&processed_failed, sig)
            .unwrap_err()
            .code(),
        "TRANSACTION_FAILED"
    );
    for (status, confirmed) in [
        ("processed", false),
        ("confirmed", true),
        ("finalized", true),
    ] {
        let entry = json!({ "slot": 3, "err": null, "status": { "Ok": null }, "confirmationStatus": status });
        assert_eq!(signature_confirmed(&entry, sig).unwrap(), confirmed);
    }
    assert!(!signature_confirmed(&Value::Null, sig).unwrap());
    assert_eq!(
        signature_confirmed(&json!("confirmed"), sig)
            .unwrap_err()
            .code(),
        "RPC_ERROR"
    );
}

#[test]
fn signatures_normalise_to_base58() {
    let bytes = [7u8; 64];
    let text = bs58::encode(bytes).into_string();
    assert_eq!(signature_base58(None, Some(&bytes)).unwrap(), text);
    assert_eq!(signature_base58(Some(&text), None).unwrap(), text);
    for bad in ["", "0OIl", &bs58::encode([7u8; 65]).into_string()] {
        assert_eq!(
            signature_base58(Some(bad), None).unwrap_err().code(),
            "INVALID_SIGNATURE"
        );
    }
    assert!(signature_base58(None, Some(&bytes[..63])).is_err());
    assert!(signature_base58(None, None).is_err());
}
