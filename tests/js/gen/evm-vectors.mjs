#!/usr/bin/env node
// Generates tests/vectors/evm_exact.json: EVM `exact` scheme test vectors produced by two
// implementations that are independent of this project:
//   * viem (EIP-712 hashing, secp256k1 signing and recovery), and
//   * the official x402 v2 client (`x402Client` from @x402/core + `registerExactEvmScheme` from
//     @x402/evm), whose PaymentPayload is stored verbatim.
//
// Run from the repository root or from tests/js:
//   node tests/js/gen/evm-vectors.mjs
// The output is deterministic: every key, nonce and clock value is derived from fixed labels
// (keccak256 of a string); nothing here uses Math.random or the real clock.
//
// The official client has no public option to fix its clock or its nonce, so while it builds a
// payload this script temporarily replaces `Date.now` and `globalThis.crypto.getRandomValues`
// (restored right after), and checks that each was called exactly as often as expected.
// The client needs no network: its signer is a local viem account (for one case a stub
// `readContract` that answers from memory).

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

import {
  getAddress,
  hashDomain,
  hashStruct,
  hashTypedData,
  getTypesForEIP712Domain,
  hexToBigInt,
  keccak256,
  maxUint256,
  numberToHex,
  parseTransaction,
  recoverAddress,
  recoverTransactionAddress,
  recoverTypedDataAddress,
  toHex,
} from 'viem';
import { privateKeyToAccount, sign } from 'viem/accounts';
import { x402Client } from '@x402/core/client';
import { encodePaymentRequiredHeader, encodePaymentSignatureHeader } from '@x402/core/http';
import { registerExactEvmScheme } from '@x402/evm/exact/client';
import {
  PERMIT2_ADDRESS as OFFICIAL_PERMIT2_ADDRESS,
  toClientEvmSigner,
  x402ExactPermit2ProxyAddress as OFFICIAL_PROXY_ADDRESS,
} from '@x402/evm';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const JS_DIR = path.resolve(HERE, '..');
const OUT_FILE = path.resolve(HERE, '../../vectors/evm_exact.json');

function pkgVersion(name) {
  return JSON.parse(readFileSync(path.join(JS_DIR, 'node_modules', name, 'package.json'), 'utf8')).version;
}
const VERSIONS = { viem: pkgVersion('viem'), core: pkgVersion('@x402/core'), evm: pkgVersion('@x402/evm') };

function fail(msg) {
  throw new Error(`evm-vectors: ${msg}`);
}
function check(cond, msg) {
  if (!cond) fail(msg);
}

// ---------------------------------------------------------------------------------------------
// Constants written from PROTOCOL.md section 3 (checked against the official package below).
const PERMIT2 = '0x000000000022D473030F116dDEE9F6B43aC78BA3';
const PERMIT2_PROXY = '0x402085c248EeA27D92E8b30b2C58ed07f9E20001';
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
check(OFFICIAL_PERMIT2_ADDRESS === PERMIT2, 'Permit2 address differs from @x402/evm');
check(OFFICIAL_PROXY_ADDRESS === PERMIT2_PROXY, 'x402ExactPermit2Proxy address differs from @x402/evm');

