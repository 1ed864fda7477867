//! Solana exports: the local keypair wallet, payment creation (with a JSON-RPC
//! client over the global fetch when the server did not give blockhash and mint
//! info), and the RPC defaults per cluster.

use std::cell::RefCell;
use std::collections::HashMap;

use base64::Engine as _;
use js_sys::{Promise, Reflect, Uint8Array};
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;

use super::convert::{MAX_ELEMENTS, array_length, bytes_for, is_array, items, method};
use super::error::{invalid_argument, js, to_js};
use super::rpc::{latest_blockhash, need_rpc_url, rpc_within};
use crate::client::payment_payload;
use crate::dialect::{Challenge, Requirement};
use crate::error::Error;
use crate::svm::exact::{SvmPayment, SvmTerms, token_program};
use crate::svm::message::{PACKET_LEN, Transaction};
use crate::svm::returned::lighthouse_before_transfer;
use crate::svm::verify::{check_unsigned, verify_transaction};
use crate::svm::{Pubkey, SolanaSigner};

/// A Solana keypair held in wasm memory (zeroized when freed).
#[wasm_bindgen]
pub struct SolanaPrivateKeyWallet {
    signer: SolanaSigner,
}

#[wasm_bindgen]
impl SolanaPrivateKeyWallet {
    /// The wallet's address (base58).
    #[wasm_bindgen(getter)]
    pub fn address(&self) -> String {
        self.signer.pubkey().to_string()
    }

    /// The wallet family: `"solana"`.
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> String {
        "solana".to_owned()
    }

    /// Marks the package's own wallets: their errors are trusted to say whether a
    /// transfer was sent (see `Wallet::own` in fetch.rs).
    #[wasm_bindgen(getter, js_name = __x402Own)]
    pub fn own(&self) -> bool {
        true
    }

    /// Signs a wire transaction (its slot for this key) and resolves to the signed bytes.
    #[wasm_bindgen(js_name = signTransaction)]
    pub fn sign_transaction(&self, transaction: &Uint8Array) -> Result<Promise, JsValue> {
        let mut tx = js(Transaction::parse(&bytes_for(transaction, PACKET_LEN)?))?;
        js(crate::svm::exact::sign_in_place(&mut tx, &self.signer))?;
        let signed: JsValue = Uint8Array::from(tx.serialize().as_slice()).into();
        Ok(Promise::resolve(&signed))
    }

    /// Signs its slot of a wire transaction and submits it with JSON-RPC
    /// `sendTransaction` to `ctx.rpcUrl` (required); resolves to the base58 signature.
    #[wasm_bindgen(js_name = sendTransaction)]
    pub fn send_transaction(&self, transaction: JsValue, ctx: JsValue) -> Promise {
        super::svm_send::sign_and_submit(&self.signer, &transaction, &ctx)
    }
}

/// A wallet for a Solana secret: a 32-byte seed or a 64-byte keypair, as base58,
/// `0x` hex, a `Uint8Array` or an array of numbers (the Solana CLI's JSON file).
#[wasm_bindgen(js_name = solanaPrivateKeyWallet)]
pub fn solana_private_key_wallet(secret: JsValue) -> Result<SolanaPrivateKeyWallet, JsValue> {
    let signer = if let Some(text) = secret.as_string() {
        SolanaSigner::from_text(&text)
    } else if let Some(bytes) = secret.dyn_ref::<Uint8Array>() {
        SolanaSigner::from_bytes(&zeroize::Zeroizing::new(bytes_for(bytes, 64)?))
    } else if is_array(&secret)? {
        // A huge array (a sparse `new Array(2**32 - 1)` costs JS nothing) is refused by
        // its length alone: 65 bytes stand in for it.
        let len = array_length(&secret)?;
        let values = match len {
            0..=MAX_ELEMENTS => items(&secret, len)?,
            _ => vec![JsValue::from(0); 65],
        };
        let bytes: Option<Vec<u8>> = values
            .iter()
            .map(|v| {
                v.as_f64()
                    .filter(|n| (0.0..=255.0).contains(n) && n.fract() == 0.0)
                    .map(|n| n as u8)
            })
            .collect();
        let bytes = zeroize::Zeroizing::new(
            bytes.ok_or_else(|| invalid_argument("secret array must hold bytes"))?,
        );
        SolanaSigner::from_bytes(&bytes)
    } else {
        return Err(invalid_argument(
            "secret must be base58, 0x hex, a Uint8Array or a byte array",
        ));
    };
    Ok(SolanaPrivateKeyWallet {
        signer: js(signer)?,
    })
}

thread_local! {
    /// Mint decimals and owner program, by RPC URL and mint: mints do not change.
    static MINTS: RefCell<HashMap<(String, Pubkey), (u8, Pubkey)>> = RefCell::new(HashMap::new());
}

