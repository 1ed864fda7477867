// Tests for wallets/viem.js with real viem objects: a LocalAccount, and WalletClients whose custom
// transport answers locally (no network).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { viemWallet } from './viem.js';
import { X402Error } from '../errors.js';

// viem lives in tests/js/node_modules; resolve its ESM entries from there so any cwd works.
const fromTests = createRequire(new URL('../../tests/js/package.json', import.meta.url));
const viemPkg = fromTests('viem/package.json');
const viemEsm = (entry) =>
  import(pathToFileURL(join(dirname(fromTests.resolve('viem/package.json')), viemPkg.exports[entry].import)).href);
const { createWalletClient, custom, recoverTypedDataAddress, UserRejectedRequestError } = await viemEsm('.');
const { privateKeyToAccount } = await viemEsm('./accounts');

const alice = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');

const typedData = (chainId = 84532) => ({
  domain: { name: 'Permit2', chainId, verifyingContract: '0x000000000022D473030F116dDEE9F6B43aC78BA3' },
  types: {
    PermitWitnessTransferFrom: [
      { name: 'permitted', type: 'TokenPermissions' }, { name: 'spender', type: 'address' },
      { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' }, { name: 'witness', type: 'Witness' },
    ],
    TokenPermissions: [{ name: 'token', type: 'address' }, { name: 'amount', type: 'uint256' }],
    Witness: [{ name: 'to', type: 'address' }, { name: 'validAfter', type: 'uint256' }],
  },
  primaryType: 'PermitWitnessTransferFrom',
  message: {
    permitted: { token: '0x036CbD53842c5426634e7929541eC2318f3dCF7e', amount: 10000n },
    spender: '0x402085c248EeA27D92E8b30b2C58ed07f9E20001',
    nonce: 2n ** 255n + 1n,
    deadline: 1893456000n,
    witness: { to: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', validAfter: 0n },
  },
});

/** A local stand-in for a browser wallet behind a viem custom transport: one account, one chain. */
/**
 * `switchLag`: for this long (ms) after a switch the wallet accepted, it still reports (and signs
 * for) the old chain, as MetaMask does for about half a second. `refuseAccounts`: eth_accounts is
 * refused 4100 until connected, as the Coinbase Wallet SDK does.
 */
function fakeWallet({ chainId = 84532, known = [1, 84532], reject = false, connected = true, switchLag = 0, refuseAccounts = false } = {}) {
  const rpcError = (code, message) => Object.assign(new Error(message), { code });
  const calls = [];
  const state = { chainId, connected, previous: chainId, switchedAt: 0 };
  const active = () => (Date.now() - state.switchedAt < switchLag ? state.previous : state.chainId);
  const request = async ({ method, params }) => {
    calls.push(method);
    switch (method) {
      case 'eth_accounts':
        if (!state.connected && refuseAccounts) throw rpcError(4100, "Must call 'eth_requestAccounts' before other methods");
        return state.connected ? [alice.address] : [];
      case 'eth_requestAccounts': state.connected = true; return [alice.address];
      case 'eth_chainId': return `0x${active().toString(16)}`;
      case 'wallet_switchEthereumChain': {
        const id = Number(BigInt(params[0].chainId));
        if (!known.includes(id)) throw rpcError(4902, 'Unrecognized chain ID');
        Object.assign(state, { previous: active(), chainId: id, switchedAt: Date.now() });
        return null;
      }
      case 'eth_signTypedData_v4': {
        const { types: { EIP712Domain, ...types }, domain, primaryType, message } = JSON.parse(params[1]);
        if (reject) throw rpcError(4001, 'User denied message signature.');
        if (Number(domain.chainId) !== active()) throw rpcError(-32603, 'chainId must match the active chainId');
        return alice.signTypedData({ domain, types, primaryType, message: bigints(types, primaryType, message) });
      }
      case 'eth_sendTransaction':
        if (reject) throw rpcError(4001, 'User denied transaction signature.');
        state.sent = params[0];
        return `0x${'5e'.repeat(32)}`;
      case 'eth_getTransactionReceipt':
        return params[0] === `0x${'5e'.repeat(32)}` ? { status: '0x1' } : null;
      case 'eth_getCode':
        return state.chainId === 84532 && params[0] === alice.address ? '0xef0100' : '0x';
      default: throw rpcError(4200, `unsupported ${method}`);
    }
  };
  return { request, calls, state };
}

function bigints(types, type, value) {
  if (types[type]) return Object.fromEntries(types[type].map((f) => [f.name, bigints(types, f.type, value[f.name])]));
  return /^u?int\d*$/.test(type) ? BigInt(value) : value;
}

const jsonRpcClient = (wallet, account = alice.address) =>
  createWalletClient({ account, transport: custom(wallet, { retryCount: 0 }) });

test('a viem LocalAccount signs typed data that recovers to it', async () => {
  const wallet = viemWallet(alice);
  assert.equal(wallet.kind, 'evm');
  assert.equal(wallet.address, alice.address);
  assert.equal(await wallet.getAddress(), alice.address);
  const typed = typedData();
  const signature = await wallet.signTypedData(typed);
  assert.match(signature, /^0x[0-9a-f]{130}$/);
  assert.equal(await recoverTypedDataAddress({ ...typed, signature }), alice.address);
});

test('a WalletClient with a local account signs locally, never asking the transport', async () => {
  const calls = [];
  const client = createWalletClient({
    account: alice,
    transport: custom({ request: async ({ method }) => { calls.push(method); throw new Error('no network'); } }, { retryCount: 0 }),
  });
  const wallet = viemWallet(client);
  assert.equal(wallet.walletClient, client);
  assert.equal(await wallet.getAddress(), alice.address);
  const typed = typedData(8453); // another chain: irrelevant to a local key
  const signature = await wallet.signTypedData(typed);
  assert.equal(await recoverTypedDataAddress({ ...typed, signature }), alice.address);
  assert.deepEqual(calls, []);
});

test('a JSON-RPC WalletClient signs through eth_signTypedData_v4 and recovers to the account', async () => {
  const fake = fakeWallet();
  const typed = typedData();
  const signature = await viemWallet(jsonRpcClient(fake)).signTypedData(typed);
  assert.equal(await recoverTypedDataAddress({ ...typed, signature }), alice.address);
  assert.deepEqual(fake.calls, ['eth_chainId', 'eth_signTypedData_v4']);
});

test('a JSON-RPC WalletClient on another chain is switched before signing', async () => {
  const fake = fakeWallet({ chainId: 1 });
  const typed = typedData(84532);
  const signature = await viemWallet(jsonRpcClient(fake)).signTypedData(typed);
  assert.equal(await recoverTypedDataAddress({ ...typed, signature }), alice.address);
  // The chain is read again after the switch: a wallet may accept it before it takes effect.
  assert.deepEqual(fake.calls, ['eth_chainId', 'wallet_switchEthereumChain', 'eth_chainId', 'eth_signTypedData_v4']);
  assert.equal(fake.state.chainId, 84532);
});

test('a switch the wallet accepts before it takes effect (MetaMask) is waited for, then signed on', async () => {
  const fake = fakeWallet({ chainId: 1, switchLag: 400 });
  const typed = typedData(84532);
  const signature = await viemWallet(jsonRpcClient(fake)).signTypedData(typed);
  assert.equal(await recoverTypedDataAddress({ ...typed, signature }), alice.address);
  assert.ok(fake.calls.filter((m) => m === 'eth_chainId').length > 2, 'the chain was read again');
});

test('a switch the wallet accepts but never makes is CHAIN_NOT_AVAILABLE, nothing signed', async () => {
  const fake = fakeWallet({ chainId: 1, switchLag: Infinity });
  const started = Date.now();
  await assert.rejects(viemWallet(jsonRpcClient(fake)).signTypedData(typedData(84532)), (e) =>
    e instanceof X402Error && e.code === 'CHAIN_NOT_AVAILABLE');
  assert.equal(fake.calls.includes('eth_signTypedData_v4'), false);
  assert.ok(Date.now() - started < 5_000);
  // An abort ends the wait at once, with the signal's reason.
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('left the page')), 60);
  await assert.rejects(
    viemWallet(jsonRpcClient(fakeWallet({ chainId: 1, switchLag: Infinity }))).signTypedData(typedData(84532), { signal: controller.signal }),
    { message: 'left the page' },
  );
});

