// A smart-contract wallet pays (ERC-1271: contracts/TestSmartWallet.sol on anvil, signing with a
// 66-byte format no ecrecover reads, as Coinbase Smart Wallet and Safe sign with their own). Our
// paying fetch sends the wallet's signature as it is; our Worker helper in workerd passes it through
// its local checks only with verifyWithFacilitator, and the official v2 facilitator verifies it on
// chain (isValidSignature) and settles it with the token's bytes-signature transferWithAuthorization.
// The balances are read from the chain. Without verifyWithFacilitator the payment is refused and
// nothing moves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  concat, encodeAbiParameters, encodeFunctionData, getAddress, getContractAddress, hashTypedData, keccak256,
  serializeErc6492Signature,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { anvilClients, assertSettled, balanceOf, compileContract, deployContract, mint } from '../lib/chain.mjs';
import {
  MINTED, NETWORK, PRICE, assertServedWeather, decodeJsonHeader, startHelperWorker, v2Chain, weatherRoute,
} from '../lib/worker-harness.mjs';
import { loadX402 } from '../lib/x402.mjs';

const x402 = await loadX402();

/** `signer`'s signature in a one-owner Safe's format (contracts/TestSafeWallet.sol) for `account`. */
const safeSign = (signer, typedData, account) => signer.sign({
  hash: keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'address' }], [hashTypedData(typedData), account])),
});

test('a smart-contract wallet (ERC-1271) pays a Worker route that verifies with the facilitator; refused on one that does not', async (t) => {
  const { anvil, token, facilitator, payTo } = await v2Chain(t);
  const owner = privateKeyToAccount(generatePrivateKey());
  const smartWallet = await deployContract(anvil, 'TestSmartWallet', [owner.address]);
  await mint(token, smartWallet, MINTED);
  const route = weatherRoute({ asset: token.address, payTo });
  const worker = await startHelperWorker(t, {
    middlewares: [
      { store: 'memory', routes: { 'GET /weather': route }, facilitator: { url: facilitator.url }, verifyWithFacilitator: true },
      { store: 'memory', routes: { 'GET /local': route }, facilitator: { url: facilitator.url } },
    ],
  });

  const signatures = [];
  // The wallet adapter a smart wallet's provider amounts to: its address is the contract's, and its
  // signature is the owner's, in the wallet's own format.
  const wallet = {
    kind: 'evm',
    address: smartWallet,
    async signTypedData(typedData) {
      const signature = `0x01${(await owner.signTypedData(typedData)).slice(2)}`;
      signatures.push(signature);
      return signature;
    },
  };
  const policy = { assets: [{ network: NETWORK, asset: token.address, decimals: 6, symbol: 'USDC', maxPerPayment: '1000000' }] };
  const pay = x402.wrapFetch(fetch, { wallets: [wallet], policy });

  const before = { wallet: await balanceOf(token, smartWallet), payee: await balanceOf(token, payTo) };
  const refused = await pay(`${worker.url}local`);
  assert.equal(refused.status, 402, 'a route that checks signatures locally cannot check this one');
  assert.equal(x402.getPaymentReceipt(refused)?.success, false);
  assert.equal(facilitator.calls.settle, 0);
  assert.equal(signatures.length, 1);
  assert.equal(signatures[0].length, 2 + 66 * 2);

  const response = await pay(`${worker.url}weather`);
  await assertServedWeather(response);
  const receipt = decodeJsonHeader(response.headers.get('payment-response'));
  assert.equal(receipt.success, true, JSON.stringify(receipt));
  assert.equal(getAddress(receipt.payer), smartWallet);
  assert.equal(facilitator.calls.verify, 1);
  assert.equal(facilitator.calls.settle, 1);
  await assertSettled(token, receipt.transaction, { payer: smartWallet, payTo, before: { payer: before.wallet, payee: before.payee }, price: PRICE });

  // A forgery in the wallet's format (another key signed) passes the local checks, which cannot
  // read it, and is refused by the facilitator: 402, the handler never runs, nothing settles.
  const forger = privateKeyToAccount(generatePrivateKey());
  const forged = x402.wrapFetch(fetch, {
    wallets: [{ ...wallet, signTypedData: async (typedData) => `0x01${(await forger.signTypedData(typedData)).slice(2)}` }],
    policy,
  });
  const handled = (await worker.stats()).handled;
  const refusedForgery = await forged(`${worker.url}weather`);
  assert.equal(refusedForgery.status, 402);
  assert.equal(x402.getPaymentReceipt(refusedForgery)?.success, false);
  assert.deepEqual({ verify: facilitator.calls.verify, settle: facilitator.calls.settle }, { verify: 2, settle: 1 });
  assert.equal((await worker.stats()).handled, handled);
  assert.equal(await balanceOf(token, smartWallet), before.wallet - PRICE);
});

