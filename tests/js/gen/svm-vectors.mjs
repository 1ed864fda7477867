#!/usr/bin/env node
// Generates tests/vectors/svm_exact.json: Solana `exact` scheme test vectors produced by the
// official x402 v2 client (`x402Client` from @x402/core + `registerExactSvmScheme` from
// @x402/svm, signer = a @solana/kit key-pair signer). Its PaymentPayload is stored verbatim,
// together with the decoded wire transaction.
//
// Run from the repository root or from tests/js:
//   node tests/js/gen/svm-vectors.mjs
// The output is deterministic: keys, mints, blockhashes and memo nonces come from
// sha256("x402-wasm/svm-vectors/<label>") or are fixed literals; nothing here uses Math.random or
// the real clock, and the local RPC stub's port is never written out.
//
// The official client needs a Solana JSON-RPC node (getAccountInfo for the mint, and
// getLatestBlockhash unless the server sent extra.recentBlockhash). `registerExactSvmScheme` has no
// RPC URL option, so while the client runs this script wraps `globalThis.fetch` and sends requests
// for the client's default RPC URLs (api.{mainnet-beta,devnet,testnet}.solana.com) to a JSON-RPC
// stub served by node:http on 127.0.0.1 that answers from the case's fixed data. Any other URL is
// an error. As a cross-check each case is built a second time by the same official scheme class
// constructed with `{ rpcUrl: <stub> }` (no fetch redirect) and a signer made from the 64-byte
// key pair instead of the 32-byte seed; both payloads must be identical.
//
// The client's only randomness is `crypto.getRandomValues(new Uint8Array(16))` for the memo nonce
// when the server sent no extra.memo. While the client runs, `globalThis.crypto.getRandomValues`
// and `Date.now` are replaced (restored right after) and every call is counted.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import nodeCrypto from 'node:crypto';

import {
  createKeyPairSignerFromBytes,
  createKeyPairSignerFromPrivateKeyBytes,
  getAddressDecoder,
  getAddressEncoder,
  getBase58Decoder,
  getBase58Encoder,
  getCompiledTransactionMessageDecoder,
  getProgramDerivedAddress,
  getTransactionDecoder,
  verifySignature,
} from '@solana/kit';
import { x402Client } from '@x402/core/client';
import { encodePaymentRequiredHeader, encodePaymentSignatureHeader } from '@x402/core/http';
import { ExactSvmScheme, registerExactSvmScheme } from '@x402/svm/exact/client';
import * as officialSvm from '@x402/svm';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const JS_DIR = path.resolve(HERE, '..');
const OUT_FILE = path.resolve(HERE, '../../vectors/svm_exact.json');

function pkgVersion(name, from = JS_DIR) {
  return JSON.parse(readFileSync(path.join(from, 'node_modules', name, 'package.json'), 'utf8')).version;
}
const SVM_DIR = path.join(JS_DIR, 'node_modules', '@x402', 'svm');
const VERSIONS = {
  '@x402/core': pkgVersion('@x402/core'),
  '@x402/svm': pkgVersion('@x402/svm'),
  '@solana/kit': pkgVersion('@solana/kit'),
  '@solana-program/token-2022': pkgVersion('@solana-program/token-2022', SVM_DIR),
  '@solana-program/compute-budget': pkgVersion('@solana-program/compute-budget', SVM_DIR),
  node: process.versions.node.split('.')[0],
};

function fail(msg) {
  throw new Error(`svm-vectors: ${msg}`);
}
function check(cond, msg) {
  if (!cond) fail(msg);
}

// ---------------------------------------------------------------------------------------------
// Constants written from PROTOCOL.md section 4 and public Solana facts (checked against the
// official package below).
const NET = {
  mainnet: 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp',
  devnet: 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1',
  testnet: 'solana:4uhcVJyU9pJkvQyS88uRDiswHXSCkY3z',
};
const DEFAULT_RPC = {
  [NET.mainnet]: 'https://api.mainnet-beta.solana.com',
  [NET.devnet]: 'https://api.devnet.solana.com',
  [NET.testnet]: 'https://api.testnet.solana.com',
};
const PROGRAMS = {
  token: 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA',
  token2022: 'TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb',
  ata: 'ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL',
  computeBudget: 'ComputeBudget111111111111111111111111111111',
  memo: 'MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr',
  system: '11111111111111111111111111111111',
};
check(officialSvm.TOKEN_PROGRAM_ADDRESS === PROGRAMS.token, 'Token program id differs from @x402/svm');
check(officialSvm.TOKEN_2022_PROGRAM_ADDRESS === PROGRAMS.token2022, 'Token-2022 program id differs from @x402/svm');
check(officialSvm.MEMO_PROGRAM_ADDRESS === PROGRAMS.memo, 'Memo program id differs from @x402/svm');
check(officialSvm.COMPUTE_BUDGET_PROGRAM_ADDRESS === PROGRAMS.computeBudget, 'ComputeBudget id differs from @x402/svm');
check(officialSvm.SOLANA_MAINNET_CAIP2 === NET.mainnet && officialSvm.SOLANA_DEVNET_CAIP2 === NET.devnet
  && officialSvm.SOLANA_TESTNET_CAIP2 === NET.testnet, 'CAIP-2 ids differ from @x402/svm');
check(officialSvm.MAINNET_RPC_URL === DEFAULT_RPC[NET.mainnet] && officialSvm.DEVNET_RPC_URL === DEFAULT_RPC[NET.devnet]
  && officialSvm.TESTNET_RPC_URL === DEFAULT_RPC[NET.testnet], 'default RPC URLs differ from @x402/svm');
const OFFICIAL_CONSTANTS = {
  computeUnitLimit: officialSvm.DEFAULT_COMPUTE_UNIT_LIMIT,
  computeUnitPriceMicroLamports: officialSvm.DEFAULT_COMPUTE_UNIT_PRICE_MICROLAMPORTS,
  maxComputeUnitPriceMicroLamports: officialSvm.MAX_COMPUTE_UNIT_PRICE_MICROLAMPORTS,
  maxMemoBytes: officialSvm.MAX_MEMO_BYTES,
};
check(OFFICIAL_CONSTANTS.computeUnitLimit === 20000, `compute unit limit is ${OFFICIAL_CONSTANTS.computeUnitLimit}`);
check(OFFICIAL_CONSTANTS.computeUnitPriceMicroLamports === 1, `compute unit price is ${OFFICIAL_CONSTANTS.computeUnitPriceMicroLamports}`);
check(OFFICIAL_CONSTANTS.maxMemoBytes === 256, `max memo is ${OFFICIAL_CONSTANTS.maxMemoBytes}`);

