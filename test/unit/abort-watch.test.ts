/** src/util/abort-watch.ts: one 'abort' listener per signal, however many waits are under it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { abortWatchers, unwatchAbort, watchAbort } from '../../src/util/abort-watch.js';

test('many callbacks share one listener on the signal; each is called once on abort', () => {
  const ac = new AbortController();
  const calls: number[] = [];
  const callbacks = Array.from({ length: 50 }, (_, i) => () => calls.push(i));
  for (const c of callbacks) watchAbort(ac.signal, c);
  assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
  assert.equal(abortWatchers(ac.signal), 50);
  ac.abort();
  assert.deepEqual(calls, Array.from({ length: 50 }, (_, i) => i));
  assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
  assert.equal(abortWatchers(ac.signal), 0);
});

test('the listener is removed with the last callback, and comes back with the next', () => {
  const ac = new AbortController();
  const a = () => assert.fail('a was unwatched');
  let b = 0;
  const bump = () => b++;
  watchAbort(ac.signal, a);
  watchAbort(ac.signal, bump);
  unwatchAbort(ac.signal, a);
  assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
  unwatchAbort(ac.signal, bump);
  assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
  // unwatching again, or a callback never watched, changes nothing
  unwatchAbort(ac.signal, bump);
  unwatchAbort(new AbortController().signal, bump);
  watchAbort(ac.signal, bump);
  assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
  ac.abort();
  assert.equal(b, 1);
});

test('a callback that ends another wait as it runs does not stop the rest', () => {
  const ac = new AbortController();
  const seen: string[] = [];
  const second = () => seen.push('second');
  watchAbort(ac.signal, () => {
    seen.push('first');
    unwatchAbort(ac.signal, second);
  });
  watchAbort(ac.signal, second);
  ac.abort();
  assert.deepEqual(seen, ['first', 'second']);
});

test('an already aborted signal gets no listener and calls nothing, as addEventListener', () => {
  const signal = AbortSignal.abort();
  watchAbort(signal, () => assert.fail('called for an aborted signal'));
  assert.equal(abortWatchers(signal), 0);
  assert.equal(getEventListeners(signal, 'abort').length, 0);
});

test('signals are apart: aborting one calls only its own callbacks', () => {
  const one = new AbortController();
  const two = new AbortController();
  const seen: string[] = [];
  watchAbort(one.signal, () => seen.push('one'));
  watchAbort(two.signal, () => seen.push('two'));
  one.abort();
  assert.deepEqual(seen, ['one']);
  assert.equal(abortWatchers(two.signal), 1);
});
