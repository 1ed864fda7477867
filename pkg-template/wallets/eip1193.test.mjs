// Tests for wallets/eip1193.js against a fake MetaMask-like EIP-1193 provider backed by a viem account.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { eip1193Wallet } from './eip1193.js';
import { X402Error } from '../errors.js';

// viem lives in tests/js/node_modules; resolve its ESM entries from there so any cwd works.
const fromTests = createRequire(new URL('../../tests/js/package.json', import.meta.url));
const viemPkg = fromTests('viem/package.json');
const viemEsm = (entry) =>
  import(pathToFileURL(join(dirname(fromTests.resolve('viem/package.json')), viemPkg.exports[entry].import)).href);
const { getTypesForEIP712Domain, recoverTypedDataAddress } = await viemEsm('.');
const { privateKeyToAccount } = await viemEsm('./accounts');

const alice = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const bob = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');

/** A MetaMask-like provider: records requests, keeps a chain, signs with viem accounts. */
/**
 * `switchLag`: for this long (ms) after a switch it accepted, the wallet still reports (and signs
 * for) the old chain, as MetaMask does for about half a second. `refuseAccounts`: eth_accounts is
 * refused 4100 until connected, as the Coinbase Wallet SDK does.
 */
function fakeProvider({ accounts = [alice], connected = true, chainId = 84532, known = [1, 84532], reject = false, switchLag = 0, refuseAccounts = false } = {}) {
  const rpcError = (code, message) => Object.assign(new Error(message), { code });
  const state = { accounts, connected, chainId, known: new Set(known), reject, previous: chainId, switchedAt: 0 };
  const active = () => (Date.now() - state.switchedAt < switchLag ? state.previous : state.chainId);
  const calls = [];
  const request = async ({ method, params }) => {
    calls.push({ method, params });
    switch (method) {
      case 'eth_accounts':
        if (!state.connected && refuseAccounts) throw rpcError(4100, "Must call 'eth_requestAccounts' before other methods");
        return state.connected ? state.accounts.map((a) => a.address.toLowerCase()) : [];
      case 'eth_requestAccounts':
        if (state.reject) throw rpcError(4001, 'User rejected the request.');
        state.connected = true;
        return state.accounts.map((a) => a.address.toLowerCase());
      case 'eth_chainId':
        return `0x${active().toString(16)}`;
      case 'wallet_switchEthereumChain': {
        const id = Number(BigInt(params[0].chainId));
        if (!state.known.has(id)) throw rpcError(4902, `Unrecognized chain ID "${params[0].chainId}".`);
        Object.assign(state, { previous: active(), chainId: id, switchedAt: Date.now() });
        return null;
      }
      case 'wallet_addEthereumChain': {
        const [chain] = params;
        assert.match(chain.chainId, /^0x[0-9a-f]+$/);
        assert.ok(chain.chainName && chain.rpcUrls.length && chain.nativeCurrency.decimals === 18);
        state.known.add(Number(BigInt(chain.chainId)));
        return null;
      }
      case 'eth_signTypedData_v4': {
        const [from, json] = params;
        assert.equal(typeof json, 'string');
        const signer = state.connected && state.accounts.find((a) => a.address.toLowerCase() === from.toLowerCase());
        if (!signer) throw rpcError(4100, 'The requested account has not been authorized by the user.');
        const { types: { EIP712Domain, ...types }, domain, primaryType, message } = JSON.parse(json);
        if (Number(domain.chainId) !== active()) {
          throw rpcError(-32603, `Provided chainId "${domain.chainId}" must match the active chainId "${state.chainId}"`);
        }
        assert.deepEqual(EIP712Domain, getTypesForEIP712Domain({ domain }));
        if (state.reject) throw rpcError(4001, 'MetaMask Tx Signature: User denied message signature.');
        const typed = { domain: { ...domain, chainId: BigInt(domain.chainId) }, types, primaryType };
        return signer.signTypedData({ ...typed, message: fromJson(types, primaryType, message) });
      }
      case 'eth_sendTransaction': {
        const [tx] = params;
        const sender = state.connected && state.accounts.find((a) => a.address.toLowerCase() === tx.from.toLowerCase());
        if (!sender) throw rpcError(4100, 'The requested account has not been authorized by the user.');
        if (state.reject) throw rpcError(4001, 'MetaMask Tx Signature: User denied transaction signature.');
        // As MetaMask: a chainId that is not the active chain is refused.
        if (tx.chainId !== undefined && Number(tx.chainId) !== state.chainId) {
          throw rpcError(-32602, `Invalid chainId: ${tx.chainId} is not the active chain ${state.chainId}`);
        }
        return `0x${'5e'.repeat(32)}`;
      }
      case 'eth_getTransactionReceipt':
        return params[0] === `0x${'5e'.repeat(32)}` ? { transactionHash: params[0], status: '0x1' } : null;
      case 'eth_getCode':
        return state.code?.[`${state.chainId}:${params[0].toLowerCase()}`] ?? '0x';
      default:
        throw rpcError(4200, `unsupported method ${method}`);
    }
  };
  return { request, calls, state, methods: () => calls.map((c) => c.method) };
}