const U64_MAX = (2n ** 64n - 1n).toString();

// ---------------------------------------------------------------------------------------------
// Deterministic inputs.
const LABEL = 'x402-wasm/svm-vectors';
const sha = (label) => nodeCrypto.createHash('sha256').update(`${LABEL}/${label}`).digest();
const hex = (b) => Buffer.from(b).toString('hex');
const b58 = (bytes) => getBase58Decoder().decode(bytes);
const unb58 = (s) => Buffer.from(getBase58Encoder().encode(s));
const addressDecoder = getAddressDecoder();
const addressEncoder = getAddressEncoder();

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** Ed25519 public key of a 32-byte seed, with node:crypto (independent of @solana/kit). */
function publicKeyOfSeed(seed) {
  const priv = nodeCrypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return Buffer.from(nodeCrypto.createPublicKey(priv).export({ format: 'jwk' }).x, 'base64url');
}
function nodeVerify(pubkey32, message, signature) {
  const key = nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pubkey32).toString('base64url') }, format: 'jwk' });
  return nodeCrypto.verify(null, message, key, signature);
}
const seedFor = (label) => sha(`seed/${label}`);
/** A wallet-like address: the Ed25519 public key of a derived seed. */
const walletFor = (label) => b58(publicKeyOfSeed(seedFor(label)));
const blockhashFor = (label) => b58(sha(`blockhash/${label}`));
const nonceFor = (label) => sha(`memo-nonce/${label}`).subarray(0, 16);

/**
 * Searches counter = 0, 1, ... for an address b58(sha256(label/counter)) satisfying pred
 * (deterministic). These are plain 32-byte addresses (not necessarily on the curve), which is all a
 * mint address needs to be here. Base58 strings of random 32-byte values start with a lower-case
 * letter only about 3% of the time (only 43-character strings can), hence the search.
 */
function searchAddress(label, pred) {
  for (let i = 0; i < 1000000; i += 1) {
    const a = b58(sha(`${label}/${i}`));
    if (pred(a)) return a;
  }
  return fail(`no address found for ${label}`);
}

// Well-known public mints (their real owner program and decimals).
const KNOWN_MINTS = {
  usdcMainnet: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v', // Token, 6
  usdcDevnet: '4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU', // Token, 6
  pyusdMainnet: '2b1kV6DkPAnxd5ixfnxCpjxmKwqjjaYmCZfHsFu24GXo', // Token-2022, 6
};

// Mints whose base58 text makes the message's account order differ between plain code-unit
// (ASCII) sorting and the Intl.Collator("en", caseFirst: "lower") order that @solana/kit uses.
const TRAP_MINTS = {
  // "c" + a letter after "o": the collator puts ComputeBudget111... first (primary "co" < "c?"),
  // a one-level "a<A<b<B..." comparison would put the mint first.
  lowerCAfterCompute: searchAddress('mint/trap-c', (a) => /^c[p-z]/.test(a)),
  // starts with a lower-case "a".."b": the collator sorts it before ComputeBudget111..., ASCII after TokenXXX.
  lowerAB: searchAddress('mint/trap-ab', (a) => /^[ab]/.test(a)),
  // "t" + a letter after "o": the collator puts Token... first, a one-level comparison the mint.
  lowerT: searchAddress('mint/trap-t', (a) => /^t[p-z]/.test(a)),
};

// Seeds: mostly derived; one fixed pattern.
const SEEDS = {
  alice: seedFor('payer/alice'),
  bob: seedFor('payer/bob'),
  carol: seedFor('payer/carol'),
  dave: seedFor('payer/dave'),
  erin: seedFor('payer/erin'),
  frank: seedFor('payer/frank'),
  ones: Buffer.alloc(32, 0x01),
};
const FEE_PAYERS = {
  f1: walletFor('feePayer/1'),
  f2: walletFor('feePayer/2'),
  f3: walletFor('feePayer/3'),
};
const PAYTO = {
  a: walletFor('payTo/a'),
  b: walletFor('payTo/b'),
  c: walletFor('payTo/c'),
};
const DERIVED_MINTS = {
  t6: walletFor('mint/token-6'),
  t0: walletFor('mint/token-0'),
  t9: walletFor('mint/token-9'),
  z6: walletFor('mint/token2022-6'),
  z0: walletFor('mint/token2022-0'),
  z9: walletFor('mint/token2022-9'),
  zExt: walletFor('mint/token2022-ext'),
};

// SPL Mint account data (82 bytes): COption<Pubkey> mint_authority (u32 tag + 32), u64 supply,
// u8 decimals (offset 44), u8 is_initialized, COption<Pubkey> freeze_authority (u32 tag + 32).
function mintData(decimals, { label = 'x', token2022Extension = false } = {}) {
  const d = Buffer.alloc(82);
  d.writeUInt32LE(1, 0);
  sha(`mint-authority/${label}`).copy(d, 4);
  d.writeBigUInt64LE(1_000_000_000_000n, 36);
  d[44] = decimals;
  d[45] = 1;
  d.writeUInt32LE(0, 46); // no freeze authority
  if (!token2022Extension) return d;
  // Token-2022 extensions: pad to 165 bytes, AccountType byte 1 (Mint) at offset 165, then TLV
  // entries (u16 type, u16 length, value). Here one MetadataPointer (type 18): authority + metadata address.
  const tlv = Buffer.alloc(4 + 64);
  tlv.writeUInt16LE(18, 0);
  tlv.writeUInt16LE(64, 2);
  sha(`metadata-authority/${label}`).copy(tlv, 4);
  sha(`metadata-address/${label}`).copy(tlv, 36);
  return Buffer.concat([d, Buffer.alloc(165 - 82), Buffer.from([1]), tlv]);
}

function req(network, amount, asset, payTo, feePayer, moreExtra = {}, more = {}) {
  const extra = feePayer === undefined ? { ...moreExtra } : { feePayer, ...moreExtra };
  return { scheme: 'exact', network, amount, asset, payTo, maxTimeoutSeconds: 60, extra, ...more };
}

// 256 ASCII bytes and 256 UTF-8 bytes with multi-byte characters.
const MEMO_256_ASCII = Array.from({ length: 256 }, (_, i) => 'x402-memo-0123456789/ABCDEFGHIJKLMNOPQRSTUVWXYZ'[i % 46]).join('');
function utf8Memo256() {
  let s = '';
  const parts = ['invoice ', 'é', '€', '😀', ' №42 ', 'ü'];
  for (let i = 0; Buffer.byteLength(s) < 250; i += 1) s += parts[i % parts.length];
  while (Buffer.byteLength(s) < 256) s += '.';
  check(Buffer.byteLength(s) === 256, 'utf8 memo length');
  return s;
}
const MEMO_256_UTF8 = utf8Memo256();

