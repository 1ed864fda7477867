//! wasm boundary tests, run in Node (`wasm-pack test --node`).
#![cfg(target_arch = "wasm32")]

#[path = "wasm/boundary.rs"]
mod boundary;
