//! x402-wasm: an [x402](https://x402.org) client SDK and Workers verify helper,
//! written in Rust and compiled to WebAssembly.
//!
//! The core (protocol models, header codec, networks, amounts, 402 recognition) is
//! plain Rust that runs natively under `cargo test`; only [`wasm`] (compiled for
//! `wasm32` targets) touches JavaScript.
//!
//! ```
//! use x402_wasm::dialect::{recognize, Response402};
//!
//! let body = br#"{"x402Version":1,"accepts":[{"scheme":"exact","network":"base-sepolia",
//!   "maxAmountRequired":"10000","asset":"0x036CbD53842c5426634e7929541eC2318f3dCF7e",
//!   "payTo":"0x209693Bc6afc0C5328bA36FaF03C514EF312287C","maxTimeoutSeconds":60}]}"#;
//! let headers: [(&str, &str); 0] = [];
//! let challenge = recognize(&Response402::new(402, &headers, body))?;
//! assert_eq!(challenge.requirements[0].network.to_string(), "eip155:84532");
//! assert_eq!(challenge.requirements[0].amount.format_units(6), "0.01");
//! # Ok::<(), x402_wasm::Error>(())
//! ```

pub mod assets;
pub mod budget;
pub mod client;
pub mod dialect;
pub mod error;
pub mod evm;
pub mod protocol;
// Used by the wasm layer only; compiled everywhere so that its tests run natively.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod resend;
pub mod select;
pub mod server;
pub mod svm;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, Result};
