// Shared inputs of every benchmark: one key, one PaymentRequired (x402 v2, EIP-3009 USDC on
// Base), and the EIP-712 typed data the `exact` scheme signs for it.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = path.resolve(BENCH_DIR, '..');
/** The built package; BENCH_PKG_DIR points the benchmark at another build (e.g. an experiment). */
export const PKG_DIR = path.resolve(process.env.BENCH_PKG_DIR ?? path.join(REPO_DIR, 'dist', 'pkg'));
export const PKG_NODE_ENTRY = path.join(PKG_DIR, 'index.node.js');

/** A fixed test key (never holds funds). */
export const KEY = '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';
/** The fixed client clock of our side, Unix seconds. */
export const NOW = 1_800_000_000;

export const REQUIREMENT = {
  scheme: 'exact',
  network: 'eip155:8453',
  amount: '10000',
  asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
  payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C',
  maxTimeoutSeconds: 300,
  extra: { name: 'USD Coin', version: '2' },
};

export const PAYMENT_REQUIRED = {
  x402Version: 2,
  resource: {
    url: 'https://api.example.com/premium-data',
    description: 'Premium market data',
    mimeType: 'application/json',
  },
  accepts: [REQUIREMENT],
};

/** The EIP-3009 TransferWithAuthorization typed data for `from` (viem's shape, bigint integers). */
export function transferTypedData(from) {
  return {
    domain: { name: 'USD Coin', version: '2', chainId: 8453, verifyingContract: REQUIREMENT.asset },
    types: {
      TransferWithAuthorization: [
        { name: 'from', type: 'address' },
        { name: 'to', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'validAfter', type: 'uint256' },
        { name: 'validBefore', type: 'uint256' },
        { name: 'nonce', type: 'bytes32' },
      ],
    },
    primaryType: 'TransferWithAuthorization',
    message: {
      from,
      to: REQUIREMENT.payTo,
      value: 10000n,
      validAfter: BigInt(NOW - 600),
      validBefore: BigInt(NOW + REQUIREMENT.maxTimeoutSeconds),
      nonce: `0x${'ab'.repeat(32)}`,
    },
  };
}

/** Imports the built package, or explains how to build it and exits 1. */
export async function loadOurs() {
  if (!existsSync(PKG_NODE_ENTRY)) {
    console.error(`bench: ${PKG_NODE_ENTRY} is missing.`);
    console.error('Build the package first, from the repository root:  bash scripts/build.sh');
    process.exit(1);
  }
  const ours = await import(pathToFileURL(PKG_NODE_ENTRY).href);
  // The facade wraps every export, so ask the wasm-bindgen glue whether the build is current.
  const glue = await import(pathToFileURL(path.join(PKG_DIR, 'x402_wasm.js')).href);
  const missing = NEEDED.filter((name) => typeof glue[name] !== 'function');
  if (missing.length) {
    console.error(`bench: ${PKG_DIR} predates ${missing.join(', ')}; rebuild:  bash scripts/build.sh`);
    process.exit(1);
  }
  return ours;
}

const NEEDED = ['evmPrivateKeyWallet', 'createPaymentPayload', 'hashTypedData', 'recoverTypedDataAddress',
  'verifyPayment'];

/** The installed version of an npm package (bench/node_modules) or of dist/pkg. */
export function versionOf(name) {
  const dir = name === 'x402-wasm' ? PKG_DIR : path.join(BENCH_DIR, 'node_modules', name);
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
}
