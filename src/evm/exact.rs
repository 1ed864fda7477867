//! Building `exact` payments on EVM chains: the EIP-3009 `TransferWithAuthorization`
//! (default) or the Permit2 `PermitWitnessTransferFrom` (when
//! `extra.assetTransferMethod == "permit2"`), as typed data to sign and then as the
//! scheme payload.
//!
//! Time and nonce are inputs. An EIP-3009 `validAfter` defaults to `now - 600`: ten
//! minutes of tolerance for a client clock that runs ahead of the chain (the x402 v1
//! reference client's choice); a Permit2 witness's defaults to 0, as the v2 reference
//! client signs. Callers may pass their own.

use ruint::aliases::U256;
use serde_json::{Value, json};

// Their public path since they were written here.
use super::authorization::{Eip3009, object};
pub use super::authorization::{eip3009_typed_data, permit2_typed_data};
use super::{Address, RecoverableSignature, TypedData, recover_address};
use crate::dialect::Requirement;
use crate::error::{Error, Result};

/// The canonical Permit2 contract.
pub const PERMIT2_ADDRESS: &str = "0x000000000022D473030F116dDEE9F6B43aC78BA3";
/// The x402 exact Permit2 proxy: the `spender` of every x402 Permit2 payment.
pub const PERMIT2_PROXY_ADDRESS: &str = "0x402085c248EeA27D92E8b30b2C58ed07f9E20001";
/// Default distance of an EIP-3009 `validAfter` before `now`, in seconds.
pub const DEFAULT_VALID_AFTER_LEEWAY: u64 = 600;
/// The largest chain id JavaScript numbers represent exactly (2^53 - 1).
const MAX_SAFE_CHAIN_ID: u64 = (1 << 53) - 1;

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
    /// `validAfter`; `None` means `now - 600` for EIP-3009 and 0 for Permit2.
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

/// What [`prepare`] takes of an `exact` EVM requirement besides the payer, checked.
pub struct Terms<'r> {
    /// The chain id of the requirement's network (at most 2^53 - 1).
    pub chain_id: u64,
    /// The recipient.
    pub pay_to: Address,
    /// The token.
    pub asset: Address,
    /// `now + maxTimeoutSeconds`.
    pub valid_before: u64,
    /// The token's EIP-712 `name` and `version` (EIP-3009 only).
    pub domain: Option<(&'r str, &'r str)>,
}

/// Checks what [`prepare`] needs of an `exact` EVM requirement besides the payer:
/// the chain, the addresses, the EIP-712 domain (EIP-3009) and a `validBefore`
/// (`now + maxTimeoutSeconds`) that fits.
///
/// # Errors
/// As [`prepare`], but for the scheme.
pub fn check_terms(requirement: &Requirement, now: u64) -> Result<Terms<'_>> {
    let chain_id = chain_id(requirement)?;
    let pay_to = Address::parse(&requirement.pay_to)?;
    let asset = Address::parse(&requirement.asset)?;
    let valid_before =
        now.checked_add(requirement.max_timeout_seconds)
            .ok_or(Error::AmountOverflow {
                max: "2^64 - 1 (validBefore, now + maxTimeoutSeconds, in seconds)",
            })?;
    let domain = if TransferMethod::of(requirement) == TransferMethod::Eip3009 {
        let named = |key| requirement.extra_str(key).filter(|s| !s.is_empty());
        let (Some(name), Some(version)) = (named("name"), named("version")) else {
            return Err(Error::MissingEip712Domain);
        };
        Some((name, version))
    } else {
        None
    };
    Ok(Terms {
        chain_id,
        pay_to,
        asset,
        valid_before,
        domain,
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
    let Terms {
        chain_id,
        pay_to,
        asset,
        valid_before: before,
        domain,
    } = check_terms(requirement, params.now)?;
    // `check_terms` gives the EIP-712 domain exactly when the method is EIP-3009.
    let method = TransferMethod::of(requirement);
    // Permit2's default is 0, as the official client signs: the witness only needs `validAfter <= now`
    // on chain, and 0 holds whatever the client's clock says.
    let after = params.valid_after.unwrap_or(match method {
        TransferMethod::Eip3009 => params.now.saturating_sub(DEFAULT_VALID_AFTER_LEEWAY),
        TransferMethod::Permit2 => 0,
    });
    let (valid_before, valid_after) = (before.to_string(), after.to_string());
    let amount = requirement.amount.to_string();
    let (typed, authorization, digest) = match domain {
        Some((name, version)) => {
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
        None => {
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
    /// before anything is sent). A `v` of 0/1 is sent as 27/28, which chains accept.
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
        Ok(self.payload_signed_by(&signature.with_legacy_v()))
    }

    /// The scheme payload with the signature a wallet gave: an ECDSA signature (65
    /// bytes) must recover `from`; any other length is a smart-contract wallet's
    /// (ERC-1271, or ERC-6492 before it is deployed), sent as it is for the
    /// facilitator to verify on chain, as the official client does.
    ///
    /// # Errors
    /// [`Error::SignerMismatch`], [`Error::InvalidSignature`] for text that is
    /// neither.
    pub fn payload_from_wallet(&self, signature: &str) -> Result<Value> {
        match RecoverableSignature::parse(signature) {
            Ok(ecdsa) => self.payload(&ecdsa),
            Err(error) => match super::contract_signature(signature) {
                Some(contract) => Ok(self.payload_with(contract.to_ascii_lowercase())),
                None => Err(error),
            },
        }
    }

    /// The scheme payload with `signature` sent as the signature of an account with
    /// code (checked by the caller): any length, even the 65 bytes of a one-owner
    /// Safe that [`Self::payload_from_wallet`] refuses because they recover another
    /// address. The account's `isValidSignature` decides, on chain.
    ///
    /// # Errors
    /// [`Error::InvalidSignature`] for text that is not `0x` and 1 to
    /// [`super::MAX_CONTRACT_SIGNATURE`] hex bytes.
    pub fn payload_as_contract(&self, signature: &str) -> Result<Value> {
        let signature = super::signature_hex(signature).ok_or(Error::InvalidSignature {
            reason: "must be 0x and hex bytes",
        })?;
        Ok(self.payload_with(signature.to_ascii_lowercase()))
    }

    /// The scheme payload with a signature already known to come from `from`
    /// (made here with the payer's own key).
    pub fn payload_signed_by(&self, signature: &RecoverableSignature) -> Value {
        self.payload_with(signature.to_hex())
    }

    fn payload_with(&self, signature: String) -> Value {
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
