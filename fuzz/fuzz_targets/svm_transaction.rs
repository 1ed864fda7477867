//! libFuzzer target: see fuzz/checks.rs (`svm_transaction`) for the properties checked.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::svm_transaction(data));
