// Runs a module Worker in workerd through Miniflare (which ships workerd), on loopback.
import { Miniflare } from 'miniflare';

/**
 * Starts `scriptPath` (an ES module Worker) with its relative imports, .wasm files
 * imported as compiled modules. Returns the Miniflare instance; call dispose().
 */
export async function startWorker({ scriptPath, modulesRoot, bindings = {}, durableObjects, serviceBindings }) {
  const mf = new Miniflare({
    modules: true,
    scriptPath,
    modulesRoot,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js', '**/*.mjs'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: '2025-09-01',
    bindings,
    durableObjects,
    serviceBindings,
    host: '127.0.0.1',
  });
  try {
    await mf.ready;
  } catch (error) {
    // A Miniflare that failed to start still holds the event loop: dispose of it.
    await mf.dispose().catch(() => {});
    throw error;
  }
  return mf;
}
