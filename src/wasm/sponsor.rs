//! The gas-sponsoring extensions when a payment is signed (see
//! [`crate::evm::sponsoring`]): after the Permit2 signature, reads the payer's Permit2
//! allowance and, when it is short of the payment, has the payer sign what lets the
//! facilitator approve Permit2 for them: the token's EIP-2612 permit
//! (`eip2612GasSponsoring`, the permit nonce read from the token), or else an
//! `approve` transaction (`erc20ApprovalGasSponsoring`, by a local key or a wallet's
//! `signTransaction`, the nonce and fees read from the node: approval.rs).
//!
//! The permit's reads go through the wallet's own `ethCall` (the EIP-1193 and viem
//! adapters ask their node) or else `eth_call` on the user's `options.rpc[network]`;
//! with neither, nothing is signed and the server's extension is echoed as it was (the
//! official client does the same without a way to read the chain).

use js_sys::{Function, Object, Promise, Reflect};
use ruint::aliases::U256;
use serde_json::{Map, Value, json};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::convert::method;
use super::error::{invalid_argument, js, to_js, wallet_error};
use super::evm::SignInputs;
use super::request::{stop_if_aborted, with_signal};
use super::rpc::check_chain;
use super::rpc::{rpc_url_for, rpc_within};
use super::wallet::{has_code, signature_within, typed_data_to_js, wallet_within};
use crate::dialect::{Challenge, Requirement};
use crate::error::Error;
use crate::evm::sponsoring::{
    ERC20_APPROVAL_GAS_SPONSORING, Permit, allowance_call, approval_offered, decode_uint,
    nonces_call, permit_domain, with_info, with_permit_info,
};
use crate::evm::{Address, PrivateKeySigner, RecoverableSignature, recover_address};

/// Where the chain is read.
pub(super) enum Source<'a> {
    /// The wallet's `ethCall(request, { chainId, signal })`.
    Wallet(&'a JsValue, Function),
    /// `eth_call` on this JSON-RPC URL.
    Rpc(String),
}

/// Reads of the payment's chain, each within `rpc_ms` and stopped by `signal`.
pub(super) struct Reader<'a> {
    pub(super) source: Source<'a>,
    pub(super) chain_id: u64,
    pub(super) rpc_ms: u32,
    pub(super) signal: Option<&'a AbortSignal>,
}

impl Reader<'_> {
    /// The `uint256` that `data` called on `to` returns.
    async fn uint(&self, to: &Address, data: String) -> Result<U256, JsValue> {
        let signal = self.signal;
        stop_if_aborted(signal)?;
        let answer = match &self.source {
            Source::Wallet(wallet, eth_call) => {
                let context = with_signal(signal)?;
                // Exact: a payment's chain id is at most 2^53 - 1 (`prepare` refuses others).
                Reflect::set(
                    &context,
                    &"chainId".into(),
                    &JsValue::from_f64(self.chain_id as f64),
                )?;
                let request = Object::new();
                Reflect::set(
                    &request,
                    &"to".into(),
                    &JsValue::from_str(&to.to_checksum()),
                )?;
                Reflect::set(&request, &"data".into(), &JsValue::from_str(&data))?;
                let pending = eth_call
                    .call2(wallet, &request, &context)
                    .map_err(wallet_error)?;
                // Bounded as an RPC read is: a wallet whose node never answers must not
                // hold the payment (and its budget reservation) for ever.
                let ms = self.rpc_ms;
                wallet_within(Promise::resolve(&pending), ms, signal, || {
                    to_js(&rpc_error(&format!(
                        "the wallet's ethCall did not answer within {ms} ms"
                    )))
                })
                .await?
                .as_string()
                .ok_or_else(|| invalid_argument("ethCall must resolve to a hex string"))?
            }
            Source::Rpc(url) => rpc_within(
                url,
                "eth_call",
                json!([{ "to": to.to_checksum(), "data": data }, "latest"]),
                self.rpc_ms,
                signal,
            )
            .await?
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| to_js(&rpc_error("eth_call did not answer a hex string")))?,
        };
        js(decode_uint(&answer))
    }

    /// Whether Permit2's allowance from `from` on `token` already covers `amount`. An
    /// allowance that cannot be read counts as short (the approval is signed anyway),
    /// as the official client does; an abort stops here.
    pub(super) async fn allowance_covers(
        &self,
        token: &Address,
        from: &Address,
        amount: U256,
    ) -> Result<bool, JsValue> {
        let allowance = self.uint(token, allowance_call(from)).await;
        stop_if_aborted(self.signal)?;
        Ok(allowance.is_ok_and(|allowance| allowance >= amount))
    }
}

pub(super) fn rpc_error(reason: &str) -> Error {
    Error::RpcError {
        reason: reason.into(),
    }
}

/// Who pays: the wallet, the key when it is held here, and the address.
pub(crate) struct Payer<'a> {
    pub(crate) wallet: &'a JsValue,
    pub(crate) key: Option<&'a PrivateKeySigner>,
    pub(crate) address: &'a Address,
}

