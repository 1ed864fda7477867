// Hostile input to the packed release wasm (panic = "abort") in Node: the panic audit's F1-F4
// (fuzz/README.md, "Panic audit"). Huge typed arrays, sparse arrays of 2^32 - 1 items, objects
// with millions of keys, millions of `accepts`, throwing getters and Proxy traps: each one is a
// thrown X402Error or a rejected promise with a stable code, the process stays alive, and a normal
// call on the same wasm instance still works afterwards.
//
// Each case runs in a child process (this file, with X402_HOSTILE_CASE set): before the fixes some
// of them trapped inside a microtask, and Node exited with code 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TEST_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const SOLANA_SEED = new Uint8Array(32).fill(7);
const GIB2 = 2 ** 31;

const usdc = () => ({
  scheme: 'exact',
  network: 'eip155:84532',
  amount: '10000',
  asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
  payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C',
  maxTimeoutSeconds: 300,
  extra: { name: 'USDC', version: '2' },
});
const paymentRequired = (accepts = [usdc()]) => ({ x402Version: 2, resource: { url: 'https://api.example/paid' }, accepts });
const typedData = (message) => ({
  domain: { name: 'X', version: '1', chainId: 1 },
  types: { Mail: [{ name: 'contents', type: 'string' }] },
  primaryType: 'Mail',
  message,
});

/**
 * An object with `n` own keys. Integer-like keys ("0", "1"...): V8 builds 5,000,000 of them in
 * 0.2 s, where `k0`, `k1`... take 7 s (and listing them 7 s more, for any reader).
 */
function manyKeys(n) {
  const object = {};
  for (let i = 0; i < n; i += 1) object[i] = 0;
  return object;
}

/** What a call threw or rejected with: its code, or 'NO_ERROR' when it succeeded. */
async function outcome(call) {
  try {
    await call();
    return 'NO_ERROR';
  } catch (error) {
    return error?.code ?? `uncoded ${error?.name}: ${String(error?.message).slice(0, 120)}`;
  }
}

const throwing = () => {
  throw new Error('hostile getter');
};

/** A Response-like of another fetch implementation around `real`, with `members` (getters kept) over its own. */
function foreignResponse(real, members = {}) {
  const like = { status: real.status, url: 'https://api.example/paid', redirected: false, headers: real.headers, body: real.body, clone: () => real.clone() };
  return Object.defineProperties(like, Object.getOwnPropertyDescriptors(members));
}

/** A foreign Response around `real` whose `member` getter answers as `real`'s once, then throws. */
function throwingOnceRead(real, member) {
  let reads = 0;
  const first = real[member];
  return foreignResponse(real, { get [member]() { reads += 1; return reads > 1 ? throwing() : first; } });
}

/**
 * The outcomes of a thousand paid calls (kept as outcomesKeepingMemory keeps them) whose paid retry
 * `paidAnswer()` answers, after an ordinary 402: `describe(response, lastEvent)`, or the rejection's code.
 */
async function paidRetryOutcomes(x402, paidAnswer, describe) {
  const header = x402.encodeHeader(paymentRequired());
  const respond = async (request) => (request.headers.get('payment-signature')
    ? paidAnswer()
    : new Response('{}', { status: 402, headers: { 'payment-required': header } }));
  let last;
  const paying = x402.wrapFetch(respond, {
    wallets: [evmWallet(x402)], policy: { budget: { total: '100' } }, onEvent: (event) => { last = event; },
  });
  const once = async () => {
    const response = await paying('https://api.example/paid').catch((error) => error);
    return response instanceof Error ? `${response.code ?? response}` : describe(response, last);
  };
  return outcomesKeepingMemory(once, 20, 1000);
}

/**
 * The outcomes of `call`, run `warm` times and then `times` times, with one more entry when the wasm
 * memory grew by over 1 MiB over the `times` calls (what a call leaves allocated stays for good).
 */
