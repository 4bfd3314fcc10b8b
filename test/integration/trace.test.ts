import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from '../../src/lab/index.js';
import { trace } from '../../src/protocol/dns/trace.js';
import { runCli } from '../helpers/cli.js';

let lab: Lab;
let root: string[];
before(async () => {
  lab = await startLab({ port: 0 });
  root = ['dig', `@${lab.dns.addresses.root}`, '-p', String(lab.port), '+trace'];
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
  const r = await runCli([...root, 'www.example.test', '--json']);
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
  const r = await runCli([...root, 'www.glueless.test']);
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /;; Resolved glueless ns\.glueless-host\.example\.test\. -> 127\.53\.0\.5/);
  assert.match(r.stdout, /www\.glueless\.test\.\t300\tIN\tA\t192\.0\.2\.51/);
});

test('+trace skips a lame server (REFUSED), says so, and gets the answer from the next', async () => {
  const r = await runCli([...root, 'www.lame.test']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /;; Skipped ns1\.lame\.test\. \(127\.53\.0\.6#\d+\): REFUSED/);
  assert.match(r.stdout, /www\.lame\.test\.\t\t300\tIN\tA\t192\.0\.2\.60/);
});

test('+trace races past a silent server: the next one answers, the silent one is named', async () => {
  const r = await runCli([...root, 'www.slow.test']);
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /;; Skipped ns1\.slow\.test\. \(127\.53\.0\.8#\d+\): no reply in \d+ ms; another server answered first/);
  assert.match(r.stdout, /www\.slow\.test\.\t\t300\tIN\tA\t192\.0\.2\.70/);
});

test('+trace into dead servers fails with exit 2, naming each server and why', async () => {
  const r = await runCli([...root, 'www.dead.test'], { timeoutMs: 15_000 });
  assert.equal(r.code, 2);
  assert.match(r.stdout, /;; Skipped ns1\.dead\.test\. \(127\.53\.0\.9#\d+\): connection refused/);
  assert.match(r.stdout, /;; Skipped ns2\.dead\.test\. \(127\.53\.0\.8#\d+\): no reply in \d+ ms/);
  assert.match(r.stdout, /;; trace failed: no server for dead\.test\. answered usefully/);
  // in JSON the last hop is `unanswered`, with no server and every server tried in `skipped`
  const j = await runCli([...root, 'www.dead.test', '--json'], { timeoutMs: 15_000 });
  assert.equal(j.code, 2);
  const last = JSON.parse(j.stdout).hops.at(-1);
  assert.deepEqual({ zone: last.zone, kind: last.kind, server: last.server }, { zone: 'dead.test.', kind: 'unanswered', server: '' });
  assert.deepEqual(last.skipped.map((s: { serverName: string }) => s.serverName).sort(), ['ns1.dead.test.', 'ns2.dead.test.']);
});

test('+trace detects an upward referral as lame and fails with exit 2', async () => {
  const r = await runCli([...root, 'www.upward.test']);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /upward referral to test\. \(lame\)/);
});

test('+trace of a name that does not exist ends at NXDOMAIN from the authority, exit 2', async () => {
  const r = await runCli([...root, 'nope.example.test']);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /example\.test\.\t\t3600\tIN\tSOA/);
});

test('+trace -x follows in-addr.arpa delegations to the PTR', async () => {
  const r = await runCli([...root, '-x', '192.0.2.10']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /10\.2\.0\.192\.in-addr\.arpa\. 300\tIN\tPTR\twww\.example\.test\./);
});

test('+trace -x for IPv6 follows ip6.arpa delegations to the PTR', async () => {
  const r = await runCli([...root, '-x', '2001:db8::10']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /ip6\.arpa\. 300 IN PTR www\.example\.test\./);
});

test('trace() gives up on a query budget, without throwing', async () => {
  const r = await trace('www.dead.test', 1, { start: { address: lab.dns.addresses.root, port: lab.port }, maxQueries: 3, timeoutMs: 300, hedgeMs: 100 });
  assert.equal(r.complete, false);
  assert.ok(r.queries <= 3);
  // the server that could not be asked is skipped for the budget, not for a timeout it never had
  assert.ok(r.hops.some((h) => h.skipped.some((s) => s.reason === 'query budget of 3 spent')), JSON.stringify(r.hops.map((h) => h.skipped)));
});

test('trace() reports the skipped servers per hop as data', async () => {
  const r = await trace('www.lame.test', 1, { start: { address: lab.dns.addresses.root, port: lab.port } });
  assert.equal(r.complete, true);
  const last = r.hops[r.hops.length - 1]!;
  assert.equal(last.kind, 'answer');
  assert.deepEqual(last.skipped, [{ serverName: 'ns1.lame.test.', address: '127.53.0.6', reason: 'REFUSED' }]);
});
