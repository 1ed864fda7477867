// The erc20ApprovalGasSponsoring extension of Permit2 payments, settled on a real chain: a payer who
// never approved Permit2, for a token without EIP-2612, signs (without sending) an EIP-1559
// `approve(Permit2, 2^256 - 1)` transaction with the payment; the OFFICIAL @x402/evm facilitator
// verifies it and hands it, with the settle call, to its extension signer, which funds the payer's gas
// and broadcasts both (here a sequential sponsor written for the test, as the extension leaves that
// signer to the facilitator's operator). x402-wasm signs with a local key, or a viem local account's
// signTransaction (checked to be the transaction asked, by the payer), reading the nonce, fees and
// allowance over options.rpc; the 402's extension is the official declaration (@x402/extensions); the
// transaction is parsed and its signer recovered with viem. Real: anvil, Uniswap's Permit2 code, the
// official facilitator and client (the control). NOT real: the x402 Permit2 proxy (a test-only
// stand-in, see permit2-anvil.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, erc20Abi, getAddress, maxUint256, parseTransaction, recoverTransactionAddress } from 'viem';
import { PERMIT2_ADDRESS, x402ExactPermit2ProxyAddress as PROXY_ADDRESS } from '@x402/evm';
import { createErc20ApprovalGasSponsoringExtension, declareErc20ApprovalGasSponsoringExtension } from '@x402/extensions';
import { anvilAccount, anvilClients, balanceOf, rpc, startAnvil } from '../lib/chain.mjs';
import { deployPlainERC20, officialPermit2Client, startPermit2Stack } from '../lib/permit2.mjs';
import { loadX402 } from '../lib/x402.mjs';

const x402 = await loadX402();
const CHAIN_ID = 1337; // not 31337: see lib/permit2.mjs
const NETWORK = `eip155:${CHAIN_ID}`;
const PRICE = 10_000n;
const APPROVE = encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [PERMIT2_ADDRESS, maxUint256] });

/**
 * The facilitator's extension signer: for a pre-signed transaction, sends its sender exactly the gas
 * it may burn, then broadcasts it; an unsigned call it sends itself. Sequential, each mined in turn.
 */
function sequentialSponsor(facilitator, anvil) {
  const { walletClient, publicClient } = anvilClients(anvil, anvilAccount(1));
  const mined = async (hash) => {
    assert.equal((await publicClient.waitForTransactionReceipt({ hash })).status, 'success');
    return hash;
  };
  const sent = [];
  const sendTransactions = async (transactions) => {
    const hashes = [];
    for (const tx of transactions) {
      if (typeof tx === 'string') {
        const parsed = parseTransaction(tx);
        const sender = await recoverTransactionAddress({ serializedTransaction: tx });
        await mined(await walletClient.sendTransaction({ to: sender, value: parsed.gas * parsed.maxFeePerGas }));
        hashes.push(await mined(await publicClient.sendRawTransaction({ serializedTransaction: tx })));
        sent.push({ raw: tx, sender });
      } else {
        hashes.push(await mined(await walletClient.sendTransaction({ to: tx.to, data: tx.data, gas: tx.gas })));
        sent.push({ call: tx });
      }
    }
    return hashes;
  };
  facilitator.facilitator.registerExtension(createErc20ApprovalGasSponsoringExtension({ ...facilitator.signer, sendTransactions }));
  return sent;
}

/** Permit2, the stand-in proxy and a plain ERC-20 (no permit) on anvil; a payer with tokens, no ETH and no approval. */
async function setup(t) {
  const { anvil, token, facilitator, key, payer } = await startPermit2Stack(t, { chainId: CHAIN_ID, deployToken: deployPlainERC20, minted: 1_000_000n });
  const sent = sequentialSponsor(facilitator, anvil);
  const payTo = anvilAccount(2).address;
  const requirement = {
    scheme: 'exact', network: NETWORK, amount: String(PRICE), asset: token.address, payTo,
    maxTimeoutSeconds: 300, extra: { assetTransferMethod: 'permit2' },
  };
  const extensions = declareErc20ApprovalGasSponsoringExtension();
  const paymentRequired = { x402Version: 2, resource: { url: 'http://127.0.0.1/paid' }, accepts: [requirement], extensions };
  const allowance = () => token.publicClient.readContract({ address: token.address, abi: erc20Abi, functionName: 'allowance', args: [payer.address, PERMIT2_ADDRESS] });
  const balances = async () => ({ payer: await balanceOf(token, payer.address), payee: await balanceOf(token, payTo) });
  return { anvil, token, facilitator, sent, key, payer, payTo, requirement, extensions, paymentRequired, allowance, balances };
}

