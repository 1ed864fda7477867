// The Solana verification table: crafted bad transactions, each made from a valid official vector
// transaction by editing its message bytes (re-signed with the payer's key unless the point is the
// signature), each rejected by verifyPayment with its own reason (the official facilitator's
// names). Then what must stay ALLOWED: Lighthouse and Memo instructions after the transfer, the
// boundaries (3 and 6 instructions, price exactly 5,000,000).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadX402 } from '../lib/x402.mjs';
import { vectors } from '../lib/pkg.mjs';
import {
  PROGRAMS, keyFromSeed, seedFor, fromHex, fromB64, b64, decodeTransaction, encodeTransaction, decodeMessage,
  encodeMessage, ensureKey, ata,
} from '../lib/svm-wire.mjs';
import {
  tamper, withTransaction, setAmount, setTransferAccount, appendInstruction, memoIx, lighthouseIx, setComputePrice, setComputeLimit, setPriorityFee, TRANSFER,
} from '../lib/svm-tamper.mjs';

const x402 = await loadX402();
const V = vectors('svm_exact.json');

// Base cases: a random-memo Token payment (no extra.memo) and a Token payment with extra.memo.
const RANDOM = V.cases.find((c) => c.name.startsWith('mainnet USDC (Token, 6 decimals)'));
const WITH_MEMO = V.cases.find((c) => c.name.startsWith('devnet USDC (Token, 6), amount 1, extra.memo'));
const T22 = V.cases.find((c) => c.name.startsWith('mainnet PYUSD (Token-2022'));
const requirementOf = (c) => c.paymentRequired.accepts[c.acceptedIndex];
const payerOf = (c) => keyFromSeed(fromHex(c.seed));
const other = keyFromSeed(seedFor('verify-table/other'));
const otherMint = keyFromSeed(seedFor('verify-table/other-mint')).address;

/** A payload for `c` whose transaction is c's with `edit` applied (re-signed unless resign=false). */
const edited = (c, edit, { resign = true } = {}) =>
  withTransaction(c.payload, tamper(c.transaction, resign ? payerOf(c) : null, edit));

const verify = (payload, requirement) => x402.verifyPayment(payload, requirement);

function rawEdit(c, fn) {
  const bytes = fromB64(c.transaction);
  return withTransaction(c.payload, fn(bytes));
}

