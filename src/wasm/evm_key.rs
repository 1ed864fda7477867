//! The EVM key wallet: a secp256k1 key held in wasm memory, and the handle that
//! lets payments sign with it in place.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;

use super::error::js;
use super::evm::typed_data_of;
use crate::evm::PrivateKeySigner;

/// A wallet holding a secp256k1 private key inside wasm memory. The key is
/// zeroized when the wallet is freed and never leaves wasm.
#[wasm_bindgen]
pub struct EvmPrivateKeyWallet {
    pub(super) signer: Rc<PrivateKeySigner>,
    token: [u8; 16],
}

thread_local! {
    /// The wasm-held keys, by their wallet's random token, so payments signed with
    /// them skip the round trip through JS. Weak: freeing the wallet drops (and
    /// zeroizes) the key.
    static LOCAL_KEYS: RefCell<HashMap<[u8; 16], Weak<PrivateKeySigner>>> = RefCell::new(HashMap::new());
}

impl Drop for EvmPrivateKeyWallet {
    fn drop(&mut self) {
        LOCAL_KEYS.with(|keys| keys.borrow_mut().remove(&self.token));
    }
}

/// The wasm-held key behind `wallet`, when `wallet` is one of ours or inherits from
/// one without replacing its `signTypedData`. The handle is a random token, not a
/// counter: an object that never held the wallet cannot name its key. An adapter
/// built on a key wallet with a `signTypedData` of its own (a confirmation step) is
/// called like any other wallet.
pub(super) fn local_key(wallet: &JsValue) -> Option<Rc<PrivateKeySigner>> {
    const TOKEN: &str = "__x402KeyId";
    if !wallet.is_object() {
        return None;
    }
    let text = Reflect::get(wallet, &JsValue::from_str(TOKEN))
        .ok()?
        .as_string()?;
    let mut token = [0u8; 16];
    hex::decode_to_slice(&text, &mut token).ok()?;
    // The prototype that defines the handle (the class's) must also be where the
    // wallet's signTypedData comes from.
    let mut holder = wallet.clone();
    for _ in 0..8 {
        if Reflect::get_own_property_descriptor(
            holder.unchecked_ref::<js_sys::Object>(),
            &JsValue::from_str(TOKEN),
        )
        .ok()?
        .is_object()
        {
            let sign = JsValue::from_str("signTypedData");
            let (used, defined) = (
                Reflect::get(wallet, &sign).ok()?,
                Reflect::get(&holder, &sign).ok()?,
            );
            if !used.is_function() || !JsValue::eq(&used, &defined) {
                return None;
            }
            return LOCAL_KEYS.with(|keys| keys.borrow().get(&token).and_then(Weak::upgrade));
        }
        holder = Reflect::get_prototype_of(&holder).ok()?.into();
        if holder.is_null() {
            return None;
        }
    }
    None
}

impl EvmPrivateKeyWallet {
    /// A wallet for `signer`, registered under a fresh random token.
    pub(super) fn new(signer: PrivateKeySigner) -> Result<Self, JsValue> {
        let signer = Rc::new(signer);
        let token = super::random::random_token()?;
        LOCAL_KEYS.with(|keys| keys.borrow_mut().insert(token, Rc::downgrade(&signer)));
        Ok(EvmPrivateKeyWallet { signer, token })
    }
}

#[wasm_bindgen]
impl EvmPrivateKeyWallet {
    /// The wallet's EIP-55 address.
    #[wasm_bindgen(getter)]
    pub fn address(&self) -> String {
        self.signer.address().to_checksum()
    }

    /// The wallet family: `"evm"`.
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> String {
        "evm".to_owned()
    }

    /// Marks the package's own wallets: their errors are trusted to say whether a
    /// transfer was sent (see `Wallet::own` in fetch.rs).
    #[wasm_bindgen(getter, js_name = __x402Own)]
    pub fn own(&self) -> bool {
        true
    }

    /// An opaque, unguessable handle that lets payments use the key without leaving
    /// wasm (only code holding the wallet can read it).
    #[wasm_bindgen(getter, js_name = __x402KeyId)]
    pub fn key_id(&self) -> String {
        hex::encode(self.token)
    }

    /// Signs EIP-712 typed data `{ domain, types, primaryType, message }` (viem's
    /// shape; integers as bigint, number or decimal string). Resolves to the
    /// 65-byte signature as hex.
    #[wasm_bindgen(js_name = signTypedData)]
    pub fn sign_typed_data(&self, typed_data: JsValue) -> Result<Promise, JsValue> {
        let digest = js(typed_data_of(&typed_data)?.digest())?;
        Ok(Promise::resolve(&JsValue::from_str(
            &self.signer.sign_digest(&digest).to_hex(),
        )))
    }
}
