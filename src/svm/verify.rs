//! Verifying a Solana `exact` payment per the specification's MUST rules, before a
//! facilitator co-signs it: instruction layout, fee-payer safety, the bounds on the
//! compute-unit price and the priority fee, destination, amount, memo, and the payer's signature.

use super::exact::{COMPUTE_UNIT_LIMIT, TRANSFER_CHECKED};
use super::message::{Message, Transaction};
use super::{
    COMPUTE_BUDGET_PROGRAM, LIGHTHOUSE_PROGRAM, MEMO_PROGRAM, Pubkey, TOKEN_2022_PROGRAM,
    TOKEN_PROGRAM, verify_signature,
};
use crate::dialect::Requirement;
use sha2::{Digest, Sha256};

/// The highest compute-unit price accepted, in micro-lamports.
pub const MAX_COMPUTE_UNIT_PRICE: u64 = 5_000_000;

/// The highest priority fee (compute-unit price times limit) accepted, in
/// micro-lamports: what the price cap allows at the limit x402 clients request
/// (20,000 units), 100,000 lamports. The price alone leaves the fee payer's cost
/// to the limit: 1.4M units at the cap is 0.007 SOL for each payment.
pub const MAX_PRIORITY_FEE: u128 = MAX_COMPUTE_UNIT_PRICE as u128 * COMPUTE_UNIT_LIMIT as u128;

/// Why a Solana payment is invalid. [`SvmInvalid::reason`] is the x402 reason string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SvmInvalid {
    /// The transaction does not decode (or is not v0, or uses lookup tables).
    Transaction,
    /// Not 3 to 6 instructions.
    InstructionCount,
    /// The first instruction is not SetComputeUnitLimit.
    ComputeLimit,
    /// The second instruction is not SetComputeUnitPrice.
    ComputePrice,
    /// The compute-unit price is above the bound, or the priority fee (price times
    /// limit) is.
    ComputePriceTooHigh,
    /// The third instruction is not a TransferChecked of a token program.
    NoTransfer,
    /// An instruction after the transfer is neither Memo nor Lighthouse.
    UnknownInstruction,
    /// The requirement has no usable `extra.feePayer`.
    MissingFeePayer,
    /// The transaction's fee payer is not the requirement's.
    FeePayerMismatch,
    /// The fee payer appears in an instruction's accounts (or is source/authority).
    FeePayerTransferringFunds,
    /// The mint is not the asset.
    MintMismatch,
    /// The destination is not ATA(payTo, asset).
    RecipientMismatch,
    /// The amount is not exactly the requirement's.
    AmountMismatch,
    /// `extra.memo` is set and no memo carries it.
    MemoMismatch,
    /// More than one memo instruction.
    MemoCount,
    /// The payer's signature is missing or wrong.
    Signature,
    /// Signers other than the fee payer and the payer.
    ExcessiveSigners,
}

impl SvmInvalid {
    /// The reason string (`invalidReason`), as the official facilitator names it.
    pub fn reason(self) -> &'static str {
        match self {
            SvmInvalid::Transaction => "invalid_exact_svm_payload_transaction_could_not_be_decoded",
            SvmInvalid::InstructionCount => {
                "invalid_exact_svm_payload_transaction_instructions_length"
            }
            SvmInvalid::ComputeLimit => {
                "invalid_exact_svm_payload_transaction_instructions_compute_limit_instruction"
            }
            SvmInvalid::ComputePrice => {
                "invalid_exact_svm_payload_transaction_instructions_compute_price_instruction"
            }
            SvmInvalid::ComputePriceTooHigh => {
                "invalid_exact_svm_payload_transaction_instructions_compute_price_instruction_too_high"
            }
            SvmInvalid::NoTransfer => "invalid_exact_svm_payload_no_transfer_instruction",
            SvmInvalid::UnknownInstruction => {
                "invalid_exact_svm_payload_unknown_optional_instruction"
            }
            SvmInvalid::MissingFeePayer => "invalid_exact_svm_payload_missing_fee_payer",
            SvmInvalid::FeePayerMismatch => "invalid_exact_svm_fee_payer_mismatch",
            SvmInvalid::FeePayerTransferringFunds => {
                "invalid_exact_svm_payload_transaction_fee_payer_transferring_funds"
            }
            SvmInvalid::MintMismatch => "invalid_exact_svm_payload_mint_mismatch",
            SvmInvalid::RecipientMismatch => "invalid_exact_svm_payload_recipient_mismatch",
            SvmInvalid::AmountMismatch => "invalid_exact_svm_payload_amount_mismatch",
            SvmInvalid::MemoMismatch => "invalid_exact_svm_payload_memo_mismatch",
            SvmInvalid::MemoCount => "invalid_exact_svm_payload_memo_count",
            SvmInvalid::Signature => "invalid_exact_svm_payload_signature_invalid",
            SvmInvalid::ExcessiveSigners => "invalid_exact_svm_payload_excessive_signers",
        }
    }
}

