//! Building `exact` payments on EVM chains: the EIP-3009 `TransferWithAuthorization`
//! (default) or the Permit2 `PermitWitnessTransferFrom` (when
//! `extra.assetTransferMethod == "permit2"`), as typed data to sign and then as the
//! scheme payload.
//!
//! Time and nonce are inputs. `validAfter` defaults to `now - 600`: ten minutes of
//! tolerance for a client clock that runs ahead of the chain (the x402 v1 reference
//! client's choice; the v2 reference client uses 0). Callers may pass their own.

use ruint::aliases::U256;
use serde_json::{Map, Value, json};

use super::{Address, RecoverableSignature, TypedData, keccak256, recover_address};
use crate::dialect::Requirement;
use crate::error::{Error, Result};

/// The canonical Permit2 contract.
pub const PERMIT2_ADDRESS: &str = "0x000000000022D473030F116dDEE9F6B43aC78BA3";
/// The x402 exact Permit2 proxy: the `spender` of every x402 Permit2 payment.
pub const PERMIT2_PROXY_ADDRESS: &str = "0x402085c248EeA27D92E8b30b2C58ed07f9E20001";
/// Default distance of `validAfter` before `now`, in seconds.
pub const DEFAULT_VALID_AFTER_LEEWAY: u64 = 600;
/// The largest chain id JavaScript numbers represent exactly (2^53 - 1).
const MAX_SAFE_CHAIN_ID: u64 = (1 << 53) - 1;

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

/// How the payment moves the tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferMethod {
    /// EIP-3009 `transferWithAuthorization` on the token itself.
    Eip3009,
    /// Permit2 `permitWitnessTransferFrom` through the x402 proxy.
    Permit2,
}

impl TransferMethod {
    /// The method a requirement asks for.
    pub fn of(requirement: &Requirement) -> Self {
        match requirement.extra_str("assetTransferMethod") {
            Some("permit2") => TransferMethod::Permit2,
            _ => TransferMethod::Eip3009,
        }
    }
}

/// The time and nonce of one payment.
#[derive(Clone, Copy, Debug)]
pub struct PaymentParams {
    /// The client's clock, Unix seconds.
    pub now: u64,
    /// 32 random bytes: the EIP-3009 nonce, or the Permit2 nonce as a uint256.
    pub nonce: [u8; 32],
    /// `validAfter`; `None` means `now - 600`.
    pub valid_after: Option<u64>,
}

/// A payment ready to be signed.
#[derive(Clone, Debug)]
pub struct PreparedPayment {
    /// The transfer method.
    pub method: TransferMethod,
    /// The payer.
    pub from: Address,
    /// The EIP-712 digest of [`PreparedPayment::typed_data`].
    pub digest: [u8; 32],
    authorization: Value,
    typed: Typed,
}

/// What a wallet signs, built only for a wallet that needs it: a key held here
/// signs the digest alone.
#[derive(Clone, Debug)]
enum Typed {
    /// EIP-3009: the domain; the message is the authorization.
    Eip3009 {
        name: String,
        version: String,
        chain_id: u64,
        asset: Address,
    },
    /// Permit2: built up front (its digest comes from the generic encoder).
    Ready(TypedData),
}

/// The chain id of an EVM requirement.
///
/// # Errors
/// [`Error::UnsupportedNetwork`] for a non-EVM network or a chain id JavaScript
/// cannot represent exactly.
pub fn chain_id(requirement: &Requirement) -> Result<u64> {
    requirement
        .network
        .chain_id()
        .filter(|id| *id <= MAX_SAFE_CHAIN_ID)
        .ok_or_else(|| Error::UnsupportedNetwork {
            network: requirement.network.to_string(),
        })
}

