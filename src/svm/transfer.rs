//! Direct SPL transfers the payer sends itself (the "Solana Pay reference" dialect):
//! a v0 transaction, fee payer = the payer, with one TransferChecked whose accounts
//! end with the reference keys (read-only, not signing), as Solana Pay appends them.
//! The server then finds the payment by a reference. Also: checking that what a
//! wallet signed is still that transfer, and reading a `getSignatureStatuses` entry.

use serde_json::Value;

use super::exact::{compute_unit_price, token_program, transfer_checked};
use super::message::{AccountMeta, Instruction, Message, PACKET_LEN, Transaction};
use super::verify::MAX_COMPUTE_UNIT_PRICE;
use super::{
    COMPUTE_BUDGET_PROGRAM, LIGHTHOUSE_PROGRAM, MEMO_PROGRAM, Pubkey, TOKEN_2022_PROGRAM,
    TOKEN_PROGRAM, verify_signature,
};
use crate::error::{Error, Result};

/// An SPL transfer from the payer's token account to the recipient's, carrying
/// reference keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SvmTransfer {
    /// The paying wallet: fee payer, token owner and transfer authority.
    pub payer: Pubkey,
    /// The recipient wallet; its associated token account receives.
    pub recipient: Pubkey,
    /// The token mint.
    pub mint: Pubkey,
    /// The mint's owner program: Token or Token-2022.
    pub token_program: Pubkey,
    /// The mint's decimals.
    pub decimals: u8,
    /// The amount, atomic units.
    pub amount: u64,
    /// Reference keys, appended to the transfer's accounts in this order.
    pub references: Vec<Pubkey>,
    /// The recent blockhash.
    pub recent_blockhash: [u8; 32],
}

fn altered(reason: &'static str) -> Error {
    Error::WalletAlteredTransaction { reason }
}

fn bad(reason: &'static str) -> Error {
    Error::InvalidSolanaRequirement { reason }
}

impl SvmTransfer {
    /// The source and destination token accounts (ATAs of the payer and the recipient).
    ///
    /// # Errors
    /// As [`Pubkey::associated_token_address`].
    pub fn token_accounts(&self) -> Result<(Pubkey, Pubkey)> {
        Ok((
            Pubkey::associated_token_address(&self.payer, &self.mint, &self.token_program)?,
            Pubkey::associated_token_address(&self.recipient, &self.mint, &self.token_program)?,
        ))
    }

    /// The TransferChecked instruction with the references appended.
    ///
    /// # Errors
    /// [`Error::InvalidSolanaRequirement`] when the program is not Token or Token-2022,
    /// or a reference repeats another reference or an account of the transfer (it
    /// would not be a read-only non-signer then).
    pub fn instruction(&self) -> Result<Instruction> {
        token_program(&self.token_program)?;
        let (source, destination) = self.token_accounts()?;
        let fixed = [
            source,
            self.mint,
            destination,
            self.payer,
            self.token_program,
        ];
        for (i, reference) in self.references.iter().enumerate() {
            let repeated = fixed.contains(reference)
                || self.references.iter().skip(i + 1).any(|r| r == reference);
            if repeated {
                return Err(bad("a reference repeats an account of the transfer"));
            }
        }
        let mut transfer = transfer_checked(
            &self.token_program,
            [source, self.mint, destination, self.payer],
            self.amount,
            self.decimals,
        );
        transfer
            .accounts
            .extend(self.references.iter().map(|&pubkey| AccountMeta {
                pubkey,
                is_signer: false,
                is_writable: false,
            }));
        Ok(transfer)
    }

    /// The unsigned v0 message (fee payer = the payer).
    ///
    /// # Errors
    /// As [`SvmTransfer::instruction`] and [`Message::compile`].
    pub fn message(&self) -> Result<Message> {
        Message::compile(&self.payer, &[self.instruction()?], self.recent_blockhash)
    }

    /// The transaction with its one signature slot (the payer's) zero.
    ///
    /// # Errors
    /// As [`SvmTransfer::message`]; [`Error::InvalidTransaction`] when it does not fit a
    /// packet (too many references).
    pub fn unsigned_transaction(&self) -> Result<Transaction> {
        let message = self.message()?;
        let tx = Transaction {
            signatures: vec![[0u8; 64]; usize::from(message.num_required_signatures)],
            message: message.serialize(),
        };
        if tx.serialize().len() > PACKET_LEN {
            return Err(Error::InvalidTransaction {
                reason: "larger than a packet (1232 bytes): too many references",
            });
        }
        Ok(tx)
    }
}

