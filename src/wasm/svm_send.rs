//! Solana transactions the payer sends itself (the direct transfers of the Solana Pay
//! reference dialect): through the wallet's own `sendTransaction`, or signed by the
//! wallet, checked, and submitted over JSON-RPC; then waiting for confirmation.

use base64::Engine as _;
use js_sys::{Promise, Reflect, Uint8Array};
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;

use super::convert::{bytes_for, method};
use super::error::wallet_error;
use super::error::{invalid_argument, js, to_js};
use super::evm::wallet_promise;
use super::guarded::guarded_promise;
use super::request::stop_if_aborted;
use super::rpc::{ctx_rpc_url, ctx_signal, rpc_or, rpc_within};
use super::timer::{Backoff, now_millis, poll};
use crate::error::Error;
use crate::svm::SolanaSigner;
use crate::svm::exact::sign_in_place;
use crate::svm::message::{PACKET_LEN, Transaction};
use crate::svm::transfer::{SvmTransfer, check_transfer, signature_base58, signature_confirmed};

/// The first and the longest wait between two `getSignatureStatuses` polls, in ms.
const POLL_FIRST_MS: u32 = 250;
const POLL_MAX_MS: u32 = 2_000;

/// `SolanaPrivateKeyWallet.sendTransaction`: signs `signer`'s slot of the wire
/// transaction, submits it to `ctx.rpcUrl` and resolves to the base58 signature.
/// Every failure is a rejection with a code (INVALID_ARGUMENT without `ctx.rpcUrl`);
/// once `ctx.signal` has aborted, nothing is submitted and it rejects with its reason.
pub(crate) fn sign_and_submit(
    signer: &SolanaSigner,
    transaction: &JsValue,
    ctx: &JsValue,
) -> Promise {
    let signed = (|| {
        let url = ctx_rpc_url(ctx)?.ok_or_else(|| {
            invalid_argument("sendTransaction needs ctx.rpcUrl (a Solana JSON-RPC URL)")
        })?;
        let transaction = transaction
            .dyn_ref::<Uint8Array>()
            .ok_or_else(|| invalid_argument("the transaction must be a Uint8Array"))?;
        let mut tx = js(Transaction::parse(&bytes_for(transaction, PACKET_LEN)?))?;
        js(sign_in_place(&mut tx, signer))?;
        Ok::<_, JsValue>((url, tx.serialize(), ctx_signal(ctx)?))
    })();
    match signed {
        Ok((url, signed, signal)) => guarded_promise(async move {
            // Nothing is submitted once the caller's signal has aborted.
            stop_if_aborted(signal.as_ref())?;
            submit(&url, &signed).await.map(JsValue::from)
        }),
        Err(error) => Promise::reject(&error),
    }
}

/// Sends a signed wire transaction with JSON-RPC `sendTransaction` (base64) and returns
/// its signature (the fee payer's, base58).
///
/// # Errors
/// INVALID_TRANSACTION for bytes that are not a transaction; TRANSACTION_FAILED when
/// the RPC's preflight refuses it; RPC_ERROR when the RPC fails otherwise or answers
/// another signature.
pub(crate) async fn submit(url: &str, signed: &[u8]) -> Result<String, JsValue> {
    let tx = js(Transaction::parse(signed))?;
    let ours = tx
        .signatures
        .first()
        .map(|s| bs58::encode(s).into_string())
        .ok_or_else(|| {
            to_js(&Error::InvalidTransaction {
                reason: "no signature",
            })
        })?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(signed);
    // -32002: the RPC's preflight simulation failed, so it did not forward the
    // transaction (Solana JSON-RPC server error codes). Except "AlreadyProcessed":
    // the same signed transaction reached the chain before (a retrying proxy), so
    // the money may have moved and it stays an RPC_ERROR.
    let answer = rpc_or(
        url,
        "sendTransaction",
        json!([encoded, { "encoding": "base64", "preflightCommitment": "confirmed" }]),
        |error| {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let processed = error.pointer("/data/err").and_then(Value::as_str)
                == Some("AlreadyProcessed")
                || message.contains("already been processed");
            (error.get("code").and_then(Value::as_i64) == Some(-32002) && !processed).then(|| {
                Error::TransactionFailed {
                    transaction: ours.clone(),
                    reason: format!(
                        "the RPC's preflight refused it, so it was not sent: {}",
                        error
                            .get("message")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                    ),
                }
            })
        },
    )
    .await?;
    if answer.as_str() != Some(ours.as_str()) {
        return Err(to_js(&Error::RpcError {
            reason: format!("sendTransaction answered {answer} instead of the signature {ours}"),
        }));
    }
    Ok(ours)
}

