// Solana wire helpers for the SVM tests, written for these tests (independent of the SDK):
// base58, Ed25519 keys (node:crypto), a v0 transaction/message decoder and encoder that keeps
// every byte editable, account insertion with index fix-ups, and ATA derivation through
// @solana/kit (so the SDK's own PDA code is checked against someone else's).
//
//   const tx = decodeTransaction(bytes); const m = decodeMessage(tx.message);
//   m.instructions[2].data[1] ^= 1; tx.message = encodeMessage(m); signInto(tx, payerKey);
//   encodeTransaction(tx)
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign as edSign, verify as edVerify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519';
import { getAddressEncoder, getBase58Decoder, getBase58Encoder, getProgramDerivedAddress } from '@solana/kit';

export const PROGRAMS = {
  token: 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA',
  token2022: 'TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb',
  ata: 'ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL',
  computeBudget: 'ComputeBudget111111111111111111111111111111',
  memo: 'MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr',
  system: '11111111111111111111111111111111',
  lighthouse: 'L2TExMFKdjpN9kozasaurPirfHy9P8sbXoAN1qA3S95',
};

const b58enc = getBase58Encoder();
const b58dec = getBase58Decoder();

/** base58 text -> bytes. */
export const fromBase58 = (text) => new Uint8Array(b58enc.encode(text));
/** bytes -> base58 text. */
export const toBase58 = (bytes) => b58dec.decode(bytes);
export const hex = (bytes) => Buffer.from(bytes).toString('hex');
export const fromHex = (text) => new Uint8Array(Buffer.from(text.replace(/^0x/, ''), 'hex'));

/** A deterministic 32-byte seed for a label. */
export function seedFor(label) {
  return new Uint8Array(createHash('sha256').update(`x402-wasm/svm-tests/${label}`).digest());
}

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

/** An Ed25519 key from a 32-byte seed: { seed, publicKey, address, keypair (64 bytes), sign(msg) }. */
export function keyFromSeed(seed) {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, Buffer.from(seed)]), format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  const publicKey = new Uint8Array(Buffer.from(jwk.x, 'base64url'));
  return {
    seed: new Uint8Array(seed),
    publicKey,
    address: toBase58(publicKey),
    keypair: new Uint8Array([...seed, ...publicKey]),
    sign: (message) => new Uint8Array(edSign(null, Buffer.from(message), privateKey)),
  };
}

/** Ed25519 verification of `signature` over `message` by the base58 `address`. */
export function verifyEd25519(address, message, signature) {
  const x = Buffer.from(fromBase58(address)).toString('base64url');
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  return edVerify(null, Buffer.from(message), key, Buffer.from(signature));
}

// ---- compact-u16 ----

function readCompact(bytes, at) {
  let value = 0;
  for (let i = 0; i < 3; i += 1) {
    const byte = bytes[at.i++];
    if (byte === undefined) throw new Error('truncated compact-u16');
    value |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) === 0) return value;
  }
  throw new Error('compact-u16 too long');
}

function writeCompact(out, value) {
  let v = value;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if (v === 0) { out.push(byte); return; }
    out.push(byte | 0x80);
  }
}

function take(bytes, at, n) {
  if (at.i + n > bytes.length) throw new Error('truncated');
  const out = bytes.slice(at.i, at.i + n);
  at.i += n;
  return out;
}

// ---- transactions and messages ----

/** Wire transaction -> { signatures: Uint8Array[64][], message: Uint8Array }. */
export function decodeTransaction(bytes) {
  const b = new Uint8Array(bytes);
  const at = { i: 0 };
  const count = readCompact(b, at);
  const signatures = [];
  for (let k = 0; k < count; k += 1) signatures.push(take(b, at, 64));
  return { signatures, message: b.slice(at.i) };
}

/** { signatures, message } -> wire bytes. */
export function encodeTransaction(tx) {
  const out = [];
  writeCompact(out, tx.signatures.length);
  for (const s of tx.signatures) out.push(...s);
  out.push(...tx.message);
  return new Uint8Array(out);
}

/**
 * v0 message bytes -> { version: 0, header: [numRequiredSignatures, numReadonlySigned, numReadonlyUnsigned],
 * accountKeys: Uint8Array[], blockhash: Uint8Array, instructions: [{ programIdIndex, accounts: number[], data }],
 * lookups: [{ account, writable: number[], readonly: number[] }] }.
 */