/** Integer members arrive as decimal strings: make them BigInts again, nested structs and arrays too. */
function fromJson(types, type, value) {
  const array = type.match(/^(.*)\[\d*\]$/);
  if (array) return value.map((v) => fromJson(types, array[1], v));
  if (types[type]) {
    return Object.fromEntries(types[type].map(({ name, type: t }) => [name, fromJson(types, t, value[name])]));
  }
  if (/^u?int\d*$/.test(type)) {
    assert.match(value, /^-?\d+$/, `an ${type} must travel as a decimal string`);
    return BigInt(value);
  }
  return value;
}

const eip3009 = (chainId = 84532) => ({
  domain: { name: 'USDC', version: '2', chainId, verifyingContract: '0x036CbD53842c5426634e7929541eC2318f3dCF7e' },
  types: {
    TransferWithAuthorization: [
      { name: 'from', type: 'address' }, { name: 'to', type: 'address' }, { name: 'value', type: 'uint256' },
      { name: 'validAfter', type: 'uint256' }, { name: 'validBefore', type: 'uint256' }, { name: 'nonce', type: 'bytes32' },
    ],
  },
  primaryType: 'TransferWithAuthorization',
  message: {
    from: alice.address, to: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', value: 10000n,
    validAfter: 0n, validBefore: 1893456000n, nonce: `0x${'ab'.repeat(32)}`,
  },
});

const permit2 = {
  domain: { name: 'Permit2', chainId: 84532, verifyingContract: '0x000000000022D473030F116dDEE9F6B43aC78BA3' },
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
    permitted: { token: '0x036CbD53842c5426634e7929541eC2318f3dCF7e', amount: 2n ** 200n + 7n },
    spender: '0x402085c248EeA27D92E8b30b2C58ed07f9E20001',
    nonce: 2n ** 256n - 1n, // far beyond Number: must not lose a digit in JSON
    deadline: 1893456000n,
    witness: { to: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', validAfter: 9007199254740993n },
  },
};

test('a connected wallet gives its account without prompting, re-read on each call', async () => {
  const provider = fakeProvider();
  const wallet = eip1193Wallet(provider);
  assert.equal(wallet.kind, 'evm');
  assert.equal(wallet.provider, provider);
  assert.equal('address' in wallet, false, 'no cached address: the user can switch accounts');
  assert.equal(await wallet.getAddress(), alice.address.toLowerCase());
  provider.state.accounts = [bob];
  assert.equal(await wallet.getAddress(), bob.address.toLowerCase());
  assert.deepEqual(provider.methods(), ['eth_accounts', 'eth_accounts']);
});

test('a page not connected yet asks once with eth_requestAccounts', async () => {
  const provider = fakeProvider({ connected: false });
  const wallet = eip1193Wallet(provider);
  await wallet.getAddress();
  await wallet.getAddress();
  assert.deepEqual(provider.methods(), ['eth_accounts', 'eth_requestAccounts', 'eth_accounts']);
});

