//! libFuzzer target: see fuzz/checks.rs (`amount_price`) for the properties checked.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::amount_price(data));
