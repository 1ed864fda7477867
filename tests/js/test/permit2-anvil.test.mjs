// x402 exact payments by Permit2 (`extra.assetTransferMethod: 'permit2'`) settled on a real chain.
// x402-wasm signs (createPaymentPayload with evmPrivateKeyWallet); our verifyPayment and the OFFICIAL
// @x402/evm facilitator verify; the official facilitator settles; the balances are read from the chain.
// Real: anvil, Uniswap's Permit2 code (from npm, at its canonical address), the payer's ERC-20
// approval of Permit2, the official facilitator. NOT real: the x402 exact Permit2 proxy, whose source
// we do not have: contracts/TestExactPermit2Proxy.sol is our test-only stand-in, written from the
// protocol description, at the proxy's canonical address. The official client's payload is the control.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, getAddress, hashDomain, maxUint256, parseAbi, recoverTypedDataAddress } from 'viem';
import {
  PERMIT2_ADDRESS, permit2WitnessTypes, x402ExactPermit2ProxyABI, x402ExactPermit2ProxyAddress as PROXY_ADDRESS,
} from '@x402/evm';
import { anvilAccount, anvilClients, balanceOf, rpc, startAnvil } from '../lib/chain.mjs';
import {
  deployPlainERC20, installExactPermit2ProxyStandIn, installPermit2, officialPermit2Client, startPermit2Stack,
} from '../lib/permit2.mjs';
import { loadX402 } from '../lib/x402.mjs';

const x402 = await loadX402();
// Not anvil's default 31337: the npm Permit2 code caches a wrong domain separator for that chain
// (lib/permit2.mjs says why), and on any other chain it computes the right one.
const CHAIN_ID = 1337;
const NETWORK = `eip155:${CHAIN_ID}`;
const PRICE = 10_000n;
const MINTED = 1_000_000n;
const PERMIT2_ABI = parseAbi([
  'function DOMAIN_SEPARATOR() view returns (bytes32)',
  'function nonceBitmap(address owner, uint256 word) view returns (uint256)',
]);
// Permit2's custom errors, as viem reports an undecoded revert.
const INVALID_SIGNER = /0x815e1d64/; // InvalidSigner()
const INVALID_NONCE = /0x756688fe/; // InvalidNonce()

/**
 * A chain with Permit2, the stand-in proxy, Multicall3 (the facilitator's diagnostics read through it)
 * and a plain ERC-20; a fresh payer holding MINTED tokens and gas; the official facilitator. With
 * `approve` the payer approves Permit2 for the token (with viem, so the control does not rely on us).
 */
async function setup(t, { approve = true } = {}) {
  const { anvil, token, facilitator, key, payer } = await startPermit2Stack(t, { chainId: CHAIN_ID, deployToken: deployPlainERC20, minted: MINTED });
  await rpc(anvil.rpcUrl, 'anvil_setBalance', [payer.address, '0xde0b6b3a7640000']); // 1 ETH for the approval
  if (approve) {
    const { walletClient, publicClient } = anvilClients(anvil, payer);
    const hash = await walletClient.writeContract({
      address: token.address, abi: token.abi, functionName: 'approve', args: [PERMIT2_ADDRESS, maxUint256],
    });
    assert.equal((await publicClient.waitForTransactionReceipt({ hash })).status, 'success', 'Permit2 approval');
  }
  const wallet = x402.evmPrivateKeyWallet(key);
  t.after(() => wallet.free());
  const payTo = anvilAccount(2).address;
  const requirement = {
    scheme: 'exact', network: NETWORK, amount: String(PRICE), asset: token.address, payTo,
    maxTimeoutSeconds: 300, extra: { assetTransferMethod: 'permit2' },
  };
  const paymentRequired = { x402Version: 2, resource: { url: 'http://127.0.0.1/paid' }, accepts: [requirement] };
  const balances = async () => ({ payer: await balanceOf(token, payer.address), payee: await balanceOf(token, payTo) });
  return { anvil, token, facilitator, payer, wallet, payTo, requirement, paymentRequired, balances };
}

/** Calls the proxy's settle() for `payload` from anvil account 1, bypassing every verifier; resolves to the receipt. */
async function settleDirectly({ anvil }, payload) {
  const a = payload.payload.permit2Authorization;
  const { walletClient, publicClient } = anvilClients(anvil, anvilAccount(1));
  const hash = await walletClient.writeContract({
    address: PROXY_ADDRESS, abi: x402ExactPermit2ProxyABI, functionName: 'settle',
    args: [
      { permitted: { token: a.permitted.token, amount: BigInt(a.permitted.amount) }, nonce: BigInt(a.nonce), deadline: BigInt(a.deadline) },
      a.from, { to: a.witness.to, validAfter: BigInt(a.witness.validAfter) }, payload.payload.signature,
    ],
  });
  return publicClient.waitForTransactionReceipt({ hash });
}

