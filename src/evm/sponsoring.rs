//! The `eip2612GasSponsoring` extension of the `exact` scheme's Permit2 method: a payer
//! who never approved Permit2 for a token signs the token's EIP-2612 `permit` for it,
//! and the facilitator submits that permit with the payment (the x402 proxy's
//! `settleWithPermit`), paying the gas. The permit approves Permit2 (never the payee)
//! for the payment's amount until the payment's deadline; Permit2 still moves nothing
//! without the payer's witness signature.
//!
//! The `erc20ApprovalGasSponsoring` extension is the same for a token without EIP-2612:
//! the payer signs (without sending) an EIP-1559 transaction calling the token's
//! `approve(Permit2, 2^256 - 1)`, which the facilitator funds and broadcasts before the
//! payment. The extension requires the unlimited amount, as for any Permit2 approval.
//!
//! The chain reads (the current allowance, the owner's permit nonce, the transaction
//! nonce and fees) are the caller's: here are their call data and the decoding of their
//! answers.

use ruint::aliases::U256;
use serde_json::{Map, Value, json};

use super::authorization::{eip2612_typed_data, object};
use super::exact::{PERMIT2_ADDRESS, TransferMethod};
use super::{Address, Eip1559Transaction, TypedData};
use crate::dialect::Requirement;
use crate::error::{Error, Result};
use crate::protocol::Amount;

/// The extension's key in `PaymentRequired.extensions` and `PaymentPayload.extensions`.
pub const EIP2612_GAS_SPONSORING: &str = "eip2612GasSponsoring";

/// The key of the pre-signed approval transaction's extension.
pub const ERC20_APPROVAL_GAS_SPONSORING: &str = "erc20ApprovalGasSponsoring";

/// The approval transaction's gas limit (an `approve` costs under 50,000; the official
/// client signs the same limit).
pub const APPROVE_GAS_LIMIT: u64 = 70_000;

/// `approve(address,uint256)`.
const APPROVE_SELECTOR: [u8; 4] = [0x09, 0x5e, 0xa7, 0xb3];

/// `allowance(address,address)`.
const ALLOWANCE_SELECTOR: &str = "dd62ed3e";
/// `nonces(address)`.
const NONCES_SELECTOR: &str = "7ecebe00";

/// The token's EIP-712 name and version when a payment for `requirement` may carry a
/// sponsored permit: a Permit2 payment, a 402 that offers the extension, and a
/// requirement that names the token's domain (`extra.name`, `extra.version`).
pub fn permit_domain<'r>(
    extensions: Option<&Map<String, Value>>,
    requirement: &'r Requirement,
) -> Option<(&'r str, &'r str)> {
    if TransferMethod::of(requirement) != TransferMethod::Permit2 {
        return None;
    }
    extensions?.get(EIP2612_GAS_SPONSORING)?;
    let name = requirement.extra_str("name").filter(|s| !s.is_empty())?;
    let version = requirement.extra_str("version").filter(|s| !s.is_empty())?;
    Some((name, version))
}

/// Whether a payment for `requirement` may carry a pre-signed approval: a Permit2
/// payment and a 402 that offers `erc20ApprovalGasSponsoring`.
pub fn approval_offered(
    extensions: Option<&Map<String, Value>>,
    requirement: &Requirement,
) -> bool {
    TransferMethod::of(requirement) == TransferMethod::Permit2
        && extensions.is_some_and(|e| e.contains_key(ERC20_APPROVAL_GAS_SPONSORING))
}

/// [`PERMIT2_ADDRESS`] as bytes.
const PERMIT2: Address = Address([
    0x00, 0x00, 0x00, 0x00, 0x00, 0x22, 0xd4, 0x73, 0x03, 0x0f, 0x11, 0x6d, 0xde, 0xe9, 0xf6, 0xb4,
    0x3a, 0xc7, 0x8b, 0xa3,
]);

/// The `eth_call` data of `token.allowance(owner, Permit2)`.
pub fn allowance_call(owner: &Address) -> String {
    format!(
        "0x{ALLOWANCE_SELECTOR}{}{}",
        hex::encode(owner.to_word()),
        hex::encode(PERMIT2.to_word())
    )
}

