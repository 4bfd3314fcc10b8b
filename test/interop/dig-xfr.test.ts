/**
 * issue 14: zone transfers and TSIG, netlab dig against BIND dig on the same servers. A BIND
 * named (9.18) on 127.82.0.1 (an alias put on lo; 127.0.0.1 when that cannot be done) serves
 * a zone of 3,000 records open to transfers (several messages), the same zone behind `allow-transfer
 * { key "k"; }`, and a zone with `ixfr-from-differences` whose journal a reload fills: the
 * records, their order and the XFR size line must be equal; with the key (-y and -k) both
 * succeed, without it both print "Transfer failed.". Then the lab's transfers, which BIND dig must
 * read (and, for xfr.test., verify) as netlab does. Needs `dig` and `named` (bind9-dnsutils, bind9).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../src/lab/index.js';
import { runCli } from '../helpers/cli.js';
import { run, which } from '../helpers/tools.js';
import { addLoopbackAlias, NAMED_ADDR, startNamed, type Named } from '../helpers/named.js';

const DIG = which('dig');
const NAMED = which('named');
const SKIP = DIG && NAMED ? false : 'named or dig is not installed (apt-get install bind9 bind9-dnsutils)';
const ZONE_RECORDS = 3000;

let lab: Lab | undefined;
let named: Named | undefined;
let namedFailure = '';
let address = NAMED_ADDR;
let dir = '';
const secret = randomBytes(32).toString('base64');

function zoneFile(origin: string, serial: number, extra = ''): string {
  const lines = [`$TTL 300`, `@ IN SOA ns1.${origin}. hostmaster.${origin}. ${serial} 3600 900 604800 300`, `@ IN NS ns1`, `ns1 IN A 127.82.0.1`,
    `@ IN MX 10 mail`, `mail IN A 192.0.2.25`, `@ IN TXT "zone transfer interop"`, `www IN AAAA 2001:db8::80`];
  for (let i = 0; i < ZONE_RECORDS - 7; i++) lines.push(`h${i} IN A 192.0.2.${i % 250}`);
  return `${lines.join('\n')}\n${extra}`;
}

before(async () => {
  if (DIG) lab = await startLab({ port: 0 });
  if (!DIG || !NAMED) return;
  if (await addLoopbackAlias('127.82.0.1')) address = '127.82.0.1';
  dir = mkdtempSync(join(tmpdir(), 'netlab-named-xfr-'));
  writeFileSync(join(dir, 'db.open'), zoneFile('open.xfr.test', 1));
  writeFileSync(join(dir, 'db.keyed'), zoneFile('keyed.xfr.test', 1));
  writeFileSync(join(dir, 'db.ixfr'), zoneFile('ixfr.xfr.test', 1));
  writeFileSync(join(dir, 'k.key'), `key "k" {\n\talgorithm hmac-sha256;\n\tsecret "${secret}";\n};\n`);
  const started = await startNamed({
    named: NAMED,
    dir,
    address,
    zones: () => `include "${dir}/k.key";
zone "open.xfr.test" { type primary; file "${dir}/db.open"; allow-transfer { 127.0.0.0/8; }; };
zone "keyed.xfr.test" { type primary; file "${dir}/db.keyed"; allow-transfer { key "k"; }; };
zone "ixfr.xfr.test" { type primary; file "${dir}/db.ixfr"; ixfr-from-differences yes; allow-transfer { 127.0.0.0/8; }; };`,
  });
  if ('failure' in started) namedFailure = started.failure;
  else named = started;
});

after(async () => {
  await lab?.close();
  await named?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const namedLog = () => `\n--- named log (tail) ---\n${named?.log().slice(-2000) ?? namedFailure}`;
const records = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith(';'));
const sizeLine = (text: string) => /;; XFR size: .*/.exec(text)?.[0];

/** The same transfer through BIND dig and netlab dig (the binary). */
async function both(server: string, port: number, args: string[]): Promise<{ bind: string; ours: string; code: number | null; stderr: string }> {
  const bind = await run(DIG!, [`@${server}`, '-p', String(port), ...args]);
  const ours = await runCli(['dig', `@${server}`, '-p', String(port), ...args], { timeoutMs: 60_000 });
  return { bind: bind.stdout, ours: ours.stdout, code: ours.code, stderr: ours.stderr };
}

test('AXFR from named: the same records in the same order and the same XFR size line as BIND dig', { skip: SKIP }, async () => {
  assert.ok(named, `named did not start${namedLog()}`);
  const r = await both(address, named.port, ['open.xfr.test', 'AXFR']);
  assert.equal(r.code, 0, r.stderr + namedLog());
  assert.equal(records(r.ours).length, ZONE_RECORDS + 1);
  assert.deepEqual(records(r.ours), records(r.bind));
  assert.equal(sizeLine(r.ours), sizeLine(r.bind));
  assert.match(sizeLine(r.ours)!, /messages [2-9]/); // several messages
});

