// Real-chain test harness: a local anvil node, the EIP-3009 TestUSDC token (compiled with solcjs and
// deployed with viem), Multicall3, and the official x402 v2 facilitator in-process or over loopback HTTP.
// Every helper is async and every process or server it starts is stopped by stop()/close() or at exit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPublicClient, createWalletClient, defineChain, getAddress, http, publicActions } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { x402Facilitator } from '@x402/core/facilitator';
import { toFacilitatorEvmSigner } from '@x402/evm';
import { registerExactEvmScheme } from '@x402/evm/exact/facilitator';

const require = createRequire(import.meta.url);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';
export const MULTICALL3_ADDRESS = '0xcA11bde05977b3631167028862bE2a173976CA11';

const accounts = new Map(); // derivation costs ~70 ms, so derive each index once
/** Anvil's default account `index` (a viem local account derived from the default mnemonic). */
export function anvilAccount(index = 0) {
  if (!accounts.has(index)) accounts.set(index, mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: index }));
  return accounts.get(index);
}

/** A viem chain object for a local anvil node. */
export function anvilChain({ rpcUrl, chainId }) {
  const nativeCurrency = { name: 'Ether', symbol: 'ETH', decimals: 18 };
  return defineChain({ id: chainId, name: `anvil-${chainId}`, nativeCurrency, rpcUrls: { default: { http: [rpcUrl] } } });
}

/** Raw JSON-RPC call; throws an Error carrying the RPC error's `code` on an RPC error. */
export async function rpc(rpcUrl, method, params = []) {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
  const res = await (await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json();
  if (res.error) throw Object.assign(new Error(`${method}: ${res.error.message}`), { code: res.error.code });
  return res.result;
}

// ---- anvil ----

const children = new Set();
function killChildren() {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killChildren();
    process.kill(process.pid, signal); // re-raise with the default behaviour
  });
}

