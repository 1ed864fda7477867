//! ERC-20 transfer calldata and signed EIP-1559 transactions against viem
//! (tests/vectors/evm_tx.json, made by tests/js/gen/evm-tx-vectors.mjs): calldata,
//! unsigned serialization, signing hash, signed raw bytes and transaction hash.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;
use x402_wasm::evm::{
    Address, Eip1559Transaction, PrivateKeySigner, RecoverableSignature, erc20_transfer_data,
    recover_address,
};
use x402_wasm::protocol::Amount;

/// 2^256 - 1 in decimal.
const MAX_U256: &str =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/evm_tx.json")).unwrap()
}

fn hex_of(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

fn text<'a>(case: &'a Value, key: &str) -> &'a str {
    case[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string"))
}

fn bytes(case: &Value, key: &str) -> Vec<u8> {
    hex::decode(text(case, key).trim_start_matches("0x")).unwrap()
}

fn amount(case: &Value, key: &str) -> Amount {
    Amount::parse(text(case, key)).unwrap()
}

fn uint64(case: &Value, key: &str) -> u64 {
    text(case, key).parse().unwrap()
}

fn transaction(case: &Value) -> Eip1559Transaction {
    Eip1559Transaction {
        chain_id: case["chainId"].as_u64().unwrap(),
        nonce: uint64(case, "nonce"),
        max_priority_fee_per_gas: amount(case, "maxPriorityFeePerGas"),
        max_fee_per_gas: amount(case, "maxFeePerGas"),
        gas_limit: uint64(case, "gas"),
        to: Address::parse(text(case, "to")).unwrap(),
        value: amount(case, "value"),
        data: bytes(case, "data"),
    }
}

#[test]
fn transfer_calldata_matches_viem() {
    let vectors = vectors();
    let transfers = vectors["transfers"].as_array().unwrap();
    assert!(transfers.len() >= 8);
    for case in transfers {
        let to = Address::parse(text(case, "to")).unwrap();
        let data = erc20_transfer_data(&to, &amount(case, "amount"));
        assert_eq!(hex_of(&data), text(case, "data"), "{}", case["name"]);
    }
}

#[test]
fn transactions_match_viem_byte_for_byte() {
    let vectors = vectors();
    let cases = vectors["transactions"].as_array().unwrap();
    assert!(cases.len() >= 16);
    for case in cases {
        let name = text(case, "name");
        let tx = transaction(case);
        if let Some(transfer) = case.get("transfer") {
            let to = Address::parse(text(transfer, "to")).unwrap();
            let data = erc20_transfer_data(&to, &amount(transfer, "amount"));
            assert_eq!(data, tx.data, "{name}: calldata");
        }
        assert_eq!(
            hex_of(&tx.encode_unsigned()),
            text(case, "unsigned"),
            "{name}: unsigned"
        );
        let digest = tx.signing_hash();
        assert_eq!(
            hex_of(&digest),
            text(case, "signingHash"),
            "{name}: signing hash"
        );

        let signer = PrivateKeySigner::from_hex(text(case, "privateKey")).unwrap();
        assert_eq!(
            signer.address().to_checksum(),
            text(case, "address"),
            "{name}"
        );
        let signed = tx.sign(&signer);
        assert_eq!(
            signed.raw_hex(),
            text(case, "signed"),
            "{name}: signed bytes"
        );
        assert_eq!(signed.hash_hex(), text(case, "hash"), "{name}: hash");

        // The signature viem made recovers to the same signer from our signing hash.
        let mut signature = [0u8; 65];
        signature[..32].copy_from_slice(&bytes(case, "r"));
        signature[32..64].copy_from_slice(&bytes(case, "s"));
        signature[64] = 27 + u8::try_from(case["yParity"].as_u64().unwrap()).unwrap();
        let recovered = recover_address(&digest, &RecoverableSignature(signature)).unwrap();
        assert_eq!(recovered, signer.address(), "{name}: recovery");
    }
}

#[test]
fn the_vectors_cover_the_edge_cases() {
    let vectors = vectors();
    let cases = vectors["transactions"].as_array().unwrap();
    let chains: Vec<u64> = cases
        .iter()
        .map(|c| c["chainId"].as_u64().unwrap())
        .collect();
    for chain in [1, 8453, 31337, 324_705_682] {
        assert!(chains.contains(&chain), "chain {chain}");
    }
    let max = Amount::parse(MAX_U256).unwrap();
    assert!(cases.iter().any(|c| amount(c, "maxFeePerGas") == max));
    assert!(cases.iter().any(|c| amount(c, "value") == max));
    assert!(cases.iter().any(|c| amount(c, "value") == Amount::ZERO));
    assert!(cases.iter().any(|c| uint64(c, "nonce") == u64::MAX));
    assert!(cases.iter().any(|c| uint64(c, "nonce") == 0));
    // Leading zero bytes of r and s are dropped by RLP: both shapes are covered.
    assert!(cases.iter().any(|c| text(c, "r").starts_with("0x00")));
    assert!(cases.iter().any(|c| text(c, "s").starts_with("0x00")));
    let transfers = vectors["transfers"].as_array().unwrap();
    assert!(transfers.iter().any(|c| amount(c, "amount") == max));
}