const BAD = [
  {
    name: '2 instructions (compute budget only)',
    reason: 'invalid_exact_svm_payload_transaction_instructions_length',
    payload: () => edited(RANDOM, (m) => { m.instructions.length = 2; }),
  },
  {
    name: '7 instructions (transfer, memo + 3 Lighthouse)',
    reason: 'invalid_exact_svm_payload_transaction_instructions_length',
    payload: () => edited(RANDOM, (m) => { lighthouseIx()(m); lighthouseIx()(m); lighthouseIx()(m); }),
  },
  {
    name: 'first instruction is not SetComputeUnitLimit (budget instructions swapped)',
    reason: 'invalid_exact_svm_payload_transaction_instructions_compute_limit_instruction',
    payload: () => edited(RANDOM, (m) => { [m.instructions[0], m.instructions[1]] = [m.instructions[1], m.instructions[0]]; }),
  },
  {
    name: 'second instruction is not SetComputeUnitPrice (a second SetComputeUnitLimit)',
    reason: 'invalid_exact_svm_payload_transaction_instructions_compute_price_instruction',
    payload: () => edited(RANDOM, (m) => { m.instructions[1] = { ...m.instructions[0], data: new Uint8Array(m.instructions[0].data) }; }),
  },
  {
    name: 'compute price 5,000,001 micro-lamports (above 5,000,000)',
    reason: 'invalid_exact_svm_payload_transaction_instructions_compute_price_instruction_too_high',
    payload: () => edited(RANDOM, setComputePrice(5_000_001)),
  },
  {
    // Solana charges the priority fee on the limit asked, used or not: 1.4M units at the capped price
    // cost the fee payer 7,000,000 lamports (0.007 SOL) for every payment.
    name: 'priority fee 0.007 SOL: the capped price at a 1.4M-unit limit',
    reason: 'invalid_exact_svm_payload_transaction_instructions_compute_price_instruction_too_high',
    payload: () => edited(RANDOM, setPriorityFee(1_400_000, 5_000_000)),
  },
  {
    name: 'priority fee just above 100,000 lamports: the capped price at 20,001 units',
    reason: 'invalid_exact_svm_payload_transaction_instructions_compute_price_instruction_too_high',
    payload: () => edited(RANDOM, setPriorityFee(20_001, 5_000_000)),
  },
  {
    name: 'third instruction is Transfer (3), not TransferChecked (12)',
    reason: 'invalid_exact_svm_payload_no_transfer_instruction',
    payload: () => edited(RANDOM, (m) => { m.instructions[TRANSFER].data = m.instructions[TRANSFER].data.slice(0, 9); m.instructions[TRANSFER].data[0] = 3; }),
  },
  {
    name: 'unknown program (System) after the transfer',
    reason: 'invalid_exact_svm_payload_unknown_optional_instruction',
    payload: () => edited(RANDOM, appendInstruction(PROGRAMS.system, [2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])),
  },
  {
    name: 'fee payer in an instruction\'s accounts (the memo\'s)',
    reason: 'invalid_exact_svm_payload_transaction_fee_payer_transferring_funds',
    payload: () => edited(RANDOM, (m) => { m.instructions[3].accounts.push(0); }),
  },
  {
    name: 'fee payer as the transfer authority',
    reason: 'invalid_exact_svm_payload_transaction_fee_payer_transferring_funds',
    payload: () => edited(RANDOM, (m) => { m.instructions[TRANSFER].accounts[3] = 0; }),
  },
  {
    // TransferChecked with a 5th account (a multisig-signer slot holding the fee payer): the SDK
    // accepts only the single-authority 4-account form, so this is not "the" transfer at all.
    name: 'fee payer appended to the TransferChecked accounts (5 accounts)',
    reason: 'invalid_exact_svm_payload_no_transfer_instruction',
    payload: () => edited(RANDOM, (m) => { m.instructions[TRANSFER].accounts.push(0); }),
  },
  {
    name: 'fee payer as the transfer source',
    reason: 'invalid_exact_svm_payload_transaction_fee_payer_transferring_funds',
    payload: () => edited(RANDOM, (m) => { m.instructions[TRANSFER].accounts[0] = 0; }),
  },
  {
    name: 'another fee payer than extra.feePayer (account 0 replaced)',
    reason: 'invalid_exact_svm_fee_payer_mismatch',
    payload: () => edited(RANDOM, (m) => { m.accountKeys[0] = other.publicKey; }),
  },
  {
    name: 'another mint',
    reason: 'invalid_exact_svm_payload_mint_mismatch',
    payload: () => edited(RANDOM, setTransferAccount(1, otherMint, {})),
  },
  {
    name: 'destination is not ATA(payTo, asset) (the payer\'s own ATA)',
    reason: 'invalid_exact_svm_payload_recipient_mismatch',
    payload: () => edited(RANDOM, (m) => { m.instructions[TRANSFER].accounts[2] = m.instructions[TRANSFER].accounts[0]; }),
  },
  {
    name: 'destination is ATA(payTo) under the other token program',
    reason: 'invalid_exact_svm_payload_recipient_mismatch',
    payload: async () => edited(RANDOM, setTransferAccount(2, await ata(requirementOf(RANDOM).payTo, requirementOf(RANDOM).asset, PROGRAMS.token2022))),
  },
  {
    name: 'amount off by one (+1)',
    reason: 'invalid_exact_svm_payload_amount_mismatch',
    payload: () => edited(RANDOM, setAmount(BigInt(requirementOf(RANDOM).amount) + 1n)),
  },
  {
    name: 'amount off by one (-1, Token-2022)',
    reason: 'invalid_exact_svm_payload_amount_mismatch',
    base: T22,
    payload: () => edited(T22, setAmount(BigInt(requirementOf(T22).amount) - 1n)),
  },
  {
    name: 'memo differs from extra.memo',
    reason: 'invalid_exact_svm_payload_memo_mismatch',
    base: WITH_MEMO,
    payload: () => edited(WITH_MEMO, (m) => { m.instructions[3].data = new TextEncoder().encode('order-1235'); }),
  },
  {
    name: 'memo missing while extra.memo is set (Lighthouse in its place)',
    reason: 'invalid_exact_svm_payload_memo_mismatch',
    base: WITH_MEMO,
    payload: () => edited(WITH_MEMO, (m) => { m.instructions.length = 3; lighthouseIx()(m); }),
  },
  {
    name: 'two memos while extra.memo is set (both equal to it)',
    reason: 'invalid_exact_svm_payload_memo_count',
    base: WITH_MEMO,
    payload: () => edited(WITH_MEMO, memoIx(requirementOf(WITH_MEMO).extra.memo)),
  },
  // Found by a review (2026-11-24); the official facilitator refuses each, and litesvm fails them.
  {
    name: 'an account listed twice (the payee ATA again, read-only): the runtime refuses it',
    reason: 'invalid_exact_svm_payload_transaction_could_not_be_decoded',
    payload: () => edited(RANDOM, (m) => { m.accountKeys.push(m.accountKeys[m.instructions[TRANSFER].accounts[2]]); m.header[2] += 1; }),
  },
  {
    name: 'a read-only fee payer (both signers read-only): the runtime refuses it',
    reason: 'invalid_exact_svm_payload_transaction_could_not_be_decoded',
    payload: () => edited(RANDOM, (m) => { m.header[1] = 2; }),
  },
  {
    name: 'extra.memo that is not text (12345): no memo can carry it',
    reason: 'invalid_exact_svm_payload_memo_mismatch',
    payload: () => RANDOM.payload,
    requirement: () => ({ ...requirementOf(RANDOM), extra: { ...requirementOf(RANDOM).extra, memo: 12345 } }),
  },
  {
    name: 'payer signature: one bit flipped',
    reason: 'invalid_exact_svm_payload_signature_invalid',
    payload: () => rawEdit(RANDOM, (bytes) => { bytes[1 + 64 + 10] ^= 0x01; return b64(bytes); }),
  },
  {
    name: 'payer signature: made by another key',
    reason: 'invalid_exact_svm_payload_signature_invalid',
    payload: () => rawEdit(RANDOM, (bytes) => {
      const tx = decodeTransaction(bytes);
      tx.signatures[1] = other.sign(tx.message);
      return b64(encodeTransaction(tx));
    }),
  },
  {
    name: 'payer signature: left empty (all zero)',
    reason: 'invalid_exact_svm_payload_signature_invalid',
    payload: () => rawEdit(RANDOM, (bytes) => { bytes.fill(0, 65, 129); return b64(bytes); }),
  },
  {
    name: 'a third required signer',
    reason: 'invalid_exact_svm_payload_excessive_signers',
    payload: () => edited(RANDOM, (m) => { ensureKey(m, other.address, { signer: true }); }),
  },
  {
    name: 'truncated bytes (last 10 dropped)',
    reason: 'invalid_exact_svm_payload_transaction_could_not_be_decoded',
    payload: () => rawEdit(RANDOM, (bytes) => b64(bytes.slice(0, bytes.length - 10))),
  },
  {
    name: 'address lookup table present',
    reason: 'invalid_exact_svm_payload_transaction_could_not_be_decoded',
    payload: () => edited(RANDOM, (m) => { m.lookups.push({ account: other.publicKey, writable: [0], readonly: [] }); }),
  },
  {
    name: 'legacy (not v0) message',
    reason: 'invalid_exact_svm_payload_transaction_could_not_be_decoded',
    payload: () => rawEdit(RANDOM, (bytes) => {
      const tx = decodeTransaction(bytes);
      const m = decodeMessage(tx.message);
      const legacy = encodeMessage(m).slice(1, -1); // no version prefix, no lookup-count byte
      tx.message = legacy;
      tx.signatures[1] = payerOf(RANDOM).sign(legacy);
      return b64(encodeTransaction(tx));
    }),
  },
  {
    name: 'signature count does not match the header',
    reason: 'invalid_exact_svm_payload_transaction_could_not_be_decoded',
    payload: () => rawEdit(RANDOM, (bytes) => {
      const tx = decodeTransaction(bytes);
      tx.signatures.push(new Uint8Array(64));
      return b64(encodeTransaction(tx));
    }),
  },
  {
    name: 'transaction is not base64',
    reason: 'invalid_exact_svm_payload_transaction_could_not_be_decoded',
    payload: () => withTransaction(RANDOM.payload, '***not base64***'),
  },
  {
    name: 'requirement without extra.feePayer',
    reason: 'invalid_exact_svm_payload_missing_fee_payer',
    payload: () => RANDOM.payload,
    requirement: () => ({ ...requirementOf(RANDOM), extra: {} }),
  },
  {
    name: 'payload for another network than the requirement',
    reason: 'invalid_exact_svm_network_mismatch',
    payload: () => RANDOM.payload,
    requirement: () => ({ ...requirementOf(RANDOM), network: V.constants.networks.devnet }),
  },
  {
    name: 'a requirement of another scheme than exact (the payment is a valid exact one)',
    reason: 'unsupported_scheme',
    payload: () => RANDOM.payload,
    requirement: () => ({ ...requirementOf(RANDOM), scheme: 'upto' }),
  },
  {
    name: 'a payload of an x402 version other than 1 and 2, or none',
    reason: 'invalid_x402_version',
    payload: () => ({ ...RANDOM.payload, x402Version: 3 }),
    requirement: () => requirementOf(RANDOM),
  },
];

