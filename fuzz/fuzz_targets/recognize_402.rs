//! libFuzzer target: see fuzz/checks.rs (`recognize_402`) for the properties checked.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::recognize_402(data));
