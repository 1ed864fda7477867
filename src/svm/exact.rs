//! Building `exact` payments on Solana: a v0 transaction of SetComputeUnitLimit,
//! SetComputeUnitPrice, TransferChecked and Memo, fee payer = the facilitator
//! (`extra.feePayer`), partially signed by the payer (the fee-payer slot stays zero).

use super::message::{AccountMeta, Instruction, Message, Transaction};
use super::{
    COMPUTE_BUDGET_PROGRAM, MEMO_PROGRAM, Pubkey, SolanaSigner, TOKEN_2022_PROGRAM, TOKEN_PROGRAM,
};
use crate::dialect::Requirement;
use crate::error::{Error, Result};
use serde_json::Value;

/// The compute unit limit requested.
pub const COMPUTE_UNIT_LIMIT: u32 = 20_000;
/// The compute unit price, in micro-lamports (tiny: verifiers cap it).
pub const COMPUTE_UNIT_PRICE: u64 = 1;
/// The longest memo accepted from `extra.memo`.
pub const MAX_MEMO_LEN: usize = 256;

/// Everything a Solana payment transaction is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SvmPayment {
    /// The paying wallet (token owner and transfer authority).
    pub payer: Pubkey,
    /// The facilitator that pays the fees and signs last.
    pub fee_payer: Pubkey,
    /// The token mint.
    pub mint: Pubkey,
    /// The recipient wallet (its ATA receives).
    pub pay_to: Pubkey,
    /// The amount, atomic units.
    pub amount: u64,
    /// The mint's decimals.
    pub decimals: u8,
    /// The mint's owner program: Token or Token-2022.
    pub token_program: Pubkey,
    /// The recent blockhash.
    pub recent_blockhash: [u8; 32],
    /// The memo bytes.
    pub memo: Vec<u8>,
}

/// What a requirement says about a Solana payment, before RPC fills the gaps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SvmTerms {
    /// The facilitator's fee payer.
    pub fee_payer: Pubkey,
    /// The mint.
    pub mint: Pubkey,
    /// The recipient wallet.
    pub pay_to: Pubkey,
    /// The amount.
    pub amount: u64,
    /// `extra.memo`, if the server set one.
    pub memo: Option<Vec<u8>>,
    /// `extra.recentBlockhash`, if given.
    pub recent_blockhash: Option<[u8; 32]>,
    /// `extra.decimals`, if given.
    pub decimals: Option<u8>,
    /// `extra.tokenProgram`, if given.
    pub token_program: Option<Pubkey>,
}

fn bad(reason: &'static str) -> Error {
    Error::InvalidSolanaRequirement { reason }
}

impl SvmTerms {
    /// Reads a Solana requirement.
    ///
    /// # Errors
    /// [`Error::UnsupportedScheme`]; [`Error::InvalidSolanaRequirement`] for a missing
    /// `extra.feePayer`, bad addresses, a memo over 256 bytes; [`Error::AmountOverflow`]
    /// for an amount past u64.
    pub fn from_requirement(requirement: &Requirement) -> Result<Self> {
        if requirement.scheme != "exact" {
            return Err(Error::UnsupportedScheme {
                scheme: requirement.scheme.clone(),
            });
        }
        let fee_payer = requirement
            .extra_str("feePayer")
            .ok_or(bad("extra.feePayer is required"))?;
        let key = |text: &str, what: &'static str| Pubkey::parse(text).map_err(|_| bad(what));
        // An empty memo counts as none (a random one is used), as in the reference client;
        // one that is not text is refused (the reference client would send its string form,
        // which its facilitator refuses).
        if requirement
            .extra_value("memo")
            .is_some_and(|m| !m.is_null() && !m.is_string())
        {
            return Err(bad("extra.memo must be a string"));
        }
        let memo = requirement
            .extra_str("memo")
            .filter(|m| !m.is_empty())
            .map(|m| m.as_bytes().to_vec());
        if memo.as_ref().is_some_and(|m| m.len() > MAX_MEMO_LEN) {
            return Err(bad("extra.memo is longer than 256 bytes"));
        }
        // A blockhash that is not 32 bytes of base58 is ignored (fetched instead), as the
        // reference client does.
        let recent_blockhash = requirement
            .extra_str("recentBlockhash")
            .and_then(|t| Pubkey::parse(t).ok())
            .map(|p| p.0);
        // So are decimals that are not a number (or a decimal string) up to 255: the
        // mint's own are read (the reference client always reads them).
        let decimals = requirement.extra_value("decimals").and_then(|v| match v {
            Value::String(text) => text.parse::<u8>().ok(),
            other => other.as_u64().and_then(|d| u8::try_from(d).ok()),
        });
        let token_program = match requirement.extra_str("tokenProgram") {
            Some(text) => Some(token_program(&key(
                text,
                "extra.tokenProgram is not an address",
            )?)?),
            None => None,
        };
        Ok(SvmTerms {
            fee_payer: key(fee_payer, "extra.feePayer is not an address")?,
            mint: key(&requirement.asset, "asset is not a mint address")?,
            pay_to: key(&requirement.pay_to, "payTo is not an address")?,
            amount: requirement.amount.to_spl_amount()?,
            memo,
            recent_blockhash,
            decimals,
            token_program,
        })
    }
}