test('eth_accounts refused 4100 until connected (Coinbase Wallet SDK): eth_requestAccounts is asked, once', async () => {
  const fake = fakeWallet({ connected: false, refuseAccounts: true });
  // The transport's default retry policy: the prompt must not be repeated by it.
  const wallet = viemWallet(createWalletClient({ transport: custom(fake) }));
  assert.equal(await wallet.getAddress(), alice.address);
  assert.deepEqual(fake.calls, ['eth_accounts', 'eth_requestAccounts']);
  const failing = { request: async (args) => {
    fake.calls.push(args.method);
    if (args.method === 'eth_accounts') throw Object.assign(new Error('not connected'), { code: 4100 });
    throw Object.assign(new Error('Internal error'), { code: -32603 });
  } };
  fake.calls.length = 0;
  await assert.rejects(viemWallet(createWalletClient({ transport: custom(failing) })).getAddress(), { code: 'WALLET_ERROR' });
  assert.deepEqual(fake.calls, ['eth_accounts', 'eth_requestAccounts']);
});

test("a smart account pays on its client's chain only: it says so (networks), and refuses another chain's typed data", async () => {
  const { toCoinbaseSmartAccount } = await viemEsm('./account-abstraction');
  const { createPublicClient } = await viemEsm('.');
  const { base } = await viemEsm('./chains');
  const node = { request: async ({ method }) => {
    if (method === 'eth_getCode') return '0x'; // not deployed yet: ERC-6492 signatures
    if (method === 'eth_chainId') return '0x2105';
    throw new Error(`unexpected ${method}`);
  } };
  const client = createPublicClient({ chain: base, transport: custom(node, { retryCount: 0 }) });
  const account = await toCoinbaseSmartAccount({ client, owners: [alice], address: '0x1111111111111111111111111111111111111111', version: '1.1' });
  const wallet = viemWallet(account);
  assert.deepEqual(wallet.networks, ['eip155:8453']);
  await assert.rejects(wallet.signTypedData(typedData(84532)), (e) => e instanceof X402Error && e.code === 'CHAIN_NOT_AVAILABLE');
  assert.match(await wallet.signTypedData(typedData(8453)), /6492649264926492649264926492649264926492649264926492649264926492$/);
  // A local account is bound to no chain.
  assert.equal(viemWallet(alice).networks, undefined);
});

