/**
 * issue 14: netlab dig's +subnet (EDNS Client Subnet) and +cookie against the lab's GSLB on
 * 127.53.3.1: the edge per region by ECS and by source address, the scope shown, the cookie
 * round trip and a BADCOOKIE asked again, bad +subnet exit 3. One lab for the file; the
 * library in process, the binary spawned for the text and the exit codes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
// only the DNS part of the lab (the GSLB is one of its servers): no lab PKI, TLS, HTTP or LB to start
import { startDnsLab, type DnsLab } from '../../src/lab/dns/index.js';
import { lookup } from '../../src/protocol/dns/lookup.js';
import { parseClientSubnet } from '../../src/protocol/dns/edns-options.js';
import { GSLB_ADDRESS } from '../../src/lab/dns/gslb.js';
import { runCli } from '../helpers/cli.js';
import { digHere } from '../helpers/dig.js';

let lab: { dns: DnsLab; port: number; close(): Promise<void> };
before(async () => {
  const dns = await startDnsLab({ port: 0 });
  lab = { dns, port: dns.port, close: () => dns.close() };
});
after(async () => {
  await lab?.close();
});

const ask = (name: string, type: string, edns: Parameters<typeof lookup>[0]['edns']) =>
  lookup({ name, type, server: GSLB_ADDRESS, port: lab.port, edns, timeoutMs: 2000, tries: 2 });

test('GSLB by client subnet: each region its edge, the ECS echoed with the region prefix as scope', async () => {
  for (const [subnet, edge, scope] of [
    ['198.51.100.0/24', '127.55.0.4', 24],
    ['198.51.100.200', '127.55.0.4', 24],
    ['203.0.113.0/24', '127.55.0.3', 24],
    ['2001:db8:100::/56', '127.55.0.4', 48],
    ['192.0.2.0/24', '127.55.0.2', 6],
    ['0', '127.55.0.2', 0],
  ] as const) {
    const s = parseClientSubnet(subnet);
    const r = await ask('www.gslb.test', 'A', { subnet: s });
    assert.equal(r.status, 'OK', subnet);
    assert.deepEqual(r.answer.map((a) => [a.name, a.ttl, a.data]), [['www.gslb.test.', 60, edge]], subnet);
    const ecs = r.edns!.options.filter((o) => o.code === 8);
    assert.deepEqual(ecs.map((o) => [o.family, o.address, o.sourcePrefix, o.scopePrefix]), [[s.family, s.address, s.sourcePrefix, scope]], subnet);
  }
});

test('GSLB by source address: no ECS, the query from 127.0.0.1 lands on the default edge; where.gslb.test says why', async () => {
  const r = await ask('www.gslb.test', 'A', {});
  assert.deepEqual(r.answer.map((a) => a.data), ['127.55.0.2']);
  assert.equal(r.edns!.options.filter((o) => o.code === 8).length, 0, 'no ECS asked, none answered');
  const where = await ask('where.gslb.test', 'TXT', {});
  assert.deepEqual(where.answer.map((a) => a.data), ['"default" "edge 127.55.0.2" "by source address 127.0.0.1" "scope /1"']);
  const north = await ask('where.gslb.test', 'TXT', { subnet: parseClientSubnet('198.51.100.0/24') });
  assert.deepEqual(north.answer.map((a) => a.data), ['"north" "edge 127.55.0.4" "by client subnet 198.51.100.0/24" "scope /24"']);
});

test('the GSLB is delegated from test.: +trace reaches it and gets the tailored answer', async () => {
  const r = await lookup({ name: 'www.gslb.test', server: lab.dns.root, port: lab.port, trace: true, edns: { subnet: parseClientSubnet('203.0.113.0/24') } });
  assert.equal(r.status, 'OK', r.error);
  // the root's NS set, then the referrals . -> test. -> gslb.test.
  assert.deepEqual(r.hops!.map((h) => h.zone), ['.', '.', 'test.', 'gslb.test.']);
  assert.deepEqual(r.answer.map((a) => a.data), ['127.55.0.3']);
});

test('cookie round trip: our client cookie comes back with a server cookie (good); a stale server cookie gets BADCOOKIE and one retry', async () => {
  const r = await ask('www.gslb.test', 'A', { cookie: true });
  const c = r.edns!.options.find((o) => o.code === 10)!;
  assert.equal(c.verdict, 'good');
  assert.equal(c.client!.length, 16);
  assert.equal(c.server!.length, 32);
  // sent again with the server cookie it gave: still good, no retry
  const again = await ask('www.gslb.test', 'A', { cookie: { client: c.client!, server: c.server! } });
  assert.equal(again.badCookieRetry, undefined);
  assert.equal(again.edns!.options.find((o) => o.code === 10)!.verdict, 'good');
  // a server cookie the server did not make: BADCOOKIE, then asked again with the fresh one
  const stale = await ask('www.gslb.test', 'A', { cookie: { client: '0102030405060708', server: '01000000' + '00'.repeat(12) } });
  assert.equal(stale.badCookieRetry, true);
  assert.equal(stale.rcode, 'NOERROR');
  assert.deepEqual(stale.answer.map((a) => a.data), ['127.55.0.2']);
  // a server without cookies (ns1.example.test) never echoes one: no COOKIE option, no verdict
  const plain = await lookup({ name: 'www.example.test', server: lab.dns.addresses.ns1Example, port: lab.port, edns: { cookie: true } });
  assert.equal(plain.edns!.options.filter((o) => o.code === 10).length, 0);
});

test('netlab dig text: CLIENT-SUBNET and COOKIE in the OPT pseudosection as BIND dig prints them; BADCOOKIE said', async () => {
  const r = await runCli(['dig', `@${GSLB_ADDRESS}`, '-p', String(lab.port), 'www.gslb.test', '+subnet=198.51.100.7/24', '+cookie=0102030405060708' + 'ff'.repeat(16)]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^;; BADCOOKIE, retrying\.$/m);
  assert.match(r.stdout, /^; COOKIE: 0102030405060708[0-9a-f]{32} \(good\)$/m);
  assert.match(r.stdout, /^; CLIENT-SUBNET: 198\.51\.100\.0\/24\/24$/m);
  assert.match(r.stdout, /^www\.gslb\.test\.\t\t60\tIN\tA\t127\.55\.0\.4$/m);
  // issue 10.7: the binary once for this file (the text above); the JSON in process, through the same parseArgv and run
  const j = await digHere([`@${GSLB_ADDRESS}`, '-p', String(lab.port), 'www.gslb.test', '+subnet=2001:db8:113::/48', '+nocookie', '--json']);
  assert.equal(j.code, 0, j.stderr);
  const doc = JSON.parse(j.stdout) as { answer: Array<{ data: string }>; edns: { options: Array<Record<string, unknown>> } };
  assert.deepEqual(doc.answer.map((a) => a.data), ['127.55.0.3']);
  assert.deepEqual(doc.edns.options, [{ code: 8, name: 'CLIENT-SUBNET', hex: '000230302001' + '0db80113', family: 2, address: '2001:db8:113::', sourcePrefix: 48, scopePrefix: 48 }]);
});

test('bad +subnet or +cookie: one line, exit 3, nothing sent', async () => {
  // the other bad forms are parser cases in test/unit/edns-options.test.ts
  // in process (test/helpers/dig.ts: the line and exit code src/cli.ts gives a NetlabError), not a spawn per case
  for (const [arg, why] of [['+subnet=198.51.100.7/33', /over 32/], ['+subnet=not-an-address', /invalid address/]] as const) {
    const r = await digHere([`@${GSLB_ADDRESS}`, '-p', String(lab.port), 'www.gslb.test', arg]);
    assert.equal(r.code, 3, arg);
    assert.equal(r.stdout, '', arg);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, why);
  }
});