test('eth_accounts refused 4100 until connected (Coinbase Wallet SDK) asks eth_requestAccounts, then signs', async () => {
  const provider = fakeProvider({ connected: false, refuseAccounts: true });
  const wallet = eip1193Wallet(provider);
  assert.equal(await wallet.getAddress(), alice.address.toLowerCase());
  const signature = await wallet.signTypedData(eip3009());
  assert.equal(await recoverTypedDataAddress({ ...eip3009(), signature }), alice.address);
  assert.deepEqual(provider.methods().slice(0, 3), ['eth_accounts', 'eth_requestAccounts', 'eth_accounts']);
  // Other failures of eth_accounts are still the wallet's errors, and nothing is prompted.
  const broken = { request: async ({ method }) => Promise.reject(Object.assign(new Error(`${method} failed`), { code: -32603 })) };
  await assert.rejects(eip1193Wallet(broken).getAddress(), (e) => e.code === 'WALLET_ERROR' && e.cause.message === 'eth_accounts failed');
});

test('options.account picks an account case-insensitively, or fails WALLET_ACCOUNT_UNAVAILABLE', async () => {
  const provider = fakeProvider({ accounts: [alice, bob] });
  assert.equal(await eip1193Wallet(provider, { account: bob.address }).getAddress(), bob.address.toLowerCase());
  const stranger = eip1193Wallet(provider, { account: '0x000000000000000000000000000000000000dEaD' });
  await assert.rejects(stranger.getAddress(), (e) => e instanceof X402Error && e.code === 'WALLET_ACCOUNT_UNAVAILABLE');
  await assert.rejects(stranger.signTypedData(eip3009()), { code: 'WALLET_ACCOUNT_UNAVAILABLE' });
  assert.equal(provider.calls.some((c) => c.method === 'eth_signTypedData_v4'), false);
});

test('the signature is returned as given and recovers to the account; same chain means no switch', async () => {
  const provider = fakeProvider();
  const typed = eip3009();
  const signature = await eip1193Wallet(provider).signTypedData(typed);
  assert.match(signature, /^0x[0-9a-f]{130}$/);
  assert.equal(await recoverTypedDataAddress({ ...typed, signature }), alice.address);
  assert.deepEqual(provider.methods(), ['eth_accounts', 'eth_chainId', 'eth_signTypedData_v4']);
  const [from, json] = provider.calls.at(-1).params;
  assert.equal(from, alice.address.toLowerCase());
  const sent = JSON.parse(json);
  assert.equal(sent.message.value, '10000');
  assert.deepEqual(Object.keys(sent.types), ['EIP712Domain', 'TransferWithAuthorization']);
});

test('the wallet is switched to the domain chain before signing', async () => {
  const provider = fakeProvider({ chainId: 1 });
  const typed = eip3009(84532);
  const signature = await eip1193Wallet(provider).signTypedData(typed);
  assert.equal(await recoverTypedDataAddress({ ...typed, signature }), alice.address);
  const methods = provider.methods();
  assert.ok(methods.indexOf('wallet_switchEthereumChain') < methods.indexOf('eth_signTypedData_v4'));
  assert.deepEqual(provider.calls.find((c) => c.method === 'wallet_switchEthereumChain').params, [{ chainId: '0x14a34' }]);
  assert.equal(provider.state.chainId, 84532);
});

test('an unknown chain without options.chains is CHAIN_NOT_AVAILABLE, nothing signed', async () => {
  const provider = fakeProvider({ chainId: 1 });
  await assert.rejects(eip1193Wallet(provider).signTypedData(eip3009(8453)), (e) =>
    e instanceof X402Error && e.code === 'CHAIN_NOT_AVAILABLE' && e.cause.code === 4902);
  assert.deepEqual(provider.methods(), ['eth_accounts', 'eth_chainId', 'wallet_switchEthereumChain']);
});

