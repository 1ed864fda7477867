#!/usr/bin/env python3
"""Writes the hand-made seed inputs of each fuzz target into fuzz/seeds/<target>/.

The seeds are taken from the project's own test vectors (tests/vectors/*.json) and a
few hand-written edge cases; the first byte of each is the target's mode byte (see
fuzz/checks.rs). `fuzz/README.md` says how the committed corpus (fuzz/corpus/) was
made from these seeds: a campaign, then `-merge=1` minimisation.

Usage: python3 fuzz/make_seeds.py   (from the repository root)
"""

import base64
import hashlib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "seeds")


def load(name):
    with open(os.path.join(ROOT, "tests", "vectors", name), encoding="utf-8") as f:
        return json.load(f)


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def write(target, data):
    folder = os.path.join(OUT, target)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def main():
    evm = load("evm_exact.json")
    svm = load("svm_exact.json")
    eip3009 = evm["cases"][0]
    permit2 = next(c for c in evm["cases"] if c["method"] == "permit2")

    # header_decode: mode 0 (header value), 1 (JSON), 2 (JSON to be base64-encoded).
    for case in (eip3009, permit2, svm["cases"][0]):
        write("header_decode", b"\x00" + case["paymentRequiredHeader"].encode())
        write("header_decode", b"\x00" + case["paymentSignatureHeader"].encode())
        write("header_decode", b"\x01" + compact(case["paymentRequired"]))
        write("header_decode", b"\x01" + compact(case["payload"]))
        write("header_decode", b"\x02" + compact(case["paymentRequired"]))
    for doc in (
        {"success": True, "transaction": "0xabc", "network": "eip155:8453", "payer": "0x1"},
        {"isValid": False, "invalidReason": "invalid_network", "extra": [1.5, -0.0, 1e300]},
        {"kinds": [{"x402Version": 2, "scheme": "exact", "network": "eip155:8453"}]},
        {"x402Version": 1, "scheme": "exact", "network": "base", "payload": {}},
    ):
        write("header_decode", b"\x01" + compact(doc))
        write("header_decode", b"\x05" + compact(doc))
    write("header_decode", b"\x00 \teyJhIjoxfQ\r\n")
    write("header_decode", b"\x00eyJhIjoxfQ=")

    # recognize_402: flags 0x0c = base64 PAYMENT-REQUIRED header from the first line.
    for case in (eip3009, permit2, svm["cases"][0], svm["cases"][12]):
        write("recognize_402", b"\x0c" + compact(case["paymentRequired"]) + b"\n")
        write("recognize_402", b"\x00" + compact(case["paymentRequired"]))
    v1 = {
        "x402Version": 1,
        "error": "X-PAYMENT header is required",
        "accepts": [
            {"scheme": "exact", "network": "base-sepolia", "maxAmountRequired": "10000",
             "resource": "https://api.example.com/x", "description": "", "mimeType": "",
             "payTo": "0x209693Bc6afc0C5328bA36FaF03C514EF312287C", "maxTimeoutSeconds": 60,
             "asset": "0x036CbD53842c5426634e7929541eC2318f3dCF7e", "outputSchema": None,
             "extra": {"name": "USDC", "version": "2"}},
            {"scheme": "exact", "network": "nowhere", "maxAmountRequired": "-1",
             "payTo": "x", "asset": "y", "maxTimeoutSeconds": 1},
        ],
    }
    write("recognize_402", b"\x20" + compact(v1))
    write("recognize_402", b"\x03\x00\xc8" + compact(v1))
    write("recognize_402", b"\x04not base64\n{}")
    write("recognize_402", b"\x00{\"x402Version\":3,\"accepts\":[]}")
    spec = load("spec_http.json")
    for body in spec.get("bodies", []):
        body = body.get("json", body) if isinstance(body, dict) else body
        write("recognize_402", b"\x00" + compact(body))
    for header in spec.get("headers", []):
        write("header_decode", b"\x00" + header["value"].encode())

    # amount_price: byte 0 is the decimals.
    for decimals, text in (
        (6, "$0.01"), (6, "0.05 USDC"), (6, " $1,000.25 "), (18, "0.1 ETH"), (6, "$.5"),
        (0, "7"), (6, "0.0000010"), (255, "1"), (6, "1e-3"), (6, "$1 usd"),
        (0, "115792089237316195423570985008687907853269984665640564039457584007913129639935"),
        (6, "000000000000000000000000000000000000000000000000000000000000000000000000000000001"),
        (6, "eip155:8453"), (6, "base-sepolia"), (6, "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"),
        (6, "0x209693Bc6afc0C5328bA36FaF03C514EF312287C"),
        (6, "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"),
    ):
        write("amount_price", bytes([decimals]) + text.encode())

    # evm_verify: mode 2/3 = whole payloads; mode 0/1 = patches of the signed fixture
    # (byte 1 = place in EVM_PATHS, then the new value).
    write("evm_verify", b"\x02" + compact(eip3009["payload"]["payload"]))
    write("evm_verify", b"\x03" + compact(permit2["payload"]["payload"]))
    for place, value in (
        (5, b'"10000"'), (5, b"10000"), (5, b'"0x2710"'), (5, b'"10001"'),
        (6, b'"0"'), (7, b'"99999999999"'), (8, b'"0x' + b"5A" * 32 + b'"'), (1, b'"0x00"'),
        (3, b'"0x209693Bc6afc0C5328bA36FaF03C514EF312287C"'), (2, b"{}"), (0, b"null"),
    ):
        write("evm_verify", bytes([0, place]) + value)
    for place, value in ((16, b'"10000"'), (12, b'"0x1"'), (11, b'"0x0"'), (19, b"0"), (13, b"1")):
        write("evm_verify", bytes([1, place]) + value)

    # evm_typed_data: typed data as wallets take it.
    write("evm_typed_data", compact(eip3009["typedData"]))
    write("evm_typed_data", compact(permit2["typedData"]))
    write("evm_typed_data", compact({
        "domain": {"name": "x", "chainId": "0x1", "salt": "0x" + "00" * 32},
        "types": {"M": [{"name": "a", "type": "int8[2][]"}, {"name": "b", "type": "bytes"},
                        {"name": "c", "type": "N"}, {"name": "f", "type": "bool"}],
                  "N": [{"name": "d", "type": "bytes32"}, {"name": "e", "type": "M[]"}]},
        "primaryType": "M",
        "message": {"a": [[-128, 127]], "b": "0x", "f": True,
                    "c": {"d": "0x" + "11" * 32, "e": []}},
    }))

    # svm_transaction: mode 2/3 = raw wire transactions; 0/1 = xor patches of the fixture.
    for case in (svm["cases"][0], svm["cases"][1], svm["cases"][18]):
        write("svm_transaction", b"\x02" + base64.b64decode(case["transaction"]))
        write("svm_transaction", b"\x03" + base64.b64decode(case["message"]))
    write("svm_transaction", b"\x00")
    write("svm_transaction", b"\x01")
    write("svm_transaction", b"\x00\x01\x01")
    write("svm_transaction", b"\x00\x30\x40\x31\x01")

    # server_gate: v2 and v1 payment headers.
    for case in (eip3009, permit2, svm["cases"][0]):
        write("server_gate", b"\x00" + case["paymentSignatureHeader"].encode())
    v1_payment = {"x402Version": 1, "scheme": "exact", "network": "base",
                  "payload": eip3009["payload"]["payload"]}
    write("server_gate", b"\x03" + compact(v1_payment))
    write("server_gate", b"\x04" + compact(eip3009["payload"]["payload"]))
    write("server_gate", b"\x02{\"x402Version\":3}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