/// Checks that `program` is the Token or Token-2022 program.
///
/// # Errors
/// [`Error::InvalidSolanaRequirement`] otherwise.
pub fn token_program(program: &Pubkey) -> Result<Pubkey> {
    let known = [
        Pubkey::known(TOKEN_PROGRAM),
        Pubkey::known(TOKEN_2022_PROGRAM),
    ];
    known
        .contains(program)
        .then_some(*program)
        .ok_or(bad("the mint is not owned by a token program"))
}

/// The TransferChecked instruction tag of the Token and Token-2022 programs.
pub(crate) const TRANSFER_CHECKED: u8 = 12;

/// SPL TransferChecked of `amount` (`decimals` as the mint has them) by `program`;
/// `[source, mint, destination, owner]` are its accounts, the owner signing.
pub fn transfer_checked(
    program: &Pubkey,
    [source, mint, destination, owner]: [Pubkey; 4],
    amount: u64,
    decimals: u8,
) -> Instruction {
    let meta = |pubkey, is_signer, is_writable| AccountMeta {
        pubkey,
        is_signer,
        is_writable,
    };
    let mut data = vec![TRANSFER_CHECKED];
    data.extend_from_slice(&amount.to_le_bytes());
    data.push(decimals);
    Instruction {
        program_id: *program,
        accounts: vec![
            meta(source, false, true),
            meta(mint, false, false),
            meta(destination, false, true),
            meta(owner, true, false),
        ],
        data,
    }
}

/// SetComputeUnitLimit.
pub fn set_compute_unit_limit(units: u32) -> Instruction {
    let mut data = vec![2];
    data.extend_from_slice(&units.to_le_bytes());
    Instruction {
        program_id: Pubkey::known(COMPUTE_BUDGET_PROGRAM),
        accounts: vec![],
        data,
    }
}

/// SetComputeUnitPrice.
pub fn set_compute_unit_price(micro_lamports: u64) -> Instruction {
    let mut data = vec![3];
    data.extend_from_slice(&micro_lamports.to_le_bytes());
    Instruction {
        program_id: Pubkey::known(COMPUTE_BUDGET_PROGRAM),
        accounts: vec![],
        data,
    }
}

impl SvmPayment {
    /// The source and destination token accounts.
    ///
    /// # Errors
    /// As [`Pubkey::associated_token_address`].
    pub fn token_accounts(&self) -> Result<(Pubkey, Pubkey)> {
        Ok((
            Pubkey::associated_token_address(&self.payer, &self.mint, &self.token_program)?,
            Pubkey::associated_token_address(&self.pay_to, &self.mint, &self.token_program)?,
        ))
    }

    /// The four instructions, in order.
    ///
    /// # Errors
    /// As [`SvmPayment::token_accounts`].
    pub fn instructions(&self) -> Result<Vec<Instruction>> {
        let (source, destination) = self.token_accounts()?;
        Ok(vec![
            set_compute_unit_limit(COMPUTE_UNIT_LIMIT),
            set_compute_unit_price(COMPUTE_UNIT_PRICE),
            transfer_checked(
                &self.token_program,
                [source, self.mint, destination, self.payer],
                self.amount,
                self.decimals,
            ),
            Instruction {
                program_id: Pubkey::known(MEMO_PROGRAM),
                accounts: vec![],
                data: self.memo.clone(),
            },
        ])
    }

    /// The unsigned message.
    ///
    /// # Errors
    /// As [`SvmPayment::instructions`].
    pub fn message(&self) -> Result<Message> {
        Message::compile(
            &self.fee_payer,
            &self.instructions()?,
            self.recent_blockhash,
        )
    }

    /// The transaction with every signature slot zero.
    ///
    /// # Errors
    /// As [`SvmPayment::message`].
    pub fn unsigned_transaction(&self) -> Result<Transaction> {
        let message = self.message()?;
        let slots = usize::from(message.num_required_signatures);
        Ok(Transaction {
            signatures: vec![[0u8; 64]; slots],
            message: message.serialize(),
        })
    }

    /// The transaction signed by `signer` (who must be the payer); the fee payer's
    /// slot stays zero.
    ///
    /// # Errors
    /// [`Error::SignerMismatch`] when `signer` is not the payer.
    pub fn sign(&self, signer: &SolanaSigner) -> Result<Transaction> {
        let mut tx = self.unsigned_transaction()?;
        sign_in_place(&mut tx, signer)?;
        Ok(tx)
    }
}

/// Puts `signer`'s signature in its slot of `tx`.
///
/// # Errors
/// [`Error::SignerMismatch`] when `signer` is not among the required signers.
pub fn sign_in_place(tx: &mut Transaction, signer: &SolanaSigner) -> Result<()> {
    let message = Message::parse(&tx.message)?;
    let slot = message
        .account_keys
        .iter()
        .take(usize::from(message.num_required_signatures))
        .position(|k| *k == signer.pubkey())
        .ok_or_else(|| Error::SignerMismatch {
            expected: String::new(),
            actual: signer.pubkey().to_string(),
        })?;
    let signature = signer.sign(&tx.message);
    if let Some(s) = tx.signatures.get_mut(slot) {
        *s = signature;
    }
    Ok(())
}

/// The price a ComputeBudget instruction sets, in micro-lamports per compute unit:
/// `Some` for SetComputeUnitPrice (a malformed one counts as the highest price),
/// `None` for the program's other instructions.
pub(crate) fn compute_unit_price(data: &[u8]) -> Option<u64> {
    match data.split_first() {
        Some((3, price)) => Some(price.try_into().map_or(u64::MAX, u64::from_le_bytes)),
        _ => None,
    }
}
