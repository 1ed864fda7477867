// Imports the packed x402-wasm as a Node user would (installed from its tarball).
import { pathToFileURL } from 'node:url';
import { resolveFromProject } from './pkg.mjs';

/** The x402-wasm package, resolved by name from a project that installed the tarball. */
export async function loadX402() {
  return import(pathToFileURL(resolveFromProject()));
}