/// Prepares the typed data of an `exact` EVM payment from `from`.
///
/// # Errors
/// [`Error::UnsupportedScheme`], [`Error::UnsupportedNetwork`],
/// [`Error::InvalidAddress`] for a bad `payTo` or asset,
/// [`Error::MissingEip712Domain`] when EIP-3009 lacks `extra.name`/`extra.version`,
/// [`Error::AmountOverflow`] when `now + maxTimeoutSeconds` overflows.
pub fn prepare(
    requirement: &Requirement,
    from: Address,
    params: &PaymentParams,
) -> Result<PreparedPayment> {
    if requirement.scheme != "exact" {
        return Err(Error::UnsupportedScheme {
            scheme: requirement.scheme.clone(),
        });
    }
    let chain_id = chain_id(requirement)?;
    let pay_to = Address::parse(&requirement.pay_to)?;
    let asset = Address::parse(&requirement.asset)?;
    let before = params
        .now
        .checked_add(requirement.max_timeout_seconds)
        .ok_or(Error::AmountOverflow)?;
    let after = params
        .valid_after
        .unwrap_or_else(|| params.now.saturating_sub(DEFAULT_VALID_AFTER_LEEWAY));
    let (valid_before, valid_after) = (before.to_string(), after.to_string());
    let amount = requirement.amount.to_string();
    let method = TransferMethod::of(requirement);
    let (typed, authorization, digest) = match method {
        TransferMethod::Eip3009 => {
            let name = requirement.extra_str("name").filter(|s| !s.is_empty());
            let version = requirement.extra_str("version").filter(|s| !s.is_empty());
            let (Some(name), Some(version)) = (name, version) else {
                return Err(Error::MissingEip712Domain);
            };
            let message = json!({
                "from": from.to_checksum(),
                "to": pay_to.to_checksum(),
                "value": amount,
                "validAfter": valid_after,
                "validBefore": valid_before,
                "nonce": format!("0x{}", hex::encode(params.nonce)),
            });
            let typed = Typed::Eip3009 {
                name: name.to_owned(),
                version: version.to_owned(),
                chain_id,
                asset,
            };
            let authorization = Eip3009 {
                from,
                to: pay_to,
                value: requirement.amount.as_u256(),
                valid_after: U256::from(after),
                valid_before: U256::from(before),
                nonce: params.nonce,
            };
            let digest = authorization.digest(name, version, chain_id, asset);
            (typed, message, digest)
        }
        TransferMethod::Permit2 => {
            let permitted = json!({ "token": asset.to_checksum(), "amount": amount });
            let nonce = U256::from_be_bytes(params.nonce).to_string();
            let witness = json!({ "to": pay_to.to_checksum(), "validAfter": valid_after });
            let message = json!({
                "permitted": permitted, "spender": PERMIT2_PROXY_ADDRESS, "nonce": nonce,
                "deadline": valid_before, "witness": witness,
            });
            let typed = permit2_typed_data(chain_id, object(message.clone()));
            let mut authorization = object(json!({ "from": from.to_checksum() }));
            authorization.extend(object(message));
            let digest = typed.digest()?;
            (Typed::Ready(typed), Value::Object(authorization), digest)
        }
    };
    Ok(PreparedPayment {
        method,
        from,
        digest,
        authorization,
        typed,
    })
}

impl PreparedPayment {
    /// What a wallet signs: the typed data whose digest is [`PreparedPayment::digest`].
    pub fn typed_data(&self) -> TypedData {
        match &self.typed {
            Typed::Eip3009 {
                name,
                version,
                chain_id,
                asset,
            } => eip3009_typed_data(
                name,
                version,
                *chain_id,
                *asset,
                object(self.authorization.clone()),
            ),
            Typed::Ready(typed) => typed.clone(),
        }
    }

    /// The scheme payload with `signature`, after checking that the signature
    /// really comes from `from` (a wallet on the wrong account is caught here,
    /// before anything is sent).
    ///
    /// # Errors
    /// [`Error::InvalidSignature`] for a malformed or high-s signature,
    /// [`Error::SignerMismatch`] when it recovers to another address.
    pub fn payload(&self, signature: &RecoverableSignature) -> Result<Value> {
        let signer = recover_address(&self.digest, signature)?;
        if signer != self.from {
            return Err(Error::SignerMismatch {
                expected: self.from.to_checksum(),
                actual: signer.to_checksum(),
            });
        }
        Ok(self.payload_signed_by(signature))
    }

    /// The scheme payload with a signature already known to come from `from`
    /// (made here with the payer's own key).
    pub fn payload_signed_by(&self, signature: &RecoverableSignature) -> Value {
        let signature = signature.to_hex();
        match self.method {
            TransferMethod::Eip3009 => {
                json!({ "authorization": self.authorization, "signature": signature })
            }
            TransferMethod::Permit2 => {
                json!({ "signature": signature, "permit2Authorization": self.authorization })
            }
        }
    }
}

/// The EIP-3009 `TransferWithAuthorization` typed data for a token.
pub fn eip3009_typed_data(
    name: &str,
    version: &str,
    chain_id: u64,
    asset: Address,
    message: Map<String, Value>,
) -> TypedData {
    let domain = json!({
        "name": name, "version": version, "chainId": chain_id,
        "verifyingContract": asset.to_checksum(),
    });
    TypedData::new(
        object(domain),
        &[("TransferWithAuthorization", TRANSFER_WITH_AUTHORIZATION)],
        "TransferWithAuthorization",
        message,
    )
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
