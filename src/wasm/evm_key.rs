//! The EVM key wallet: a secp256k1 key held in wasm memory, and the handle that
//! lets payments sign with it in place.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use js_sys::{Object, Promise};
use wasm_bindgen::prelude::*;

use super::error::js;
use super::evm::typed_data_of;
use super::wallet::made_by_package;
use crate::evm::PrivateKeySigner;

/// A wallet holding a secp256k1 private key inside wasm memory. The key is
/// zeroized when the wallet is freed and never leaves wasm.
#[wasm_bindgen]
pub struct EvmPrivateKeyWallet {
    pub(super) signer: Rc<PrivateKeySigner>,
    id: u32,
}

thread_local! {
    /// The wasm-held keys, by their wallet's id, so payments signed with them skip the
    /// round trip through JS. Weak: freeing the wallet drops (and zeroizes) the key.
    static LOCAL_KEYS: RefCell<HashMap<u32, Weak<PrivateKeySigner>>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
    /// The JS objects of the wallets made here, to their id: only these (not an object
    /// that copied a wallet's members) name a key.
    static MADE: js_sys::WeakMap = js_sys::WeakMap::new();
}

impl Drop for EvmPrivateKeyWallet {
    fn drop(&mut self) {
        LOCAL_KEYS.with(|keys| keys.borrow_mut().remove(&self.id));
    }
}

/// `wallet` as the JS object a caller gets, recorded as made here.
pub(super) fn genuine(wallet: EvmPrivateKeyWallet) -> JsValue {
    let id = wallet.id;
    let object = JsValue::from(wallet);
    MADE.with(|made| made.set(object.unchecked_ref(), &id.into()));
    object
}

/// The wasm-held key behind `wallet`, when `wallet` is a key wallet made here or
/// inherits from one without replacing its `signTypedData`. An object that copied
/// a wallet's members, or an adapter with a `signTypedData` of its own (a
/// confirmation step), is called like any other wallet.
pub(super) fn local_key(wallet: &JsValue) -> Option<Rc<PrivateKeySigner>> {
    let made = |target: &Object| Ok(MADE.with(|made| made.has(target)));
    let holder = made_by_package(wallet, made, &["signTypedData"]).ok()??;
    // Only ids set in `genuine` are in the map: a u32, exact as a number.
    let id = MADE.with(|made| made.get(&holder)).as_f64()? as u32;
    LOCAL_KEYS.with(|keys| keys.borrow().get(&id).and_then(Weak::upgrade))
}

impl EvmPrivateKeyWallet {
    /// A wallet for `signer`, registered under a fresh id.
    pub(super) fn new(signer: PrivateKeySigner) -> Self {
        let signer = Rc::new(signer);
        let id = NEXT_ID.with(|next| {
            next.set(next.get().wrapping_add(1));
            next.get()
        });
        LOCAL_KEYS.with(|keys| keys.borrow_mut().insert(id, Rc::downgrade(&signer)));
        EvmPrivateKeyWallet { signer, id }
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