/// The payment's extensions with a gas-sponsoring approval, or `None` when none is
/// needed or possible. `eip2612GasSponsoring` first (a signed permit), else
/// `erc20ApprovalGasSponsoring` (a signed approval transaction), as the official client
/// tries them; only for a v2 Permit2 payment whose 402 offers the extension. `payload`
/// is the scheme payload just signed (its deadline is the permit's).
///
/// # Errors
/// A read that decides what is signed failed (RPC or wallet error, CHAIN_NOT_AVAILABLE),
/// the wallet refused to sign, or it signed as another account: nothing has been sent.
pub(crate) async fn sponsored_extensions(
    challenge: &Challenge,
    requirement: &Requirement,
    payer: Payer<'_>,
    payload: &Value,
    inputs: &SignInputs<'_>,
    signal: Option<&AbortSignal>,
) -> Result<Option<Map<String, Value>>, JsValue> {
    let extensions = match (&challenge.extensions, challenge.x402_version) {
        (Some(extensions), 2) => extensions,
        _ => return Ok(None),
    };
    if let Some(domain) = permit_domain(Some(extensions), requirement) {
        let info = permit_info(domain, requirement, payer, payload, inputs, signal).await?;
        return Ok(info.map(|info| with_permit_info(extensions, info)));
    }
    if approval_offered(Some(extensions), requirement) {
        let info = super::approval::approval(requirement, payer, inputs, signal).await?;
        return Ok(info.map(|info| with_info(extensions, ERC20_APPROVAL_GAS_SPONSORING, info)));
    }
    Ok(None)
}

/// The `eip2612GasSponsoring` info with the payer's permit, or `None` when the chain
/// cannot be read or the allowance already covers the payment.
async fn permit_info(
    (name, version): (&str, &str),
    requirement: &Requirement,
    payer: Payer<'_>,
    payload: &Value,
    inputs: &SignInputs<'_>,
    signal: Option<&AbortSignal>,
) -> Result<Option<Map<String, Value>>, JsValue> {
    let Payer {
        wallet,
        key,
        address: from,
    } = payer;
    let chain_id = js(crate::evm::exact::chain_id(requirement))?;
    // The wallet's ethCall checks its own chain (the package's adapters do); a URL is
    // checked here, as for the approval, so nothing is read from another chain.
    let source = match method(wallet, "ethCall")? {
        Some(eth_call) => Source::Wallet(wallet, eth_call),
        None => match rpc_url_for(inputs.rpc, &requirement.network) {
            Some(url) => {
                check_chain(&url, chain_id, (inputs.rpc_ms, signal)).await?;
                Source::Rpc(url)
            }
            None => return Ok(None),
        },
    };
    let reader = Reader {
        source,
        chain_id,
        rpc_ms: inputs.rpc_ms,
        signal,
    };
    let token = js(Address::parse(&requirement.asset))?;
    let amount = requirement.amount.as_u256();
    if reader.allowance_covers(&token, from, amount).await? {
        return Ok(None);
    }
    let nonce = reader.uint(&token, nonces_call(from)).await?;
    let deadline = payload
        .pointer("/permit2Authorization/deadline")
        .and_then(Value::as_str)
        .and_then(|d| U256::from_str_radix(d, 10).ok())
        .ok_or_else(|| invalid_argument("the Permit2 payload has no deadline"))?;
    let permit = Permit {
        name: name.to_owned(),
        version: version.to_owned(),
        chain_id,
        token,
        owner: *from,
        value: amount,
        nonce,
        deadline,
    };
    let typed = permit.typed_data();
    let digest = js(typed.digest())?;
    let signature = match key {
        Some(key) => key.sign_digest(&digest).to_hex(),
        None => {
            let signature =
                wallet_signature(wallet, &typed, requirement.max_timeout_seconds, signal).await?;
            checked(
                &signature,
                &digest,
                from,
                wallet,
                requirement,
                inputs,
                signal,
            )
            .await?
        }
    };
    Ok(Some(permit.info(&signature)))
}

/// The permit signed by an external wallet (`signTypedData`), as it answered.
async fn wallet_signature(
    wallet: &JsValue,
    typed: &crate::evm::TypedData,
    lifetime_s: u64,
    signal: Option<&AbortSignal>,
) -> Result<String, JsValue> {
    let sign = method(wallet, "signTypedData")?
        .ok_or_else(|| invalid_argument("wallet has no signTypedData method"))?;
    stop_if_aborted(signal)?;
    let pending = sign
        .call2(wallet, &typed_data_to_js(typed)?, &with_signal(signal)?)
        .map_err(wallet_error)?;
    signature_within(Promise::resolve(&pending), lifetime_s, signal)
        .await?
        .as_string()
        .ok_or_else(|| invalid_argument("signTypedData must resolve to a hex string"))
}

/// A wallet's permit signature, as the payment's own is checked: an ECDSA signature must
/// recover the payer (v sent as 27/28); another one is sent as given only by an account
/// with code (its token may accept ERC-1271 permits), else SIGNER_MISMATCH.
async fn checked(
    signature: &str,
    digest: &[u8; 32],
    from: &Address,
    wallet: &JsValue,
    requirement: &Requirement,
    inputs: &SignInputs<'_>,
    signal: Option<&AbortSignal>,
) -> Result<String, JsValue> {
    let recovered = RecoverableSignature::parse(signature)
        .and_then(|s| recover_address(digest, &s).map(|signer| (s, signer)));
    match recovered {
        Ok((ecdsa, signer)) if signer == *from => return Ok(ecdsa.with_legacy_v().to_hex()),
        _ => {}
    }
    let hex = crate::evm::signature_hex(signature).ok_or_else(|| {
        to_js(&Error::InvalidSignature {
            reason: "must be 0x and hex bytes",
        })
    })?;
    let network = &requirement.network;
    match has_code(wallet, from, network, inputs.rpc, inputs.rpc_ms, signal).await {
        Ok(true) => Ok(hex.to_ascii_lowercase()),
        _ => {
            stop_if_aborted(signal)?;
            Err(to_js(&Error::SignerMismatch {
                expected: from.to_checksum(),
                actual: match recovered {
                    Ok((_, signer)) => signer.to_checksum(),
                    Err(_) => "an unrecoverable signature".into(),
                },
            }))
        }
    }
}
