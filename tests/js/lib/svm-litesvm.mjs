// A Solana world in litesvm (npm `litesvm`, in process) for the SVM tests, plus a small
// JSON-RPC front on 127.0.0.1 that the SDK's RPC client talks to, and the facilitator's side
// (co-sign as fee payer, send).
//
//   const world = createWorld();            // Token + Token-2022 mints (6 decimals), funded ATAs
//   const front = await startRpcFront(world); front.url; front.calls; await front.close();
//   world.balance(ata); world.cosignAndSend(base64Tx); world.simulateCosigned(base64Tx)
//
// Setup goes through the real programs (System CreateAccount, InitializeMint2, the Associated
// Token Account program's CreateIdempotent, MintTo), so the ATAs the SDK derives must match the
// ones the ATA program created.
import { LiteSVM, FailedTransactionMetadata } from 'litesvm';
import { getTransactionDecoder, lamports } from '@solana/kit';
import { startJsonRpc, accountInfo, rpcError } from './svm-rpc.mjs';
import {
  PROGRAMS, keyFromSeed, seedFor, compileMessage, signedTransaction, decodeTransaction, decodeMessage,
  encodeTransaction, fromB64, readU64, u64le, fromBase58, toBase58, ata as deriveAta, b64,
} from './svm-wire.mjs';

export { FailedTransactionMetadata };
export const DEVNET = 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1';
export const INITIAL_TOKENS = 1_000_000_000n;

const MINT_SIZE = 82;
const txDecoder = getTransactionDecoder();

function createAccountIx(funder, account, lamportsAmount, space, owner) {
  const data = new Uint8Array(52);
  const view = new DataView(data.buffer);
  view.setUint32(0, 0, true);
  view.setBigUint64(4, BigInt(lamportsAmount), true);
  view.setBigUint64(12, BigInt(space), true);
  data.set(fromBase58(owner), 20);
  return { programId: PROGRAMS.system, accounts: [{ address: funder, signer: true, writable: true }, { address: account, signer: true, writable: true }], data };
}

function initializeMint2Ix(program, mint, decimals, authority) {
  return { programId: program, accounts: [{ address: mint, writable: true }], data: [20, decimals, ...fromBase58(authority), 0] };
}

function createAtaIx(funder, ataAddress, owner, mint, program) {
  return {
    programId: PROGRAMS.ata,
    accounts: [
      { address: funder, signer: true, writable: true }, { address: ataAddress, writable: true }, { address: owner },
      { address: mint }, { address: PROGRAMS.system }, { address: program },
    ],
    data: [1],
  };
}

function mintToIx(program, mint, destination, authority, amount) {
  return {
    programId: program,
    accounts: [{ address: mint, writable: true }, { address: destination, writable: true }, { address: authority, signer: true }],
    data: [7, ...u64le(amount)],
  };
}

/** Sends a wire transaction to litesvm; throws with the logs if it fails. */
function send(svm, wire) {
  const result = svm.sendTransaction(txDecoder.decode(wire));
  if (result instanceof FailedTransactionMetadata) {
    throw new Error(`transaction failed: ${result.err()} ${result.meta().logs().join('\n')}`);
  }
  return result;
}

/**
 * Creates the world: keys (payer, payee, fee payer, attacker, mint authority), and for both Token
 * and Token-2022 a 6-decimal mint, the payer's ATA holding INITIAL_TOKENS, the payee's and the
 * attacker's ATAs (empty), and the fee payer's own ATA holding INITIAL_TOKENS (so a transaction
 * that makes the fee payer transfer would really drain it). The fee payer has 10 SOL.
 */
