//! Property tests: the checks the fuzz targets run (fuzz/checks.rs) on inputs made by a
//! small deterministic mutator, seeded from the committed fuzz corpus (fuzz/corpus/).
//!
//! - `cargo test` runs a short pass (every corpus file, then a few hundred mutated
//!   inputs per target) and the regression tests below: seconds.
//! - `cargo test --release --test properties -- --ignored` is the long mode: 10 million
//!   mutated inputs across the targets (`X402_PROPERTY_ITERATIONS` sets the total,
//!   `X402_PROPERTY_SEED` the seed), on every core. It is the fallback where cargo-fuzz
//!   cannot build; coverage-guided fuzzing (fuzz/README.md) finds more per execution.
//!
//! Each check must not panic and asserts its properties; a failing input is printed in
//! hex with the seed that made it, so it can be added to the corpus and replayed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::PathBuf;
use std::time::Instant;

type Check = fn(&[u8]);

/// The fuzz targets: name (also the corpus folder) and check.
const TARGETS: [(&str, Check); 7] = [
    ("header_decode", checks::header_decode),
    ("recognize_402", checks::recognize_402),
    ("amount_price", checks::amount_price),
    ("evm_verify", checks::evm_verify),
    ("evm_typed_data", checks::evm_typed_data),
    ("svm_transaction", checks::svm_transaction),
    ("server_gate", checks::server_gate),
];

/// Fragments the mutator splices in: the syntax and vocabulary of the inputs.
const DICTIONARY: &[&[u8]] = &[
    b"\"x402Version\":",
    b"\"accepts\":[",
    b"\"amount\":\"",
    b"\"network\":\"eip155:8453\"",
    b"\"network\":\"solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp\"",
    b"\"maxAmountRequired\":",
    b"\"payTo\":",
    b"\"extra\":{",
    b"\"authorization\":{",
    b"\"permit2Authorization\":",
    b"\"types\":{",
    b"\"type\":\"uint256[]\"",
    b"\"0x",
    b"0x",
    b"null",
    b"true",
    b"1e999",
    b"-0",
    b"18446744073709551616",
    b"115792089237316195423570985008687907853269984665640564039457584007913129639936",
    b"\\u0000",
    b"\\ud800",
    b"\xf0\x9f\x92\xb8",
    b"$",
    b",",
    b".",
    b"=",
    b"==",
    b" USDC",
    b"[[[[[[[[",
    b"{\"a\":",
    b"\x80\x80\x04",
    b"\xff\xff\x03",
    b"\x00",
];

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn corpus(target: &str) -> Vec<Vec<u8>> {
    // Cargo names the package root when it runs the test; the compiled-in path is a fallback
    // (a build cache shared with a checkout elsewhere may hold a binary built there).
    let root = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let dir = root.join("fuzz").join("corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    let inputs: Vec<Vec<u8>> = files.iter().filter_map(|f| std::fs::read(f).ok()).collect();
    assert!(!inputs.is_empty(), "no corpus in {}", dir.display());
    inputs
}

/// One mutated input: a corpus entry with 1 to 8 edits.
fn mutate(rng: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut data = corpus[rng.below(corpus.len())].clone();
    for _ in 0..=rng.below(8) {
        let at = rng.below(data.len() + 1);
        match rng.below(9) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] = [0, 1, 0x7f, 0x80, 0xff, b'0', b'9', b'"', b'\\'][rng.below(9)];
            }
            2 if !data.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(data.len());
                data.drain(at.min(end)..end);
            }
            3 => {
                let word = DICTIONARY[rng.below(DICTIONARY.len())];
                data.splice(at..at, word.iter().copied());
            }
            4 => {
                let bytes: Vec<u8> = (0..=rng.below(8)).map(|_| rng.next() as u8).collect();
                data.splice(at..at, bytes);
            }
            5 if !data.is_empty() => {
                // Duplicate a range (grows nesting, lengths and repetitions).
                let end = (at + 1 + rng.below(64)).min(data.len());
                let copy = data[at.min(end)..end].to_vec();
                data.splice(at..at, copy);
            }
            6 => {
                // Splice in part of another corpus entry.
                let other = &corpus[rng.below(corpus.len())];
                let start = rng.below(other.len());
                let end = (start + rng.below(64)).min(other.len());
                data.splice(at..at, other[start..end].iter().copied());
            }
            7 if !data.is_empty() => {
                // Change the mode byte.
                data[0] = rng.next() as u8;
            }
            _ => data.truncate(at),
        }
    }
    data
}

