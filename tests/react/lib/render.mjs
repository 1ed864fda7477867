// Rendering hooks with react-dom/client and act, recording what every render returned.
import { React, X402Provider, createRoot, expectConsoleErrors } from './env.mjs';
import { testWallet } from './fake-server.mjs';

const { act, createElement: h } = React;

/** Sleeps `ms` inside act, so React applies what happened meanwhile. */
export const tick = (ms = 5) => act(() => new Promise((resolve) => setTimeout(resolve, ms)));

let probes = 0;

/**
 * A recorder of one hook's results: `element()` renders a component calling `use(probe.props)`
 * (with a key of its own); `latest` is the last result, `statuses` the distinct statuses in order.
 */
export function probe(use, props = {}) {
  const key = `probe-${(probes += 1)}`;
  const seen = { renders: [], props, element: () => h(Probe, { key, ...seen.props }) };
  function Probe(props) {
    seen.renders.push(use(props));
    return null;
  }
  Object.defineProperties(seen, {
    latest: { get: () => seen.renders.at(-1) },
    statuses: { get: () => seen.renders.map((r) => r.status).filter((s, i, all) => s !== all[i - 1]) },
  });
  return seen;
}

/** Mounts `element` in a fresh container; `rerender`, `unmount`. */
export async function mount(element) {
  const container = document.createElement('div');
  document.body.append(container);
  const root = createRoot(container);
  await act(async () => root.render(element));
  return {
    rerender: (next) => act(async () => root.render(next)),
    unmount: async () => {
      await act(async () => root.unmount());
      container.remove();
    },
  };
}

/** Waits (inside act) until `predicate()` holds; fails after `timeout` ms with `describe()`. */
export async function until(predicate, describe = () => '', timeout = 5000) {
  const end = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${predicate}: ${describe()}`);
    await tick();
  }
}

/**
 * Calls `fn` inside act without awaiting what it returns: `{ done }`, where `done` is a promise of
 * `{ value }` or `{ error }` (so a rejection is never left unhandled).
 */
export async function inAct(fn) {
  let done;
  await act(async () => {
    done = Promise.resolve(fn()).then((value) => ({ value }), (error) => ({ error }));
  });
  return { done };
}

/**
 * Mounts an X402Provider over `server` (the test wallet unless `props.wallet`; other props go to the
 * provider) around `children` (probes or elements). Unmounted after the test. Returns { wallet,
 * rerender(children, props?) } where rerender keeps the wallet.
 */
export async function mountProvider(t, server, children, props = {}) {
  const { wallet = testWallet(), ...rest } = props;
  const wallets = [wallet]; // one array: a new one would re-create the wrapped fetch
  const element = (kids, more = rest) =>
    React.createElement(X402Provider, { wallets, fetch: server.fetch, ...more }, ...kids.map((k) => k.element?.() ?? k));
  const view = await mount(element(children));
  t.after(view.unmount);
  return { wallet, rerender: (kids, more) => view.rerender(element(kids, more ? { ...rest, ...more } : rest)) };
}

/**
 * Renders `use` outside any X402Provider, under an error boundary: resolves to `{ caught, logged }`,
 * the error the boundary caught and the lines React (and jsdom, for React 18) logged about it.
 */
export async function outsideProvider(t, use) {
  let caught = null;
  class Boundary extends React.Component {
    state = { error: null };
    static getDerivedStateFromError(error) {
      return { error };
    }
    render() {
      caught = this.state.error;
      return this.state.error ? null : this.props.children;
    }
  }
  const logged = await expectConsoleErrors(async () => {
    const view = await mount(h(Boundary, null, probe(use).element()));
    t.after(view.unmount);
  });
  return { caught, logged };
}