/// A Solana payment that passed verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SvmVerified {
    /// The paying wallet.
    pub payer: Pubkey,
    /// The payer's signature (base58).
    pub signature: String,
    /// The replay key: the SHA-256 of the signed message (base58). Not the signature: the
    /// payer can sign one message many times with different, equally valid signatures,
    /// all of which the chain settles as one transaction.
    pub replay_key: String,
}

/// Verifies the wire transaction `tx` against `requirement`.
///
/// # Errors
/// The first [`SvmInvalid`] found.
pub fn verify_transaction(tx: &[u8], requirement: &Requirement) -> Result<SvmVerified, SvmInvalid> {
    let (tx, authority, slot) = check_unsigned_parts(tx, requirement)?;
    let signature = tx.signatures.get(slot).ok_or(SvmInvalid::Signature)?;
    if !verify_signature(&authority, &tx.message, signature) {
        return Err(SvmInvalid::Signature);
    }
    Ok(SvmVerified {
        payer: authority,
        signature: bs58::encode(signature).into_string(),
        replay_key: bs58::encode(Sha256::digest(&tx.message)).into_string(),
    })
}

/// Checks everything [`verify_transaction`] does but the payer's signature: what a
/// client checks of the transaction it built before its wallet is asked to sign.
///
/// # Errors
/// The first [`SvmInvalid`] found.
pub fn check_unsigned(tx: &[u8], requirement: &Requirement) -> Result<(), SvmInvalid> {
    check_unsigned_parts(tx, requirement).map(|_| ())
}

