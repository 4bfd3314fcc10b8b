import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDnsServer } from '../../src/commands/args.js';
import type { NetlabError } from '../../src/errors.js';

test('parseDnsServer: ADDR, ADDR:PORT, [V6]:PORT and a bare IPv6 address; port 53 by default', () => {
  assert.deepEqual(parseDnsServer('127.53.0.3', '--x'), { address: '127.53.0.3', port: 53 });
  assert.deepEqual(parseDnsServer('127.53.0.3:5353', '--x'), { address: '127.53.0.3', port: 5353 });
  assert.deepEqual(parseDnsServer('[::1]:5353', '--x'), { address: '::1', port: 5353 });
  assert.deepEqual(parseDnsServer('[::1]', '--x'), { address: '::1', port: 53 });
  assert.deepEqual(parseDnsServer('::1', '--x'), { address: '::1', port: 53 });
  assert.deepEqual(parseDnsServer('2001:db8::53', '--x'), { address: '2001:db8::53', port: 53 });
  for (const bad of ['dns.example', 'dns.example:53', '127.0.0.1:0', '127.0.0.1:70000', 'fe80::1%lo', '[fe80::1%lo]:53', '']) {
    assert.throws(() => parseDnsServer(bad, '--x'), /^NetlabError: --x (needs ADDR\[:PORT\]|port \d+ is out of range)/, bad);
  }
});

// issue 9.11: `--timeout 0.0001` rounded to 0 ms and every probe "failed"; cert-check took it as 0.1 ms
test('parseSeconds: seconds to whole ms, from 1 ms to the maximum; anything else is USAGE naming the option', async () => {
  const { parseSeconds } = await import('../../src/commands/args.js');
  assert.equal(parseSeconds('10', '--timeout', 300), 10_000);
  assert.equal(parseSeconds('0.5', '--timeout', 300), 500);
  assert.equal(parseSeconds('0.001', '--timeout', 300), 1);
  assert.equal(parseSeconds('300', '--timeout', 300), 300_000);
  for (const bad of ['0', '0.0001', '0.0004', '', '-1', '1e3', 'abc', '301', ' 1', '1\n']) {
    assert.throws(() => parseSeconds(bad, '--timeout', 300), (e: NetlabError) => e.code === 'USAGE' && e.message.startsWith('--timeout ') && !e.message.includes('\n'), `'${bad}'`);
  }
});
