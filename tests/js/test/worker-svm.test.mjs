// x402-wasm/worker in workerd (Miniflare) with a Solana route (issue 6 §5, "SVM settlement"): the
// Worker protects GET /svm-weather, priced { amount, asset: <litesvm mint>, extra: { feePayer } } on
// Solana devnet, verifies locally and settles over loopback HTTP through the OFFICIAL x402 v2
// facilitator (x402Facilitator + @x402/svm exact scheme, its RPC a JSON-RPC front on litesvm; see
// lib/svm-facilitator.mjs). Payers: the official @x402/fetch + @x402/svm client (unmodified) and our
// wrapFetch. Tampered payments (amount, payTo, signature) and replays (sequential and concurrent)
// are refused with their reasons, before any settlement. Balances are read from litesvm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKeyPairSignerFromBytes } from '@solana/kit';
import { x402Client } from '@x402/core/client';
import { decodePaymentResponseHeader, wrapFetchWithPayment } from '@x402/fetch';
import { ExactSvmScheme as ExactSvmClientScheme } from '@x402/svm/exact/client';
import { createWorld } from '../lib/svm-litesvm.mjs';
import { startSvmFacilitator } from '../lib/svm-facilitator.mjs';
import { tamper, withTransaction, setAmount, setTransferAccount, makeReadOnly } from '../lib/svm-tamper.mjs';
import { decodeTransaction, encodeTransaction, fromB64, b64, signWithRandomNonce } from '../lib/svm-wire.mjs';
import { WEATHER, decodeJsonHeader, encodeJsonHeader, startHelperWorker } from '../lib/worker-harness.mjs';
import { loadX402 } from '../lib/x402.mjs';

const x402 = await loadX402();
const AMOUNT = 310_000n; // 0.31 TST (6 decimals)
const PATH = '/svm-weather';

/** A litesvm world, the official facilitator over HTTP, and the Worker with the Solana route. */
async function setup(t, label, mintName = 'token') {
  const world = await createWorld({ label });
  const facilitator = await startSvmFacilitator(t, world);
  const { mint, atas } = world.mints[mintName];
  const worker = await startHelperWorker(t, {
    middlewares: [{
      store: 'memory',
      routes: {
        [`GET ${PATH}`]: {
          accepts: [{
            scheme: 'exact', network: world.network, payTo: world.keys.payee.address, maxTimeoutSeconds: 60,
            price: { amount: String(AMOUNT), asset: mint, extra: { feePayer: facilitator.feePayer } },
          }],
          resource: { description: 'Weather paid in an SPL token', mimeType: 'application/json' },
        },
      },
      facilitator: { url: facilitator.url },
    }],
  });
  const snapshot = () => ({ payer: world.balance(atas.payer), payee: world.balance(atas.payee), feePayerTokens: world.balance(atas.feePayer) });
  return { world, facilitator, mint, atas, worker, snapshot, url: `${worker.url}${PATH.slice(1)}` };
}

/** The official v2 client for the payer, its Solana RPC pointed at litesvm. */
async function officialClient({ world, facilitator, mint }) {
  const signer = await createKeyPairSignerFromBytes(world.keys.payer.keypair);
  const client = new x402Client();
  // registerExactSvmScheme (client) takes no RPC URL; register the scheme with one, as its docs allow.
  client.register(world.network, new ExactSvmClientScheme(signer, { rpcUrl: facilitator.rpcUrl }));
  client.setSpendControls({ allowedAssets: [{ network: world.network, asset: mint }] });
  return client;
}

/** A payment payload made by the official client for the Worker's own 402 (nothing sent yet). */
async function officialPayload(ctx) {
  const challenge = await ctx.worker.fetch(PATH);
  assert.equal(challenge.status, 402);
  const paymentRequired = decodeJsonHeader(challenge.headers.get('payment-required'));
  assert.equal(paymentRequired.accepts[0].extra.feePayer, ctx.facilitator.feePayer, 'route extra.feePayer is in the requirement');
  assert.equal(paymentRequired.accepts[0].amount, String(AMOUNT));
  assert.equal(paymentRequired.accepts[0].asset, ctx.mint);
  const client = await officialClient(ctx);
  return client.createPaymentPayload(paymentRequired);
}

const payWith = (ctx, payload) => ctx.worker.fetch(PATH, { headers: { 'PAYMENT-SIGNATURE': encodeJsonHeader(payload) } });

/** A 402 refusal carrying `reason` in PAYMENT-RESPONSE, with no resource body. */
async function assertRefused(response, reason) {
  const text = await response.text();
  assert.equal(response.status, 402, text);
  const settlement = decodeJsonHeader(response.headers.get('payment-response'));
  assert.equal(settlement?.success, false, JSON.stringify(settlement));
  assert.equal(settlement.errorReason, reason);
  assert.ok(!text.includes(WEATHER.city), 'no resource body');
}

const settleCalls = (f) => f.calls.filter((c) => c.op === 'settle');

