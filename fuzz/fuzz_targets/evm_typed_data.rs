//! libFuzzer target: see fuzz/checks.rs (`evm_typed_data`) for the properties checked.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::evm_typed_data(data));