/// A mint's decimals and owner program (`getAccountInfo`, cached), within `ms`
/// milliseconds unless `signal` aborts first.
pub(crate) async fn mint_info(
    url: &str,
    mint: &Pubkey,
    ms: u32,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<(u8, Pubkey), JsValue> {
    let key = (url.to_owned(), *mint);
    if let Some(found) = MINTS.with(|m| m.borrow().get(&key).copied()) {
        return Ok(found);
    }
    let result = rpc_within(
        url,
        "getAccountInfo",
        json!([mint.to_string(), { "encoding": "base64" }]),
        ms,
        signal,
    )
    .await?;
    let value = result
        .get("value")
        .filter(|v| !v.is_null())
        .ok_or_else(|| {
            to_js(&Error::InvalidSolanaRequirement {
                reason: "the mint account does not exist",
            })
        })?;
    let owner = value
        .get("owner")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let owner = Pubkey::parse(owner).map_err(|_| {
        to_js(&Error::RpcError {
            reason: "getAccountInfo: no valid owner".into(),
        })
    })?;
    let owner = js(token_program(&owner))?;
    let data = value
        .pointer("/data/0")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let data = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|_| {
            to_js(&Error::RpcError {
                reason: "getAccountInfo: data is not base64".into(),
            })
        })?;
    // SPL Mint layout: decimals is the byte at offset 44.
    let decimals = *data.get(44).ok_or_else(|| {
        to_js(&Error::InvalidSolanaRequirement {
            reason: "the mint account is too short",
        })
    })?;
    MINTS.with(|m| m.borrow_mut().insert(key, (decimals, owner)));
    Ok((decimals, owner))
}

/// Builds, signs (through `wallet.signTransaction`) and checks a Solana payment.
/// `rpc` maps CAIP-2 networks to JSON-RPC URLs; `memo_random` is used when the
/// server set no memo.
pub(crate) async fn sign_svm_payment(
    challenge: &Challenge,
    requirement: &Requirement,
    wallet: &JsValue,
    rpc_urls: &Value,
    rpc_ms: u32,
    memo_random: [u8; 16],
    signal: Option<&web_sys::AbortSignal>,
) -> Result<Value, JsValue> {
    let terms = js(SvmTerms::from_requirement(requirement))?;
    let payer = js(Pubkey::parse(
        &super::evm::wallet_address(wallet, signal).await?,
    ))?;
    let need_rpc = || need_rpc_url(rpc_urls, &requirement.network);
    let recent_blockhash = match terms.recent_blockhash {
        Some(hash) => hash,
        None => latest_blockhash(&need_rpc()?, rpc_ms, signal).await?,
    };
    // The server's decimals and program spare the mint's account only when it gives both;
    // once the mint is read, its own are used (a TransferChecked with other decimals fails).
    let (decimals, token_program) = match (terms.decimals, terms.token_program) {
        (Some(d), Some(p)) => (d, p),
        _ => mint_info(&need_rpc()?, &terms.mint, rpc_ms, signal).await?,
    };
    let memo = terms
        .memo
        .clone()
        .unwrap_or_else(|| hex::encode(memo_random).into_bytes());
    let payment = SvmPayment {
        payer,
        fee_payer: terms.fee_payer,
        mint: terms.mint,
        pay_to: terms.pay_to,
        amount: terms.amount,
        decimals,
        token_program,
        recent_blockhash,
        memo,
    };
    let unsigned = js(payment.unsigned_transaction())?.serialize();
    // The checks a facilitator makes, before the wallet is asked: a fee payer that is the
    // payer (or an account or program of the transfer) would have the user sign a complete
    // transaction that pays its own fees, or worse.
    if let Err(invalid) = check_unsigned(&unsigned, requirement) {
        return Err(to_js(&Error::InvalidSolanaRequirement {
            reason: invalid.reason(),
        }));
    }
    let sign = method(wallet, "signTransaction")?
        .ok_or_else(|| invalid_argument("wallet has no signTransaction method"))?;
    super::request::stop_if_aborted(signal)?;
    // The payment's network too: a wallet may simulate the transaction on that cluster.
    let context = super::request::with_signal(signal)?;
    Reflect::set(
        &context,
        &"network".into(),
        &JsValue::from_str(&requirement.network.to_string()),
    )?;
    let pending = sign
        .call2(wallet, &Uint8Array::from(unsigned.as_slice()), &context)
        .map_err(super::error::wallet_error)?;
    let signed = super::wallet::signature_within(
        Promise::resolve(&pending),
        requirement.max_timeout_seconds,
        signal,
    )
    .await?;
    let signed = signed.dyn_into::<Uint8Array>().map_err(|_| {
        invalid_argument("signTransaction must resolve to the signed transaction bytes")
    })?;
    // Over a packet, `verify_transaction` refuses it by its length.
    let signed = bytes_for(&signed, PACKET_LEN)?;
    // The wallet may have changed the transaction (Lighthouse assertions, a new
    // compute price): use what it returned, but only if it still pays what was asked.
    let verified = verify_transaction(&signed, requirement).map_err(|invalid| {
        // Phantom's protection: the layout rule it breaks, and why the layout is so.
        let reason = match lighthouse_before_transfer(&signed) {
            true => invalid.lighthouse_reason().unwrap_or(invalid.reason()),
            false => invalid.reason(),
        };
        to_js(&Error::WalletAlteredTransaction { reason })
    })?;
    // Paid from the wallet's account, and no other: a wallet holding several accounts
    // could return a transfer that another of them authorised and signed.
    if verified.payer != payer {
        return Err(to_js(&Error::SignerMismatch {
            expected: payer.to_string(),
            actual: verified.payer.to_string(),
        }));
    }
    let transaction = base64::engine::general_purpose::STANDARD.encode(&signed);
    Ok(payment_payload(
        challenge,
        requirement,
        json!({ "transaction": transaction }),
    ))
}