export function decodeMessage(bytes) {
  const b = new Uint8Array(bytes);
  const at = { i: 0 };
  const prefix = b[at.i++];
  if (prefix !== 0x80) throw new Error(`not a v0 message (prefix ${prefix})`);
  const header = [...take(b, at, 3)];
  const keyCount = readCompact(b, at);
  const accountKeys = [];
  for (let k = 0; k < keyCount; k += 1) accountKeys.push(take(b, at, 32));
  const blockhash = take(b, at, 32);
  const ixCount = readCompact(b, at);
  const instructions = [];
  for (let k = 0; k < ixCount; k += 1) {
    const programIdIndex = take(b, at, 1)[0];
    const accounts = [...take(b, at, readCompact(b, at))];
    const data = take(b, at, readCompact(b, at));
    instructions.push({ programIdIndex, accounts, data });
  }
  const lookupCount = readCompact(b, at);
  const lookups = [];
  for (let k = 0; k < lookupCount; k += 1) {
    const account = take(b, at, 32);
    const writable = [...take(b, at, readCompact(b, at))];
    const readonly = [...take(b, at, readCompact(b, at))];
    lookups.push({ account, writable, readonly });
  }
  if (at.i !== b.length) throw new Error('trailing bytes after the message');
  return { version: 0, header, accountKeys, blockhash, instructions, lookups };
}

/** The inverse of decodeMessage. */
export function encodeMessage(m) {
  const out = [0x80, ...m.header];
  writeCompact(out, m.accountKeys.length);
  for (const k of m.accountKeys) out.push(...k);
  out.push(...m.blockhash);
  writeCompact(out, m.instructions.length);
  for (const ix of m.instructions) {
    out.push(ix.programIdIndex);
    writeCompact(out, ix.accounts.length);
    out.push(...ix.accounts);
    writeCompact(out, ix.data.length);
    out.push(...ix.data);
  }
  writeCompact(out, m.lookups.length);
  for (const l of m.lookups) {
    out.push(...l.account);
    writeCompact(out, l.writable.length);
    out.push(...l.writable);
    writeCompact(out, l.readonly.length);
    out.push(...l.readonly);
  }
  return new Uint8Array(out);
}

/** Deep copy of a decoded message. */
export function cloneMessage(m) {
  return {
    version: 0,
    header: [...m.header],
    accountKeys: m.accountKeys.map((k) => new Uint8Array(k)),
    blockhash: new Uint8Array(m.blockhash),
    instructions: m.instructions.map((ix) => ({ programIdIndex: ix.programIdIndex, accounts: [...ix.accounts], data: new Uint8Array(ix.data) })),
    lookups: m.lookups.map((l) => ({ account: new Uint8Array(l.account), writable: [...l.writable], readonly: [...l.readonly] })),
  };
}

const sameKey = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Index of a base58 address (or key bytes) in the message's account keys, or -1. */
export function keyIndex(m, address) {
  const key = typeof address === 'string' ? fromBase58(address) : address;
  return m.accountKeys.findIndex((k) => sameKey(k, key));
}

/**
 * Returns the index of `address` in m's account keys, inserting it at the end of its group
 * (signer/writable) when absent and fixing every instruction's indices and the header.
 */
export function ensureKey(m, address, { signer = false, writable = false } = {}) {
  const found = keyIndex(m, address);
  if (found >= 0) return found;
  const key = typeof address === 'string' ? fromBase58(address) : address;
  const [numSigners, roSigned, roUnsigned] = m.header;
  const n = m.accountKeys.length;
  let at;
  if (signer && writable) at = numSigners - roSigned;
  else if (signer) at = numSigners;
  else if (writable) at = n - roUnsigned;
  else at = n;
  m.accountKeys.splice(at, 0, key);
  for (const ix of m.instructions) {
    if (ix.programIdIndex >= at) ix.programIdIndex += 1;
    ix.accounts = ix.accounts.map((i) => (i >= at ? i + 1 : i));
  }
  if (signer) m.header[0] += 1;
  if (signer && !writable) m.header[1] += 1;
  if (!signer && !writable) m.header[2] += 1;
  return at;
}