// Each case: the server's offer, the payer seed, what the RPC stub answers, the memo nonce bytes.
//   rpc.mints: asset -> { owner, decimals, data? } (the stub answers getAccountInfo from it)
//   expectRpc: the method names the client must call, in order
//   warm: build one payment first with the same client (mint cache) and record the second
const RESOURCE = (p) => ({ url: `https://api.example.com/${p}`, description: 'paid', mimeType: 'application/json' });
const CASES = [
  {
    name: 'mainnet USDC (Token, 6 decimals), 0.01 USDC, random memo nonce',
    seed: SEEDS.alice,
    accepts: [req(NET.mainnet, '10000', KNOWN_MINTS.usdcMainnet, PAYTO.a, FEE_PAYERS.f1)],
    resource: RESOURCE('premium'),
    mint: { owner: PROGRAMS.token, decimals: 6 },
    expectRpc: ['getAccountInfo', 'getLatestBlockhash'],
  },
  {
    name: 'devnet USDC (Token, 6), amount 1, extra.memo',
    seed: SEEDS.bob,
    accepts: [req(NET.devnet, '1', KNOWN_MINTS.usdcDevnet, PAYTO.b, FEE_PAYERS.f2, { memo: 'order-1234' })],
    resource: RESOURCE('devnet/item?id=7'),
    mint: { owner: PROGRAMS.token, decimals: 6 },
    expectRpc: ['getAccountInfo', 'getLatestBlockhash'],
  },
  {
    name: 'mainnet PYUSD (Token-2022, 6), 10000, random memo nonce',
    seed: SEEDS.carol,
    accepts: [req(NET.mainnet, '10000', KNOWN_MINTS.pyusdMainnet, PAYTO.c, FEE_PAYERS.f1)],
    resource: RESOURCE('pyusd'),
    mint: { owner: PROGRAMS.token2022, decimals: 6 },
    expectRpc: ['getAccountInfo', 'getLatestBlockhash'],
  },
  {
    name: 'devnet Token-2022 9 decimals, amount u64 max, 256-byte ASCII memo',
    seed: SEEDS.dave,
    accepts: [req(NET.devnet, U64_MAX, DERIVED_MINTS.z9, PAYTO.a, FEE_PAYERS.f3, { memo: MEMO_256_ASCII })],
    resource: RESOURCE('big'),
    mint: { owner: PROGRAMS.token2022, decimals: 9 },
    expectRpc: ['getAccountInfo', 'getLatestBlockhash'],
  },
  {
    name: 'testnet Token 0 decimals, amount 1, nonce bytes 00..0f (leading-zero hex)',
    seed: SEEDS.erin,
    accepts: [req(NET.testnet, '1', DERIVED_MINTS.t0, PAYTO.b, FEE_PAYERS.f1)],
    resource: RESOURCE('testnet'),
    mint: { owner: PROGRAMS.token, decimals: 0 },
    nonce: Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'),
    expectRpc: ['getAccountInfo', 'getLatestBlockhash'],
  },
  {
    name: 'mainnet Token-2022 0 decimals, amount u64 max, nonce bytes all 0xff',
    seed: SEEDS.frank,
    accepts: [req(NET.mainnet, U64_MAX, DERIVED_MINTS.z0, PAYTO.c, FEE_PAYERS.f2)],
    resource: RESOURCE('ff'),
    mint: { owner: PROGRAMS.token2022, decimals: 0 },
    nonce: Buffer.alloc(16, 0xff),
    expectRpc: ['getAccountInfo', 'getLatestBlockhash'],
  },
  {
    name: 'mainnet Token 9 decimals, 256-byte UTF-8 memo with multi-byte characters',
    seed: SEEDS.ones,
    accepts: [req(NET.mainnet, '10000', DERIVED_MINTS.t9, PAYTO.a, FEE_PAYERS.f3, { memo: MEMO_256_UTF8 })],
    resource: RESOURCE('utf8'),
    mint: { owner: PROGRAMS.token, decimals: 9 },
    expectRpc: ['getAccountInfo', 'getLatestBlockhash'],
  },
  {
    name: 'extra.recentBlockhash + lastValidBlockHeight: no getLatestBlockhash',
    seed: SEEDS.alice,
    accepts: [req(NET.mainnet, '10000', DERIVED_MINTS.t6, PAYTO.b, FEE_PAYERS.f1, {
      recentBlockhash: blockhashFor('extra/1'), lastValidBlockHeight: 345678901,
    })],
    resource: RESOURCE('bh'),
    mint: { owner: PROGRAMS.token, decimals: 6 },
    expectRpc: ['getAccountInfo'],
    expectBlockhash: blockhashFor('extra/1'),
  },
  {
    name: 'extra.recentBlockhash + decimals + tokenProgram (Token): official still calls getAccountInfo',
    seed: SEEDS.bob,
    accepts: [req(NET.devnet, '250000', DERIVED_MINTS.t6, PAYTO.c, FEE_PAYERS.f2, {
      recentBlockhash: blockhashFor('extra/2'), decimals: 6, tokenProgram: PROGRAMS.token,
    })],
    resource: RESOURCE('norpc-token'),
    mint: { owner: PROGRAMS.token, decimals: 6 },
    expectRpc: ['getAccountInfo'],
    expectBlockhash: blockhashFor('extra/2'),
  },
  {
    name: 'extra.recentBlockhash + decimals + tokenProgram (Token-2022) + memo',
    seed: SEEDS.carol,
    accepts: [req(NET.mainnet, '10000', DERIVED_MINTS.z6, PAYTO.a, FEE_PAYERS.f3, {
      recentBlockhash: blockhashFor('extra/3'), lastValidBlockHeight: '400000000', decimals: 6,
      tokenProgram: PROGRAMS.token2022, memo: 'pi_3Q2x402wasm',
    })],
    resource: RESOURCE('norpc-token2022'),
    mint: { owner: PROGRAMS.token2022, decimals: 6 },
    expectRpc: ['getAccountInfo'],
    expectBlockhash: blockhashFor('extra/3'),
  },
  {
    name: 'extra.recentBlockhash not 32 bytes: ignored, getLatestBlockhash called',
    seed: SEEDS.dave,
    accepts: [req(NET.devnet, '10000', DERIVED_MINTS.t6, PAYTO.b, FEE_PAYERS.f1, { recentBlockhash: '3yZe7d' })],
    resource: RESOURCE('badbh'),
    mint: { owner: PROGRAMS.token, decimals: 6 },
    expectRpc: ['getAccountInfo', 'getLatestBlockhash'],
  },
  {
    name: 'extra.memo empty string: treated as absent, random nonce used',
    seed: SEEDS.erin,
    accepts: [req(NET.mainnet, '10000', KNOWN_MINTS.usdcMainnet, PAYTO.c, FEE_PAYERS.f2, { memo: '' })],
    resource: RESOURCE('emptymemo'),
    mint: { owner: PROGRAMS.token, decimals: 6 },
    expectRpc: ['getAccountInfo', 'getLatestBlockhash'],
  },
  {
    name: 'EVM offer first, Solana second (acceptedIndex 1); server extensions echoed',
    seed: SEEDS.frank,
    accepts: [
      { scheme: 'exact', network: 'eip155:8453', amount: '10000', asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913', payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', maxTimeoutSeconds: 60, extra: { name: 'USD Coin', version: '2' } },
      req(NET.mainnet, '20000', KNOWN_MINTS.usdcMainnet, PAYTO.a, FEE_PAYERS.f1, {}, { maxTimeoutSeconds: 300 }),
    ],
    resource: RESOURCE('multi'),
    extensions: { 'x-unknown-ext': { info: { a: 1, b: [1, 2, 3], c: 'ç' } } },
    mint: { owner: PROGRAMS.token, decimals: 6 },
    expectRpc: ['getAccountInfo', 'getLatestBlockhash'],
  },
  {
    name: 'account order: mint "c[p-z]..." (ComputeBudget111... sorts first; code-unit order puts the mint last)',
    seed: SEEDS.alice,
    accepts: [req(NET.mainnet, '10000', TRAP_MINTS.lowerCAfterCompute, PAYTO.b, FEE_PAYERS.f2)],
    resource: RESOURCE('order-c'),
    mint: { owner: PROGRAMS.token, decimals: 6 },
    expectRpc: ['getAccountInfo', 'getLatestBlockhash'],
  },
  {
    name: 'account order: Token-2022 mint starting with lower-case a/b (ASCII order differs)',
    seed: SEEDS.bob,
    accepts: [req(NET.devnet, '10000', TRAP_MINTS.lowerAB, PAYTO.c, FEE_PAYERS.f3)],
    resource: RESOURCE('order-ab'),
    mint: { owner: PROGRAMS.token2022, decimals: 6 },
    expectRpc: ['getAccountInfo', 'getLatestBlockhash'],
  },
  {
    name: 'account order: Token mint starting with "t[p-z]" (a one-level a<A<b<B order would put it first)',
    seed: SEEDS.carol,
    accepts: [req(NET.mainnet, '10000', TRAP_MINTS.lowerT, PAYTO.a, FEE_PAYERS.f1, { memo: 'order-t' })],
    resource: RESOURCE('order-t'),
    mint: { owner: PROGRAMS.token, decimals: 6 },
    expectRpc: ['getAccountInfo', 'getLatestBlockhash'],
  },
  {
    name: 'account order: source and destination ATAs start with the same letter in different case',
    seed: SEEDS.dave,
    payToSearch: { label: 'payTo/trap-ata', mint: DERIVED_MINTS.t6, program: PROGRAMS.token, kind: 'same-letter-other-case' },
    accepts: [req(NET.mainnet, '10000', DERIVED_MINTS.t6, null, FEE_PAYERS.f2)],
    resource: RESOURCE('order-ata'),
    mint: { owner: PROGRAMS.token, decimals: 6 },
    expectRpc: ['getAccountInfo', 'getLatestBlockhash'],
  },
  {
    name: 'account order: ATAs where code-unit order and collator order disagree (Token-2022)',
    seed: SEEDS.erin,
    payToSearch: { label: 'payTo/trap-ata-2022', mint: DERIVED_MINTS.z6, program: PROGRAMS.token2022, kind: 'ascii-differs' },
    accepts: [req(NET.devnet, '10000', DERIVED_MINTS.z6, null, FEE_PAYERS.f1)],
    resource: RESOURCE('order-ata-2022'),
    mint: { owner: PROGRAMS.token2022, decimals: 6 },
    expectRpc: ['getAccountInfo', 'getLatestBlockhash'],
  },
  {
    name: 'payTo == payer: source ATA == destination ATA (one account key)',
    seed: SEEDS.frank,
    payToIsPayer: true,
    accepts: [req(NET.mainnet, '10000', DERIVED_MINTS.t6, null, FEE_PAYERS.f3, { memo: 'self' })],
    resource: RESOURCE('self'),
    mint: { owner: PROGRAMS.token, decimals: 6 },
    expectRpc: ['getAccountInfo', 'getLatestBlockhash'],
  },
  {
    name: 'Token-2022 mint account with a MetadataPointer extension (data longer than 82 bytes)',
    seed: SEEDS.ones,
    accepts: [req(NET.mainnet, '10000', DERIVED_MINTS.zExt, PAYTO.b, FEE_PAYERS.f1)],
    resource: RESOURCE('ext'),
    mint: { owner: PROGRAMS.token2022, decimals: 6, token2022Extension: true },
    expectRpc: ['getAccountInfo', 'getLatestBlockhash'],
  },
  {
    name: 'second payment on the same client: mint info cached, only getLatestBlockhash',
    seed: SEEDS.alice,
    warm: true,
    accepts: [req(NET.devnet, '10000', KNOWN_MINTS.usdcDevnet, PAYTO.c, FEE_PAYERS.f2)],
    resource: RESOURCE('cached'),
    mint: { owner: PROGRAMS.token, decimals: 6 },
    expectRpc: ['getLatestBlockhash'],
  },
];

