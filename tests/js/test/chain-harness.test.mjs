// Proves the real-chain harness (lib/chain.mjs) with independent tooling only: viem-signed EIP-3009
// authorizations against TestUSDC on anvil, and the official x402 v2 client + facilitator (in-process
// and over loopback HTTP). Each test runs its own anvil and stops it when done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSignature } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { x402Client } from '@x402/core/client';
import { registerExactEvmScheme } from '@x402/evm/exact/client';
import {
  anvilAccount, anvilClients, balanceOf, deployTestUSDC, installMulticall3, mint,
  serveFacilitatorHttp, startAnvil, startOfficialFacilitator,
} from '../lib/chain.mjs';

const NETWORK = 'eip155:31337';
const AUTH_TYPES = {
  TransferWithAuthorization: [
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'validAfter', type: 'uint256' },
    { name: 'validBefore', type: 'uint256' },
    { name: 'nonce', type: 'bytes32' },
  ],
};

/** Fresh anvil + TestUSDC + Multicall3 + a funded payer with no ETH; anvil stops after the test. */
async function setup(t) {
  const anvil = await startAnvil({ chainId: 31337 });
  t.after(() => anvil.stop());
  const token = await deployTestUSDC(anvil);
  await installMulticall3(anvil);
  const payer = privateKeyToAccount(generatePrivateKey());
  await mint(token, payer.address, 10_000_000n);
  return { anvil, token, payer, payTo: anvilAccount(2).address };
}

async function signAuthorization(token, payer, message) {
  const chainId = await token.publicClient.getChainId();
  return payer.signTypedData({
    domain: { name: 'USDC', version: '2', chainId, verifyingContract: token.address },
    types: AUTH_TYPES,
    primaryType: 'TransferWithAuthorization',
    message,
  });
}

function randomNonce() {
  return `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex')}`;
}

function requirementFor(token, payTo) {
  return {
    scheme: 'exact', network: NETWORK, amount: '1234567', asset: token.address, payTo,
    maxTimeoutSeconds: 300, extra: { name: 'USDC', version: '2' },
  };
}

/** A payment payload made by the official x402 v2 client, allowed to pay this non-default asset. */
async function officialPayload(payer, requirement) {
  const client = new x402Client();
  registerExactEvmScheme(client, { signer: payer, networks: [NETWORK] });
  client.setSpendControls({ allowedAssets: [{ network: NETWORK, asset: requirement.asset }] });
  return client.createPaymentPayload({
    x402Version: 2,
    resource: { url: 'http://127.0.0.1/paid', description: 'harness test', mimeType: 'text/plain' },
    accepts: [requirement],
  });
}

test('viem-signed EIP-3009 authorization settles directly; replay and expiry revert', async (t) => {
  const { anvil, token, payer, payTo } = await setup(t);
  const { walletClient: relayer, publicClient } = anvilClients(anvil, anvilAccount(1));
  const call = (args) => relayer.writeContract({ address: token.address, abi: token.abi, functionName: 'transferWithAuthorization', args })
    .then((hash) => publicClient.waitForTransactionReceipt({ hash }));
  const now = (await publicClient.getBlock()).timestamp;

  const auth = { from: payer.address, to: payTo, value: 2_500_000n, validAfter: 0n, validBefore: now + 300n, nonce: randomNonce() };
  const signature = await signAuthorization(token, payer, auth);
  const { v, r, s } = parseSignature(signature);
  const args = [auth.from, auth.to, auth.value, auth.validAfter, auth.validBefore, auth.nonce, Number(v), r, s];

  const before = await balanceOf(token, payTo);
  const receipt = await call(args);
  assert.equal(receipt.status, 'success');
  assert.equal(await balanceOf(token, payTo), before + 2_500_000n);
  assert.equal(await balanceOf(token, payer.address), 7_500_000n);
  assert.equal(await publicClient.readContract({
    address: token.address, abi: token.abi, functionName: 'authorizationState', args: [payer.address, auth.nonce],
  }), true);

  await assert.rejects(call(args), /authorization is used or canceled/);

  const expired = { ...auth, validBefore: now - 1n, nonce: randomNonce() };
  const sigExpired = parseSignature(await signAuthorization(token, payer, expired));
  await assert.rejects(call([expired.from, expired.to, expired.value, expired.validAfter, expired.validBefore,
    expired.nonce, Number(sigExpired.v), sigExpired.r, sigExpired.s]), /authorization is expired/);

  const early = { ...auth, validAfter: now + 3600n, validBefore: now + 7200n, nonce: randomNonce() };
  const sigEarly = await signAuthorization(token, payer, early);
  await assert.rejects(call([early.from, early.to, early.value, early.validAfter, early.validBefore, early.nonce, sigEarly]),
    /authorization is not yet valid/);

  // The bytes-signature overload settles too, and a signature by someone else is refused.
  const second = { ...auth, value: 1n, nonce: randomNonce() };
  const wrongSigner = await signAuthorization(token, anvilAccount(3), second);
  await assert.rejects(call([second.from, second.to, second.value, second.validAfter, second.validBefore, second.nonce, wrongSigner]),
    /invalid signature/);
  const sigSecond = await signAuthorization(token, payer, second);
  await call([second.from, second.to, second.value, second.validAfter, second.validBefore, second.nonce, sigSecond]);
  assert.equal(await balanceOf(token, payTo), before + 2_500_001n);
});