test('the base vectors verify as they are', () => {
  for (const c of [RANDOM, WITH_MEMO, T22]) {
    assert.ok(c, 'vector case found');
    const r = verify(c.payload, requirementOf(c));
    assert.deepEqual({ isValid: r.isValid, payer: r.payer }, { isValid: true, payer: c.payer }, c.name);
  }
});

test('verification table: every crafted bad transaction is rejected with its own reason', async (t) => {
  assert.ok(BAD.length >= 15);
  const table = [];
  for (const row of BAD) {
    await t.test(row.name, async () => {
      const base = row.base ?? RANDOM;
      const payload = await row.payload();
      const requirement = row.requirement ? row.requirement() : requirementOf(base);
      const r = verify(payload, requirement);
      table.push(`${row.name} -> ${r.invalidReason ?? 'VALID'}`);
      assert.equal(r.isValid, false, `${row.name} was accepted`);
      assert.equal(r.invalidReason, row.reason, row.name);
      assert.equal(r.payer, undefined);
    });
  }
  for (const line of table) t.diagnostic(line);
  const distinct = new Set(BAD.map((r) => r.reason));
  t.diagnostic(`${BAD.length} rows, ${distinct.size} distinct reasons`);
  assert.ok(distinct.size >= 15, `${distinct.size} distinct reasons`);
});