async function outcomesKeepingMemory(call, warm, times) {
  const { initSync } = await import(new URL('./x402_wasm.js', process.env.X402_ENTRY).href);
  const memory = () => initSync().memory.buffer.byteLength;
  const seen = new Set();
  for (let i = 0; i < warm; i += 1) seen.add(await call());
  const before = memory();
  for (let i = 0; i < times; i += 1) seen.add(await call());
  const grown = memory() - before;
  if (grown > 1024 * 1024) seen.add(`wasm memory grew by ${grown} bytes`);
  return [...seen];
}

/** A fetch standing in for a server: a 402 (`challenge`), then 200 for a request with a proof. */
function fakeServer(challenge) {
  const seen = [];
  const fetch = async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    seen.push(request);
    if (new URL(request.url).pathname === '/pay') return Response.json({ txId: 'tx-1', signature: 'sig-1' });
    if (request.headers.get('payment-signature') || request.headers.get('x-payment-proof')) return new Response('paid');
    return challenge();
  };
  return { fetch, seen };
}

function x402Server(x402) {
  const header = x402.encodeHeader(paymentRequired());
  return fakeServer(() => new Response('{}', { status: 402, headers: { 'PAYMENT-REQUIRED': header } }));
}

function facilitatorServer(x402) {
  const payee = x402.solanaPrivateKeyWallet(new Uint8Array(32).fill(9)).address;
  const body = {
    amount: '0.01', currency: 'USDC', payee, reference: 'pay_0123456789ab',
    facilitatorUrl: 'https://facilitator.example', ttl: 300, message: 'Payment required',
  };
  return fakeServer(() => Response.json(body, { status: 402 }));
}

/** A Solana `exact` requirement with everything given (no RPC is needed to build the payment). */
function solanaRequired(x402) {
  const address = (fill) => x402.solanaPrivateKeyWallet(new Uint8Array(32).fill(fill)).address;
  return paymentRequired([{
    scheme: 'exact',
    network: 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1',
    amount: '10000',
    asset: '4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU',
    payTo: address(9),
    maxTimeoutSeconds: 60,
    extra: {
      feePayer: address(8),
      recentBlockhash: address(6),
      decimals: 6,
      tokenProgram: 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA',
    },
  }]);
}

const evmWallet = (x402) => x402.evmPrivateKeyWallet(TEST_KEY);
const createNormally = async (x402) => (await x402.createPaymentPayload(paymentRequired(), 0, evmWallet(x402), { now: 1_700_000_000 })).x402Version === 2;
const payNormally = async (x402, make = x402Server) => {
  const server = make(x402);
  const wallets = make === facilitatorServer ? [x402.solanaPrivateKeyWallet(SOLANA_SEED)] : [evmWallet(x402)];
  const facilitators = ['https://facilitator.example'];
  return (await x402.wrapFetch(server.fetch, { wallets, facilitators })('https://api.example/paid')).status === 200;
};

/**
 * The cases: `hostile(x402)` returns the codes it got (one or several), `after(x402)` is a normal
 * call on the same instance, which must return true. `want` is the expected codes.
 */