// Inputs the official client rejects (the message is informational; ours has coded errors).
const ERROR_CASES = [
  {
    name: 'extra.feePayer missing',
    seed: SEEDS.alice,
    accepts: [req(NET.mainnet, '10000', DERIVED_MINTS.t6, PAYTO.a, undefined)],
    mint: { owner: PROGRAMS.token, decimals: 6 },
    expectRpc: ['getAccountInfo'],
  },
  {
    name: 'extra.memo of 257 bytes',
    seed: SEEDS.bob,
    accepts: [req(NET.mainnet, '10000', DERIVED_MINTS.t6, PAYTO.a, FEE_PAYERS.f1, { memo: `${MEMO_256_ASCII}x` })],
    mint: { owner: PROGRAMS.token, decimals: 6 },
    expectRpc: ['getAccountInfo', 'getLatestBlockhash'],
  },
  {
    name: 'amount 2^64 (over u64)',
    seed: SEEDS.carol,
    accepts: [req(NET.mainnet, (2n ** 64n).toString(), DERIVED_MINTS.t6, PAYTO.a, FEE_PAYERS.f1)],
    mint: { owner: PROGRAMS.token, decimals: 6 },
    expectRpc: ['getAccountInfo'],
  },
  {
    name: 'amount not an integer ("1.5")',
    seed: SEEDS.carol,
    accepts: [req(NET.mainnet, '1.5', DERIVED_MINTS.t6, PAYTO.a, FEE_PAYERS.f1)],
    mint: { owner: PROGRAMS.token, decimals: 6 },
    expectRpc: ['getAccountInfo'],
  },
  {
    name: 'mint owned by the System program (not a token program)',
    seed: SEEDS.dave,
    accepts: [req(NET.mainnet, '10000', DERIVED_MINTS.t6, PAYTO.a, FEE_PAYERS.f1)],
    mint: { owner: PROGRAMS.system, decimals: 6 },
    expectRpc: ['getAccountInfo'],
  },
  {
    name: 'mint account does not exist',
    seed: SEEDS.erin,
    accepts: [req(NET.mainnet, '10000', DERIVED_MINTS.t6, PAYTO.a, FEE_PAYERS.f1)],
    mint: null,
    expectRpc: ['getAccountInfo'],
  },
];