// A one-owner Safe signs with 65 bytes: its owner's signature of a hash bound to the wallet
// (contracts/TestSafeWallet.sol), which recovers neither the wallet nor its owner from the payment's
// hash. The client sends it only because the account has code (eth_getCode through eip1193Wallet's
// provider, or through options.rpc for an adapter without getCode); the same signature from an
// account without code is SIGNER_MISMATCH and nothing is sent. The Worker defers it to the official
// facilitator, which asks isValidSignature and settles through the token's v, r, s overload.
test('a one-owner Safe (65-byte ERC-1271 signature) pays; the same from a plain account is SIGNER_MISMATCH', async (t) => {
  const { anvil, token, facilitator, payTo } = await v2Chain(t);
  const owner = privateKeyToAccount(generatePrivateKey());
  const safe = await deployContract(anvil, 'TestSafeWallet', [owner.address]);
  await mint(token, safe, MINTED);
  const worker = await startHelperWorker(t, {
    middlewares: [{
      store: 'memory', routes: { 'GET /weather': weatherRoute({ asset: token.address, payTo }) },
      facilitator: { url: facilitator.url }, verifyWithFacilitator: true,
    }],
  });
  const { publicClient } = anvilClients(anvil);
  const signed = [];
  const safeSignature = async (typedData, account) => {
    const signature = await safeSign(owner, typedData, account);
    signed.push(signature);
    return signature;
  };
  // An injected provider of a Safe (as Safe{Wallet} gives dapps): the chain's answers come from anvil.
  const calls = [];
  const provider = (account) => ({
    async request({ method, params }) {
      calls.push(method);
      if (method === 'eth_accounts' || method === 'eth_requestAccounts') return [account];
      if (method === 'eth_signTypedData_v4') {
        const { types: { EIP712Domain, ...types }, domain, primaryType, message } = JSON.parse(params[1]);
        assert.ok(EIP712Domain);
        return safeSignature({ types, domain, primaryType, message }, account);
      }
      return publicClient.request({ method, params });
    },
  });
  const policy = { assets: [{ network: NETWORK, asset: token.address, decimals: 6, symbol: 'USDC', maxPerPayment: '1000000' }] };
  const before = { safe: await balanceOf(token, safe), payee: await balanceOf(token, payTo) };

  const pay = x402.wrapFetch(fetch, { wallets: [x402.eip1193Wallet(provider(safe))], policy });
  const response = await pay(`${worker.url}weather`);
  await assertServedWeather(response);
  assert.equal(signed.length, 1);
  assert.equal(signed[0].length, 2 + 65 * 2);
  assert.ok(calls.includes('eth_getCode'), calls.join());
  const receipt = decodeJsonHeader(response.headers.get('payment-response'));
  assert.equal(receipt.success, true, JSON.stringify(receipt));
  assert.equal(getAddress(receipt.payer), safe);
  assert.deepEqual({ verify: facilitator.calls.verify, settle: facilitator.calls.settle }, { verify: 1, settle: 1 });
  await assertSettled(token, receipt.transaction, { payer: safe, payTo, before: { payer: before.safe, payee: before.payee }, price: PRICE });

  // An adapter without getCode: the code is read through options.rpc.
  const bare = { kind: 'evm', address: safe, signTypedData: (typedData) => safeSignature(typedData, safe) };
  const payByRpc = x402.wrapFetch(fetch, { wallets: [bare], policy, rpc: { [NETWORK]: anvil.rpcUrl } });
  const second = await payByRpc(`${worker.url}weather`);
  assert.equal(second.status, 200, await second.text());
  assert.equal(x402.getPaymentReceipt(second)?.success, true);
  assert.equal(await balanceOf(token, safe), before.safe - 2n * PRICE);
  // Without getCode nor options.rpc the account's code is unknown: refused before sending.
  const blind = x402.wrapFetch(fetch, { wallets: [bare], policy });
  await assert.rejects(blind(`${worker.url}weather`), (e) => e.code === 'SIGNER_MISMATCH');

  // A forgery in the Safe's format (another key signed the wallet-bound hash): the account has code,
  // so the client sends it and the Worker defers it; the facilitator's isValidSignature refuses it.
  // 402, the handler never runs, nothing settles, and the payment's key is free again.
  const forger = privateKeyToAccount(generatePrivateKey());
  const forged = {
    kind: 'evm', address: safe, getCode: async () => publicClient.getCode({ address: safe }),
    signTypedData: (typedData) => safeSign(forger, typedData, safe),
  };
  const handledBefore = (await worker.stats()).handled;
  const refusedForgery = await x402.wrapFetch(fetch, { wallets: [forged], policy })(`${worker.url}weather`);
  assert.equal(refusedForgery.status, 402);
  assert.equal(x402.getPaymentReceipt(refusedForgery)?.success, false);
  assert.deepEqual({ verify: facilitator.calls.verify, settle: facilitator.calls.settle }, { verify: 3, settle: 2 });
  assert.equal((await worker.stats()).handled, handledBefore);
  assert.equal(await balanceOf(token, safe), before.safe - 2n * PRICE);

  // A plain account (no code) whose wallet signs in the same way is caught before anything is sent.
  const plain = privateKeyToAccount(generatePrivateKey()).address;
  const handled = (await worker.stats()).handled;
  const payPlain = x402.wrapFetch(fetch, { wallets: [x402.eip1193Wallet(provider(plain))], policy });
  await assert.rejects(payPlain(`${worker.url}weather`), (e) => e.code === 'SIGNER_MISMATCH');
  assert.deepEqual({ verify: facilitator.calls.verify, settle: facilitator.calls.settle }, { verify: 3, settle: 2 });
  assert.equal((await worker.stats()).handled, handled);
  assert.equal(await balanceOf(token, safe), before.safe - 2n * PRICE);
});