test('an unknown chain found in options.chains is added, switched to, then signed on', async () => {
  const base = { chainName: 'Base', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: ['https://mainnet.base.org'] };
  for (const chains of [{ 8453: base }, { '0x2105': base }, [{ ...base, chainId: '0x2105' }]]) {
    const provider = fakeProvider({ chainId: 1 });
    const typed = eip3009(8453);
    const signature = await eip1193Wallet(provider, { chains }).signTypedData(typed);
    assert.equal(await recoverTypedDataAddress({ ...typed, signature }), alice.address);
    assert.deepEqual(provider.methods(), ['eth_accounts', 'eth_chainId', 'wallet_switchEthereumChain',
      'wallet_addEthereumChain', 'wallet_switchEthereumChain', 'eth_chainId', 'eth_signTypedData_v4']);
    assert.deepEqual(provider.calls[3].params, [{ ...base, chainId: '0x2105' }]);
  }
});

test('options.chains: an add the wallet fails, or a chain still unknown after it, is CHAIN_NOT_AVAILABLE; a refusal USER_REJECTED', async () => {
  const base = { chainName: 'Base', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: ['https://mainnet.base.org'] };
  const rpcError = (code, message) => Object.assign(new Error(message), { code });
  const failing = (failure) => {
    const provider = fakeProvider({ chainId: 1 });
    const request = provider.request;
    provider.request = (args) => (args.method === 'wallet_addEthereumChain' ? failure(args) : request(args));
    return provider;
  };
  const cases = [
    [() => Promise.reject(rpcError(-32602, 'Invalid parameters: rpcUrls')), 'CHAIN_NOT_AVAILABLE', -32602],
    // "Added" without learning the chain: the switch after it fails with 4902 again.
    [() => Promise.resolve(null), 'CHAIN_NOT_AVAILABLE', 4902],
    [() => Promise.reject(rpcError(4001, 'User rejected the request.')), 'USER_REJECTED', 4001],
  ];
  for (const [failure, code, causeCode] of cases) {
    const provider = failing(failure);
    await assert.rejects(eip1193Wallet(provider, { chains: { 8453: base } }).signTypedData(eip3009(8453)), (e) =>
      e instanceof X402Error && e.code === code && e.cause?.code === causeCode, `${code} ${causeCode}`);
    assert.equal(provider.calls.some((c) => c.method === 'eth_signTypedData_v4'), false);
  }
});

test('a switch the wallet accepts before it takes effect (MetaMask) is waited for, then signed on', async () => {
  const provider = fakeProvider({ chainId: 1, switchLag: 400 });
  const signature = await eip1193Wallet(provider).signTypedData(eip3009());
  assert.equal(await recoverTypedDataAddress({ ...eip3009(), signature }), alice.address);
  assert.ok(provider.methods().filter((m) => m === 'eth_chainId').length > 2, 'the chain was read again');
  // So is a transaction's.
  const sender = fakeProvider({ chainId: 1, switchLag: 400 });
  assert.equal(await eip1193Wallet(sender).sendTransaction({ chainId: 84532, to: alice.address }), `0x${'5e'.repeat(32)}`);
});

test('a wallet that ignores the switch is caught before signing', async () => {
  const provider = fakeProvider({ chainId: 1 });
  const request = provider.request;
  const sloppy = { request: (args) => (args.method === 'wallet_switchEthereumChain' ? Promise.resolve(null) : request(args)) };
  await assert.rejects(eip1193Wallet(sloppy).signTypedData(eip3009()), { code: 'CHAIN_NOT_AVAILABLE' });
  assert.equal(provider.calls.some((c) => c.method === 'eth_signTypedData_v4'), false);
  // An abort while waiting for the chain rejects at once with the signal's reason.
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('left the page')), 60);
  await assert.rejects(eip1193Wallet(sloppy).signTypedData(eip3009(), { signal: controller.signal }), { message: 'left the page' });
});

