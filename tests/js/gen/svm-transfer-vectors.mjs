#!/usr/bin/env node
// Generates tests/vectors/svm_transfer.json: direct SPL transfers carrying Solana Pay reference keys
// (the "Solana Pay reference" 402 dialect), made with @solana/kit (transaction message compiler and
// wire encoder) and the program clients @solana-program/token / @solana-program/token-2022
// (getTransferCheckedInstruction, findAssociatedTokenPda). As @solana/pay does, each reference is
// appended to the TransferChecked instruction's accounts as a read-only non-signer
// (AccountRole.READONLY). The payer is the fee payer; the message is v0 without lookup tables.
//
// Run from the repository root or from tests/js:
//   node tests/js/gen/svm-transfer-vectors.mjs
// Deterministic: seeds, addresses and blockhashes come from sha256("x402-wasm/svm-transfer/<label>");
// Ed25519 signatures are deterministic. Importing this file (the tests do, for buildTransfer) does
// not write anything.
import { writeFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import nodeCrypto from 'node:crypto';

import {
  AccountRole, appendTransactionMessageInstructions, compileTransaction, createKeyPairFromPrivateKeyBytes,
  createNoopSigner, createTransactionMessage, getBase58Decoder, getCompiledTransactionMessageDecoder,
  getTransactionEncoder, pipe, setTransactionMessageFeePayerSigner, setTransactionMessageLifetimeUsingBlockhash,
  signTransaction, getTransactionDecoder, verifySignature,
} from '@solana/kit';
import * as token from '@solana-program/token';
import { getTransferSolInstruction } from '@solana-program/system';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const JS_DIR = path.resolve(HERE, '..');
const OUT_FILE = path.resolve(HERE, '../../vectors/svm_transfer.json');

// Token-2022 and compute-budget clients are installed under @x402/svm (not hoisted): load them from there.
const SVM_DIR = path.join(JS_DIR, 'node_modules', '@x402', 'svm');
const fromSvm = createRequire(path.join(SVM_DIR, 'package.json'));
async function esm(name) {
  // The package folder: walk up from its resolved main file (its exports hide package.json).
  let dir = path.dirname(fromSvm.resolve(name));
  while (!dir.endsWith(path.join(...name.split('/')))) dir = path.dirname(dir);
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  return { module: await import(pathToFileURL(path.join(dir, pkg.exports['.'].import)).href), version: pkg.version };
}
const token2022 = await esm('@solana-program/token-2022');
const computeBudget = await esm('@solana-program/compute-budget');

function version(name) {
  return JSON.parse(readFileSync(path.join(JS_DIR, 'node_modules', name, 'package.json'), 'utf8')).version;
}

export const PROGRAMS = {
  token: token.TOKEN_PROGRAM_ADDRESS,
  token2022: token2022.module.TOKEN_2022_PROGRAM_ADDRESS,
  memo: 'MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr',
};
const CLIENTS = { [PROGRAMS.token]: token, [PROGRAMS.token2022]: token2022.module };

const U64_MAX = 2n ** 64n - 1n;
const b58 = (bytes) => getBase58Decoder().decode(bytes);
const b64 = (bytes) => Buffer.from(bytes).toString('base64');

function fail(msg) {
  throw new Error(`svm-transfer-vectors: ${msg}`);
}
function check(cond, msg) {
  if (!cond) fail(msg);
}

/** The TransferChecked instruction of `tokenProgram`'s own client, references appended read-only. */
export async function transferInstruction({ payer, recipient, mint, tokenProgram, decimals, amount, references = [] }) {
  const client = CLIENTS[tokenProgram] ?? fail(`unknown token program ${tokenProgram}`);
  const [source] = await client.findAssociatedTokenPda({ owner: payer, tokenProgram, mint });
  const [destination] = await client.findAssociatedTokenPda({ owner: recipient, tokenProgram, mint });
  const ix = client.getTransferCheckedInstruction(
    { source, mint, destination, authority: createNoopSigner(payer), amount: BigInt(amount), decimals },
    { programAddress: tokenProgram },
  );
  const instruction = { ...ix, accounts: [...ix.accounts, ...references.map((address) => ({ address, role: AccountRole.READONLY }))] };
  return { instruction, source, destination };
}

/**
 * The unsigned v0 transaction of a direct transfer (fee payer = payer), compiled and encoded by
 * @solana/kit. `before`/`after` are extra instructions around the transfer (wallet additions).
 * Returns { compiled, message, transaction (wire bytes), source, destination }.
 */
export async function buildTransfer({ blockhash, before = [], after = [], instruction: override, ...terms }) {
  const { instruction, source, destination } = await transferInstruction(terms);
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(createNoopSigner(terms.payer), m),
    (m) => setTransactionMessageLifetimeUsingBlockhash({ blockhash, lastValidBlockHeight: 1000n }, m),
    (m) => appendTransactionMessageInstructions([...before, override ?? instruction, ...after], m),
  );
  const compiled = compileTransaction(message);
  return {
    compiled,
    message: new Uint8Array(compiled.messageBytes),
    transaction: new Uint8Array(getTransactionEncoder().encode(compiled)),
    instruction,
    source,
    destination,
  };
}

