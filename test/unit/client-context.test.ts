/** src/protocol/http/client-context.ts: one TLS client context per set of trust anchors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientContextFor } from '../../src/protocol/http/client-context.js';

test('the same CA texts give the same context; other texts, another order or another split give another', () => {
  const one = clientContextFor(['A', 'B']);
  assert.equal(clientContextFor(['A', 'B']), one);
  assert.notEqual(clientContextFor(['B', 'A']), one);
  assert.notEqual(clientContextFor(['A']), one);
  // a text that holds what a list's separator would be is still one text, not two
  assert.notEqual(clientContextFor(['A,t:B']), one);
  assert.equal(clientContextFor(undefined), clientContextFor(undefined));
  assert.notEqual(clientContextFor(undefined), clientContextFor([]));
});