// ---------------------------------------------------------------------------------------------
// Local JSON-RPC stub.
let stubState = null; // { blockhash, lastValidBlockHeight, accounts: {addr: {owner, data}} }
const rpcLog = [];
const server = http.createServer((request, response) => {
  let body = '';
  request.setEncoding('utf8');
  request.on('data', (chunk) => { body += chunk; });
  request.on('end', () => {
    let msg;
    try {
      msg = JSON.parse(body);
    } catch {
      response.writeHead(400).end();
      return;
    }
    const reply = (result) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, ...result }));
    };
    rpcLog.push({ method: msg.method, params: msg.params });
    if (!stubState) return reply({ error: { code: -32000, message: 'no case active' } });
    const context = { slot: 300000000, apiVersion: '2.1.0' };
    switch (msg.method) {
      case 'getLatestBlockhash':
        return reply({ result: { context, value: { blockhash: stubState.blockhash, lastValidBlockHeight: stubState.lastValidBlockHeight } } });
      case 'getAccountInfo': {
        const acct = stubState.accounts[msg.params?.[0]];
        if (!acct) return reply({ result: { context, value: null } });
        return reply({
          result: {
            context,
            value: {
              data: [Buffer.from(acct.data).toString('base64'), 'base64'],
              executable: false,
              lamports: 1461600,
              owner: acct.owner,
              rentEpoch: 18446744073709551615,
              space: acct.data.length,
            },
          },
        });
      }
      default:
        return reply({ error: { code: -32601, message: `stub: method not found: ${msg.method}` } });
    }
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const STUB_URL = `http://127.0.0.1:${server.address().port}/`;

// fetch redirect: the client's default RPC URLs -> the stub.
const realFetch = globalThis.fetch;
const fetchLog = [];
function installFetchRedirect() {
  globalThis.fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input.url ?? String(input);
    if (url === STUB_URL) {
      fetchLog.push(url);
      return realFetch(input, init);
    }
    const known = Object.values(DEFAULT_RPC).find((u) => url === u || url === `${u}/`);
    if (!known) fail(`unexpected fetch to ${url}`);
    fetchLog.push(known);
    return realFetch(STUB_URL, init);
  };
}
function removeFetchRedirect() {
  globalThis.fetch = realFetch;
}

// ---------------------------------------------------------------------------------------------
/** Runs fn with Date.now and crypto.getRandomValues fixed; returns fn's result and the calls made. */
async function withFixedEnvironment(nonceBytes, fn) {
  const cryptoObj = globalThis.crypto;
  const realNow = Date.now;
  const hadOwn = Object.prototype.hasOwnProperty.call(cryptoObj, 'getRandomValues');
  const ownBefore = cryptoObj.getRandomValues;
  const calls = { dateNow: 0, dateNowFetch: 0, randomBytes: [] };
  Date.now = () => {
    // Node's built-in fetch (undici) reads the clock for its resource timing; count those apart.
    if (/node:internal\/deps\/undici/.test(new Error().stack)) calls.dateNowFetch += 1;
    else calls.dateNow += 1;
    return 1767225600000;
  };
  Object.defineProperty(cryptoObj, 'getRandomValues', {
    configurable: true,
    writable: true,
    value(arr) {
      if (!(arr instanceof Uint8Array) || arr.length !== 16) {
        fail(`unexpected getRandomValues(${arr?.constructor?.name}[${arr?.length}]) from ${new Error().stack}`);
      }
      if (calls.randomBytes.length > 0) fail('getRandomValues called more than once');
      arr.set(nonceBytes);
      calls.randomBytes.push(hex(nonceBytes));
      return arr;
    },
  });
  try {
    const result = await fn();
    return { result, calls };
  } catch (error) {
    return { error, calls };
  } finally {
    Date.now = realNow;
    if (hadOwn) cryptoObj.getRandomValues = ownBefore;
    else delete cryptoObj.getRandomValues;
  }
}

// ---------------------------------------------------------------------------------------------
// Wire decoding (written from the Solana transaction format, independent of the client).
function readCompactU16(buf, off) {
  let value = 0;
  for (let i = 0; i < 3; i += 1) {
    const b = buf[off + i];
    value |= (b & 0x7f) << (7 * i);
    if ((b & 0x80) === 0) return [value, off + i + 1];
  }
  return fail('bad compact-u16');
}
function decodeWire(txBytes) {
  let [nsig, off] = readCompactU16(txBytes, 0);
  const signatures = [];
  for (let i = 0; i < nsig; i += 1) {
    signatures.push(txBytes.subarray(off, off + 64));
    off += 64;
  }
  const message = txBytes.subarray(off);
  let p = 0;
  check(message[p] === 0x80, `message is not v0 (prefix ${message[p]})`);
  p += 1;
  const header = { numRequiredSignatures: message[p], numReadonlySigned: message[p + 1], numReadonlyUnsigned: message[p + 2] };
  p += 3;
  let n;
  [n, p] = readCompactU16(message, p);
  const staticAccounts = [];
  for (let i = 0; i < n; i += 1) {
    staticAccounts.push(addressDecoder.decode(message.subarray(p, p + 32)));
    p += 32;
  }
  const recentBlockhash = b58(message.subarray(p, p + 32));
  p += 32;
  [n, p] = readCompactU16(message, p);
  const instructions = [];
  for (let i = 0; i < n; i += 1) {
    const programIndex = message[p];
    p += 1;
    let na;
    [na, p] = readCompactU16(message, p);
    const accountIndices = Array.from(message.subarray(p, p + na));
    p += na;
    let nd;
    [nd, p] = readCompactU16(message, p);
    const data = message.subarray(p, p + nd);
    p += nd;
    instructions.push({ programIndex, accountIndices, data });
  }
  let nl;
  [nl, p] = readCompactU16(message, p);
  check(nl === 0, 'address table lookups present');
  check(p === message.length, 'trailing bytes after the message');
  return { signatures, message, header, staticAccounts, recentBlockhash, instructions };
}
function accountFlags(header, staticAccounts, index) {
  const nSigned = header.numRequiredSignatures;
  const isSigner = index < nSigned;
  const isWritable = isSigner
    ? index < nSigned - header.numReadonlySigned
    : index < staticAccounts.length - header.numReadonlyUnsigned;
  return { isSigner, isWritable };
}

