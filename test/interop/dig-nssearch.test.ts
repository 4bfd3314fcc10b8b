/**
 * issue 14: `netlab dig +nssearch` and `+zone-check` against BIND 9.18 named, and `+nssearch`
 * side by side with BIND's dig. One named with three views, one per loopback address
 * (127.84.0.1-3, added to lo as shared/RECIPES.md section 1 does: named binds only to
 * addresses that exist): the primary of zc.test (serial 2026112302), a stale copy of it
 * (2026112301), and a root that delegates zc.test to both. The zone's NS names are written as
 * addresses (`127.84.0.1.`), because dig +nssearch finds its servers' addresses through the
 * system resolver (getaddrinfo), which knows nothing of loopback zones, and takes such a name
 * as the address itself (bind9_getaddresses); netlab does the same. Then dig +nssearch against
 * the lab's own DNS server (src/lab/dns/server.ts on 127.53.5.x), with a stale and a silent
 * server. Needs `dig` and `named` (bind9-dnsutils, bind9) and root (for the aliases).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { run, which } from '../helpers/tools.js';
import { startNamed, type Named } from '../helpers/named.js';
import { LabDnsServer } from '../../src/lab/dns/server.js';
import { makeRecord, type RecordData } from '../../src/protocol/dns/rdata.js';
import { freeDnsPort } from '../helpers/named.js';

const DIG = which('dig');
const NAMED = which('named');
const IP = which('ip');
const ADDRS = ['127.84.0.1', '127.84.0.2', '127.84.0.3'];
const LAB_ADDRS = ['127.53.5.1', '127.53.5.2', '127.53.5.3'];

/** Add the loopback aliases (root); the reason when they cannot be added. */
function aliases(list: string[]): string | undefined {
  if (!IP) return 'no ip(8) to add loopback aliases';
  try {
    for (const a of list) execFileSync(IP, ['addr', 'replace', `${a}/32`, 'dev', 'lo'], { stdio: 'ignore', timeout: 5000 });
    return undefined;
  } catch {
    return `cannot add ${list.join(', ')} to lo (needs root): named binds only to existing addresses`;
  }
}

const skip = !DIG ? 'dig is not installed (bind9-dnsutils)' : !NAMED ? 'named is not installed (bind9)' : aliases(ADDRS);
const labSkip = !DIG ? 'dig is not installed (bind9-dnsutils)' : aliases(LAB_ADDRS);
let named: Named | undefined;
let failure = '';
let dir = '';
const labServers: LabDnsServer[] = [];
let labPort = 0;

function zoneFile(serial: number): string {
  return `$TTL 300
@       IN SOA  ns1.zc.test. hostmaster.zc.test. ( ${serial} 3600 900 604800 300 )
        IN NS   127.84.0.1.
        IN NS   127.84.0.2.
www     IN A    192.0.2.10
`;
}

before(async () => {
  if (!labSkip) {
    // the lab's server: literal.test. on two servers, the second stale, and a silent third
    labPort = await freeDnsPort(LAB_ADDRS[0]);
    const rr = (name: string, rdata: RecordData) => makeRecord(name, 300, rdata);
    const zone = (serial: number) => ({
      origin: 'literal.test.',
      records: [
        rr('literal.test', { type: 'SOA', mname: 'ns1.literal.test.', rname: 'hostmaster.literal.test.', serial, refresh: 3600, retry: 900, expire: 604800, minimum: 300 }),
        ...LAB_ADDRS.map((a) => rr('literal.test', { type: 'NS', target: `${a}.` })),
      ],
    });
    labServers.push(
      new LabDnsServer({ address: LAB_ADDRS[0]!, port: labPort, zones: [zone(2026112302)] }),
      new LabDnsServer({ address: LAB_ADDRS[1]!, port: labPort, zones: [zone(2026112301)] }),
      new LabDnsServer({ address: LAB_ADDRS[2]!, port: labPort, zones: [], behaviour: 'silent' }),
    );
    for (const s of labServers) await s.start();
  }
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'netlab-nssearch-'));
  writeFileSync(join(dir, 'zc.db'), zoneFile(2026112302));
  writeFileSync(join(dir, 'zc-old.db'), zoneFile(2026112301));
  writeFileSync(join(dir, 'root.db'), `$TTL 300
.            IN SOA  127.84.0.3. hostmaster.zc.test. ( 1 3600 900 604800 300 )
.            IN NS   127.84.0.3.
127.84.0.3.  IN A    127.84.0.3
zc.test.     IN NS   127.84.0.1.
zc.test.     IN NS   127.84.0.2.
127.84.0.1.  IN A    127.84.0.1
127.84.0.2.  IN A    127.84.0.2
`);
  const started = await startNamed({
    named: NAMED!,
    dir,
    // port 53 on the three aliases (dig's -p would apply to every server alike)
    options: `  recursion no; check-names primary ignore;\n  listen-on port 53 { ${ADDRS.join('; ')}; };`,
    zones: () => `
view primary { match-destinations { 127.84.0.1; }; zone "zc.test" { type primary; file "${dir}/zc.db"; }; };
view stale { match-destinations { 127.84.0.2; }; zone "zc.test" { type primary; file "${dir}/zc-old.db"; }; };
view root { match-destinations { 127.84.0.3; }; zone "." { type primary; file "${dir}/root.db"; }; };
view other { match-clients { any; }; };
`,
  });
  if ('failure' in started) failure = started.failure;
  else named = started;
});

