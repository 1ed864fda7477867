//! The typed data the `exact` payments sign: EIP-3009 `TransferWithAuthorization`
//! and Permit2 `PermitWitnessTransferFrom`, and the EIP-3009 digest hashed directly
//! (constant type hashes, recent domain separators remembered) for the hot path of
//! signing and verifying one authorization per paid request.

use ruint::aliases::U256;
use serde_json::{Map, Value, json};

use super::exact::PERMIT2_ADDRESS;
use super::{Address, TypedData, keccak256};

const TRANSFER_WITH_AUTHORIZATION: &[(&str, &str)] = &[
    ("address", "from"),
    ("address", "to"),
    ("uint256", "value"),
    ("uint256", "validAfter"),
    ("uint256", "validBefore"),
    ("bytes32", "nonce"),
];
const PERMIT_WITNESS_TRANSFER_FROM: &[(&str, &str)] = &[
    ("TokenPermissions", "permitted"),
    ("address", "spender"),
    ("uint256", "nonce"),
    ("uint256", "deadline"),
    ("Witness", "witness"),
];
const TOKEN_PERMISSIONS: &[(&str, &str)] = &[("address", "token"), ("uint256", "amount")];
const WITNESS: &[(&str, &str)] = &[("address", "to"), ("uint256", "validAfter")];

/// The EIP-3009 `TransferWithAuthorization` typed data for a token.
pub fn eip3009_typed_data(
    name: &str,
    version: &str,
    chain_id: u64,
    asset: Address,
    message: Map<String, Value>,
) -> TypedData {
    token_typed_data(
        (name, version, chain_id, asset),
        ("TransferWithAuthorization", TRANSFER_WITH_AUTHORIZATION),
        message,
    )
}

/// Typed data under a token's own EIP-712 domain `{name, version, chainId,
/// verifyingContract}` (EIP-3009 and EIP-2612 share it), with one struct type.
fn token_typed_data(
    (name, version, chain_id, asset): (&str, &str, u64, Address),
    (primary, fields): (&str, &[(&str, &str)]),
    message: Map<String, Value>,
) -> TypedData {
    let domain = json!({
        "name": name, "version": version, "chainId": chain_id,
        "verifyingContract": asset.to_checksum(),
    });
    TypedData::new(object(domain), &[(primary, fields)], primary, message)
}

/// `keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")`.
const EIP712_DOMAIN_TYPEHASH: [u8; 32] = [
    0x8b, 0x73, 0xc3, 0xc6, 0x9b, 0xb8, 0xfe, 0x3d, 0x51, 0x2e, 0xcc, 0x4c, 0xf7, 0x59, 0xcc, 0x79,
    0x23, 0x9f, 0x7b, 0x17, 0x9b, 0x0f, 0xfa, 0xca, 0xa9, 0xa7, 0x5d, 0x52, 0x2b, 0x39, 0x40, 0x0f,
];
/// `keccak256("TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)")`,
/// the `TRANSFER_WITH_AUTHORIZATION_TYPEHASH` of EIP-3009 tokens.
const TRANSFER_WITH_AUTHORIZATION_TYPEHASH: [u8; 32] = [
    0x7c, 0x7c, 0x6c, 0xdb, 0x67, 0xa1, 0x87, 0x43, 0xf4, 0x9e, 0xc6, 0xfa, 0x9b, 0x35, 0xf5, 0x0d,
    0x52, 0xed, 0x05, 0xcb, 0xed, 0x4c, 0xc5, 0x92, 0xe1, 0x3b, 0x44, 0x50, 0x1c, 0x1a, 0x22, 0x67,
];
/// How many EIP-3009 domain separators are remembered (oldest dropped first).
const DOMAIN_CACHE: usize = 8;

type DomainKey = (String, String, u64, Address);