/** The approval in `payload`: the payer's, to the token, approve(Permit2, max), 70,000 gas, the payer's next nonce (viem parses and recovers it). */
async function assertApprovalInfo(s, payload, nonce = 0) {
  const info = payload.extensions?.erc20ApprovalGasSponsoring?.info;
  assert.ok(info?.signedTransaction, `no signed approval: ${JSON.stringify(payload.extensions)}`);
  assert.deepEqual(
    { from: getAddress(info.from), asset: getAddress(info.asset), spender: getAddress(info.spender), amount: info.amount, version: info.version },
    { from: s.payer.address, asset: s.token.address, spender: PERMIT2_ADDRESS, amount: maxUint256.toString(), version: '1' },
  );
  const tx = parseTransaction(info.signedTransaction);
  assert.deepEqual(
    { type: tx.type, chainId: tx.chainId, nonce: tx.nonce, to: getAddress(tx.to), data: tx.data, gas: tx.gas, value: tx.value ?? 0n },
    { type: 'eip1559', chainId: CHAIN_ID, nonce, to: s.token.address, data: APPROVE, gas: 70_000n, value: 0n },
  );
  assert.ok(tx.maxFeePerGas >= tx.maxPriorityFeePerGas && tx.maxFeePerGas > 0n, 'fees set');
  assert.equal(await recoverTransactionAddress({ serializedTransaction: info.signedTransaction }), s.payer.address);
  return { info, tx };
}

/** The official facilitator verifies and settles `payload`: the approval broadcast first, then the settle; the price moved. */
async function assertSponsoredSettle(s, payload) {
  assert.equal(await s.allowance(), 0n, 'no approval before');
  const verified = await s.facilitator.verify(payload, s.requirement);
  assert.equal(verified.isValid, true, `official verify: ${JSON.stringify(verified)}`);
  const before = await s.balances();
  const settled = await s.facilitator.settle(payload, s.requirement);
  assert.equal(settled.success, true, `official settle: ${JSON.stringify(settled)}`);
  assert.equal(s.sent.length, 2, 'the approval and the settle went through the extension signer');
  assert.equal(s.sent[0].raw, payload.extensions.erc20ApprovalGasSponsoring.info.signedTransaction);
  assert.equal(s.sent[0].sender, s.payer.address);
  assert.equal(getAddress(s.sent[1].call.to), PROXY_ADDRESS, 'settled through the Permit2 proxy');
  assert.deepEqual(await s.balances(), { payer: before.payer - PRICE, payee: before.payee + PRICE }, 'exactly the price moved');
  assert.equal(await s.allowance(), maxUint256, 'Permit2 approved (an unlimited allowance is not spent down)');
  assert.equal(await rpc(s.anvil.rpcUrl, 'eth_getTransactionCount', [s.payer.address, 'latest']), '0x1', 'the payer sent only the approval');
}

test('a local key signs the approve transaction when the 402 offers ERC-20 approval gas sponsoring; the official facilitator broadcasts it and settles', async (t) => {
  const s = await setup(t);
  const wallet = x402.evmPrivateKeyWallet(s.key);
  t.after(() => wallet.free());
  const payload = await x402.createPaymentPayload(s.paymentRequired, 0, wallet, { rpc: { [NETWORK]: s.anvil.rpcUrl } });
  const { info } = await assertApprovalInfo(s, payload);
  // The server's declaration stays (its description and schema), as the official client merges it.
  assert.equal(info.description, s.extensions.erc20ApprovalGasSponsoring.info.description);
  assert.deepEqual(payload.extensions.erc20ApprovalGasSponsoring.schema, s.extensions.erc20ApprovalGasSponsoring.schema);
  assert.equal(x402.verifyPayment(payload, s.requirement).isValid, true, 'our verifier accepts the payment');
  await assertSponsoredSettle(s, payload);
});

