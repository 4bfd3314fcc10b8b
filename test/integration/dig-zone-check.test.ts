/**
 * issue 14, delegation health: `dig +zone-check` finds every broken delegation of the lab with
 * exactly its code(s), and nothing in a good zone; `dig +nssearch` prints dig's SOA lines and
 * judges the serials. The lab's DNS hierarchy started once; the library and the command in
 * process, two spawns for the exit codes. The default wait (1.5 s): a busy machine must not
 * make a TCP check time out; the silent servers, which cost two waits, are asked in parallel.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsLab, type DnsLab } from '../../src/lab/dns/index.js';
import { DELEG_ADDRESSES as D, DELEG_CASES, DELEG_SERIALS } from '../../src/lab/dns/deleg.js';
import { zoneCheck, type ZoneCheckResult } from '../../src/protocol/dns/zone-check.js';
import { nssearch } from '../../src/protocol/dns/nssearch.js';
import { runCli } from '../helpers/cli.js';
import { digHere } from '../helpers/dig.js';

let lab: DnsLab;
let here: string[];
const results = new Map<string, Promise<ZoneCheckResult>>();

function check(name: string): Promise<ZoneCheckResult> {
  let r = results.get(name);
  if (!r) {
    r = zoneCheck(name, 1, { start: { address: lab.root, port: lab.port }, families: { ipv4: true, ipv6: false } });
    results.set(name, r);
  }
  return r;
}

const codesOf = (r: { problems: Array<{ code: string }> }) => [...new Set(r.problems.map((p) => p.code))].sort();

before(async () => {
  lab = await startDnsLab({ port: 0 });
  here = [`@${lab.root}`, '-p', String(lab.port), '+time=2'];
  // every case at once: the silent ones wait in parallel
  for (const c of DELEG_CASES) void check(c.name);
});
after(async () => {
  await lab.close();
});

for (const c of DELEG_CASES) {
  test(`+zone-check ${c.name}: ${c.expectedStatus}${c.expectedCodes.length ? ` with ${c.expectedCodes.join(', ')}` : ', no problem'} (${c.description})`, async () => {
    const r = await check(c.name);
    assert.deepEqual(codesOf(r), c.expectedCodes, JSON.stringify(r.problems, null, 1));
    assert.equal(r.status, c.expectedStatus);
    assert.equal(r.levels[0]!.zone, '.');
    assert.equal(r.levels[1]!.zone, 'test.');
    assert.equal(r.levels[r.levels.length - 1]!.zone, c.zone);
  });
}

test('+zone-check www.example.test: every server of ., test. and example.test. answers, with its serial, EDNS and TCP', async () => {
  const r = await check('www.example.test');
  assert.equal(r.complete, true);
  assert.deepEqual(r.levels.map((l) => [l.zone, l.next]), [['.', 'test.'], ['test.', 'example.test.'], ['example.test.', 'answer']]);
  const last = r.levels[2]!;
  assert.deepEqual(last.parentNs, ['ns1.example.test.', 'ns2.example.test.']);
  assert.deepEqual(last.childNs, ['ns1.example.test.', 'ns2.example.test.']);
  assert.deepEqual(last.glue, { 'ns1.example.test.': ['127.53.0.3'], 'ns2.example.test.': ['127.53.0.4'] });
  assert.deepEqual(last.servers.map((s) => [s.name, s.address, s.verdict, s.serial, s.edns, s.tcp, s.problems.length]), [
    ['ns1.example.test.', '127.53.0.3', 'answer', 2026112301, 'ok', 'ok', 0],
    ['ns2.example.test.', '127.53.0.4', 'answer', 2026112301, 'ok', 'ok', 0],
  ]);
  assert.equal(r.levels[1]!.servers[0]!.reply, 'referral to example.test.');
});

test('each broken server gets its own verdict and code, the good one beside it none', async () => {
  const server = async (name: string, address: string) => (await check(name)).levels.at(-1)!.servers.find((s) => s.address === address)!;
  const stale = await server('www.stale.test', D.stale);
  assert.deepEqual([stale.verdict, stale.serial, stale.problems], ['answer', DELEG_SERIALS.stale, ['SERIAL_MISMATCH']]);
  assert.deepEqual((await server('www.stale.test', D.good1)).problems, []);
  const noaa = await server('www.noaa.test', D.noaa);
  assert.deepEqual([noaa.verdict, noaa.reply, noaa.aa], ['lame', 'an answer without authority (no AA)', false]);
  const silent = await server('www.silent.test', D.silent);
  assert.deepEqual([silent.verdict, silent.reply, silent.problems], ['silent', 'timed out', ['SILENT_SERVER']]);
  const noedns = await server('www.noedns.test', D.noedns);
  assert.deepEqual([noedns.verdict, noedns.edns, noedns.tcp, noedns.serial], ['answer', 'broken', 'ok', DELEG_SERIALS.current]);
  const notcp = await server('www.notcp.test', D.notcp);
  assert.deepEqual([notcp.verdict, notcp.edns, notcp.tcp, notcp.serial], ['answer', 'ok', 'broken', DELEG_SERIALS.current]);
  const upward = await server('www.upward.test', lab.addresses.upward);
  assert.deepEqual([upward.verdict, upward.reply], ['upward', 'referral to test.']);
  const refused = await server('www.lame.test', lab.addresses.lame);
  assert.deepEqual([refused.verdict, refused.reply], ['lame', 'REFUSED']);
});

test('NS_MISMATCH and GLUE_MISMATCH say what differs', async () => {
  const ns = await check('www.nsdiff.test');
  const level = ns.levels.at(-1)!;
  assert.deepEqual(level.parentNs, ['ns1.nsdiff.test.', 'ns2.nsdiff.test.']);
  assert.deepEqual(level.childNs, ['ns1.nsdiff.test.']);
  assert.deepEqual(ns.problems.map((p) => p.message), ['the NS set of nsdiff.test. differs between the parent and the zone: only the parent lists ns2.nsdiff.test.']);
  const glue = await check('www.gluediff.test');
  assert.deepEqual(glue.problems.map((p) => [p.message, p.subject]), [[`the parent's glue for ns2.gluediff.test. is ${D.good2}, the zone's own A records ${D.good1}`, 'ns2.gluediff.test.']]);
});

test('no server of a zone answers: its problems are CRITICAL and the walk stops there', async () => {
  const r = await check('www.dead.test');
  assert.equal(r.complete, false);
  assert.equal(r.levels.at(-1)!.next, undefined);
  assert.deepEqual(r.problems.map((p) => [p.code, p.severity, p.subject]), [
    ['SILENT_SERVER', 'CRITICAL', `ns1.dead.test. (${lab.addresses.unbound})`],
    ['SILENT_SERVER', 'CRITICAL', `ns2.dead.test. (${lab.addresses.silent})`],
  ]);
});

test('+zone-check text: a table per zone, the problems, the status; exit 1 for a WARNING', async () => {
  const r = await digHere([...here, '+zone-check', 'www.stale.test']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^;; zone-check www\.stale\.test\. A: 3 zones, 4 server addresses, \d+ queries$/m);
  assert.match(r.stdout, /^;; stale\.test\.  parent NS: ns1\.stale\.test\., ns2\.stale\.test\.  zone NS: the same$/m);
  assert.match(r.stdout, /^SERVER +ADDRESS +VERDICT +SERIAL +TIME +EDNS +TCP +REPLY +PROBLEMS$/m);
  assert.match(r.stdout, /^ns2\.stale\.test\. +127\.53\.4\.3 +answer +2026112201 +\d+ ms +ok +ok +1 answer record +SERIAL_MISMATCH$/m);
  assert.match(r.stdout, /^;; WARNING SERIAL_MISMATCH: ns2\.stale\.test\. \(127\.53\.4\.3\) serves serial 2026112201 of stale\.test\., others 2026112301$/m);
  assert.match(r.stdout, /^;; Status: WARNING$/m);
});

test('+zone-check --json: zoneCheck.levels with the servers, problems at the top', async () => {
  const r = await digHere([...here, '+zone-check', 'www.notcp.test', '--json']);
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.status, 'WARNING');
  assert.deepEqual(doc.problems.map((p: { code: string }) => p.code), ['TCP_BROKEN']);
  assert.deepEqual(doc.zoneCheck.levels.map((l: { zone: string }) => l.zone), ['.', 'test.', 'notcp.test.']);
  const s = doc.zoneCheck.levels[2].servers.find((x: { address: string }) => x.address === D.notcp);
  assert.deepEqual([s.name, s.verdict, s.tcp, s.problems], ['ns2.notcp.test.', 'answer', 'broken', ['TCP_BROKEN']]);
  assert.equal(doc.zoneCheck.complete, true);
});

test('+nssearch example.test: one SOA line per server, as dig prints them; exit 0', async () => {
  const r = await digHere([...here, '+nssearch', 'example.test']);
  assert.equal(r.code, 0, r.stdout);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 2, r.stdout);
  assert.match(lines[0]!, /^SOA ns1\.example\.test\. hostmaster\.example\.test\. 2026112301 3600 900 604800 300 from server 127\.53\.0\.3 in \d+ ms\.$/);
  assert.match(lines[1]!, /^SOA ns1\.example\.test\. hostmaster\.example\.test\. 2026112301 3600 900 604800 300 from server 127\.53\.0\.4 in \d+ ms\.$/);
});

test('+nssearch stale.test: the older serial is a SERIAL_MISMATCH (WARNING, exit 1); JSON nssearch entries', async () => {
  const r = await digHere([...here, '+nssearch', 'stale.test', '--json']);
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.status, 'WARNING');
  assert.deepEqual(doc.nssearch.map((e: Record<string, unknown>) => [e.server, e.address, e.serial, e.authoritative, typeof e.timeMs]), [
    ['ns1.stale.test.', D.good1, DELEG_SERIALS.current, true, 'number'],
    ['ns2.stale.test.', D.stale, DELEG_SERIALS.stale, true, 'number'],
  ]);
  assert.equal(doc.nssearch[1].soa, `ns1.stale.test. hostmaster.stale.test. ${DELEG_SERIALS.stale} 3600 900 604800 300`);
  assert.deepEqual(doc.problems.map((p: { code: string; severity: string }) => [p.code, p.severity]), [['SERIAL_MISMATCH', 'WARNING']]);
});

test('+nssearch: a silent server is said as dig says it; none answering is CRITICAL', async () => {
  const silent = await nssearch('silent.test', { server: { address: lab.root, port: lab.port }, timeoutMs: 1000, families: { ipv4: true, ipv6: false } });
  assert.equal(silent.status, 'WARNING');
  assert.deepEqual(silent.nssearch.map((e) => [e.address, e.serial, e.error ?? null]), [[D.good1, DELEG_SERIALS.current, null], [D.silent, null, 'timed out']]);
  const dead = await digHere([...here, '+time=1', '+nssearch', 'dead.test']);
  assert.equal(dead.code, 2);
  assert.equal(dead.stdout, [
    `;; communications error to ${lab.addresses.unbound}#${lab.port}: connection refused`,
    `;; communications error to ${lab.addresses.silent}#${lab.port}: timed out`,
    ';; NS servers could not be reached',
    '',
  ].join('\n'));
});

test('+nssearch and +zone-check together are a usage error (exit 3)', async () => {
  const r = await digHere([...here, '+nssearch', '+zone-check', 'example.test']);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /\+nssearch and \+zone-check exclude each other/);
});

test('the binary: +zone-check exits 2 when no server of a zone answers, +nssearch 0 on a good zone', async () => {
  const [upward, good] = await Promise.all([
    runCli(['dig', ...here, '+zone-check', 'www.upward.test']),
    runCli(['dig', ...here, '+nssearch', 'example.test', '--json']),
  ]);
  assert.equal(upward.code, 2, upward.stderr);
  assert.match(upward.stdout, /^;; CRITICAL UPWARD_REFERRAL: ns1\.upward\.test\. \(127\.53\.0\.7\) is lame for upward\.test\.: upward referral to test\.$/m);
  assert.equal(good.code, 0, good.stderr);
  assert.equal(JSON.parse(good.stdout).nssearch.length, 2);
});

test('a parent and its child on the same servers: the walk goes down to the child, and says the delegation is hidden', async () => {
  const r = await check('www.sub.hidden.test');
  assert.equal(r.complete, true);
  assert.deepEqual(r.levels.map((l) => [l.zone, l.next]), [['.', 'test.'], ['test.', 'hidden.test.'], ['hidden.test.', 'sub.hidden.test.'], ['sub.hidden.test.', 'answer']]);
  assert.deepEqual(r.levels[3]!.parentNs, ['ns1.hidden.test.', 'ns2.hidden.test.']);
  assert.deepEqual(r.levels[3]!.servers.map((s) => [s.address, s.verdict, s.serial]), [[D.good1, 'answer', DELEG_SERIALS.current], [D.good2, 'answer', DELEG_SERIALS.current]]);
  assert.deepEqual(r.notes?.map((n) => [n.code, n.subject]), [['HIDDEN_DELEGATION', 'sub.hidden.test.']]);
});