const EIP3009_TYPES = {
  TransferWithAuthorization: [
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'validAfter', type: 'uint256' },
    { name: 'validBefore', type: 'uint256' },
    { name: 'nonce', type: 'bytes32' },
  ],
};
const PERMIT2_TYPES = {
  PermitWitnessTransferFrom: [
    { name: 'permitted', type: 'TokenPermissions' },
    { name: 'spender', type: 'address' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
    { name: 'witness', type: 'Witness' },
  ],
  TokenPermissions: [
    { name: 'token', type: 'address' },
    { name: 'amount', type: 'uint256' },
  ],
  Witness: [
    { name: 'to', type: 'address' },
    { name: 'validAfter', type: 'uint256' },
  ],
};
const EIP2612_TYPES = {
  Permit: [
    { name: 'owner', type: 'address' },
    { name: 'spender', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
  ],
};

// ---------------------------------------------------------------------------------------------
// Deterministic inputs.
const LABEL = 'x402-wasm/evm-vectors';
const h = (label) => keccak256(toHex(`${LABEL}/${label}`));
/** 32 bytes of keccak(label) as a Uint8Array. */
const bytes32 = (label) => Buffer.from(h(label).slice(2), 'hex');

function keyFor(label) {
  const k = hexToBigInt(h(`key/${label}`));
  check(k > 0n && k < SECP256K1_N, `derived key out of range for ${label}`);
  return h(`key/${label}`);
}
const addrFor = (label) => getAddress(`0x${h(`addr/${label}`).slice(-40)}`);
const hexKey = (n) => numberToHex(n, { size: 32 });

// Named addresses: well-known USDC deployments (public facts) and derived ones.
const ASSETS = {
  base: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
  baseSepolia: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
  ethereum: '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48',
  polygon: '0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359',
  avalanche: '0xB97EF9Ef8734C71904D8002F8b6Bc66Dd9c48a6E',
  arbitrum: '0xaf88d065e77c8cC2239327C5EDb3A432268e5831',
  anvil: addrFor('asset/anvil-token'),
  skale: addrFor('asset/skale-token'),
};
const PAYTO = {
  spec: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C',
  a: addrFor('payTo/a'),
  b: addrFor('payTo/b'),
  c: addrFor('payTo/c'),
};
const lower = (a) => a.toLowerCase();
const upper = (a) => `0x${a.slice(2).toUpperCase()}`;

const U64_PLUS_1 = (2n ** 64n).toString();
const U128_MAX = (2n ** 128n - 1n).toString();
const U256_MAX = maxUint256.toString();
const U256_MAX_MINUS_1 = (maxUint256 - 1n).toString();

function req(network, amount, asset, payTo, maxTimeoutSeconds, extra, more = {}) {
  const r = { scheme: 'exact', network, amount, asset, payTo, maxTimeoutSeconds };
  if (extra !== undefined) r.extra = extra;
  return { ...r, ...more };
}

// Each case: what the server offers and the client's fixed clock / randomness.
// `key` is a label (derived key) or an explicit 0x key; `nonceBytes` overrides the derived 32 bytes.
const CASES = [
  // ---- EIP-3009 ----
  {
    name: 'eip3009 base mainnet USDC, 0.01 USDC, 60 s',
    key: 'alice',
    now: 1740672089,
    accepts: [req('eip155:8453', '10000', ASSETS.base, PAYTO.spec, 60, { name: 'USD Coin', version: '2' })],
    resource: { url: 'https://api.example.com/premium-data', description: 'Access to premium market data', mimeType: 'application/json' },
  },
  {
    name: 'eip3009 base sepolia USDC (spec domain USDC/2), amount 1, 1 s timeout',
    key: 'bob',
    now: 1700000000,
    accepts: [req('eip155:84532', '1', ASSETS.baseSepolia, PAYTO.a, 1, { name: 'USDC', version: '2' })],
    resource: { url: 'https://a.example/x' },
  },
  {
    name: 'eip3009 ethereum mainnet USDC, 300 s',
    key: 'carol',
    now: 1767225600,
    accepts: [req('eip155:1', '2500000', ASSETS.ethereum, PAYTO.b, 300, { name: 'USD Coin', version: '2' })],
    resource: { url: 'https://eth.example/report.pdf', mimeType: 'application/pdf' },
  },
  {
    name: 'eip3009 polygon USDC, 86400 s timeout',
    key: 'dave',
    now: 1750000000,
    accepts: [req('eip155:137', '10000', ASSETS.polygon, PAYTO.c, 86400, { name: 'USD Coin', version: '2' })],
    resource: { url: 'https://polygon.example/api?q=1&r=2' },
  },
  {
    name: 'eip3009 avalanche USDC, lowercase asset and payTo',
    key: 'erin',
    now: 1712345678,
    accepts: [req('eip155:43114', '999999', lower(ASSETS.avalanche), lower(PAYTO.a), 60, { name: 'USD Coin', version: '2' })],
    resource: { url: 'https://avax.example/' },
  },
  {
    name: 'eip3009 arbitrum USDC, upper-case hex asset and payTo',
    key: 'frank',
    now: 1723456789,
    accepts: [req('eip155:42161', '10000', upper(ASSETS.arbitrum), upper(PAYTO.b), 120, { name: 'USD Coin', version: '2' })],
    resource: { url: 'https://arb.example/data.json', mimeType: 'application/json' },
  },
  {
    name: 'eip3009 anvil 31337, unicode token name, version 1',
    key: 'grace',
    now: 1734567890,
    accepts: [req('eip155:31337', '1000000000000000000', ASSETS.anvil, PAYTO.c, 300, { name: 'Tëst Tökén', version: '1' })],
    resource: { url: 'http://127.0.0.1:8787/paid', description: 'Bezahlter Inhalt – Grüße' },
  },
  {
    name: 'eip3009 large chain id 324705682',
    key: 'heidi',
    now: 1745000000,
    accepts: [req('eip155:324705682', '10000', ASSETS.skale, PAYTO.a, 60, { name: 'Bridged USDC', version: '2' })],
    resource: { url: 'https://skale.example/x' },
  },
  {
    name: 'eip3009 amount 2^64 (just above u64)',
    key: 'ivan',
    now: 1760000000,
    accepts: [req('eip155:8453', U64_PLUS_1, ASSETS.base, PAYTO.b, 60, { name: 'USD Coin', version: '2' })],
    resource: { url: 'https://big.example/u64' },
  },
  {
    name: 'eip3009 amount 2^128-1',
    key: 'judy',
    now: 1760000001,
    accepts: [req('eip155:31337', U128_MAX, ASSETS.anvil, PAYTO.c, 300, { name: 'Tëst Tökén', version: '1' })],
    resource: { url: 'https://big.example/u128' },
  },
  {
    name: 'eip3009 amount 2^256-2 (near uint256 max)',
    key: 'mallory',
    now: 1760000002,
    accepts: [req('eip155:1', U256_MAX_MINUS_1, ASSETS.ethereum, PAYTO.a, 86400, { name: 'USD Coin', version: '2' })],
    resource: { url: 'https://big.example/u256' },
  },
  {
    name: 'eip3009 amount 2^256-1 (uint256 max)',
    key: 'niaj',
    now: 1760000003,
    accepts: [req('eip155:137', U256_MAX, ASSETS.polygon, PAYTO.b, 60, { name: 'USD Coin', version: '2' })],
    resource: { url: 'https://big.example/max' },
  },
  {
    name: 'eip3009 CJK and astral-plane emoji token name, dotted version',
    key: 'olivia',
    now: 1770000000,
    accepts: [req('eip155:84532', '12345', addrFor('asset/emoji'), PAYTO.c, 300, { name: '日本円 🪙 Token', version: '1.0.0' })],
    resource: { url: 'https://unicode.example/%E6%97%A5' },
  },
  {
    name: 'eip3009 token name with quotes and backslash',
    key: 'peggy',
    now: 1771111111,
    accepts: [req('eip155:43114', '50', addrFor('asset/quote'), PAYTO.a, 60, { name: 'Quote "\\" Token', version: '3' })],
    resource: { url: 'https://quote.example/' },
  },
  {
    name: 'eip3009 unknown keys in extra and an unknown top-level requirement key (echoed verbatim)',
    key: 'rupert',
    now: 1772222222,
    accepts: [
      req(
        'eip155:8453',
        '10000',
        ASSETS.base,
        PAYTO.spec,
        60,
        { name: 'USD Coin', version: '2', feeTier: 3, nested: { list: [1, 'two', null, true], empty: {} }, 'x-note': 'ünïcode' },
        { 'x-vendor-field': { id: 'req-42', tags: ['a', 'b'] }, description: 'top-level description kept' },
      ),
    ],
    resource: { url: 'https://verbatim.example/a' },
  },
  {
    name: 'eip3009 first accept is solana (unsupported), second is EVM: client picks the EVM one',
    key: 'sybil',
    now: 1773333333,
    accepts: [
      req('solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp', '10000', 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v', 'CKPKJWNdJEqa81x7CkZ14BVPiY6y16Sxs7owznqtWYp5', 60, {
        feePayer: 'EwWqGE4ZFKLofuestmU4LDdK7XM1N4ALgdZccwYugwGd',
      }),
      req('eip155:8453', '20000', ASSETS.base, PAYTO.b, 60, { name: 'USD Coin', version: '2' }),
    ],
    resource: { url: 'https://multi.example/x', description: 'two offers' },
  },
  {
    name: 'eip3009 server extensions are echoed verbatim',
    key: 'trent',
    now: 1774444444,
    accepts: [req('eip155:84532', '10000', ASSETS.baseSepolia, PAYTO.spec, 60, { name: 'USDC', version: '2' })],
    resource: { url: 'https://ext.example/x', mimeType: 'text/plain' },
    extensions: {
      'payment-identifier': { info: { required: false }, schema: { type: 'object' } },
      'x-unknown-ext': { info: { a: 1, b: [1, 2, 3], c: 'ç' } },
    },
  },
  {
    name: 'eip3009 private key 1 (leading zero bytes)',
    key: hexKey(1n),
    now: 1700000123,
    accepts: [req('eip155:1', '10000', ASSETS.ethereum, PAYTO.c, 60, { name: 'USD Coin', version: '2' })],
    resource: { url: 'https://key1.example/' },
  },
  {
    name: 'eip3009 private key n-1 (largest valid scalar)',
    key: hexKey(SECP256K1_N - 1n),
    now: 1700000456,
    accepts: [req('eip155:42161', '10000', ASSETS.arbitrum, PAYTO.a, 300, { name: 'USD Coin', version: '2' })],
    resource: { url: 'https://keymax.example/' },
  },
  {
    name: 'eip3009 nonce with leading zero bytes',
    key: 'victor',
    now: 1775555555,
    nonceBytes: Buffer.concat([Buffer.alloc(4), bytes32('nonce/leading-zeros').subarray(4)]),
    accepts: [req('eip155:8453', '10000', ASSETS.base, PAYTO.b, 60, { name: 'USD Coin', version: '2' })],
    resource: { url: 'https://nonce.example/zeros' },
  },
  {
    name: 'eip3009 clock near 2^32 seconds, validBefore beyond 2^32',
    key: 'walter',
    now: 4294967000,
    accepts: [req('eip155:31337', '7', ASSETS.anvil, PAYTO.c, 86400, { name: 'Tëst Tökén', version: '1' })],
    resource: { url: 'http://127.0.0.1:3000/' },
  },
  // ---- Permit2 ----
  {
    name: 'permit2 base mainnet USDC, 60 s',
    key: 'alice',
    now: 1740672089,
    accepts: [req('eip155:8453', '10000', ASSETS.base, PAYTO.spec, 60, { name: 'USD Coin', version: '2', assetTransferMethod: 'permit2' })],
    resource: { url: 'https://permit2.example/a' },
  },
  {
    name: 'permit2 extra holds only assetTransferMethod (no name/version needed)',
    key: 'bob',
    now: 1741000000,
    accepts: [req('eip155:1', '1', addrFor('asset/plain-erc20'), PAYTO.a, 1, { assetTransferMethod: 'permit2' })],
    resource: { url: 'https://permit2.example/b' },
  },
  {
    name: 'permit2 polygon, 86400 s, lowercase asset and payTo',
    key: 'carol',
    now: 1742000000,
    accepts: [req('eip155:137', '10000', lower(ASSETS.polygon), lower(PAYTO.b), 86400, { name: 'USD Coin', version: '2', assetTransferMethod: 'permit2' })],
    resource: { url: 'https://permit2.example/c' },
  },
  {
    name: 'permit2 avalanche, amount 2^64',
    key: 'dave',
    now: 1743000000,
    accepts: [req('eip155:43114', U64_PLUS_1, ASSETS.avalanche, PAYTO.c, 300, { assetTransferMethod: 'permit2' })],
    resource: { url: 'https://permit2.example/d' },
  },
  {
    name: 'permit2 arbitrum, amount 2^256-1',
    key: 'erin',
    now: 1744000000,
    accepts: [req('eip155:42161', U256_MAX, ASSETS.arbitrum, PAYTO.a, 60, { assetTransferMethod: 'permit2' })],
    resource: { url: 'https://permit2.example/e' },
  },
  {
    name: 'permit2 anvil 31337, unicode name, nonce bytes all zero (nonce "0")',
    key: 'frank',
    now: 1745000000,
    nonceBytes: Buffer.alloc(32),
    accepts: [req('eip155:31337', '1000000', ASSETS.anvil, PAYTO.b, 300, { name: 'Tëst Tökén', version: '1', assetTransferMethod: 'permit2' })],
    resource: { url: 'http://127.0.0.1:8787/permit2' },
  },
  {
    name: 'permit2 large chain id 324705682, nonce bytes all 0xff (nonce 2^256-1)',
    key: 'grace',
    now: 1746000000,
    nonceBytes: Buffer.alloc(32, 0xff),
    accepts: [req('eip155:324705682', '10000', ASSETS.skale, PAYTO.c, 60, { assetTransferMethod: 'permit2' })],
    resource: { url: 'https://permit2.example/g' },
  },
  {
    name: 'permit2 base sepolia, nonce with leading zero bytes (short decimal)',
    key: 'heidi',
    now: 1747000000,
    nonceBytes: Buffer.concat([Buffer.alloc(20), bytes32('nonce/permit2-short').subarray(20)]),
    accepts: [req('eip155:84532', '10000', ASSETS.baseSepolia, PAYTO.spec, 300, { name: 'USDC', version: '2', assetTransferMethod: 'permit2' })],
    resource: { url: 'https://permit2.example/h' },
  },
  {
    name: 'permit2 unknown keys in extra and top level (echoed verbatim)',
    key: 'ivan',
    now: 1748000000,
    accepts: [
      req(
        'eip155:8453',
        '424242',
        ASSETS.base,
        PAYTO.a,
        60,
        { assetTransferMethod: 'permit2', name: 'USD Coin', version: '2', somethingNew: { deep: [0, { x: 'y' }] }, decimals: 6 },
        { outputSchema: { input: { type: 'http', method: 'GET' } }, 'x-priority': 1 },
      ),
    ],
    resource: { url: 'https://permit2.example/i' },
  },
  {
    name: 'permit2 with eip2612GasSponsoring declared, signer without readContract: extension echoed, nothing signed',
    key: 'judy',
    now: 1749000000,
    accepts: [req('eip155:8453', '10000', ASSETS.base, PAYTO.b, 60, { name: 'USD Coin', version: '2', assetTransferMethod: 'permit2' })],
    resource: { url: 'https://permit2.example/j' },
    extensions: { eip2612GasSponsoring: { info: { description: 'server pays gas for an EIP-2612 permit', version: '1' }, schema: { type: 'object' } } },
  },
  {
    name: 'permit2 with eip2612GasSponsoring and a stub readContract (allowance 0, nonces 5): official client adds an EIP-2612 permit',
    key: 'mallory',
    now: 1750000000,
    stubReads: { allowance: 0n, nonces: 5n },
    accepts: [req('eip155:84532', '10000', ASSETS.baseSepolia, PAYTO.c, 300, { name: 'USDC', version: '2', assetTransferMethod: 'permit2' })],
    resource: { url: 'https://permit2.example/k' },
    extensions: { eip2612GasSponsoring: { info: { description: 'server pays gas for an EIP-2612 permit', version: '1' }, schema: { type: 'object' } } },
  },
  {
    name: 'permit2 with erc20ApprovalGasSponsoring and stub reads (allowance 0, transaction count 7, fees 3 and 1.5 gwei): official client signs the approve transaction',
    key: 'niaj',
    now: 1751000000,
    stubReads: { allowance: 0n, transactionCount: 7, maxFeePerGas: 3_000_000_000n, maxPriorityFeePerGas: 1_500_000_000n },
    accepts: [req('eip155:8453', '250000', ASSETS.base, PAYTO.a, 120, { assetTransferMethod: 'permit2' })],
    resource: { url: 'https://permit2.example/l' },
    extensions: { erc20ApprovalGasSponsoring: { info: { description: 'The facilitator broadcasts a pre-signed approve()', version: '1' }, schema: { type: 'object' } } },
  },
];

// ---------------------------------------------------------------------------------------------
// Helpers.

/** Deep copy with bigints written as decimal strings (JSON-safe). */
function jsonify(v) {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(jsonify);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonify(x)]));
  return v;
}

