/**
 * Golden files for hosts2zone's renderer: fixed Hosts2zoneResult objects -> text, compared with
 * test/golden/hosts2zone/*.txt, at the width of a pipe (no limit) and of 80 and 60 columns.
 * UPDATE_GOLDEN=1 rewrites them (Node 20 has no snapshot assertion).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIssue, formatOmitted, renderHosts2zone, renderHosts2zoneSummary, renderHosts2zoneText } from '../../src/commands/hosts2zone/render.js';
import type { Hosts2zoneResult } from '../../src/commands/hosts2zone/run.js';
import type { Hosts2zoneOptions } from '../../src/commands/hosts2zone/options.js';
import { hostsNote, hostsProblem } from '../../src/protocol/zone/hosts.js';
import type { VerifyResult } from '../../src/protocol/zone/verify.js';
import { goldenOf } from '../helpers/golden.js';

const golden = goldenOf('hosts2zone');

/** Every line fits in `columns`. */
function fits(text: string, columns: number): void {
  for (const line of text.split('\n')) if (/[│┌└├]/.test(line)) assert.ok([...line].length <= columns, `${[...line].length} > ${columns}: ${line}`);
}

const written: Hosts2zoneResult = {
  status: 'WARNING',
  action: 'write',
  origin: 'corp.test.',
  format: 'zone',
  outDir: '/srv/dns/zones',
  blocklist: false,
  inputs: [{ file: 'office.hosts', lines: 40, entries: 27 }],
  names: 21,
  addresses: 19,
  serial: 2026112301,
  zones: [
    { zone: 'corp.test.', file: '/srv/dns/zones/db.corp.test', records: 28, serial: 2026112301 },
    { zone: '100.51.198.in-addr.arpa.', file: '/srv/dns/zones/db.100.51.198.in-addr.arpa', records: 11, serial: 2026112301 },
    { zone: '1.0.0.0.0.c.0.0.8.b.d.0.1.0.0.2.ip6.arpa.', file: '/srv/dns/zones/db.1.0.0.0.0.c.0.0.8.b.d.0.1.0.0.2.ip6.arpa', records: 1234567, serial: 2026112301 },
  ],
  counts: { errors: 6, warnings: 3, notes: 1 },
  problems: [hostsProblem('office.hosts', 34, 'SHORT_IPV4', "'127.1' is a short IPv4 address (inet_aton shorthand; getaddrinfo and DNS need all four parts)")],
  notes: [hostsNote('office.hosts', 4, 'LOCAL_NAME', "'localhost' names this machine itself: not put in the zone")],
  problemsOmitted: 0,
  verify: null,
  timeMs: 12.345,
};

const verified: VerifyResult = {
  status: 'CRITICAL',
  problems: [{ code: 'MISMATCH', severity: 'CRITICAL', subject: '127.53.0.3#5353', message: '2 names differ on 127.53.0.3#5353', counts: { names: 2, addresses: 1, mismatches: 3 } }],
  notes: [],
  server: '127.53.0.3#5353',
  reachable: true,
  authoritative: true,
  names: 21,
  addresses: 16,
  queries: 59,
  failures: 0,
  mismatchedNames: 2,
  mismatchedAddresses: 1,
  mismatchCount: 3,
  mismatches: [
    { name: 'print.corp.test.', type: 'A', expected: ['198.51.100.31'], got: ['198.51.100.13'], rcode: 'NOERROR', where: 'office.hosts:14', message: 'A print.corp.test.: server has 198.51.100.13, expected 198.51.100.31' },
    { name: 'new-printer.corp.test.', type: 'A', expected: ['198.51.100.60'], got: [], rcode: 'NXDOMAIN', where: 'office.hosts:41', message: 'A new-printer.corp.test.: NXDOMAIN, expected 198.51.100.60' },
  ],
  aborted: null,
  timeMs: 21.5,
};

const verify: Hosts2zoneResult = { ...written, status: 'CRITICAL', action: 'verify', outDir: null, serial: null, zones: [], verify: verified };

test('--out: the verdict, the zones written as a table, the counts (a pipe, 80 and 60 columns)', () => {
  golden('write', renderHosts2zoneText(written));
  for (const columns of [80, 60]) {
    const text = renderHosts2zoneText(written, { columns });
    fits(text, columns);
    golden(`write-${columns}`, text);
  }
});

