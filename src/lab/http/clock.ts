/**
 * Lower bounds on waits. Node timers run on libuv's loop clock, which counts whole
 * milliseconds and is read at the start of a loop turn, so a setTimeout(fn, 200) can run up
 * to a millisecond before 200 ms have passed on performance.now(). The lab promises lower
 * bounds (a /delay/200 answer never leaves before 200 ms, a relayed chunk never before
 * RTT/2), so an early timer is re-armed for what is left.
 */
import { performance } from 'node:perf_hooks';

/** Run `fn` once, no earlier than `ms` milliseconds from now (monotonic); returns a cancel function. */
export function afterAtLeast(ms: number, fn: () => void): () => void {
  const due = performance.now() + ms;
  let timer: NodeJS.Timeout | undefined;
  const check = (): void => {
    const left = due - performance.now();
    if (left > 0) {
      timer = setTimeout(check, Math.ceil(left));
      return;
    }
    timer = undefined;
    fn();
  };
  timer = setTimeout(check, Math.max(0, Math.ceil(ms)));
  return () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
}