/** Inverse of jsonify for typed data: turns (u)int fields back into bigints using `types`. */
function reviveTypedData(td) {
  const reviveStruct = (typeName, value) => {
    const out = {};
    for (const { name, type } of td.types[typeName]) {
      const x = value[name];
      if (td.types[type]) out[name] = reviveStruct(type, x);
      else if (/^u?int\d*$/.test(type)) out[name] = BigInt(x);
      else out[name] = x;
    }
    return out;
  };
  return { ...td, message: reviveStruct(td.primaryType, td.message) };
}

/** EIP-712 encodeType: primary type first, then referenced struct types sorted by name. */
function encodeType({ primaryType, types }) {
  const deps = new Set();
  const walk = (t) => {
    const base = t.replace(/(\[\d*\])+$/, '');
    if (!types[base] || deps.has(base)) return;
    deps.add(base);
    for (const f of types[base]) walk(f.type);
  };
  walk(primaryType);
  deps.delete(primaryType);
  return [primaryType, ...[...deps].sort()].map((t) => `${t}(${types[t].map((f) => `${f.type} ${f.name}`).join(',')})`).join('');
}
// Well-known type hashes (USDC's TRANSFER_WITH_AUTHORIZATION_TYPEHASH, OpenZeppelin's PERMIT_TYPEHASH).
const KNOWN_TYPEHASHES = {
  TransferWithAuthorization: '0x7c7c6cdb67a18743f49ec6fa9b35f50d52ed05cbed4cc592e13b44501c1a2267',
  Permit: '0x6e71edae12b1b97f4d1f60370fef10105fa2faae0126114a169c64845d6126c9',
};

