//! The EVM `exact` scheme against vectors from independent implementations
//! (tests/vectors/evm_exact.json, made by viem and the official @x402/evm client):
//! typed data, hashes, signatures, payloads and verification.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use ruint::aliases::U256;
use serde_json::Value;
use x402_wasm::client::payment_payload;
use x402_wasm::dialect::{Challenge, Requirement, challenge_from_json};
use x402_wasm::evm::exact::{PaymentParams, PreparedPayment, TransferMethod, prepare};
use x402_wasm::evm::sponsoring::{
    ERC20_APPROVAL_GAS_SPONSORING, Permit, approval_info, approval_offered, approval_transaction,
    permit_domain, with_info, with_permit_info,
};
use x402_wasm::evm::verify::{Invalid, VerifyOptions, verify};
use x402_wasm::evm::{Address, PrivateKeySigner, RecoverableSignature, TypedData, recover_address};

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/evm_exact.json")).unwrap()
}

fn hex32(value: &Value) -> [u8; 32] {
    let mut out = [0u8; 32];
    hex::decode_to_slice(value.as_str().unwrap().trim_start_matches("0x"), &mut out).unwrap();
    out
}

fn hex_of(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// The payment with the EIP-2612 permit the official client added when its signer read the
/// chain (the case's `stubReadContract`: Permit2's allowance and the token's nonce), built
/// by our sponsoring code from those reads; other payments as they are (with the server's
/// extension echoed, as the official client does when it cannot read the chain).
fn with_permit_of_case(
    case: &Value,
    challenge: &Challenge,
    requirement: &Requirement,
    signer: &PrivateKeySigner,
    mut payment: Value,
) -> Value {
    if let Some(reads) = case.get("stubApproval") {
        return with_approval_of_case(reads, challenge, requirement, signer, payment);
    }
    let Some(reads) = case.get("stubReadContract") else {
        return payment;
    };
    let (name, version) = permit_domain(challenge.extensions.as_ref(), requirement).unwrap();
    let allowance = U256::from_str_radix(reads["allowance"].as_str().unwrap(), 10).unwrap();
    assert!(
        allowance < requirement.amount.as_u256(),
        "a case where a permit is due"
    );
    let deadline = payment["payload"]["permit2Authorization"]["deadline"]
        .as_str()
        .unwrap();
    let permit = Permit {
        name: name.to_owned(),
        version: version.to_owned(),
        chain_id: x402_wasm::evm::exact::chain_id(requirement).unwrap(),
        token: Address::parse(&requirement.asset).unwrap(),
        owner: signer.address(),
        value: requirement.amount.as_u256(),
        nonce: U256::from_str_radix(reads["nonces"].as_str().unwrap(), 10).unwrap(),
        deadline: U256::from_str_radix(deadline, 10).unwrap(),
    };
    let signature = signer.sign_digest(&permit.typed_data().digest().unwrap());
    let extensions = with_permit_info(
        challenge.extensions.as_ref().unwrap(),
        permit.info(&signature.to_hex()),
    );
    payment["extensions"] = Value::Object(extensions);
    payment
}

/// The payment with the `approve(Permit2, 2^256 - 1)` transaction the official client signed
/// from the case's `stubApproval` reads (allowance, transaction count, fees), built by ours.
fn with_approval_of_case(
    reads: &Value,
    challenge: &Challenge,
    requirement: &Requirement,
    signer: &PrivateKeySigner,
    mut payment: Value,
) -> Value {
    assert!(permit_domain(challenge.extensions.as_ref(), requirement).is_none());
    assert!(approval_offered(challenge.extensions.as_ref(), requirement));
    let allowance = U256::from_str_radix(reads["allowance"].as_str().unwrap(), 10).unwrap();
    assert!(
        allowance < requirement.amount.as_u256(),
        "an approval is due"
    );
    let fee = |key: &str| U256::from_str_radix(reads[key].as_str().unwrap(), 10).unwrap();
    let token = Address::parse(&requirement.asset).unwrap();
    let tx = approval_transaction(
        x402_wasm::evm::exact::chain_id(requirement).unwrap(),
        token,
        reads["transactionCount"].as_u64().unwrap(),
        (fee("maxPriorityFeePerGas"), fee("maxFeePerGas")),
    );
    let info = approval_info(&signer.address(), &token, &tx.sign(signer).raw_hex());
    let extensions = with_info(
        challenge.extensions.as_ref().unwrap(),
        ERC20_APPROVAL_GAS_SPONSORING,
        info,
    );
    payment["extensions"] = Value::Object(extensions);
    payment
}

/// The payment a vector case describes, prepared for `signer`. The official v2 client signs
/// validAfter = 0; so does our Permit2 default (left unset here, so the vectors check it), while our
/// EIP-3009 default is now - 600 and is set to 0 for the comparison.
fn prepare_case(case: &Value, signer: &PrivateKeySigner) -> PreparedPayment {
    let challenge = challenge_from_json(&case["paymentRequired"]).unwrap();
    let index = case["acceptedIndex"].as_u64().unwrap();
    let requirement = challenge.find_requirement(&Value::from(index)).unwrap();
    let permit2 = TransferMethod::of(requirement) == TransferMethod::Permit2;
    let params = PaymentParams {
        now: case["now"].as_u64().unwrap(),
        nonce: hex32(&case["nonceBytes"]),
        valid_after: if permit2 { None } else { Some(0) },
    };
    prepare(requirement, signer.address(), &params).unwrap()
}

#[test]
fn payloads_match_viem_and_the_official_client() {
    let vectors = vectors();
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let signer = PrivateKeySigner::from_hex(case["privateKey"].as_str().unwrap()).unwrap();
        assert_eq!(
            signer.address().to_checksum(),
            case["address"],
            "{name}: address"
        );

        let prepared = prepare_case(case, &signer);

        let expected: TypedData = serde_json::from_value(case["typedData"].clone()).unwrap();
        assert_eq!(prepared.typed_data(), expected, "{name}: typed data");
        let typed = &prepared.typed_data();
        assert_eq!(
            typed.encode_type(&typed.primary_type).unwrap(),
            case["encodedType"],
            "{name}"
        );
        assert_eq!(
            hex_of(&typed.domain_separator().unwrap()),
            case["domainSeparator"],
            "{name}"
        );
        assert_eq!(
            hex_of(
                &typed
                    .hash_struct(&typed.primary_type, &typed.message)
                    .unwrap()
            ),
            case["structHash"],
            "{name}: struct hash"
        );
        assert_eq!(hex_of(&prepared.digest), case["digest"], "{name}: digest");

        let signature = signer.sign_digest(&prepared.digest);
        assert_eq!(signature.to_hex(), case["signature"], "{name}: signature");

        let challenge = challenge_from_json(&case["paymentRequired"]).unwrap();
        let requirement = challenge.find_requirement(&case["acceptedIndex"]).unwrap();
        let payment = payment_payload(
            &challenge,
            requirement,
            prepared.payload(&signature).unwrap(),
        );
        let payment = with_permit_of_case(case, &challenge, requirement, &signer, payment);
        assert_eq!(payment, case["payload"], "{name}: payload");

        // Verified at signing time; one case has a 1 s timeout, so no settling margin.
        let options = VerifyOptions {
            min_validity: 0,
            ..VerifyOptions::at(case["now"].as_u64().unwrap())
        };
        let verified = verify(
            "exact",
            &requirement.network,
            &payment["payload"],
            requirement,
            &options,
        )
        .unwrap_or_else(|e| panic!("{name}: {}", e.reason()));
        assert_eq!(verified.payer, signer.address(), "{name}: payer");

        // A wallet answering v = 0/1 (the recovery id): the payload carries viem's 27/28,
        // and a payload that kept 0/1 is refused, as the token's ecrecover would.
        let mut recovery_id = signature.0;
        recovery_id[64] -= 27;
        let recovery_id = RecoverableSignature(recovery_id);
        assert_eq!(
            prepared.payload(&recovery_id).unwrap(),
            prepared.payload(&signature).unwrap(),
            "{name}: v 0/1 sent as 27/28"
        );
        let kept = prepared.payload_signed_by(&recovery_id);
        let refused = verify("exact", &requirement.network, &kept, requirement, &options);
        assert!(
            matches!(refused, Err(Invalid::Signature | Invalid::Permit2Signature)),
            "{name}: v 0/1 verified"
        );
    }
}

