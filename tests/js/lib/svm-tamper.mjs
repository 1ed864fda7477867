// Edits of an `exact` Solana payment transaction for the verification tests: decode the wire
// bytes, change the message, re-sign with the payer's key (unless the point is the signature),
// and re-encode. Instruction 2 is the TransferChecked (source, mint, destination, authority).
import {
  PROGRAMS, decodeTransaction, decodeMessage, encodeMessage, encodeTransaction, cloneMessage, ensureKey,
  keyIndex, signInto, fromB64, b64, u64le, fromBase58,
} from './svm-wire.mjs';

export const TRANSFER = 2;

/**
 * Applies `edit(message)` to the base64 transaction and returns the new base64 transaction,
 * re-signed by `payerKey` (pass null to keep the old signatures as they are).
 */
export function tamper(base64Tx, payerKey, edit) {
  const tx = decodeTransaction(fromB64(base64Tx));
  const m = cloneMessage(decodeMessage(tx.message));
  edit(m);
  tx.message = encodeMessage(m);
  while (tx.signatures.length < m.header[0]) tx.signatures.push(new Uint8Array(64));
  tx.signatures.length = m.header[0];
  if (payerKey) signInto(tx, payerKey);
  return b64(encodeTransaction(tx));
}

/** The same payment payload with another transaction. */
export function withTransaction(payload, base64Tx) {
  return { ...payload, payload: { ...payload.payload, transaction: base64Tx } };
}

export const setAmount = (amount) => (m) => {
  m.instructions[TRANSFER].data.set(u64le(amount), 1);
};

export const setTransferAccount = (position, address, flags = { writable: true }) => (m) => {
  const i = ensureKey(m, address, flags);
  m.instructions[TRANSFER].accounts[position] = i;
};

/** Moves the transfer's account at `position` (a writable unsigned one) to the read-only accounts. */
export const makeReadOnly = (position) => (m) => {
  const at = m.instructions[TRANSFER].accounts[position];
  const [key] = m.accountKeys.splice(at, 1);
  for (const ix of m.instructions) {
    if (ix.programIdIndex > at) ix.programIdIndex -= 1;
    ix.accounts = ix.accounts.map((i) => (i > at ? i - 1 : i));
  }
  const i = ensureKey(m, key, { writable: false }); // (replaces every instruction's accounts array)
  m.instructions[TRANSFER].accounts[position] = i;
};

/** Appends an instruction for `programId` (accounts: [{ address, signer, writable }]). */
export const appendInstruction = (programId, data, accounts = []) => (m) => {
  const ix = { programIdIndex: ensureKey(m, programId), accounts: [], data: new Uint8Array(data) };
  m.instructions.push(ix);
  // ensureKey fixes the indices of every instruction in m (this one included) when it inserts.
  for (const a of accounts) {
    const i = ensureKey(m, a.address, a);
    ix.accounts.push(i);
  }
};

/** Inserts an instruction at `at`. */
export const insertInstruction = (at, programId, data, accounts = []) => (m) => {
  appendInstruction(programId, data, accounts)(m);
  const ix = m.instructions.pop();
  m.instructions.splice(at, 0, ix);
};

export const memoIx = (text, accounts = []) => appendInstruction(PROGRAMS.memo, new TextEncoder().encode(text), accounts);

/** A Lighthouse-like assertion instruction (the data is opaque to the verifier). */
export const lighthouseIx = (accounts = []) => appendInstruction(PROGRAMS.lighthouse, [0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], accounts);

export const setComputePrice = (microLamports) => (m) => {
  m.instructions[1].data = new Uint8Array([3, ...u64le(microLamports)]);
};

/** Sets the SetComputeUnitLimit instruction (the first) to `units` (u32 LE). */
export const setComputeLimit = (units) => (m) => {
  m.instructions[0].data = new Uint8Array([2, ...u64le(units).subarray(0, 4)]);
};

/** Sets both compute-budget instructions: the limit in units, the price in micro-lamports. */
export const setPriorityFee = (units, microLamports) => (m) => {
  setComputeLimit(units)(m);
  setComputePrice(microLamports)(m);
};

export { keyIndex, fromBase58 };
