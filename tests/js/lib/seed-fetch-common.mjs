// Shared by the seed-fetch tests: a wallet wrapper counting the calls that reach the wallet, and a
// litesvm world with its JSON-RPC front and a policy allowing its mints.
import { createWorld } from './svm-litesvm.mjs';
import { startLitesvmRpc } from './svm-facilitator.mjs';

/** A wallet wrapper that counts every call reaching the real wallet. */
export function counted(inner) {
  const calls = [];
  const wrap = (name) => async (...args) => {
    calls.push(name);
    return inner[name](...args);
  };
  const wallet = { kind: inner.kind, address: inner.address, getAddress: async () => inner.address };
  for (const name of ['signTypedData', 'signTransaction', 'sendTransaction']) if (typeof inner[name] === 'function') wallet[name] = wrap(name);
  return { wallet, calls };
}

/** A litesvm world, its JSON-RPC front (`frontOptions`: see startLitesvmRpc) and a policy for its mints. */
export async function solanaSetup(t, label, frontOptions) {
  const world = await createWorld({ label });
  world.svm.airdrop(world.keys.payer.address, 1_000_000_000n); // the payer pays its own fees here
  const front = await startLitesvmRpc(world, frontOptions);
  t.after(() => front.close());
  const policy = {
    assets: Object.values(world.mints).map(({ mint }) => ({
      network: world.network, asset: mint, decimals: 6, symbol: 'TUSD', usd: true, maxPerPayment: '5000000',
    })),
  };
  return { world, front, policy };
}