/// Checks that the signed wire transaction `tx` is still exactly `expected`: the payer
/// pays the fees and is the only signer (with a valid signature), exactly one token
/// instruction, which is `expected`'s TransferChecked (program, accounts with their
/// roles, references in order, amount, decimals), and otherwise only ComputeBudget,
/// Memo or Lighthouse instructions (wallets add these). The compute-unit price is
/// bounded as in x402 `exact` ([`MAX_COMPUTE_UNIT_PRICE`]); the compute-unit limit is
/// not (the runtime caps it at 1.4M units, so the priority fee stays under 0.007 SOL,
/// and the wallet shows it). The blockhash may differ.
///
/// # Errors
/// [`Error::InvalidTransaction`] when `tx` does not decode as a v0 transaction;
/// [`Error::WalletAlteredTransaction`] when it is not the transfer;
/// [`Error::InvalidSignature`] when the payer's signature is missing or wrong.
pub fn check_transfer(tx: &[u8], expected: &SvmTransfer) -> Result<()> {
    let tx = Transaction::parse(tx)?;
    let message = Message::parse(&tx.message)?;
    if message.lookup_count != 0 {
        return Err(altered("uses address lookup tables"));
    }
    if tx.signatures.len() != usize::from(message.num_required_signatures) {
        return Err(Error::InvalidTransaction {
            reason: "signature count differs from the header",
        });
    }
    if message.account_keys.first() != Some(&expected.payer) {
        return Err(altered("the payer is not the fee payer"));
    }
    if message.num_required_signatures != 1 {
        return Err(altered("signers other than the payer"));
    }
    let key = |i: u8| message.account_keys.get(usize::from(i)).copied();
    let tokens = [
        Pubkey::known(TOKEN_PROGRAM),
        Pubkey::known(TOKEN_2022_PROGRAM),
    ];
    let tolerated = [
        Pubkey::known(MEMO_PROGRAM),
        Pubkey::known(LIGHTHOUSE_PROGRAM),
    ];
    let mut transfers = Vec::new();
    for ix in &message.instructions {
        match key(ix.program_id_index) {
            Some(program) if tokens.contains(&program) => transfers.push(ix),
            Some(program) if program == Pubkey::known(COMPUTE_BUDGET_PROGRAM) => {
                if compute_unit_price(&ix.data).is_some_and(|p| p > MAX_COMPUTE_UNIT_PRICE) {
                    return Err(altered("a priority fee above 5 lamports per compute unit"));
                }
            }
            Some(program) if tolerated.contains(&program) => {}
            _ => return Err(altered("an instruction of another program")),
        }
    }
    let [transfer] = transfers.as_slice() else {
        return Err(altered("not exactly one token instruction"));
    };
    let want = expected.instruction()?;
    if key(transfer.program_id_index) != Some(want.program_id) {
        return Err(altered("the token program differs"));
    }
    if transfer.data != want.data {
        return Err(altered("the amount, decimals or instruction differ"));
    }
    let same_accounts = transfer.accounts.len() == want.accounts.len()
        && transfer
            .accounts
            .iter()
            .zip(&want.accounts)
            .all(|(i, meta)| {
                let at = usize::from(*i);
                key(*i) == Some(meta.pubkey)
                    && message.is_signer(at) == meta.is_signer
                    && (message.is_writable(at) == meta.is_writable || at == 0)
            });
    if !same_accounts {
        return Err(altered("the transfer's accounts or references differ"));
    }
    let signed = tx
        .signatures
        .first()
        .is_some_and(|s| verify_signature(&expected.payer, &tx.message, s));
    if !signed {
        return Err(Error::InvalidSignature {
            reason: "the payer's signature of the transfer is missing or invalid",
        });
    }
    Ok(())
}

/// Reads one entry of a `getSignatureStatuses` answer for `signature`: `Ok(true)` once
/// it is confirmed or finalized without error, `Ok(false)` while unknown (`null`) or
/// only processed.
///
/// # Errors
/// [`Error::TransactionFailed`] when the entry carries an `err`; [`Error::RpcError`]
/// when the entry is neither `null` nor an object.
pub fn signature_confirmed(entry: &Value, signature: &str) -> Result<bool> {
    if entry.is_null() {
        return Ok(false);
    }
    if !entry.is_object() {
        return Err(Error::RpcError {
            reason: "getSignatureStatuses: an entry is not an object".into(),
        });
    }
    match entry.get("err") {
        None | Some(Value::Null) => {}
        Some(err) => {
            return Err(Error::TransactionFailed {
                transaction: signature.to_owned(),
                reason: err.to_string(),
            });
        }
    }
    Ok(matches!(
        entry.get("confirmationStatus").and_then(Value::as_str),
        Some("confirmed" | "finalized")
    ))
}

/// Normalises a transaction signature given as base58 text or as 64 bytes to base58.
///
/// # Errors
/// [`Error::InvalidSignature`] unless it is 64 bytes.
pub fn signature_base58(text: Option<&str>, bytes: Option<&[u8]>) -> Result<String> {
    let wrong = Error::InvalidSignature {
        reason: "a transaction signature is 64 bytes (base58 or bytes)",
    };
    let mut decoded = [0u8; 64];
    match (text, bytes) {
        (Some(text), _) => match bs58::decode(text).onto(&mut decoded[..]) {
            Ok(64) => Ok(bs58::encode(decoded).into_string()),
            _ => Err(wrong),
        },
        (None, Some(bytes)) if bytes.len() == 64 => Ok(bs58::encode(bytes).into_string()),
        _ => Err(wrong),
    }
}