/** All hashes of a typed-data document (viem), plus a signature with `privateKey`. */
async function typedDataVector(privateKey, typedData) {
  const typesWithDomain = { EIP712Domain: getTypesForEIP712Domain({ domain: typedData.domain }), ...typedData.types };
  const encodedType = encodeType({ primaryType: typedData.primaryType, types: typedData.types });
  const out = {
    encodedType,
    typeHash: keccak256(toHex(encodedType)),
    domainSeparator: hashDomain({ domain: typedData.domain, types: typesWithDomain }),
    structHash: hashStruct({ data: typedData.message, primaryType: typedData.primaryType, types: typesWithDomain }),
    digest: hashTypedData(typedData),
  };
  const known = KNOWN_TYPEHASHES[typedData.primaryType];
  check(!known || known === out.typeHash, `typeHash of ${typedData.primaryType} is ${out.typeHash}, expected ${known}`);
  const account = privateKeyToAccount(privateKey);
  out.signature = await account.signTypedData(typedData);
  const recovered = await recoverTypedDataAddress({ ...typedData, signature: out.signature });
  check(recovered === account.address, `recoverTypedDataAddress gave ${recovered}, expected ${account.address}`);
  check((await recoverAddress({ hash: out.digest, signature: out.signature })) === account.address, 'recoverAddress(digest) mismatch');
  // The JSON form (decimal strings) must hash to the same digest once revived.
  const revived = reviveTypedData(jsonify(typedData));
  check(hashTypedData(revived) === out.digest, 'JSON typed data does not round-trip to the same digest');
  return out;
}