test('control: the official client signs the same approval (fees aside), and its payload settles on the same stack', async (t) => {
  const s = await setup(t);
  const official = await officialPermit2Client(s.payer, s.anvil.rpcUrl, NETWORK, s.token.address).createPaymentPayload(s.paymentRequired);
  const theirs = await assertApprovalInfo(s, official);
  const wallet = x402.evmPrivateKeyWallet(s.key);
  t.after(() => wallet.free());
  const ours = await assertApprovalInfo(s, await x402.createPaymentPayload(s.paymentRequired, 0, wallet, { rpc: { [NETWORK]: s.anvil.rpcUrl } }));
  const unsigned = ({ info: { signedTransaction, ...rest } }) => rest;
  assert.deepEqual(unsigned({ info: ours.info }), unsigned({ info: theirs.info }));
  const fields = ({ tx: { maxFeePerGas, maxPriorityFeePerGas, r, s: sig, v, yParity, ...rest } }) => rest;
  assert.deepEqual(fields(ours), fields(theirs));
  await assertSponsoredSettle(s, official);
});

test('a viem local account signs the approval with its signTransaction, through wrapFetch; the official facilitator broadcasts it and settles', async (t) => {
  const s = await setup(t);
  const asked = [];
  const account = { ...s.payer, signTransaction: (tx) => { asked.push(tx); return s.payer.signTransaction(tx); } };
  let payload;
  const server = async (input, init) => {
    const header = new Headers(init?.headers ?? input.headers).get('payment-signature');
    if (!header) {
      return new Response('{}', { status: 402, headers: { 'PAYMENT-REQUIRED': Buffer.from(JSON.stringify(s.paymentRequired)).toString('base64') } });
    }
    payload = JSON.parse(Buffer.from(header, 'base64').toString());
    return new Response('paid');
  };
  const paying = x402.wrapFetch(server, { wallets: [x402.viemWallet(account)], rpc: { [NETWORK]: s.anvil.rpcUrl }, policy: { assets: [{ network: NETWORK, asset: s.token.address, decimals: 6, maxPerPayment: String(PRICE) }] } });
  assert.equal(await (await paying('http://127.0.0.1/paid')).text(), 'paid');
  assert.equal(asked.length, 1);
  assert.deepEqual(
    { ...asked[0], maxFeePerGas: typeof asked[0].maxFeePerGas, maxPriorityFeePerGas: typeof asked[0].maxPriorityFeePerGas },
    {
      type: 'eip1559', chainId: CHAIN_ID, nonce: 0, to: s.token.address, data: APPROVE, value: 0n, gas: 70_000n,
      maxFeePerGas: 'bigint', maxPriorityFeePerGas: 'bigint', accessList: [],
    },
    'viem\'s shape: numbers for the chain and nonce, bigints for wei and gas',
  );
  await assertApprovalInfo(s, payload);
  await assertSponsoredSettle(s, payload);
});

test('a wallet\'s signed approval must be the transaction asked, signed by the payer: anything else is refused before the payment leaves', async (t) => {
  const s = await setup(t);
  const rpcOption = { rpc: { [NETWORK]: s.anvil.rpcUrl } };
  const other = anvilAccount(3);
  const adapter = (signTransaction) => ({
    kind: 'evm', address: s.payer.address, getAddress: async () => s.payer.address,
    signTypedData: (typedData) => s.payer.signTypedData(typedData), signTransaction,
  });
  const refused = async (signTransaction, code, what) => {
    await assert.rejects(x402.createPaymentPayload(s.paymentRequired, 0, adapter(signTransaction), rpcOption), { code }, what);
  };
  await refused((tx) => s.payer.signTransaction({ ...tx, nonce: tx.nonce + 1 }), 'WALLET_ALTERED_TRANSACTION', 'another nonce');
  await refused((tx) => s.payer.signTransaction({ ...tx, maxFeePerGas: tx.maxFeePerGas * 2n }), 'WALLET_ALTERED_TRANSACTION', 'other fees');
  await refused((tx) => s.payer.signTransaction({ ...tx, data: APPROVE.replace(/f{8}$/, '00000000') }), 'WALLET_ALTERED_TRANSACTION', 'a smaller approval');
  await refused((tx) => s.payer.signTransaction({ ...tx, to: other.address }), 'WALLET_ALTERED_TRANSACTION', 'another recipient');
  await refused((tx) => s.payer.signTransaction({ ...tx, value: 1n }), 'WALLET_ALTERED_TRANSACTION', 'value attached');
  await refused((tx) => s.payer.signTransaction({ ...tx, type: 'legacy', gasPrice: tx.maxFeePerGas, maxFeePerGas: undefined, maxPriorityFeePerGas: undefined, accessList: undefined }), 'WALLET_ALTERED_TRANSACTION', 'a legacy transaction');
  await refused(async () => 'signed', 'WALLET_ALTERED_TRANSACTION', 'not hex');
  await refused((tx) => other.signTransaction(tx), 'SIGNER_MISMATCH', 'signed by another account');
  // A custom adapter's refusal with one of the package's codes keeps it (types.d.ts).
  await refused(async () => { throw Object.assign(new Error('no'), { code: 'USER_REJECTED' }); }, 'USER_REJECTED', 'refused');
  // Through wrapFetch: the payment never leaves (and so counts as not spent).
  let paymentHeaders = 0;
  const server = async (input, init) => {
    if (new Headers(init?.headers ?? input.headers).has('payment-signature')) {
      paymentHeaders++;
      return new Response('paid');
    }
    return new Response('{}', { status: 402, headers: { 'PAYMENT-REQUIRED': Buffer.from(JSON.stringify(s.paymentRequired)).toString('base64') } });
  };
  const events = [];
  const paying = x402.wrapFetch(server, {
    wallets: [adapter((tx) => s.payer.signTransaction({ ...tx, nonce: tx.nonce + 1 }))],
    ...rpcOption,
    policy: { assets: [{ network: NETWORK, asset: s.token.address, decimals: 6, maxPerPayment: String(PRICE) }] },
    onEvent: (e) => events.push(e),
  });
  await assert.rejects(paying('http://127.0.0.1/paid'), { code: 'WALLET_ALTERED_TRANSACTION' });
  assert.equal(paymentHeaders, 0, 'no payment header reached the server');
  assert.deepEqual(events.filter((e) => e.type === 'failed').map((e) => [e.error, e.spent]), [['WALLET_ALTERED_TRANSACTION', false]]);
  assert.equal(await s.allowance(), 0n);
  assert.equal(await rpc(s.anvil.rpcUrl, 'eth_getTransactionCount', [s.payer.address, 'latest']), '0x0', 'nothing broadcast');
});

