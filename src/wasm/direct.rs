//! The seed dialects' payments, which the client makes itself instead of handing a
//! signed authorization to the server: an ERC-20 transfer (seed 003), a Solana Pay
//! transfer with a reference followed by a verify poll (seed 001), or a payment by
//! an allowed facilitator (seed 004). Policy, budget, approval and the one-payment
//! rule were applied by the caller (fetch.rs) exactly as for x402.

use js_sys::{Object, Reflect};
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;
use web_sys::Response;

use super::error::{code_of, invalid_argument, to_js};
use super::evm::{now_seconds, wallet_address};
use super::evm_send::{send_evm_transaction, wait_for_evm_receipt};
use super::facilitator_pay::Facilitator;
use super::fetch::{Call, Inner, Settled};
use super::receipts::Receipt;
use super::request::{Outgoing, call_fetch, fetch_promise, read_json};
use super::response::{as_response, cancel_body, is_ok, status_of, status_or_zero};
use super::rpc::{latest_blockhash, need_rpc_url, rpc_url_for};
use super::svm::mint_info;
use super::svm_send::{confirm_svm_signature, send_svm_transaction};
use super::timer::{Backoff, now_millis, poll, request_signal, within};
use super::wallets::Wallet;
use crate::dialect::{Challenge, DialectId, Requirement};
use crate::error::Error;
use crate::evm::Address;
use crate::evm::tx::transfer_sender;
use crate::svm::Pubkey;
use crate::svm::transfer::SvmTransfer;

/// How long past a Solana Pay reference's expiry the verify endpoint is polled.
const VERIFY_GRACE_MS: f64 = 30_000.0;

/// A string of a seed requirement's `extra` (the dialects always set the ones read here).
pub(super) fn text(requirement: &Requirement, key: &str) -> String {
    requirement.extra_str(key).unwrap_or_default().to_owned()
}

/// How long before its expiry a challenge is too late to pay: a transfer takes a few
/// seconds to be sent (the wallet may prompt again) and seen by the server.
const EXPIRY_MARGIN_SECONDS: i64 = 5;

/// PAYMENT_EXPIRED once the challenge expires within [`EXPIRY_MARGIN_SECONDS`].
/// Checked before the approval and again right before the money moves (approval
/// may take longer).
pub(super) fn unexpired(challenge: &Challenge) -> Result<(), Error> {
    let Some(expires_at) = challenge.expires_at else {
        return Ok(());
    };
    let now = i64::try_from(now_seconds()).unwrap_or(i64::MAX);
    if expires_at <= now.saturating_add(EXPIRY_MARGIN_SECONDS) {
        return Err(Error::PaymentExpired {
            reason: format!("it expired at {expires_at} (now {now})"),
        });
    }
    Ok(())
}

impl Inner {
    /// Refusals that need no wallet: an expired request, a facilitator not allowed.
    pub(super) fn precheck(
        &self,
        challenge: &Challenge,
        requirement: &Requirement,
    ) -> Result<(), Error> {
        unexpired(challenge)?;
        if challenge.dialect == DialectId::FacilitatorPay {
            let url = text(requirement, "facilitatorUrl");
            if self.facilitator(&url).is_none() {
                return Err(Error::FacilitatorNotAllowed { url });
            }
        }
        Ok(())
    }

    pub(super) fn facilitator(&self, url: &str) -> Option<&Facilitator> {
        self.facilitators.iter().find(|f| f.url == url)
    }

    /// Pays a seed-dialect challenge and repeats the request with its proof.
    pub(super) async fn pay_direct(
        &self,
        call: &Call<'_>,
        requirement: &Requirement,
        wallet: &Wallet,
    ) -> Result<(Response, Option<Receipt>), Settled> {
        let no = |e: JsValue| Settled::No(e);
        let (transaction, headers, payer) = match call.challenge.dialect {
            // The payer is the transfer's sender (its Transfer log): the wallet's sendTransaction
            // looks up its own account, so none is asked for here.
            DialectId::X402Headers => self.pay_erc20(call, requirement, wallet).await?,
            dialect => {
                let signal = call.request.signal();
                let payer = wallet_address(&wallet.adapter, signal.as_ref())
                    .await
                    .map_err(no)?;
                let (transaction, headers) = if dialect == DialectId::SolanaPay {
                    self.pay_solana_pay(call, requirement, wallet, &payer)
                        .await?
                } else {
                    self.pay_facilitator(call, requirement, &payer).await?
                };
                (transaction, headers, payer)
            }
        };
        let retry = call
            .request
            .retry(call.first, &headers)
            .map_err(Settled::Unknown)?;
        let response = call_fetch(&self.fetch, self.native, &retry)
            .await
            .map_err(Settled::Unknown)?;
        let receipt = Receipt::direct(requirement, &response, transaction, payer);
        Ok((response, Some(receipt)))
    }

