import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDnsServer } from '../../src/commands/args.js';
import { parseTraceRequestArgs } from '../../src/commands/trace-request.js';

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

test('trace-request --resolver takes a bare IPv6 address (it used to read ::1 as host ":" and port 1)', () => {
  const o = parseTraceRequestArgs({ url: 'http://www.example.test/', resolver: '::1' });
  assert.deepEqual(o.resolver, { address: '::1', port: 53 });
  assert.deepEqual(parseTraceRequestArgs({ url: 'http://www.example.test/', resolver: '[::1]:5353' }).resolver, { address: '::1', port: 5353 });
});
