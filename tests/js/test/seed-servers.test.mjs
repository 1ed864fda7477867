// Self-test of the seed-dialect peers (lib/seed-servers.mjs) WITHOUT the SDK: every payment here is
// made by hand (plain fetch, Solana transactions from lib/svm-wire.mjs sent through the litesvm
// JSON-RPC front, ERC-20 transfers with viem on anvil), so a failure in the SDK's dialect tests
// can be blamed on the SDK, not on its peers. Also checks the front's history methods
// (getSignaturesForAddress, getTransaction) the Solana servers rely on. Balances are checked exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { anvilAccount, anvilClients, deployTestUSDC, mint as mintTo, balanceOf as balanceOfToken, rpc } from '../lib/chain.mjs';
import { createWorld } from '../lib/svm-litesvm.mjs';
import { startLitesvmRpc } from '../lib/svm-facilitator.mjs';
import { b64, compileMessage, decodeTransaction, encodeTransaction, fromB64, fromBase58, keyFromSeed, seedFor, toBase58, u64le, verifyEd25519, ata } from '../lib/svm-wire.mjs';
import {
  startSolanaPayServer, startBaseUsdcChain, startHeaderDialectServer, startFacilitatorPay, approveFacilitator,
  BASE_USDC, REFERENCE_HEADER, toUnits,
} from '../lib/seed-servers.mjs';

