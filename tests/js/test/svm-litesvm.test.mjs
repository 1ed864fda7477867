// Solana payments executed for real in litesvm (npm `litesvm`: SPL Token, Token-2022, ATA and Memo
// programs). The SDK builds the partially signed transaction against a JSON-RPC front backed by
// litesvm; the test, as facilitator, checks verifyPayment, co-signs as fee payer and sends. A
// tampered transaction fails verifyPayment before anything is sent (and the chain WOULD have run
// it: a co-signed simulation succeeds), so nothing moves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadX402 } from '../lib/x402.mjs';
import { createWorld, startRpcFront, FailedTransactionMetadata } from '../lib/svm-litesvm.mjs';
import { PROGRAMS, decodeTransaction, decodeMessage, fromB64, toBase58, verifyEd25519, signInto, encodeTransaction, cloneMessage, encodeMessage } from '../lib/svm-wire.mjs';
import { tamper, withTransaction, setAmount, setTransferAccount, memoIx, setComputePrice, TRANSFER } from '../lib/svm-tamper.mjs';

const x402 = await loadX402();

async function setup(t, label) {
  const world = await createWorld({ label });
  const front = await startRpcFront(world);
  t.after(() => front.close());
  const pay = (requirement, wallet = x402.solanaPrivateKeyWallet(world.keys.payer.seed)) =>
    x402.createPaymentPayload({ x402Version: 2, resource: { url: 'http://127.0.0.1/paid' }, accepts: [requirement] }, 0, wallet, { rpc: { [world.network]: front.url } });
  return { world, front, pay };
}

function snapshot(world, name) {
  const { atas } = world.mints[name];
  return {
    payer: world.balance(atas.payer),
    payee: world.balance(atas.payee),
    attacker: world.balance(atas.attacker),
    feePayerTokens: world.balance(atas.feePayer),
    feePayerSol: world.lamports(world.keys.feePayer.address),
    payerSol: world.lamports(world.keys.payer.address),
  };
}

function assertExecuted(result) {
  assert.ok(!(result instanceof FailedTransactionMetadata), `failed: ${result.toString?.()}`);
}

for (const name of ['token', 'token2022']) {
  test(`${name}: our transaction, co-signed by the fee payer, moves exactly amount`, async (t) => {
    const { world, front, pay } = await setup(t, `exec-${name}`);
    const requirement = world.requirement(name);
    const payload = await pay(requirement);
    assert.deepEqual(front.calls.map((c) => c.method).sort(), ['getAccountInfo', 'getLatestBlockhash']);
    assert.equal(front.calls.find((c) => c.method === 'getAccountInfo').params[0], world.mints[name].mint);

    // The transaction: fee payer first with an empty slot, the payer's signature valid,
    // TransferChecked under this mint's program between the ATAs the ATA program created.
    const tx = decodeTransaction(fromB64(payload.payload.transaction));
    const m = decodeMessage(tx.message);
    assert.equal(toBase58(m.accountKeys[0]), world.keys.feePayer.address);
    assert.ok(tx.signatures[0].every((b) => b === 0));
    assert.ok(verifyEd25519(world.keys.payer.address, tx.message, tx.signatures[1]));
    assert.equal(toBase58(m.blockhash), world.svm.latestBlockhash());
    const transfer = m.instructions[TRANSFER];
    assert.equal(toBase58(m.accountKeys[transfer.programIdIndex]), world.mints[name].program);
    const accounts = transfer.accounts.map((i) => toBase58(m.accountKeys[i]));
    const { atas, mint } = world.mints[name];
    assert.deepEqual(accounts, [atas.payer, mint, atas.payee, world.keys.payer.address]);

    // Facilitator: verify, co-sign, send.
    const verified = x402.verifyPayment(payload, requirement);
    assert.deepEqual({ isValid: verified.isValid, payer: verified.payer }, { isValid: true, payer: world.keys.payer.address });
    const before = snapshot(world, name);
    assertExecuted(world.cosignAndSend(payload.payload.transaction));
    const after = snapshot(world, name);
    const amount = BigInt(requirement.amount);
    assert.equal(after.payee - before.payee, amount);
    assert.equal(before.payer - after.payer, amount);
    assert.equal(after.feePayerTokens, before.feePayerTokens, 'the fee payer\'s tokens are untouched');
    assert.ok(after.feePayerSol < before.feePayerSol, 'the fee payer paid the fee');
    assert.equal(after.payerSol, before.payerSol, 'the payer paid no SOL');

    // The same transaction again is refused by the chain and moves nothing.
    const again = world.cosignAndSend(payload.payload.transaction);
    assert.ok(again instanceof FailedTransactionMetadata);
    assert.deepEqual(snapshot(world, name).payee, after.payee);

    // A second payment (cached mint info: only getLatestBlockhash) executes too.
    front.reset();
    const second = await pay(world.requirement(name, { amount: '1' }));
    assert.deepEqual(front.calls.map((c) => c.method), ['getLatestBlockhash']);
    assert.equal(x402.verifyPayment(second, world.requirement(name, { amount: '1' })).isValid, true);
    assertExecuted(world.cosignAndSend(second.payload.transaction));
    assert.equal(world.balance(atas.payee), after.payee + 1n);
  });

  test(`${name}: tampered transactions fail verifyPayment before execution; nothing moves`, async (t) => {
    const { world, pay } = await setup(t, `tamper-${name}`);
    const requirement = world.requirement(name);
    const payload = await pay(requirement);
    const payerKey = world.keys.payer;
    const { atas } = world.mints[name];
    const fp = world.keys.feePayer.address;
    const cases = [
      ['amount raised 100x', setAmount(BigInt(requirement.amount) * 100n), 'invalid_exact_svm_payload_amount_mismatch'],
      ['amount lowered by one', setAmount(BigInt(requirement.amount) - 1n), 'invalid_exact_svm_payload_amount_mismatch'],
      ['destination = the attacker\'s ATA', setTransferAccount(2, atas.attacker), 'invalid_exact_svm_payload_recipient_mismatch'],
      ['fee payer as source owner and authority (drains the fee payer)', (m) => {
        setTransferAccount(0, atas.feePayer)(m);
        setTransferAccount(3, fp, { signer: true, writable: true })(m);
      }, 'invalid_exact_svm_payload_transaction_fee_payer_transferring_funds'],
      ['fee payer added to the memo\'s accounts', (m) => {
        const memo = m.instructions[3];
        memo.accounts.push(0);
      }, 'invalid_exact_svm_payload_transaction_fee_payer_transferring_funds'],
    ];
    const before = snapshot(world, name);
    for (const [label, edit, reason] of cases) {
      await t.test(label, () => {
        const bad = withTransaction(payload, tamper(payload.payload.transaction, payerKey, edit));
        const verdict = x402.verifyPayment(bad, requirement);
        assert.equal(verdict.isValid, false, label);
        assert.equal(verdict.invalidReason, reason, label);
        // The chain alone would not have stopped it: co-signed, it simulates fine.
        const sim = world.simulateCosigned(bad.payload.transaction);
        assert.ok(!(sim instanceof FailedTransactionMetadata), `${label}: the simulation should succeed (${sim.toString?.().slice(0, 400)})`);
        // The facilitator refuses, so nothing is sent and nothing moves.
        assert.deepEqual(snapshot(world, name), before);
      });
    }
    // The untampered payload still goes through afterwards.
    assert.equal(x402.verifyPayment(payload, requirement).isValid, true);
    assertExecuted(world.cosignAndSend(payload.payload.transaction));
    assert.equal(world.balance(atas.payee) - before.payee, BigInt(requirement.amount));
  });
}