/** The official facilitator settles `payload`: success, through the proxy, and exactly PRICE moved payer -> payee. */
async function assertOfficialSettle(s, payload) {
  const before = await s.balances();
  const settled = await s.facilitator.settle(payload, s.requirement);
  assert.equal(settled.success, true, `official settle: ${JSON.stringify(settled)}`);
  const receipt = await s.token.publicClient.getTransactionReceipt({ hash: settled.transaction });
  assert.equal(receipt.status, 'success');
  assert.equal(getAddress(receipt.to), PROXY_ADDRESS, 'settled through the Permit2 proxy');
  assert.deepEqual(await s.balances(), { payer: before.payer - PRICE, payee: before.payee + PRICE }, 'exactly the price moved');
  return settled;
}

test('Permit2 from npm is live at its canonical address and its domain separator is the EIP-712 one', async (t) => {
  const anvil = await startAnvil({ chainId: CHAIN_ID });
  t.after(() => anvil.stop());
  await installPermit2(anvil);
  await installExactPermit2ProxyStandIn(anvil);
  const { publicClient } = anvilClients(anvil);
  const onChain = await publicClient.readContract({ address: PERMIT2_ADDRESS, abi: PERMIT2_ABI, functionName: 'DOMAIN_SEPARATOR' });
  const expected = hashDomain({
    domain: { name: 'Permit2', chainId: CHAIN_ID, verifyingContract: PERMIT2_ADDRESS },
    types: { EIP712Domain: [{ name: 'name', type: 'string' }, { name: 'chainId', type: 'uint256' }, { name: 'verifyingContract', type: 'address' }] },
  });
  assert.equal(onChain, expected, 'signatures made for the canonical Permit2 domain would not verify');
  // The stand-in answers the official proxy ABI, as the facilitator's diagnostics call it.
  const permit2 = await publicClient.readContract({ address: PROXY_ADDRESS, abi: x402ExactPermit2ProxyABI, functionName: 'PERMIT2' });
  assert.equal(permit2, PERMIT2_ADDRESS);
});

test('an x402-wasm Permit2 payment is verified by both verifiers and settled by the official facilitator; its replay is refused', async (t) => {
  const s = await setup(t, { approve: false });
  // The Permit2 approval is sent by our wallet too (sendTransaction through anvil's JSON-RPC).
  const data = encodeFunctionData({ abi: s.token.abi, functionName: 'approve', args: [PERMIT2_ADDRESS, maxUint256] });
  const approval = await s.wallet.sendTransaction({ chainId: CHAIN_ID, to: s.token.address, data }, { rpcUrl: s.anvil.rpcUrl });
  assert.equal((await s.token.publicClient.waitForTransactionReceipt({ hash: approval })).status, 'success', 'our approval');

  const payload = await x402.createPaymentPayload(s.paymentRequired, 0, s.wallet);
  const auth = payload.payload.permit2Authorization;
  assert.ok(auth, `not a Permit2 payload: ${JSON.stringify(payload.payload)}`);
  assert.equal(getAddress(auth.spender), PROXY_ADDRESS, 'the payer authorizes the x402 proxy');
  assert.equal(getAddress(auth.from), s.payer.address);
  const signer = await recoverTypedDataAddress({
    domain: { name: 'Permit2', chainId: CHAIN_ID, verifyingContract: PERMIT2_ADDRESS },
    types: permit2WitnessTypes, primaryType: 'PermitWitnessTransferFrom', signature: payload.payload.signature,
    message: {
      permitted: { token: auth.permitted.token, amount: BigInt(auth.permitted.amount) }, spender: auth.spender,
      nonce: BigInt(auth.nonce), deadline: BigInt(auth.deadline), witness: { to: auth.witness.to, validAfter: BigInt(auth.witness.validAfter) },
    },
  });
  assert.equal(signer, s.payer.address, 'the signature is the payer\'s over the Permit2 witness transfer');

  const ours = x402.verifyPayment(payload, s.requirement);
  assert.equal(ours.isValid, true, `our verifyPayment: ${JSON.stringify(ours)}`);
  const verified = await s.facilitator.verify(payload, s.requirement);
  assert.equal(verified.isValid, true, `official verify: ${JSON.stringify(verified)}`);
  assert.equal(verified.payer, s.payer.address);
  await assertOfficialSettle(s, payload);
  // Permit2 marked the nonce used in its bitmap (word nonce >> 8, bit nonce & 255).
  const nonce = BigInt(auth.nonce);
  const word = await s.token.publicClient.readContract({
    address: PERMIT2_ADDRESS, abi: PERMIT2_ABI, functionName: 'nonceBitmap', args: [s.payer.address, nonce >> 8n],
  });
  assert.equal((word >> (nonce & 255n)) & 1n, 1n, 'nonce marked used');

  const after = await s.balances();
  const reverified = await s.facilitator.verify(payload, s.requirement);
  assert.equal(reverified.isValid, false, `replay verified: ${JSON.stringify(reverified)}`);
  const resettled = await s.facilitator.settle(payload, s.requirement);
  assert.equal(resettled.success, false, `replay settled: ${JSON.stringify(resettled)}`);
  await assert.rejects(settleDirectly(s, payload), INVALID_NONCE, 'Permit2 itself refuses the used nonce');
  assert.deepEqual(await s.balances(), after, 'the replay moved nothing');
});

