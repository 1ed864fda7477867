//! libFuzzer target: see fuzz/checks.rs (`evm_verify`) for the properties checked.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::evm_verify(data));
