// The modules under test, for the React major in REACT_VERSION (18, the default, or 19): React,
// react-dom/client and the installed x402-wasm tarball, all resolved from the project that holds that
// React (this folder's parent for 18, react19/ for 19), so x402-wasm/react imports that same React.
// jsdom supplies window and document; fetch, Request and Response stay Node's own.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JSDOM } from 'jsdom';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
export const reactVersion = process.env.REACT_VERSION ?? '18';
const projects = { 18: here, 19: join(here, 'react19') };
if (!projects[reactVersion]) throw new Error(`REACT_VERSION must be 18 or 19, not ${reactVersion}`);
const project = projects[reactVersion];

const dom = new JSDOM('<!doctype html><html><body></body></html>', { url: 'http://localhost/' });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.navigator ??= dom.window.navigator; // Node 20 has none; react-dom reads its userAgent
// The wasm glue looks globals up on `window` when there is one (js_sys::global() prefers it to
// globalThis), and jsdom has no fetch API: lend it Node's, as a browser would have its own.
for (const name of ['fetch', 'Request', 'Response', 'Headers']) dom.window[name] = globalThis[name];
globalThis.IS_REACT_ACT_ENVIRONMENT = true;

/** What was logged with console.error (React's warnings, act() complaints); tests expect none. */
export const consoleErrors = [];
let expected = null;
const logError = console.error;
console.error = (...args) => {
  if (expected) return void expected.push(args.map(String).join(' '));
  consoleErrors.push(args.map(String).join(' '));
  logError(...args);
};

/** Runs `fn` with console.error silenced; returns what was logged meanwhile. */
export async function expectConsoleErrors(fn) {
  expected = [];
  try {
    await fn();
    return expected;
  } finally {
    expected = null;
  }
}

const resolve = createRequire(join(project, 'package.json')).resolve;
const load = (specifier) => import(pathToFileURL(resolve(specifier)).href);

export const React = (await load('react')).default;
export const { createRoot } = (await load('react-dom/client')).default;
export const x402 = await load('x402-wasm');
export const { X402Provider, useX402Fetch, usePaidResource, useX402 } = await load('x402-wasm/react');

if (!React.version.startsWith(`${reactVersion}.`)) {
  throw new Error(`loaded React ${React.version} for REACT_VERSION=${reactVersion}`);
}