test('control: the official client\'s Permit2 payload settles on the same stack, and our verifier accepts it', async (t) => {
  const s = await setup(t);
  const payload = await officialPermit2Client(s.payer, undefined, NETWORK, s.token.address).createPaymentPayload(s.paymentRequired);
  assert.ok(payload.payload.permit2Authorization, `not a Permit2 payload: ${JSON.stringify(payload.payload)}`);
  const verified = await s.facilitator.verify(payload, s.requirement);
  assert.equal(verified.isValid, true, `official verify: ${JSON.stringify(verified)}`);
  const ours = x402.verifyPayment(payload, s.requirement);
  assert.equal(ours.isValid, true, `our verifyPayment: ${JSON.stringify(ours)}`);
  await assertOfficialSettle(s, payload);
});

test('without the payer\'s Permit2 approval the official facilitator says permit2_allowance_required and nothing moves', async (t) => {
  const s = await setup(t, { approve: false });
  const payload = await x402.createPaymentPayload(s.paymentRequired, 0, s.wallet);
  // Our verifier has no chain access, so it cannot see allowances.
  assert.equal(x402.verifyPayment(payload, s.requirement).isValid, true);
  const verified = await s.facilitator.verify(payload, s.requirement);
  assert.equal(verified.invalidReason, 'permit2_allowance_required', JSON.stringify(verified));
  const before = await s.balances();
  const settled = await s.facilitator.settle(payload, s.requirement);
  assert.equal(settled.success, false, `settled without an approval: ${JSON.stringify(settled)}`);
  assert.deepEqual(await s.balances(), before);
});

test('a witness recipient changed after signing is refused by both verifiers and, on chain, by Permit2 (InvalidSigner)', async (t) => {
  const s = await setup(t);
  const payload = await x402.createPaymentPayload(s.paymentRequired, 0, s.wallet);
  // The payer signed for payTo; the forgery names another recipient in the witness and the requirement,
  // so every field agrees with every other except the signature.
  const thief = anvilAccount(3).address;
  const stolen = { ...s.requirement, payTo: thief };
  const forged = structuredClone(payload);
  forged.payload.permit2Authorization.witness.to = thief;
  forged.accepted = { ...forged.accepted, payTo: thief };
  const ours = x402.verifyPayment(forged, stolen);
  assert.equal(ours.isValid, false, `our verifyPayment accepted the forgery: ${JSON.stringify(ours)}`);
  const official = await s.facilitator.verify(forged, stolen);
  assert.equal(official.isValid, false, `official verify accepted the forgery: ${JSON.stringify(official)}`);

  // Past every verifier, straight to the proxy: the stand-in's own checks pass, Permit2 refuses.
  await assert.rejects(settleDirectly(s, forged), INVALID_SIGNER);
  assert.equal(await balanceOf(s.token, thief), 0n);
  // The untampered payload goes through the same path, so the refusal was the signature's.
  const before = await s.balances();
  assert.equal((await settleDirectly(s, payload)).status, 'success');
  assert.deepEqual(await s.balances(), { payer: before.payer - PRICE, payee: before.payee + PRICE });
});

test('a validAfter two minutes ahead: both verifiers say permit2_not_yet_valid and the official facilitator moves nothing', async (t) => {
  const s = await setup(t);
  // Inside the authorization's window (its deadline is now + 300; one past it is refused when made).
  const validAfter = Math.floor(Date.now() / 1000) + 120;
  const payload = await x402.createPaymentPayload(s.paymentRequired, 0, s.wallet, { validAfter });
  assert.equal(payload.payload.permit2Authorization.witness.validAfter, String(validAfter));
  assert.equal(x402.verifyPayment(payload, s.requirement).invalidReason, 'permit2_not_yet_valid');
  const verified = await s.facilitator.verify(payload, s.requirement);
  assert.equal(verified.invalidReason, 'permit2_not_yet_valid', JSON.stringify(verified));
  const before = await s.balances();
  const settled = await s.facilitator.settle(payload, s.requirement);
  assert.equal(settled.success, false, `settled before validAfter: ${JSON.stringify(settled)}`);
  assert.deepEqual(await s.balances(), before);
});

test('a client clock 700 s ahead: our default Permit2 validAfter is 0, as the official client\'s, so it still settles', async (t) => {
  const s = await setup(t);
  // The payer's clock is ahead of the facilitator's and the chain's. A validAfter taken from it
  // (its now - 600, as for EIP-3009) would lie in the future for them; Permit2 payments carry 0.
  const clientNow = Math.floor(Date.now() / 1000) + 700;
  const payload = await x402.createPaymentPayload(s.paymentRequired, 0, s.wallet, { now: clientNow });
  const { witness, deadline } = payload.payload.permit2Authorization;
  assert.equal(witness.validAfter, '0', 'default Permit2 validAfter');
  assert.equal(deadline, String(clientNow + 300), 'deadline is the client clock plus maxTimeoutSeconds');
  const verified = await s.facilitator.verify(payload, s.requirement);
  assert.equal(verified.isValid, true, `official verify: ${JSON.stringify(verified)}`);
  await assertOfficialSettle(s, payload);
});
