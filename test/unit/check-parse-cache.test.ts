// issues 12/13 (speed): a check's argv is parsed once (src/check/parse-cache.ts)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgvOnce } from '../../src/check/parse-cache.js';
import { command as certCheck } from '../../src/commands/cert-check/index.js';
import { command as dig } from '../../src/commands/dig/index.js';
import { NetlabError } from '../../src/errors.js';

test('the same argv gives the same options, parsed once and frozen all the way down', async () => {
  const argv = ['parse-cache.example.test:8443', '--ca', '/nonexistent/a.pem', '--ca', '/nonexistent/b.pem', '--warn-days', '30'];
  const a = await parseArgvOnce(certCheck, argv);
  const b = await parseArgvOnce(certCheck, [...argv]);
  assert.equal(a, b);
  assert.deepEqual(a.caFiles, ['/nonexistent/a.pem', '/nonexistent/b.pem']);
  assert.equal(a.warnDays, 30);
  assert.ok(Object.isFrozen(a));
  assert.ok(Object.isFrozen(a.caFiles));
  assert.throws(() => (a.caFiles as string[]).push('x'), TypeError);
  // another argv, other options
  const c = await parseArgvOnce(certCheck, [...argv.slice(0, -1), '31']);
  assert.notEqual(c, a);
  assert.equal(c.warnDays, 31);
});

test('a bad argv is refused every time (never kept), and the caller\'s argv is not rewritten', async () => {
  for (let i = 0; i < 2; i++) {
    await assert.rejects(parseArgvOnce(certCheck, ['parse-cache.example.test', '--warn-days', 'soon']), (e: unknown) => e instanceof NetlabError && e.code === 'USAGE');
  }
  // dig's own parser rewrites a glued -p53 in its argument: it gets a copy
  const argv = ['@127.0.0.1', '-p5353', 'parse-cache.example.test', 'A'];
  const o = await parseArgvOnce(dig, argv);
  assert.deepEqual(argv, ['@127.0.0.1', '-p5353', 'parse-cache.example.test', 'A']);
  assert.equal(o, await parseArgvOnce(dig, argv));
});
