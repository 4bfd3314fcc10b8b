/**
 * netlab hosts2zone end to end: migrate hosts files, serve the zones in the lab, --verify
 * them; change a hosts file and --verify names exactly what changed; bad input exits 3.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab, type Lab } from '../../src/lab/index.js';
import { loadZoneFiles } from '../../src/protocol/zone/master.js';
import { BIN, runCli } from '../helpers/cli.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/hosts/', import.meta.url));
const OFFICE = join(FIXTURES, 'office.hosts');
const BRANCH = join(FIXTURES, 'branch.hosts');

let dir = '';
let out = '';
let lab: Lab | undefined;
let server = '';
let migrateOffice: Awaited<ReturnType<typeof runCli>>;
let migrateBranch: Awaited<ReturnType<typeof runCli>>;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netlab-h2z-'));
  out = join(dir, 'zones');
  migrateOffice = await runCli(['hosts2zone', OFFICE, '--origin', 'corp.test', '--ns', 'ns1', '--ns', 'ns2', '--reverse', '--out', out]);
  migrateBranch = await runCli(['hosts2zone', BRANCH, '--origin', 'branch.test', '--ns', 'ns1', '--reverse', '--out', out]);
  const zones = await loadZoneFiles(readdirSync(out).map((f) => join(out, f)));
  lab = await startLab({ port: 0, extraZones: zones });
  server = `${lab.dns.addresses.ns1Example}:${lab.port}`;
});

after(async () => {
  await lab?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('migrating a file with bad lines writes every zone, reports each line as FILE:LINE on stderr, exits 1', () => {
  assert.equal(migrateOffice.code, 1, migrateOffice.stderr);
  assert.match(migrateOffice.stdout, /^HOSTS2ZONE WARNING - corp\.test\.: 4 zones written, 6 bad lines, 3 warnings, 6 notes/);
  for (const z of ['corp.test.', '100.51.198.in-addr.arpa.', '113.0.203.in-addr.arpa.', '1.0.0.0.0.c.0.0.8.b.d.0.1.0.0.2.ip6.arpa.']) assert.ok(migrateOffice.stdout.includes(z), z);
  const lines = migrateOffice.stderr.trim().split('\n');
  for (const l of lines) assert.match(l, /^\/.*office\.hosts:\d+: (error|warning|note): /);
  const at = (n: number) => lines.find((l) => l.includes(`office.hosts:${n}: `)) ?? '';
  assert.match(at(33), /error: '198\.51\.100\.300' is not an IPv4 address/);
  assert.match(at(34), /error: '127\.1' is a short IPv4 address/);
  assert.match(at(35), /error: '010\.0\.0\.1' has a leading zero/);
  assert.match(at(36), /error: 'fe80::1%en0' is a scoped IPv6 address/);
  assert.match(at(37), /error: name '-dash'/);
  assert.match(at(38), /error: address '203\.0\.113\.50' has no name/);
  assert.match(at(39), /warning: 'docs\.partner\.example' is outside corp\.test/);
  assert.match(at(40), /warning: 'build_box\.corp\.test' has '_'/);
  assert.match(at(26), /warning: 'ci\.corp\.test' has the address 203\.0\.113\.25 here and is an alias of 'dev\.corp\.test' at .*office\.hosts:25/);
});

test('a clean file migrates with exit 0', () => {
  assert.equal(migrateBranch.code, 0, migrateBranch.stderr);
  assert.equal(migrateBranch.stderr, '');
  assert.match(migrateBranch.stdout, /^HOSTS2ZONE OK - branch\.test\.: 3 zones written, no problems/);
});

test('migrate -> serve in the lab -> --verify passes (forward and PTR), exit 0', async () => {
  const r = await runCli(['hosts2zone', BRANCH, '--origin', 'branch.test', '--ns', 'ns1', '--reverse', '--verify', server]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^HOSTS2ZONE OK - branch\.test\.: 127\.53\.0\.3#\d+ answers what the hosts files say/);
  assert.match(r.stdout, /0 mismatches: 0 names, 0 PTRs/);
});

test('--verify of the office file: no mismatch, but its bad lines keep the exit at 1', async () => {
  const r = await runCli(['hosts2zone', OFFICE, '--origin', 'corp.test', '--ns', 'ns1', '--ns', 'ns2', '--reverse', '--verify', server, '--json']);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.action, 'verify');
  assert.equal(doc.verify.mismatchCount, 0, JSON.stringify(doc.verify.mismatches));
  assert.equal(doc.verify.authoritative, true);
  assert.equal(doc.verify.names, 21);
  assert.equal(doc.verify.addresses, 16);
});

test('a hosts file changed after the migration: --verify reports exactly the changed names, exit 2', async () => {
  const changed = join(dir, 'branch-changed.hosts');
  const text = readFileSync(BRANCH, 'utf8')
    .replace('198.18.10.22\tprinter', '198.18.10.23\tprinter') // moved
    .replace('2001:db8:b0:1::99\tlab6', '2001:db8:b0:1::98\tlab6') // IPv6 moved
    .concat('198.18.10.40\tnewbox.branch.test\tnewbox\n'); // added
  writeFileSync(changed, text);
  const r = await runCli(['hosts2zone', changed, '--origin', 'branch.test', '--ns', 'ns1', '--verify', server, '--json']);
  assert.equal(r.code, 2, r.stderr);
  const doc = JSON.parse(r.stdout);
  const names = [...new Set(doc.verify.mismatches.map((m: { name: string }) => m.name))].sort();
  assert.deepEqual(names, ['lab6.branch.test.', 'newbox.branch.test.', 'printer.branch.test.']);
  assert.equal(doc.verify.mismatchedNames, 3);
  const printer = doc.verify.mismatches.find((m: { name: string; type: string }) => m.name === 'printer.branch.test.' && m.type === 'A');
  assert.deepEqual([printer.expected, printer.got], [['198.18.10.23'], ['198.18.10.22']]);
  const added = doc.verify.mismatches.find((m: { name: string }) => m.name === 'newbox.branch.test.');
  assert.equal(added.rcode, 'NXDOMAIN');
  // the text names them too, with where the hosts file says it
  const t = await runCli(['hosts2zone', changed, '--origin', 'branch.test', '--ns', 'ns1', '--verify', server]);
  assert.equal(t.code, 2);
  assert.match(t.stdout, /^HOSTS2ZONE CRITICAL - branch\.test\.: 3 names differ/);
  assert.match(t.stdout, /A printer\.branch\.test\.: server has 198\.18\.10\.22, expected 198\.18\.10\.23 \(.*branch-changed\.hosts:8\)/);
  assert.match(t.stderr, /^mismatch: /m);
});

test('--verify with --reverse checks the PTRs too', async () => {
  const changed = join(dir, 'branch-ptr.hosts');
  // same names and addresses, but printer and kiosk-2 swap addresses: forward and PTR differ
  writeFileSync(changed, readFileSync(BRANCH, 'utf8').replace('198.18.10.21\tkiosk-2', '198.18.10.2X\tkiosk-2').replace('198.18.10.22\tprinter', '198.18.10.21\tprinter').replace('198.18.10.2X\tkiosk-2', '198.18.10.22\tkiosk-2'));
  const r = await runCli(['hosts2zone', changed, '--origin', 'branch.test', '--ns', 'ns1', '--reverse', '--verify', server, '--json']);
  assert.equal(r.code, 2);
  const doc = JSON.parse(r.stdout);
  const ptr = doc.verify.mismatches.filter((m: { type: string }) => m.type === 'PTR').map((m: { name: string }) => m.name).sort();
  assert.deepEqual(ptr, ['21.10.18.198.in-addr.arpa.', '22.10.18.198.in-addr.arpa.']);
});

test('a dead server: --verify exits 2 quickly and says so', async () => {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  sock.close(); // nothing listens there now
  const r = await runCli(['hosts2zone', BRANCH, '--origin', 'branch.test', '--verify', `127.0.0.1:${port}`, '--timeout', '0.5']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stdout, /did not answer the SOA query for branch\.test\./);
});

test('without --out the zone goes to stdout and the summary to stderr; - reads stdin', async () => {
  const r = await runCli(['hosts2zone', '-', '--origin', 'corp.test', '--serial', '42'], { input: '192.0.2.1 www web\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^; corp\.test: written by netlab hosts2zone from -\n\$ORIGIN corp\.test\.\n\$TTL 3600\n@\tIN\tSOA\tlocalhost\. hostmaster\.corp\.test\. \(\n\t\t42\t; serial/);
  assert.match(r.stdout, /\nwww\tIN\tA\t192\.0\.2\.1\nweb\tIN\tCNAME\twww\n$/);
  assert.match(r.stderr, /^HOSTS2ZONE OK - corp\.test\.: zone written to stdout, no problems\n1 file, 1 line, 1 entry: 2 names, 1 address; 4 records, serial 42\.\n$/);
});

test('--json alone checks the files and writes nothing: the problems and the record count as JSON', async () => {
  const r = await runCli(['hosts2zone', OFFICE, '--origin', 'corp.test', '--ns', 'ns1', '--ns', 'ns2', '--json']);
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.action, 'check');
  assert.deepEqual(doc.zones.map((z: { zone: string; file: null; records: number }) => [z.zone, z.file, z.records]), [['corp.test.', null, 28]]);
  assert.deepEqual(doc.counts, { errors: 6, warnings: 3, notes: 6 });
  assert.deepEqual(doc.problems.filter((p: { severity: string }) => p.severity === 'error').map((p: { line: number; code: string }) => [p.line, p.code]), [
    [33, 'BAD_ADDRESS'], [34, 'SHORT_IPV4'], [35, 'LEADING_ZERO'], [36, 'SCOPED_IPV6'], [37, 'BAD_NAME'], [38, 'NO_NAME'],
  ]);
});

test('the serial increases over the zone it replaces, even on the same day', async () => {
  const d = join(dir, 'serial');
  mkdirSync(d);
  const a = JSON.parse((await runCli(['hosts2zone', BRANCH, '--origin', 'branch.test', '--out', d, '--json'])).stdout);
  const b = JSON.parse((await runCli(['hosts2zone', BRANCH, '--origin', 'branch.test', '--out', d, '--json'])).stdout);
  assert.match(String(a.serial), /^20\d{6}\d\d$/);
  assert.equal(b.serial, a.serial + 1);
  const c = await runCli(['hosts2zone', BRANCH, '--origin', 'branch.test', '--out', d, '--serial', '5']);
  assert.equal(c.code, 1);
  assert.match(c.stderr, /db\.branch\.test: warning: --serial 5 is not greater than \d+, the serial of the zone it replaces/);
});

test('a blocklist as an RPZ: --format rpz, and --verify of its policy records', async () => {
  const d = join(dir, 'rpz');
  const w = await runCli(['hosts2zone', join(FIXTURES, 'blocklist.hosts'), '--origin', 'rpz.test', '--format', 'rpz', '--out', d, '--json']);
  assert.equal(w.code, 1, w.stderr); // three bad lines in the sample
  const doc = JSON.parse(w.stdout);
  assert.equal(doc.blocklist, true);
  assert.equal(doc.zones[0].records, 20);
  const zones = await loadZoneFiles([join(d, 'db.rpz.test')]);
  const rpzLab = await startLab({ port: 0, extraZones: zones });
  try {
    const v = await runCli(['hosts2zone', join(FIXTURES, 'blocklist.hosts'), '--origin', 'rpz.test', '--format', 'rpz', '--verify', `${rpzLab.dns.addresses.ns1Example}:${rpzLab.port}`, '--json']);
    const vd = JSON.parse(v.stdout);
    assert.equal(vd.verify.mismatchCount, 0, JSON.stringify(vd.verify.mismatches));
    assert.equal(vd.verify.names, 18);
  } finally {
    await rpzLab.close();
  }
});

const BAD: Array<[string, string[], RegExp]> = [
  ['an unreadable file', ['hosts2zone', '/nonexistent/hosts', '--origin', 'corp.test'], /^netlab hosts2zone: cannot read '\/nonexistent\/hosts': no such file\n$/],
  ['a directory', ['hosts2zone', '/tmp', '--origin', 'corp.test'], /cannot read '\/tmp': is a directory/],
  ['no --origin', ['hosts2zone', BRANCH], /missing --origin DOMAIN .*\(see 'netlab hosts2zone --help'\)/],
  ['no file', ['hosts2zone', '--origin', 'corp.test'], /missing HOSTSFILE/],
  ['a bad --origin', ['hosts2zone', BRANCH, '--origin', 'bad;zone'], /--origin 'bad;zone' has the character ';'/],
  ['a bad --ttl', ['hosts2zone', BRANCH, '--origin', 'corp.test', '--ttl', '-1'], /--ttl needs a whole number/],
  ['a bad --v6-prefix', ['hosts2zone', BRANCH, '--origin', 'corp.test', '--v6-prefix', '62', '--out', '/tmp/x'], /--v6-prefix must be a multiple of 4/],
  ['a bad --aliases', ['hosts2zone', BRANCH, '--origin', 'corp.test', '--aliases', 'txt'], /--aliases is cname or a/],
  ['a contact with a space', ['hosts2zone', BRANCH, '--origin', 'corp.test', '--contact', 'john doe@corp.test'], /--contact 'john doe@corp\.test': the local part cannot hold spaces/],
  ['--reverse without --out', ['hosts2zone', BRANCH, '--origin', 'corp.test', '--reverse'], /--reverse writes several zones: give --out DIR/],
  ['--verify with a name', ['hosts2zone', BRANCH, '--origin', 'corp.test', '--verify', 'ns1.example.test'], /--verify needs ADDR\[:PORT\], an IP address/],
  ['--verify and --out', ['hosts2zone', BRANCH, '--origin', 'corp.test', '--verify', '127.0.0.1', '--out', '/tmp/x'], /writes nothing: drop --out/],
  ['no valid entry', ['hosts2zone', join(FIXTURES, 'blocklist.hosts'), '--origin', 'corp.test'], /no valid entry for corp\.test in .*blocklist\.hosts/],
  ['an in-zone NS without an address', ['hosts2zone', BRANCH, '--origin', 'branch.test', '--ns', 'ns9'], /name server ns9\.branch\.test is inside branch\.test, but no hosts line gives it an address/],
];

for (const [what, args, message] of BAD) {
  test(`${what}: one line, exit 3, no stack trace`, async () => {
    const r = await runCli(args);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, '');
    const last = r.stderr.trim().split('\n').pop()!;
    assert.match(last, /^netlab hosts2zone: /);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
}

test('netlab lab --zone serves the migrated zones', { timeout: 60_000 }, async () => {
  const files = ['db.branch.test', 'db.10.18.198.in-addr.arpa', 'db.1.0.0.0.0.b.0.0.8.b.d.0.1.0.0.2.ip6.arpa'].map((f) => join(out, f));
  const child = spawn(process.execPath, [BIN, 'lab', '--port', '0', '--json', '--zone', ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
  // waited for in finally: made now, so an early exit is not missed (a missed 'close' would hang the test)
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  let text = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  try {
    const doc = await new Promise<{ port: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`lab did not start in 15 s: ${err}`)), 15_000);
      child.on('close', () => {
        clearTimeout(timer);
        reject(new Error(`lab exited: ${err}`));
      });
      child.stdout.on('data', (d: string) => {
        text += d;
        try {
          const parsed = JSON.parse(text);
          clearTimeout(timer);
          resolve(parsed);
        } catch {
          // not complete yet
        }
      });
    });
    const q = await runCli(['dig', '@127.53.0.3', '-p', String(doc.port), 'portal.branch.test', '+short']);
    assert.equal(q.stdout, 'www.branch.test.\n198.18.10.10\n');
    const v = await runCli(['hosts2zone', BRANCH, '--origin', 'branch.test', '--ns', 'ns1', '--reverse', '--verify', `127.53.0.3:${doc.port}`]);
    assert.equal(v.code, 0, v.stdout);
  } finally {
    child.kill('SIGINT');
    await closed;
    clearTimeout(killer);
  }
});

test('netlab lab --zone with a bad file: one line, exit 3', async () => {
  const bad = join(dir, 'db.bad.test');
  writeFileSync(bad, '$ORIGIN bad.test.\n$TTL 1\nwww A 192.0.2.1\n');
  const r = await runCli(['lab', '--port', '0', '--zone', bad]);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /^netlab lab: .*db\.bad\.test:3: the first record must be the SOA of bad\.test\./);
  const clash = join(dir, 'db.example.test');
  writeFileSync(clash, '$ORIGIN example.test.\n$TTL 60\n@ SOA ns1 hostmaster 1 3600 900 604800 300\n@ NS ns1\nns1 A 192.0.2.53\n');
  const c = await runCli(['lab', '--port', '0', '--zone', clash]);
  assert.equal(c.code, 3);
  assert.match(c.stderr, /^netlab lab: .*db\.example\.test: the lab serves example\.test\. itself/);
});

test('netlab demo migrates its sample hosts file, serves it and verifies it', { timeout: 90_000 }, async () => {
  const r = await runCli(['demo', '--json'], { timeoutMs: 80_000 });
  assert.equal(r.code, 0, r.stderr);
  const steps = (JSON.parse(r.stdout) as { steps: Array<{ command: string; expected: string; status: string; output: string }> }).steps.filter((s) => s.command.startsWith('netlab hosts2zone'));
  assert.deepEqual(steps.map((s) => [s.expected, s.status]), [['WARNING', 'WARNING'], ['WARNING', 'WARNING'], ['CRITICAL', 'CRITICAL']]);
  assert.match(steps[0]!.output, /^office\.hosts:34: error: '127\.1' is a short IPv4 address/m);
  assert.match(steps[2]!.output, /A print\.corp\.test\.: server has 198\.51\.100\.13, expected 198\.51\.100\.31/);
});