export async function createWorld({ label = 'world', decimals = 6 } = {}) {
  const svm = new LiteSVM();
  const key = (name) => keyFromSeed(seedFor(`${label}/${name}`));
  const keys = { payer: key('payer'), payee: key('payee'), feePayer: key('fee-payer'), attacker: key('attacker'), authority: key('mint-authority') };
  svm.airdrop(keys.feePayer.address, lamports(10_000_000_000n));
  svm.airdrop(keys.authority.address, lamports(10_000_000_000n));
  const mints = {};
  for (const [name, program] of [['token', PROGRAMS.token], ['token2022', PROGRAMS.token2022]]) {
    const mintKey = key(`mint-${name}`);
    const mint = mintKey.address;
    const atas = {};
    for (const who of ['payer', 'payee', 'attacker', 'feePayer']) atas[who] = await deriveAta(keys[who].address, mint, program);
    const rent = svm.minimumBalanceForRentExemption(BigInt(MINT_SIZE));
    const a = keys.authority.address;
    const instructions = [
      createAccountIx(a, mint, rent, MINT_SIZE, program),
      initializeMint2Ix(program, mint, decimals, a),
      ...['payer', 'payee', 'attacker', 'feePayer'].map((who) => createAtaIx(a, atas[who], keys[who].address, mint, program)),
      mintToIx(program, mint, atas.payer, a, INITIAL_TOKENS),
      mintToIx(program, mint, atas.feePayer, a, INITIAL_TOKENS),
    ];
    const message = compileMessage({ feePayer: a, instructions, blockhash: svm.latestBlockhash() });
    send(svm, signedTransaction(message, [keys.authority, mintKey]));
    mints[name] = { mint, program, decimals, atas };
  }

  return {
    svm,
    keys,
    mints,
    network: DEVNET,
    /** A token account's amount (u64 at offset 64), or null when the account does not exist. */
    balance(address) {
      const account = svm.getAccount(address);
      return account.exists ? readU64(account.data, 64) : null;
    },
    lamports(address) {
      return svm.getBalance(address) ?? 0n;
    },
    /** The requirement for `mint` ("token" | "token2022"). */
    requirement(name, overrides = {}) {
      return {
        scheme: 'exact',
        network: DEVNET,
        amount: '1234567',
        asset: mints[name].mint,
        payTo: keys.payee.address,
        maxTimeoutSeconds: 60,
        extra: { feePayer: keys.feePayer.address },
        ...overrides,
      };
    },
    /** The facilitator's signature: the fee payer signs the message into slot 0. */
    cosign(base64Tx) {
      const tx = decodeTransaction(fromB64(base64Tx));
      const m = decodeMessage(tx.message);
      if (toBase58(m.accountKeys[0]) !== keys.feePayer.address) throw new Error('the fee payer is not account 0');
      tx.signatures[0] = keys.feePayer.sign(tx.message);
      return encodeTransaction(tx);
    },
    /** Co-signs and sends; returns litesvm's result (TransactionMetadata or FailedTransactionMetadata). */
    cosignAndSend(base64Tx) {
      return svm.sendTransaction(txDecoder.decode(this.cosign(base64Tx)));
    },
    /** Co-signs and simulates (nothing is committed). */
    simulateCosigned(base64Tx) {
      return svm.simulateTransaction(txDecoder.decode(this.cosign(base64Tx)));
    },
    b64,
  };
}

/** A JSON-RPC front for the SDK: getLatestBlockhash and getAccountInfo, answered from litesvm. */
export async function startRpcFront(world) {
  const rpc = await startJsonRpc((method, params) => {
    switch (method) {
      case 'getLatestBlockhash':
        return { context: { slot: Number(world.svm.getClock().slot) }, value: { blockhash: world.svm.latestBlockhash(), lastValidBlockHeight: 150 } };
      case 'getAccountInfo': {
        const account = world.svm.getAccount(params[0]);
        const context = { slot: Number(world.svm.getClock().slot) };
        if (!account.exists) return { context, value: null };
        return { context, value: accountInfo({ data: account.data, owner: account.programAddress, lamports: account.lamports, executable: account.executable }) };
      }
      default:
        throw rpcError(-32601, `method not found: ${method}`);
    }
  });
  return { ...rpc, url: rpc.url('/') };
}