test('edits that are NOT violations still verify (the edit helper itself is sound)', () => {
  // Re-signing an unchanged message gives the same, valid transaction (Ed25519 is deterministic).
  assert.equal(tamper(RANDOM.transaction, payerOf(RANDOM), () => {}), RANDOM.transaction);
  // Compute price exactly at the cap.
  assert.equal(verify(edited(RANDOM, setComputePrice(5_000_000)), requirementOf(RANDOM)).isValid, true);
  // A different compute-unit limit is not the verifier's business while the priority fee it makes
  // (price x limit) stays within 100,000 lamports: 200,000 units at the client's price (1 micro-lamport),
  // the capped price at 20,000 units, 1.4M units at 71,428 micro-lamports (99,999.2 lamports; 71,429
  // is over).
  assert.equal(verify(edited(RANDOM, setComputeLimit(200_000)), requirementOf(RANDOM)).isValid, true);
  assert.equal(verify(edited(RANDOM, setPriorityFee(20_000, 5_000_000)), requirementOf(RANDOM)).isValid, true);
  assert.equal(verify(edited(RANDOM, setPriorityFee(1_400_000, 71_428)), requirementOf(RANDOM)).isValid, true);
  assert.equal(verify(edited(RANDOM, setPriorityFee(1_400_000, 71_429)), requirementOf(RANDOM)).invalidReason,
    'invalid_exact_svm_payload_transaction_instructions_compute_price_instruction_too_high');
  // extra.decimals is the client's hint, not checked: a client that read the mint pays with the
  // mint's own, whatever the server said (see svm-vectors: decimals given without the program).
  for (const decimals of [6, '6', 9]) {
    assert.equal(verify(RANDOM.payload, { ...requirementOf(RANDOM), extra: { ...requirementOf(RANDOM).extra, decimals } }).isValid, true);
  }
  // 3 instructions (no memo at all) when the server set no memo.
  assert.equal(verify(edited(RANDOM, (m) => { m.instructions.length = 3; }), requirementOf(RANDOM)).isValid, true);
});