    /// Seed 003: `transfer(receiver, amount)` on the token, confirmed, then the proof.
    /// Returns the transaction, the proof's header and the transfer's sender.
    async fn pay_erc20(
        &self,
        call: &Call<'_>,
        requirement: &Requirement,
        wallet: &Wallet,
    ) -> Result<(String, Vec<(&'static str, String)>, String), Settled> {
        let signal = call.request.signal();
        let no = |e: JsValue| Settled::No(e);
        let receiver = Address::parse(&requirement.pay_to).map_err(|e| no(to_js(&e)))?;
        let token = Address::parse_hex(&requirement.asset).map_err(|e| no(to_js(&e)))?;
        let chain_id = requirement
            .network
            .chain_id()
            .ok_or_else(|| no(invalid_argument("not an EVM network")))?;
        let data = crate::evm::tx::erc20_transfer_data(&receiver, &requirement.amount);
        let tx = json!({
            "chainId": chain_id,
            "to": requirement.asset,
            "data": format!("0x{}", hex::encode(data)),
            "value": "0x0",
        });
        let rpc_url = rpc_url_for(&self.rpc, &requirement.network);
        unexpired(call.challenge).map_err(|e| no(to_js(&e)))?;
        let hash = send_evm_transaction(&wallet.adapter, &tx, rpc_url.as_deref(), signal.as_ref())
            .await
            .map_err(|e| refused_or_unknown(e, wallet))?;
        self.emit(
            call.hooks,
            "signed",
            Some(requirement),
            || json!({ "transaction": hash }),
        );
        let receipt = wait_for_evm_receipt(
            &wallet.adapter,
            &hash,
            rpc_url.as_deref(),
            self.transaction_timeout_ms,
            signal.as_ref(),
        )
        .await
        .map_err(reverted_or_unknown)?;
        // A wallet that reports another transaction's hash is caught here, before its proof
        // is sent. What it did send is unknown, so the reservation is kept.
        let Some(sender) = transfer_sender(&receipt, &token, &receiver, &requirement.amount) else {
            return Err(Settled::Unknown(to_js(&Error::WalletAlteredTransaction {
                reason: "its receipt has no Transfer of this token and amount to the recipient",
            })));
        };
        let proof = json!({
            "txHash": hash,
            "network": text(requirement, "networkName"),
            "token": text(requirement, "token"),
            "amount": text(requirement, "amountDecimal"),
        });
        Ok((
            hash,
            vec![("X-402-Payment-Proof", proof.to_string())],
            sender.to_checksum(),
        ))
    }

    /// Seed 001: the transfer with the reference, confirmed, then the server's verify
    /// endpoint polled until it sees the payment.
    async fn pay_solana_pay(
        &self,
        call: &Call<'_>,
        requirement: &Requirement,
        wallet: &Wallet,
        payer: &str,
    ) -> Result<(String, Vec<(&'static str, String)>), Settled> {
        let signal = call.request.signal();
        let no = |e: JsValue| Settled::No(e);
        let fail = |e: Error| Settled::No(to_js(&e));
        let rpc_url = need_rpc_url(&self.rpc, &requirement.network).map_err(no)?;
        let reference = text(requirement, "reference");
        let mint = Pubkey::parse(&requirement.asset).map_err(fail)?;
        let (decimals, token_program) =
            mint_info(&rpc_url, &mint, self.rpc_timeout_ms, signal.as_ref())
                .await
                .map_err(no)?;
        if requirement.extra_value("decimals").and_then(Value::as_u64) != Some(u64::from(decimals))
        {
            // The amount was converted with other decimals than the mint has.
            return Err(fail(Error::InvalidSolanaRequirement {
                reason: "the mint's decimals differ from the asset's known decimals",
            }));
        }
        let amount = requirement.amount.to_spl_amount().map_err(fail)?;
        let transfer = SvmTransfer {
            payer: Pubkey::parse(payer).map_err(fail)?,
            recipient: Pubkey::parse(&requirement.pay_to).map_err(fail)?,
            mint,
            token_program,
            decimals,
            amount,
            references: transfer_references(requirement, &reference).map_err(fail)?,
            recent_blockhash: latest_blockhash(&rpc_url, self.rpc_timeout_ms, signal.as_ref())
                .await
                .map_err(no)?,
        };
        let unsigned = transfer.unsigned_transaction().map_err(fail)?.serialize();
        let network = requirement.network.to_string();
        unexpired(call.challenge).map_err(fail)?;
        let signature = send_svm_transaction(
            &wallet.adapter,
            &unsigned,
            &transfer,
            Some(&rpc_url),
            &network,
            signal.as_ref(),
        )
        .await
        .map_err(|e| refused_or_unknown(e, wallet))?;
        self.emit(
            call.hooks,
            "signed",
            Some(requirement),
            || json!({ "transaction": signature }),
        );
        confirm_svm_signature(
            &rpc_url,
            &signature,
            self.transaction_timeout_ms,
            signal.as_ref(),
        )
        .await
        .map_err(reverted_or_unknown)?;
        // Unix seconds far below 2^53: exact as f64.
        #[allow(clippy::cast_precision_loss)]
        let expires_ms = call.challenge.expires_at.unwrap_or(0) as f64 * 1000.0;
        // A server naming an expiry far away cannot hold the call: transactionTimeout bounds it.
        let deadline_ms = (expires_ms + VERIFY_GRACE_MS)
            .min(now_millis() + f64::from(self.transaction_timeout_ms));
        self.await_verified(call, &reference, deadline_ms)
            .await
            .map_err(Settled::Unknown)?;
        Ok((signature, vec![("X-Payment-Reference", reference)]))
    }

    /// Polls `GET <origin>/api/verify?reference=R` until `{paid: true}`; a 404 means
    /// the reference expired.
    async fn await_verified(
        &self,
        call: &Call<'_>,
        reference: &str,
        deadline_ms: f64,
    ) -> Result<(), JsValue> {
        let signal = call.request.signal();
        let url = format!("{}/api/verify?reference={reference}", call.origin);
        let verified = async |left: u32| {
            let init = Object::new();
            // A request given up (out of time) is aborted, not left to hold its connection.
            let own = web_sys::AbortController::new()?;
            Reflect::set(
                &init,
                &"signal".into(),
                &request_signal(&own, signal.as_ref()),
            )?;
            let out = Outgoing::new(url.as_str(), init);
            // A failed, hung or stalled request is retried until the deadline, not past it.
            let pending = fetch_promise(&self.fetch, self.native, &out)?;
            let Ok(response) = within(pending, left, signal.as_ref())
                .await
                .and_then(as_response)
            else {
                own.abort();
                return Ok(None);
            };
            if status_of(&response)? == 404 {
                cancel_body(&response);
                return Err(to_js(&Error::PaymentExpired {
                    reason: format!("the server no longer knows reference {reference}"),
                }));
            }
            let answer = read_json(&response, deadline_ms, signal.as_ref()).await;
            let paid =
                is_ok(status_or_zero(&response)) && answer.get("paid") == Some(&Value::Bool(true));
            Ok(paid.then_some(()))
        };
        poll(
            deadline_ms,
            Backoff::new(200, 2_000),
            signal.as_ref(),
            verified,
            || {
                to_js(&Error::PaymentExpired {
                    reason: format!("the server did not confirm reference {reference} in time"),
                })
            },
        )
        .await
    }
}

/// The keys a Solana Pay transfer carries: `extra.references` (the `solana_pay_url`'s,
/// in order, as Solana Pay includes them), which must hold the body's `reference`
/// that the verify poll asks about; without it, that reference alone.
fn transfer_references(requirement: &Requirement, reference: &str) -> Result<Vec<Pubkey>, Error> {
    let reference = Pubkey::parse(reference)?;
    let Some(listed) = requirement.extra_value("references") else {
        return Ok(vec![reference]);
    };
    let invalid = || Error::InvalidSolanaRequirement {
        reason: "extra.references must be public keys, the reference among them",
    };
    let references = listed
        .as_array()
        .ok_or_else(invalid)?
        .iter()
        .map(|key| key.as_str().ok_or_else(invalid).and_then(Pubkey::parse))
        .collect::<Result<Vec<_>, Error>>()?;
    if references.contains(&reference) {
        Ok(references)
    } else {
        Err(invalid())
    }
}

/// A send that failed before anything could reach the chain (the user refused, the
/// wallet cannot send, the request was invalid, the node's simulation said the
/// transfer fails: TRANSACTION_FAILED) moved nothing; any other failure (an RPC
/// error or a wallet error after submitting) may have, and keeps the budget
/// reservation: counting a payment that did not happen is the safe mistake. Only
/// the package's own wallets are believed when they send: another adapter may have
/// broadcast the transfer before failing with any code. (A Solana wallet that only
/// signs sends nothing: the transfer is submitted here.)
fn refused_or_unknown(error: JsValue, wallet: &Wallet) -> Settled {
    if !wallet.own && wallet.can_send {
        return Settled::Unknown(error);
    }
    const BEFORE_SENDING: [&str; 9] = [
        "TRANSACTION_FAILED",
        "USER_REJECTED",
        "WALLET_UNSUPPORTED",
        "WALLET_UNAUTHORIZED",
        "WALLET_ACCOUNT_UNAVAILABLE",
        "CHAIN_NOT_AVAILABLE",
        "INVALID_ARGUMENT",
        "WALLET_ALTERED_TRANSACTION",
        "INVALID_TRANSACTION",
    ];
    nothing_moved_if(error, &BEFORE_SENDING)
}

/// A failed transaction moved nothing; any other failure after sending is unknown.
fn reverted_or_unknown(error: JsValue) -> Settled {
    nothing_moved_if(error, &["TRANSACTION_FAILED"])
}

/// `Settled::No` when the error's code is one of `codes`, else `Settled::Unknown`.
fn nothing_moved_if(error: JsValue, codes: &[&str]) -> Settled {
    if code_of(&error).is_some_and(|c| codes.contains(&c.as_str())) {
        Settled::No(error)
    } else {
        Settled::Unknown(error)
    }
}