after(async () => {
  await named?.stop();
  await Promise.all(labServers.map((s) => s.close()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The SOA lines, the time made 0 and sorted (dig prints them as they arrive). */
function soaLines(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('SOA ')).map((l) => l.replace(/ in \d+ ms\.$/, ' in 0 ms.')).sort();
}

test('dig +nssearch and netlab dig +nssearch against named: the same servers and serials', { skip }, async () => {
  assert.ok(named, `named did not start:\n${failure}`);
  const args = ['@127.84.0.1', '-p', '53', '+nssearch', '+time=2', '+tries=1', 'zc.test'];
  const bind = await run(DIG!, args);
  const ours = await runCli(['dig', ...args]);
  assert.equal(bind.code, 0, bind.stderr);
  const expected = [
    'SOA ns1.zc.test. hostmaster.zc.test. 2026112301 3600 900 604800 300 from server 127.84.0.2 in 0 ms.',
    'SOA ns1.zc.test. hostmaster.zc.test. 2026112302 3600 900 604800 300 from server 127.84.0.1 in 0 ms.',
  ];
  assert.deepEqual(soaLines(bind.stdout), expected, bind.stdout);
  assert.deepEqual(soaLines(ours.stdout), expected, ours.stdout);
  // what dig leaves to the reader: the older serial is a WARNING (exit 1)
  assert.equal(ours.code, 1, ours.stderr);
  assert.match(ours.stdout, /^;; WARNING SERIAL_MISMATCH: 127\.84\.0\.2\. \(127\.84\.0\.2\) serves serial 2026112301 of zc\.test\., others 2026112302$/m);
});

test('netlab +zone-check from named\'s root flags the stale server with SERIAL_MISMATCH, and nothing else', { skip }, async () => {
  assert.ok(named, `named did not start:\n${failure}`);
  const r = await runCli(['dig', '@127.84.0.3', '-p', '53', '+zone-check', '+time=2', 'www.zc.test', '--json']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.problems.map((p: { code: string; subject: string }) => [p.code, p.subject]), [['SERIAL_MISMATCH', '127.84.0.2. (127.84.0.2)']]);
  assert.deepEqual(doc.zoneCheck.levels.map((l: { zone: string }) => l.zone), ['.', 'zc.test.']);
  const servers = doc.zoneCheck.levels[1].servers.map((s: Record<string, unknown>) => [s.address, s.verdict, s.serial, s.edns, s.tcp]).sort();
  assert.deepEqual(servers, [['127.84.0.1', 'answer', 2026112302, 'ok', 'ok'], ['127.84.0.2', 'answer', 2026112301, 'ok', 'ok']]);
});

test('dig +nssearch against the lab\'s DNS server gives what netlab gives: serials, and the silent one', { skip: labSkip }, async () => {
  const args = [`@${LAB_ADDRS[0]}`, '-p', String(labPort), '+nssearch', '+time=1', '+tries=1', 'literal.test'];
  const [bind, ours] = await Promise.all([run(DIG!, args), runCli(['dig', ...args])]);
  const expected = [
    `SOA ns1.literal.test. hostmaster.literal.test. 2026112301 3600 900 604800 300 from server ${LAB_ADDRS[1]} in 0 ms.`,
    `SOA ns1.literal.test. hostmaster.literal.test. 2026112302 3600 900 604800 300 from server ${LAB_ADDRS[0]} in 0 ms.`,
  ];
  assert.deepEqual(soaLines(bind.stdout), expected, bind.stdout);
  assert.deepEqual(soaLines(ours.stdout), expected, ours.stdout);
  const timedOut = `;; communications error to ${LAB_ADDRS[2]}#${labPort}: timed out`;
  assert.ok(bind.stdout.split('\n').includes(timedOut), bind.stdout);
  assert.ok(ours.stdout.split('\n').includes(timedOut), ours.stdout);
  assert.equal(ours.code, 1);
});