/** Runs `fn` with Date.now and crypto.getRandomValues fixed; returns fn's result and call counts. */
async function withFixedClockAndRandom(nowMs, randomBytes, fn) {
  const cryptoObj = globalThis.crypto;
  const realNow = Date.now;
  const hadOwn = Object.prototype.hasOwnProperty.call(cryptoObj, 'getRandomValues');
  const ownBefore = cryptoObj.getRandomValues;
  const calls = { dateNow: 0, getRandomValues: 0 };
  Date.now = () => {
    calls.dateNow += 1;
    return nowMs;
  };
  Object.defineProperty(cryptoObj, 'getRandomValues', {
    configurable: true,
    writable: true,
    value: (arr) => {
      calls.getRandomValues += 1;
      if (!(arr instanceof Uint8Array) || arr.length !== randomBytes.length) {
        fail(`unexpected getRandomValues(${arr?.constructor?.name}[${arr?.length}])`);
      }
      arr.set(randomBytes);
      return arr;
    },
  });
  try {
    return { result: await fn(), calls };
  } finally {
    Date.now = realNow;
    if (hadOwn) cryptoObj.getRandomValues = ownBefore;
    else delete cryptoObj.getRandomValues;
  }
}

// ---------------------------------------------------------------------------------------------
// Cases.