#[test]
fn eip2612_permits_hash_and_sign_like_viem() {
    let vectors = vectors();
    let cases = vectors["eip2612"].as_array().unwrap();
    assert!(cases.len() >= 6);
    for case in cases {
        let typed: TypedData = serde_json::from_value(case["typedData"].clone()).unwrap();
        let digest = typed.digest().unwrap();
        assert_eq!(hex_of(&digest), case["digest"], "{}", case["name"]);
        let signer = PrivateKeySigner::from_hex(case["privateKey"].as_str().unwrap()).unwrap();
        assert_eq!(
            signer.sign_digest(&digest).to_hex(),
            case["signature"],
            "{}",
            case["name"]
        );
    }
}

#[test]
fn recovery_matches_viem_and_refuses_high_s() {
    let vectors = vectors();
    for list in ["recover", "recoverYParity"] {
        for case in vectors[list].as_array().unwrap() {
            let signature =
                RecoverableSignature::parse(case["signature"].as_str().unwrap()).unwrap();
            let address = recover_address(&hex32(&case["digest"]), &signature).unwrap();
            assert_eq!(
                address.to_checksum(),
                case["address"],
                "{list} {}",
                case["name"]
            );
        }
    }
    for case in vectors["recoverHighS"].as_array().unwrap() {
        let signature = RecoverableSignature::parse(case["signature"].as_str().unwrap()).unwrap();
        let error = recover_address(&hex32(&case["digest"]), &signature).unwrap_err();
        assert_eq!(error.code(), "INVALID_SIGNATURE", "{}", case["name"]);
    }
}