/// The `eth_call` data of `token.nonces(owner)`.
pub fn nonces_call(owner: &Address) -> String {
    format!("0x{NONCES_SELECTOR}{}", hex::encode(owner.to_word()))
}

/// A `uint256` an `eth_call` returned: `0x` and exactly one 32-byte word.
///
/// # Errors
/// [`Error::RpcError`] for anything else (a token without the function answers `0x`).
pub fn decode_uint(answer: &str) -> Result<U256> {
    answer
        .strip_prefix("0x")
        .and_then(super::hex32)
        .map(|word| U256::from_be_bytes(word))
        .ok_or_else(|| Error::RpcError {
            reason: "eth_call did not answer one uint256 word".into(),
        })
}

/// An EIP-2612 permit of Permit2 for one payment.
#[derive(Clone, Debug)]
pub struct Permit {
    /// The token's EIP-712 name.
    pub name: String,
    /// The token's EIP-712 version.
    pub version: String,
    /// The chain.
    pub chain_id: u64,
    /// The token.
    pub token: Address,
    /// The payer.
    pub owner: Address,
    /// The approved amount: the payment's.
    pub value: U256,
    /// The owner's current permit nonce on the token.
    pub nonce: U256,
    /// Unix seconds: the payment's own deadline.
    pub deadline: U256,
}

impl Permit {
    /// What the payer signs.
    pub fn typed_data(&self) -> TypedData {
        let message = json!({
            "owner": self.owner.to_checksum(),
            "spender": PERMIT2_ADDRESS,
            "value": self.value.to_string(),
            "nonce": self.nonce.to_string(),
            "deadline": self.deadline.to_string(),
        });
        eip2612_typed_data(
            &self.name,
            &self.version,
            self.chain_id,
            self.token,
            object(message),
        )
    }

    /// The extension's `info` with the payer's signature (`0x` and 65 bytes, v = 27/28).
    pub fn info(&self, signature: &str) -> Map<String, Value> {
        object(json!({
            "from": self.owner.to_checksum(),
            "asset": self.token.to_checksum(),
            "spender": PERMIT2_ADDRESS,
            "amount": self.value.to_string(),
            "nonce": self.nonce.to_string(),
            "deadline": self.deadline.to_string(),
            "signature": signature,
            "version": "1",
        }))
    }
}

/// The unsigned `token.approve(Permit2, 2^256 - 1)` transaction from the account
/// whose transaction count is `nonce`, with `(maxPriorityFeePerGas, maxFeePerGas)`.
pub fn approval_transaction(
    chain_id: u64,
    token: Address,
    nonce: u64,
    (tip, max_fee): (U256, U256),
) -> Eip1559Transaction {
    let mut data = Vec::with_capacity(4 + 32 + 32);
    data.extend_from_slice(&APPROVE_SELECTOR);
    data.extend_from_slice(&PERMIT2.to_word());
    data.extend_from_slice(&U256::MAX.to_be_bytes::<32>());
    Eip1559Transaction {
        chain_id,
        nonce,
        max_priority_fee_per_gas: Amount::from(tip),
        max_fee_per_gas: Amount::from(max_fee),
        gas_limit: APPROVE_GAS_LIMIT,
        to: token,
        value: Amount::from(U256::ZERO),
        data,
    }
}

/// The `erc20ApprovalGasSponsoring` extension's `info` for the approval that `from`
/// signed (`signed_transaction`: the raw transaction as `0x` hex).
pub fn approval_info(
    from: &Address,
    token: &Address,
    signed_transaction: &str,
) -> Map<String, Value> {
    object(json!({
        "from": from.to_checksum(),
        "asset": token.to_checksum(),
        "spender": PERMIT2_ADDRESS,
        "amount": U256::MAX.to_string(),
        "signedTransaction": signed_transaction,
        "version": "1",
    }))
}

/// The payment's extensions with the permit's `info` (see [`with_info`]).
pub fn with_permit_info(
    extensions: &Map<String, Value>,
    info: Map<String, Value>,
) -> Map<String, Value> {
    with_info(extensions, EIP2612_GAS_SPONSORING, info)
}