test('official client refuses a non-default asset without spend controls', async (t) => {
  const { token, payer, payTo } = await setup(t);
  const client = new x402Client();
  registerExactEvmScheme(client, { signer: payer, networks: [NETWORK] });
  await assert.rejects(
    client.createPaymentPayload({ x402Version: 2, resource: { url: 'http://127.0.0.1/paid' }, accepts: [requirementFor(token, payTo)] }),
    /spendControls/,
  );
});

test('official client payload is verified and settled by the in-process official facilitator', async (t) => {
  const { anvil, token, payer, payTo } = await setup(t);
  const facilitator = await startOfficialFacilitator({ ...anvil, network: NETWORK });
  const requirement = requirementFor(token, payTo);
  const payload = await officialPayload(payer, requirement);
  assert.equal(payload.x402Version, 2);
  assert.deepEqual(payload.accepted, requirement);

  const supported = await facilitator.supported();
  assert.ok(supported.kinds.some((k) => k.x402Version === 2 && k.scheme === 'exact' && k.network === NETWORK));

  const verified = await facilitator.verify(payload, requirement);
  assert.equal(verified.isValid, true, JSON.stringify(verified));
  assert.equal(verified.payer.toLowerCase(), payer.address.toLowerCase());

  const before = await balanceOf(token, payTo);
  const settled = await facilitator.settle(payload, requirement);
  assert.equal(settled.success, true, JSON.stringify(settled));
  assert.equal(settled.network, NETWORK);
  assert.match(settled.transaction, /^0x[0-9a-f]{64}$/);
  assert.equal(await balanceOf(token, payTo), before + 1_234_567n);
  assert.equal(await balanceOf(token, payer.address), 10_000_000n - 1_234_567n);

  // Settling the same payload again must not move money twice.
  // (Multicall3 lets the facilitator name the exact reason.)
  const again = await facilitator.verify(payload, requirement);
  assert.equal(again.isValid, false);
  assert.equal(again.invalidReason, 'invalid_exact_evm_nonce_already_used');
  const resettled = await facilitator.settle(payload, requirement);
  assert.equal(resettled.success, false);
  assert.equal(await balanceOf(token, payTo), before + 1_234_567n);
});

test('official client payload is verified and settled through the loopback HTTP facilitator', async (t) => {
  const { anvil, token, payer, payTo } = await setup(t);
  const facilitator = await startOfficialFacilitator({ ...anvil, network: NETWORK });
  const server = await serveFacilitatorHttp(facilitator.facilitator);
  t.after(() => server.close());
  const requirement = requirementFor(token, payTo);
  const paymentPayload = await officialPayload(payer, requirement);
  const post = async (path, body) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const body = { x402Version: 2, paymentPayload, paymentRequirements: requirement };

  const supported = await (await fetch(`${server.url}/supported`)).json();
  assert.ok(supported.kinds.some((k) => k.x402Version === 2 && k.scheme === 'exact' && k.network === NETWORK));

  const verified = await post('/verify', body);
  assert.equal(verified.status, 200);
  assert.equal(verified.body.isValid, true, JSON.stringify(verified.body));

  const before = await balanceOf(token, payTo);
  const settled = await post('/settle', body);
  assert.equal(settled.status, 200);
  assert.equal(settled.body.success, true, JSON.stringify(settled.body));
  assert.equal(await balanceOf(token, payTo), before + 1_234_567n);

  const replay = await post('/verify', body);
  assert.equal(replay.status, 200);
  assert.equal(replay.body.isValid, false);
  assert.equal((await post('/verify', { nope: true })).status, 400);
});
