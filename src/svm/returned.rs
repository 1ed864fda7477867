//! What a client reads of a Solana payment transaction beyond verifying it: who pays
//! (the transfer's authority), and whether a wallet put Lighthouse guard instructions
//! before the transfer (Phantom's transaction protection), to say so when it is refused.

use super::exact::TRANSFER_CHECKED;
use super::message::{CompiledInstruction, Message, Transaction};
use super::verify::SvmInvalid;
use super::{LIGHTHOUSE_PROGRAM, Pubkey, TOKEN_2022_PROGRAM, TOKEN_PROGRAM};

/// [`SvmInvalid::lighthouse_reason`]'s reason followed by its cause.
macro_rules! lighthouse_noted {
    ($reason:literal) => {
        concat!(
            $reason,
            " (Lighthouse guard instructions come before the transfer, as Phantom's \
             transaction protection puts them: a layout the x402 exact-SVM verifier \
             rules refuse; nothing was sent)"
        )
    };
}

impl SvmInvalid {
    /// For a refusal of the instruction layout, its reason followed by the cause when
    /// Lighthouse guard instructions precede the transfer ([`lighthouse_before_transfer`]);
    /// `None` for any other refusal.
    pub fn lighthouse_reason(self) -> Option<&'static str> {
        Some(match self {
            SvmInvalid::InstructionCount => {
                lighthouse_noted!("invalid_exact_svm_payload_transaction_instructions_length")
            }
            SvmInvalid::ComputeLimit => lighthouse_noted!(
                "invalid_exact_svm_payload_transaction_instructions_compute_limit_instruction"
            ),
            SvmInvalid::ComputePrice => lighthouse_noted!(
                "invalid_exact_svm_payload_transaction_instructions_compute_price_instruction"
            ),
            SvmInvalid::NoTransfer => {
                lighthouse_noted!("invalid_exact_svm_payload_no_transfer_instruction")
            }
            SvmInvalid::UnknownInstruction => {
                lighthouse_noted!("invalid_exact_svm_payload_unknown_optional_instruction")
            }
            _ => return None,
        })
    }
}

/// Whether the wire transaction `tx` has a Lighthouse instruction before its first
/// token-program instruction: the layout of Phantom's transaction protection since
/// 2026, which the specification's verifier rules (and so facilitators) refuse.
pub fn lighthouse_before_transfer(tx: &[u8]) -> bool {
    let Some(message) = message_of(tx) else {
        return false;
    };
    let is_token = |ix: &CompiledInstruction| token_program(program_of(&message, ix));
    let Some(transfer) = message.instructions.iter().position(is_token) else {
        return false;
    };
    let lighthouse = Some(Pubkey::known(LIGHTHOUSE_PROGRAM));
    let mut before = message.instructions.iter().take(transfer);
    before.any(|ix| program_of(&message, ix) == lighthouse)
}

/// The authority of the wire transaction `tx`'s first TransferChecked: the paying
/// wallet of a payment this client made (`None` when there is none).
pub fn transfer_authority(tx: &[u8]) -> Option<Pubkey> {
    let message = message_of(tx)?;
    let transfer = message.instructions.iter().find(|ix| {
        token_program(program_of(&message, ix)) && ix.data.first() == Some(&TRANSFER_CHECKED)
    })?;
    let authority = transfer.accounts.get(3)?;
    message.account_keys.get(usize::from(*authority)).copied()
}

/// The message of the wire transaction `tx`, when it decodes.
fn message_of(tx: &[u8]) -> Option<Message> {
    Message::parse(&Transaction::parse(tx).ok()?.message).ok()
}

/// The program `ix` calls.
fn program_of(message: &Message, ix: &CompiledInstruction) -> Option<Pubkey> {
    message
        .account_keys
        .get(usize::from(ix.program_id_index))
        .copied()
}

/// Whether `program` is SPL Token or Token-2022.
fn token_program(program: Option<Pubkey>) -> bool {
    let token = [
        Pubkey::known(TOKEN_PROGRAM),
        Pubkey::known(TOKEN_2022_PROGRAM),
    ];
    program.is_some_and(|p| token.contains(&p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lighthouse_reason_begins_with_the_rule_it_breaks() {
        for invalid in [
            SvmInvalid::InstructionCount,
            SvmInvalid::ComputeLimit,
            SvmInvalid::ComputePrice,
            SvmInvalid::NoTransfer,
            SvmInvalid::UnknownInstruction,
        ] {
            let noted = invalid.lighthouse_reason().unwrap_or_default();
            assert!(
                noted.starts_with(&format!("{} (Lighthouse", invalid.reason())),
                "{noted}"
            );
        }
        assert_eq!(SvmInvalid::AmountMismatch.lighthouse_reason(), None);
        assert_eq!(SvmInvalid::Signature.lighthouse_reason(), None);
    }
}