/** The transaction signed by the 32-byte seed's key (kit's signTransaction, WebCrypto Ed25519). */
export async function signWithSeed(seed, compiled) {
  const keyPair = await createKeyPairFromPrivateKeyBytes(seed);
  return new Uint8Array(getTransactionEncoder().encode(await signTransaction([keyPair], compiled)));
}

// ---------------------------------------------------------------------------------------------
const LABEL = 'x402-wasm/svm-transfer';
const sha = (label) => nodeCrypto.createHash('sha256').update(`${LABEL}/${label}`).digest();
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
function publicKeyOfSeed(seed) {
  const priv = nodeCrypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return Buffer.from(nodeCrypto.createPublicKey(priv).export({ format: 'jwk' }).x, 'base64url');
}
const seedFor = (label) => sha(`seed/${label}`);
const walletFor = (label) => b58(publicKeyOfSeed(seedFor(label)));
/** The first b58(sha256(label/i)) matching pred: plain 32-byte keys, as Solana Pay references are. */
function searchAddress(label, pred = () => true) {
  for (let i = 0; i < 1000000; i += 1) {
    const a = b58(sha(`${label}/${i}`));
    if (pred(a)) return a;
  }
  return fail(`no address for ${label}`);
}
const refs = (label, n) => Array.from({ length: n }, (_, i) => searchAddress(`reference/${label}/${i}`));

// References whose text puts them between, before or after the mint and the token program in
// @solana/kit's collation of the read-only group (lower case first, case-insensitive primary order).
const TRAP_REFS = [
  searchAddress('reference/trap-t', (a) => /^t[p-z]/.test(a)), // after Token... (collation), before it in ASCII
  searchAddress('reference/trap-a', (a) => /^a/.test(a)), // first in collation, after upper case in ASCII
  searchAddress('reference/trap-1', (a) => /^1/.test(a)), // digits first
];

const CASES = [
  { name: 'Token, 6 decimals, amount 1, one reference', program: 'token', decimals: 6, amount: 1n, references: refs('a', 1) },
  { name: 'Token, 0 decimals, amount u64 max, no reference', program: 'token', decimals: 0, amount: U64_MAX, references: [] },
  { name: 'Token, 9 decimals, amount 10000, three references', program: 'token', decimals: 9, amount: 10000n, references: refs('c', 3) },
  { name: 'Token-2022, 6 decimals, amount u64 max, one reference', program: 'token2022', decimals: 6, amount: U64_MAX, references: refs('d', 1) },
  { name: 'Token-2022, 0 decimals, amount 1, three references', program: 'token2022', decimals: 0, amount: 1n, references: refs('e', 3) },
  { name: 'Token-2022, 9 decimals, amount 1, no reference', program: 'token2022', decimals: 9, amount: 1n, references: [] },
  { name: 'Token, 6 decimals, references that trap a wrong account order', program: 'token', decimals: 6, amount: 123456n, references: TRAP_REFS },
  { name: 'Token-2022, 6 decimals, recipient is the payer (source = destination), one reference', program: 'token2022', decimals: 6, amount: 5n, references: refs('g', 1), selfPay: true },
];