/// A wallet's `sendTransaction` result (base58 text or 64 bytes) as base58.
fn normalise_signature(result: &JsValue) -> Result<String, JsValue> {
    // Over 64 bytes, `signature_base58` refuses it by its length.
    let bytes = match result.dyn_ref::<Uint8Array>() {
        Some(array) => Some(bytes_for(array, 64)?),
        None => None,
    };
    signature_base58(result.as_string().as_deref(), bytes.as_deref()).map_err(|_| {
        wallet_error(
            js_sys::Error::new(
                "sendTransaction must resolve to the transaction signature (base58 or 64 bytes)",
            )
            .into(),
        )
    })
}

/// Pays `expected` with `unsigned` (its transaction) and returns the base58 signature:
/// through `wallet.sendTransaction(bytes, { rpcUrl, network })` when the wallet has it;
/// else `wallet.signTransaction(bytes)`, a check that what came back is still the
/// transfer, and JSON-RPC `sendTransaction` to `rpc_url`.
///
/// # Errors
/// WALLET_UNSUPPORTED when the wallet has neither method; INVALID_ARGUMENT when it can
/// only sign and there is no RPC URL (checked before asking the wallet);
/// WALLET_ALTERED_TRANSACTION when the signed transaction is not the transfer;
/// INVALID_SIGNATURE when the wallet's signature is missing or wrong; the wallet's own
/// codes (USER_REJECTED...) or WALLET_ERROR; RPC_ERROR; the signal's reason on abort.
pub(crate) async fn send_svm_transaction(
    wallet: &JsValue,
    unsigned: &[u8],
    expected: &SvmTransfer,
    rpc_url: Option<&str>,
    network: &str,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<String, JsValue> {
    let bytes = Uint8Array::from(unsigned);
    if let Some(send) = method(wallet, "sendTransaction")? {
        let ctx = super::evm_send::send_context(rpc_url, signal)?;
        Reflect::set(
            &ctx,
            &JsValue::from_str("network"),
            &JsValue::from_str(network),
        )?;
        let pending = send.call2(wallet, &bytes, &ctx).map_err(wallet_error)?;
        let result = wallet_promise(Promise::resolve(&pending), signal).await?;
        return normalise_signature(&result);
    }
    let Some(sign) = method(wallet, "signTransaction")? else {
        return Err(to_js(&Error::WalletUnsupported {
            reason: "a Solana transfer needs a wallet with sendTransaction or signTransaction"
                .into(),
        }));
    };
    let url = rpc_url.ok_or_else(|| {
        invalid_argument("no RPC URL for this network to send the transfer: pass options.rpc")
    })?;
    let pending = sign.call1(wallet, &bytes).map_err(wallet_error)?;
    let signed = wallet_promise(Promise::resolve(&pending), signal)
        .await?
        .dyn_into::<Uint8Array>()
        .map_err(|_| {
            invalid_argument("signTransaction must resolve to the signed transaction bytes")
        })?;
    // Over a packet, `check_transfer` refuses it by its length.
    let signed = bytes_for(&signed, PACKET_LEN)?;
    check_transfer(&signed, expected).map_err(|e| match e {
        Error::InvalidTransaction { reason } => to_js(&Error::WalletAlteredTransaction { reason }),
        other => to_js(&other),
    })?;
    submit(url, &signed).await
}

/// Polls `getSignatureStatuses` for `signature` with backoff until it is confirmed (or
/// finalized). RPC failures while polling are retried until the deadline.
///
/// # Errors
/// TRANSACTION_FAILED when its status carries an error; TRANSACTION_TIMEOUT when it is
/// not confirmed within `timeout_ms` (it may still land); the signal's reason on abort.
pub(crate) async fn confirm_svm_signature(
    rpc_url: &str,
    signature: &str,
    timeout_ms: u32,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<(), JsValue> {
    poll(
        now_millis() + f64::from(timeout_ms),
        Backoff::new(POLL_FIRST_MS, POLL_MAX_MS),
        signal,
        async |left| {
            let statuses = json!([[signature]]);
            match rpc_within(rpc_url, "getSignatureStatuses", statuses, left, signal).await {
                Ok(answer) => {
                    let entry = answer.pointer("/value/0").unwrap_or(&Value::Null);
                    Ok(js(signature_confirmed(entry, signature))?.then_some(()))
                }
                // A failed poll is retried until the deadline.
                Err(_) => Ok(None),
            }
        },
        || {
            to_js(&Error::TransactionTimeout {
                transaction: signature.to_owned(),
            })
        },
    )
    .await
}
