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

/// The code of a failed `signer_of`.
fn refusal(tx: &Eip1559Transaction, raw: &[u8]) -> &'static str {
    tx.signer_of(raw).unwrap_err().code()
}

#[test]
fn a_wallets_signed_transaction_is_checked_field_by_field_and_recovered() {
    let vectors = vectors();
    for case in vectors["transactions"].as_array().unwrap() {
        let name = text(case, "name");
        let tx = transaction(case);
        let raw = bytes(case, "signed");
        // viem's signed bytes are this transaction, signed by the case's key.
        let signer = tx.signer_of(&raw).unwrap();
        assert_eq!(signer.to_checksum(), text(case, "address"), "{name}");

        // Any other field than asked: the same bytes are another transaction.
        let mutations: [(&str, &Mutation); 8] = [
            ("chain id", &|t| t.chain_id ^= 1),
            ("nonce", &|t| t.nonce ^= 1),
            ("tip", &|t| {
                t.max_priority_fee_per_gas = bumped(t.max_priority_fee_per_gas)
            }),
            ("max fee", &|t| {
                t.max_fee_per_gas = bumped(t.max_fee_per_gas)
            }),
            ("gas", &|t| t.gas_limit ^= 1),
            ("to", &|t| t.to = Address([0x11; 20])),
            ("value", &|t| t.value = bumped(t.value)),
            ("data", &|t| t.data.push(0)),
        ];
        for (field, mutate) in mutations {
            let mut other = tx.clone();
            mutate(&mut other);
            assert_eq!(
                refusal(&other, &raw),
                "WALLET_ALTERED_TRANSACTION",
                "{name}: another {field}"
            );
        }

        // Not the canonical bytes: truncated, extended, another type, a list cut short.
        let altered =
            |bytes: &[u8]| assert_eq!(refusal(&tx, bytes), "WALLET_ALTERED_TRANSACTION", "{name}");
        altered(&raw[..raw.len() - 1]);
        altered(&[raw.as_slice(), &[0x80]].concat());
        altered(&[&[0x01], &raw[1..]].concat());
        altered(&raw[..1]);
        altered(&[]);
        altered(&tx.encode_unsigned());

        // The signature changed: s flipped to its high twin (n - s, the other parity)
        // is refused; another r recovers someone else or no one.
        let s = bytes(case, "s");
        let mut r = bytes(case, "r");
        let last = r.len() - 1;
        r[last] ^= 1;
        let tampered = raw_with(&tx, case["yParity"].as_u64().unwrap() == 1, &r, &s);
        match tx.signer_of(&tampered) {
            Ok(address) => assert_ne!(address.to_checksum(), text(case, "address"), "{name}"),
            Err(e) => assert_eq!(e.code(), "INVALID_SIGNATURE", "{name}"),
        }
        let high_s = secp256k1_order_minus(&s);
        let flipped = raw_with(
            &tx,
            case["yParity"].as_u64().unwrap() == 0,
            &bytes(case, "r"),
            &high_s,
        );
        assert_eq!(refusal(&tx, &flipped), "INVALID_SIGNATURE", "{name}");
    }
}

/// A change of one field of a transaction.
type Mutation = dyn Fn(&mut Eip1559Transaction);

/// `amount` plus one, or minus one at 2^256 - 1: another amount either way.
fn bumped(amount: Amount) -> Amount {
    let one = Amount::parse("1").unwrap();
    amount
        .checked_add(one)
        .unwrap_or_else(|_| amount.checked_sub(one).unwrap())
}

/// The signed bytes of `tx` with this signature, as viem would serialize them (the
/// unsigned list's items, then yParity, r and s without leading zero bytes).
fn raw_with(tx: &Eip1559Transaction, y_parity: bool, r: &[u8], s: &[u8]) -> Vec<u8> {
    use alloy_rlp::{Encodable, Header};
    let unsigned = tx.encode_unsigned();
    let mut items = &unsigned[1..];
    let payload = Header::decode_bytes(&mut items, true).unwrap().to_vec();
    let trim = |b: &[u8]| {
        b.iter()
            .skip_while(|x| **x == 0)
            .copied()
            .collect::<Vec<u8>>()
    };
    let mut tail = Vec::new();
    u8::from(y_parity).encode(&mut tail);
    trim(r).as_slice().encode(&mut tail);
    trim(s).as_slice().encode(&mut tail);
    let mut out = vec![0x02];
    Header {
        list: true,
        payload_length: payload.len() + tail.len(),
    }
    .encode(&mut out);
    out.extend(payload);
    out.extend(tail);
    out
}

/// n - s for the secp256k1 group order n (big-endian, 32 bytes).
fn secp256k1_order_minus(s: &[u8]) -> Vec<u8> {
    let n =
        hex::decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141").unwrap();
    let mut s32 = vec![0u8; 32 - s.len()];
    s32.extend_from_slice(s);
    let mut out = vec![0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(n[i]) - i16::from(s32[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = u8::try_from(d).unwrap();
    }
    out
}