/// Runs `iterations` mutated inputs through `check`; a panic names the input.
fn run(target: &str, check: Check, iterations: u64, seed: u64) -> u64 {
    let corpus = corpus(target);
    for input in &corpus {
        replay(target, check, input, seed);
    }
    let mut rng = Rng(seed | 1);
    for _ in 0..iterations {
        let input = mutate(&mut rng, &corpus);
        replay(target, check, &input, seed);
    }
    iterations + corpus.len() as u64
}

fn replay(target: &str, check: Check, input: &[u8], seed: u64) {
    let outcome = std::panic::catch_unwind(|| check(input));
    if let Err(panic) = outcome {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        panic!(
            "{target} failed (seed {seed}) on input {}: {message}",
            hex::encode(input)
        );
    }
}

fn seed() -> u64 {
    std::env::var("X402_PROPERTY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0402_0402)
}

/// The short pass of `cargo test`: the corpus, then 300 mutated inputs per target
/// (fewer for the targets that recover signatures, slow in debug builds).
#[test]
fn short_pass_over_every_target() {
    let start = Instant::now();
    for (target, check) in TARGETS {
        let iterations = match target {
            "evm_verify" | "server_gate" => 100,
            _ => 300,
        };
        run(target, check, iterations, seed());
    }
    eprintln!("short pass: {:?}", start.elapsed());
}

/// The long mode: `cargo test --release --test properties -- --ignored --nocapture`.
#[test]
#[ignore = "long mode: 10 million executions; run with --release -- --ignored"]
fn long_campaign() {
    let total: u64 = std::env::var("X402_PROPERTY_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    let per_target = total.div_ceil(TARGETS.len() as u64);
    let start = Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let executed = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some((target, check)) = TARGETS.get(i) else {
                        break;
                    };
                    let t = Instant::now();
                    let n = run(target, *check, per_target, seed() ^ i as u64);
                    executed.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
                    eprintln!("{target}: {n} executions in {:.1?}", t.elapsed());
                }
            });
        }
    });
    eprintln!(
        "long mode: {} executions in {:.1?}, no failure",
        executed.into_inner(),
        start.elapsed()
    );
}

/// Replays one input: `X402_REPLAY=<target>:<file> cargo test --test properties replay -- --ignored`.
#[test]
#[ignore = "replays the input named by X402_REPLAY"]
fn replay_one_input() {
    let spec = std::env::var("X402_REPLAY").expect("X402_REPLAY=<target>:<file>");
    let (target, file) = spec.split_once(':').expect("<target>:<file>");
    let check = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, check)| *check)
        .expect("a known target");
    check(&std::fs::read(file).expect("the input file"));
}

// ---------------------------------------------------------------------------------
// Regression and edge-case tests (each one an input class the campaign cares about).

/// The fixtures the EVM and Solana checks patch are valid payments.
#[test]
fn fixtures_verify() {
    assert_eq!(checks::evm_fixtures().len(), 2);
    assert_eq!(checks::svm_fixtures().len(), 2);
    // Unpatched (a value replaced by itself), in every spelling of the same number.
    for value in [
        &b"\"10000\""[..],
        b"10000",
        b"\"0x2710\"",
        b"\"0x0000002710\"",
    ] {
        let mut input = vec![0u8, 5];
        input.extend_from_slice(value);
        checks::evm_verify(&input);
    }
}

