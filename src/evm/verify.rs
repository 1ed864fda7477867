//! Verifying an `exact` EVM payment against the requirement it claims to pay,
//! without a chain: the signer, recipient, amount, token, chain and time window.
//! On-chain state (nonce used, balance) is the facilitator's part.

use ruint::aliases::U256;
use serde_json::Value;

use super::authorization::{Eip3009, object, permit2_typed_data};
use super::eip712::uint_value;
use super::exact::{PERMIT2_PROXY_ADDRESS, chain_id};
use super::{Address, RecoverableSignature, recover_address, signature_hex, signed_by_key_of};
use crate::dialect::Requirement;
use crate::protocol::Network;

/// Why a payment is invalid. [`Invalid::reason`] is the x402 reason string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invalid {
    /// The scheme is not `exact`.
    Scheme,
    /// The payment is for another network than the requirement.
    Network,
    /// The payload is not an `exact` EVM payload.
    Payload,
    /// The requirement lacks what verification needs (EIP-712 name/version).
    Requirements,
    /// The signature does not recover `from` (or is malformed or high-s).
    Signature,
    /// `to` is not the requirement's `payTo`.
    RecipientMismatch,
    /// `value` is not exactly the requirement's amount.
    ValueMismatch,
    /// `validBefore` has passed, or is too close to settle.
    ValidBefore,
    /// `validAfter` is still in the future.
    ValidAfter,
    /// Permit2: the spender is not the x402 proxy.
    Permit2Spender,
    /// Permit2: the permitted token is not the asset.
    Permit2Token,
    /// Permit2: the witness recipient is not `payTo`.
    Permit2Recipient,
    /// Permit2: the permitted amount is not exactly the amount.
    Permit2Amount,
    /// Permit2: the deadline has passed, or is too close to settle.
    Permit2Deadline,
    /// Permit2: the witness `validAfter` is still in the future.
    Permit2NotYetValid,
    /// Permit2: the signature does not recover `from`.
    Permit2Signature,
}

impl Invalid {
    /// The reason string (`invalidReason`) of the x402 specification and facilitators.
    pub fn reason(self) -> &'static str {
        match self {
            Invalid::Scheme => "unsupported_scheme",
            Invalid::Network => "invalid_network",
            Invalid::Payload => "invalid_payload",
            Invalid::Requirements => "invalid_payment_requirements",
            Invalid::Signature => "invalid_exact_evm_payload_signature",
            Invalid::RecipientMismatch => "invalid_exact_evm_payload_recipient_mismatch",
            Invalid::ValueMismatch => "invalid_exact_evm_payload_authorization_value_mismatch",
            Invalid::ValidBefore => "invalid_exact_evm_payload_authorization_valid_before",
            Invalid::ValidAfter => "invalid_exact_evm_payload_authorization_valid_after",
            Invalid::Permit2Spender => "invalid_permit2_spender",
            Invalid::Permit2Token => "permit2_token_mismatch",
            Invalid::Permit2Recipient => "invalid_permit2_recipient_mismatch",
            Invalid::Permit2Amount => "permit2_amount_mismatch",
            Invalid::Permit2Deadline => "permit2_deadline_expired",
            Invalid::Permit2NotYetValid => "permit2_not_yet_valid",
            Invalid::Permit2Signature => "invalid_permit2_signature",
        }
    }
}

/// The clock and tolerances of a verification.
#[derive(Clone, Copy, Debug)]
pub struct VerifyOptions {
    /// The verifier's clock, Unix seconds.
    pub now: u64,
    /// How far in the future `validAfter` may be (client clocks run ahead).
    pub max_clock_skew: u64,
    /// How long before `validBefore` a payment must still be, to leave time to settle.
    pub min_validity: u64,
    /// Whether a signature that is not an ECDSA signature by `from` passes, every
    /// other check still made, as a smart-contract account's (see
    /// [`crate::evm::signature_hex`]: any length, even 65 bytes, since a one-owner
    /// Safe signs with its owner's key over another hash). It cannot be checked here:
    /// only for a caller whose facilitator verifies it on chain, as the token will
    /// (`isValidSignature` when `from` has code), before anything is served.
    pub contract_signatures: bool,
}

impl VerifyOptions {
    /// Defaults: 5 s of skew, 6 s of remaining validity (as the reference facilitator).
    pub fn at(now: u64) -> Self {
        VerifyOptions {
            now,
            max_clock_skew: 5,
            min_validity: 6,
            contract_signatures: false,
        }
    }
}

/// A payment that passed verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The paying address.
    pub payer: Address,
    /// The authorization nonce (hex for EIP-3009, decimal for Permit2): with the
    /// network and payer, the replay key.
    pub nonce: String,
    /// Unix seconds after which the authorization is void (capped to u64).
    pub valid_before: u64,
}

