//! libFuzzer target: see fuzz/checks.rs (`header_decode`) for the properties checked.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::header_decode(data));
