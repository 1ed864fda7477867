//! EVM transactions the payer sends itself (the direct ERC-20 transfers of the
//! X-402-* headers dialect): through the wallet's `sendTransaction`, which for the
//! wasm-held key builds, signs and broadcasts an EIP-1559 transaction over JSON-RPC;
//! then waiting for the receipt.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Object, Promise, Reflect};
use ruint::aliases::U256;
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::convert::{js_to_json, json_to_js, method};
use super::error::wallet_error;
use super::error::{invalid_argument, js, to_js};
use super::evm::{EvmPrivateKeyWallet, wallet_promise};
use super::request::{stop_if_aborted, until_aborted};
use super::rpc::{
    RPC_MS, check_chain, ctx_rpc_url, ctx_signal, fees, pending_nonce, rpc, rpc_or, rpc_quantity,
    rpc_within,
};
use super::timer::{Backoff, now_millis, poll, within};
use crate::error::Error;
use crate::evm::eip712::uint_value;
use crate::evm::{Address, Eip1559Transaction, PrivateKeySigner};
use crate::protocol::Amount;

/// The first and the longest wait between two receipt polls, in ms.
const POLL_FIRST_MS: u32 = 250;
const POLL_MAX_MS: u32 = 2_000;

/// A transaction request `{ chainId, to, data?, value? }`, checked.
struct TxRequest {
    chain_id: u64,
    to: Address,
    data: Vec<u8>,
    value: Amount,
}

impl TxRequest {
    /// Reads a request. `chainId`: a positive integer (number, or a decimal string such
    /// as a BigInt becomes); `to`: an address; `data`: `0x` hex (default empty);
    /// `value`: wei as `0x` hex, a decimal string or an integer (default 0).
    fn parse(tx: &Value) -> Result<Self, JsValue> {
        if !tx.is_object() {
            return Err(invalid_argument(
                "the transaction must be an object { chainId, to, data, value }",
            ));
        }
        let chain_id = match tx.get("chainId") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) if is_decimal(s) => s.parse().ok(),
            _ => None,
        }
        .filter(|id| *id > 0)
        .ok_or_else(|| invalid_argument("transaction chainId must be a positive integer"))?;
        let to = tx
            .get("to")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid_argument("transaction to must be an address string"))?;
        let to = js(Address::parse(to))?;
        let data = match tx.get("data") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => s
                .strip_prefix("0x")
                .and_then(|digits| hex::decode(digits).ok())
                .ok_or_else(|| invalid_argument("transaction data must be 0x + hex bytes"))?,
            Some(_) => return Err(invalid_argument("transaction data must be a hex string")),
        };
        let value = match tx.get("value") {
            None | Some(Value::Null) => Some(Amount::ZERO),
            Some(value) => uint_value(value).map(Amount::from),
        }
        .ok_or_else(|| {
            invalid_argument("transaction value must be wei as 0x hex or a decimal integer")
        })?;
        Ok(TxRequest {
            chain_id,
            to,
            data,
            value,
        })
    }

    /// The request as the JSON wallets get: `{ chainId, to, data, value }` (value as a
    /// `0x` quantity).
    fn to_json(&self) -> Value {
        json!({
            "chainId": self.chain_id,
            "to": self.to.to_checksum(),
            "data": format!("0x{}", hex::encode(&self.data)),
            "value": quantity_hex(self.value.as_u256()),
        })
    }
}

