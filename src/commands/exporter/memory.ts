/**
 * The exporter's resident memory (issue 13): a long-running process that allocates fast (each
 * probe's sockets, TLS, parsing) lets V8 grow its young generation to two 16 MB semi-spaces
 * and defer old-space collections while garbage piles up, so its RSS climbed to several times
 * its live heap (about 15 MB). Two measures, both from inside the process (the `netlab`
 * launcher passes no node flags):
 *   - the young generation is kept at its initial size (V8 reads --semi-space-growth-factor
 *     each time it would grow the new space; the size itself is fixed at start);
 *   - a full collection when the old generation has grown by GC_GROWTH_BYTES since the last
 *     one, checked every GC_CHECK_MS (an idle exporter collects nothing; under the bench's
 *     load a few a second at most; the process's total CPU over 4,000 probes was the same
 *     within the machine's noise, its largest RSS 145-168 MB -> 106-114 MB).
 * Process-wide, so the command sets it up, never the library.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

export const GC_CHECK_MS = 500;
export const GC_GROWTH_BYTES = 16 * 1024 * 1024;

/** The bytes in use in the old generation (all but the young one, which scavenges empty). */
function oldGeneration(): number {
  let n = 0;
  for (const s of v8.getHeapSpaceStatistics()) if (s.space_name !== 'new_space' && s.space_name !== 'new_large_object_space') n += s.space_used_size;
  return n;
}

/** Start the measures; returns how to stop the timer. */
export function keepHeapSmall(): () => void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  // a context made after --expose-gc has gc(); the main context does not get it
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as (() => void) | undefined;
  if (typeof gc !== 'function') return () => undefined;
  let floor = oldGeneration();
  const timer = setInterval(() => {
    if (oldGeneration() - floor < GC_GROWTH_BYTES) return;
    gc();
    floor = oldGeneration();
  }, GC_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
