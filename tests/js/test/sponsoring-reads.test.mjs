// The chain reads behind the gas-sponsoring extensions of Permit2 payments, against a JSON-RPC node
// that misbehaves on purpose (tests/js/lib/svm-rpc.mjs's recording server): an RPC URL serving
// another chain is refused before the EIP-2612 permit's reads, as before the approval's; a wallet's
// ethCall that never answers is bounded by rpcTimeout; a node without eth_maxPriorityFeePerGas gets
// the eth_gasPrice fallback, one that does not answer in time does not. The signed permit and
// transaction are checked with viem. (Settlement of both extensions on anvil by the official
// facilitator: permit2-sponsoring.test.mjs and permit2-approval.test.mjs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getAddress, parseTransaction, recoverTransactionAddress, recoverTypedDataAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { PERMIT2_ADDRESS } from '@x402/evm';
import { declareEip2612GasSponsoringExtension, declareErc20ApprovalGasSponsoringExtension } from '@x402/extensions';
import { rpcError, startJsonRpc } from '../lib/svm-rpc.mjs';
import { loadX402 } from '../lib/x402.mjs';

const x402 = await loadX402();
const KEY = '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';
const payer = privateKeyToAccount(KEY);
const CHAIN_ID = 1337;
const NETWORK = `eip155:${CHAIN_ID}`;
const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const ALLOWANCE = '0xdd62ed3e'; // allowance(address,address)
const NONCES = '0x7ecebe00'; // nonces(address)
const word = (n) => `0x${BigInt(n).toString(16).padStart(64, '0')}`;
const hex = (n) => `0x${BigInt(n).toString(16)}`;

function paymentRequired(extensions, extra = {}) {
  const requirement = {
    scheme: 'exact', network: NETWORK, amount: '10000', asset: TOKEN,
    payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', maxTimeoutSeconds: 300,
    extra: { assetTransferMethod: 'permit2', ...extra },
  };
  return { x402Version: 2, resource: { url: 'http://127.0.0.1/paid' }, accepts: [requirement], extensions };
}
const PERMIT_402 = paymentRequired(declareEip2612GasSponsoringExtension(), { name: 'Permit Token', version: '1' });
const APPROVAL_402 = paymentRequired(declareErc20ApprovalGasSponsoringExtension());

/** A node on `chainId` where Permit2 has no allowance and the payer's permit nonce is 5; `more` answers the rest. */
async function node(t, { chainId = CHAIN_ID, more = () => { throw rpcError(-32601, 'method not found'); } } = {}) {
  const rpc = await startJsonRpc((method, params) => {
    if (method === 'eth_chainId') return hex(chainId);
    if (method === 'eth_call' && params[0].data.startsWith(ALLOWANCE)) return word(0);
    if (method === 'eth_call' && params[0].data.startsWith(NONCES)) return word(5);
    return more(method, params);
  });
  t.after(() => rpc.close());
  return rpc;
}

test('an RPC URL serving another chain is refused before the permit is read or signed; the right chain is checked first', async (t) => {
  const wallet = x402.evmPrivateKeyWallet(KEY);
  t.after(() => wallet.free());
  const other = await node(t, { chainId: 1338 });
  await assert.rejects(
    x402.createPaymentPayload(PERMIT_402, 0, wallet, { rpc: { [NETWORK]: other.url() } }),
    { code: 'CHAIN_NOT_AVAILABLE' },
  );
  assert.deepEqual(other.calls.map((c) => c.method), ['eth_chainId'], 'nothing read on the other chain');

  const right = await node(t);
  const payload = await x402.createPaymentPayload(PERMIT_402, 0, wallet, { rpc: { [NETWORK]: right.url() } });
  assert.deepEqual(right.calls.map((c) => c.method), ['eth_chainId', 'eth_call', 'eth_call']);
  const info = payload.extensions.eip2612GasSponsoring.info;
  assert.equal(info.nonce, '5', 'the nonce read from the node');
  const signer = await recoverTypedDataAddress({
    domain: { name: 'Permit Token', version: '1', chainId: CHAIN_ID, verifyingContract: TOKEN },
    types: {
      Permit: [
        { name: 'owner', type: 'address' }, { name: 'spender', type: 'address' }, { name: 'value', type: 'uint256' },
        { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' },
      ],
    },
    primaryType: 'Permit',
    message: { owner: payer.address, spender: PERMIT2_ADDRESS, value: 10000n, nonce: 5n, deadline: BigInt(info.deadline) },
    signature: info.signature,
  });
  assert.equal(signer, payer.address);
});

test("a wallet's ethCall that never answers fails with RPC_ERROR after rpcTimeout, with no permit signed", async () => {
  let asked = 0;
  let signed = 0;
  const wallet = {
    kind: 'evm',
    address: payer.address,
    getAddress: async () => payer.address,
    signTypedData: (typedData) => {
      signed++;
      return payer.signTypedData(typedData);
    },
    ethCall: () => {
      asked++;
      return new Promise(() => {});
    },
  };
  await assert.rejects(
    x402.createPaymentPayload(PERMIT_402, 0, wallet, { rpcTimeout: 200 }),
    (e) => e.code === 'RPC_ERROR' && /ethCall did not answer within 200 ms/.test(e.message),
  );
  // An allowance that cannot be read counts as short (as the official client's), so the permit
  // nonce is asked next, and that is where it stops.
  assert.equal(asked, 2, 'the allowance, then the permit nonce');
  assert.equal(signed, 1, 'only the Permit2 payment was signed, no permit');
});

test('the approval takes eth_gasPrice less the base fee as its tip from a node that refuses eth_maxPriorityFeePerGas, and fails on one that does not answer', async (t) => {
  const wallet = x402.evmPrivateKeyWallet(KEY);
  t.after(() => wallet.free());
  const answers = {
    eth_getTransactionCount: hex(3),
    eth_getBlockByNumber: { number: hex(100), baseFeePerGas: hex(1_000) },
    eth_gasPrice: hex(1_500),
  };
  const refusing = await node(t, {
    more: (method) => {
      if (method in answers) return answers[method];
      throw rpcError(-32601, `the method ${method} does not exist`);
    },
  });
  const payload = await x402.createPaymentPayload(APPROVAL_402, 0, wallet, { rpc: { [NETWORK]: refusing.url() } });
  const raw = payload.extensions.erc20ApprovalGasSponsoring.info.signedTransaction;
  const tx = parseTransaction(raw);
  assert.deepEqual(
    { type: tx.type, chainId: tx.chainId, nonce: tx.nonce, to: getAddress(tx.to), tip: tx.maxPriorityFeePerGas, max: tx.maxFeePerGas },
    { type: 'eip1559', chainId: CHAIN_ID, nonce: 3, to: TOKEN, tip: 500n, max: 2_500n },
  );
  assert.equal(await recoverTransactionAddress({ serializedTransaction: raw }), payer.address);
  assert.ok(refusing.calls.some((c) => c.method === 'eth_gasPrice'), 'the fallback was asked');

  const silent = await node(t, {
    more: (method) => (method === 'eth_maxPriorityFeePerGas' ? new Promise(() => {}) : answers[method]),
  });
  await assert.rejects(
    x402.createPaymentPayload(APPROVAL_402, 0, wallet, { rpc: { [NETWORK]: silent.url() }, rpcTimeout: 300 }),
    (e) => e.code === 'RPC_ERROR' && /eth_maxPriorityFeePerGas/.test(e.message),
  );
  assert.ok(!silent.calls.some((c) => c.method === 'eth_gasPrice'), 'no second wait for the fallback');
});