test('no approval is signed when the allowance covers the payment, without an RPC URL, or by a wallet that cannot sign a transaction without sending it', async (t) => {
  const s = await setup(t);
  const wallet = x402.evmPrivateKeyWallet(s.key);
  t.after(() => wallet.free());
  const rpcOption = { rpc: { [NETWORK]: s.anvil.rpcUrl } };
  assert.deepEqual((await x402.createPaymentPayload(s.paymentRequired, 0, wallet)).extensions, s.extensions, 'no RPC URL');
  const viemAccount = await x402.createPaymentPayload(s.paymentRequired, 0, x402.viemWallet(s.payer));
  assert.deepEqual(viemAccount.extensions, s.extensions, 'a viem account without an RPC URL: echoed');
  // A JSON-RPC wallet (EIP-1193) has no way to sign a transaction without sending it.
  const provider = { request: async ({ method, params }) => (method === 'eth_signTypedData_v4'
    ? s.payer.signTypedData(JSON.parse(params[1]))
    : method === 'eth_chainId' ? `0x${CHAIN_ID.toString(16)}` : [s.payer.address]) };
  const injected = await x402.createPaymentPayload(s.paymentRequired, 0, x402.eip1193Wallet(provider), rpcOption);
  assert.deepEqual(injected.extensions, s.extensions, 'an EIP-1193 wallet: echoed');
  // An RPC URL serving another chain: CHAIN_NOT_AVAILABLE before anything is signed.
  const other = await startAnvil({ chainId: 1338 });
  t.after(() => other.stop());
  await assert.rejects(
    x402.createPaymentPayload(s.paymentRequired, 0, wallet, { rpc: { [NETWORK]: other.rpcUrl } }),
    { code: 'CHAIN_NOT_AVAILABLE' },
  );
  // An approval already there.
  await rpc(s.anvil.rpcUrl, 'anvil_setBalance', [s.payer.address, '0xde0b6b3a7640000']);
  const { walletClient, publicClient } = anvilClients(s.anvil, s.payer);
  const hash = await walletClient.writeContract({ address: s.token.address, abi: erc20Abi, functionName: 'approve', args: [PERMIT2_ADDRESS, PRICE] });
  assert.equal((await publicClient.waitForTransactionReceipt({ hash })).status, 'success');
  const approved = await x402.createPaymentPayload(s.paymentRequired, 0, wallet, rpcOption);
  assert.deepEqual(approved.extensions, s.extensions, 'no approval over an allowance that covers the price');
  // One unit short: signed again, with the payer's next nonce.
  const short = { ...s.paymentRequired, accepts: [{ ...s.requirement, amount: String(PRICE + 1n) }] };
  await assertApprovalInfo({ ...s, requirement: short.accepts[0] }, await x402.createPaymentPayload(short, 0, wallet, rpcOption), 1);
});