test('4001 becomes USER_REJECTED keeping the cause; 4100 WALLET_UNAUTHORIZED; others WALLET_ERROR', async () => {
  const provider = fakeProvider({ reject: true });
  await assert.rejects(eip1193Wallet(provider).signTypedData(eip3009()), (e) =>
    e instanceof X402Error && e.code === 'USER_REJECTED' && e.cause.code === 4001);
  await assert.rejects(eip1193Wallet(fakeProvider({ connected: false, reject: true })).getAddress(), { code: 'USER_REJECTED' });
  const failing = (error) => ({ request: async ({ method }) => (method === 'eth_accounts' ? [alice.address] : Promise.reject(error)) });
  const unauthorized = Object.assign(new Error('unauthorized'), { code: 4100 });
  await assert.rejects(eip1193Wallet(failing(unauthorized)).signTypedData(eip3009()), (e) =>
    e instanceof X402Error && e.code === 'WALLET_UNAUTHORIZED' && e.cause === unauthorized);
  const internal = Object.assign(new Error('boom'), { code: -32603 });
  await assert.rejects(eip1193Wallet(failing(internal)).signTypedData(eip3009()), (e) =>
    e instanceof X402Error && e.code === 'WALLET_ERROR' && e.cause === internal);
  const switchRejected = fakeProvider({ chainId: 1 });
  const request = switchRejected.request;
  switchRejected.request = (args) => (args.method === 'wallet_switchEthereumChain'
    ? Promise.reject(Object.assign(new Error('User rejected the request.'), { code: 4001 })) : request(args));
  await assert.rejects(eip1193Wallet(switchRejected).signTypedData(eip3009()), { code: 'USER_REJECTED' });
});

test('BigInts in nested Permit2 structs (and the domain) survive JSON-RPC exactly; no version', async () => {
  const provider = fakeProvider({ chainId: 1 });
  const signature = await eip1193Wallet(provider).signTypedData(permit2);
  assert.equal(await recoverTypedDataAddress({ ...permit2, signature }), alice.address);
  const sent = JSON.parse(provider.calls.at(-1).params[1]);
  assert.deepEqual(sent.types.EIP712Domain.map((f) => f.name), ['name', 'chainId', 'verifyingContract']);
  assert.equal(sent.message.nonce, (2n ** 256n - 1n).toString());
  assert.equal(sent.message.permitted.amount, (2n ** 200n + 7n).toString());
  assert.equal(sent.message.witness.validAfter, '9007199254740993');
  const typed = { ...permit2, domain: { ...permit2.domain, chainId: 84532n } }; // a BigInt chainId too
  assert.equal(await recoverTypedDataAddress({ ...typed, signature: await eip1193Wallet(provider).signTypedData(typed) }), alice.address);
  assert.equal(JSON.parse(provider.calls.at(-1).params[1]).domain.chainId, '84532');
});

test('bad arguments are INVALID_ARGUMENT', () => {
  assert.throws(() => eip1193Wallet({}), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => eip1193Wallet(fakeProvider(), { account: 42 }), { code: 'INVALID_ARGUMENT' });
});

const transferTx = (chainId = 84532) => ({
  chainId, to: '0x036CbD53842c5426634e7929541eC2318f3dCF7e', value: '0x0',
  data: '0xa9059cbb000000000000000000000000209693bc6afc0c5328ba36faf03c514ef312287c0000000000000000000000000000000000000000000000000000000000002710',
});

test('sendTransaction switches to the chain, then eth_sendTransaction { from, to, data, value, chainId }', async () => {
  const provider = fakeProvider({ chainId: 1 });
  const wallet = eip1193Wallet(provider);
  const hash = await wallet.sendTransaction(transferTx(84532), { rpcUrl: 'http://ignored.invalid' });
  assert.equal(hash, `0x${'5e'.repeat(32)}`);
  assert.deepEqual(provider.methods(), ['eth_accounts', 'eth_chainId', 'wallet_switchEthereumChain', 'eth_chainId', 'eth_sendTransaction']);
  const { from, ...rest } = provider.calls.at(-1).params[0];
  assert.equal(from, alice.address.toLowerCase());
  const { chainId, ...expected } = transferTx();
  assert.deepEqual(rest, { ...expected, chainId: `0x${(84532).toString(16)}` });
  assert.deepEqual(await wallet.getTransactionReceipt(hash), { transactionHash: hash, status: '0x1' });
  assert.equal(await wallet.getTransactionReceipt(`0x${'00'.repeat(32)}`), null);
});