test('AXFR of a zone that needs the key: with -y and -k both tools succeed alike, without it both fail', { skip: SKIP }, async () => {
  assert.ok(named, `named did not start${namedLog()}`);
  const noTsig = (t: string) => records(t).filter((l) => !/\tANY\tTSIG\t/.test(l));
  for (const key of [['-y', `hmac-sha256:k:${secret}`], ['-k', join(dir, 'k.key')]]) {
    const r = await both(address, named.port, [...key, 'keyed.xfr.test', 'AXFR']);
    assert.equal(r.code, 0, `${key[0]}: ${r.ours}${r.stderr}${namedLog()}`);
    assert.equal(noTsig(r.ours).length, ZONE_RECORDS + 1);
    assert.deepEqual(noTsig(r.ours), noTsig(r.bind), key[0]);
    // as many TSIG records, and the same counts (the TSIG records are as long in both)
    assert.equal(records(r.ours).length, records(r.bind).length, key[0]);
    assert.equal(sizeLine(r.ours), sizeLine(r.bind), key[0]);
  }
  // a plain query signed with the key: named signs its answer, netlab verifies it (exit 0) and shows it as dig does
  const plain = await both(address, named.port, ['-k', join(dir, 'k.key'), 'www.keyed.xfr.test', 'AAAA']);
  assert.equal(plain.code, 0, plain.ours);
  const stable = (t: string) => t.split('\n').filter((l) => !/^; <<>>|id: \d+|Query time|WHEN|COOKIE|MSG SIZE/.test(l)).map((l) => l.replace(/TSIG\thmac-sha256\. .*/, 'TSIG'));
  assert.deepEqual(stable(plain.ours), stable(plain.bind));
  assert.match(plain.ours, /;; TSIG PSEUDOSECTION:\nk\.\t+0\tANY\tTSIG\thmac-sha256\. \d+ 300 32 /);
  const refused = await both(address, named.port, ['keyed.xfr.test', 'AXFR']);
  assert.equal(refused.code, 2);
  assert.match(refused.bind, /; Transfer failed\./);
  assert.match(refused.ours, /\n; Transfer failed\.\n$/);
  // a wrong secret: named answers NOTAUTH with BADSIG; both print its TSIG record and fail
  const wrong = await both(address, named.port, ['-y', `hmac-sha256:k:${randomBytes(32).toString('base64')}`, 'keyed.xfr.test', 'AXFR']);
  assert.equal(wrong.code, 2);
  const tsigLine = (t: string) => records(t).map((l) => l.replace(/ \d+ 300 0 \d+ /, ' T 300 0 ID '));
  assert.deepEqual(tsigLine(wrong.ours), tsigLine(wrong.bind));
  assert.match(wrong.ours, /BADSIG 0 \n; Transfer failed\.\n$/);
});

test('IXFR from named after a reload with ixfr-from-differences: the same difference sequence as BIND dig, and the single SOA when up to date', { skip: SKIP }, async () => {
  assert.ok(named, `named did not start${namedLog()}`);
  writeFileSync(join(dir, 'db.ixfr'), zoneFile('ixfr.xfr.test', 2, 'new IN A 192.0.2.200\n').replace('h0 IN A 192.0.2.0\n', ''));
  const pid = Number(readFileSync(join(dir, 'named.pid'), 'utf8').trim());
  process.kill(pid, 'SIGHUP'); // reload: named computes the difference into the journal
  for (let i = 0; i < 100 && !/zone ixfr\.xfr\.test\/IN: loaded serial 2/.test(named.log()); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(named.log(), /loaded serial 2/, namedLog());
  const inc = await both(address, named.port, ['ixfr.xfr.test', 'IXFR=1']);
  assert.equal(inc.code, 0, inc.stderr + namedLog());
  assert.deepEqual(records(inc.ours), records(inc.bind));
  assert.equal(sizeLine(inc.ours), sizeLine(inc.bind));
  // SOA 2, SOA 1, the deleted h0, SOA 2, the added new, SOA 2
  assert.equal(records(inc.ours).length, 6, inc.ours);
  const json = JSON.parse((await runCli(['dig', `@${address}`, '-p', String(named.port), 'ixfr.xfr.test', 'IXFR=1', '--json'])).stdout);
  assert.equal(json.xfr.kind, 'incremental');
  const same = await both(address, named.port, ['ixfr.xfr.test', 'IXFR=2']);
  assert.deepEqual(records(same.ours), records(same.bind));
  assert.equal(records(same.ours).length, 1);
});

test('the lab\'s transfers read by BIND dig as by netlab: example.test. open, xfr.test. with the key file', { skip: DIG ? false : 'dig is not installed' }, async () => {
  const open = await both(lab!.dns.addresses.ns1Example, lab!.port, ['example.test', 'AXFR']);
  assert.equal(open.code, 0, open.stderr);
  assert.deepEqual(records(open.ours), records(open.bind));
  assert.equal(sizeLine(open.ours), sizeLine(open.bind));
  const keyed = await both(lab!.dns.addresses.xfr, lab!.port, ['-k', lab!.dns.xfrKeyFile, 'xfr.test', 'AXFR']);
  assert.equal(keyed.code, 0, keyed.stderr);
  // BIND dig verified the lab's signatures (else it would say so and stop): the same records
  assert.doesNotMatch(keyed.bind, /Couldn't verify|Transfer failed/);
  const noTsig = (t: string) => records(t).filter((l) => !/\tANY\tTSIG\t/.test(l));
  assert.deepEqual(noTsig(keyed.ours), noTsig(keyed.bind));
  assert.equal(sizeLine(keyed.ours), sizeLine(keyed.bind));
  const refused = await both(lab!.dns.addresses.xfr, lab!.port, ['xfr.test', 'AXFR']);
  assert.match(refused.bind, /; Transfer failed\./);
  assert.equal(refused.code, 2);
});
