#!/usr/bin/env node
// Generates tests/vectors/evm_tx.json: ERC-20 `transfer` calldata and signed EIP-1559 (type 2)
// transactions, produced by viem (encodeFunctionData with erc20Abi, serializeTransaction,
// privateKeyToAccount(key).signTransaction, keccak256), an implementation independent of this
// project. tests/evm_tx.rs checks that src/evm/tx.rs produces the same bytes.
//
// Run from the repository root or from tests/js:
//   node tests/js/gen/evm-tx-vectors.mjs
// The output is deterministic: keys and addresses come from keccak256 of fixed labels, and RFC 6979
// signing is deterministic. The script stops with an error if a cross-check fails (viem parses its
// own serialization back, recovers the signer, and signTransaction equals sign + serializeTransaction).

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

import {
  encodeFunctionData,
  erc20Abi,
  getAddress,
  keccak256,
  maxUint256,
  parseTransaction,
  recoverAddress,
  recoverTransactionAddress,
  serializeTransaction,
  slice,
  toHex,
} from 'viem';
import { privateKeyToAccount, sign } from 'viem/accounts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const JS_DIR = path.resolve(HERE, '..');
const OUT_FILE = path.resolve(HERE, '../../vectors/evm_tx.json');
const VIEM = JSON.parse(readFileSync(path.join(JS_DIR, 'node_modules', 'viem', 'package.json'), 'utf8')).version;

function check(cond, msg) {
  if (!cond) throw new Error(`evm-tx-vectors: ${msg}`);
}

/** 32 bytes derived from a label: a private key or the seed of an address. */
const derive = (label) => keccak256(toHex(`x402-wasm/evm-tx-vectors/${label}`));
/** An EIP-55 address derived from a label (the last 20 bytes of its hash). */
const addressOf = (label) => getAddress(slice(derive(label), 12));

const GWEI = 1_000_000_000n;
const MAX_U64 = 2n ** 64n - 1n;
const USDC_BASE = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913';

/** Calldata of ERC-20 transfer(to, amount). */
const transferData = (to, amount) =>
  encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, amount] });

// ---- transfer calldata alone ----
const TRANSFERS = [
  ['zero amount', addressOf('t/zero'), 0n],
  ['one unit', addressOf('t/one'), 1n],
  ['0.01 USDC', addressOf('t/cent'), 10_000n],
  ['2^64 - 1', addressOf('t/u64'), MAX_U64],
  ['2^128', addressOf('t/u128'), 2n ** 128n],
  ['2^256 - 1', addressOf('t/max'), maxUint256],
  ['zero address recipient', '0x0000000000000000000000000000000000000000', 5n],
  ['all-ones address recipient', getAddress('0xffffffffffffffffffffffffffffffffffffffff'), 7n],
];