test('a chain the wallet does not know is CHAIN_NOT_AVAILABLE', async () => {
  const fake = fakeWallet({ chainId: 1 });
  await assert.rejects(viemWallet(jsonRpcClient(fake)).signTypedData(typedData(8453)), (e) =>
    e instanceof X402Error && e.code === 'CHAIN_NOT_AVAILABLE');
  assert.equal(fake.calls.includes('eth_signTypedData_v4'), false);
});

test('a WalletClient without an account asks the wallet for one', async () => {
  const fake = fakeWallet({ connected: false });
  const wallet = viemWallet(createWalletClient({ transport: custom(fake, { retryCount: 0 }) }));
  assert.equal(await wallet.getAddress(), alice.address);
  const typed = typedData();
  const signature = await wallet.signTypedData(typed);
  assert.equal(await recoverTypedDataAddress({ ...typed, signature }), alice.address);
  assert.deepEqual(fake.calls, ['eth_accounts', 'eth_requestAccounts', 'eth_accounts', 'eth_chainId', 'eth_signTypedData_v4']);
});

test("viem's UserRejectedRequestError becomes USER_REJECTED, keeping the cause", async () => {
  await assert.rejects(viemWallet(jsonRpcClient(fakeWallet({ reject: true }))).signTypedData(typedData()), (e) =>
    e instanceof X402Error && e.code === 'USER_REJECTED' && e.cause.name === 'UserRejectedRequestError'
    && e.cause.code === 4001);
  const refused = new UserRejectedRequestError(new Error('denied'));
  const account = { ...alice, signTypedData: async () => { throw refused; } };
  await assert.rejects(viemWallet(account).signTypedData(typedData()), (e) =>
    e instanceof X402Error && e.code === 'USER_REJECTED' && e.cause === refused);
});