test('sendTransaction: a wallet moved to another chain after the switch refuses the transaction (chainId is named)', async () => {
  const provider = fakeProvider({ chainId: 1 });
  let switched = false;
  const moving = {
    async request(args) {
      const answer = await provider.request(args);
      if (args.method === 'wallet_switchEthereumChain') switched = true;
      // The user switches back to chain 1 right after the adapter saw 84532.
      if (args.method === 'eth_chainId' && switched) provider.state.chainId = 1;
      return answer;
    },
  };
  await assert.rejects(eip1193Wallet(moving).sendTransaction(transferTx(84532)), { code: 'WALLET_ERROR' });
  assert.equal(provider.methods().at(-1), 'eth_sendTransaction');
});

test('sendTransaction: value as bigint or decimal becomes a hex quantity; default 0x0 and 0x data', async () => {
  const provider = fakeProvider();
  const wallet = eip1193Wallet(provider);
  await wallet.sendTransaction({ chainId: 84532, to: transferTx().to, value: 10n ** 18n });
  assert.equal(provider.calls.at(-1).params[0].value, '0xde0b6b3a7640000');
  await wallet.sendTransaction({ chainId: '84532', to: transferTx().to });
  assert.deepEqual([provider.calls.at(-1).params[0].value, provider.calls.at(-1).params[0].data], ['0x0', '0x']);
});

test('sendTransaction: a refusal is USER_REJECTED, an unknown chain CHAIN_NOT_AVAILABLE, bad requests INVALID_ARGUMENT', async () => {
  await assert.rejects(eip1193Wallet(fakeProvider({ reject: true })).sendTransaction(transferTx()),
    (e) => e instanceof X402Error && e.code === 'USER_REJECTED' && e.cause.code === 4001);
  const provider = fakeProvider();
  await assert.rejects(eip1193Wallet(provider).sendTransaction(transferTx(10)), { code: 'CHAIN_NOT_AVAILABLE' });
  assert.ok(!provider.methods().includes('eth_sendTransaction'));
  const bad = [null, 'tx', { ...transferTx(), chainId: 0 }, { ...transferTx(), chainId: 1.5 },
    { ...transferTx(), to: '0x1234' }, { ...transferTx(), data: '0xabc' }, { ...transferTx(), value: -1n },
    { ...transferTx(), value: 'lots' }];
  for (const [i, tx] of bad.entries()) {
    await assert.rejects(eip1193Wallet(provider).sendTransaction(tx), { code: 'INVALID_ARGUMENT' }, `case ${i}`);
  }
});

test('getCode asks eth_getCode on the chain it is given, never prompting a switch', async () => {
  const provider = fakeProvider({ chainId: 84532 });
  provider.state.code = { [`84532:${bob.address.toLowerCase()}`]: '0x6080' };
  const wallet = eip1193Wallet(provider);
  assert.equal(await wallet.getCode(bob.address, { chainId: 84532 }), '0x6080');
  assert.deepEqual(provider.methods(), ['eth_chainId', 'eth_getCode']);
  assert.deepEqual(provider.calls.at(-1).params, [bob.address, 'latest']);
  assert.equal(await wallet.getCode(alice.address, { chainId: 84532 }), '0x');
  // The wallet left the chain since signing: refused, not switched back.
  await assert.rejects(wallet.getCode(bob.address, { chainId: 1 }), (e) => e.code === 'CHAIN_NOT_AVAILABLE');
  assert.equal(provider.methods().includes('wallet_switchEthereumChain'), false);
  assert.equal(provider.methods().filter((m) => m === 'eth_getCode').length, 2);
});