/// Verifies an `exact` EVM payment: `scheme` and `network` as the payment states
/// them, `payload` its scheme payload, against the route's `requirement`.
///
/// # Errors
/// The first [`Invalid`] reason found.
pub fn verify(
    scheme: &str,
    network: &Network,
    payload: &Value,
    requirement: &Requirement,
    options: &VerifyOptions,
) -> Result<Verified, Invalid> {
    if scheme != "exact" || requirement.scheme != "exact" {
        return Err(Invalid::Scheme);
    }
    if *network != requirement.network {
        return Err(Invalid::Network);
    }
    let chain_id = chain_id(requirement).map_err(|_| Invalid::Network)?;
    let signature = payload
        .get("signature")
        .and_then(Value::as_str)
        .ok_or(Invalid::Payload)?;
    let ecdsa = RecoverableSignature::parse(signature).ok();
    let contract = options.contract_signatures && signature_hex(signature).is_some();
    if ecdsa.is_none() && !contract {
        return Err(Invalid::Payload);
    }
    // v = 0/1 would recover here but not on chain (the token's ecrecover refuses it), so such a
    // signature is refused without recovering it. A contract's may be deferred, but not one that
    // `from`'s own key made in a form the token refuses (v = 0/1, high s): the facilitator might
    // pass it and the settlement would fail after the handler ran.
    let signed_by = |digest: &[u8; 32], from: Address| match ecdsa {
        Some(signature) => {
            let exact = || {
                signature.has_legacy_v() && recover_address(digest, &signature).ok() == Some(from)
            };
            exact() || (contract && !signed_by_key_of(digest, &signature, from))
        }
        None => contract,
    };
    let pay_to = Address::parse(&requirement.pay_to).map_err(|_| Invalid::Requirements)?;
    let asset = Address::parse(&requirement.asset).map_err(|_| Invalid::Requirements)?;
    let amount = requirement.amount.as_u256();
    let now = U256::from(options.now);
    let not_yet = |valid_after: U256| valid_after > now + U256::from(options.max_clock_skew);
    let expired = |valid_before: U256| valid_before < now + U256::from(options.min_validity);

    // A facilitator picks the transfer by which member is present (the official one takes
    // `permit2Authorization` first): a payload with both would be checked and replay-keyed on
    // one and settled on the other.
    if payload.get("authorization").is_some() && payload.get("permit2Authorization").is_some() {
        return Err(Invalid::Payload);
    }
    if let Some(auth) = payload.get("authorization").filter(|a| a.is_object()) {
        let from = address(auth, "from")?;
        if address(auth, "to")? != pay_to {
            return Err(Invalid::RecipientMismatch);
        }
        if uint(auth, "value")? != amount {
            return Err(Invalid::ValueMismatch);
        }
        let valid_before = uint(auth, "validBefore")?;
        if expired(valid_before) {
            return Err(Invalid::ValidBefore);
        }
        let valid_after = uint(auth, "validAfter")?;
        if not_yet(valid_after) {
            return Err(Invalid::ValidAfter);
        }
        let nonce = text(auth, "nonce")?;
        let name = requirement.extra_str("name").ok_or(Invalid::Requirements)?;
        let version = requirement
            .extra_str("version")
            .ok_or(Invalid::Requirements)?;
        // The digest the payer signed, hashed as the client hashes it (bytes32: 0x + 32 bytes).
        let nonce_bytes = nonce
            .strip_prefix("0x")
            .and_then(super::hex32)
            .ok_or(Invalid::Payload)?;
        let digest = Eip3009 {
            from,
            to: pay_to,
            value: amount,
            valid_after,
            valid_before,
            nonce: nonce_bytes,
        }
        .digest(name, version, chain_id, asset);
        if !signed_by(&digest, from) {
            return Err(Invalid::Signature);
        }
        return Ok(Verified {
            payer: from,
            nonce: nonce.to_owned(),
            valid_before: saturate(valid_before),
        });
    }

    let auth = payload
        .get("permit2Authorization")
        .filter(|a| a.is_object())
        .ok_or(Invalid::Payload)?;
    let from = address(auth, "from")?;
    let permitted = auth.get("permitted").ok_or(Invalid::Payload)?;
    let witness = auth.get("witness").ok_or(Invalid::Payload)?;
    if !address(auth, "spender")?
        .to_checksum()
        .eq_ignore_ascii_case(PERMIT2_PROXY_ADDRESS)
    {
        return Err(Invalid::Permit2Spender);
    }
    if address(permitted, "token")? != asset {
        return Err(Invalid::Permit2Token);
    }
    if address(witness, "to")? != pay_to {
        return Err(Invalid::Permit2Recipient);
    }
    if uint(permitted, "amount")? != amount {
        return Err(Invalid::Permit2Amount);
    }
    let deadline = uint(auth, "deadline")?;
    if expired(deadline) {
        return Err(Invalid::Permit2Deadline);
    }
    if not_yet(uint(witness, "validAfter")?) {
        return Err(Invalid::Permit2NotYetValid);
    }
    let nonce = uint(auth, "nonce")?.to_string();
    let typed = permit2_typed_data(chain_id, object(auth.clone()));
    let digest = typed.digest().map_err(|_| Invalid::Payload)?;
    if !signed_by(&digest, from) {
        return Err(Invalid::Permit2Signature);
    }
    Ok(Verified {
        payer: from,
        nonce,
        valid_before: saturate(deadline),
    })
}

fn text<'a>(value: &'a Value, key: &str) -> Result<&'a str, Invalid> {
    value
        .get(key)
        .and_then(Value::as_str)
        .ok_or(Invalid::Payload)
}

fn address(value: &Value, key: &str) -> Result<Address, Invalid> {
    Address::parse(text(value, key)?).map_err(|_| Invalid::Payload)
}

fn uint(value: &Value, key: &str) -> Result<U256, Invalid> {
    value.get(key).and_then(uint_value).ok_or(Invalid::Payload)
}

fn saturate(value: U256) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}