thread_local! {
    static DOMAINS: std::cell::RefCell<Vec<(DomainKey, [u8; 32])>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The domain separator of an EIP-3009 token, `{name, version, chainId,
/// verifyingContract}`: four Keccak-256 hashes, remembered for the last few tokens.
fn eip3009_domain(name: &str, version: &str, chain_id: u64, token: Address) -> [u8; 32] {
    let same =
        |(n, v, c, t): &DomainKey| n == name && v == version && *c == chain_id && *t == token;
    if let Some(hash) = DOMAINS.with(|d| d.borrow().iter().find(|(k, _)| same(k)).map(|(_, h)| *h))
    {
        return hash;
    }
    let hash = keccak256(
        &[
            EIP712_DOMAIN_TYPEHASH,
            keccak256(name.as_bytes()),
            keccak256(version.as_bytes()),
            U256::from(chain_id).to_be_bytes::<32>(),
            token.to_word(),
        ]
        .concat(),
    );
    DOMAINS.with(|d| {
        let mut d = d.borrow_mut();
        if d.len() >= DOMAIN_CACHE {
            d.remove(0);
        }
        d.push(((name.to_owned(), version.to_owned(), chain_id, token), hash));
    });
    hash
}

/// An EIP-3009 `TransferWithAuthorization` message, hashed without the generic
/// typed-data encoder: a client signs, and a server verifies, one per paid request.
pub(crate) struct Eip3009 {
    pub(crate) from: Address,
    pub(crate) to: Address,
    pub(crate) value: U256,
    pub(crate) valid_after: U256,
    pub(crate) valid_before: U256,
    pub(crate) nonce: [u8; 32],
}

impl Eip3009 {
    /// `keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message))`, with the domain
    /// `{name, version, chainId, verifyingContract}` that `eip3009_typed_data` builds.
    pub(crate) fn digest(
        &self,
        name: &str,
        version: &str,
        chain_id: u64,
        token: Address,
    ) -> [u8; 32] {
        let domain = eip3009_domain(name, version, chain_id, token);
        let message = keccak256(
            &[
                TRANSFER_WITH_AUTHORIZATION_TYPEHASH,
                self.from.to_word(),
                self.to.to_word(),
                self.value.to_be_bytes::<32>(),
                self.valid_after.to_be_bytes::<32>(),
                self.valid_before.to_be_bytes::<32>(),
                self.nonce,
            ]
            .concat(),
        );
        keccak256(&[&[0x19, 0x01][..], &domain, &message].concat())
    }
}

const PERMIT: &[(&str, &str)] = &[
    ("address", "owner"),
    ("address", "spender"),
    ("uint256", "value"),
    ("uint256", "nonce"),
    ("uint256", "deadline"),
];

/// The EIP-2612 `Permit` typed data for a token (its domain as for EIP-3009).
pub(crate) fn eip2612_typed_data(
    name: &str,
    version: &str,
    chain_id: u64,
    asset: Address,
    message: Map<String, Value>,
) -> TypedData {
    token_typed_data(
        (name, version, chain_id, asset),
        ("Permit", PERMIT),
        message,
    )
}

/// The Permit2 `PermitWitnessTransferFrom` typed data (x402 witness).
pub fn permit2_typed_data(chain_id: u64, message: Map<String, Value>) -> TypedData {
    let domain =
        json!({ "name": "Permit2", "chainId": chain_id, "verifyingContract": PERMIT2_ADDRESS });
    TypedData::new(
        object(domain),
        &[
            ("PermitWitnessTransferFrom", PERMIT_WITNESS_TRANSFER_FROM),
            ("TokenPermissions", TOKEN_PERMISSIONS),
            ("Witness", WITNESS),
        ],
        "PermitWitnessTransferFrom",
        message,
    )
}

pub(crate) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The constants are the hashes of their type strings (values from viem's keccak256).
    #[test]
    fn typehashes_are_the_hashes_of_their_types() {
        assert_eq!(
            keccak256(
                b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
            ),
            EIP712_DOMAIN_TYPEHASH
        );
        assert_eq!(
            keccak256(
                b"TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
            ),
            TRANSFER_WITH_AUTHORIZATION_TYPEHASH
        );
    }

    /// A remembered domain separator is the one the generic encoder computes, for
    /// more tokens than the cache holds (so entries are dropped and recomputed).
    #[test]
    fn remembered_domains_match_the_generic_encoder() {
        for round in 0..2u8 {
            for i in 0..(DOMAIN_CACHE as u8 + 3) {
                let token = Address([i; 20]);
                let typed =
                    eip3009_typed_data("USD Coin", "2", 8453 + u64::from(round), token, Map::new());
                assert_eq!(
                    eip3009_domain("USD Coin", "2", 8453 + u64::from(round), token),
                    typed.domain_separator().unwrap()
                );
            }
        }
    }
}
