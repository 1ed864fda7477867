// A tiny x402 v2 server on 127.0.0.1 selling routes paid in Solana tokens, settling in litesvm:
// 402 + PAYMENT-REQUIRED without payment; with PAYMENT-SIGNATURE it decodes the payload, finds the
// requirement it accepted, runs verifyPayment, refuses a replayed transaction, then co-signs as
// fee payer and sends the transaction to litesvm (the facilitator's job), answering 200 +
// PAYMENT-RESPONSE with the transaction signature.
//
//   const server = await startSolanaPaidServer(x402, world, { '/paid': [world.requirement('token')] });
//   (a fourth argument `{ extensions }` is declared in every 402)
//   server.url('/paid'); server.settlements; await server.close();
import { createServer } from 'node:http';
import { FailedTransactionMetadata } from './svm-litesvm.mjs';
import { toBase58 } from './svm-wire.mjs';

export async function startSolanaPaidServer(x402, world, routes, { extensions } = {}) {
  const settlements = [];
  const seen = new Set();
  const requests = [];
  let origin;

  const handle = async (req, res) => {
    for await (const _ of req); // drain the body
    const url = new URL(req.url, origin);
    requests.push({ method: req.method, path: url.pathname, headers: { ...req.headers } });
    const accepts = routes[url.pathname];
    if (!accepts) {
      res.writeHead(404).end('not found');
      return;
    }
    const document = {
      x402Version: 2, error: 'payment required', resource: { url: url.href, description: 'paid in SPL tokens', mimeType: 'application/json' }, accepts,
      ...(extensions ? { extensions } : {}),
    };
    const challenge = (error, receipt) => {
      const headers = { 'content-type': 'application/json', 'payment-required': x402.encodeHeader({ ...document, ...(error ? { error } : {}) }) };
      if (receipt) headers['payment-response'] = x402.encodeHeader(receipt);
      res.writeHead(402, headers).end('{}');
    };
    const value = req.headers['payment-signature'];
    if (!value) return challenge();
    let payload;
    try {
      payload = x402.decodeHeader(value, 'PaymentPayload');
    } catch (e) {
      return challenge(`invalid_payload: ${e.code}`);
    }
    const requirement = accepts.find((r) => JSON.stringify(r) === JSON.stringify(payload.accepted));
    const fail = (reason, payer) => {
      const receipt = { success: false, errorReason: reason, transaction: '', network: payload.accepted?.network ?? '', ...(payer ? { payer } : {}) };
      settlements.push(receipt);
      challenge(reason, receipt);
    };
    if (!requirement) return fail('invalid_payment_requirements');
    const verdict = x402.verifyPayment(payload, requirement);
    if (!verdict.isValid) return fail(verdict.invalidReason);
    if (seen.has(verdict.nonce)) return fail('duplicate_settlement', verdict.payer);
    seen.add(verdict.nonce);
    const result = world.cosignAndSend(payload.payload.transaction);
    if (result instanceof FailedTransactionMetadata) return fail(`transaction_failed: ${result.err()}`, verdict.payer);
    const receipt = { success: true, transaction: toBase58(result.signature()), network: requirement.network, payer: verdict.payer, amount: requirement.amount };
    settlements.push(receipt);
    res.writeHead(200, { 'content-type': 'application/json', 'payment-response': x402.encodeHeader(receipt) })
      .end(JSON.stringify({ paid: true, path: url.pathname }));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(e?.stack ?? e));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    url: (path) => `${origin}${path}`,
    settlements,
    requests,
    close() {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
