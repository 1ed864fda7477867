// The local end-to-end demo (make demo): one paid HTTP request, settled on a local chain.
//
//   1. A local chain: anvil (chain 31337) with a USDC-like EIP-3009 token, and the official x402
//      facilitator (@x402/core + @x402/evm) running in this process; it pays the gas.
//   2. The seller (www/demo/api.mjs): GET /weather on 127.0.0.1 costs 0.01 USDC.
//   3. The buyer (www/demo/client.mjs): x402-wasm + fetch only. 402 -> sign -> retry -> 200 + receipt.
//   4. The proof: balances read from the chain, and the transaction's receipt.
//
// Needs the built package (bash scripts/build.sh) and the test harness's npm dependencies
// (bash scripts/setup.sh); `make demo` does both. Exit code 0 only if the payee got exactly 0.01 USDC.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const NETWORK = 'eip155:31337';
const PRICE = 10_000n; // 0.01 USDC in atomic units (6 decimals)
const MINTED = 10_000_000n; // 10 USDC for the payer

// Whatever happens, the demo ends by itself: a hung step fails it (anvil dies with the process).
setTimeout(() => {
  console.error('\nFAIL: the demo did not finish within 50 s');
  process.exit(1);
}, 50_000).unref();

for (const [path, fix] of [['dist/pkg/index.node.js', 'bash scripts/build.sh'], ['tests/js/node_modules/viem', 'bash scripts/setup.sh']]) {
  if (!existsSync(join(ROOT, path))) {
    console.error(`missing ${path}: run \`${fix}\` first (or \`make demo\`, which does everything)`);
    process.exit(1);
  }
}

const x402 = await import('../dist/pkg/index.node.js');
const { getAddress } = createRequire(join(ROOT, 'tests', 'js', 'package.json'))('viem'); // EIP-55 display
const chain = await import('../tests/js/lib/chain.mjs');
const { startWeatherApi } = await import('./demo/api.mjs');
const { payForResource, replayPayment } = await import('./demo/client.mjs');

const usdc = (amount) => `${x402.formatUnits(String(amount), 6)} USDC`;
const section = (title) => console.log(`\n== ${title} ${'='.repeat(Math.max(0, 74 - title.length))}`);
const say = (who) => (text) => console.log(`  ${who.padEnd(6)} | ${text}`);
const show = (label, value) => console.log(`  ${label.padEnd(12)} ${value}`);

const cleanups = [];
let wallet;
try {
  console.log('x402-wasm demo: one paid HTTP request, settled on a local chain');

  section('1. Local chain');
  const anvil = await chain.startAnvil({ chainId: 31337 });
  cleanups.push(() => anvil.stop());
  show('anvil', `${anvil.rpcUrl} (chain id ${anvil.chainId}, network ${NETWORK})`);
  const token = await chain.deployTestUSDC(anvil);
  token.address = getAddress(token.address);
  show('token', `${token.address} TestUSDC: EIP-3009, EIP-712 domain "USDC" version "2", 6 decimals`);
  show('multicall3', await chain.installMulticall3(anvil));
  const facilitator = await chain.startOfficialFacilitator({ ...anvil, network: NETWORK });
  show('facilitator', `official x402 v2 (@x402/evm exact), in-process; pays gas from ${facilitator.gasPayer}`);

  wallet = x402.evmPrivateKeyWallet(`0x${randomBytes(32).toString('hex')}`);
  await chain.mint(token, wallet.address, MINTED);
  show('payer', `${wallet.address} fresh key, held in wasm (evmPrivateKeyWallet); minted ${usdc(MINTED)}, 0 ETH`);
  const payTo = chain.anvilAccount(2).address;
  show('payee', `${payTo} (anvil account #2, the seller)`);

  const requirement = {
    scheme: 'exact', network: NETWORK, amount: String(PRICE), asset: token.address, payTo,
    maxTimeoutSeconds: 60, extra: { name: 'USDC', version: '2' },
  };
  const api = await startWeatherApi({ requirement, facilitator, log: say('api') });
  cleanups.push(() => api.close());
  show('api', `GET ${api.url} costs ${usdc(PRICE)}`);

  const read = async () => ({
    payer: await chain.balanceOf(token, wallet.address),
    payee: await chain.balanceOf(token, payTo),
    payerEth: await token.publicClient.getBalance({ address: wallet.address }),
  });
  const before = await read();

  section('2. Client pays for GET /weather (x402-wasm + fetch only)');
  const client = say('client');
  const paid = await payForResource({ url: api.url, wallet, network: NETWORK, log: client });

  section('3. Replaying the same payment is refused');
  const replay = await replayPayment({ url: api.url, headerName: paid.headerName, paymentHeader: paid.paymentHeader, log: client });

  section('4. On-chain check');
  const after = await read();
  const hash = paid.receipt.transaction;
  const tx = await token.publicClient.getTransactionReceipt({ hash });
  show('transaction', `${hash}: status ${tx.status}, block ${tx.blockNumber}, gas paid by ${getAddress(tx.from)}`);
  show('payer', `${usdc(before.payer)} -> ${usdc(after.payer)} (ETH ${before.payerEth} -> ${after.payerEth}: the payer never pays gas)`);
  show('payee', `${usdc(before.payee)} -> ${usdc(after.payee)}`);

  const problems = [];
  if (after.payee - before.payee !== PRICE) problems.push(`payee received ${after.payee - before.payee} atomic units, expected ${PRICE}`);
  if (before.payer - after.payer !== PRICE) problems.push(`payer spent ${before.payer - after.payer} atomic units, expected ${PRICE}`);
  if (tx.status !== 'success') problems.push(`transaction status ${tx.status}`);
  if (tx.to?.toLowerCase() !== token.address.toLowerCase()) problems.push(`transaction went to ${tx.to}, not the token`);
  if (replay.status !== 402 || replay.receipt?.success !== false) problems.push(`the replay was answered ${replay.status}`);
  if (problems.length) throw new Error(`balance check failed:\n  - ${problems.join('\n  - ')}`);
  console.log(`\nbalance check: OK, the payee received exactly ${PRICE} atomic units (${usdc(PRICE)}) in a successful transaction`);
} catch (err) {
  console.error(`\nFAIL: ${err instanceof x402.X402Error ? `${err.code}: ` : ''}${err?.message ?? err}`);
  process.exitCode = 1;
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  wallet?.free();
}