const CASES = {
  // F1: typed arrays of 2^31 bytes (to_vec's capacity overflow), never copied now.
  'F1 recognizePaymentRequired, a 2 GiB body': {
    want: ['BODY_TOO_LARGE', 'x402-v2-header'],
    async hostile(x402) {
      const body = new Uint8Array(GIB2);
      const header = { 'PAYMENT-REQUIRED': x402.encodeHeader(paymentRequired()) };
      // The header decides: the body is not needed (nor copied).
      const withHeader = x402.recognizePaymentRequired(402, header, body).dialect;
      return [await outcome(() => x402.recognizePaymentRequired(402, {}, body)), withHeader];
    },
    after: (x402) => x402.recognizePaymentRequired(402, {}, JSON.stringify(paymentRequired())).requirements.length === 1,
  },
  'F1 solanaPrivateKeyWallet, a 2 GiB secret': {
    want: ['INVALID_PRIVATE_KEY'],
    hostile: async (x402) => [await outcome(() => x402.solanaPrivateKeyWallet(new Uint8Array(GIB2)))],
    after: (x402) => x402.solanaPrivateKeyWallet(SOLANA_SEED).address.length > 30,
  },
  'F1 signTransaction, a 2 GiB transaction': {
    want: ['INVALID_TRANSACTION', 'INVALID_TRANSACTION'],
    async hostile(x402) {
      const wallet = x402.solanaPrivateKeyWallet(SOLANA_SEED);
      const big = new Uint8Array(GIB2);
      return [
        await outcome(() => wallet.signTransaction(big)),
        await outcome(() => wallet.sendTransaction(big, { rpcUrl: 'http://127.0.0.1:9' })),
      ];
    },
    after: (x402) => x402.solanaPrivateKeyWallet(SOLANA_SEED).kind === 'solana',
  },
  'F1 a Solana wallet whose signTransaction resolves to 2 GiB': {
    want: ['WALLET_ALTERED_TRANSACTION'],
    async hostile(x402) {
      const address = x402.solanaPrivateKeyWallet(SOLANA_SEED).address;
      const wallet = { address, signTransaction: async () => new Uint8Array(GIB2) };
      return [await outcome(() => x402.createPaymentPayload(solanaRequired(x402), 0, wallet, {}))];
    },
    async after(x402) {
      const payload = await x402.createPaymentPayload(solanaRequired(x402), 0, x402.solanaPrivateKeyWallet(SOLANA_SEED), {});
      return typeof payload.payload.transaction === 'string';
    },
  },
  'F1 a 2 GiB Uint8Array inside typed data': {
    want: ['INVALID_ARGUMENT'],
    hostile: async (x402) => [await outcome(() => x402.hashTypedData(typedData({ contents: new Uint8Array(GIB2) })))],
    after: (x402) => x402.hashTypedData(typedData({ contents: 'hi' })).length === 66,
  },
  // F2: breadth. A sparse array of 2^32 - 1 items costs JS nothing; 5,000,000 keys.
  'F2 hashTypedData, new Array(2**32 - 1) and 5,000,000 keys': {
    want: ['INVALID_ARGUMENT', 'INVALID_ARGUMENT'],
    hostile: async (x402) => [
      await outcome(() => x402.hashTypedData(typedData({ contents: 'x', junk: new Array(2 ** 32 - 1) }))),
      await outcome(() => x402.hashTypedData(typedData(manyKeys(5_000_000)))),
    ],
    after: (x402) => x402.hashTypedData(typedData({ contents: 'hi' })).length === 66,
  },
  'F2 createPaymentPayload, new Array(2**32 - 1)': {
    want: ['INVALID_ARGUMENT'],
    hostile: async (x402) => [
      await outcome(() => x402.createPaymentPayload(paymentRequired(), 0, evmWallet(x402), { rpc: new Array(2 ** 32 - 1) })),
    ],
    after: createNormally,
  },
  'F2 createPaymentPayload, 5,000,000 keys': {
    want: ['INVALID_ARGUMENT'],
    hostile: async (x402) => [await outcome(() => x402.createPaymentPayload(paymentRequired(), 0, evmWallet(x402), manyKeys(5_000_000)))],
    after: createNormally,
  },
  // F3: accepts lists.
  'F3 createPaymentPayload, 8,000,000 accepts': {
    want: ['INVALID_ARGUMENT'],
    hostile: async (x402) => [
      await outcome(() => x402.createPaymentPayload({ x402Version: 2, accepts: new Array(8_000_000).fill(0) }, 0, evmWallet(x402), {})),
    ],
    after: createNormally,
  },
  'F3 1,001 accepts are INVALID_402 (createPaymentPayload and a 402 body)': {
    want: ['INVALID_402', 'INVALID_402'],
    async hostile(x402) {
      // One good requirement and 1,000 bad ones: 1,001 entries (a body of 4 KiB).
      const document = paymentRequired([usdc(), ...new Array(1_000).fill(0)]);
      return [
        await outcome(() => x402.createPaymentPayload(document, 0, evmWallet(x402), { now: 1_700_000_000 })),
        await outcome(() => x402.recognizePaymentRequired(402, {}, JSON.stringify(document))),
      ];
    },
    after: createNormally,
  },
  // F4: throwing getters and Proxy traps inside async exports.
  'F4 createPaymentPayload, throwing getters and Proxy traps': {
    want: ['INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT'],
    async hostile(x402) {
      const wallet = evmWallet(x402);
      const revoked = Proxy.revocable({}, {});
      revoked.revoke();
      return [
        await outcome(() => x402.createPaymentPayload(paymentRequired(), 0, wallet, { get now() { return throwing(); } })),
        await outcome(() => x402.createPaymentPayload(new Proxy(paymentRequired(), { ownKeys: throwing }), 0, wallet, {})),
        await outcome(() => x402.createPaymentPayload(paymentRequired(), 0, wallet, revoked.proxy)),
        await outcome(() => x402.createPaymentPayload(paymentRequired([{ ...usdc(), get extra() { return throwing(); } }]), 0, wallet, {})),
      ];
    },
    after: createNormally,
  },
  'F4 wrapFetch, a per-call hooks object with a throwing getter': {
    want: ['INVALID_ARGUMENT', 'nothing paid'],
    async hostile(x402) {
      const server = x402Server(x402);
      const paying = x402.wrapFetch(server.fetch, { wallets: [evmWallet(x402)] });
      const code = await outcome(() => paying('https://api.example/paid', undefined, { get onPaymentRequired() { return throwing(); } }));
      // Ignoring the getter would have dropped this call's approval and paid automatically.
      return [code, server.seen.length === 0 ? 'nothing paid' : `${server.seen.length} request(s), none with a payment? ${server.seen.every((r) => !r.headers.get('payment-signature'))}`];
    },
    after: (x402) => payNormally(x402),
  },
  'F4 wrapFetch, a policy with a throwing getter': {
    want: ['INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT'],
    async hostile(x402) {
      const server = x402Server(x402);
      const wallets = [evmWallet(x402)];
      return [
        // Ignoring it would have dropped the caller's spend limits.
        await outcome(() => x402.wrapFetch(server.fetch, { wallets, get policy() { return throwing(); } })),
        await outcome(() => x402.wrapFetch(server.fetch, { wallets, policy: { get maxPerPayment() { return throwing(); } } })),
        await outcome(() => x402.wrapFetch(server.fetch, { wallets, get onPaymentRequired() { return throwing(); } })),
        // policy.select's answer is read in the async part.
        await outcome(() => x402.wrapFetch(server.fetch, { wallets, policy: { select: () => ({ get index() { return throwing(); } }) } })('https://api.example/paid')),
      ];
    },
    after: (x402) => payNormally(x402),
  },
  'F4 wrapFetch, facilitators with a throwing headers getter': {
    want: ['INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT'],
    async hostile(x402) {
      const wallets = [x402.solanaPrivateKeyWallet(SOLANA_SEED)];
      const url = 'https://facilitator.example';
      const pay = (facilitators) => x402.wrapFetch(facilitatorServer(x402).fetch, { wallets, facilitators })('https://api.example/paid');
      return [
        await outcome(() => pay([{ url, get headers() { return throwing(); } }])),
        // Read when paying, in the async part.
        await outcome(() => pay([{ url, headers: { get authorization() { return throwing(); } } }])),
        await outcome(() => pay([{ url, headers: async () => new Proxy({}, { ownKeys: throwing }) }])),
      ];
    },
    after: (x402) => payNormally(x402, facilitatorServer),
  },
  'a facilitator answering /pay with a txId or signature no header can carry': {
    want: ['FACILITATOR_ERROR', 'FACILITATOR_ERROR', 'FACILITATOR_ERROR'],
    async hostile(x402) {
      const answers = [{ txId: 'tx\r\nX-Evil: 1', signature: 's' }, { txId: 'tx-1', signature: 'sig ✓' }, { txId: 'x'.repeat(5000), signature: 's' }];
      const codes = [];
      for (const answer of answers) {
        const server = facilitatorServer(x402);
        const fetch = (input, init) => (new URL(input instanceof Request ? input.url : input).pathname === '/pay' ? Response.json(answer) : server.fetch(input, init));
        const paying = x402.wrapFetch(fetch, { wallets: [x402.solanaPrivateKeyWallet(SOLANA_SEED)], facilitators: ['https://facilitator.example'] });
        codes.push(await outcome(() => paying('https://api.example/paid')));
      }
      return codes;
    },
    after: (x402) => payNormally(x402, facilitatorServer),
  },
  'F4 the last line of defence: a throwing read no import catches': {
    want: ['INVALID_ARGUMENT'],
    async hostile(x402) {
      // A Response whose `status` getter throws once it is built: web-sys reads it with a
      // plain import (no `catch`), inside the async part of the wrapped fetch.
      class Hostile extends Response {
        armed = false;
        get status() { return this.armed ? throwing() : super.status; }
      }
      const respond = async () => Object.assign(new Hostile('x'), { armed: true });
      const paying = x402.wrapFetch(respond, { wallets: [evmWallet(x402)] });
      return [await outcome(() => paying('https://api.example/paid'))];
    },
    after: (x402) => payNormally(x402),
  },
  // A JS exception unwinding through wasm frames leaks their stack (and a borrowed argument's
  // slot): thousands of such calls used to leave every export failing for good.
  'values with no JSON form, thousands of times: INVALID_ARGUMENT each time, the instance intact': {
    want: ['INVALID_ARGUMENT'],
    async hostile(x402) {
      const seen = new Set();
      for (let i = 0; i < 5000; i += 1) {
        for (const value of [undefined, () => 1, Symbol('s'), { toJSON: () => undefined }]) {
          seen.add(await outcome(() => x402.encodeHeader(value)));
          seen.add(await outcome(() => x402.encodePaymentHeader(value)));
        }
      }
      return [...seen];
    },
    after: (x402) => x402.parseAmount('1') === '1' && x402.encodeHeader({ a: 1 }).length > 0,
  },
  // The members of a wrapped fetch's Response are read through catching calls: a getter of a
  // foreign Response that throws once it has been read used to unwind through wasm, leaving the
  // pending payment's memory (about 6 KB a call) allocated for good.
  'a wrapped fetch Response whose redirected getter throws, thousands of times: INVALID_ARGUMENT, no wasm memory kept': {
    want: ['INVALID_ARGUMENT'],
    async hostile(x402) {
      const header = x402.encodeHeader(paymentRequired());
      const foreign = () => throwingOnceRead(
        new Response('{}', { status: 402, headers: { 'payment-required': header, 'content-type': 'application/json' } }),
        'redirected',
      );
      const paying = x402.wrapFetch(async () => foreign(), { wallets: [evmWallet(x402)] });
      return outcomesKeepingMemory(() => outcome(() => paying('https://api.example/paid')), 50, 3000);
    },
    after: (x402) => payNormally(x402),
  },
  // A 402 refused with an error has its body cancelled, the body read through a catching call:
  // a foreign Response whose body getter throws keeps the refusal's code and leaks nothing.
  'a refused 402 whose body getter throws, thousands of times: its own code (INVALID_HEADER), no wasm memory kept': {
    want: ['INVALID_HEADER'],
    async hostile(x402) {
      const foreign = () => {
        const real = new Response('{}', { status: 402, headers: { 'payment-required': 'not base64 !!' } });
        return foreignResponse(real, { get body() { return throwing(); } });
      };
      const paying = x402.wrapFetch(async () => foreign(), { wallets: [evmWallet(x402)] });
      return outcomesKeepingMemory(() => outcome(() => paying('https://api.example/paid')), 50, 2000);
    },
    after: (x402) => payNormally(x402),
  },
  // The paid retry's Response is read through catching calls too: once the payment went out, a
  // status that cannot be read is a failed receipt (status 0) with its 'failed' event, the response
  // handed back, never a rejection that skips the event and leaves the call's memory allocated.
  'a paid retry whose status getter throws once read, a thousand times: the response back, a failed receipt, no memory kept': {
    want: ['NO_ERROR failed 0'],
    async hostile(x402) {
      return paidRetryOutcomes(
        x402,
        () => throwingOnceRead(new Response('paid'), 'status'),
        (response, last) => `NO_ERROR ${last.type} ${x402.getPaymentReceipt(response)?.status}`,
      );
    },
    after: (x402) => payNormally(x402),
  },
  // Its headers are read through a catching call too: a headers getter that throws once read
  // (response-like checks read it first) is INVALID_ARGUMENT, nothing left allocated.
  'a wrapped fetch 402 whose headers getter throws once read, thousands of times: INVALID_ARGUMENT, no wasm memory kept': {
    want: ['INVALID_ARGUMENT'],
    async hostile(x402) {
      const header = x402.encodeHeader(paymentRequired());
      const foreign = () => throwingOnceRead(new Response('{}', { status: 402, headers: { 'payment-required': header } }), 'headers');
      const paying = x402.wrapFetch(async () => foreign(), { wallets: [evmWallet(x402)] });
      return outcomesKeepingMemory(() => outcome(() => paying('https://api.example/paid')), 50, 3000);
    },
    after: (x402) => payNormally(x402),
  },
  // ... and on the paid retry's answer: with no settlement header read, the payment is reported
  // settled with the receipt of its status and the response handed back, never a rejection after
  // the payment went out.
  'a paid retry whose headers getter throws once read, a thousand times: the response back, no memory kept': {
    want: ['NO_ERROR settled receipt'],
    async hostile(x402) {
      return paidRetryOutcomes(
        x402,
        () => throwingOnceRead(new Response('paid'), 'headers'),
        (response, last) => `NO_ERROR ${last.type} ${x402.getPaymentReceipt(response) ? 'receipt' : 'no receipt'}`,
      );
    },
    after: (x402) => payNormally(x402),
  },
  // wasm-bindgen's own check of a method's receiver throws from inside the wasm: a freed wallet
  // used in a loop broke every export after about 8,000 calls (10,000 for its address), and a
  // method of one wallet class called on the other read it as the wrong type at once.
  'a freed key wallet used 20,000 times: USED_AFTER_FREE each time, the instance intact': {
    want: ['USED_AFTER_FREE'],
    async hostile(x402) {
      const seen = new Set();
      const evm = evmWallet(x402);
      const solana = x402.solanaPrivateKeyWallet(SOLANA_SEED);
      evm.free();
      solana.free();
      for (let i = 0; i < 20_000; i += 1) {
        seen.add(await outcome(() => evm.address));
        seen.add(await outcome(() => evm.signTypedData(typedData({ contents: 'x' }))));
        seen.add(await outcome(() => solana.signTransaction(new Uint8Array(8))));
      }
      return [...seen];
    },
    after: (x402) => payNormally(x402),
  },
  'key wallet methods called apart from their wallet, or on the other class, 5,000 times: INVALID_ARGUMENT, the instance intact': {
    want: ['INVALID_ARGUMENT'],
    async hostile(x402) {
      const seen = new Set();
      const evm = evmWallet(x402);
      const solana = x402.solanaPrivateKeyWallet(SOLANA_SEED);
      const { signTypedData } = evm;
      const addressOf = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(evm), 'address').get;
      for (let i = 0; i < 5000; i += 1) {
        seen.add(await outcome(() => signTypedData(typedData({ contents: 'x' }))));
        seen.add(await outcome(() => evm.signTypedData.call(solana, typedData({ contents: 'x' }))));
        seen.add(await outcome(() => addressOf.call(solana)));
        seen.add(await outcome(() => solana.signTransaction.call(evm, new Uint8Array(8))));
        seen.add(await outcome(() => x402.createPaymentPayload(paymentRequired(), 0, { address: evm.address, signTypedData: evm.signTypedData })));
      }
      return [...seen];
    },
    async after(x402) {
      // A wallet made from a wallet (Object.create) still signs as it.
      const evm = evmWallet(x402);
      const derived = Object.create(evm);
      return derived.address === evm.address && (await payNormally(x402));
    },
  },
  'a wallet that is not an object, an unknown createPaymentPayload option, a validAfter never usable: INVALID_ARGUMENT': {
    want: ['INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'NO_ERROR'],
    async hostile(x402) {
      const create = (wallet, options) => outcome(() => x402.createPaymentPayload(paymentRequired(), 0, wallet, options));
      const now = 1_700_000_000;
      return [
        await create(null),
        await create('0xabc'),
        await create(42),
        // Misspelt, it would be signed without it.
        await create(evmWallet(x402), { paymentID: 'pay_0123456789abcdef' }),
        await create(evmWallet(x402), { validafter: 0 }),
        // No second left between validAfter and validBefore (now + 300): never usable.
        await create(evmWallet(x402), { now, validAfter: now + 299 }),
        await create(evmWallet(x402), { now, validAfter: now + 298 }),
      ];
    },
    after: createNormally,
  },
  'recognizePaymentRequired with headers that are not headers or cannot be read: INVALID_ARGUMENT': {
    want: ['INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_402', 'pairs read'],
    async hostile(x402) {
      const recognize = (headers) => outcome(() => x402.recognizePaymentRequired(402, headers, null));
      const header = x402.encodeHeader(paymentRequired());
      const pairs = x402.recognizePaymentRequired(402, [['Payment-Required', header]], null);
      return [
        await recognize(null),
        await recognize('payment-required'),
        await recognize({ get: throwing }),
        await recognize({ get: () => 123 }),
        await recognize({ 'PAYMENT-REQUIRED': 5 }),
        // Readable headers without one: the 402's own error, as before.
        await recognize({ get: () => null }),
        pairs.requirements.length === 1 ? 'pairs read' : 'pairs not read',
      ];
    },
    after: (x402) => x402.parseAmount('1') === '1',
  },
  'getPaymentReceipt of something that is no Response, thousands of times: INVALID_ARGUMENT, the instance intact': {
    want: ['INVALID_ARGUMENT'],
    async hostile(x402) {
      const seen = new Set();
      const noHeaders = { get headers() { return throwing(); } };
      const badGet = { headers: { get: throwing } };
      for (let i = 0; i < 3000; i += 1) {
        for (const value of [undefined, null, 7, {}, noHeaders, badGet]) seen.add(await outcome(() => x402.getPaymentReceipt(value)));
      }
      return [...seen];
    },
    after(x402) {
      const settlement = { success: true, transaction: `0x${'ab'.repeat(32)}`, network: 'eip155:8453' };
      const response = new Response('ok', { headers: { 'PAYMENT-RESPONSE': x402.encodeHeader(settlement) } });
      const receipt = x402.getPaymentReceipt(response);
      return receipt.success === true && receipt.status === 200 && x402.getPaymentReceipt(new Response('x')) === undefined;
    },
  },
};

