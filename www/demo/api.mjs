// The seller: a paywalled HTTP API on 127.0.0.1 (plain node:http). GET /weather costs one x402 v2
// payment. No payment -> 402 + PAYMENT-REQUIRED. A PAYMENT-SIGNATURE -> decode, check the offer,
// verify locally (x402-wasm), verify + settle with the official facilitator -> 200 + PAYMENT-RESPONSE.
import { createServer } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { decodeHeader, encodeHeader, verifyPayment, X402Error } from '../../dist/pkg/index.node.js';

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'PAYMENT-REQUIRED, PAYMENT-RESPONSE',
};

/**
 * Starts the API. `requirement` is the one offer it accepts (x402 v2 PaymentRequirements),
 * `facilitator` has verify(payload, requirement) and settle(payload, requirement), `log(text)` narrates.
 * Returns { url, close() }.
 */
export async function startWeatherApi({ requirement, facilitator, log }) {
  let resourceUrl = '';
  const paymentRequired = (error) => ({
    x402Version: 2,
    error,
    resource: { url: resourceUrl, description: 'Current weather, 0.01 USDC per request', mimeType: 'application/json' },
    accepts: [requirement],
  });

  const send = (res, status, headers, body) => {
    res.writeHead(status, { 'content-type': 'application/json', ...CORS, ...headers });
    res.end(JSON.stringify(body));
  };

  // 402 with the offer (header and body) and, for a refused payment, a failed settlement receipt.
  const refuse = (res, reason, payer) => {
    const challenge = paymentRequired(reason ?? 'PAYMENT-SIGNATURE header is required');
    const headers = { 'payment-required': encodeHeader(challenge) };
    if (reason) {
      const receipt = { success: false, errorReason: reason, transaction: '', network: requirement.network };
      if (payer) receipt.payer = payer;
      headers['payment-response'] = encodeHeader(receipt);
    }
    send(res, 402, headers, challenge);
  };

  const handle = async (req, res) => {
    const { pathname } = new URL(req.url, 'http://127.0.0.1');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...CORS, 'access-control-allow-methods': 'GET', 'access-control-allow-headers': 'PAYMENT-SIGNATURE' });
      return res.end();
    }
    if (req.method !== 'GET' || pathname !== '/weather') return send(res, 404, {}, { error: 'not found' });

    const header = req.headers['payment-signature'];
    if (!header) {
      log('no PAYMENT-SIGNATURE: answering 402 with PAYMENT-REQUIRED (0.01 USDC)');
      return refuse(res, null);
    }

    let payload;
    try {
      payload = decodeHeader(header, 'PaymentPayload');
    } catch (err) {
      log(`malformed PAYMENT-SIGNATURE (${err.code ?? err.message}): answering 400`);
      return send(res, 400, {}, { error: err instanceof X402Error ? err.code : 'invalid_payload' });
    }
    if (payload.x402Version !== 2 || !isDeepStrictEqual(payload.accepted, requirement)) {
      log('the payment does not accept our offer: 402');
      return refuse(res, 'invalid_payment_requirements');
    }
    const from = payload.payload?.authorization?.from;
    log(`PAYMENT-SIGNATURE decoded: ${payload.accepted.amount} atomic units from ${from}; it accepts our offer`);

    const local = verifyPayment(payload, requirement, { now: Math.floor(Date.now() / 1000) });
    if (!local.isValid) {
      log(`local check (x402-wasm verifyPayment): INVALID, ${local.invalidReason}`);
      return refuse(res, local.invalidReason, from);
    }
    log(`local check (x402-wasm verifyPayment): valid, signed by ${local.payer}`);

    const verified = await facilitator.verify(payload, requirement);
    if (!verified.isValid) {
      log(`facilitator verify: INVALID, ${verified.invalidReason}`);
      return refuse(res, verified.invalidReason ?? 'invalid_payload', verified.payer ?? from);
    }
    log('facilitator verify: valid (signature, amount, time window, nonce unused, balance)');

    const settled = await facilitator.settle(payload, requirement);
    if (!settled.success) {
      log(`facilitator settle: FAILED, ${settled.errorReason}`);
      return refuse(res, settled.errorReason ?? 'unexpected_settle_error', settled.payer ?? from);
    }
    log(`facilitator settle: transferWithAuthorization mined in ${settled.transaction}`);

    const receipt = {
      success: true,
      transaction: settled.transaction,
      network: settled.network ?? requirement.network,
      payer: settled.payer ?? verified.payer,
    };
    send(res, 200, { 'payment-response': encodeHeader(receipt) }, {
      city: 'Lisbon', observedAt: new Date().toISOString(), temperatureC: 21.5, conditions: 'sunny', windKph: 14,
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      log(`unexpected error: ${err?.message ?? err}`);
      if (res.headersSent) return res.destroy();
      refuse(res, 'unexpected_settle_error');
    });
  });
  await new Promise((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  server.unref(); // never keeps the demo alive on its own
  resourceUrl = `http://127.0.0.1:${server.address().port}/weather`;
  return {
    url: resourceUrl,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