async function ata(owner, tokenProgram, mint) {
  const [pda] = await getProgramDerivedAddress({
    programAddress: PROGRAMS.ata,
    seeds: [addressEncoder.encode(owner), addressEncoder.encode(tokenProgram), addressEncoder.encode(mint)],
  });
  return pda;
}

const collator = new Intl.Collator('en', { caseFirst: 'lower', ignorePunctuation: false, localeMatcher: 'best fit', numeric: false, sensitivity: 'variant', usage: 'sort' });

/**
 * The order @solana/kit gives accounts inside each group, written as an explicit rule (documented
 * in tests/vectors/README.md for our Rust code): compare the lower-cased strings by code unit
 * (base58 has only digits 1-9 and ASCII letters, so this is the collator's primary level); if they
 * are equal, the first position where the case differs decides, lower case first. Checked against
 * Intl.Collator below on the cases and on a deterministic sample of address pairs.
 */
function explicitAddressCompare(a, b) {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  for (let i = 0; i < a.length; i += 1) {
    if (a[i] !== b[i]) return a[i] === la[i] ? -1 : 1;
  }
  return 0;
}
const sign = (x) => (x < 0 ? -1 : x > 0 ? 1 : 0);
{
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  let pairs = 0;
  for (let i = 0; i < 20000; i += 1) {
    const a = b58(sha(`collator-sample/a/${i}`));
    let b = b58(sha(`collator-sample/b/${i}`));
    const r = sha(`collator-sample/r/${i}`);
    if (i % 4 === 1) b = a.slice(0, r[0] % a.length) + b.slice(r[0] % a.length); // shared prefix
    if (i % 4 === 2) b = [...a].map((ch, j) => (r[j % 32] & 1 ? (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase()) : ch)).join(''); // case flips only
    if (i % 4 === 3) b = a.slice(0, -1) + alphabet[r[1] % 58]; // last character differs
    check(sign(collator.compare(a, b)) === sign(explicitAddressCompare(a, b)), `collator rule differs for ${a} / ${b}`);
    pairs += 1;
  }
  check(pairs === 20000, 'collator sample');
}

/** Alternative orders an implementation might wrongly use; a case flags which of them would fail. */
const SINGLE_LEVEL_ALPHABET = '123456789aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ';
const WRONG_ORDERS = {
  codeUnit: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  bytes: (a, b) => Buffer.compare(unb58(a), unb58(b)),
  singleLevelCaseInterleaved: (a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
      const d = SINGLE_LEVEL_ALPHABET.indexOf(a[i]) - SINGLE_LEVEL_ALPHABET.indexOf(b[i]);
      if (d !== 0) return d;
    }
    return a.length - b.length;
  },
};
function orderTraps(groups) {
  const out = {};
  for (const [k, cmp] of Object.entries(WRONG_ORDERS)) {
    out[k] = groups.some((g) => !isDeepStrictEqual([...g].sort(cmp), g));
  }
  return out;
}

async function resolvePayTo(spec, payer) {
  if (spec.payToIsPayer) return payer;
  if (!spec.payToSearch) return spec.accepts.find((r) => r.network.startsWith('solana:')).payTo;
  const { label, mint, program, kind } = spec.payToSearch;
  const src = await ata(payer, program, mint);
  for (let i = 0; i < 100000; i += 1) {
    const payTo = walletFor(`${label}/${i}`);
    const dst = await ata(payTo, program, mint);
    const ok = kind === 'same-letter-other-case'
      ? src[0] !== dst[0] && src[0].toLowerCase() === dst[0].toLowerCase()
      : orderTraps([[src, dst].sort(collator.compare)]).codeUnit;
    if (ok) return payTo;
  }
  return fail(`no payTo found for ${spec.name}`);
}