if (process.env.X402_HOSTILE_CASE) {
  // The child: one case, then a normal call on the same instance; prints one JSON line.
  const x402 = await import(process.env.X402_ENTRY);
  const spec = CASES[process.env.X402_HOSTILE_CASE];
  const got = await spec.hostile(x402);
  const after = await spec.after(x402);
  process.stdout.write(`${JSON.stringify({ got, after })}\n`);
} else {
  const { resolveFromProject } = await import('../lib/pkg.mjs');
  const entry = pathToFileURL(resolveFromProject()).href;
  const self = fileURLToPath(import.meta.url);

  const run = (name) => new Promise((resolve) => {
    const child = spawn(process.execPath, [self], {
      // Without NODE_TEST_CONTEXT: the child is a plain script, not a test file.
      env: { ...process.env, NODE_TEST_CONTEXT: undefined, X402_HOSTILE_CASE: name, X402_ENTRY: entry },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });

  for (const [name, spec] of Object.entries(CASES)) {
    test(name, async () => {
      const { code, signal, stdout, stderr } = await run(name);
      assert.equal(code, 0, `the child exited with ${code ?? signal}:\n${stderr.slice(-2000)}`);
      const { got, after } = JSON.parse(stdout.trim().split('\n').at(-1));
      assert.deepEqual(got, spec.want);
      assert.equal(after, true, 'a normal call on the same instance afterwards');
    });
  }
}
