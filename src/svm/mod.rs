//! The Solana side of the `exact` scheme: keys, PDAs and token accounts, v0
//! messages, the payment transaction, and its verification.

pub mod exact;
mod keys;
pub mod message;
mod pubkey;
pub mod returned;
pub mod transfer;
pub mod verify;

pub use keys::{SolanaSigner, verify_signature};
pub use pubkey::{
    ASSOCIATED_TOKEN_PROGRAM, COMPUTE_BUDGET_PROGRAM, LIGHTHOUSE_PROGRAM, MEMO_PROGRAM, Pubkey,
    TOKEN_2022_PROGRAM, TOKEN_PROGRAM,
};
