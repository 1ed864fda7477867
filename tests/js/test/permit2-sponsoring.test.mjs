// The eip2612GasSponsoring extension of Permit2 payments, settled on a real chain: a payer who never
// approved Permit2 signs the token's EIP-2612 permit with the payment, and the OFFICIAL @x402/evm
// facilitator submits both (the proxy's settleWithPermit), paying the gas. x402-wasm signs with a local
// key (reading the chain over options.rpc) and with an EIP-1193 wallet (reading through the wallet's
// node, eth_call); the 402's extension is the official server declaration (@x402/extensions); the
// permit's signature is checked with viem; the allowance, nonces and balances are read from the chain.
// Real: anvil, Uniswap's Permit2 code, an OpenZeppelin ERC20Permit token, the official facilitator and
// client (the control). NOT real: the x402 Permit2 proxy (contracts/TestExactPermit2Proxy.sol, a
// test-only stand-in, see permit2-anvil.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getAddress, maxUint256, parseAbi, recoverTypedDataAddress } from 'viem';
import { PERMIT2_ADDRESS, x402ExactPermit2ProxyAddress as PROXY_ADDRESS } from '@x402/evm';
import { declareEip2612GasSponsoringExtension } from '@x402/extensions';
import { anvilAccount, anvilClients, balanceOf, rpc } from '../lib/chain.mjs';
import { deployPermitERC20, officialPermit2Client, startPermit2Stack } from '../lib/permit2.mjs';
import { loadX402 } from '../lib/x402.mjs';

