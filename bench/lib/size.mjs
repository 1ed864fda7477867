// Bundle sizes: what a browser downloads for each client, raw, gzip -9 and brotli q11.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import * as esbuild from 'esbuild';
import { BENCH_DIR, PKG_DIR } from './fixtures.mjs';

/**
 * The files the browser entry (`import` condition: index.js) loads, wasm first: the JS that
 * wasm-bindgen's glue imports from `snippets/` included.
 */
export const OUR_BROWSER_FILES = [
  'x402_wasm_bg.wasm', 'index.js', 'init.js', 'api.js', 'errors.js', 'x402_wasm.js',
  ...(existsSync(path.join(PKG_DIR, 'snippets'))
    ? readdirSync(path.join(PKG_DIR, 'snippets'), { recursive: true })
      .filter((f) => f.endsWith('.js')).sort().map((f) => path.join('snippets', f))
    : []),
];

function compressed(bytes) {
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }).length,
  };
}

/** Sums per-file sizes: each file is a separate HTTP response, compressed on its own. */
function sumSizes(list) {
  return list.reduce((a, s) => ({ raw: a.raw + s.raw, gzip: a.gzip + s.gzip, brotli: a.brotli + s.brotli }),
    { raw: 0, gzip: 0, brotli: 0 });
}

export function ourSizes() {
  const files = Object.fromEntries(
    OUR_BROWSER_FILES.map((f) => [f, compressed(readFileSync(path.join(PKG_DIR, f)))]),
  );
  return { files, full: sumSizes(Object.values(files)), wasm: files['x402_wasm_bg.wasm'] };
}

/** esbuild (minified, browser, ESM) bundle of one entry under bench/entries. */
async function bundle(entry) {
  const result = await esbuild.build({
    entryPoints: [path.join(BENCH_DIR, 'entries', entry)],
    absWorkingDir: BENCH_DIR,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  if (result.outputFiles.length !== 1) throw new Error(`bench: ${entry} bundled to ${result.outputFiles.length} files`);
  const [out] = Object.values(result.metafile.outputs);
  // The biggest contributors by package, in minified bytes.
  const byPackage = {};
  for (const [file, info] of Object.entries(out.inputs)) {
    const m = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
    const key = m ? m[1] : file;
    byPackage[key] = (byPackage[key] ?? 0) + info.bytesInOutput;
  }
  const top = Object.entries(byPackage).sort((a, b) => b[1] - a[1]).slice(0, 8);
  return { ...compressed(result.outputFiles[0].contents), topPackages: Object.fromEntries(top) };
}

export async function theirSizes() {
  return {
    client: await bundle('official-client.mjs'),
    clientWithViemAccount: await bundle('official-client-viem-account.mjs'),
  };
}
