// Official x402 servers for interoperability tests, unmodified from npm:
//   - v2: express 5 + paymentMiddleware (@x402/express) over an x402ResourceServer (@x402/core/server)
//     with the exact EVM server scheme (@x402/evm/exact/server), settling through a facilitator object
//     (the official v2 facilitator in-process, see lib/chain.mjs startOfficialFacilitator);
//   - v1: express 5 + paymentMiddleware (x402-express 1.2.0) whose facilitator is a loopback HTTP
//     server built from verify/settle of x402/facilitator (1.2.0) on an anvil chain.
// Every server listens on 127.0.0.1 port 0, records what it saw, never keeps the process alive
// (unref) and is stopped by close().
import express from 'express';
import { publicActions } from 'viem';
import { paymentMiddleware as paymentMiddlewareV2 } from '@x402/express';
import { x402ResourceServer } from '@x402/core/server';
import { registerExactEvmScheme as registerExactEvmServerScheme } from '@x402/evm/exact/server';
import { paymentMiddleware as paymentMiddlewareV1 } from 'x402-express';
import { settle as settleV1, verify as verifyV1 } from 'x402/facilitator';
import { anvilAccount, anvilClients } from './chain.mjs';
import { listenLoopback } from './loopback.mjs';

const json = (value) => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

export { listenLoopback };

/** Decodes a base64 JSON header value (standard alphabet), or undefined when absent. */
export function decodeBase64Json(value) {
  if (value == null) return undefined;
  return JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
}

/**
 * An express 5 app that logs every request (method, path, headers, parsed JSON body) into `seen`
 * before `middleware` runs, then mounts each route's handler. Handler calls are logged in `handled`.
 */
function buildApp(middleware, routes) {
  const seen = [];
  const handled = [];
  const app = express();
  app.use(express.json());
  app.use((req, _res, next) => {
    seen.push({ method: req.method, path: req.path, headers: { ...req.headers }, body: req.body });
    next();
  });
  app.use(middleware);
  for (const route of routes) {
    app[route.method.toLowerCase()](route.path, async (req, res, next) => {
      handled.push({ method: req.method, path: req.path, body: req.body, headers: { ...req.headers } });
      try {
        await route.handler(req, res);
      } catch (err) {
        next(err);
      }
    });
  }
  return { app, seen, handled };
}

// ---- v2 ----

/** A v2 PaymentOption for the exact EVM scheme with a custom (non-default) EIP-3009 token. */
export function exactEvmOption({ network, payTo, asset, amount, name, version, maxTimeoutSeconds = 60 }) {
  return {
    scheme: 'exact',
    network,
    payTo,
    price: { amount: String(amount), asset, extra: { name, version } },
    maxTimeoutSeconds,
  };
}

/**
 * Starts an official v2 server. `facilitator` is any object with verify/settle/getSupported (an
 * x402Facilitator) or what chain.mjs startOfficialFacilitator returns. `routes` is a list of
 * { method, path, accepts: PaymentOption | PaymentOption[], description?, mimeType?, extensions?, handler(req, res) }.
 * Returns { url, close(), seen, handled, facilitatorCalls, resourceServer }.
 */
export async function startOfficialV2Server({ facilitator, routes }) {
  const inner = facilitator.facilitator ?? facilitator;
  const facilitatorCalls = { verify: [], settle: [], getSupported: 0 };
  const facilitatorClient = {
    verify: async (payload, requirements) => {
      const result = await inner.verify(payload, requirements);
      facilitatorCalls.verify.push({ payload, requirements, result });
      return result;
    },
    settle: async (payload, requirements) => {
      const result = await inner.settle(payload, requirements);
      facilitatorCalls.settle.push({ payload, requirements, result });
      return result;
    },
    getSupported: async () => {
      facilitatorCalls.getSupported += 1;
      return inner.getSupported();
    },
  };
  const resourceServer = new x402ResourceServer(facilitatorClient);
  const networks = [...new Set(routes.flatMap((r) => [r.accepts].flat().map((a) => a.network)))];
  registerExactEvmServerScheme(resourceServer, { networks });

  const config = {};
  for (const r of routes) {
    config[`${r.method.toUpperCase()} ${r.path}`] = {
      accepts: r.accepts,
      description: r.description ?? `${r.method} ${r.path}`,
      mimeType: r.mimeType ?? 'application/json',
      ...(r.extensions ? { extensions: r.extensions } : {}),
    };
  }
  const { app, seen, handled } = buildApp(paymentMiddlewareV2(config, resourceServer), routes);
  const listening = await listenLoopback(app);
  return { ...listening, seen, handled, facilitatorCalls, resourceServer };
}