async function buildCase(spec, index) {
  const privateKey = spec.key.startsWith('0x') ? spec.key : keyFor(spec.key);
  const account = privateKeyToAccount(privateKey);
  const paymentRequired = { x402Version: 2, resource: spec.resource, accepts: spec.accepts };
  if (spec.extensions) paymentRequired.extensions = spec.extensions;
  // What the client is expected to select: the first eip155 offer.
  const acceptedIndex = spec.accepts.findIndex((r) => r.network.startsWith('eip155:'));
  const requirement = spec.accepts[acceptedIndex];
  const method = requirement.extra?.assetTransferMethod === 'permit2' ? 'permit2' : 'eip3009';
  const nonceBytes = spec.nonceBytes ?? bytes32(`nonce/${index}/${spec.name}`);
  const subMs = (index * 137) % 1000; // a sub-second part the client must floor away
  const dateNowMs = spec.now * 1000 + subMs;

  // --- Official client (frozen copy of the input so we can prove it echoes it unchanged) ---
  const input = JSON.parse(JSON.stringify(paymentRequired));
  const client = new x402Client();
  const reads = [];
  let signer = account;
  if (spec.stubReads) {
    const stubPublicClient = {
      readContract: async (args) => {
        reads.push(args.functionName);
        if (args.functionName === 'allowance') return spec.stubReads.allowance;
        if (args.functionName === 'nonces') return spec.stubReads.nonces;
        fail(`stub readContract: unexpected ${args.functionName}`);
      },
      getTransactionCount: async ({ address }) => {
        reads.push('transactionCount');
        check(address === account.address, `${spec.name}: transaction count of ${address}`);
        return spec.stubReads.transactionCount;
      },
      estimateFeesPerGas: async () => {
        reads.push('fees');
        const { maxFeePerGas, maxPriorityFeePerGas } = spec.stubReads;
        return { maxFeePerGas, maxPriorityFeePerGas };
      },
    };
    signer = toClientEvmSigner(account, stubPublicClient);
  }
  registerExactEvmScheme(client, { signer });
  client.setSpendControls(false); // allow any asset and amount (no default-asset USD cap)
  const { result: official, calls } = await withFixedClockAndRandom(dateNowMs, nonceBytes, () =>
    client.createPaymentPayload(input),
  );
  check(calls.getRandomValues === 1, `${spec.name}: getRandomValues called ${calls.getRandomValues} times`);
  check(calls.dateNow === 1, `${spec.name}: Date.now called ${calls.dateNow} times`);
  const payload = JSON.parse(JSON.stringify(official));

  // --- Our own expectation of what is signed, built from PROTOCOL.md section 3 ---
  const chainId = Number(requirement.network.slice('eip155:'.length));
  let typedData;
  let nonce;
  const validBefore = BigInt(spec.now + requirement.maxTimeoutSeconds);
  if (method === 'eip3009') {
    nonce = `0x${nonceBytes.toString('hex')}`;
    typedData = {
      domain: { name: requirement.extra.name, version: requirement.extra.version, chainId, verifyingContract: getAddress(requirement.asset) },
      types: EIP3009_TYPES,
      primaryType: 'TransferWithAuthorization',
      message: {
        from: account.address,
        to: getAddress(requirement.payTo),
        value: BigInt(requirement.amount),
        validAfter: 0n,
        validBefore,
        nonce,
      },
    };
  } else {
    nonce = BigInt(`0x${nonceBytes.toString('hex')}`).toString();
    typedData = {
      domain: { name: 'Permit2', chainId, verifyingContract: PERMIT2 },
      types: PERMIT2_TYPES,
      primaryType: 'PermitWitnessTransferFrom',
      message: {
        permitted: { token: getAddress(requirement.asset), amount: BigInt(requirement.amount) },
        spender: PERMIT2_PROXY,
        nonce: BigInt(nonce),
        deadline: validBefore,
        witness: { to: getAddress(requirement.payTo), validAfter: 0n },
      },
    };
  }
  const hashes = await typedDataVector(privateKey, typedData);

  // --- Cross-checks against the official payload ---
  check(payload.x402Version === 2, `${spec.name}: x402Version`);
  check(isDeepStrictEqual(payload.accepted, requirement), `${spec.name}: accepted is not the requirement verbatim`);
  check(JSON.stringify(payload.accepted) === JSON.stringify(requirement), `${spec.name}: accepted key order changed`);
  check(isDeepStrictEqual(payload.resource, spec.resource), `${spec.name}: resource not echoed`);
  check(isDeepStrictEqual(input, JSON.parse(JSON.stringify(paymentRequired))), `${spec.name}: client mutated its input`);
  check(payload.payload.signature === hashes.signature, `${spec.name}: official signature ${payload.payload.signature} != viem ${hashes.signature}`);
  if (method === 'eip3009') {
    const expected = jsonify(typedData.message);
    check(isDeepStrictEqual(payload.payload.authorization, expected), `${spec.name}: authorization differs: ${JSON.stringify(payload.payload.authorization)} vs ${JSON.stringify(expected)}`);
  } else {
    const m = typedData.message;
    const expected = {
      from: account.address,
      permitted: { token: m.permitted.token, amount: requirement.amount },
      spender: PERMIT2_PROXY,
      nonce,
      deadline: validBefore.toString(),
      witness: { to: m.witness.to, validAfter: '0' },
    };
    check(isDeepStrictEqual(payload.payload.permit2Authorization, expected), `${spec.name}: permit2Authorization differs: ${JSON.stringify(payload.payload.permit2Authorization)}`);
  }
  if (!spec.stubReads) {
    check(isDeepStrictEqual(payload.extensions, spec.extensions), `${spec.name}: extensions not echoed verbatim`);
  }

  const out = {
    name: spec.name,
    privateKey,
    address: account.address,
    method,
    paymentRequired,
    acceptedIndex,
    now: spec.now,
    dateNowMs,
    nonceBytes: `0x${nonceBytes.toString('hex')}`,
    nonce,
    typedData: jsonify(typedData),
    ...hashes,
    payload,
    paymentRequiredHeader: encodePaymentRequiredHeader(paymentRequired),
    paymentSignatureHeader: encodePaymentSignatureHeader(official),
  };

  // The EIP-2612 extension the official client added (stub readContract case).
  let eip2612 = null;
  if (spec.stubReads?.transactionCount !== undefined) {
    // The erc20ApprovalGasSponsoring transaction the official client signed, checked with viem.
    check(reads.join(',') === 'allowance,transactionCount,fees', `${spec.name}: unexpected reads ${reads}`);
    const info = payload.extensions?.erc20ApprovalGasSponsoring?.info;
    check(info && info.signedTransaction, `${spec.name}: no erc20ApprovalGasSponsoring info in the official payload`);
    const tx = parseTransaction(info.signedTransaction);
    const approve = `0x095ea7b3${PERMIT2.slice(2).toLowerCase().padStart(64, '0')}${'f'.repeat(64)}`;
    check(tx.type === 'eip1559' && tx.chainId === chainId && tx.nonce === spec.stubReads.transactionCount, `${spec.name}: approval transaction type, chain or nonce`);
    check(getAddress(tx.to) === getAddress(requirement.asset), `${spec.name}: approval target`);
    check(tx.data === approve && tx.gas === 70_000n && (tx.value ?? 0n) === 0n, `${spec.name}: approval calldata, gas or value`);
    check(tx.maxFeePerGas === spec.stubReads.maxFeePerGas && tx.maxPriorityFeePerGas === spec.stubReads.maxPriorityFeePerGas, `${spec.name}: approval fees`);
    check((await recoverTransactionAddress({ serializedTransaction: info.signedTransaction })) === account.address, `${spec.name}: approval signer`);
    check(info.amount === maxUint256.toString() && getAddress(info.spender) === PERMIT2, `${spec.name}: approval info`);
    out.stubApproval = {
      allowance: spec.stubReads.allowance.toString(),
      transactionCount: spec.stubReads.transactionCount,
      maxFeePerGas: spec.stubReads.maxFeePerGas.toString(),
      maxPriorityFeePerGas: spec.stubReads.maxPriorityFeePerGas.toString(),
    };
  } else if (spec.stubReads) {
    check(reads.join(',') === 'allowance,nonces', `${spec.name}: unexpected reads ${reads}`);
    const info = payload.extensions?.eip2612GasSponsoring?.info;
    check(info && info.signature, `${spec.name}: no eip2612GasSponsoring info in the official payload`);
    const permitTd = {
      domain: { name: requirement.extra.name, version: requirement.extra.version, chainId, verifyingContract: getAddress(requirement.asset) },
      types: EIP2612_TYPES,
      primaryType: 'Permit',
      message: { owner: account.address, spender: PERMIT2, value: BigInt(requirement.amount), nonce: spec.stubReads.nonces, deadline: validBefore },
    };
    const ph = await typedDataVector(privateKey, permitTd);
    check(info.signature === ph.signature, `${spec.name}: official EIP-2612 signature differs from viem`);
    check(info.deadline === validBefore.toString() && info.nonce === spec.stubReads.nonces.toString(), `${spec.name}: EIP-2612 info fields`);
    out.stubReadContract = { allowance: spec.stubReads.allowance.toString(), nonces: spec.stubReads.nonces.toString() };
    eip2612 = {
      name: `official eip2612GasSponsoring permit of case "${spec.name}"`,
      privateKey,
      address: account.address,
      typedData: jsonify(permitTd),
      ...ph,
    };
  }
  return { out, eip2612 };
}