const SOL = 1_000_000_000n;
const post = (url, body, headers = {}) => fetch(url, { method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
const json = async (res) => ({ status: res.status, body: await res.json(), headers: res.headers });

// ---- Solana helpers ----

async function svmSetup(t, label) {
  const world = await createWorld({ label });
  const front = await startLitesvmRpc(world);
  t.after(() => front.close());
  world.svm.airdrop(world.keys.payer.address, SOL); // the payer pays its own fees in 001
  return { world, front, rpcUrl: front.url };
}

/** A TransferChecked of `units` from `from`'s ATA, signed and fee-paid by `from`, with `references` as extra read-only accounts (Solana Pay). */
async function sendTransfer({ world, rpcUrl, mint, units, from = 'payer', to = 'payee', references = [], legacy = false }) {
  const m = world.mints[mint];
  const signer = world.keys[from];
  const { value: { blockhash } } = await rpc(rpcUrl, 'getLatestBlockhash', [{ commitment: 'finalized' }]);
  const transfer = {
    programId: m.program,
    accounts: [
      { address: m.atas[from], writable: true }, { address: m.mint }, { address: m.atas[to], writable: true },
      { address: signer.address, signer: true }, ...references.map((r) => ({ address: r })),
    ],
    data: [12, ...u64le(units), m.decimals],
  };
  let message = compileMessage({ feePayer: signer.address, instructions: [transfer], blockhash });
  if (legacy) message = message.slice(1, -1); // the same message without the v0 prefix and the (empty) lookup list
  const wire = encodeTransaction({ signatures: [signer.sign(message)], message }); // the payer is the only signer
  const signature = await rpc(rpcUrl, 'sendTransaction', [b64(wire), { encoding: 'base64' }]);
  const { value: [status] } = await rpc(rpcUrl, 'getSignatureStatuses', [[signature]]);
  assert.equal(status.err, null, `transfer failed: ${JSON.stringify(status.err)}`);
  return signature;
}

const balances = (world, mint) => Object.fromEntries(['payer', 'payee', 'attacker'].map((w) => [w, world.balance(world.mints[mint].atas[w])]));

// ---- A: the litesvm front's history ----

test('litesvm front: getSignaturesForAddress and getTransaction report sent transactions like a real RPC', async (t) => {
  const { world, rpcUrl } = await svmSetup(t, 'seed-front');
  const { atas, mint } = world.mints.token;
  const reference = toBase58(seedFor('front-reference'));
  const first = await sendTransfer({ world, rpcUrl, mint: 'token', units: 1000n, references: [reference] });
  const second = await sendTransfer({ world, rpcUrl, mint: 'token', units: 2000n, references: [reference] });

  const { value: [status] } = await rpc(rpcUrl, 'getSignatureStatuses', [[first]]);
  assert.equal(status.confirmationStatus, 'finalized');
  const sigs = await rpc(rpcUrl, 'getSignaturesForAddress', [reference]);
  assert.deepEqual(sigs.map((s) => s.signature), [second, first]); // newest first
  for (const s of sigs) {
    assert.deepEqual(Object.keys(s).sort(), ['blockTime', 'confirmationStatus', 'err', 'memo', 'signature', 'slot']);
    assert.equal(s.err, null);
    assert.equal(s.memo, null);
    assert.equal(s.confirmationStatus, 'finalized');
    assert.ok(Math.abs(s.blockTime - Date.now() / 1000) < 60);
  }
  assert.deepEqual((await rpc(rpcUrl, 'getSignaturesForAddress', [reference, { limit: 1 }])).map((s) => s.signature), [second]);
  assert.deepEqual((await rpc(rpcUrl, 'getSignaturesForAddress', [reference, { before: second }])).map((s) => s.signature), [first]);
  assert.deepEqual(await rpc(rpcUrl, 'getSignaturesForAddress', [toBase58(seedFor('nobody'))]), []);
  assert.equal((await rpc(rpcUrl, 'getSignaturesForAddress', [atas.payee])).length, 2);

  const tx = await rpc(rpcUrl, 'getTransaction', [second, { encoding: 'base64', maxSupportedTransactionVersion: 0 }]);
  assert.equal(tx.version, 0);
  assert.equal(tx.transaction[1], 'base64');
  assert.equal(toBase58(decodeTransaction(fromB64(tx.transaction[0])).signatures[0]), second);
  assert.equal(tx.meta.err, null);
  assert.equal(tx.meta.fee, 5000);
  assert.equal(tx.meta.preBalances.length, 6); // payer, 2 ATAs, mint, reference, token program
  assert.equal(tx.meta.preBalances[0] - tx.meta.postBalances[0], 5000);
  const byOwner = (list, owner) => list.filter((b) => b.owner === owner && b.mint === mint);
  const payerPre = byOwner(tx.meta.preTokenBalances, world.keys.payer.address)[0];
  const payerPost = byOwner(tx.meta.postTokenBalances, world.keys.payer.address)[0];
  const payeePre = byOwner(tx.meta.preTokenBalances, world.keys.payee.address)[0];
  const payeePost = byOwner(tx.meta.postTokenBalances, world.keys.payee.address)[0];
  assert.deepEqual(payeePre.uiTokenAmount, { amount: '1000', decimals: 6, uiAmount: 0.001, uiAmountString: '0.001' });
  assert.equal(payeePost.uiTokenAmount.amount, '3000');
  assert.equal(BigInt(payerPre.uiTokenAmount.amount) - BigInt(payerPost.uiTokenAmount.amount), 2000n);
  assert.equal(tx.meta.preTokenBalances.length, 2); // the two token accounts, not the mint
  assert.ok(tx.meta.logMessages.includes(`Program ${world.mints.token.program} success`), tx.meta.logMessages.join('\n'));

  assert.equal(await rpc(rpcUrl, 'getTransaction', [toBase58(new Uint8Array(64).fill(7)), { encoding: 'base64', maxSupportedTransactionVersion: 0 }]), null);
  await assert.rejects(rpc(rpcUrl, 'getTransaction', [second, { encoding: 'base64' }]), /maxSupportedTransactionVersion/);
});

// ---- B: seed 001, Solana Pay references ----

for (const mint of ['token', 'token2022']) {
  test(`001 (${mint}): challenge, on-chain payment with the reference, verify, repeat once`, async (t) => {
    const { world, rpcUrl } = await svmSetup(t, `seed-001-${mint}`);
    const server = await startSolanaPayServer({ world, rpcUrl, mint, amount: '0.25' });
    t.after(() => server.close());
    const { mint: asset, atas } = world.mints[mint];

    const discovery = await json(await fetch(`${server.url}/.well-known/x402.json`));
    assert.equal(discovery.status, 200);
    assert.deepEqual(discovery.body.endpoints[0], {
      path: '/api/hello', method: 'POST', description: 'Access to the hello endpoint result', price: '0.25', asset, asset_decimals: 6,
      network: 'devnet', recipient: world.keys.payee.address, verify: '/api/verify', reference_ttl_seconds: 120,
      payment_reference_header: 'X-Payment-Reference',
    });

    const first = await json(await post(`${server.url}/api/hello`));
    assert.equal(first.status, 402);
    const c = first.body;
    assert.deepEqual(Object.keys(c), ['chain', 'network', 'asset_mint', 'amount', 'recipient', 'reference', 'expires_at', 'description', 'solana_pay_url']);
    assert.equal(c.chain, 'solana');
    assert.equal(c.asset_mint, asset);
    assert.equal(c.amount, '0.25');
    assert.equal(c.recipient, world.keys.payee.address);
    assert.equal(fromBase58(c.reference).length, 32);
    const expires = Date.parse(c.expires_at);
    assert.ok(expires > Date.now() + 110_000 && expires < Date.now() + 121_000, c.expires_at);
    const payUrl = new URL(c.solana_pay_url);
    assert.equal(payUrl.protocol, 'solana:');
    assert.equal(payUrl.pathname, world.keys.payee.address);
    assert.deepEqual(Object.fromEntries(payUrl.searchParams), {
      amount: '0.25', 'spl-token': asset, reference: c.reference, label: 'x402', message: 'Access to the hello endpoint result',
    });
    assert.notEqual((await json(await post(`${server.url}/api/hello`))).body.reference, c.reference); // fresh each time

    const verifyUrl = `${server.url}/api/verify?reference=${c.reference}`;
    assert.deepEqual((await json(await fetch(verifyUrl))).body, { paid: false });
    const before = balances(world, mint);
    const sig = await sendTransfer({ world, rpcUrl, mint, units: 250_000n, references: [c.reference] });
    assert.deepEqual(await json(await fetch(verifyUrl)).then((r) => [r.status, r.body]), [200, { paid: true, sig }]);
    const after = balances(world, mint);
    assert.equal(before.payer - after.payer, 250_000n);
    assert.equal(after.payee - before.payee, 250_000n);

    const ok = await json(await post(`${server.url}/api/hello`, undefined, { [REFERENCE_HEADER]: c.reference }));
    assert.deepEqual([ok.status, ok.body], [200, { message: 'Hello from x402 x402!', paid_reference: c.reference }]);
    assert.equal(server.references.get(c.reference).consumed, true);
    const again = await json(await post(`${server.url}/api/hello`, undefined, { [REFERENCE_HEADER]: c.reference }));
    assert.equal(again.status, 402);
    assert.equal(again.body.error, 'reference already used');
    assert.notEqual(again.body.reference, c.reference);
    assert.equal(server.counters.served, 1);
    assert.equal(world.balance(atas.payee), after.payee);
  });
}

test('001: expired and unknown references answer 404; a late payment is refused', async (t) => {
  const { world, rpcUrl } = await svmSetup(t, 'seed-001-expiry');
  const server = await startSolanaPayServer({ world, rpcUrl, mint: 'token', amount: '0.25' });
  t.after(() => server.close());
  assert.equal((await fetch(`${server.url}/api/verify?reference=${toBase58(seedFor('never-issued'))}`)).status, 404);
  assert.equal((await fetch(`${server.url}/api/verify`)).status, 404);

  const { body: c } = await json(await post(`${server.url}/api/hello`));
  server.expire(c.reference);
  assert.equal((await fetch(`${server.url}/api/verify?reference=${c.reference}`)).status, 404);
  await sendTransfer({ world, rpcUrl, mint: 'token', units: 250_000n, references: [c.reference] });
  assert.equal((await fetch(`${server.url}/api/verify?reference=${c.reference}`)).status, 404);
  const late = await json(await post(`${server.url}/api/hello`, undefined, { [REFERENCE_HEADER]: c.reference }));
  assert.deepEqual([late.status, late.body.error], [402, 'reference expired']);

  const short = await startSolanaPayServer({ world, rpcUrl, mint: 'token', amount: '0.25', ttlMs: 50 });
  t.after(() => short.close());
  const { body: s } = await json(await post(`${short.url}/api/hello`));
  await new Promise((r) => setTimeout(r, 120));
  assert.equal((await fetch(`${short.url}/api/verify?reference=${s.reference}`)).status, 404);
  const unknown = await json(await post(`${server.url}/api/hello`, undefined, { [REFERENCE_HEADER]: 'nope' }));
  assert.deepEqual([unknown.status, unknown.body.error], [402, 'unknown reference']);
});

test('001: short amount, wrong recipient, wrong mint, one transaction for two references are not paid', async (t) => {
  const { world, rpcUrl } = await svmSetup(t, 'seed-001-bad');
  const server = await startSolanaPayServer({ world, rpcUrl, mint: 'token', amount: '0.25' });
  t.after(() => server.close());
  const challenge = async () => (await json(await post(`${server.url}/api/hello`))).body;
  const verify = async (ref) => (await json(await fetch(`${server.url}/api/verify?reference=${ref}`))).body;

  const short = await challenge();
  await sendTransfer({ world, rpcUrl, mint: 'token', units: 249_999n, references: [short.reference] });
  assert.deepEqual(await verify(short.reference), { paid: false });
  assert.match(server.references.get(short.reference).lastReason, /amount not transferred \(249999 < 250000\)/);
  const repeat = await json(await post(`${server.url}/api/hello`, undefined, { [REFERENCE_HEADER]: short.reference }));
  assert.deepEqual([repeat.status, repeat.body.error, repeat.body.reference], [402, 'payment not found', short.reference]);

  const elsewhere = await challenge();
  await sendTransfer({ world, rpcUrl, mint: 'token', units: 250_000n, to: 'attacker', references: [elsewhere.reference] });
  assert.deepEqual(await verify(elsewhere.reference), { paid: false });
  assert.equal(server.references.get(elsewhere.reference).lastReason, 'recipient token account not in the transaction');

  const otherMint = await challenge();
  await sendTransfer({ world, rpcUrl, mint: 'token2022', units: 250_000n, references: [otherMint.reference] });
  assert.deepEqual(await verify(otherMint.reference), { paid: false });
  assert.equal(server.references.get(otherMint.reference).lastReason, 'recipient token account not in the transaction');

  const [a, b] = [await challenge(), await challenge()];
  const sig = await sendTransfer({ world, rpcUrl, mint: 'token', units: 250_000n, references: [a.reference, b.reference] });
  assert.deepEqual(await verify(a.reference), { paid: true, sig });
  assert.deepEqual(await verify(b.reference), { paid: false });
  assert.equal(server.references.get(b.reference).lastReason, 'transaction already credited to another reference');
  const none = await json(await post(`${server.url}/api/hello`, undefined, { [REFERENCE_HEADER]: b.reference }));
  assert.equal(none.status, 402);
  // The repeat verifies on the spot too (a client may skip /api/verify).
  const c = await challenge();
  await sendTransfer({ world, rpcUrl, mint: 'token', units: 300_000n, references: [c.reference] });
  assert.equal((await post(`${server.url}/api/hello`, undefined, { [REFERENCE_HEADER]: c.reference })).status, 200);
  assert.equal(server.counters.served, 1);
  // A legacy (non-versioned) transaction, as @solana/pay's createTransfer builds, pays too.
  const d = await challenge();
  const legacySig = await sendTransfer({ world, rpcUrl, mint: 'token', units: 250_000n, references: [d.reference], legacy: true });
  assert.deepEqual(await verify(d.reference), { paid: true, sig: legacySig });
});

// ---- C: seed 003, X-402-* headers on Base (anvil) ----

async function evmSetup(t) {
  const chain = await startBaseUsdcChain();
  t.after(() => chain.stop());
  const payer = privateKeyToAccount(generatePrivateKey());
  await rpc(chain.rpcUrl, 'anvil_setBalance', [payer.address, '0xde0b6b3a7640000']); // 1 ETH for gas
  await chain.mint(payer.address, 1_000_000n);
  const { walletClient, publicClient } = anvilClients(chain, payer);
  const receiver = anvilAccount(4).address;
  /** A USDC transfer by the payer; returns the tx hash once mined. */
  const transfer = async (to, units, token = BASE_USDC) => {
    const hash = await walletClient.writeContract({ address: token, abi: chain.abi, functionName: 'transfer', args: [to, units] });
    await publicClient.waitForTransactionReceipt({ hash });
    return hash;
  };
  return { chain, payer, receiver, transfer, walletClient, publicClient };
}

const proofHeader = (txHash, extra = {}) => ({ 'X-402-Payment-Proof': JSON.stringify({ txHash, network: 'base', token: 'USDC', amount: '0.01', ...extra }) });

test('003: Base USDC at its real address; 402 headers; a transfer proof pays once', async (t) => {
  const { chain, payer, receiver, transfer } = await evmSetup(t);
  assert.equal(Number(await rpc(chain.rpcUrl, 'eth_chainId')), 8453);
  assert.equal(await chain.publicClient.readContract({ address: BASE_USDC, abi: chain.abi, functionName: 'name' }), 'USDC');
  const server = await startHeaderDialectServer({ rpcUrl: chain.rpcUrl, receiver });
  t.after(() => server.close());

  const challenge = await json(await fetch(`${server.url}/premium-data`));
  assert.equal(challenge.status, 402);
  const h = Object.fromEntries(['version', 'amount', 'currency', 'network', 'token', 'receiver', 'expires'].map((k) => [k, challenge.headers.get(`x-402-${k}`)]));
  assert.deepEqual({ ...h, expires: undefined }, { version: '1.0', amount: '0.01', currency: 'USD', network: 'base', token: 'USDC', receiver, expires: undefined });
  assert.match(h.expires, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(Math.abs(Date.parse(h.expires) - (Date.now() + 300_000)) < 5_000);
  assert.equal(challenge.body.error, 'Payment required');
  assert.equal(challenge.body.paymentRequest.amount, '0.01');
  assert.equal(challenge.body.paymentRequest.receiver, receiver);

  const units = toUnits(h.amount, 6); // no floats
  const hash = await transfer(h.receiver, units);
  const ok = await json(await fetch(`${server.url}/premium-data`, { headers: proofHeader(hash) }));
  assert.deepEqual([ok.status, ok.body], [200, { data: 'Premium content here', payment: { verified: true } }]);
  assert.equal(await chain.balanceOf(payer.address), 1_000_000n - 10_000n);
  assert.equal(await chain.balanceOf(receiver), 10_000n);
  const replay = await json(await fetch(`${server.url}/premium-data`, { headers: proofHeader(hash.toUpperCase().replace('0X', '0x')) }));
  assert.deepEqual([replay.status, replay.body], [402, { error: 'Invalid payment proof', reason: 'proof already used' }]);
  assert.deepEqual(server.counters, { challenges: 1, verified: 1, rejected: 1 });
});

test('003: short, misdirected, foreign-token, failed, mislabelled and late payments are refused', async (t) => {
  const { chain, payer, receiver, transfer, walletClient, publicClient } = await evmSetup(t);
  const server = await startHeaderDialectServer({ rpcUrl: chain.rpcUrl, receiver });
  t.after(() => server.close());
  const reason = async (headers) => {
    const r = await json(await fetch(`${server.url}/premium-data`, { headers }));
    assert.equal(r.status, 402);
    assert.equal(r.body.error, 'Invalid payment proof');
    return r.body.reason;
  };
  // A transfer before any challenge was issued does not count.
  const early = await transfer(receiver, 10_000n);
  assert.match(await reason(proofHeader(early)), /payment expired/);
  await fetch(`${server.url}/premium-data`); // now a challenge is open

  assert.match(await reason(proofHeader(await transfer(receiver, 9_999n))), /below the price/);
  const good = await transfer(receiver, 10_000n);
  assert.match(await reason(proofHeader(good, { amount: '0.001' })), /below the price/);
  assert.match(await reason(proofHeader(good, { network: 'ethereum' })), /network mismatch/);
  assert.match(await reason(proofHeader(good, { token: 'USDT' })), /token mismatch/);
  assert.match(await reason({ 'X-402-Payment-Proof': 'not json' }), /not JSON/);
  assert.match(await reason(proofHeader(`0x${'ab'.repeat(32)}`)), /transaction not found/);
  assert.match(await reason(proofHeader(await transfer(anvilAccount(5).address, 10_000n))), /no USDC transfer to the receiver/);

  const fake = await deployTestUSDC(chain);
  await mintTo(fake, payer.address, 1_000_000n);
  assert.match(await reason(proofHeader(await transfer(receiver, 10_000n, fake.address))), /no USDC transfer/);
  assert.equal(await balanceOfToken(fake, receiver), 10_000n);

  const reverted = await walletClient.sendTransaction({
    to: BASE_USDC, gas: 100_000n,
    data: encodeFunctionData({ abi: chain.abi, functionName: 'transfer', args: [receiver, 10n ** 12n] }),
  });
  assert.equal((await publicClient.waitForTransactionReceipt({ hash: reverted })).status, 'reverted');
  assert.match(await reason(proofHeader(reverted)), /transaction failed/);

  // A payment made after the challenge's X-402-Expires: a server whose challenge window closed.
  const past = await startHeaderDialectServer({ rpcUrl: chain.rpcUrl, receiver, now: () => Date.now() - 600_000 });
  t.after(() => past.close());
  await fetch(`${past.url}/premium-data`);
  const late = await json(await fetch(`${past.url}/premium-data`, { headers: proofHeader(good) }));
  assert.match(late.body.reason, /payment expired/);
  // None of the refusals spent the good proof.
  assert.equal((await fetch(`${server.url}/premium-data`, { headers: proofHeader(good) })).status, 200);
  assert.equal(await chain.balanceOf(receiver), 10_000n * 2n + 9_999n); // early + good + short
});

// ---- D: seed 004, facilitator-pay ----

async function facilitatorSetup(t, label, options = {}) {
  const { world, rpcUrl, front } = await svmSetup(t, label);
  const f = await startFacilitatorPay({ world, rpcUrl, mint: 'token', ...options });
  t.after(() => f.close());
  return { world, rpcUrl, front, f };
}

/** The seed's manual flow: the /pay body as a JSON string without content-type, plus the payer. */
const payVia = async (f, challenge, overrides = {}, headers = {}) => json(await post(`${challenge.facilitatorUrl}/pay`, {
  amount: challenge.amount, currency: challenge.currency, payee: challenge.payee, reference: challenge.reference, payer: overrides.payer, ...overrides,
}, headers));
const retry = async (f, proof) => json(await fetch(`${f.url}/api/generate`, { headers: { 'X-Payment-Proof': proof.signature, 'X-Payment-TxId': proof.txId } }));

for (const mint of ['token', 'token2022']) {
  test(`004 (${mint}): 402, facilitator /pay moves the funds as delegate, retry with the proof once`, async (t) => {
    const { world, rpcUrl, f } = await facilitatorSetup(t, `seed-004-${mint}`, { mint });
    approveFacilitator(world, f.facilitatorAddress, 50_000n, { mint });
    const { atas } = world.mints[mint];

    const c = await json(await fetch(`${f.url}/api/generate`));
    assert.equal(c.status, 402);
    assert.deepEqual({ ...c.body, reference: undefined }, {
      amount: '0.01', currency: 'USDC', payee: world.keys.payee.address, reference: undefined, facilitatorUrl: f.facilitatorUrl,
      ttl: '120', message: 'Payment required to access this resource',
    });
    assert.match(c.body.reference, /^pay_[0-9a-f]{12}$/);

    const before = balances(world, mint);
    const feeBefore = world.lamports(f.facilitatorAddress);
    const paid = await payVia(f, c.body, { payer: world.keys.payer.address });
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    const { txId, signature, timestamp } = paid.body;
    assert.ok(Math.abs(timestamp - Date.now() / 1000) < 60);
    assert.ok(verifyEd25519(f.facilitatorAddress, Buffer.from(`${c.body.reference}:${txId}`), fromBase58(signature)));
    const after = balances(world, mint);
    assert.equal(before.payer - after.payer, 10_000n);
    assert.equal(after.payee - before.payee, 10_000n);
    assert.equal(feeBefore - world.lamports(f.facilitatorAddress), 5000n); // the facilitator paid the fee
    const payerAccount = world.svm.getAccount(atas.payer).data;
    assert.equal(toBase58(payerAccount.slice(76, 108)), f.facilitatorAddress);
    assert.equal(new DataView(payerAccount.buffer, payerAccount.byteOffset).getBigUint64(121, true), 40_000n); // allowance left

    const v = await json(await post(`${f.facilitatorUrl}/verify`, { reference: c.body.reference, signature, txId }));
    assert.equal(v.body.valid, true);
    assert.equal(v.body.status, 'confirmed');

    const ok = await retry(f, paid.body);
    assert.deepEqual([ok.status, ok.body], [200, { result: 'Your AI-generated content' }]);
    const again = await retry(f, paid.body);
    assert.deepEqual([again.status, again.body.error], [402, 'payment already used']);
    assert.match(again.body.reference, /^pay_/);
    assert.equal(f.counters.api.served, 1);
    assert.deepEqual(balances(world, mint), after);
  });
}

test('004: the facilitator refuses unknown payers, short allowances, unauthenticated calls and double payment', async (t) => {
  const { world, rpcUrl, f } = await facilitatorSetup(t, 'seed-004-refusals');
  const c = (await json(await fetch(`${f.url}/api/generate`))).body;
  const noApproval = await payVia(f, c, { payer: world.keys.attacker.address });
  assert.equal(noApproval.status, 402);
  assert.match(noApproval.body.error, /unknown payer/);
  assert.equal((await payVia(f, c, { payer: undefined })).status, 400);
  assert.equal((await payVia(f, c, { payer: world.keys.payer.address, amount: '0.0000001' })).status, 400);
  assert.equal((await payVia(f, c, { payer: world.keys.payer.address, currency: 'EUR' })).status, 400);

  approveFacilitator(world, f.facilitatorAddress, 9_999n);
  const short = await payVia(f, c, { payer: world.keys.payer.address });
  assert.equal(short.status, 402);
  assert.match(short.body.error, /insufficient allowance/);
  approveFacilitator(world, f.facilitatorAddress, 100_000n);
  const before = balances(world, 'token');
  assert.equal((await post(`${f.facilitatorUrl}/facilitator/pay`, { ...c, payer: world.keys.payer.address })).status, 200); // the seed's path works too
  assert.equal((await payVia(f, c, { payer: world.keys.payer.address })).status, 409);
  assert.equal(before.payer - balances(world, 'token').payer, 10_000n);
  // A payee without a token account: the facilitator creates its ATA in the same transaction.
  const newcomer = keyFromSeed(seedFor('seed-004/newcomer')).address;
  const newcomerAta = await ata(newcomer, world.mints.token.mint, world.mints.token.program);
  assert.equal(world.balance(newcomerAta), null);
  assert.equal((await payVia(f, { ...c, reference: 'pay_newcomer' }, { payer: world.keys.payer.address, payee: newcomer })).status, 200);
  assert.equal(world.balance(newcomerAta), 10_000n);

  const locked = await startFacilitatorPay({ world, rpcUrl, apiKey: 'sekret', facilitatorKey: keyFromSeed(seedFor('seed-004/locked')) });
  t.after(() => locked.close());
  approveFacilitator(world, locked.facilitatorAddress, 100_000n);
  const lc = (await json(await fetch(`${locked.url}/api/generate`))).body;
  assert.equal((await payVia(locked, lc, { payer: world.keys.payer.address })).status, 401);
  assert.equal((await payVia(locked, lc, { payer: world.keys.payer.address }, { authorization: 'Bearer wrong' })).status, 401);
  assert.equal((await payVia(locked, lc, { payer: world.keys.payer.address }, { authorization: 'Bearer sekret' })).status, 200);
});

test('004: short amount, wrong payee, expired or foreign reference and forged proofs are refused', async (t) => {
  const { world, f } = await facilitatorSetup(t, 'seed-004-bad');
  approveFacilitator(world, f.facilitatorAddress, 1_000_000n);
  const payer = world.keys.payer.address;
  const fresh = async () => (await json(await fetch(`${f.url}/api/generate`))).body;
  const refused = async (proof, pattern) => {
    const r = await retry(f, proof);
    assert.equal(r.status, 402);
    assert.match(r.body.error, pattern);
    assert.match(r.body.reference, /^pay_/); // with a fresh challenge
  };

  await refused((await payVia(f, await fresh(), { payer, amount: '0.005' })).body, /below the price/);
  await refused((await payVia(f, await fresh(), { payer, payee: world.keys.attacker.address })).body, /another payee/);
  const late = await fresh();
  f.expire(late.reference);
  await refused((await payVia(f, late, { payer })).body, /payment expired/);
  await refused((await payVia(f, { ...(await fresh()), reference: 'pay_000000000000' }, { payer })).body, /unknown reference/);

  const c = await fresh();
  const proof = (await payVia(f, c, { payer })).body;
  const forged = toBase58(keyFromSeed(seedFor('forger')).sign(Buffer.from(`${c.reference}:${proof.txId}`)));
  await refused({ ...proof, signature: forged }, /facilitator rejected the proof \(invalid_signature\)/);
  await refused({ ...proof, txId: toBase58(new Uint8Array(64).fill(9)) }, /transaction not found/);
  await refused({ signature: proof.signature, txId: '' }, /both required/);
  assert.equal((await retry(f, proof)).status, 200); // the refusals did not burn the real proof
  await refused(proof, /already used/);
  assert.equal(world.balance(world.mints.token.atas.payee), 5_000n + 10_000n * 3n); // short + late + foreign + real
  assert.equal(world.balance(world.mints.token.atas.attacker), 10_000n);
});
