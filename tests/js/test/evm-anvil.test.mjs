// Payments made by the wasm package (called from JS) on a real chain: anvil running
// TestUSDC (EIP-3009, "USDC" version "2"). Settled directly with transferWithAuthorization,
// and verified + settled by the official @x402/evm facilitator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSignature } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import {
  anvilAccount, anvilClients, balanceOf, deployTestUSDC, installMulticall3, mint,
  startAnvil, startOfficialFacilitator,
} from '../lib/chain.mjs';
import { loadX402 } from '../lib/x402.mjs';

const x402 = await loadX402();
const NETWORK = 'eip155:31337';

async function setup(t) {
  const anvil = await startAnvil({ chainId: 31337 });
  t.after(() => anvil.stop());
  const token = await deployTestUSDC(anvil);
  await installMulticall3(anvil);
  const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
  await mint(token, wallet.address, 10_000_000n);
  const { publicClient, walletClient: relayer } = anvilClients(anvil, anvilAccount(1));
  const chainNow = async () => Number((await publicClient.getBlock()).timestamp);
  return { anvil, token, wallet, payTo: anvilAccount(2).address, publicClient, relayer, chainNow };
}

function challengeFor(token, payTo, amount, maxTimeoutSeconds = 300) {
  return {
    x402Version: 2,
    resource: { url: 'http://127.0.0.1/paid', description: 'anvil test' },
    accepts: [{ scheme: 'exact', network: NETWORK, amount, asset: token.address, payTo, maxTimeoutSeconds, extra: { name: 'USDC', version: '2' } }],
  };
}

/** Sends transferWithAuthorization(v, r, s) for a payload; resolves to the receipt. */
async function settleDirectly({ token, relayer, publicClient }, payload) {
  const a = payload.payload.authorization;
  const { v, r, s } = parseSignature(payload.payload.signature);
  const hash = await relayer.writeContract({
    address: token.address, abi: token.abi, functionName: 'transferWithAuthorization',
    args: [a.from, a.to, BigInt(a.value), BigInt(a.validAfter), BigInt(a.validBefore), a.nonce, Number(v), r, s],
  });
  return publicClient.waitForTransactionReceipt({ hash });
}

test('a wasm-made payload settles on anvil; its replay and an expired one revert', async (t) => {
  const ctx = await setup(t);
  const { token, wallet, payTo } = ctx;
  const challenge = challengeFor(token, payTo, '1234567');
  const payload = await x402.createPaymentPayload(challenge, 0, wallet, { now: await ctx.chainNow() });

  const before = await balanceOf(token, payTo);
  const receipt = await settleDirectly(ctx, payload);
  assert.equal(receipt.status, 'success');
  assert.equal(await balanceOf(token, payTo), before + 1_234_567n);
  assert.equal(await balanceOf(token, wallet.address), 10_000_000n - 1_234_567n);

  await assert.rejects(settleDirectly(ctx, payload), /authorization is used or canceled/);

  const stale = await x402.createPaymentPayload(challengeFor(token, payTo, '1', 60), 0, wallet, {
    now: (await ctx.chainNow()) - 3600,
  });
  await assert.rejects(settleDirectly(ctx, stale), /authorization is expired/);
  assert.equal(await balanceOf(token, payTo), before + 1_234_567n);
});

test('the official facilitator verifies and settles a wasm-made payload (EIP-3009)', async (t) => {
  const ctx = await setup(t);
  const { anvil, token, wallet, payTo } = ctx;
  const facilitator = await startOfficialFacilitator({ ...anvil, network: NETWORK });
  const challenge = challengeFor(token, payTo, '2500000');
  const requirement = challenge.accepts[0];
  const payload = await x402.createPaymentPayload(challenge, requirement, wallet);

  const ours = x402.verifyPayment(payload, requirement);
  assert.equal(ours.isValid, true, JSON.stringify(ours));
  const verified = await facilitator.verify(payload, requirement);
  assert.equal(verified.isValid, true, JSON.stringify(verified));
  assert.equal(verified.payer, wallet.address);

  const before = await balanceOf(token, payTo);
  const settled = await facilitator.settle(payload, requirement);
  assert.equal(settled.success, true, JSON.stringify(settled));
  assert.match(settled.transaction, /^0x[0-9a-f]{64}$/);
  assert.equal(await balanceOf(token, payTo), before + 2_500_000n);

  const again = await facilitator.verify(payload, requirement);
  assert.equal(again.isValid, false);
});

test('tampered payloads fail both our verifier and the official facilitator', async (t) => {
  const ctx = await setup(t);
  const { anvil, token, wallet, payTo } = ctx;
  const facilitator = await startOfficialFacilitator({ ...anvil, network: NETWORK });
  const challenge = challengeFor(token, payTo, '1000');
  const requirement = challenge.accepts[0];
  const good = await x402.createPaymentPayload(challenge, requirement, wallet);
  const tamper = (edit) => { const p = structuredClone(good); edit(p); return p; };
  const cases = [
    ['amount raised', tamper((p) => { p.payload.authorization.value = '1001'; }), 'invalid_exact_evm_payload_authorization_value_mismatch'],
    ['recipient swapped', tamper((p) => { p.payload.authorization.to = anvilAccount(3).address; }), 'invalid_exact_evm_payload_recipient_mismatch'],
    ['signature flipped', tamper((p) => { p.payload.signature = p.payload.signature.slice(0, 10) + (p.payload.signature[10] === 'a' ? 'b' : 'a') + p.payload.signature.slice(11); }), 'invalid_exact_evm_payload_signature'],
  ];
  for (const [name, payload, reason] of cases) {
    assert.equal(x402.verifyPayment(payload, requirement).invalidReason, reason, name);
    const official = await facilitator.verify(payload, requirement);
    assert.equal(official.isValid, false, `${name}: official facilitator accepted it`);
  }
  const before = await balanceOf(token, payTo);
  const settled = await facilitator.settle(cases[0][1], requirement);
  assert.equal(settled.success, false);
  assert.equal(await balanceOf(token, payTo), before);
});