/// A compact-u16 written longer than needed (0x80 0x00 for 0) is refused, as Solana's
/// own decoder refuses such aliases: every value has one spelling, so a parsed
/// transaction re-serializes to exactly its input.
#[test]
fn non_canonical_compact_u16_is_refused() {
    use x402_wasm::svm::message::{Message, Transaction};
    let fixture = &checks::svm_fixtures()[0];
    assert!(Message::parse(&fixture.message).is_ok());
    // The lookup-table count, the message's last byte (0), spelled in two bytes: Solana's
    // decoder refuses it, and so do we (one spelling per value).
    let mut long = fixture.message.clone();
    assert_eq!(long.pop(), Some(0));
    long.extend_from_slice(&[0x80, 0x00]);
    assert!(Message::parse(&long).is_err());
    let mut tx = vec![0x81, 0x00]; // 1 signature, spelled long
    tx.extend_from_slice(&[0u8; 64]);
    tx.extend_from_slice(&fixture.message);
    assert!(Transaction::parse(&tx).is_err());
    let mut input = vec![2u8];
    input.extend_from_slice(&tx);
    checks::svm_transaction(&input);
}

/// Regression: a long chain of struct types (T0 has a T1, T1 a T2, ...) overflowed the
/// stack in `encode_type` (its dependency walk recursed once per type: 2,000 types
/// aborted a 512 KiB thread). Reachable from JS through `hashTypedData`,
/// `recoverTypedDataAddress` and a private-key wallet's `signTypedData`. The walk is now
/// a work list; this runs it in a small-stack thread, as wasm's stack is small.
#[test]
fn long_type_chains_do_not_overflow_the_stack() {
    use x402_wasm::evm::TypedData;
    let n = 20_000;
    let mut types = serde_json::Map::new();
    for i in 0..n {
        types.insert(
            format!("T{i}"),
            serde_json::json!([{ "name": "next", "type": format!("T{}[]", i + 1) }]),
        );
    }
    types.insert(
        format!("T{n}"),
        serde_json::json!([{ "name": "v", "type": "uint8" }]),
    );
    let typed: TypedData = serde_json::from_value(serde_json::json!({
        "domain": { "name": "x" }, "types": types, "primaryType": "T0",
        "message": { "next": [] }
    }))
    .unwrap();
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let encoded = typed.encode_type("T0").unwrap();
            assert!(encoded.starts_with("T0(T1[] next)T1(T2[] next)T10("));
            typed.digest().unwrap();
        })
        .unwrap()
        .join()
        .expect("no stack overflow");
}

/// Deeply nested JSON (arrays, objects) in every JSON-reading target.
#[test]
fn deep_nesting_is_refused_without_panicking() {
    for depth in [127, 128, 129, 10_000] {
        let open = "[".repeat(depth);
        let close = "]".repeat(depth);
        let doc = format!("{{\"x402Version\":2,\"accepts\":{open}{close}}}");
        for (_, check) in TARGETS {
            for mode in [0u8, 1, 2, 3, 4, 6] {
                let mut input = vec![mode];
                input.extend_from_slice(doc.as_bytes());
                check(&input);
            }
        }
    }
}

/// Floats survive the header codec up to serde_json's parsing precision.
#[test]
fn floats_round_trip_through_headers() {
    for text in [
        "1.5",
        "-0.0",
        "1e300",
        "5e-324",
        "0.30000000000000004",
        "1.7976931348623157e308",
    ] {
        let mut input = vec![1u8];
        input.extend_from_slice(format!("{{\"f\":{text}}}").as_bytes());
        checks::header_decode(&input);
    }
}

/// Amount and price edges: 2^256 - 1 and 2^256, 255 decimals, long zero runs.
#[test]
fn amount_edges() {
    let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    let over = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
    let zeros = format!("{}1", "0".repeat(5_000));
    let cases: [(u8, &str); 9] = [
        (0, max),
        (0, over),
        (255, "1"),
        (255, "0.1"),
        (1, max),
        (6, &zeros),
        (6, "1,000,000.000001"),
        (6, "\u{a0}1\u{2003}USDC"),
        (77, "1.1"),
    ];
    for (decimals, text) in cases {
        let mut input = vec![decimals];
        input.extend_from_slice(text.as_bytes());
        checks::amount_price(&input);
    }
}