// ---- transactions ----
// `transfer` cases carry ERC-20 calldata; the others carry raw `data` chosen to hit RLP edge cases
// (empty, a single byte below and at 0x80, 55/56-byte string headers, a two-byte length).
const TX = [
  { name: 'USDC transfer on Base, nonce 0', chainId: 8453, nonce: 0n, tip: 1_000_000n, fee: 10_000_000n,
    gas: 65_000n, to: USDC_BASE, value: 0n, transfer: [addressOf('x/base'), 10_000n] },
  { name: 'transfer on mainnet, typical fees', chainId: 1, nonce: 1n, tip: 2n * GWEI, fee: 30n * GWEI,
    gas: 60_000n, to: addressOf('token/main'), value: 0n, transfer: [addressOf('x/main'), 1_234_567n] },
  { name: 'transfer on anvil, nonce 127', chainId: 31337, nonce: 127n, tip: GWEI, fee: 2n * GWEI,
    gas: 51_000n, to: addressOf('token/anvil'), value: 0n, transfer: [addressOf('x/anvil'), 1n] },
  { name: 'nonce 128 (two-byte integer)', chainId: 31337, nonce: 128n, tip: 1n, fee: 1n,
    gas: 21_000n, to: addressOf('to/128'), value: 1n, data: '0x' },
  { name: 'nonce 256, fees 255 and 256', chainId: 324705682, nonce: 256n, tip: 255n, fee: 256n,
    gas: 21_000n, to: addressOf('to/256'), value: 255n, data: '0x' },
  { name: 'largest nonce and gas (2^64 - 1)', chainId: 1, nonce: MAX_U64, tip: GWEI, fee: GWEI,
    gas: MAX_U64, to: addressOf('to/u64'), value: 0n, data: '0x' },
  { name: 'zero fees, zero gas, zero value', chainId: 31337, nonce: 0n, tip: 0n, fee: 0n,
    gas: 0n, to: addressOf('to/zero'), value: 0n, data: '0x' },
  { name: 'huge fees (2^256 - 1)', chainId: 8453, nonce: 5n, tip: maxUint256, fee: maxUint256,
    gas: 100_000n, to: addressOf('to/huge'), value: 0n, transfer: [addressOf('x/huge'), 42n] },
  { name: 'value 1 ether', chainId: 1, nonce: 9n, tip: GWEI, fee: 40n * GWEI,
    gas: 21_000n, to: addressOf('to/ether'), value: 10n ** 18n, data: '0x' },
  { name: 'value 2^256 - 1 and amount 2^256 - 1', chainId: 324705682, nonce: 3n, tip: 0n, fee: 100n,
    gas: 90_000n, to: addressOf('token/skale'), value: maxUint256, transfer: [addressOf('x/skale'), maxUint256] },
  { name: 'data: one byte 0x00', chainId: 8453, nonce: 2n, tip: 1n, fee: 2n,
    gas: 30_000n, to: addressOf('to/b00'), value: 0n, data: '0x00' },
  { name: 'data: one byte 0x7f', chainId: 8453, nonce: 2n, tip: 1n, fee: 2n,
    gas: 30_000n, to: addressOf('to/b7f'), value: 0n, data: '0x7f' },
  { name: 'data: one byte 0x80', chainId: 8453, nonce: 2n, tip: 1n, fee: 2n,
    gas: 30_000n, to: addressOf('to/b80'), value: 0n, data: '0x80' },
  { name: 'data: 55 bytes', chainId: 84532, nonce: 4n, tip: 1n, fee: 2n,
    gas: 30_000n, to: addressOf('to/55'), value: 0n, data: toHex(new Uint8Array(55).fill(0xab)) },
  { name: 'data: 56 bytes', chainId: 84532, nonce: 4n, tip: 1n, fee: 2n,
    gas: 30_000n, to: addressOf('to/56'), value: 0n, data: toHex(new Uint8Array(56).fill(0xcd)) },
  { name: 'data: 300 bytes', chainId: 84532, nonce: 4n, tip: 1n, fee: 2n,
    gas: 30_000n, to: addressOf('to/300'), value: 7n, data: toHex(Uint8Array.from({ length: 300 }, (_, i) => i % 251)) },
  // RLP drops the leading zero bytes of r and s: the key is searched (deterministically) for such a signature.
  { name: 'r with a leading zero byte', chainId: 31337, nonce: 1n, tip: GWEI, fee: 3n * GWEI,
    gas: 60_000n, to: addressOf('token/r0'), value: 0n, transfer: [addressOf('x/r0'), 500n], zeroByte: 'r' },
  { name: 's with a leading zero byte', chainId: 8453, nonce: 1n, tip: GWEI, fee: 3n * GWEI,
    gas: 60_000n, to: addressOf('token/s0'), value: 0n, transfer: [addressOf('x/s0'), 500n], zeroByte: 's' },
];

/** The key of case `i`; for a `zeroByte` case the first label whose signature has that component below 2^248. */
async function keyFor(i, spec, tx) {
  if (!spec.zeroByte) return derive(`key/${i}`);
  for (let n = 0; n < 10_000; n += 1) {
    const privateKey = derive(`key/${i}/${n}`);
    const signature = await sign({ hash: keccak256(serializeTransaction(tx)), privateKey });
    if (signature[spec.zeroByte].startsWith('0x00')) return privateKey;
  }
  throw new Error(`evm-tx-vectors: no key found for ${spec.name}`);
}