test('Lighthouse instructions after the transfer are allowed', () => {
  const cases = [
    ['one Lighthouse after the memo', RANDOM, (m) => lighthouseIx()(m)],
    ['two Lighthouse (6 instructions)', RANDOM, (m) => { lighthouseIx()(m); lighthouseIx()(m); }],
    ['Lighthouse with accounts (the payer\'s ATA)', RANDOM, (m) => { m.instructions.push({ programIdIndex: ensureKey(m, PROGRAMS.lighthouse), accounts: [m.instructions[TRANSFER].accounts[0]], data: new Uint8Array([1]) }); }],
    ['Lighthouse before the memo, extra.memo set', WITH_MEMO, (m) => { const memo = m.instructions.pop(); lighthouseIx()(m); m.instructions.push(memo); }],
    ['Lighthouse after the memo, Token-2022', T22, (m) => lighthouseIx()(m)],
  ];
  for (const [name, c, edit] of cases) {
    const r = verify(edited(c, edit), requirementOf(c));
    assert.equal(r.isValid, true, `${name}: ${r.invalidReason}`);
    assert.equal(r.payer, c.payer);
  }
});

// PROTOCOL.md §4 allows Memo after the transfer ("wallets like Phantom inject them"). Our own
// transaction already carries one memo, so a wallet's extra Memo makes two. Without extra.memo the
// official facilitator accepts that; only with extra.memo set must there be exactly one.
test('a Memo added after the transfer is allowed when the server set no extra.memo', () => {
  const cases = [
    ['a second memo (wallet-injected)', (m) => memoIx('wallet note')(m)],
    ['a second memo and a Lighthouse (6 instructions)', (m) => { lighthouseIx()(m); memoIx('wallet note')(m); }],
  ];
  for (const [name, edit] of cases) {
    const r = verify(edited(RANDOM, edit), requirementOf(RANDOM));
    assert.equal(r.isValid, true, `${name}: ${r.invalidReason}`);
  }
});