const x402 = await loadX402();
const CHAIN_ID = 1337; // not 31337: see lib/permit2.mjs
const NETWORK = `eip155:${CHAIN_ID}`;
const PRICE = 10_000n;
const MINTED = 1_000_000n;
const TOKEN_ABI = parseAbi([
  'function allowance(address owner, address spender) view returns (uint256)',
  'function nonces(address owner) view returns (uint256)',
]);
const PERMIT_TYPES = {
  Permit: [
    { name: 'owner', type: 'address' }, { name: 'spender', type: 'address' }, { name: 'value', type: 'uint256' },
    { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' },
  ],
};

/** Permit2, the stand-in proxy and an EIP-2612 token on anvil; a payer with tokens and no ETH, who never approved Permit2. */
async function setup(t) {
  const { anvil, token, facilitator, key, payer } = await startPermit2Stack(t, { chainId: CHAIN_ID, deployToken: deployPermitERC20, minted: MINTED });
  const payTo = anvilAccount(2).address;
  const requirement = {
    scheme: 'exact', network: NETWORK, amount: String(PRICE), asset: token.address, payTo,
    maxTimeoutSeconds: 300, extra: { assetTransferMethod: 'permit2', name: 'Permit Token', version: '1' },
  };
  const extensions = declareEip2612GasSponsoringExtension();
  const paymentRequired = { x402Version: 2, resource: { url: 'http://127.0.0.1/paid' }, accepts: [requirement], extensions };
  const read = (functionName, args) => token.publicClient.readContract({ address: token.address, abi: TOKEN_ABI, functionName, args });
  const balances = async () => ({ payer: await balanceOf(token, payer.address), payee: await balanceOf(token, payTo) });
  return { anvil, token, facilitator, key, payer, payTo, requirement, extensions, paymentRequired, read, balances };
}

/** The permit in `payload` is the payer's, for Permit2, the price, the current nonce and the payment's deadline (viem recovers it). */
async function assertPermitInfo(s, payload) {
  const info = payload.extensions?.eip2612GasSponsoring?.info;
  assert.ok(info?.signature, `no signed permit: ${JSON.stringify(payload.extensions)}`);
  const deadline = payload.payload.permit2Authorization.deadline;
  assert.deepEqual(
    { from: getAddress(info.from), asset: getAddress(info.asset), spender: getAddress(info.spender), amount: info.amount, nonce: info.nonce, deadline: info.deadline, version: info.version },
    { from: s.payer.address, asset: s.token.address, spender: PERMIT2_ADDRESS, amount: String(PRICE), nonce: '0', deadline, version: '1' },
  );
  const signer = await recoverTypedDataAddress({
    domain: { name: 'Permit Token', version: '1', chainId: CHAIN_ID, verifyingContract: s.token.address },
    types: PERMIT_TYPES, primaryType: 'Permit', signature: info.signature,
    message: { owner: s.payer.address, spender: PERMIT2_ADDRESS, value: PRICE, nonce: 0n, deadline: BigInt(deadline) },
  });
  assert.equal(signer, s.payer.address, 'the permit is signed by the payer');
  return info;
}

/** The official facilitator verifies and settles `payload` through settleWithPermit: the price moved, the permit used. */
async function assertSponsoredSettle(s, payload) {
  assert.equal(await s.read('allowance', [s.payer.address, PERMIT2_ADDRESS]), 0n, 'no approval before');
  const verified = await s.facilitator.verify(payload, s.requirement);
  assert.equal(verified.isValid, true, `official verify: ${JSON.stringify(verified)}`);
  const before = await s.balances();
  const settled = await s.facilitator.settle(payload, s.requirement);
  assert.equal(settled.success, true, `official settle: ${JSON.stringify(settled)}`);
  const receipt = await s.token.publicClient.getTransactionReceipt({ hash: settled.transaction });
  assert.equal(receipt.status, 'success');
  assert.equal(getAddress(receipt.to), PROXY_ADDRESS, 'settled through the Permit2 proxy');
  assert.notEqual(getAddress(receipt.from), s.payer.address, 'the facilitator sent the transaction');
  assert.deepEqual(await s.balances(), { payer: before.payer - PRICE, payee: before.payee + PRICE }, 'exactly the price moved');
  assert.equal(await s.read('nonces', [s.payer.address]), 1n, 'the permit was used on chain');
  assert.equal(await s.read('allowance', [s.payer.address, PERMIT2_ADDRESS]), 0n, 'Permit2 spent exactly what the permit allowed');
  assert.equal(await rpc(s.anvil.rpcUrl, 'eth_getBalance', [s.payer.address, 'latest']), '0x0', 'the payer had no gas and needed none');
}

test('a local key signs the EIP-2612 permit when the 402 offers gas sponsoring and Permit2 has no allowance; the official facilitator settles it', async (t) => {
  const s = await setup(t);
  const wallet = x402.evmPrivateKeyWallet(s.key);
  t.after(() => wallet.free());
  const payload = await x402.createPaymentPayload(s.paymentRequired, 0, wallet, { rpc: { [NETWORK]: s.anvil.rpcUrl } });
  const info = await assertPermitInfo(s, payload);
  // The server's declaration stays (its description and schema), as the official client merges it.
  assert.equal(info.description, s.extensions.eip2612GasSponsoring.info.description);
  assert.deepEqual(payload.extensions.eip2612GasSponsoring.schema, s.extensions.eip2612GasSponsoring.schema);
  assert.equal(x402.verifyPayment(payload, s.requirement).isValid, true, 'our verifier accepts the payment');
  await assertSponsoredSettle(s, payload);
});

test('control: the official client signs the same permit fields, and its payload settles on the same stack', async (t) => {
  const s = await setup(t);
  const official = await officialPermit2Client(s.payer, s.anvil.rpcUrl, NETWORK, s.token.address).createPaymentPayload(s.paymentRequired);
  const theirs = await assertPermitInfo(s, official);
  const wallet = x402.evmPrivateKeyWallet(s.key);
  t.after(() => wallet.free());
  const ours = (await x402.createPaymentPayload(s.paymentRequired, 0, wallet, { rpc: { [NETWORK]: s.anvil.rpcUrl } }))
    .extensions.eip2612GasSponsoring;
  // Field for field, but for what depends on the moment of signing.
  const timeless = ({ info: { signature, deadline, ...rest }, ...extension }) => ({ ...extension, info: rest });
  assert.deepEqual(timeless(ours), timeless(official.extensions.eip2612GasSponsoring));
  assert.equal(Object.keys(ours.info).sort().join(), Object.keys(theirs).sort().join());
  await assertSponsoredSettle(s, official);
});

test('an EIP-1193 wallet reads the chain through its own node (eth_call) and signs the permit after the payment; wrapFetch pays', async (t) => {
  const s = await setup(t);
  const calls = [];
  const provider = {
    async request({ method, params }) {
      calls.push(method);
      switch (method) {
        case 'eth_accounts': case 'eth_requestAccounts': return [s.payer.address];
        case 'eth_chainId': return `0x${CHAIN_ID.toString(16)}`;
        case 'eth_call': return rpc(s.anvil.rpcUrl, 'eth_call', params);
        case 'eth_signTypedData_v4': {
          const typed = JSON.parse(params[1]);
          calls.push(typed.primaryType);
          const { EIP712Domain, ...types } = typed.types;
          return s.payer.signTypedData({ domain: typed.domain, types, primaryType: typed.primaryType, message: typed.message });
        }
        default: throw Object.assign(new Error(`${method} is not scripted`), { code: 4200 });
      }
    },
  };
  const header = Buffer.from(JSON.stringify(s.paymentRequired)).toString('base64');
  let paid;
  const server = async (input, init) => {
    const sent = new Headers(init?.headers ?? input.headers).get('payment-signature');
    if (!sent) return new Response('{}', { status: 402, headers: { 'PAYMENT-REQUIRED': header } });
    paid = JSON.parse(Buffer.from(sent, 'base64').toString());
    return new Response('paid', { status: 200 });
  };
  const pay = x402.wrapFetch(server, {
    wallets: [x402.eip1193Wallet(provider)],
    policy: { assets: [{ network: NETWORK, asset: s.token.address, decimals: 6, maxPerPayment: String(PRICE) }] },
  });
  const response = await pay('http://127.0.0.1/paid');
  assert.equal(response.status, 200);
  await assertPermitInfo(s, paid);
  const signed = calls.filter((c) => c === 'PermitWitnessTransferFrom' || c === 'Permit');
  assert.deepEqual(signed, ['PermitWitnessTransferFrom', 'Permit'], `the payment first, then the permit: ${calls}`);
  assert.equal(calls.filter((c) => c === 'eth_call').length, 2, `the allowance and the nonce: ${calls}`);
  await assertSponsoredSettle(s, paid);
});

test('no permit is signed when Permit2\'s allowance covers the payment, or when nothing can read the chain', async (t) => {
  const s = await setup(t);
  const wallet = x402.evmPrivateKeyWallet(s.key);
  t.after(() => wallet.free());
  // Nothing to read the chain with: the server's extension is echoed as it was.
  const blind = await x402.createPaymentPayload(s.paymentRequired, 0, wallet);
  assert.deepEqual(blind.extensions, s.extensions);
  // An approval already there.
  await rpc(s.anvil.rpcUrl, 'anvil_setBalance', [s.payer.address, '0xde0b6b3a7640000']);
  const { walletClient, publicClient } = anvilClients(s.anvil, s.payer);
  const hash = await walletClient.writeContract({
    address: s.token.address, abi: s.token.abi, functionName: 'approve', args: [PERMIT2_ADDRESS, maxUint256],
  });
  assert.equal((await publicClient.waitForTransactionReceipt({ hash })).status, 'success');
  const approved = await x402.createPaymentPayload(s.paymentRequired, 0, wallet, { rpc: { [NETWORK]: s.anvil.rpcUrl } });
  assert.deepEqual(approved.extensions, s.extensions, 'no permit over an allowance that covers the price');
  const verified = await s.facilitator.verify(approved, s.requirement);
  assert.equal(verified.isValid, true, JSON.stringify(verified));
  // A token without nonces() (an answer that is not one word) is a coded error before anything is sent.
  await rpc(s.anvil.rpcUrl, 'anvil_setCode', [s.token.address, '0x']);
  await assert.rejects(
    x402.createPaymentPayload(s.paymentRequired, 0, wallet, { rpc: { [NETWORK]: s.anvil.rpcUrl } }),
    { code: 'RPC_ERROR' },
  );
});
