// The lane: how the requests of several hooks share the provider's one wrapped fetch (and so one
// spending ledger). wrapFetch reports its approval question and its events without naming the
// request they belong to, so hook requests take turns: while a request holds the lane, every
// question and event of the wrapped fetch is that request's. Turns are first come, first served;
// a request still waiting for its turn leaves the queue as soon as its signal aborts.

/**
 * Creates a lane. `ask` and `event` are the wrapped fetch's onPaymentRequired and onEvent;
 * `run(owner, signal, task)` runs `task` once every request queued before it has finished, with
 * `owner.ask` / `owner.event` receiving the callbacks meanwhile.
 */
export function createLane() {
  let running = null;
  let tail = Promise.resolve();
  return {
    // No request of ours is running: nobody can approve, so nothing is paid.
    ask: (question) => (running ? running.ask(question) : false),
    event: (event) => running?.event(event),
    run(owner, signal, task) {
      const previous = tail;
      let finish;
      const finished = new Promise((resolve) => (finish = resolve));
      tail = previous.then(() => finished);
      return untilAborted(previous, signal)
        .then(async () => {
          if (signal?.aborted) throw signal.reason;
          running = owner;
          try {
            return await task();
          } finally {
            running = null;
          }
        })
        .finally(finish);
    },
  };
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
function untilAborted(promise, signal) {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    promise.then(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    });
  });
}