#[test]
fn the_spec_example_payment_recovers_its_payer() {
    let spec: Value = serde_json::from_str(include_str!("vectors/spec_http.json")).unwrap();
    let payment = &spec["headers"][1]["json"];
    let challenge = challenge_from_json(&spec["headers"][0]["json"]).unwrap();
    let requirement = challenge.find_requirement(&payment["accepted"]).unwrap();
    let options = VerifyOptions::at(1_740_672_100);
    let verified = verify(
        "exact",
        &requirement.network,
        &payment["payload"],
        requirement,
        &options,
    )
    .unwrap();
    assert_eq!(
        verified.payer,
        Address::parse("0x857b06519E91e3A54538791bDbb0E22373e36b66").unwrap()
    );
    // Outside its window the same payment is refused, each side with its reason.
    let late = VerifyOptions::at(1_740_672_150);
    let reason = verify(
        "exact",
        &requirement.network,
        &payment["payload"],
        requirement,
        &late,
    );
    assert_eq!(reason.unwrap_err(), Invalid::ValidBefore);
    let early = VerifyOptions::at(1_740_672_000);
    let reason = verify(
        "exact",
        &requirement.network,
        &payment["payload"],
        requirement,
        &early,
    );
    assert_eq!(reason.unwrap_err(), Invalid::ValidAfter);
}