test('--verify: mismatches, each with where the hosts file says it; one kept of two more', () => {
  golden('verify-mismatch', renderHosts2zoneText({ ...verify, verify: { ...verified, mismatchCount: 4 } }));
  const ok: VerifyResult = { ...verified, status: 'OK', problems: [], mismatches: [], mismatchCount: 0, mismatchedNames: 0, mismatchedAddresses: 0, authoritative: false };
  golden('verify-ok', renderHosts2zoneText({ ...verify, status: 'WARNING', verify: ok }));
  const dead: VerifyResult = {
    ...ok, status: 'CRITICAL', server: '127.0.0.1#9', reachable: false, authoritative: null, names: 0, addresses: 0, queries: 1, failures: 1,
    aborted: '127.0.0.1#9 did not answer the SOA query for corp.test.: timed out after 2 tries of 500 ms',
  };
  golden('verify-dead', renderHosts2zoneText({ ...verify, status: 'CRITICAL', counts: { errors: 0, warnings: 0, notes: 0 }, verify: dead }));
});

test('interrupted: while reading, writing (stdout and --out) and verifying', () => {
  const parts = [
    renderHosts2zoneText({ ...written, status: 'UNKNOWN', zones: [], interrupted: true, interruptedWhile: 'reading' }),
    renderHosts2zoneText({ ...written, status: 'UNKNOWN', zones: [], interrupted: true, interruptedWhile: 'writing' }),
    renderHosts2zoneText({ ...written, status: 'UNKNOWN', outDir: null, zones: [], interrupted: true, interruptedWhile: 'writing' }),
    renderHosts2zoneText({ ...verify, status: 'UNKNOWN', interrupted: true, interruptedWhile: 'verifying', verify: { ...verified, interrupted: true } }),
  ];
  golden('interrupted', parts.join('---\n'));
});

test('the zone to stdout: the summary for stderr, and nothing more for stdout', () => {
  const r: Hosts2zoneResult = {
    ...written, status: 'OK', outDir: null, counts: { errors: 0, warnings: 0, notes: 0 }, problems: [], notes: [], blocklist: true,
    zones: [{ zone: 'corp.test.', file: null, records: 4, serial: 42 }], serial: 42,
  };
  golden('stdout-summary', renderHosts2zoneSummary(r));
  const options = { outDir: undefined, verify: undefined } as unknown as Hosts2zoneOptions;
  assert.equal(renderHosts2zone(r, options, {}), '');
  // a blocklist written as a zone: the hint at the end of the full text
  assert.match(renderHosts2zoneText({ ...r, outDir: '/z' }), /\nThis looks like a blocklist: --format rpz writes it as a Response Policy Zone\.\n$/);
});

test('the stderr lines: error for a rejected line, warning, note; the remedies as flags; the omitted count', () => {
  const lines = [
    formatIssue(hostsProblem('office.hosts', 34, 'SHORT_IPV4', "'127.1' is a short IPv4 address (inet_aton shorthand; getaddrinfo and DNS need all four parts)")),
    formatIssue(hostsProblem('office.hosts', 39, 'OUTSIDE_ORIGIN', "'docs.partner.example' is outside corp.test: skipped")),
    formatIssue({ ...hostsProblem('office.hosts', 40, 'UNDERSCORE', "'build_box.corp.test' has '_', which host names cannot have (RFC 1123 2.1): skipped, BIND's check-names refuses it as the owner of an address"), remedy: 'allowUnderscore' }),
    formatIssue({ ...hostsProblem('office.hosts', 41, 'UNDERSCORE', "'a_b.corp.test' has '_', which host names cannot have (RFC 1123 2.1): skipped, BIND's check-names refuses it as the owner of an address"), remedy: 'aliasesCname' }),
    formatIssue(hostsNote('office.hosts', 4, 'LOCAL_NAME', "'localhost' names this machine itself: not put in the zone")),
    formatIssue({ ...hostsNote('ads.hosts', 0, 'BLOCKLIST', 'every entry points at 0.0.0.0, 127.0.0.1, :: or ::1: this looks like a blocklist'), remedy: 'formatRpz' }),
    formatIssue(hostsProblem('/srv/dns/zones/db.corp.test', 0, 'SERIAL', '--serial 5 is not greater than 2026112300, the serial of the zone it replaces (RFC 1982): secondaries will not transfer it')),
    formatIssue(hostsProblem('evil\x1b[2J.hosts', 1, 'NO_NAME', "address '192.0.2.1' has no name")),
    formatOmitted({ listed: 1000, problems: 12345, errors: 12000, warnings: 344, notes: 1 }),
  ];
  golden('stderr-lines', `${lines.join('\n')}\n`);
});