// ERC-6492: a smart wallet not deployed yet (Coinbase Smart Wallet's accounts are counterfactual until
// their first transaction) signs with its owner's signature wrapped in the call that deploys it:
// factory, calldata, inner signature, and the 6492 magic suffix. The client sends it as it is (any
// length but an ECDSA signature's is a contract's; there is no code to read yet). The Worker defers it
// to the official facilitator, which simulates the deployment and the transfer, then deploys the wallet
// through the one factory it allows and settles with the inner signature.
test('an undeployed smart wallet (ERC-6492) pays: deployed through the allowed factory and settled; forged or another factory, refused', async (t) => {
  const { anvil, token, facilitator, payTo, factory } = await v2Chain(t, { eip6492Factory: true });
  const { publicClient } = anvilClients(anvil);
  const owner = privateKeyToAccount(generatePrivateKey());
  const wallet = await compileContract('TestSafeWallet');
  const creationCode = concat([wallet.bytecode, encodeAbiParameters([{ type: 'address' }], [owner.address])]);
  const salt = keccak256(owner.address);
  const account = getContractAddress({ opcode: 'CREATE2', from: factory, salt, bytecode: creationCode });
  const { abi: factoryAbi } = await compileContract('TestCreate2Factory');
  const deployCall = encodeFunctionData({ abi: factoryAbi, functionName: 'deploy', args: [salt, creationCode] });
  await mint(token, account, MINTED);
  assert.equal(await publicClient.getCode({ address: account }), undefined, 'not deployed yet');

  const signed = [];
  // The injected provider of a counterfactual smart wallet: eth_signTypedData_v4 answers the 6492 form.
  const provider = (signer, via = factory) => ({
    async request({ method, params }) {
      if (method === 'eth_accounts' || method === 'eth_requestAccounts') return [account];
      if (method === 'eth_chainId') return `0x${anvil.chainId.toString(16)}`;
      if (method !== 'eth_signTypedData_v4') throw Object.assign(new Error(`unexpected ${method}`), { code: 4200 });
      const { types: { EIP712Domain, ...types }, domain, primaryType, message } = JSON.parse(params[1]);
      const inner = await safeSign(signer, { types, domain, primaryType, message }, account);
      const signature = serializeErc6492Signature({ address: via, data: deployCall, signature: inner });
      signed.push(signature);
      return signature;
    },
  });
  const worker = await startHelperWorker(t, {
    middlewares: [{
      store: 'memory', routes: { 'GET /weather': weatherRoute({ asset: token.address, payTo }) },
      facilitator: { url: facilitator.url }, verifyWithFacilitator: true,
    }],
  });
  const policy = { assets: [{ network: NETWORK, asset: token.address, decimals: 6, symbol: 'USDC', maxPerPayment: '1000000' }] };
  const pay = (signer, via) => x402.wrapFetch(fetch, { wallets: [x402.eip1193Wallet(provider(signer, via))], policy })(`${worker.url}weather`);
  const before = { payer: await balanceOf(token, account), payee: await balanceOf(token, payTo) };

  // Refused first, while the wallet is still undeployed: a forgery (another key inside the wrapper),
  // and the owner's signature naming a factory the facilitator does not allow.
  const otherFactory = await deployContract(anvil, 'TestCreate2Factory');
  const refusals = [
    [privateKeyToAccount(generatePrivateKey()), factory, /signature|simulation/i],
    [owner, otherFactory, /^eip6492_factory_not_allowed$/],
  ];
  for (const [signer, via, reason] of refusals) {
    const refused = await pay(signer, via);
    assert.equal(refused.status, 402);
    const failure = x402.getPaymentReceipt(refused);
    assert.equal(failure?.success, false);
    assert.match(failure.errorReason ?? '', reason);
  }
  assert.deepEqual({ verify: facilitator.calls.verify, settle: facilitator.calls.settle }, { verify: 2, settle: 0 });
  assert.equal((await worker.stats()).handled, 0);
  assert.equal(await publicClient.getCode({ address: account }), undefined, 'still not deployed');

  const response = await pay(owner);
  await assertServedWeather(response);
  assert.equal(signed.length, 3);
  const sent = facilitator.verified.at(-1).payload.signature;
  assert.equal(sent, signed[2].toLowerCase(), 'the wallet\'s signature was sent as it is');
  assert.ok(sent.endsWith('6492'.repeat(16)), 'in its ERC-6492 form');
  const receipt = decodeJsonHeader(response.headers.get('payment-response'));
  assert.equal(receipt.success, true, JSON.stringify(receipt));
  assert.equal(getAddress(receipt.payer), account);
  assert.deepEqual({ verify: facilitator.calls.verify, settle: facilitator.calls.settle }, { verify: 3, settle: 1 });
  assert.ok((await publicClient.getCode({ address: account }))?.length > 2, 'the facilitator deployed the wallet');
  await assertSettled(token, receipt.transaction, { payer: account, payTo, before, price: PRICE });
});