test('a wallet that injects Lighthouse: createPaymentPayload keeps its transaction, which verifies', async () => {
  const c = RANDOM;
  const key = payerOf(c);
  const wallet = {
    kind: 'solana',
    address: c.payer,
    async signTransaction(bytes) {
      return fromB64(tamper(b64(bytes), key, (m) => lighthouseIx()(m)));
    },
  };
  const extra = { ...requirementOf(c).extra, recentBlockhash: c.rpc.latestBlockhash, decimals: c.decimals, tokenProgram: c.tokenProgram };
  const pr = { ...c.paymentRequired, accepts: [{ ...requirementOf(c), extra }] };
  const payload = await x402.createPaymentPayload(pr, 0, wallet, { memoBytes: c.randomBytes[0] });
  const m = decodeMessage(decodeTransaction(fromB64(payload.payload.transaction)).message);
  assert.equal(m.instructions.length, 5);
  assert.equal(x402.verifyPayment(payload, pr.accepts[0]).isValid, true);
  // Same as editing the official transaction the same way.
  assert.equal(payload.payload.transaction, tamper(c.transaction, key, (mm) => lighthouseIx()(mm)));
});

test('a wallet that changes the payment is refused with WALLET_ALTERED_TRANSACTION', async () => {
  const c = RANDOM;
  const key = payerOf(c);
  const extra = { ...requirementOf(c).extra, recentBlockhash: c.rpc.latestBlockhash, decimals: c.decimals, tokenProgram: c.tokenProgram };
  const pr = { ...c.paymentRequired, accepts: [{ ...requirementOf(c), extra }] };
  for (const [name, edit] of [
    ['amount', setAmount(1n)],
    ['compute price over the cap', setComputePrice(10_000_000)],
    ['priority fee over the cap', setPriorityFee(1_400_000, 5_000_000)],
    ['unknown program', appendInstruction(PROGRAMS.system, [0])],
  ]) {
    const wallet = { kind: 'solana', address: c.payer, signTransaction: async (bytes) => fromB64(tamper(b64(bytes), key, edit)) };
    await assert.rejects(x402.createPaymentPayload(pr, 0, wallet, {}), (e) => e.name === 'X402Error' && e.code === 'WALLET_ALTERED_TRANSACTION' && !/Lighthouse/.test(e.message), name);
  }
});

test("Phantom's newer layout (Lighthouse guards before the transfer) is refused before sending, saying why", async () => {
  const c = RANDOM;
  const key = payerOf(c);
  const extra = { ...requirementOf(c).extra, recentBlockhash: c.rpc.latestBlockhash, decimals: c.decimals, tokenProgram: c.tokenProgram };
  const pr = { ...c.paymentRequired, accepts: [{ ...requirementOf(c), extra }] };
  // [limit, price, LH, LH, LH, transfer, memo, LH], as x402 pull request #3318 shows Phantom signing;
  // and one guard alone before the transfer (5 instructions: the third is then no transfer).
  const guardsFirst = (before, after) => (m) => {
    for (let i = 0; i < before; i += 1) lighthouseIx()(m);
    m.instructions.splice(2, 0, ...m.instructions.splice(-before));
    for (let i = 0; i < after; i += 1) lighthouseIx()(m);
  };
  for (const [name, edit] of [['3 before, 1 after', guardsFirst(3, 1)], ['1 before', guardsFirst(1, 0)]]) {
    const wallet = { kind: 'solana', address: c.payer, signTransaction: async (bytes) => fromB64(tamper(b64(bytes), key, edit)) };
    await assert.rejects(x402.createPaymentPayload(pr, 0, wallet, {}), (e) => {
      assert.equal(e.code, 'WALLET_ALTERED_TRANSACTION', name);
      assert.match(e.message, /: invalid_exact_svm_payload_[a-z_]+ \(Lighthouse guard instructions come before the transfer, as Phantom's transaction protection/, name);
      return true;
    });
  }
  // The Worker helper's verifier refuses it too, with the rule's own reason.
  const r = verify(edited(c, guardsFirst(3, 1)), requirementOf(c));
  assert.deepEqual([r.isValid, r.invalidReason], [false, 'invalid_exact_svm_payload_transaction_instructions_length']);
});
