/**
 * +trace through the lab's DNS hierarchy (started once): root, test., example.test., and the
 * broken delegations (glueless, lame, slow, dead, upward). In this process through the
 * command (test/helpers/dig.ts) and the library (trace, lookup); one spawn of the binary.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsLab, type DnsLab } from '../../src/lab/dns/index.js';
import { trace } from '../../src/protocol/dns/trace.js';
import { lookup } from '../../src/protocol/dns/lookup.js';
import { renderDigResult } from '../../src/commands/dig/render.js';
import { parseDigArgs } from '../../src/commands/dig/options.js';
import { exitCodeFor } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { digHere } from '../helpers/dig.js';

let lab: DnsLab;
let root: string[];
/** The same for digHere, which takes the arguments after `dig`. */
let here: string[];
before(async () => {
  lab = await startDnsLab({ port: 0 });
  here = [`@${lab.addresses.root}`, '-p', String(lab.port), '+trace'];
  root = ['dig', ...here];
});
after(async () => {
  await lab.close();
});

test('+trace follows root -> test. -> example.test. and prints each hop as dig does', async () => {
  const r = await runCli([...root, 'www.example.test']);
  assert.equal(r.code, 0, r.stderr);
  const hops = r.stdout.split(/\n\n/).filter((b) => b.includes(';; Received'));
  assert.equal(hops.length, 4);
  assert.match(hops[0]!, /^\.\t\t\t518400\tIN\tNS\ta\.root\.test\.\n;; Received \d+ bytes from 127\.53\.0\.1#\d+\(127\.53\.0\.1\) in \d+ ms$/m);
  assert.match(hops[1]!, /^test\.\t\t\t172800\tIN\tNS\tns1\.nic\.test\.\n;; Received \d+ bytes from 127\.53\.0\.1#\d+\(a\.root\.test\) in \d+ ms/m);
  assert.match(hops[2]!, /example\.test\.\t\t172800\tIN\tNS\tns1\.example\.test\.\nexample\.test\.\t\t172800\tIN\tNS\tns2\.example\.test\.\n;; Received \d+ bytes from 127\.53\.0\.2#\d+\(ns1\.nic\.test\)/);
  assert.match(hops[3]!, /www\.example\.test\.\t300\tIN\tA\t192\.0\.2\.10\n;; Received \d+ bytes from 127\.53\.0\.[34]#\d+\(ns[12]\.example\.test\)/);
});

test('+trace --json lists every hop with zone, server, serverName, timeMs and records', async () => {
  const r = await digHere([...here, 'www.example.test', '--json']);
  assert.equal(r.code, 0);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.hops.map((h: { zone: string }) => h.zone), ['.', '.', 'test.', 'example.test.']);
  for (const h of doc.hops) {
    assert.equal(typeof h.timeMs, 'number');
    assert.match(h.server, /^127\.53\.0\.\d+$/);
    assert.ok(Array.isArray(h.records));
  }
  assert.equal(doc.rcode, 'NOERROR');
  assert.equal(doc.answer[0].data, '192.0.2.10');
});

test('+trace resolves a glueless NS name itself, from the root', async () => {
  const r = await digHere([...here, 'www.glueless.test']);
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /;; Resolved glueless ns\.glueless-host\.example\.test\. -> 127\.53\.0\.5/);
  assert.match(r.stdout, /www\.glueless\.test\.\t300\tIN\tA\t192\.0\.2\.51/);
});

test('+trace skips a lame server (REFUSED), says so, and gets the answer from the next', async () => {
  const r = await digHere([...here, 'www.lame.test']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /;; Skipped ns1\.lame\.test\. \(127\.53\.0\.6#\d+\): REFUSED/);
  assert.match(r.stdout, /www\.lame\.test\.\t\t300\tIN\tA\t192\.0\.2\.60/);
});

test('+trace races past a silent server: the next one answers, the silent one is named', async () => {
  const r = await digHere([...here, 'www.slow.test']);
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /;; Skipped ns1\.slow\.test\. \(127\.53\.0\.8#\d+\): no reply in \d+ ms; another server answered first/);
  assert.match(r.stdout, /www\.slow\.test\.\t\t300\tIN\tA\t192\.0\.2\.70/);
});

test('+trace into dead servers fails with exit 2, naming each server and why', async () => {
  // one trace, shown as text and as JSON: the renderer and the document come from the same result
  const result = await lookup({ name: 'www.dead.test', trace: true, server: lab.addresses.root, port: lab.port });
  assert.equal(result.status, 'CRITICAL');
  assert.deepEqual(result.problems.map((p) => p.code), ['TRACE_INCOMPLETE']);
  const text = renderDigResult(result, 0, parseDigArgs([...here, 'www.dead.test']), '0.0.0', 'UTC');
  assert.match(text, /;; Skipped ns1\.dead\.test\. \(127\.53\.0\.9#\d+\): connection refused/);
  assert.match(text, /;; Skipped ns2\.dead\.test\. \(127\.53\.0\.8#\d+\): no reply in \d+ ms/);
  assert.match(text, /;; trace failed: no server for dead\.test\. answered usefully/);
  // in JSON the last hop is `unanswered`, with no server and every server tried in `skipped`
  const last = (JSON.parse(JSON.stringify(result)) as typeof result).hops!.at(-1)!;
  assert.deepEqual({ zone: last.zone, kind: last.kind, server: last.server }, { zone: 'dead.test.', kind: 'unanswered', server: '' });
  assert.deepEqual(last.skipped.map((s) => s.serverName).sort(), ['ns1.dead.test.', 'ns2.dead.test.']);
  assert.equal(exitCodeFor(result.status), 2);
});

test('+trace detects an upward referral as lame and fails with exit 2', async () => {
  const r = await digHere([...here, 'www.upward.test']);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /upward referral to test\. \(lame\)/);
});

test('+trace of a name that does not exist ends at NXDOMAIN from the authority, exit 2', async () => {
  const r = await digHere([...here, 'nope.example.test']);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /example\.test\.\t\t3600\tIN\tSOA/);
});

test('+trace -x follows in-addr.arpa delegations to the PTR', async () => {
  const r = await digHere([...here, '-x', '192.0.2.10']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /10\.2\.0\.192\.in-addr\.arpa\. 300\tIN\tPTR\twww\.example\.test\./);
});

test('+trace -x for IPv6 follows ip6.arpa delegations to the PTR', async () => {
  const r = await digHere([...here, '-x', '2001:db8::10']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /ip6\.arpa\. 300 IN PTR www\.example\.test\./);
});

test('trace() gives up on a query budget, without throwing', async () => {
  const r = await trace('www.dead.test', 1, { start: { address: lab.addresses.root, port: lab.port }, maxQueries: 3, timeoutMs: 300, hedgeMs: 100 });
  assert.equal(r.complete, false);
  assert.equal(r.status, 'CRITICAL');
  assert.deepEqual(r.problems.map((p) => [p.code, p.severity, p.message]), [['TRACE_INCOMPLETE', 'CRITICAL', `trace failed: ${r.error}`]]);
  assert.ok(r.queries <= 3);
  // the server that could not be asked is skipped for the budget, not for a timeout it never had
  assert.ok(r.hops.some((h) => h.skipped.some((s) => s.reason === 'query budget of 3 spent')), JSON.stringify(r.hops.map((h) => h.skipped)));
});

test('trace() reports the skipped servers per hop as data, with status OK once it reached the answer', async () => {
  const r = await trace('www.lame.test', 1, { start: { address: lab.addresses.root, port: lab.port } });
  assert.equal(r.complete, true);
  assert.deepEqual([r.status, r.problems], ['OK', []]);
  const last = r.hops[r.hops.length - 1]!;
  assert.equal(last.kind, 'answer');
  assert.deepEqual(last.skipped, [{ serverName: 'ns1.lame.test.', address: '127.53.0.6', reason: 'REFUSED' }]);
});

test('trace() stopped by its signal: status UNKNOWN, interrupted, the hops so far', async () => {
  const controller = new AbortController();
  const pending = trace('www.dead.test', 1, { start: { address: lab.addresses.root, port: lab.port }, timeoutMs: 5000, signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  const r = await pending;
  assert.deepEqual([r.status, r.interrupted, r.complete, r.problems], ['UNKNOWN', true, false, []]);
  assert.ok(r.hops.length >= 1, 'the root hop came before the dead servers');
});