const transfers = TRANSFERS.map(([name, to, amount]) => ({ name, to, amount: amount.toString(), data: transferData(to, amount) }));

const transactions = [];
for (const [i, spec] of TX.entries()) {
  const data = spec.transfer ? transferData(...spec.transfer) : spec.data;
  const tx = {
    type: 'eip1559', chainId: spec.chainId, nonce: spec.nonce, maxPriorityFeePerGas: spec.tip,
    maxFeePerGas: spec.fee, gas: spec.gas, to: spec.to, value: spec.value, data, accessList: [],
  };
  const privateKey = await keyFor(i, spec, tx);
  const account = privateKeyToAccount(privateKey);
  const unsigned = serializeTransaction(tx);
  const signingHash = keccak256(unsigned);
  const signed = await account.signTransaction(tx);
  const hash = keccak256(signed);
  // The signature on its own (viem's sign over the signing hash), so the case with a nonce above 2^53,
  // which viem's parseTransaction refuses, can be cross-checked too.
  const { r, s, yParity } = await sign({ hash: signingHash, privateKey });
  const signature = { r, s, yParity };
  check(serializeTransaction(tx, signature) === signed, `${spec.name}: signTransaction differs from sign + serialize`);
  check(await recoverAddress({ hash: signingHash, signature }) === account.address, `${spec.name}: signer`);
  if (spec.nonce <= BigInt(Number.MAX_SAFE_INTEGER)) {
    const parsed = parseTransaction(signed);
    check(parsed.type === 'eip1559' && parsed.chainId === spec.chainId, `${spec.name}: type or chain id lost`);
    check(BigInt(parsed.nonce ?? 0) === spec.nonce && (parsed.gas ?? 0n) === spec.gas, `${spec.name}: nonce or gas lost`);
    check((parsed.value ?? 0n) === spec.value && (parsed.data ?? '0x') === data, `${spec.name}: value or data lost`);
    check(parsed.r === r && parsed.s === s && parsed.yParity === yParity, `${spec.name}: signature lost`);
    check(await recoverTransactionAddress({ serializedTransaction: signed }) === account.address, `${spec.name}: recovery`);
  }
  transactions.push({
    name: spec.name,
    privateKey,
    address: account.address,
    chainId: spec.chainId,
    nonce: spec.nonce.toString(),
    maxPriorityFeePerGas: spec.tip.toString(),
    maxFeePerGas: spec.fee.toString(),
    gas: spec.gas.toString(),
    to: spec.to,
    value: spec.value.toString(),
    ...(spec.transfer && { transfer: { to: spec.transfer[0], amount: spec.transfer[1].toString() } }),
    data,
    unsigned,
    signingHash,
    yParity: signature.yParity,
    r: signature.r,
    s: signature.s,
    signed,
    hash,
  });
}

check(new Set(transactions.map((t) => t.name)).size === transactions.length, 'names must be unique');
const chains = new Set(transactions.map((t) => t.chainId));
for (const id of [1, 8453, 31337, 324705682]) check(chains.has(id), `chain ${id} missing`);

const doc = {
  source: `generated by tests/js/gen/evm-tx-vectors.mjs with viem ${VIEM}`,
  generator: { viem: VIEM },
  transfers,
  transactions,
};
const text = `${JSON.stringify(doc, null, 2)}\n`;
mkdirSync(path.dirname(OUT_FILE), { recursive: true });
let previous;
try {
  previous = JSON.parse(readFileSync(OUT_FILE, 'utf8'));
} catch { /* first run */ }
writeFileSync(OUT_FILE, text);
const same = previous && isDeepStrictEqual(previous, doc);
console.log(`wrote ${path.relative(process.cwd(), OUT_FILE)}: ${transfers.length} transfers, ${transactions.length} transactions${previous ? (same ? ' (unchanged)' : ' (changed)') : ''}`);
