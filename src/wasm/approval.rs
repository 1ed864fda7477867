//! The `erc20ApprovalGasSponsoring` approval (see [`super::sponsor`]): the payer's
//! `approve(Permit2, 2^256 - 1)`, signed as an EIP-1559 transaction without being sent,
//! by a key held here or a wallet's `signTransaction`, whose answer must be exactly
//! the transaction asked, signed by the payer.

use js_sys::{BigInt, Function, Object, Promise, Reflect};
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::convert::method;
use super::error::{invalid_argument, js, to_js, wallet_error};
use super::evm::SignInputs;
use super::request::{stop_if_aborted, with_signal};
use super::rpc::{check_chain, fees, pending_nonce, rpc_url_for};
use super::sponsor::{Payer, Reader, Source, rpc_error};
use super::wallet::signature_within;
use crate::dialect::Requirement;
use crate::error::Error;
use crate::evm::sponsoring::{approval_info, approval_transaction};
use crate::evm::{Address, Eip1559Transaction, PrivateKeySigner};

/// The `erc20ApprovalGasSponsoring` info: `token.approve(Permit2, 2^256 - 1)` signed as
/// an EIP-1559 transaction (not sent: the facilitator funds and broadcasts it), with
/// the nonce and fees read from `options.rpc[network]` after checking its chain. A key
/// held here signs it, or a wallet with `signTransaction` (a viem local account; a
/// browser wallet cannot sign a transaction without sending it), whose answer must be
/// exactly that transaction signed by the payer. `None` for other wallets, without an
/// RPC URL, or when the allowance already covers the payment.
pub(super) async fn approval(
    requirement: &Requirement,
    payer: Payer<'_>,
    inputs: &SignInputs<'_>,
    signal: Option<&AbortSignal>,
) -> Result<Option<Map<String, Value>>, JsValue> {
    let signer = match payer.key {
        Some(key) => TxSigner::Key(key),
        None => match method(payer.wallet, "signTransaction")? {
            Some(sign) => TxSigner::Wallet(sign),
            None => return Ok(None),
        },
    };
    let Some(url) = rpc_url_for(inputs.rpc, &requirement.network) else {
        return Ok(None);
    };
    let from = payer.address;
    let chain_id = js(crate::evm::exact::chain_id(requirement))?;
    let token = js(Address::parse(&requirement.asset))?;
    let amount = requirement.amount.as_u256();
    let bound = (inputs.rpc_ms, signal);
    check_chain(&url, chain_id, bound).await?;
    let reader = Reader {
        source: Source::Rpc(url.clone()),
        chain_id,
        rpc_ms: inputs.rpc_ms,
        signal,
    };
    if reader.allowance_covers(&token, from, amount).await? {
        return Ok(None);
    }
    let nonce = pending_nonce(&url, from, bound).await?;
    let fees = fees(&url, bound).await?;
    stop_if_aborted(signal)?;
    let tx = approval_transaction(chain_id, token, nonce, fees);
    let raw = match signer {
        TxSigner::Key(key) => tx.sign(key).raw_hex(),
        TxSigner::Wallet(sign) => {
            let lifetime_s = requirement.max_timeout_seconds;
            wallet_transaction(payer.wallet, &sign, &tx, from, lifetime_s, signal).await?
        }
    };
    Ok(Some(approval_info(from, &token, &raw)))
}

/// Who signs the approval transaction.
enum TxSigner<'a> {
    /// A key held here.
    Key(&'a PrivateKeySigner),
    /// The wallet's `signTransaction(tx, { signal })`.
    Wallet(Function),
}

/// `tx` signed by the wallet's `signTransaction`, given viem's shape (`type: 'eip1559'`,
/// numbers for the chain id and nonce, bigints for wei and gas) so a viem account takes
/// it as is. The answer (`0x` hex) must be exactly `tx`, signed by `from`.
async fn wallet_transaction(
    wallet: &JsValue,
    sign: &Function,
    tx: &Eip1559Transaction,
    from: &Address,
    lifetime_s: u64,
    signal: Option<&AbortSignal>,
) -> Result<String, JsValue> {
    let bigint = |n: &dyn ToString| BigInt::new(&JsValue::from_str(&n.to_string()));
    let request = Object::new();
    // Exact as numbers: the chain id is at most 2^53 - 1 (`prepare` refuses others), and
    // so must the nonce be (no account has sent 2^53 transactions; a node saying so lies).
    const MAX_SAFE: u64 = (1 << 53) - 1;
    if tx.nonce > MAX_SAFE {
        return Err(to_js(&rpc_error("a pending nonce past 2^53 - 1")));
    }
    let fields: [(&str, JsValue); 10] = [
        ("type", "eip1559".into()),
        ("chainId", JsValue::from_f64(tx.chain_id as f64)),
        ("nonce", JsValue::from_f64(tx.nonce as f64)),
        ("to", tx.to.to_checksum().into()),
        ("data", format!("0x{}", hex::encode(&tx.data)).into()),
        ("value", bigint(&tx.value)?.into()),
        ("gas", bigint(&tx.gas_limit)?.into()),
        ("maxFeePerGas", bigint(&tx.max_fee_per_gas)?.into()),
        (
            "maxPriorityFeePerGas",
            bigint(&tx.max_priority_fee_per_gas)?.into(),
        ),
        ("accessList", js_sys::Array::new().into()),
    ];
    for (key, value) in fields {
        Reflect::set(&request, &JsValue::from_str(key), &value)?;
    }
    stop_if_aborted(signal)?;
    let pending = sign
        .call2(wallet, &request, &with_signal(signal)?)
        .map_err(wallet_error)?;
    let answer = signature_within(Promise::resolve(&pending), lifetime_s, signal)
        .await?
        .as_string()
        .ok_or_else(|| invalid_argument("signTransaction must resolve to a 0x hex string"))?;
    let raw = answer
        .strip_prefix("0x")
        .and_then(|digits| hex::decode(digits).ok())
        .ok_or_else(|| {
            to_js(&Error::WalletAlteredTransaction {
                reason: "the signed transaction is not 0x hex",
            })
        })?;
    let signer = js(tx.signer_of(&raw))?;
    if signer != *from {
        stop_if_aborted(signal)?;
        return Err(to_js(&Error::SignerMismatch {
            expected: from.to_checksum(),
            actual: signer.to_checksum(),
        }));
    }
    Ok(format!("0x{}", hex::encode(raw)))
}