/** Starts anvil on 127.0.0.1 (a port the system picks, default mnemonic). Returns { rpcUrl, chainId, stop() }. */
export async function startAnvil({ chainId = 31337 } = {}) {
  const bin = join(dirname(require.resolve('@foundry-rs/anvil-linux-amd64/package.json')), 'bin', 'anvil');
  // Port 0: anvil binds a free port itself and prints it (`Listening on 127.0.0.1:<port>`), so two
  // test processes can never pick the same one (a port found free and then bound is a race), and
  // what answers is this anvil. Its stdout (the banner, then a line per request) is drained.
  const child = spawn(bin, ['--host', '127.0.0.1', '--port', '0', '--chain-id', String(chainId)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.unref(); // never keeps the test process alive; the exit hook kills it
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  child.stderr.unref();
  let banner = '';
  let port;
  child.stdout.on('data', (d) => {
    if (port !== undefined) return;
    banner = (banner + d).slice(-8000);
    const listening = /Listening on 127\.0\.0\.1:(\d+)/.exec(banner);
    if (listening) port = Number(listening[1]);
  });
  child.stdout.unref();
  const exited = new Promise((resolve) => child.once('exit', resolve));

  const stop = async () => {
    if (!children.delete(child)) return;
    child.ref(); // keep the event loop alive until anvil has really gone
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      children.delete(child);
      throw new Error(`anvil exited early (${child.exitCode ?? child.signalCode}): ${stderr}`);
    }
    const rpcUrl = port === undefined ? undefined : `http://127.0.0.1:${port}`;
    try {
      if (rpcUrl === undefined) throw new Error('it has not said where it listens yet');
      const id = await rpc(rpcUrl, 'eth_chainId');
      if (Number(id) !== chainId) throw new Error(`anvil answered chain id ${id}, wanted ${chainId}`);
      return { rpcUrl, chainId, stop };
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`anvil did not answer on ${rpcUrl ?? '(no port yet)'}: ${err.message} ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

// ---- TestUSDC ----

/** Compiles contracts/TestUSDC.sol with solcjs; cached in .cache/ by source + compiler + OZ version. */
export function compileTestUSDC() {
  return compileContract('TestUSDC');
}

/** Compiles contracts/<name>.sol (contract <name>) with solcjs; cached as compileTestUSDC says. */
export async function compileContract(name) {
  const source = await readFile(join(ROOT, 'contracts', `${name}.sol`), 'utf8');
  const ozDir = dirname(require.resolve('@openzeppelin/contracts/package.json'));
  const ozVersion = JSON.parse(await readFile(join(ozDir, 'package.json'), 'utf8')).version;
  const settings = {
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { '*': { [name]: ['abi', 'evm.bytecode.object'] } },
  };
  // Loading solcjs costs ~0.5 s, so the cache key uses its package version (= compiler version).
  const solcVersion = JSON.parse(await readFile(require.resolve('solc/package.json'), 'utf8')).version;
  const key = createHash('sha256').update(JSON.stringify([source, solcVersion, ozVersion, settings])).digest('hex').slice(0, 16);
  const cacheDir = join(ROOT, '.cache');
  const cacheFile = join(cacheDir, `${name}-${key}.json`);
  try {
    return JSON.parse(await readFile(cacheFile, 'utf8'));
  } catch { /* not cached yet */ }

  const findImports = (path) => {
    if (!path.startsWith('@openzeppelin/contracts/')) return { error: `import not allowed: ${path}` };
    try {
      return { contents: readFileSync(join(ozDir, path.slice('@openzeppelin/contracts/'.length)), 'utf8') };
    } catch (err) {
      return { error: err.message };
    }
  };
  const solc = require('solc');
  const input = { language: 'Solidity', sources: { [`${name}.sol`]: { content: source } }, settings };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const contract = output.contracts[`${name}.sol`][name];
  const artifact = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };

  await mkdir(cacheDir, { recursive: true });
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(artifact));
  await rename(tmp, cacheFile); // atomic: parallel test files never read half a file
  return artifact;
}

/** viem public + wallet clients on anvil for `account`, with fast receipt polling. */
export function anvilClients({ rpcUrl, chainId }, account = anvilAccount(0)) {
  const chain = anvilChain({ rpcUrl, chainId });
  const transport = http(rpcUrl);
  return {
    publicClient: createPublicClient({ chain, transport, pollingInterval: 50 }),
    walletClient: createWalletClient({ account, chain, transport, pollingInterval: 50 }),
  };
}

/** Deploys TestUSDC with anvil account 0. Returns { address, abi, publicClient, walletClient, deployer }. */
export async function deployTestUSDC(anvil) {
  return { ...(await deploy(anvil, await compileTestUSDC(), [], 'TestUSDC')), deployer: anvilAccount(0).address };
}

/** Deploys contracts/<name>.sol with anvil account 0 and constructor `args`; resolves to its checksummed address. */
export async function deployContract(anvil, name, args = []) {
  return getAddress((await deploy(anvil, await compileContract(name), args, name)).address);
}

async function deploy({ rpcUrl, chainId }, { abi, bytecode }, args, name) {
  const { publicClient, walletClient } = anvilClients({ rpcUrl, chainId }, anvilAccount(0));
  const hash = await walletClient.deployContract({ abi, bytecode, args });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error(`${name} deployment failed`);
  return { address: receipt.contractAddress, abi, publicClient, walletClient };
}

/**
 * A settlement on chain: transaction `hash` succeeded, called the token, and moved exactly `price`
 * from `payer` to `payTo` (`before`: their balances { payer, payee } before paying).
 */
export async function assertSettled(token, hash, { payer, payTo, before, price }) {
  assert.match(hash ?? '', /^0x[0-9a-f]{64}$/i, `settlement transaction ${hash}`);
  const receipt = await token.publicClient.getTransactionReceipt({ hash });
  assert.equal(receipt.status, 'success');
  assert.equal(getAddress(receipt.to), getAddress(token.address), 'the transaction calls the token');
  assert.equal(await balanceOf(token, payTo), before.payee + price, 'payee received exactly the price');
  assert.equal(await balanceOf(token, payer), before.payer - price, 'payer spent exactly the price');
}

/** Token balance (bigint) of `address`; ctx is what deployTestUSDC returned. */
export async function balanceOf(ctx, address) {
  return ctx.publicClient.readContract({ address: ctx.address, abi: ctx.abi, functionName: 'balanceOf', args: [address] });
}

/** Mints `amount` (atomic units, bigint or string) to `to` and waits for the receipt. */
export async function mint(ctx, to, amount) {
  const hash = await ctx.walletClient.writeContract({
    address: ctx.address, abi: ctx.abi, functionName: 'mint', args: [to, BigInt(amount)],
  });
  const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`mint reverted (${hash})`);
  return receipt;
}

/** Puts Multicall3 (viem's bundled build) at its canonical address. */
export async function installMulticall3({ rpcUrl }) {
  // viem does not export the bytecode from its entry point; read it from viem's own constants module.
  const file = join(dirname(fileURLToPath(import.meta.resolve('viem'))), 'constants', 'contracts.js');
  const match = /multicall3Bytecode\s*=\s*'(0x[0-9a-fA-F]+)'/.exec(await readFile(file, 'utf8'));
  if (!match) throw new Error(`multicall3Bytecode not found in ${file}`);
  // A creation eth_call returns the runtime code, which is what anvil_setCode needs.
  const runtime = await rpc(rpcUrl, 'eth_call', [{ data: match[1] }, 'latest']);
  await rpc(rpcUrl, 'anvil_setCode', [MULTICALL3_ADDRESS, runtime]);
  return MULTICALL3_ADDRESS;
}

// ---- official x402 facilitator ----

/**
 * The official v2 facilitator (exact EVM) in-process; anvil account `gasPayerIndex` pays gas. It
 * deploys ERC-6492 (counterfactual) wallets only through `eip6492AllowedFactories`.
 */
export async function startOfficialFacilitator({
  rpcUrl, chainId, network = `eip155:${chainId}`, gasPayerIndex = 1, eip6492AllowedFactories = [],
}) {
  const { walletClient } = anvilClients({ rpcUrl, chainId }, anvilAccount(gasPayerIndex));
  const signer = toFacilitatorEvmSigner(walletClient.extend(publicActions));
  const facilitator = new x402Facilitator();
  registerExactEvmScheme(facilitator, { signer, networks: network, eip6492AllowedFactories });
  return {
    facilitator,
    signer,
    walletClient,
    network,
    gasPayer: walletClient.account.address,
    verify: (payload, requirements) => facilitator.verify(payload, requirements),
    settle: (payload, requirements) => facilitator.settle(payload, requirements),
    supported: async () => facilitator.getSupported(),
  };
}

/**
 * A fresh anvil (chain 31337) with TestUSDC (address checksummed) and Multicall3, the official v2
 * facilitator in-process, and the payee (anvil account 2). Stops anvil at t.after.
 * Returns { anvil, token, facilitator, payTo }.
 */
export async function officialChain(t, network = 'eip155:31337') {
  const anvil = await startAnvil({ chainId: 31337 });
  t.after(() => anvil.stop());
  const token = await deployTestUSDC(anvil);
  token.address = getAddress(token.address);
  await installMulticall3(anvil);
  const facilitator = await startOfficialFacilitator({ ...anvil, network });
  return { anvil, token, facilitator, payTo: anvilAccount(2).address };
}

/** Serves a facilitator on 127.0.0.1 (POST /verify, POST /settle, GET /supported). Returns { url, close() }. */
export async function serveFacilitatorHttp(facilitator) {
  const f = facilitator.facilitator ?? facilitator; // accept startOfficialFacilitator's result too
  const server = createServer(async (req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
    };
    const path = new URL(req.url, 'http://127.0.0.1').pathname;
    const op = { 'GET /supported': 'supported', 'POST /verify': 'verify', 'POST /settle': 'settle' }[`${req.method} ${path}`];
    if (!op) return send(404, { error: 'not found' });
    let body = {};
    try {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      if (op !== 'supported') body = JSON.parse(Buffer.concat(chunks).toString('utf8')) ?? {};
    } catch {
      return send(400, { error: 'invalid JSON body' });
    }
    const { paymentPayload, paymentRequirements } = body;
    if (op !== 'supported' && (!paymentPayload || !paymentRequirements)) {
      return send(400, { error: 'paymentPayload and paymentRequirements are required' });
    }
    try {
      if (op === 'supported') return send(200, await f.getSupported());
      return send(200, await f[op](paymentPayload, paymentRequirements)); // invalid/failed results are 200 too
    } catch (err) {
      const message = err?.message ?? String(err);
      if (op === 'verify') return send(500, { isValid: false, invalidReason: 'unexpected_verify_error', invalidMessage: message });
      if (op === 'settle') {
        return send(500, { success: false, errorReason: 'unexpected_settle_error', errorMessage: message,
          transaction: '', network: paymentRequirements.network });
      }
      return send(500, { error: message });
    }
  });
  await new Promise((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  server.unref(); // an unclosed server never keeps the test process alive
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
