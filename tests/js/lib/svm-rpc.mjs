// A tiny Solana JSON-RPC server on 127.0.0.1 for the SVM tests (node:http). It records every
// call ({ path, method, params }) and answers through a handler:
//
//   const rpc = await startJsonRpc((method, params, path) => result);   // throw rpcError(...) for an error
//   rpc.url('/case/3'); rpc.calls; rpc.reset(); await rpc.close();
//
// A handler may also return raw({ status, body }) to answer with arbitrary HTTP (non-JSON, 500...).
import { createServer } from 'node:http';

/** A JSON-RPC error the handler can throw (`data`, when given, is the error's data member). */
export function rpcError(code, message, data) {
  return Object.assign(new Error(message), { rpcCode: code, rpcData: data });
}

/** A raw HTTP answer the handler can return. */
export function raw({ status = 200, body = '', headers = {} }) {
  return { [RAW]: true, status, body, headers };
}
const RAW = Symbol('raw');

/** The JSON-RPC shape of an account (base64 data), or null. */
export function accountInfo({ data, owner, lamports = 1_461_600, executable = false }) {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'base64') : Buffer.from(data);
  return {
    data: [bytes.toString('base64'), 'base64'],
    executable,
    lamports: Number(lamports),
    owner,
    rentEpoch: 0,
    space: bytes.length,
  };
}

export async function startJsonRpc(handler) {
  const calls = [];
  const sockets = new Set();
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    let request;
    try {
      request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }));
      return;
    }
    const one = async (r) => {
      calls.push({ path: req.url, method: r.method, params: r.params });
      try {
        const result = await handler(r.method, r.params ?? [], req.url);
        if (result && result[RAW]) return result;
        return { jsonrpc: '2.0', id: r.id ?? null, result };
      } catch (e) {
        const error = { code: e.rpcCode ?? -32603, message: e.message };
        if (e.rpcData !== undefined) error.data = e.rpcData;
        return { jsonrpc: '2.0', id: r.id ?? null, error };
      }
    };
    const answer = Array.isArray(request) ? await Promise.all(request.map(one)) : await one(request);
    if (answer[RAW]) {
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    calls,
    url: (path = '/') => `${base}${path}`,
    reset() {
      calls.length = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