// EIP-2612 Permit cases (viem only).
const EIP2612_CASES = [
  { name: 'permit to Permit2, infinite approval, nonce 0, base USDC', key: 'alice', chainId: 8453, token: ASSETS.base, tokenName: 'USD Coin', version: '2', spender: PERMIT2, value: maxUint256, nonce: 0n, deadline: 1740672149n },
  { name: 'permit exact amount 10000, nonce 1, base sepolia USDC', key: 'bob', chainId: 84532, token: ASSETS.baseSepolia, tokenName: 'USDC', version: '2', spender: PERMIT2, value: 10000n, nonce: 1n, deadline: 1700000060n },
  { name: 'permit unicode name, version 1, anvil', key: 'carol', chainId: 31337, token: ASSETS.anvil, tokenName: 'Tëst Tökén', version: '1', spender: PAYTO.a, value: 1n, nonce: 7n, deadline: 4294967295n },
  { name: 'permit large nonce and value above 2^64, ethereum', key: 'dave', chainId: 1, token: ASSETS.ethereum, tokenName: 'USD Coin', version: '2', spender: PAYTO.b, value: 2n ** 64n + 5n, nonce: 2n ** 70n, deadline: 1767225600n },
  { name: 'permit deadline uint256 max (no expiry), polygon', key: 'erin', chainId: 137, token: ASSETS.polygon, tokenName: 'USD Coin', version: '2', spender: PERMIT2, value: 123456789n, nonce: 3n, deadline: maxUint256 },
  { name: 'permit large chain id 324705682, emoji name', key: 'frank', chainId: 324705682, token: ASSETS.skale, tokenName: 'Bridged 🪙 USDC', version: '1.0.0', spender: PERMIT2_PROXY, value: 0n, nonce: 0n, deadline: 1800000000n },
  { name: 'permit private key 1, avalanche', key: hexKey(1n), chainId: 43114, token: ASSETS.avalanche, tokenName: 'USD Coin', version: '2', spender: PERMIT2, value: 10000n, nonce: 42n, deadline: 1750000000n },
  { name: 'permit arbitrum, value 2^256-2', key: 'grace', chainId: 42161, token: ASSETS.arbitrum, tokenName: 'USD Coin', version: '2', spender: PAYTO.c, value: maxUint256 - 1n, nonce: 9n, deadline: 1760000000n },
];

async function buildEip2612(spec) {
  const privateKey = spec.key.startsWith('0x') ? spec.key : keyFor(spec.key);
  const account = privateKeyToAccount(privateKey);
  const typedData = {
    domain: { name: spec.tokenName, version: spec.version, chainId: spec.chainId, verifyingContract: getAddress(spec.token) },
    types: EIP2612_TYPES,
    primaryType: 'Permit',
    message: { owner: account.address, spender: getAddress(spec.spender), value: spec.value, nonce: spec.nonce, deadline: spec.deadline },
  };
  return { name: spec.name, privateKey, address: account.address, typedData: jsonify(typedData), ...(await typedDataVector(privateKey, typedData)) };
}

// ---------------------------------------------------------------------------------------------
// Recovery cases (viem recoverAddress).

function vOf(signature) {
  return parseInt(signature.slice(130, 132), 16);
}

