/**
 * One 'abort' listener per AbortSignal, however many waits are under it: a batch has thousands
 * of queries under the one Ctrl-C signal, and EventTarget's addEventListener and
 * removeEventListener per query cost more than the rest of a pooled query's bookkeeping. The
 * listener is removed when the last callback is (Node keeps a signal of AbortSignal.any or
 * AbortSignal.timeout alive while it has a listener and has not aborted: a listener left on
 * each probe's signal would grow a long-running process's heap without bound).
 */

interface Watched {
  callbacks: Set<() => void>;
  listener: () => void;
}

const watched = new WeakMap<AbortSignal, Watched>();

/**
 * Call `callback` once when `signal` aborts, until unwatchAbort(signal, callback). As with
 * addEventListener, nothing is called for a signal that has already aborted: check it first
 * (signal.throwIfAborted()). A callback given twice is called once.
 */
export function watchAbort(signal: AbortSignal, callback: () => void): void {
  if (signal.aborted) return;
  let w = watched.get(signal);
  if (!w) {
    const callbacks = new Set<() => void>();
    const listener = () => {
      watched.delete(signal);
      // a copy: a callback may end another wait under the signal (unwatchAbort) as it runs
      for (const c of [...callbacks]) c();
      callbacks.clear();
    };
    w = { callbacks, listener };
    watched.set(signal, w);
    signal.addEventListener('abort', listener, { once: true });
  }
  w.callbacks.add(callback);
}

/** Stop calling `callback` for `signal`; the signal's listener goes with its last callback. */
export function unwatchAbort(signal: AbortSignal, callback: () => void): void {
  const w = watched.get(signal);
  if (!w || !w.callbacks.delete(callback) || w.callbacks.size > 0) return;
  watched.delete(signal);
  signal.removeEventListener('abort', w.listener);
}

/** How many callbacks wait on `signal` (0 when it has no listener of ours): for tests. */
export function abortWatchers(signal: AbortSignal): number {
  return watched.get(signal)?.callbacks.size ?? 0;
}