test('other failures are WALLET_ERROR with the cause; bad arguments INVALID_ARGUMENT', async () => {
  const broken = new Error('hardware wallet unplugged');
  const account = { ...alice, signTypedData: async () => { throw broken; } };
  await assert.rejects(viemWallet(account).signTypedData(typedData()), (e) =>
    e instanceof X402Error && e.code === 'WALLET_ERROR' && e.cause === broken);
  assert.throws(() => viemWallet({ address: alice.address }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => viemWallet(undefined), { code: 'INVALID_ARGUMENT' });
});

const transferTx = (chainId = 84532) => ({
  chainId, to: '0x036CbD53842c5426634e7929541eC2318f3dCF7e', value: '0x0',
  data: '0xa9059cbb000000000000000000000000209693bc6afc0c5328ba36faf03c514ef312287c0000000000000000000000000000000000000000000000000000000000002710',
});

test('a JSON-RPC WalletClient is switched to the chain, then sends with eth_sendTransaction naming the chain', async () => {
  const fake = fakeWallet({ chainId: 1 });
  const wallet = viemWallet(jsonRpcClient(fake));
  const hash = await wallet.sendTransaction(transferTx(84532), { rpcUrl: 'http://ignored.invalid' });
  assert.equal(hash, `0x${'5e'.repeat(32)}`);
  assert.deepEqual(fake.calls, ['eth_chainId', 'wallet_switchEthereumChain', 'eth_chainId', 'eth_chainId', 'eth_sendTransaction']);
  // chainId in the request: a wallet switched to another chain meanwhile refuses it.
  const expected = { ...transferTx(), chainId: '0x14a34' };
  assert.deepEqual({ ...fake.state.sent, from: undefined }, { ...expected, from: undefined });
  assert.equal(fake.state.sent.from.toLowerCase(), alice.address.toLowerCase());
  assert.deepEqual(await wallet.getTransactionReceipt(hash), { status: '0x1' });
  assert.equal(await wallet.getTransactionReceipt(`0x${'00'.repeat(32)}`), null);
});

test('sendTransaction: a refusal is USER_REJECTED; an unknown chain CHAIN_NOT_AVAILABLE; a bad request INVALID_ARGUMENT', async () => {
  await assert.rejects(viemWallet(jsonRpcClient(fakeWallet({ reject: true }))).sendTransaction(transferTx()),
    (e) => e instanceof X402Error && e.code === 'USER_REJECTED');
  const fake = fakeWallet();
  await assert.rejects(viemWallet(jsonRpcClient(fake)).sendTransaction(transferTx(8453)), { code: 'CHAIN_NOT_AVAILABLE' });
  await assert.rejects(viemWallet(jsonRpcClient(fake)).sendTransaction({ ...transferTx(), to: 'nope' }), { code: 'INVALID_ARGUMENT' });
  assert.equal(fake.calls.includes('eth_sendTransaction'), false);
});

test('a bare Account has no sendTransaction (wrapFetch then picks a wallet that can send); nor has a client without one', () => {
  assert.equal(viemWallet(alice).sendTransaction, undefined);
  const minimal = { request: async () => null, signTypedData: async () => '0x' };
  assert.equal(viemWallet(minimal).sendTransaction, undefined);
});

test('signTransaction (signing without sending) only for local accounts, bare or a client\'s; never through the transport', async () => {
  const fake = fakeWallet();
  const tx = {
    type: 'eip1559', chainId: 8453, nonce: 3, to: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913', data: '0x095ea7b3',
    value: 0n, gas: 70_000n, maxFeePerGas: 2_000_000n, maxPriorityFeePerGas: 1_000_000n, accessList: [],
  };
  const expected = await alice.signTransaction(tx);
  assert.equal(await viemWallet(alice).signTransaction(tx), expected);
  const local = viemWallet(createWalletClient({ account: alice, transport: custom(fake, { retryCount: 0 }) }));
  assert.equal(await local.signTransaction(tx), expected);
  assert.deepEqual(fake.calls, [], 'the local account signed, the wallet was not asked');
  assert.equal(viemWallet(jsonRpcClient(fake)).signTransaction, undefined, 'a JSON-RPC account cannot sign without sending');
  assert.equal(viemWallet({ address: alice.address, signTypedData: alice.signTypedData }).signTransaction, undefined);
  const aborted = AbortSignal.abort();
  await assert.rejects(viemWallet(alice).signTransaction(tx, { signal: aborted }), { name: 'AbortError' });
});

test('eth_sendTransaction is never retried, whatever the transport would retry', async () => {
  const fake = fakeWallet();
  const failing = {
    request: async (args) => {
      if (args.method === 'eth_sendTransaction') {
        fake.calls.push(args.method);
        throw Object.assign(new Error('Internal error'), { code: -32603 });
      }
      return fake.request(args);
    },
  };
  // The transport's default retry policy (3 retries for -32603).
  const client = createWalletClient({ account: alice.address, transport: custom(failing) });
  await assert.rejects(viemWallet(client).sendTransaction(transferTx()), { code: 'WALLET_ERROR' });
  assert.equal(fake.calls.filter((m) => m === 'eth_sendTransaction').length, 1);
});

test("a JSON-RPC WalletClient's getCode is eth_getCode on the given chain, never prompting a switch", async () => {
  const fake = fakeWallet({ chainId: 84532 });
  const wallet = viemWallet(jsonRpcClient(fake));
  assert.equal(await wallet.getCode(alice.address, { chainId: 84532 }), '0xef0100');
  assert.deepEqual(fake.calls, ['eth_chainId', 'eth_getCode']);
  await assert.rejects(wallet.getCode(alice.address, { chainId: 1 }), (e) => e.code === 'CHAIN_NOT_AVAILABLE');
  assert.equal(fake.calls.includes('wallet_switchEthereumChain'), false);
  assert.equal(fake.calls.filter((m) => m === 'eth_getCode').length, 1);
});
