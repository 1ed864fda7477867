//! libFuzzer target: see fuzz/checks.rs (`server_gate`) for the properties checked.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::server_gate(data));