fn is_decimal(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn quantity_hex(value: U256) -> String {
    format!("{value:#x}")
}

/// A transaction hash (`0x` + 32 bytes of hex), lower-cased.
fn tx_hash(text: &str) -> Option<String> {
    crate::evm::hex32(text.strip_prefix("0x")?).map(|_| text.to_ascii_lowercase())
}

#[wasm_bindgen]
impl EvmPrivateKeyWallet {
    /// Sends `{ chainId, to, data?, value? }` from this key over `ctx.rpcUrl`
    /// (required): checks the RPC's chain id, fills in the nonce, EIP-1559 fees and gas,
    /// signs and broadcasts. Resolves to the `0x` hash once broadcast, not mined.
    #[wasm_bindgen(js_name = sendTransaction)]
    pub fn send_transaction(&self, tx: JsValue, ctx: JsValue) -> Promise {
        send_with_key(&self.signer, &tx, &ctx)
    }
}

/// `EvmPrivateKeyWallet.sendTransaction`: sends `tx` from `signer` over `ctx.rpcUrl`
/// (required) and resolves to the transaction hash once broadcast. Every failure is
/// a rejection with a code. Sends from one address go one at a time ([`one_at_a_time`]);
/// `ctx.signal` stops a send, also one waiting for its turn.
fn send_with_key(signer: &Rc<PrivateKeySigner>, tx: &JsValue, ctx: &JsValue) -> Promise {
    let checked = (|| {
        let url = ctx_rpc_url(ctx)?.ok_or_else(|| {
            invalid_argument("sendTransaction needs ctx.rpcUrl (an EVM JSON-RPC URL)")
        })?;
        Ok::<_, JsValue>((url, TxRequest::parse(&js_to_json(tx)?)?, ctx_signal(ctx)?))
    })();
    match checked {
        Ok((url, request, signal)) => {
            let signer = Rc::clone(signer);
            one_at_a_time(signer.address(), signal.clone(), async move {
                broadcast(&signer, &request, &url, signal.as_ref())
                    .await
                    .map(JsValue::from)
            })
        }
        Err(error) => Promise::reject(&error),
    }
}

/// The key-wallet sends under way: per sending address, the latest one's turn (so that
/// only that send removes its entry) and a promise settled once it and every send
/// before it have.
#[derive(Default)]
struct Sending {
    turns: u64,
    /// (address, turn, promise): a few entries at most, one per address sending now.
    latest: Vec<(Address, u64, Promise)>,
}

thread_local! {
    static SENDING: RefCell<Sending> = RefCell::default();
}

/// Runs `send` once every earlier send from `from` (by any key wallet of that key) has
/// settled, whatever their outcomes. Each send reads the address's pending nonce before
/// broadcasting, so sends started together would all read the same one, and all but
/// one would fail ("nonce too low"). An abort of `signal` while waiting rejects at once
/// with its reason, and that send broadcasts nothing.
fn one_at_a_time(
    from: Address,
    signal: Option<AbortSignal>,
    send: impl Future<Output = Result<JsValue, JsValue>> + 'static,
) -> Promise {
    let (turn, previous) = SENDING.with_borrow_mut(|sending| {
        sending.turns += 1;
        let previous = sending.latest.iter().find(|(a, ..)| *a == from);
        let previous = previous.map(|(.., last)| last.clone());
        (sending.turns, previous)
    });
    let before = previous.clone();
    let promise = super::guarded::guarded_promise(async move {
        if let Some(before) = before {
            // Their outcomes are their callers'; only that they have settled matters here.
            let _ = until_aborted(signal.as_ref(), before).await;
            stop_if_aborted(signal.as_ref())?;
        }
        let result = send.await;
        SENDING.with_borrow_mut(|sending| {
            sending
                .latest
                .retain(|(address, last, _)| *address != from || *last != turn);
        });
        result
    });
    // The next send waits for this one and every one before it: this one may end early
    // (its signal aborted while it waited) while the one before is still sending.
    let done = match &previous {
        Some(previous) => Promise::all_settled(&Array::of2(previous, &promise)),
        None => Promise::all_settled(&Array::of1(&promise)),
    };
    SENDING.with_borrow_mut(|sending| {
        sending.latest.retain(|(a, ..)| *a != from);
        sending.latest.push((from, turn, done));
    });
    promise
}

/// Checks the chain, fills in nonce, fees and gas, signs and broadcasts.
///
/// # Errors
/// CHAIN_NOT_AVAILABLE when the RPC serves another chain (checked first, nothing is
/// sent); RPC_ERROR for a failed call (a transfer that would revert fails in
/// `eth_estimateGas`), or a node that answers another hash than the transaction's;
/// `signal`'s reason when it aborts before the broadcast (then nothing is sent; once
/// broadcast, the node's answer is awaited whatever the signal does).
async fn broadcast(
    signer: &PrivateKeySigner,
    request: &TxRequest,
    url: &str,
    signal: Option<&AbortSignal>,
) -> Result<String, JsValue> {
    let bound = (RPC_MS, signal);
    check_chain(url, request.chain_id, bound).await?;
    let from = signer.address().to_checksum();
    let nonce = pending_nonce(url, &signer.address(), bound).await?;
    let (max_priority_fee_per_gas, max_fee_per_gas) = fees(url, bound).await?;
    let mut call = request.to_json();
    if let Some(call) = call.as_object_mut() {
        call.remove("chainId");
        call.insert("from".to_owned(), Value::String(from));
    }
    // A transfer the node simulates as reverting (e.g. the balance is short) is never
    // sent: TRANSACTION_FAILED, not an RPC failure.
    let gas = rpc_or(url, "eth_estimateGas", json!([call]), |error| {
        let message = error.get("message").and_then(Value::as_str)?;
        (error.get("code").and_then(Value::as_i64) == Some(3)
            || message.contains("execution reverted"))
        .then(|| Error::TransactionFailed {
            transaction: String::new(),
            reason: format!("the transfer would revert, so it was not sent: {message}"),
        })
    })
    .await?;
    let gas = u64::try_from(rpc_quantity(&gas, "eth_estimateGas")?).unwrap_or(u64::MAX);
    let tx = Eip1559Transaction {
        chain_id: request.chain_id,
        nonce,
        max_priority_fee_per_gas: Amount::from(max_priority_fee_per_gas),
        max_fee_per_gas: Amount::from(max_fee_per_gas),
        // A fifth more than estimated: state can change between estimate and inclusion
        // (a first transfer to an empty balance costs more storage gas).
        gas_limit: gas.saturating_add(gas / 5),
        to: request.to,
        value: request.value,
        data: request.data.clone(),
    };
    let signed = tx.sign(signer);
    let ours = signed.hash_hex();
    stop_if_aborted(signal)?;
    let answer = rpc(url, "eth_sendRawTransaction", json!([signed.raw_hex()])).await?;
    if answer.as_str().and_then(tx_hash).as_deref() != Some(ours.as_str()) {
        return Err(to_js(&Error::RpcError {
            reason: format!("eth_sendRawTransaction answered {answer} instead of the hash {ours}"),
        }));
    }
    Ok(ours)
}

/// Sends `tx` (`{ chainId, to, data?, value? }`) with `wallet.sendTransaction(tx,
/// { rpcUrl })` and returns the lower-case `0x` transaction hash once broadcast.
///
/// # Errors
/// INVALID_ARGUMENT / INVALID_ADDRESS for a malformed request (checked before the
/// wallet is asked); WALLET_UNSUPPORTED when the wallet has no `sendTransaction`; the
/// wallet's own codes (USER_REJECTED, CHAIN_NOT_AVAILABLE, RPC_ERROR...) or
/// WALLET_ERROR, also when it resolves to no hash (it may have sent); the signal's
/// reason on abort.
pub(crate) async fn send_evm_transaction(
    wallet: &JsValue,
    tx: &Value,
    rpc_url: Option<&str>,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<String, JsValue> {
    let request = TxRequest::parse(tx)?;
    let Some(send) = method(wallet, "sendTransaction")? else {
        return Err(to_js(&Error::WalletUnsupported {
            reason: "a direct transfer needs a wallet with sendTransaction (evmPrivateKeyWallet, \
                     eip1193Wallet, or viemWallet with a WalletClient)"
                .into(),
        }));
    };
    let ctx = send_context(rpc_url, signal)?;
    let pending = send
        .call2(wallet, &json_to_js(&request.to_json())?, &ctx)
        .map_err(wallet_error)?;
    let hash = wallet_promise(Promise::resolve(&pending), signal).await?;
    // Something else than a hash came back after the wallet was asked to send: it may
    // have sent, so this is a wallet failure (WALLET_ERROR), not a refusal.
    hash.as_string()
        .as_deref()
        .and_then(tx_hash)
        .ok_or_else(|| {
            wallet_error(
                js_sys::Error::new("sendTransaction must resolve to a 0x transaction hash").into(),
            )
        })
}

/// The context a wallet's `sendTransaction(tx, ctx)` gets: `rpcUrl` (a key wallet sends
/// over it) and `signal`, the paying fetch's (an adapter sends nothing once it aborts,
/// however long its prompts took).
pub(crate) fn send_context(
    rpc_url: Option<&str>,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<Object, JsValue> {
    let ctx = Object::new();
    if let Some(url) = rpc_url {
        Reflect::set(&ctx, &JsValue::from_str("rpcUrl"), &JsValue::from_str(url))?;
    }
    if let Some(signal) = signal {
        Reflect::set(&ctx, &JsValue::from_str("signal"), signal)?;
    }
    Ok(ctx)
}

/// Polls for the receipt of `hash` with backoff: `eth_getTransactionReceipt` over
/// `rpc_url`, else the wallet's `getTransactionReceipt(hash)`. Failed polls are retried
/// until the deadline. Returns the receipt as JSON.
///
/// # Errors
/// WALLET_UNSUPPORTED with neither an RPC URL nor `getTransactionReceipt`;
/// TRANSACTION_FAILED when the receipt's status is 0 (reverted); TRANSACTION_TIMEOUT
/// when no receipt came within `timeout_ms` (it may still land); the signal's reason on abort.
pub(crate) async fn wait_for_evm_receipt(
    wallet: &JsValue,
    hash: &str,
    rpc_url: Option<&str>,
    timeout_ms: u32,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<Value, JsValue> {
    let hash = tx_hash(hash)
        .ok_or_else(|| invalid_argument("a transaction hash is 0x + 32 bytes of hex"))?;
    let adapter = method(wallet, "getTransactionReceipt")?;
    if rpc_url.is_none() && adapter.is_none() {
        return Err(to_js(&Error::WalletUnsupported {
            reason: "no RPC URL for this network, and the wallet has no getTransactionReceipt"
                .into(),
        }));
    }
    let receipt = async |left: u32| match (rpc_url, &adapter) {
        (Some(url), _) => {
            rpc_within(
                url,
                "eth_getTransactionReceipt",
                json!([hash]),
                left,
                signal,
            )
            .await
        }
        // Bounded as the RPC poll is: a wallet that never answers cannot hold the deadline.
        (None, Some(get)) => {
            let pending = get.call1(wallet, &JsValue::from_str(&hash))?;
            js_to_json(&within(Promise::resolve(&pending), left, signal).await?)
        }
        (None, None) => Ok(Value::Null),
    };
    poll(
        now_millis() + f64::from(timeout_ms),
        Backoff::new(POLL_FIRST_MS, POLL_MAX_MS),
        signal,
        async |left| match receipt(left).await {
            Ok(receipt) if receipt.is_object() && receipt_succeeded(&receipt) => Ok(Some(receipt)),
            Ok(receipt) if receipt.is_object() => Err(to_js(&Error::TransactionFailed {
                transaction: hash.clone(),
                reason: "reverted (receipt status 0)".into(),
            })),
            // Not mined yet, or a failed poll: retried until the deadline.
            _ => Ok(None),
        },
        || {
            to_js(&Error::TransactionTimeout {
                transaction: hash.clone(),
            })
        },
    )
    .await
}

/// Whether a receipt's `status` says success: `0x1` (JSON-RPC), `"success"` (viem's
/// formatted receipts) or absent (pre-Byzantium receipts carry a state root instead).
fn receipt_succeeded(receipt: &Value) -> bool {
    match receipt.get("status") {
        Some(Value::String(s)) => !matches!(s.as_str(), "0x0" | "0x00" | "reverted"),
        Some(Value::Number(n)) => n.as_u64() != Some(0),
        _ => true,
    }
}