test('the official @x402/fetch + @x402/svm client pays the Worker\'s Solana route; settled in litesvm', async (t) => {
  const ctx = await setup(t, 'worker-svm-official');
  const { world, facilitator, atas, worker, snapshot } = ctx;
  const pay = wrapFetchWithPayment(fetch, await officialClient(ctx));
  const before = snapshot();

  const response = await pay(ctx.url);
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.deepEqual(JSON.parse(text), { ...WEATHER, path: PATH });
  const receipt = decodePaymentResponseHeader(response.headers.get('payment-response'));
  assert.equal(receipt.success, true, JSON.stringify(receipt));
  assert.equal(receipt.network, world.network);
  assert.equal(receipt.payer, world.keys.payer.address);

  assert.equal(world.balance(atas.payee) - before.payee, AMOUNT, 'the payee received exactly the amount');
  assert.equal(before.payer - world.balance(atas.payer), AMOUNT, 'the payer spent exactly the amount');
  assert.equal(world.balance(atas.feePayer), before.feePayerTokens, 'the fee payer\'s tokens did not move');
  const landed = facilitator.sent.filter((s) => s.ok);
  assert.equal(landed.length, 1);
  assert.equal(landed[0].signature, receipt.transaction, 'the receipt names the transaction litesvm executed');
  assert.deepEqual(facilitator.calls.map((c) => c.op), ['settle'], 'local verification, then one /settle');
  assert.equal(settleCalls(facilitator)[0].requirements.extra.feePayer, world.keys.feePayer.address);
  assert.equal((await worker.stats()).handled, 1);
});

test('our wrapFetch pays the Worker\'s Solana route (Token-2022); settled in litesvm', async (t) => {
  const ctx = await setup(t, 'worker-svm-ours', 'token2022');
  const { world, facilitator, mint, atas, worker, snapshot } = ctx;
  const wallet = x402.solanaPrivateKeyWallet(world.keys.payer.seed);
  t.after(() => wallet.free?.());
  const pay = x402.wrapFetch(fetch, {
    wallets: [wallet],
    rpc: { [world.network]: facilitator.rpcUrl },
    policy: { assets: [{ network: world.network, asset: mint, decimals: 6, symbol: 'TST', maxPerPayment: '1000000' }] },
  });
  const before = snapshot();
  const response = await pay(ctx.url);
  const text = await response.text();
  assert.equal(response.status, 200, text);
  const receipt = x402.getPaymentReceipt(response);
  assert.equal(receipt?.success, true, JSON.stringify(receipt));
  assert.equal(world.balance(atas.payee) - before.payee, AMOUNT);
  assert.equal(before.payer - world.balance(atas.payer), AMOUNT);
  assert.equal(facilitator.sent.filter((s) => s.ok)[0]?.signature, receipt.transaction);
  assert.equal((await worker.stats()).handled, 1);
});

test('tampered Solana payments are refused with their reasons; nothing is settled, nothing moves', async (t) => {
  const ctx = await setup(t, 'worker-svm-tampered');
  const { world, facilitator, atas, worker, snapshot } = ctx;
  const payload = await officialPayload(ctx);
  const tx = payload.payload.transaction;
  const payer = world.keys.payer;
  const before = snapshot();

  const cases = [
    { name: 'amount + 1 (re-signed by the payer)', reason: 'invalid_exact_svm_payload_amount_mismatch', tx: tamper(tx, payer, setAmount(AMOUNT + 1n)) },
    { name: 'amount - 1 (re-signed by the payer)', reason: 'invalid_exact_svm_payload_amount_mismatch', tx: tamper(tx, payer, setAmount(AMOUNT - 1n)) },
    { name: 'destination = the attacker\'s ATA (re-signed)', reason: 'invalid_exact_svm_payload_recipient_mismatch', tx: tamper(tx, payer, setTransferAccount(2, atas.attacker)) },
    // The chain would fail these after the fee payer paid its fee (the token accounts must be writable).
    { name: 'destination read-only (re-signed)', reason: 'invalid_exact_svm_payload_no_transfer_instruction', tx: tamper(tx, payer, makeReadOnly(2)) },
    { name: 'source read-only (re-signed)', reason: 'invalid_exact_svm_payload_no_transfer_instruction', tx: tamper(tx, payer, makeReadOnly(0)) },
    { name: 'memo changed without re-signing', reason: 'invalid_exact_svm_payload_signature_invalid', tx: tamper(tx, null, (m) => { m.instructions[3].data[0] ^= 0x01; }) },
    {
      name: 'payer signature flipped',
      reason: 'invalid_exact_svm_payload_signature_invalid',
      tx: (() => {
        const decoded = decodeTransaction(fromB64(tx));
        decoded.signatures[1][7] ^= 0x01;
        return b64(encodeTransaction(decoded));
      })(),
    },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      await assertRefused(await payWith(ctx, withTransaction(payload, c.tx)), c.reason);
    });
  }
  // A consistent lie: the transaction pays the attacker's ATA and `accepted` names the attacker as
  // payTo. The Worker checks against its own route requirement, not the payment's `accepted`.
  await t.test('destination and accepted.payTo both the attacker\'s', async () => {
    const lie = withTransaction({ ...payload, accepted: { ...payload.accepted, payTo: world.keys.attacker.address } },
      tamper(tx, payer, setTransferAccount(2, atas.attacker)));
    const response = await payWith(ctx, lie);
    const text = await response.text();
    assert.equal(response.status, 402, text);
    const settlement = decodeJsonHeader(response.headers.get('payment-response'));
    assert.equal(settlement?.success, false);
    assert.equal(settlement.errorReason, 'invalid_exact_svm_payload_recipient_mismatch');
  });

  assert.deepEqual(snapshot(), before, 'no balance moved');
  assert.equal(settleCalls(facilitator).length, 0, 'the facilitator was never asked to settle');
  assert.equal(facilitator.sent.length, 0, 'no transaction reached litesvm');
  assert.equal((await worker.stats()).handled, 0, 'the handler never ran');

  // The untampered payment still goes through afterwards (the refusals reserved nothing).
  const ok = await payWith(ctx, payload);
  assert.equal(ok.status, 200, await ok.text());
  assert.equal(world.balance(atas.payee) - before.payee, AMOUNT);
});