// ---------------------------------------------------------------------------------------------
async function runCase(spec, index, { isError = false } = {}) {
  const seed = Buffer.from(spec.seed);
  const payerPub = publicKeyOfSeed(seed);
  const payer = b58(payerPub);
  const signer = await createKeyPairSignerFromPrivateKeyBytes(seed);
  check(signer.address === payer, `${spec.name}: kit signer address ${signer.address} != node:crypto ${payer}`);

  const payTo = await resolvePayTo(spec, payer);
  const accepts = spec.accepts.map((r) => (r.network.startsWith('solana:') && r.payTo === null ? { ...r, payTo } : r));
  const paymentRequired = { x402Version: 2, error: 'Payment required', resource: spec.resource ?? RESOURCE(`err/${index}`), accepts };
  if (spec.extensions) paymentRequired.extensions = spec.extensions;
  const acceptedIndex = accepts.findIndex((r) => r.network.startsWith('solana:'));
  const requirement = accepts[acceptedIndex];

  const rpc = {
    latestBlockhash: blockhashFor(`rpc/${spec.name}`),
    lastValidBlockHeight: 312345678 + index,
    mint: spec.mint ? { owner: spec.mint.owner, decimals: spec.mint.decimals } : null,
  };
  const accountData = spec.mint ? mintData(spec.mint.decimals, { label: requirement.asset, token2022Extension: !!spec.mint.token2022Extension }) : null;
  if (accountData) rpc.mint.data = accountData.toString('base64');
  const state = {
    blockhash: rpc.latestBlockhash,
    lastValidBlockHeight: rpc.lastValidBlockHeight,
    accounts: accountData ? { [requirement.asset]: { owner: spec.mint.owner, data: accountData } } : {},
  };
  const hasMemo = typeof requirement.extra?.memo === 'string' && requirement.extra.memo !== '';
  const nonceBytes = spec.nonce ?? nonceFor(spec.name);

  /** One official-client run. mode 'register' = registerExactSvmScheme + fetch redirect. */
  async function officialRun(mode) {
    const input = JSON.parse(JSON.stringify(paymentRequired));
    const client = new x402Client();
    client.setSpendControls(false);
    if (mode === 'register') {
      registerExactSvmScheme(client, { signer });
    } else {
      const keypair64 = Buffer.concat([seed, payerPub]);
      const signer64 = await createKeyPairSignerFromBytes(keypair64);
      check(signer64.address === payer, 'kit 64-byte signer address');
      client.register('solana:*', new ExactSvmScheme(signer64, { rpcUrl: STUB_URL }));
    }
    stubState = state;
    if (mode === 'register') installFetchRedirect();
    try {
      if (spec.warm) {
        // Warm the scheme's mint cache with a first payment (its own nonce; not recorded).
        const warm = await withFixedEnvironment(nonceFor(`warm/${spec.name}`), () => client.createPaymentPayload(JSON.parse(JSON.stringify(paymentRequired))));
        if (warm.error) throw warm.error;
      }
      rpcLog.length = 0;
      fetchLog.length = 0;
      const run = await withFixedEnvironment(nonceBytes, () => client.createPaymentPayload(input));
      check(isDeepStrictEqual(input, JSON.parse(JSON.stringify(paymentRequired))), `${spec.name}: client mutated its input`);
      return { ...run, rpcRequests: rpcLog.map((r) => JSON.parse(JSON.stringify(r))), fetched: [...fetchLog] };
    } finally {
      removeFetchRedirect();
      stubState = null;
    }
  }

  const first = await officialRun('register');
  const second = await officialRun('rpcUrl');
  const rpcCalls = first.rpcRequests.map((r) => r.method);
  check(isDeepStrictEqual(rpcCalls, spec.expectRpc), `${spec.name}: rpc calls ${JSON.stringify(rpcCalls)} != ${JSON.stringify(spec.expectRpc)}`);
  check(isDeepStrictEqual(second.rpcRequests, first.rpcRequests), `${spec.name}: rpcUrl run made other RPC requests`);
  check(first.fetched.every((u) => u === DEFAULT_RPC[requirement.network]), `${spec.name}: client fetched ${first.fetched}`);
  check(first.fetched.length === rpcCalls.length, `${spec.name}: fetch count`);
  check(first.calls.dateNow === 0 && second.calls.dateNow === 0, `${spec.name}: Date.now was called outside fetch`);

  if (isError) {
    check(first.error && second.error, `${spec.name}: the official client did not reject the input`);
    check(first.error.message === second.error.message, `${spec.name}: the two runs failed differently`);
    return {
      name: spec.name,
      seed: hex(seed),
      payer,
      paymentRequired,
      acceptedIndex,
      rpc,
      rpcCalls,
      rpcRequests: first.rpcRequests,
      officialError: first.error.message.split('\n')[0],
    };
  }
  if (first.error) throw first.error;
  if (second.error) throw second.error;
  const payload = JSON.parse(JSON.stringify(first.result));
  check(isDeepStrictEqual(payload, JSON.parse(JSON.stringify(second.result))), `${spec.name}: the rpcUrl / 64-byte-key run gave another payload`);

  // Randomness: only for the memo nonce, only without extra.memo.
  const randomBytes = first.calls.randomBytes;
  check(isDeepStrictEqual(randomBytes, second.calls.randomBytes), `${spec.name}: random bytes differ between runs`);
  check(randomBytes.length === (hasMemo ? 0 : 1), `${spec.name}: getRandomValues called ${randomBytes.length} times (memo: ${hasMemo})`);

  // --- payload shape ---
  check(isDeepStrictEqual(Object.keys(payload), ['x402Version', 'payload', 'extensions', 'resource', 'accepted'].filter((k) => k in payload)), `${spec.name}: payload keys ${Object.keys(payload)}`);
  check(payload.x402Version === 2, `${spec.name}: x402Version`);
  check(isDeepStrictEqual(Object.keys(payload.payload), ['transaction']), `${spec.name}: payload.payload keys`);
  check(JSON.stringify(payload.accepted) === JSON.stringify(requirement), `${spec.name}: accepted is not the requirement verbatim`);
  check(isDeepStrictEqual(payload.resource, paymentRequired.resource), `${spec.name}: resource not echoed`);
  check(isDeepStrictEqual(payload.extensions, paymentRequired.extensions), `${spec.name}: extensions not echoed`);

  // --- transaction ---
  const txBase64 = payload.payload.transaction;
  const txBytes = Buffer.from(txBase64, 'base64');
  check(txBytes.toString('base64') === txBase64, `${spec.name}: transaction is not canonical base64`);
  const wire = decodeWire(txBytes);
  const feePayer = requirement.extra.feePayer;
  check(wire.signatures.length === 2 && wire.header.numRequiredSignatures === 2, `${spec.name}: ${wire.signatures.length} signatures`);
  check(wire.header.numReadonlySigned === 1, `${spec.name}: readonly signed count`);
  check(wire.staticAccounts[0] === feePayer, `${spec.name}: account 0 is not the fee payer`);
  check(wire.staticAccounts[1] === payer, `${spec.name}: account 1 is not the payer`);
  check(wire.signatures[0].every((b) => b === 0), `${spec.name}: fee-payer signature slot is not all zeros`);
  check(nodeVerify(payerPub, wire.message, wire.signatures[1]), `${spec.name}: payer signature does not verify (node:crypto)`);
  const kitPub = await crypto.subtle.importKey('raw', payerPub, 'Ed25519', true, ['verify']);
  check(await verifySignature(kitPub, wire.signatures[1], wire.message), `${spec.name}: payer signature does not verify (@solana/kit)`);
  check(!nodeVerify(payerPub, Buffer.concat([wire.message, Buffer.from([0])]), wire.signatures[1]), 'verify sanity');
  const expectBlockhash = spec.expectBlockhash ?? rpc.latestBlockhash;
  check(wire.recentBlockhash === expectBlockhash, `${spec.name}: blockhash ${wire.recentBlockhash} != ${expectBlockhash}`);

  // Cross-check the decoder against @solana/kit's.
  const kitTx = getTransactionDecoder().decode(txBytes);
  check(Buffer.from(kitTx.messageBytes).equals(wire.message), `${spec.name}: kit message bytes differ`);
  const kitMsg = getCompiledTransactionMessageDecoder().decode(kitTx.messageBytes);
  check(isDeepStrictEqual(kitMsg.staticAccounts, wire.staticAccounts), `${spec.name}: kit static accounts differ`);
  check(kitMsg.lifetimeToken === wire.recentBlockhash, `${spec.name}: kit lifetime token differs`);

  const instructions = wire.instructions.map((ix) => ({
    programId: wire.staticAccounts[ix.programIndex],
    accounts: ix.accountIndices.map((i) => ({ pubkey: wire.staticAccounts[i], ...accountFlags(wire.header, wire.staticAccounts, i) })),
    data: hex(ix.data),
  }));

  const tokenProgram = spec.mint.owner;
  const sourceAta = await ata(payer, tokenProgram, requirement.asset);
  const destinationAta = await ata(requirement.payTo, tokenProgram, requirement.asset);

  check(instructions.length === 4, `${spec.name}: ${instructions.length} instructions`);
  const [cuLimit, cuPrice, transfer, memo] = instructions;
  check(cuLimit.programId === PROGRAMS.computeBudget && cuLimit.accounts.length === 0, `${spec.name}: ix0`);
  check(cuLimit.data === `02${hex(Buffer.from(new Uint32Array([20000]).buffer))}`, `${spec.name}: SetComputeUnitLimit data ${cuLimit.data}`);
  const price = Buffer.alloc(8);
  price.writeBigUInt64LE(1n);
  check(cuPrice.programId === PROGRAMS.computeBudget && cuPrice.accounts.length === 0 && cuPrice.data === `03${hex(price)}`, `${spec.name}: SetComputeUnitPrice ${cuPrice.data}`);
  const transferData = Buffer.alloc(10);
  transferData[0] = 12;
  transferData.writeBigUInt64LE(BigInt(requirement.amount), 1);
  transferData[9] = spec.mint.decimals;
  check(transfer.programId === tokenProgram && transfer.data === hex(transferData), `${spec.name}: TransferChecked ${transfer.programId} ${transfer.data}`);
  const sameAta = sourceAta === destinationAta;
  check(isDeepStrictEqual(transfer.accounts, [
    { pubkey: sourceAta, isSigner: false, isWritable: true },
    { pubkey: requirement.asset, isSigner: false, isWritable: false },
    { pubkey: destinationAta, isSigner: false, isWritable: true },
    { pubkey: payer, isSigner: true, isWritable: false },
  ]), `${spec.name}: TransferChecked accounts ${JSON.stringify(transfer.accounts)}`);
  check(sameAta === !!spec.payToIsPayer, `${spec.name}: ATA equality`);
  const memoText = hasMemo ? requirement.extra.memo : randomBytes[0];
  check(memo.programId === PROGRAMS.memo && memo.accounts.length === 0, `${spec.name}: memo instruction`);
  check(memo.data === hex(Buffer.from(memoText, 'utf8')), `${spec.name}: memo data`);
  check(!instructions.some((ix) => ix.accounts.some((a) => a.pubkey === feePayer)), `${spec.name}: fee payer in an instruction`);

  // Account order: fee payer, payer, writable non-signers, readonly non-signers (each group in
  // Intl.Collator order as @solana/kit sorts).
  const writable = sameAta ? [sourceAta] : [sourceAta, destinationAta].sort(collator.compare);
  const readonly = [PROGRAMS.computeBudget, PROGRAMS.memo, tokenProgram, requirement.asset].sort(collator.compare);
  check(isDeepStrictEqual([...writable].sort(explicitAddressCompare), writable)
    && isDeepStrictEqual([...readonly].sort(explicitAddressCompare), readonly), `${spec.name}: explicit order rule`);
  const expectedAccounts = [feePayer, payer, ...writable, ...readonly];
  check(isDeepStrictEqual(wire.staticAccounts, expectedAccounts), `${spec.name}: account order ${JSON.stringify(wire.staticAccounts)} != ${JSON.stringify(expectedAccounts)}`);
  check(wire.header.numReadonlyUnsigned === readonly.length, `${spec.name}: readonly unsigned count`);

  return {
    name: spec.name,
    seed: hex(seed),
    payer,
    paymentRequired,
    acceptedIndex,
    rpc,
    rpcUrl: DEFAULT_RPC[requirement.network],
    rpcCalls,
    rpcRequests: first.rpcRequests,
    mintCacheWarm: !!spec.warm,
    randomBytes,
    memo: hex(Buffer.from(memoText, 'utf8')),
    transaction: txBase64,
    message: wire.message.toString('base64'),
    recentBlockhash: wire.recentBlockhash,
    header: wire.header,
    staticAccounts: wire.staticAccounts,
    orderTraps: orderTraps([writable, readonly]),
    tokenProgram,
    decimals: spec.mint.decimals,
    sourceAta,
    destinationAta,
    feePayer,
    payerSignature: hex(wire.signatures[1]),
    instructions,
    payload,
    paymentRequiredHeader: encodePaymentRequiredHeader(paymentRequired),
    paymentSignatureHeader: encodePaymentSignatureHeader(payload),
  };
}

