// usePaidResource: loads one (possibly paid) resource through the provider's paying fetch.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useX402Fetch } from './useX402Fetch.js';

const NOTHING = { url: undefined, data: undefined, response: null, error: null, loading: false };

/**
 * Loads `url` when it is set and whenever it changes (or `refetch()` is called), paying a 402 once
 * the user approves `pendingPayment`. `data` is the parsed JSON when the response's content-type is
 * JSON, else its text, whatever the HTTP status; `error` is what the load threw (an X402Error, a
 * network error, unparsable JSON). A load still running when `url` changes or the component
 * unmounts is aborted; `refetch()` while a load runs does nothing (the running load is the fresh
 * one). `init` is read at each load; changing it alone does not reload. A change of the provider
 * (wallets, policy...) reloads only a resource whose last load failed or answered 402: a loaded
 * resource is not paid for again, and a running load is not interrupted. Nor is it paid for again
 * when the component is hidden and shown by React's `<Activity>`: its effects run again, and the
 * load that answered stands (a load aborted by hiding runs again).
 *
 * @param {string | URL | null | undefined} url nothing is loaded while it is null, undefined or ''.
 * @param {RequestInit} [init]
 */
export function usePaidResource(url, init) {
  const { fetch, status, pendingPayment, receipt } = useX402Fetch();
  const [result, setResult] = useState(NOTHING);
  const [round, setRound] = useState(0);
  const latest = useRef({ init, fetch });
  const last = useRef(NOTHING); // the last finished load
  const busy = useRef(false); // a load is running
  const key = url == null ? '' : String(url);

  useEffect(() => {
    latest.current = { init, fetch };
  });

  // A load that failed, or was answered 402, with an older provider fetch than the current one (the
  // wallets or policy changed meanwhile, e.g. a wallet connected) is tried again with the new one:
  // when the provider changes, or when such a load ends.
  const retryStale = useCallback(() => {
    const { url: loaded, error, response, usedFetch } = last.current;
    const failed = error || response?.status === 402;
    if (!busy.current && loaded === key && failed && usedFetch !== latest.current.fetch) setRound((n) => n + 1);
  }, [key]);
  useEffect(retryStale, [fetch, retryStale]);

  useEffect(() => {
    if (key === '') return undefined;
    // Effects run again, with the state kept, when a component hidden by React's <Activity> is
    // shown: the load that already answered for this url and round stands. Paying again takes a new url, refetch(), or a failed load and a new provider fetch.
    const done = last.current;
    if (done.url === key && done.round === round && !done.error && done.response?.status !== 402) return undefined;
    const { init, fetch } = latest.current;
    const controller = new AbortController();
    const outer = init?.signal;
    const abort = () => controller.abort(outer.reason);
    if (outer?.aborted) abort();
    else outer?.addEventListener('abort', abort, { once: true });
    let current = true;
    busy.current = true;
    const finish = (next) => {
      if (!current) return;
      busy.current = false;
      last.current = { url: key, round, loading: false, usedFetch: fetch, ...next };
      setResult(last.current);
      retryStale();
    };
    setResult((last) => (last.url === key ? { ...last, loading: true, error: null } : { ...NOTHING, url: key, loading: true }));
    fetch(key, { ...init, signal: controller.signal }).then(
      (response) =>
        readBody(response).then(
          (data) => finish({ data, response, error: null }),
          (error) => finish({ data: undefined, response, error }),
        ),
      (error) => finish({ data: undefined, response: null, error }),
    );
    return () => {
      current = false;
      busy.current = false;
      outer?.removeEventListener('abort', abort);
      controller.abort();
    };
  }, [key, round, retryStale]);

  const refetch = useCallback(() => {
    if (!busy.current) setRound((n) => n + 1);
  }, []);
  const mine = result.url === key ? result : { ...NOTHING, loading: key !== '' };
  return {
    data: mine.data,
    response: mine.response,
    status,
    pendingPayment,
    receipt,
    error: mine.error,
    loading: mine.loading,
    refetch,
  };
}

/** JSON for a JSON content-type (`null` when the body is empty), else the text. */
async function readBody(response) {
  const type = response.headers.get('content-type') ?? '';
  const text = await response.text();
  if (!/[/+]json(\s*;|\s*$)/i.test(type)) return text;
  return text === '' ? null : JSON.parse(text);
}