async function makeCase(c, i) {
  const seed = seedFor(`payer/${i}`);
  const payer = b58(publicKeyOfSeed(seed));
  const terms = {
    payer,
    recipient: c.selfPay ? payer : walletFor(`recipient/${i}`),
    mint: walletFor(`mint/${i}`),
    tokenProgram: PROGRAMS[c.program],
    decimals: c.decimals,
    amount: c.amount,
    references: c.references,
    blockhash: b58(sha(`blockhash/${i}`)),
  };
  const built = await buildTransfer(terms);
  const decoded = getCompiledTransactionMessageDecoder().decode(built.message);
  const keys = decoded.staticAccounts;
  check(decoded.version === 0 && built.message[0] === 0x80, `${c.name}: not v0`);
  check(keys[0] === payer, `${c.name}: the payer is not the fee payer`);
  check(decoded.header.numSignerAccounts === 1, `${c.name}: more than one signer`);
  check(decoded.instructions.length === 1, `${c.name}: one instruction`);
  const ix = decoded.instructions[0];
  check(keys[ix.programAddressIndex] === terms.tokenProgram, `${c.name}: program`);
  const accounts = ix.accountIndices.map((k) => keys[k]);
  const want = [built.source, terms.mint, built.destination, payer, ...c.references];
  check(JSON.stringify(accounts) === JSON.stringify(want), `${c.name}: transfer accounts ${accounts}`);
  const data = Buffer.from(ix.data);
  check(data.length === 10 && data[0] === 12 && data.readBigUInt64LE(1) === c.amount && data[9] === c.decimals, `${c.name}: data`);
  const readonlyUnsigned = keys.slice(keys.length - decoded.header.numReadonlyNonSignerAccounts);
  for (const r of c.references) check(readonlyUnsigned.includes(r), `${c.name}: reference ${r} is not read-only unsigned`);
  const signed = await signWithSeed(seed, built.compiled);
  const tx = getTransactionDecoder().decode(signed);
  const keyPair = await createKeyPairFromPrivateKeyBytes(seed);
  check(await verifySignature(keyPair.publicKey, tx.signatures[payer], built.message), `${c.name}: signature`);
  return {
    name: c.name,
    seed: seed.toString('hex'),
    payer,
    recipient: terms.recipient,
    mint: terms.mint,
    tokenProgram: terms.tokenProgram,
    decimals: c.decimals,
    amount: c.amount.toString(),
    references: c.references,
    recentBlockhash: terms.blockhash,
    sourceAta: built.source,
    destinationAta: built.destination,
    header: {
      numRequiredSignatures: decoded.header.numSignerAccounts,
      numReadonlySigned: decoded.header.numReadonlySignerAccounts,
      numReadonlyUnsigned: decoded.header.numReadonlyNonSignerAccounts,
    },
    staticAccounts: keys,
    message: b64(built.message),
    transaction: b64(built.transaction),
    signedTransaction: b64(signed),
    terms,
    seedBytes: seed,
  };
}