// ---- v1 ----

/**
 * The x402 v1 facilitator (verify/settle of `x402/facilitator` 1.2.0) on an anvil chain, served on
 * 127.0.0.1 (POST /verify, POST /settle, GET /supported). Anvil account `gasPayerIndex` pays gas.
 * `network` must be a v1 name whose chain id is the anvil's (e.g. base-sepolia on chain 84532).
 * Returns { url, close(), gasPayer, calls }.
 */
export async function startV1Facilitator({ rpcUrl, chainId, network, gasPayerIndex = 1 }) {
  const { walletClient } = anvilClients({ rpcUrl, chainId }, anvilAccount(gasPayerIndex));
  const client = walletClient.extend(publicActions); // v1 needs wallet + public actions in one client
  const calls = { verify: [], settle: [] };
  const ops = {
    verify: (payload, requirements) => verifyV1(client, payload, requirements),
    settle: (payload, requirements) => settleV1(client, payload, requirements),
  };
  const listening = await listenLoopback(async (req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(json(body));
    };
    const path = new URL(req.url, 'http://127.0.0.1').pathname;
    if (req.method === 'GET' && path === '/supported') {
      return send(200, { kinds: [{ x402Version: 1, scheme: 'exact', network }] });
    }
    const op = { 'POST /verify': 'verify', 'POST /settle': 'settle' }[`${req.method} ${path}`];
    if (!op) return send(404, { error: 'not found' });
    let body;
    try {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(400, { error: 'invalid JSON body' });
    }
    const { paymentPayload, paymentRequirements } = body ?? {};
    if (!paymentPayload || !paymentRequirements) return send(400, { error: 'paymentPayload and paymentRequirements are required' });
    try {
      const result = await ops[op](paymentPayload, paymentRequirements);
      calls[op].push({ body, result });
      return send(200, result);
    } catch (err) {
      const message = err?.message ?? String(err);
      calls[op].push({ body, error: message });
      if (op === 'verify') return send(500, { isValid: false, invalidReason: 'unexpected_verify_error', error: message });
      return send(500, { success: false, errorReason: 'unexpected_settle_error', transaction: '', network, error: message });
    }
  });
  return { ...listening, gasPayer: walletClient.account.address, calls };
}

/** A v1 price for a custom EIP-3009 token: { amount, asset: { address, decimals, eip712 } }. */
export function v1TokenPrice({ amount, address, decimals = 6, name, version }) {
  return { amount: String(amount), asset: { address, decimals, eip712: { name, version } } };
}

/**
 * Starts an official v1 server (x402-express 1.2.0). `routes` is a list of
 * { method, path, price, network, config?, handler(req, res) }. Returns { url, close(), seen, handled }.
 */
export async function startOfficialV1Server({ facilitatorUrl, payTo, routes }) {
  const config = {};
  for (const r of routes) {
    config[`${r.method.toUpperCase()} ${r.path}`] = {
      price: r.price,
      network: r.network,
      config: { description: `${r.method} ${r.path}`, mimeType: 'application/json', ...r.config },
    };
  }
  const { app, seen, handled } = buildApp(paymentMiddlewareV1(payTo, config, { url: facilitatorUrl }), routes);
  const listening = await listenLoopback(app);
  return { ...listening, seen, handled };
}
