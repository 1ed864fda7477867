//! The JavaScript boundary: the only module that touches wasm-bindgen and js-sys.
//!
//! Every export takes and returns plain JS values; every failure is thrown as an
//! `Error` whose `name` is `"X402Error"` and whose `code` is [`Error::code`].

mod codec;
mod convert;
mod error;
mod evm;
mod fetch;
mod headers;
mod receipts;
mod svm;
mod worker;

pub use codec::*;
pub use evm::*;
pub use fetch::*;
pub use receipts::*;
pub use svm::*;
pub use worker::*;
