#!/usr/bin/env node
// Row a alone (EVM payload creation against viem's signTypedData and the official client), with
// the breakdown of our side. For iterating on createPaymentPayload; nothing is written.
//   node bench/row-a.mjs [runs]      (BENCH_PKG_DIR picks another build, as in run.mjs)
import { KEY, NOW, PAYMENT_REQUIRED, loadOurs, transferTypedData } from './lib/fixtures.mjs';
import { alternateThroughput } from './lib/measure.mjs';

const x = await loadOurs();
const { privateKeyToAccount } = await import('viem/accounts');
const { x402Client } = await import('@x402/core/client');
const { registerExactEvmScheme } = await import('@x402/evm/exact/client');

const runs = Math.max(3, Number(process.argv[2]) || 5);
const wallet = x.evmPrivateKeyWallet(KEY);
const account = privateKeyToAccount(KEY);
const client = new x402Client();
registerExactEvmScheme(client, { signer: account });
client.setSpendControls(false);
const typedData = transferTypedData(account.address);

const r = await alternateThroughput([
  { name: 'ours', async: true, fn: () => x.createPaymentPayload(PAYMENT_REQUIRED, 0, wallet, { now: NOW }) },
  { name: 'official', async: true, fn: () => client.createPaymentPayload(PAYMENT_REQUIRED) },
  { name: 'viemSign', async: true, fn: () => account.signTypedData(typedData) },
  { name: 'oursHash', async: false, fn: () => x.hashTypedData(typedData) },
  { name: 'oursSign', async: true, fn: () => wallet.signTypedData(typedData) },
], { runs, sampleMs: 1000, warmupMs: 500 });

const f = (n) => Math.round(n).toLocaleString('en-US');
for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(9)} ${f(v.median).padStart(7)} ops/s  ${(1e6 / v.median).toFixed(1)} µs`);
console.log(`ours / viemSign ${(r.ours.median / r.viemSign.median).toFixed(2)}x (target 4x); ours / official ${(r.ours.median / r.official.median).toFixed(2)}x`);
