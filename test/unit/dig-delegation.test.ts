/**
 * issue 14: +nssearch and +zone-check in dig's parser, RFC 1982 serial comparison, and the
 * text of fixed results (dig's SOA lines, the per-zone tables). Pure: no socket.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDigArgs } from '../../src/commands/dig/options.js';
import { nssearchText, zoneCheckText } from '../../src/commands/dig/render-delegation.js';
import { serialNewer } from '../../src/protocol/dns/serial.js';
import type { DigResult } from '../../src/protocol/dns/lookup.js';
import { BudgetSpent, failureReason } from '../../src/protocol/dns/delegation.js';
import { NetlabError } from '../../src/errors.js';

test('+nssearch, +zone-check (and +zonecheck), +no forms; both at once is a usage error', () => {
  const table: Array<[string[], { nssearch: boolean; zoneCheck: boolean }]> = [
    [['+nssearch', 'example.test'], { nssearch: true, zoneCheck: false }],
    [['example.test', '+zone-check'], { nssearch: false, zoneCheck: true }],
    [['+zonecheck', 'example.test'], { nssearch: false, zoneCheck: true }],
    [['+zone-check', '+nozone-check', 'x.test'], { nssearch: false, zoneCheck: false }],
    [['+nssearch', '+nonssearch', 'x.test'], { nssearch: false, zoneCheck: false }],
    [['x.test'], { nssearch: false, zoneCheck: false }],
  ];
  for (const [argv, want] of table) {
    const o = parseDigArgs(argv);
    assert.deepEqual({ nssearch: o.nssearch, zoneCheck: o.zoneCheck }, want, argv.join(' '));
  }
  assert.throws(() => parseDigArgs(['+nssearch', '+zone-check', 'x.test']), /\+nssearch and \+zone-check exclude each other/);
  assert.throws(() => parseDigArgs(['+zone-check=1', 'x.test']), /unknown option/);
});

test('serialNewer follows RFC 1982: bigger is newer, and so is a small one after wrapping', () => {
  assert.equal(serialNewer(2026112302, 2026112301), true);
  assert.equal(serialNewer(2026112301, 2026112302), false);
  assert.equal(serialNewer(5, 5), false);
  assert.equal(serialNewer(3, 4294967290), true);
  assert.equal(serialNewer(4294967290, 3), false);
});

function base(extra: Partial<DigResult>): DigResult {
  return {
    query: { name: 'stale.test.', type: 'SOA', class: 'IN', server: '127.53.0.1', serverName: '127.53.0.1', port: 5391, transport: 'udp' },
    status: 'OK', problems: [], rcode: null, flags: [], answer: [], authority: [], additional: [], timeMs: 3, msgSize: null, when: '2026-11-23T08:00:00.000Z',
    ...extra,
  };
}

test('+nssearch text: dig\'s SOA line per server, its communications error, its "could not be reached", then the problems', () => {
  const soa = (serial: number) => `ns1.stale.test. hostmaster.stale.test. ${serial} 3600 900 604800 300`;
  const r = base({
    status: 'WARNING',
    problems: [
      { code: 'SERIAL_MISMATCH', severity: 'WARNING', message: 'ns2.stale.test. (127.53.4.3) serves serial 2026112201 of stale.test., others 2026112301' },
      { code: 'SILENT_SERVER', severity: 'WARNING', message: 'said above' },
    ],
    nssearch: [
      { server: 'ns1.stale.test.', address: '127.53.4.1', serial: 2026112301, soa: soa(2026112301), timeMs: 0.412, rcode: 'NOERROR', authoritative: true },
      { server: 'ns2.stale.test.', address: '127.53.4.3', serial: 2026112201, soa: soa(2026112201), timeMs: 1.9, rcode: 'NOERROR', authoritative: true },
      { server: 'ns3.stale.test.', address: '::1', serial: null, soa: null, timeMs: null, rcode: null, authoritative: false, error: 'timed out' },
      { server: 'ns4.stale.test.', address: '127.53.4.9', serial: null, soa: null, timeMs: 1, rcode: 'REFUSED', authoritative: false, error: 'REFUSED' },
      { server: 'ns5.stale.test.', address: '', serial: null, soa: null, timeMs: null, rcode: null, authoritative: false, error: 'no address' },
    ],
  });
  assert.deepEqual(nssearchText(r), [
    'SOA ns1.stale.test. hostmaster.stale.test. 2026112301 3600 900 604800 300 from server 127.53.4.1 in 0 ms.',
    'SOA ns1.stale.test. hostmaster.stale.test. 2026112201 3600 900 604800 300 from server 127.53.4.3 in 1 ms.',
    ';; communications error to [::1]:5391: timed out',
    ';; no SOA from server 127.53.4.9 (ns4.stale.test.): REFUSED',
    ";; couldn't get address for 'ns5.stale.test': not found",
    ';; WARNING SERIAL_MISMATCH: ns2.stale.test. (127.53.4.3) serves serial 2026112201 of stale.test., others 2026112301',
  ]);
  assert.deepEqual(nssearchText(base({ nssearch: [] })), [';; NS servers could not be reached']);
});

test('+zone-check text: the NS sets of each zone, an aligned table, the problems and the status', () => {
  const r = base({
    status: 'WARNING',
    problems: [{ code: 'TCP_BROKEN', severity: 'WARNING', message: 'ns2.notcp.test. (127.53.4.6) does not answer over TCP (connection refused), over UDP it does' }],
    zoneCheck: {
      qname: 'www.notcp.test.', qtype: 'A', complete: true, queries: 9,
      levels: [{
        zone: 'notcp.test.', parentNs: ['ns1.notcp.test.', 'ns2.notcp.test.'], glue: {}, childNs: ['ns1.notcp.test.', 'ns2.notcp.test.'], problems: [], next: 'answer',
        servers: [
          { name: 'ns1.notcp.test.', address: '127.53.4.1', verdict: 'answer', reply: '1 answer record', rcode: 'NOERROR', aa: true, serial: 2026112301, timeMs: 0.5, edns: 'ok', tcp: 'ok', ns: null, problems: [] },
          { name: 'ns2.notcp.test.', address: '127.53.4.6', verdict: 'answer', reply: '1 answer record', rcode: 'NOERROR', aa: true, serial: 2026112301, timeMs: 12.7, edns: 'ok', tcp: 'broken', ns: null, problems: ['TCP_BROKEN'] },
        ],
      }],
    },
  });
  assert.deepEqual(zoneCheckText(r), [
    ';; zone-check www.notcp.test. A: 1 zone, 2 server addresses, 9 queries',
    '',
    ';; notcp.test.  parent NS: ns1.notcp.test., ns2.notcp.test.  zone NS: the same',
    'SERVER           ADDRESS     VERDICT  SERIAL      TIME   EDNS  TCP     REPLY            PROBLEMS',
    'ns1.notcp.test.  127.53.4.1  answer   2026112301  0 ms   ok    ok      1 answer record  -',
    'ns2.notcp.test.  127.53.4.6  answer   2026112301  12 ms  ok    broken  1 answer record  TCP_BROKEN',
    '',
    ';; PROBLEMS:',
    ';; WARNING TCP_BROKEN: ns2.notcp.test. (127.53.4.6) does not answer over TCP (connection refused), over UDP it does',
    ';; Status: WARNING',
    '',
  ]);
});

test('failureReason: a timeout and a refused connection are silent; no route from this host is not judged', () => {
  const err = (code: 'TIMEOUT' | 'UNREACHABLE', message: string, cause?: string) => new NetlabError(code, message, cause ? { cause: Object.assign(new Error(cause), { code: cause }) } : undefined);
  assert.deepEqual(failureReason(err('TIMEOUT', 'communications error to 127.53.4.7#53: timed out')), { reason: 'timed out', silent: true, noRoute: false });
  assert.deepEqual(failureReason(err('UNREACHABLE', 'communications error to 127.53.0.9#53: connection refused', 'ECONNREFUSED')), { reason: 'connection refused', silent: true, noRoute: false });
  assert.deepEqual(failureReason(err('UNREACHABLE', 'communications error to [2001:db8::1]:53: network unreachable', 'ENETUNREACH')), { reason: 'network unreachable', silent: false, noRoute: true });
  assert.deepEqual(failureReason(new BudgetSpent(400)), { reason: 'query budget of 400 spent', silent: false, noRoute: false });
});
