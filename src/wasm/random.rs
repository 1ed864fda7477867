//! Random nonces (EIP-3009 / Permit2) and memos (Solana), from the runtime's
//! `crypto.getRandomValues`, drawn 1 KiB at a time: one call into the engine then
//! serves 32 nonces. Both values are published in the payment they go into, so
//! holding the next few in memory reveals nothing that will not be public; each
//! byte is used once and wiped when handed out. ECDSA nonces never come from here
//! (they are RFC 6979, derived from the key and the message).

use std::cell::RefCell;

use wasm_bindgen::JsValue;
use zeroize::Zeroize;

use super::error::invalid_argument;

const POOL: usize = 1024;

thread_local! {
    /// Unused random bytes and how many of them are left (at the end of the buffer).
    static BYTES: RefCell<([u8; POOL], usize)> = const { RefCell::new(([0; POOL], 0)) };
}

/// Fills `out` with fresh random bytes.
fn fill(out: &mut [u8]) -> Result<(), JsValue> {
    BYTES.with(|cell| {
        let mut pool = cell.borrow_mut();
        let (buffer, left) = &mut *pool;
        if *left < out.len() {
            getrandom::fill(buffer).map_err(|_| {
                invalid_argument("no secure random source (crypto.getRandomValues)")
            })?;
            *left = POOL;
        }
        let start = POOL - *left;
        let end = start + out.len();
        let taken = buffer
            .get_mut(start..end)
            .ok_or_else(|| invalid_argument("random pool exhausted"))?;
        out.copy_from_slice(taken);
        taken.zeroize();
        *left -= out.len();
        Ok(())
    })
}

/// A 32-byte random nonce.
pub(crate) fn random_nonce() -> Result<[u8; 32], JsValue> {
    let mut nonce = [0u8; 32];
    fill(&mut nonce)?;
    Ok(nonce)
}

/// A 16-byte random memo.
pub(crate) fn random_memo() -> Result<[u8; 16], JsValue> {
    let mut memo = [0u8; 16];
    fill(&mut memo)?;
    Ok(memo)
}

/// A payment identifier as the official client makes them: `pay_` and 32 hex digits
/// (128 random bits).
pub(crate) fn random_payment_id() -> Result<String, JsValue> {
    let mut bytes = [0u8; 16];
    fill(&mut bytes)?;
    Ok(format!("pay_{}", hex::encode(bytes)))
}