/// The payment's extensions: the server's, with `info` added to extension `key`'s own
/// `info` where the server left a field out (the server's fields stay, as the official
/// client merges them; an `info` that is not an object is replaced).
pub fn with_info(
    extensions: &Map<String, Value>,
    key: &str,
    info: Map<String, Value>,
) -> Map<String, Value> {
    let mut out = extensions.clone();
    let entry = out.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    if let Value::Object(extension) = entry {
        let slot = extension
            .entry("info")
            .or_insert_with(|| Value::Object(Map::new()));
        match slot {
            Value::Object(server) => {
                for (key, value) in info {
                    server.entry(key).or_insert(value);
                }
            }
            other => *other = Value::Object(info),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permit2_bytes_are_the_canonical_address() {
        assert_eq!(PERMIT2.to_checksum(), PERMIT2_ADDRESS);
    }

    /// Selectors: the first four bytes of keccak256 of the signatures (as `cast sig` gives them).
    #[test]
    fn selectors_are_the_functions() {
        assert_eq!(
            hex::encode(&super::super::keccak256(b"allowance(address,address)")[..4]),
            ALLOWANCE_SELECTOR
        );
        assert_eq!(
            hex::encode(&super::super::keccak256(b"nonces(address)")[..4]),
            NONCES_SELECTOR
        );
        assert_eq!(
            super::super::keccak256(b"approve(address,uint256)")[..4],
            APPROVE_SELECTOR
        );
    }

    #[test]
    fn an_approval_is_offered_only_for_permit2_payments_whose_402_declares_it() {
        let requirement = |method: &str| {
            let challenge = crate::dialect::challenge_from_json(&json!({
                "x402Version": 2,
                "resource": { "url": "https://example.com" },
                "accepts": [{
                    "scheme": "exact", "network": "eip155:8453", "amount": "1",
                    "asset": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
                    "payTo": "0x209693Bc6afc0C5328bA36FaF03C514EF312287C", "maxTimeoutSeconds": 60,
                    "extra": { "assetTransferMethod": method, "name": "USD Coin", "version": "2" },
                }],
            }))
            .unwrap();
            challenge.requirements.into_iter().next().unwrap()
        };
        let offered = object(json!({ ERC20_APPROVAL_GAS_SPONSORING: { "info": {} } }));
        assert!(approval_offered(Some(&offered), &requirement("permit2")));
        assert!(!approval_offered(Some(&offered), &requirement("eip3009")));
        assert!(!approval_offered(None, &requirement("permit2")));
        let other = object(json!({ EIP2612_GAS_SPONSORING: { "info": {} } }));
        assert!(!approval_offered(Some(&other), &requirement("permit2")));
    }

    #[test]
    fn decode_uint_takes_exactly_one_word() {
        let word = format!("0x{}{}", "0".repeat(62), "2a");
        assert_eq!(decode_uint(&word).ok(), Some(U256::from(42u8)));
        for bad in [
            "0x",
            "",
            &word[2..],
            &format!("{word}00"),
            &word.replace("2a", "zz"),
        ] {
            assert!(
                matches!(decode_uint(bad), Err(Error::RpcError { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_servers_info_fields_stay_and_ours_are_added() {
        let server = object(json!({
            "eip2612GasSponsoring": { "info": { "description": "d", "version": "1" }, "schema": { "type": "object" } },
            "bazaar": { "info": {} },
        }));
        let ours = object(json!({ "from": "0xA", "version": "2", "signature": "0x1" }));
        let merged = with_permit_info(&server, ours.clone());
        assert_eq!(
            Value::Object(merged),
            json!({
                "eip2612GasSponsoring": {
                    "info": { "description": "d", "version": "1", "from": "0xA", "signature": "0x1" },
                    "schema": { "type": "object" },
                },
                "bazaar": { "info": {} },
            })
        );
        let odd = object(json!({ "eip2612GasSponsoring": { "info": "x" } }));
        assert_eq!(
            Value::Object(with_permit_info(&odd, ours.clone())),
            json!({ "eip2612GasSponsoring": { "info": ours } })
        );
    }
}
