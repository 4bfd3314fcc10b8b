/**
 * Golden files for the dig renderer: fixed DigResult objects -> text, compared with
 * test/golden/dig/*.txt. UPDATE_GOLDEN=1 rewrites them (Node 20 has no snapshot assertion).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderDigText, digDate, recordLine } from '../../src/commands/dig/render.js';
import { parseDigArgs } from '../../src/commands/dig/options.js';
import type { DigResult } from '../../src/commands/dig/run.js';
import { goldenOf } from '../helpers/golden.js';

process.env.TZ = 'UTC';
const golden = goldenOf('dig');

const base: DigResult = {
  query: { name: 'www.example.test.', type: 'A', class: 'IN', server: '127.53.0.3', serverName: '127.53.0.3', port: 5353, transport: 'udp' },
  status: 'OK',
  problems: [],
  rcode: 'NOERROR',
  id: 4242,
  opcode: 'QUERY',
  flags: ['qr', 'aa', 'rd'],
  counts: { query: 1, answer: 2, authority: 0, additional: 1 },
  edns: { version: 0, udpSize: 1232, do: false, flags: 0, options: [] },
  question: [{ name: 'www.example.test.', type: 'A', class: 'IN', ttl: 0, data: '' }],
  answer: [
    { name: 'www.example.test.', type: 'A', class: 'IN', ttl: 300, data: '192.0.2.10', rdata: { type: 'A', address: '192.0.2.10' } },
    { name: 'a-very-long-owner-name.example.test.', type: 'TYPE65534', class: 'IN', ttl: 86400, data: '\\# 4 0A000001', rdata: { type: 'TYPE65534', text: '\\# 4 0A000001', hex: '0A000001' } },
  ],
  authority: [],
  additional: [],
  timeMs: 1.7,
  msgSize: 77,
  when: '2026-11-23T08:40:00.000Z',
};

test('dig layout: header, flags, OPT, sections with BIND column alignment, footer', () => {
  golden('plain', renderDigText([base], parseDigArgs(['@127.53.0.3', '-p', '5353', 'www.example.test']), '0.0.0', 'UTC'));
});

test('dig layout: NXDOMAIN with SOA in authority, truncation retried over TCP', () => {
  const r: DigResult = {
    ...base,
    status: 'CRITICAL',
    rcode: 'NXDOMAIN',
    answer: [],
    counts: { query: 1, answer: 0, authority: 1, additional: 1 },
    authority: [{
      name: 'example.test.', type: 'SOA', class: 'IN', ttl: 3600, data: 'ns1.example.test. hostmaster.example.test. 1 3600 900 604800 300',
      rdata: { type: 'SOA', mname: 'ns1.example.test.', rname: 'hostmaster.example.test.', serial: 1, refresh: 3600, retry: 900, expire: 604800, minimum: 300 },
    }],
    tcpFallback: true,
    query: { ...base.query, transport: 'tcp' },
  };
  golden('nxdomain-tcp', renderDigText([r], parseDigArgs(['@127.53.0.3', '-p', '5353', 'www.example.test']), '0.0.0', 'UTC'));
});

test('+short and +noall +answer', () => {
  golden('short', renderDigText([base], parseDigArgs(['www.example.test', '+short']), '0.0.0', 'UTC'));
  golden('noall-answer', renderDigText([base], parseDigArgs(['www.example.test', '+noall', '+answer']), '0.0.0', 'UTC'));
});

test('no reply: one communications error line', () => {
  const r: DigResult = { ...base, status: 'CRITICAL', rcode: null, error: 'communications error to 127.53.0.3#5353: timed out', answer: [], timeMs: null, msgSize: null };
  golden('timeout', renderDigText([r], parseDigArgs(['@127.53.0.3', '-p', '5353', 'www.example.test']), '0.0.0', 'UTC'));
});

test('+trace: hops, skipped servers, glueless resolution, failure line', () => {
  const r: DigResult = {
    ...base,
    status: 'CRITICAL',
    error: 'trace failed: no server for dead.test. answered usefully',
    hops: [
      { zone: '.', server: '127.53.0.1', serverName: '127.53.0.1', port: 5353, timeMs: 0.4, msgSize: 79, kind: 'root', skipped: [], records: [{ name: '.', type: 'NS', class: 'IN', ttl: 518400, data: 'a.root.test.', rdata: { type: 'NS', target: 'a.root.test.' } }] },
      { zone: '.', server: '127.53.0.1', serverName: 'a.root.test.', port: 5353, timeMs: 0.3, msgSize: 100, kind: 'referral', skipped: [], records: [{ name: 'test.', type: 'NS', class: 'IN', ttl: 172800, data: 'ns1.nic.test.', rdata: { type: 'NS', target: 'ns1.nic.test.' } }], resolvedGlueless: [{ name: 'ns.x.test.', addresses: ['127.53.0.5'] }] },
      { zone: 'dead.test.', server: '', serverName: '', port: 5353, timeMs: 0, msgSize: 0, kind: 'unanswered', records: [], skipped: [{ serverName: 'ns1.dead.test.', address: '127.53.0.9', reason: 'connection refused' }, { serverName: 'ns2.dead.test.', address: '', reason: 'no address found for this NS name' }] },
    ],
  };
  golden('trace', renderDigText([r], parseDigArgs(['@127.53.0.1', '-p', '5353', '+trace', 'www.dead.test']), '0.0.0', 'UTC'));
});

test("WHEN is dig's strftime('%a %b %d %H:%M:%S %Z %Y')", () => {
  assert.equal(digDate('2026-11-03T08:04:05.000Z', 'UTC'), 'Tue Nov 03 08:04:05 UTC 2026');
  assert.equal(digDate('2026-01-01T00:00:00.000Z', 'UTC'), 'Thu Jan 01 00:00:00 UTC 2026');
});

test('record lines use tabs to BIND columns, a space once past them', () => {
  const line = (name: string, type = 'A') => recordLine({ name, type, class: 'IN', ttl: 300, data: 'x' });
  assert.equal(line('a.test.'), 'a.test.\t\t\t300\tIN\tA\tx');
  assert.equal(line('www.example.test.'), 'www.example.test.\t300\tIN\tA\tx');
  assert.equal(line('_http._tcp.example.test.'), '_http._tcp.example.test. 300\tIN\tA\tx');
  assert.equal(line('u.test.', 'TYPE65534'), 'u.test.\t\t\t300\tIN\tTYPE65534 x');
});

// issue 14: the OPT pseudosection with a client subnet and a cookie, as BIND dig prints them
// (captured from dig 9.18 against the lab GSLB), and the BADCOOKIE retry line
test('dig layout: CLIENT-SUBNET address/source/scope, COOKIE hex and verdict, BADCOOKIE, retrying', () => {
  const r: DigResult = {
    ...base,
    badCookieRetry: true,
    edns: {
      version: 0, udpSize: 1232, do: false, flags: 0,
      options: [
        { code: 10, name: 'COOKIE', hex: '0102030405060708010000006b11aa97917a940999e7807c', client: '0102030405060708', server: '010000006b11aa97917a940999e7807c', verdict: 'good' },
        { code: 8, name: 'CLIENT-SUBNET', hex: '00011818c63364', family: 1, address: '198.51.100.0', sourcePrefix: 24, scopePrefix: 24 },
      ],
    },
  };
  golden('ecs-cookie', renderDigText([r], parseDigArgs(['@127.53.3.1', '-p', '5353', 'www.gslb.test', '+subnet=198.51.100.0/24']), '0.0.0', 'UTC'));
});