/** Signs the message of tx with `key` (from keyFromSeed) into that key's signature slot. */
export function signInto(tx, key) {
  const m = decodeMessage(tx.message);
  const slot = keyIndex(m, key.address);
  if (slot < 0 || slot >= m.header[0]) throw new Error(`${key.address} is not a required signer`);
  while (tx.signatures.length < m.header[0]) tx.signatures.push(new Uint8Array(64));
  tx.signatures[slot] = key.sign(tx.message);
  return tx;
}

/**
 * A second valid Ed25519 signature of `message` by `key` (from keyFromSeed): RFC 8032 draws the
 * nonce from the key and message, so every signer normally makes one signature per message, but
 * nothing stops a key holder from drawing it at random and making as many as it likes.
 */
export function signWithRandomNonce(key, message) {
  const L = ed25519.CURVE.n;
  const le = (bytes) => BigInt(`0x${Buffer.from(bytes).reverse().toString('hex') || '0'}`);
  const { scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(key.seed);
  const r = (le(randomBytes(64)) % (L - 1n)) + 1n;
  const R = ed25519.ExtendedPoint.BASE.multiply(r).toRawBytes();
  const k = le(createHash('sha512').update(R).update(pointBytes).update(message).digest()) % L;
  const S = Buffer.from(((r + k * scalar) % L).toString(16).padStart(64, '0'), 'hex').reverse();
  const signature = new Uint8Array([...R, ...S]);
  if (!verifyEd25519(key.address, message, signature)) throw new Error('signWithRandomNonce: not a valid signature');
  return signature;
}

/** Base64 <-> bytes. */
export const b64 = (bytes) => Buffer.from(bytes).toString('base64');
export const fromB64 = (text) => new Uint8Array(Buffer.from(text, 'base64'));

/** ATA(owner, mint) under tokenProgram, derived with @solana/kit. */
export async function ata(owner, mint, tokenProgram) {
  const enc = getAddressEncoder();
  const [address] = await getProgramDerivedAddress({
    programAddress: PROGRAMS.ata,
    seeds: [enc.encode(owner), enc.encode(tokenProgram), enc.encode(mint)],
  });
  return address;
}

/** u64 little-endian bytes. */
export function u64le(value) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value), true);
  return out;
}

/** Reads a u64 LE from bytes at offset. */
export function readU64(bytes, offset) {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset, true);
}

/**
 * Compiles a v0 message (no lookup tables) from instructions
 * [{ programId, accounts: [{ address, signer?, writable? }], data }] with `feePayer` first.
 * Keys are grouped (writable signers, readonly signers, writable, readonly) in first-use order;
 * that is all the runtime needs (the SDK's exact order is checked against the vectors elsewhere).
 */
export function compileMessage({ feePayer, instructions, blockhash }) {
  const metas = new Map();
  const touch = (address, signer, writable) => {
    const m = metas.get(address) ?? { address, signer: false, writable: false, order: metas.size };
    m.signer ||= signer;
    m.writable ||= writable;
    metas.set(address, m);
  };
  touch(feePayer, true, true);
  for (const ix of instructions) {
    for (const a of ix.accounts) touch(a.address, !!a.signer, !!a.writable);
    touch(ix.programId, false, false);
  }
  const all = [...metas.values()];
  const group = (s, w) => all.filter((m) => m.signer === s && m.writable === w && m.address !== feePayer);
  const ordered = [metas.get(feePayer), ...group(true, true), ...group(true, false), ...group(false, true), ...group(false, false)];
  const index = new Map(ordered.map((m, i) => [m.address, i]));
  const numSigners = ordered.filter((m) => m.signer).length;
  const message = {
    version: 0,
    header: [numSigners, group(true, false).length, group(false, false).length],
    accountKeys: ordered.map((m) => fromBase58(m.address)),
    blockhash: typeof blockhash === 'string' ? fromBase58(blockhash) : blockhash,
    instructions: instructions.map((ix) => ({
      programIdIndex: index.get(ix.programId),
      accounts: ix.accounts.map((a) => index.get(a.address)),
      data: new Uint8Array(ix.data),
    })),
    lookups: [],
  };
  return encodeMessage(message);
}

/** A fully signed wire transaction of `messageBytes` signed by `keys` (each in its slot). */
export function signedTransaction(messageBytes, keys) {
  const m = decodeMessage(messageBytes);
  const tx = { signatures: Array.from({ length: m.header[0] }, () => new Uint8Array(64)), message: messageBytes };
  for (const key of keys) signInto(tx, key);
  return encodeTransaction(tx);
}