// ---------------------------------------------------------------------------------------------
const names = new Set();
const cases = [];
try {
  for (const [i, spec] of CASES.entries()) {
    check(!names.has(spec.name), `duplicate name ${spec.name}`);
    names.add(spec.name);
    cases.push(await runCase(spec, i));
  }
  const errors = [];
  for (const [i, spec] of ERROR_CASES.entries()) {
    errors.push(await runCase(spec, 100 + i, { isError: true }));
  }

  // Coverage checks.
  const tokenCases = cases.filter((c) => c.tokenProgram === PROGRAMS.token).length;
  const token2022Cases = cases.filter((c) => c.tokenProgram === PROGRAMS.token2022).length;
  check(tokenCases >= 4 && token2022Cases >= 4, 'Token / Token-2022 coverage');
  for (const d of [0, 6, 9]) check(cases.some((c) => c.decimals === d), `decimals ${d} not covered`);
  for (const a of ['1', '10000', U64_MAX]) check(cases.some((c) => c.paymentRequired.accepts[c.acceptedIndex].amount === a), `amount ${a} not covered`);
  check(cases.some((c) => c.randomBytes.length === 0) && cases.some((c) => c.randomBytes.length === 1), 'memo coverage');
  for (const k of Object.keys(WRONG_ORDERS)) check(cases.some((c) => c.orderTraps[k]), `no case where the ${k} order fails`);
  check(cases.some((c) => !c.rpcCalls.includes('getLatestBlockhash')), 'no case without getLatestBlockhash');

  const doc = {
    source: `generated by tests/js/gen/svm-vectors.mjs with @x402/svm ${VERSIONS['@x402/svm']} and @solana/kit ${VERSIONS['@solana/kit']}`,
    generator: VERSIONS,
    constants: {
      networks: NET,
      defaultRpcUrls: DEFAULT_RPC,
      programs: PROGRAMS,
      ...OFFICIAL_CONSTANTS,
    },
    cases,
    errors,
  };
  mkdirSync(path.dirname(OUT_FILE), { recursive: true });
  writeFileSync(OUT_FILE, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), OUT_FILE)}: ${cases.length} cases (${tokenCases} Token, ${token2022Cases} Token-2022), ${errors.length} error cases`);
} finally {
  server.close();
}