async function buildRecover(cases) {
  const recover = [];
  // Plain digests signed with derived keys until both v values are well represented.
  for (let i = 0; recover.length < 8 || !(recover.filter((r) => r.v === 27).length >= 3 && recover.filter((r) => r.v === 28).length >= 3); i++) {
    check(i < 64, 'could not find enough v=27/28 signatures');
    const privateKey = keyFor(`recover/${i}`);
    const digest = h(`recover/digest/${i}`);
    const signature = await sign({ hash: digest, privateKey, to: 'hex' });
    const address = privateKeyToAccount(privateKey).address;
    check((await recoverAddress({ hash: digest, signature })) === address, 'recover mismatch');
    recover.push({ name: `keccak digest ${i} signed by derived key`, digest, signature, address, v: vOf(signature) });
  }
  // A few from the payment cases.
  for (const c of cases.slice(0, 4)) {
    recover.push({ name: `digest of case "${c.name}"`, digest: c.digest, signature: c.signature, address: c.address, v: vOf(c.signature) });
  }
  // The public x402 spec example (transports-v2/http.md PAYMENT-SIGNATURE), see spec_http.json.
  const specTd = {
    domain: { name: 'USDC', version: '2', chainId: 84532, verifyingContract: '0x036CbD53842c5426634e7929541eC2318f3dCF7e' },
    types: EIP3009_TYPES,
    primaryType: 'TransferWithAuthorization',
    message: {
      from: '0x857b06519E91e3A54538791bDbb0E22373e36b66',
      to: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C',
      value: 10000n,
      validAfter: 1740672089n,
      validBefore: 1740672154n,
      nonce: '0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480',
    },
  };
  const specSig =
    '0x2d6a7588d6acca505cbf0d9a4a227e0c52c6c34008c8e8986a1283259764173608a2ce6496642e377d6da8dbbf5836e9bd15092f9ecab05ded3d6293af148b571c';
  const specDigest = hashTypedData(specTd);
  const specAddr = await recoverAddress({ hash: specDigest, signature: specSig });
  check(specAddr === specTd.message.from, `spec example recovers ${specAddr}`);
  recover.push({ name: 'x402 spec transports-v2 PAYMENT-SIGNATURE example', digest: specDigest, signature: specSig, address: specAddr, v: vOf(specSig) });
  return recover;
}

/** Same signatures with v written as y-parity 0/1 instead of 27/28 (viem accepts both). */
async function buildRecoverYParity(recover) {
  const out = [];
  for (const r of recover.slice(0, 4)) {
    const signature = r.signature.slice(0, 130) + (r.v === 27 ? '00' : '01');
    const address = await recoverAddress({ hash: r.digest, signature });
    check(address === r.address, 'y-parity recover mismatch');
    out.push({ name: `${r.name}, v as y-parity`, digest: r.digest, signature, address, v: r.v - 27 });
  }
  return out;
}

/** Same signatures rewritten to high-S form (s' = n - s, v flipped); viem still recovers the signer. */
async function buildRecoverHighS(recover) {
  const out = [];
  for (const r of recover.slice(0, 4)) {
    const s = hexToBigInt(`0x${r.signature.slice(66, 130)}`);
    const v = r.v === 27 ? 28 : 27;
    const signature = r.signature.slice(0, 66) + numberToHex(SECP256K1_N - s, { size: 32 }).slice(2) + v.toString(16);
    const address = await recoverAddress({ hash: r.digest, signature });
    check(address === r.address, 'high-S recover mismatch');
    out.push({ name: `${r.name}, high-S form`, digest: r.digest, signature, address, v });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const cases = [];
  const eip2612 = [];
  for (const [i, spec] of CASES.entries()) {
    const { out, eip2612: extra } = await buildCase(spec, i);
    cases.push(out);
    if (extra) eip2612.push(extra);
  }
  for (const spec of EIP2612_CASES) eip2612.push(await buildEip2612(spec));
  const recover = await buildRecover(cases);

  const nE = cases.filter((c) => c.method === 'eip3009').length;
  const nP = cases.filter((c) => c.method === 'permit2').length;
  check(nE >= 16 && nP >= 8, `need >=16 eip3009 and >=8 permit2 cases (have ${nE}, ${nP})`);
  check(eip2612.length >= 6, 'need >= 6 eip2612 cases');
  check(recover.length >= 8 && recover.some((r) => r.v === 27) && recover.some((r) => r.v === 28), 'recover cases');
  const names = new Set(cases.map((c) => c.name));
  check(names.size === cases.length, 'duplicate case names');

  const doc = {
    source: `generated by tests/js/gen/evm-vectors.mjs with viem ${VERSIONS.viem} and @x402/evm ${VERSIONS.evm}`,
    generator: { viem: VERSIONS.viem, '@x402/core': VERSIONS.core, '@x402/evm': VERSIONS.evm },
    constants: { permit2: PERMIT2, x402ExactPermit2Proxy: PERMIT2_PROXY },
    cases,
    eip2612,
    recover,
    recoverYParity: await buildRecoverYParity(recover),
    recoverHighS: await buildRecoverHighS(recover),
  };
  mkdirSync(path.dirname(OUT_FILE), { recursive: true });
  writeFileSync(OUT_FILE, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(
    `wrote ${path.relative(process.cwd(), OUT_FILE) || OUT_FILE}: ${cases.length} cases (${nE} eip3009, ${nP} permit2), ` +
      `${eip2612.length} eip2612, ${recover.length} recover`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