/** What a wallet might hand back: kit-built variants of a case, signed by the payer. */
async function variants(v) {
  const { terms, seedBytes: seed } = v;
  const sign = async (extra) => b64(await signWithSeed(seed, (await buildTransfer({ ...terms, ...extra })).compiled));
  const attacker = walletFor('attacker');
  const cb = computeBudget.module;
  const memo = { programAddress: PROGRAMS.memo, accounts: [], data: new TextEncoder().encode('thanks') };
  const { instruction } = await transferInstruction(terms);
  const withAccounts = (accounts) => ({ ...instruction, accounts });
  const out = [
    { name: 'as built', transaction: v.signedTransaction, expect: 'ok' },
    {
      name: 'compute budget instructions prepended',
      transaction: await sign({ before: [cb.getSetComputeUnitLimitInstruction({ units: 30000 }), cb.getSetComputeUnitPriceInstruction({ microLamports: 5000n })] }),
      expect: 'ok',
    },
    // The x402 `exact` bound on the priority fee (5 lamports per compute unit) holds here too.
    {
      name: 'priority fee at the bound',
      transaction: await sign({ before: [cb.getSetComputeUnitPriceInstruction({ microLamports: 5_000_000n })] }),
      expect: 'ok',
    },
    {
      name: 'priority fee above the bound',
      transaction: await sign({ before: [cb.getSetComputeUnitLimitInstruction({ units: 200000 }), cb.getSetComputeUnitPriceInstruction({ microLamports: 5_000_001n })] }),
      expect: 'WALLET_ALTERED_TRANSACTION',
    },
    { name: 'memo appended', transaction: await sign({ after: [memo] }), expect: 'ok' },
    { name: 'another blockhash', transaction: await sign({ blockhash: b58(sha('blockhash/other')) }), expect: 'ok' },
    { name: 'unsigned', transaction: v.transaction, expect: 'INVALID_SIGNATURE' },
    { name: 'amount plus one', transaction: await sign({ amount: BigInt(terms.amount) + 1n }), expect: 'WALLET_ALTERED_TRANSACTION' },
    { name: 'decimals changed', transaction: await sign({ decimals: (terms.decimals + 1) % 10 }), expect: 'WALLET_ALTERED_TRANSACTION' },
    { name: 'recipient changed', transaction: await sign({ recipient: attacker }), expect: 'WALLET_ALTERED_TRANSACTION' },
    { name: 'last reference dropped', transaction: await sign({ references: terms.references.slice(0, -1) }), expect: 'WALLET_ALTERED_TRANSACTION' },
    { name: 'a reference added', transaction: await sign({ references: [...terms.references, attacker] }), expect: 'WALLET_ALTERED_TRANSACTION' },
    {
      name: 'first reference writable',
      transaction: await sign({ instruction: withAccounts(instruction.accounts.map((a, i) => (i === 4 ? { ...a, role: AccountRole.WRITABLE } : a))) }),
      expect: 'WALLET_ALTERED_TRANSACTION',
    },
    {
      name: 'a SOL transfer added',
      transaction: await sign({ after: [getTransferSolInstruction({ source: createNoopSigner(terms.payer), destination: attacker, amount: 1n })] }),
      expect: 'WALLET_ALTERED_TRANSACTION',
    },
    { name: 'the transfer twice', transaction: await sign({ after: [instruction] }), expect: 'WALLET_ALTERED_TRANSACTION' },
  ];
  if (terms.references.length > 1) {
    const reordered = [...instruction.accounts.slice(0, 4), ...instruction.accounts.slice(4).reverse()];
    out.push({ name: 'references reordered', transaction: await sign({ instruction: withAccounts(reordered) }), expect: 'WALLET_ALTERED_TRANSACTION' });
  }
  return out;
}

async function main() {
  const cases = [];
  for (const [i, c] of CASES.entries()) cases.push(await makeCase(c, i));
  const withVariants = new Set([0, 4]);
  const out = [];
  for (const [i, v] of cases.entries()) {
    const entry = { ...v };
    delete entry.terms;
    delete entry.seedBytes;
    if (withVariants.has(i)) entry.walletVariants = await variants(v);
    out.push(entry);
  }
  const doc = {
    source: `generated by tests/js/gen/svm-transfer-vectors.mjs with @solana/kit ${version('@solana/kit')}, @solana-program/token ${version('@solana-program/token')} and @solana-program/token-2022 ${token2022.version}`,
    generator: {
      '@solana/kit': version('@solana/kit'),
      '@solana-program/token': version('@solana-program/token'),
      '@solana-program/token-2022': token2022.version,
      '@solana-program/compute-budget': computeBudget.version,
      '@solana-program/system': version('@solana-program/system'),
      node: process.versions.node.split('.')[0],
    },
    programs: PROGRAMS,
    cases: out,
  };
  writeFileSync(OUT_FILE, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), OUT_FILE)}: ${out.length} cases`);
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) await main();