test('a wallet that raises the compute price (within the cap) is used as returned and executes', async (t) => {
  const { world, pay } = await setup(t, 'wallet-price');
  const requirement = world.requirement('token');
  const payerKey = world.keys.payer;
  let seen;
  const wallet = {
    kind: 'solana',
    address: payerKey.address,
    async signTransaction(bytes) {
      seen = bytes;
      const tx = decodeTransaction(bytes);
      const m = cloneMessage(decodeMessage(tx.message));
      setComputePrice(50_000)(m);
      tx.message = encodeMessage(m);
      return encodeTransaction(signInto(tx, payerKey));
    },
  };
  const payload = await pay(requirement, wallet);
  assert.ok(seen instanceof Uint8Array);
  const m = decodeMessage(decodeTransaction(fromB64(payload.payload.transaction)).message);
  assert.deepEqual([...m.instructions[1].data], [3, 0x50, 0xc3, 0, 0, 0, 0, 0, 0]);
  assert.equal(x402.verifyPayment(payload, requirement).isValid, true);
  const before = world.balance(world.mints.token.atas.payee);
  assertExecuted(world.cosignAndSend(payload.payload.transaction));
  assert.equal(world.balance(world.mints.token.atas.payee) - before, BigInt(requirement.amount));
});

// PROTOCOL.md §4: "Lighthouse and Memo allowed after the transfer, because wallets like Phantom
// inject them". Our client always puts one memo, so a wallet-injected Memo makes two.
test('a wallet that appends its own Memo: still valid, executes (solanaWallet adapter)', async (t) => {
  const { world, pay } = await setup(t, 'wallet-memo');
  const requirement = world.requirement('token2022');
  const payerKey = world.keys.payer;
  let returned;
  const adapter = {
    publicKey: payerKey.address,
    async signTransaction(bytes) {
      const tx = decodeTransaction(bytes);
      const m = cloneMessage(decodeMessage(tx.message));
      memoIx('injected by the wallet')(m);
      tx.message = encodeMessage(m);
      returned = encodeTransaction(signInto(tx, payerKey));
      return returned;
    },
  };
  let payload;
  let error;
  try {
    payload = await pay(requirement, x402.solanaWallet(adapter));
  } catch (e) {
    error = e;
  }
  // The chain accepts what the wallet returned (co-signed, it simulates fine).
  const sim = world.simulateCosigned(Buffer.from(returned).toString('base64'));
  assert.ok(!(sim instanceof FailedTransactionMetadata), sim.toString?.());
  if (error) throw error;
  const m = decodeMessage(decodeTransaction(fromB64(payload.payload.transaction)).message);
  assert.equal(m.instructions.length, 5);
  assert.equal(toBase58(m.accountKeys[m.instructions[4].programIdIndex]), PROGRAMS.memo);
  assert.equal(x402.verifyPayment(payload, requirement).isValid, true);
  const before = world.balance(world.mints.token2022.atas.payee);
  assertExecuted(world.cosignAndSend(payload.payload.transaction));
  assert.equal(world.balance(world.mints.token2022.atas.payee) - before, BigInt(requirement.amount));
});