test('a replayed Solana payment is refused (duplicate_settlement), sequentially and concurrently; paid once', async (t) => {
  const ctx = await setup(t, 'worker-svm-replay');
  const { world, facilitator, atas, worker, snapshot } = ctx;
  const before = snapshot();

  // Sequential: the header the official client sent, replayed after it was settled.
  const sentHeaders = [];
  const recording = (input, init) => {
    const request = new Request(input, init);
    const header = request.headers.get('payment-signature');
    if (header) sentHeaders.push(header);
    return fetch(request);
  };
  const pay = wrapFetchWithPayment(recording, await officialClient(ctx));
  const first = await pay(ctx.url);
  assert.equal(first.status, 200, await first.text());
  assert.equal(sentHeaders.length, 1);
  const replay = await worker.fetch(PATH, { headers: { 'PAYMENT-SIGNATURE': sentHeaders[0] } });
  await assertRefused(replay, 'duplicate_settlement');
  assert.equal(world.balance(atas.payee) - before.payee, AMOUNT, 'paid exactly once');
  assert.equal(settleCalls(facilitator).length, 1, 'the replay never reached /settle');

  // Concurrent: a fresh payment sent twice at once; exactly one is served and settled.
  const payload = await officialPayload(ctx);
  const answers = await Promise.all([payWith(ctx, payload), payWith(ctx, payload)]);
  const statuses = answers.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 402]);
  await assertRefused(answers.find((r) => r.status === 402), 'duplicate_settlement');
  await answers.find((r) => r.status === 200).text();
  assert.equal(world.balance(atas.payee) - before.payee, 2n * AMOUNT, 'each payment paid exactly once');
  assert.equal(before.payer - world.balance(atas.payer), 2n * AMOUNT);
  assert.equal(settleCalls(facilitator).length, 2);
  assert.equal(facilitator.sent.filter((s) => s.ok).length, 2);
  assert.equal((await worker.stats()).handled, 2);
});

test('the same Solana transaction with another valid payer signature is a replay: served and settled once', async (t) => {
  const ctx = await setup(t, 'worker-svm-resigned');
  const { world, facilitator, atas, worker, snapshot } = ctx;
  const before = snapshot();
  const payload = await officialPayload(ctx);
  // The payer signs the same message again with a random nonce: a different, equally valid
  // signature of the one transaction the chain would settle.
  const decoded = decodeTransaction(fromB64(payload.payload.transaction));
  const resigned = { ...decoded, signatures: [...decoded.signatures] };
  resigned.signatures[1] = signWithRandomNonce(world.keys.payer, decoded.message);
  assert.notDeepEqual(resigned.signatures[1], decoded.signatures[1]);
  const twin = withTransaction(payload, b64(encodeTransaction(resigned)));
  for (const p of [payload, twin]) {
    const check = await x402.verifyPayment(p, payload.accepted);
    assert.equal(check.isValid, true, `each copy verifies on its own: ${JSON.stringify(check)}`);
  }

  const answers = await Promise.all([payWith(ctx, payload), payWith(ctx, twin)]);
  assert.deepEqual(answers.map((r) => r.status).sort(), [200, 402]);
  await assertRefused(answers.find((r) => r.status === 402), 'duplicate_settlement');
  await answers.find((r) => r.status === 200).text();
  // And once settled, another signature of it again.
  resigned.signatures[1] = signWithRandomNonce(world.keys.payer, decoded.message);
  await assertRefused(await payWith(ctx, withTransaction(payload, b64(encodeTransaction(resigned)))), 'duplicate_settlement');

  assert.equal(world.balance(atas.payee) - before.payee, AMOUNT, 'paid once');
  assert.equal(settleCalls(facilitator).length, 1, 'one /settle');
  assert.equal((await worker.stats()).handled, 1, 'the handler ran once');
});