/// The checks of [`check_unsigned`]; on success the transaction, the transfer's
/// authority and its signature slot.
fn check_unsigned_parts(
    tx: &[u8],
    requirement: &Requirement,
) -> Result<(Transaction, Pubkey, usize), SvmInvalid> {
    let tx = Transaction::parse(tx).map_err(|_| SvmInvalid::Transaction)?;
    let message = Message::parse(&tx.message).map_err(|_| SvmInvalid::Transaction)?;
    if message.lookup_count != 0
        || tx.signatures.len() != usize::from(message.num_required_signatures)
    {
        return Err(SvmInvalid::Transaction);
    }
    let key = |i: u8| {
        message
            .account_keys
            .get(usize::from(i))
            .copied()
            .unwrap_or_default()
    };
    let program = |ix: &super::message::CompiledInstruction| key(ix.program_id_index);
    let ixs = &message.instructions;
    if !(3..=6).contains(&ixs.len()) {
        return Err(SvmInvalid::InstructionCount);
    }
    let compute_budget = Pubkey::known(COMPUTE_BUDGET_PROGRAM);
    let (limit, price, transfer) = match ixs.as_slice() {
        [a, b, c, ..] => (a, b, c),
        _ => return Err(SvmInvalid::InstructionCount),
    };
    if program(limit) != compute_budget || limit.data.len() != 5 || limit.data.first() != Some(&2) {
        return Err(SvmInvalid::ComputeLimit);
    }
    if program(price) != compute_budget || price.data.len() != 9 || price.data.first() != Some(&3) {
        return Err(SvmInvalid::ComputePrice);
    }
    let micro_lamports = super::exact::compute_unit_price(&price.data).unwrap_or(u64::MAX);
    let units = limit
        .data
        .get(1..5)
        .and_then(|b| b.try_into().ok())
        .map_or(u32::MAX, u32::from_le_bytes);
    if micro_lamports > MAX_COMPUTE_UNIT_PRICE
        || u128::from(micro_lamports) * u128::from(units) > MAX_PRIORITY_FEE
    {
        return Err(SvmInvalid::ComputePriceTooHigh);
    }
    let token_program = program(transfer);
    let is_token = token_program == Pubkey::known(TOKEN_PROGRAM)
        || token_program == Pubkey::known(TOKEN_2022_PROGRAM);
    if !is_token
        || transfer.data.len() != 10
        || transfer.data.first() != Some(&TRANSFER_CHECKED)
        || transfer.accounts.len() != 4
    {
        return Err(SvmInvalid::NoTransfer);
    }
    let memo_program = Pubkey::known(MEMO_PROGRAM);
    let lighthouse = Pubkey::known(LIGHTHOUSE_PROGRAM);
    let optional = ixs.get(3..).unwrap_or_default();
    if optional
        .iter()
        .any(|ix| program(ix) != memo_program && program(ix) != lighthouse)
    {
        return Err(SvmInvalid::UnknownInstruction);
    }

    let fee_payer = requirement
        .extra_str("feePayer")
        .and_then(|f| Pubkey::parse(f).ok())
        .ok_or(SvmInvalid::MissingFeePayer)?;
    if message.account_keys.first() != Some(&fee_payer) {
        return Err(SvmInvalid::FeePayerMismatch);
    }
    let accounts: Vec<Pubkey> = transfer.accounts.iter().map(|i| key(*i)).collect();
    let (source, mint, destination, authority) = match accounts.as_slice() {
        [s, m, d, a] => (*s, *m, *d, *a),
        _ => return Err(SvmInvalid::NoTransfer),
    };
    // What the chain would refuse after the fee payer paid its fee: a transfer whose token
    // accounts are read-only (the authority's signature is checked below).
    let at = |n: usize| {
        transfer
            .accounts
            .get(n)
            .map_or(usize::MAX, |i| usize::from(*i))
    };
    if !message.is_writable(at(0)) || !message.is_writable(at(2)) {
        return Err(SvmInvalid::NoTransfer);
    }
    let fee_payer_used = ixs
        .iter()
        .any(|ix| program(ix) == fee_payer || ix.accounts.iter().any(|i| key(*i) == fee_payer));
    if fee_payer_used || authority == fee_payer || source == fee_payer {
        return Err(SvmInvalid::FeePayerTransferringFunds);
    }
    let signers = usize::from(message.num_required_signatures);
    if signers > 2 {
        return Err(SvmInvalid::ExcessiveSigners);
    }
    if Pubkey::parse(&requirement.asset).ok() != Some(mint) {
        return Err(SvmInvalid::MintMismatch);
    }
    let pay_to = Pubkey::parse(&requirement.pay_to).map_err(|_| SvmInvalid::RecipientMismatch)?;
    let expected = Pubkey::associated_token_address(&pay_to, &mint, &token_program)
        .map_err(|_| SvmInvalid::RecipientMismatch)?;
    if destination != expected {
        return Err(SvmInvalid::RecipientMismatch);
    }
    let amount = transfer
        .data
        .get(1..9)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes);
    if amount.is_none() || amount != requirement.amount.to_u64() {
        return Err(SvmInvalid::AmountMismatch);
    }
    let memos: Vec<&[u8]> = optional
        .iter()
        .filter(|ix| program(ix) == memo_program)
        .map(|ix| ix.data.as_slice())
        .collect();
    // A memo that is not text cannot be carried: refused (the official facilitator does too).
    if requirement
        .extra_value("memo")
        .is_some_and(|m| !m.is_null() && !m.is_string())
    {
        return Err(SvmInvalid::MemoMismatch);
    }
    // Wallets may add their own memo; the count only matters when the server set one.
    if let Some(memo) = requirement.extra_str("memo").filter(|m| !m.is_empty()) {
        if memos.len() > 1 {
            return Err(SvmInvalid::MemoCount);
        }
        if memos.first() != Some(&memo.as_bytes()) {
            return Err(SvmInvalid::MemoMismatch);
        }
    }
    let slot = message
        .account_keys
        .iter()
        .take(signers)
        .position(|k| *k == authority)
        .ok_or(SvmInvalid::Signature)?;
    Ok((tx, authority, slot))
}

/// Verifies a scheme payload `{ transaction: base64 }` against `requirement`.
///
/// # Errors
/// As [`verify_transaction`]; a missing or non-base64 transaction is [`SvmInvalid::Transaction`].
pub fn verify_payload(
    payload: &serde_json::Value,
    requirement: &Requirement,
) -> Result<SvmVerified, SvmInvalid> {
    let bytes = payload_transaction(payload).ok_or(SvmInvalid::Transaction)?;
    verify_transaction(&bytes, requirement)
}

/// The wire bytes of an `exact` Solana payload's `transaction` (base64, at most 4096
/// characters: a packet is 1232 bytes); `None` when it is missing or not base64.
pub fn payload_transaction(payload: &serde_json::Value) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let text = payload.get("transaction")?.as_str()?;
    if text.len() > 4096 {
        return None;
    }
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}
