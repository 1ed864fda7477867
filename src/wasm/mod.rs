//! The JavaScript boundary: the only module that touches wasm-bindgen and js-sys.
//!
//! Every export takes and returns plain JS values; every failure is thrown as an
//! `Error` whose `name` is `"X402Error"` and whose `code` is [`Error::code`].

mod again;
mod approval;
mod caller;
mod codec;
mod convert;
mod direct;
mod error;
mod evm;
mod evm_key;
mod evm_send;
mod facilitator_pay;
mod fetch;
mod guarded;
mod headers;
mod hooks;
mod pay;
mod payload_options;
mod random;
mod receipts;
mod request;
mod response;
mod rpc;
mod spending;
mod sponsor;
mod svm;
mod svm_send;
mod timer;
mod wallet;
mod wallets;
mod worker;

pub use codec::*;

use js_sys::Object;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The real `globalThis` (not a `window` object a test environment may have set up).
    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    static GLOBAL_THIS: Object;
}

/// A property of the real global object (`fetch`, `Request`...).
pub(crate) fn global(name: &str) -> JsValue {
    GLOBAL_THIS
        .with(|g| js_sys::Reflect::get(g, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED))
}
pub use evm::*;
pub use fetch::*;
pub use receipts::*;
pub use svm::*;
pub use worker::*;