/// The domain separator cache never answers for another domain: alternating
/// domains (and a domain with an explicit `EIP712Domain` type) hash as computed
/// from scratch.
#[test]
fn domain_separators_are_per_domain() {
    use x402_wasm::evm::TypedData;
    let make = |domain: serde_json::Value, explicit: bool| {
        let mut types = serde_json::json!({ "M": [{ "name": "x", "type": "uint256" }] });
        if explicit {
            types["EIP712Domain"] = serde_json::json!([{ "name": "name", "type": "string" }]);
        }
        serde_json::from_value::<TypedData>(serde_json::json!({
            "domain": domain, "types": types, "primaryType": "M", "message": { "x": "1" },
        }))
        .unwrap()
    };
    let a = make(
        serde_json::json!({ "name": "A", "version": "1", "chainId": 1 }),
        false,
    );
    let b = make(
        serde_json::json!({ "name": "B", "version": "1", "chainId": 1 }),
        false,
    );
    let c = make(serde_json::json!({ "name": "A" }), true);
    let first: Vec<_> = [&a, &b, &c]
        .iter()
        .map(|t| t.domain_separator().unwrap())
        .collect();
    assert_ne!(first[0], first[1]);
    assert_ne!(first[0], first[2]);
    for _ in 0..40 {
        for (t, expected) in [&a, &b, &c].iter().zip(&first) {
            assert_eq!(&t.domain_separator().unwrap(), expected);
        }
    }
    // Past the cache's size, the oldest entries are recomputed, with the same result.
    for i in 0..40 {
        let other = make(serde_json::json!({ "name": format!("D{i}") }), false);
        other.domain_separator().unwrap();
    }
    assert_eq!(a.domain_separator().unwrap(), first[0]);
}

/// What a wallet's signature becomes in the payload: the payer's ECDSA signature is
/// checked and sent with v = 27/28; another account's is SIGNER_MISMATCH; a contract
/// wallet's format (not 64 or 65 bytes) is sent as given. `payload_as_contract`, for an
/// account the caller found code at, takes any 0x-hex length from 1 byte to 8 KiB, 65
/// bytes included (a one-owner Safe's), and nothing else.
#[test]
fn wallet_signatures_by_kind() {
    let case = &vectors()["cases"][0];
    let signer = PrivateKeySigner::from_hex(case["privateKey"].as_str().unwrap()).unwrap();
    let prepared = prepare_case(case, &signer);
    let own = signer.sign_digest(&prepared.digest).to_hex();
    let sent = |payload: Value| payload["signature"].as_str().unwrap().to_owned();
    assert_eq!(sent(prepared.payload_from_wallet(&own).unwrap()), own);

    let other = PrivateKeySigner::from_hex(&format!("0x{}", "11".repeat(32))).unwrap();
    let others = other.sign_digest(&prepared.digest).to_hex();
    let refused = prepared.payload_from_wallet(&others).unwrap_err();
    assert_eq!(refused.code(), "SIGNER_MISMATCH");
    assert_eq!(sent(prepared.payload_as_contract(&others).unwrap()), others);

    let upper = format!("0x01{}", others[2..].to_uppercase());
    let lower = upper.to_ascii_lowercase();
    assert_eq!(sent(prepared.payload_from_wallet(&upper).unwrap()), lower);
    assert_eq!(sent(prepared.payload_as_contract(&upper).unwrap()), lower);
    let compact = others[..2 + 128].to_owned();
    assert_eq!(
        prepared.payload_from_wallet(&compact).unwrap_err().code(),
        "INVALID_SIGNATURE"
    );
    for accepted in [
        compact,
        "0x01".to_owned(),
        format!("0x{}", "ab".repeat(8 << 10)),
    ] {
        assert_eq!(
            sent(prepared.payload_as_contract(&accepted).unwrap()),
            accepted
        );
    }
    for refused in [
        "0x".to_owned(),
        "0xabc".to_owned(),
        "0xzz".to_owned(),
        "ab".repeat(65),
        format!("0x{}", "ab".repeat((8 << 10) + 1)),
    ] {
        let error = prepared.payload_as_contract(&refused).unwrap_err();
        assert_eq!(error.code(), "INVALID_SIGNATURE", "{refused}");
    }
}
