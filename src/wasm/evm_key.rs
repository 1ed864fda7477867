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

thread_local! {
    /// The JS objects of the wallets made here (not objects that copied a handle).
    static GENUINE: js_sys::WeakSet = js_sys::WeakSet::new();
}

/// `wallet` as the JS object a caller gets, recorded as genuine.
pub(super) fn genuine(wallet: EvmPrivateKeyWallet) -> JsValue {
    let object = JsValue::from(wallet);
    GENUINE.with(|set| set.add(object.unchecked_ref()));
    object
}

/// The wasm-held key behind `wallet`, when `wallet` is a key wallet made here or
/// inherits from one without replacing its `signTypedData`. An object that copied
/// a wallet's members (its handle included), or an adapter with a `signTypedData`
/// of its own (a confirmation step), is called like any other wallet.
pub(super) fn local_key(wallet: &JsValue) -> Option<Rc<PrivateKeySigner>> {
    if !wallet.is_object() {
        return None;
    }
    let mut holder = wallet.clone();
    for _ in 0..8 {
        if GENUINE.with(|set| set.has(holder.unchecked_ref())) {
            let sign = JsValue::from_str("signTypedData");
            let (used, defined) = (
                Reflect::get(wallet, &sign).ok()?,
                Reflect::get(&holder, &sign).ok()?,
            );
            if !used.is_function() || !JsValue::eq(&used, &defined) {
                return None;
            }
            let text = Reflect::get(&holder, &JsValue::from_str("__x402KeyId"))
                .ok()?
                .as_string()?;
            let mut token = [0u8; 16];
            hex::decode_to_slice(&text, &mut token).ok()?;
            return LOCAL_KEYS.with(|keys| keys.borrow().get(&token).and_then(Weak::upgrade));
        }
        holder = Reflect::get_prototype_of(&holder).ok()?.into();
        if !holder.is_object() {
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
