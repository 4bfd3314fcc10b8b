/**
 * netlab hosts2zone end to end: migrate hosts files, serve the zones in the lab, --verify
 * them; change a hosts file and --verify names exactly what changed; bad input exits 3.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import dgram from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab, type Lab } from '../../src/lab/index.js';
import { loadZoneFiles } from '../../src/protocol/zone/master.js';
import { BIN, runCli } from '../helpers/cli.js';
import { writeGeneratedHosts } from '../helpers/hosts-gen.js';
import { formatIssue, renderHosts2zoneText } from '../../src/commands/hosts2zone/render.js';
import { parseHosts2zoneArgs, runHosts2zone } from '../../src/commands/hosts2zone/run.js';
import { goodReply, startHostile } from '../helpers/hostile.js';
import type { HostsIssue } from '../../src/protocol/zone/hosts.js';

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

// --- issue 9: hostile input and hostile targets --------------------------------------

/** The files left in a directory whose name ends in .tmp (a temporary zone not removed). */
function temps(d: string): string[] {
  return readdirSync(d).filter((f) => f.endsWith('.tmp'));
}


/** A tmpfs of `size` mounted on a new directory, or the reason it cannot be (then the test skips). */
function smallTmpfs(size: string): { dir: string; unmount: () => void } | string {
  if (process.getuid?.() !== 0) return 'needs root to mount a small tmpfs (a full file system)';
  const d = mkdtempSync(join(tmpdir(), 'netlab-h2z-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', d], { stdio: 'pipe' });
  } catch (e) {
    rmSync(d, { recursive: true, force: true });
    return `cannot mount a tmpfs here: ${(e as Error).message.split('\n')[0]}`;
  }
  return {
    dir: d,
    unmount: () => {
      execFileSync('umount', [d]);
      rmSync(d, { recursive: true, force: true });
    },
  };
}

// issue 9.1: on a full disk the zone was cut mid-record (418 records of 5,000 lines, 10.9.1.1 for 10.9.1.168) and the exit was 0
test('a full file system: exit 3, one line naming the file and "no space left", the old zone byte for byte, no temporary file', async (t) => {
  const fs = smallTmpfs('16k');
  if (typeof fs === 'string') return t.skip(fs);
  try {
    const small = join(dir, 'full-small.hosts');
    writeFileSync(small, '192.0.2.1 www.big.test\n');
    const first = await runCli(['hosts2zone', small, '--origin', 'big.test', '--out', fs.dir]);
    assert.equal(first.code, 0, first.stderr);
    const old = readFileSync(join(fs.dir, 'db.big.test'));
    const big = join(dir, 'full-big.hosts');
    writeGeneratedHosts(big, 5000, 'big.test');
    const r = await runCli(['hosts2zone', big, '--origin', 'big.test', '--out', fs.dir]);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
    assert.match(r.stderr, /^netlab hosts2zone: cannot write '.*db\.big\.test': no space left on the device\n$/);
    assert.deepEqual(readFileSync(join(fs.dir, 'db.big.test')), old);
    assert.deepEqual(temps(fs.dir), []);
  } finally {
    fs.unmount();
  }
});

// issue 9.1: the reverse zones had their own write path: the forward zone was already replaced when a reverse zone failed
test('a full file system while writing the reverse zones: no zone replaced, the forward one included; no temporary file', async (t) => {
  const fs = smallTmpfs('16k');
  if (typeof fs === 'string') return t.skip(fs);
  try {
    const one = join(dir, 'full-rev1.hosts');
    writeFileSync(one, '192.0.2.1 www.corp.test\n');
    const first = await runCli(['hosts2zone', one, '--origin', 'corp.test', '--reverse', '--out', fs.dir]);
    assert.equal(first.code, 0, first.stderr);
    const before = new Map(readdirSync(fs.dir).map((f) => [f, readFileSync(join(fs.dir, f))]));
    assert.equal(before.size, 2);
    // ten /24s: ten reverse zones of one page each, more than the 16 KiB left
    const many = join(dir, 'full-rev10.hosts');
    writeFileSync(many, Array.from({ length: 10 }, (_, i) => `198.51.${i}.1 h${i}.corp.test\n`).join('') + '192.0.2.1 www.corp.test\n');
    const r = await runCli(['hosts2zone', many, '--origin', 'corp.test', '--reverse', '--out', fs.dir]);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stderr, /^netlab hosts2zone: cannot write '.*db\.\d+\.51\.198\.in-addr\.arpa': no space left on the device\n$/);
    assert.deepEqual(new Map(readdirSync(fs.dir).map((f) => [f, readFileSync(join(fs.dir, f))])), before);
  } finally {
    fs.unmount();
  }
});

// issue 9.3: '192.0.2.1 a\r192.0.2.2 b\r' was one line: b became 'CNAME a' in a zone that loads
test('lone CR line ends: two lines, two address records, no CNAME', async () => {
  const r = await runCli(['hosts2zone', '-', '--origin', 'corp.test', '--serial', '1'], { input: '192.0.2.1 a\r192.0.2.2 b\r' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\na\tIN\tA\t192\.0\.2\.1\nb\tIN\tA\t192\.0\.2\.2\n$/);
  assert.doesNotMatch(r.stdout, /CNAME/);
  assert.match(r.stderr, /1 file, 2 lines, 2 entries: 2 names, 2 addresses/);
});

// issue 9.4: a line over 16 KiB was dropped whole: every valid name on it lost
test('a line of 3,000 names (over 16 KiB) gives 3,000 names, exit 0', async () => {
  const names = Array.from({ length: 3000 }, (_, i) => `host-${i}`);
  const r = await runCli(['hosts2zone', '-', '--origin', 'corp.test', '--json', '--aliases', 'a'], { input: `192.0.2.1 ${names.join(' ')}\n` });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.names, 3000);
  assert.equal(doc.zones[0].records, 3002);
});

// issue 9.4: a 50 MB line of garbage: bounded, the valid lines kept, the long one reported with FILE:LINE
test('a 50 MB line: reported as FILE:LINE, the other lines kept, exit 1', async () => {
  const f = join(dir, 'fifty.hosts');
  const fd = openSync(f, 'w');
  try {
    writeSync(fd, '192.0.2.1 before\n');
    const junk = Buffer.alloc(1024 * 1024, 'z');
    for (let i = 0; i < 50; i++) writeSync(fd, junk);
    writeSync(fd, '\n192.0.2.2 after\n');
  } finally {
    closeSync(fd);
  }
  const r = await runCli(['hosts2zone', f, '--origin', 'corp.test', '--json'], { timeoutMs: 60_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr, `${f}:2: error: line longer than 1 MiB (netlab's limit per line; it has 52,428,800 bytes) without a blank in its first 1 MiB: skipped (is this a hosts file?)\n`);
  assert.equal(JSON.parse(r.stdout).names, 2);
  rmSync(f);
});

// issue 9.4 and 9.8: /dev/zero as a hosts file grew without bound
test('/dev/zero as the hosts file: the 1 GiB bound, one line, exit 3', { skip: existsSync('/dev/zero') ? false : 'no /dev/zero here' }, async () => {
  const r = await runCli(['hosts2zone', '/dev/zero', '--origin', 'corp.test'], { timeoutMs: 60_000 });
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stderr, "netlab hosts2zone: cannot read '/dev/zero': larger than 1 GiB (netlab's limit for this input)\n");
});

// issue 9.8: a FIFO as the hosts file: never hangs; one nobody writes to is a clear error
test('a FIFO as the hosts file: read when a writer comes, one line and exit 3 when none does', { skip: process.platform === 'win32' ? 'no FIFOs' : false }, async () => {
  const fifo = join(dir, 'in.fifo');
  execFileSync('mkfifo', [fifo]);
  // a writer that comes after netlab has opened it (its open waits for a reader)
  const writer = spawn('sh', ['-c', `sleep 0.3; printf '192.0.2.1 www\\n' > '${fifo}'`]);
  const ok = await runCli(['hosts2zone', fifo, '--origin', 'corp.test', '--json'], { timeoutMs: 20_000 });
  writer.kill();
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).names, 1);
  // nobody writes: the 10 s idle bound, not forever
  const r = await runCli(['hosts2zone', fifo, '--origin', 'corp.test'], { timeoutMs: 30_000 });
  assert.equal(r.code, 3);
  assert.equal(r.stderr, `netlab hosts2zone: cannot read '${fifo}': no data in 10 s (a FIFO or device that nothing writes to?)\n`);
  rmSync(fifo);
});

// issue 9.10: db.DOMAIN a FIFO: hosts2zone hung forever on the serial read
test('targets that are not regular files are refused before anything is written: FIFO, directory, symlink to a device', async () => {
  const cases: Array<[string, (p: string) => void, RegExp]> = [
    ['fifo', (p) => execFileSync('mkfifo', [p]), /a FIFO, not a regular file/],
    ['directory', (p) => mkdirSync(p), /a directory, not a regular file/],
    ['device', (p) => symlinkSync('/dev/null', p), /a symbolic link to a character device, not a regular file/],
  ];
  for (const [what, make, message] of cases) {
    const d = join(dir, `target-${what}`);
    mkdirSync(d);
    make(join(d, 'db.branch.test'));
    const r = await runCli(['hosts2zone', BRANCH, '--origin', 'branch.test', '--out', d], { timeoutMs: 20_000 });
    assert.equal(r.code, 3, `${what}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^netlab hosts2zone: cannot write '.*db\\.branch\\.test': ${message.source}`));
    assert.deepEqual(readdirSync(d), ['db.branch.test'], what);
  }
});

// issue 9.10: a rename that fails (an immutable target) left db.DOMAIN.PID.tmp behind
test('an immutable target: exit 3, one line, the old zone untouched, no temporary file', async (t) => {
  const d = join(dir, 'immutable');
  const w = await runCli(['hosts2zone', BRANCH, '--origin', 'branch.test', '--out', d, '--serial', '1']);
  assert.equal(w.code, 0, w.stderr);
  const target = join(d, 'db.branch.test');
  const old = readFileSync(target);
  try {
    execFileSync('chattr', ['+i', target], { stdio: 'pipe' });
  } catch (e) {
    return t.skip(`chattr +i is not possible here: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    const r = await runCli(['hosts2zone', BRANCH, '--origin', 'branch.test', '--out', d, '--serial', '2']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^netlab hosts2zone: cannot replace '.*db\.branch\.test': operation not permitted .*; nothing was replaced\n$/);
    assert.deepEqual(readFileSync(target), old);
    assert.deepEqual(temps(d), []);
  } finally {
    execFileSync('chattr', ['-i', target]);
  }
});

// issue 9.10: a read-only (0444) db.DOMAIN came back 0644, silently
test('a read-only target is replaced, keeps its mode 0444, and a note says so', async () => {
  const d = join(dir, 'readonly');
  await runCli(['hosts2zone', BRANCH, '--origin', 'branch.test', '--out', d, '--serial', '1']);
  const target = join(d, 'db.branch.test');
  chmodSync(target, 0o444);
  const r = await runCli(['hosts2zone', BRANCH, '--origin', 'branch.test', '--out', d, '--serial', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, `${target}: note: was read-only (mode 0444): replaced, and the new zone keeps that mode\n`);
  assert.equal(statSync(target).mode & 0o777, 0o444);
  assert.match(readFileSync(target, 'utf8'), /\t2\t; serial/);
  chmodSync(target, 0o640);
  await runCli(['hosts2zone', BRANCH, '--origin', 'branch.test', '--out', d, '--serial', '3']);
  assert.equal(statSync(target).mode & 0o777, 0o640);
  assert.deepEqual(temps(d), []);
});

// issue 9.12: --out naming a regular file said "EEXIST"
test('--out naming a file: "not a directory", exit 3', async () => {
  const f = join(dir, 'a-file');
  writeFileSync(f, 'x');
  const r = await runCli(['hosts2zone', BRANCH, '--origin', 'branch.test', '--out', f]);
  assert.equal(r.code, 3);
  assert.equal(r.stderr, `netlab hosts2zone: cannot write in '${f}': not a directory\n`);
  assert.equal(readFileSync(f, 'utf8'), 'x');
});

// issue 9.13: 200 MB of random bytes on stdin gave 130 MB of errors on stderr, control characters raw
test('random bytes on stdin: the first 1,000 problems, one line counting the rest, the same in JSON; no raw control character', async () => {
  const garbage = randomBytes(2 * 1024 * 1024);
  const r = await runCli(['hosts2zone', '-', '--origin', 'corp.test'], { input: garbage, timeoutMs: 60_000 });
  assert.equal(r.code, 3);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1002, lines.slice(-3).join('\n'));
  const more = /^\.\.\. and ([\d,]+) more problems not shown \(([\d,]+) errors(?:, ([\d,]+) warnings)?\): only the first 1,000 are listed$/.exec(lines[1000]!);
  assert.ok(more, lines[1000]);
  assert.match(lines[1001]!, /^netlab hosts2zone: no valid entry for corp\.test in -/);
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(r.stderr, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
  // the JSON lists the same first 1,000 and counts the rest the same way
  const good = Buffer.concat([garbage, Buffer.from('\n192.0.2.1 www\n')]);
  const j = await runCli(['hosts2zone', '-', '--origin', 'corp.test', '--json'], { input: good, timeoutMs: 60_000 });
  assert.equal(j.code, 1);
  const doc = JSON.parse(j.stdout);
  const jl = j.stderr.split('\n').filter(Boolean);
  assert.equal(doc.problems.length, 1000);
  assert.equal(jl.length, 1001);
  assert.deepEqual(jl.slice(0, 1000), doc.problems.map((p: HostsIssue) => formatIssue(p)));
  const n = Number(/^\.\.\. and ([\d,]+) more/.exec(jl[1000]!)![1]!.replace(/,/g, ''));
  assert.equal(doc.problemsOmitted, n);
  assert.equal(doc.counts.errors + doc.counts.warnings + doc.counts.notes, 1000 + n);
});

// issue 9.13: a bidi override in a hosts line went raw to the terminal
test('bidi overrides and escape sequences in a hosts line are escaped on stderr', async () => {
  const r = await runCli(['hosts2zone', '-', '--origin', 'corp.test'], { input: '192.0.2.1 ok\n192.0.2.2 a\u202eb\n192.0.2.\x1b[31m3 c\n' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^-:2: error: 'a\\u202eb' is not a valid internationalised name/m);
  assert.match(r.stderr, /^-:3: error: '192\.0\.2\.\\x1b\[31m3' is not an IP address/m);
});

// --- issue 9.14: SIGINT (the library side: options.signal) ----------------------------

// issue 9.14: Ctrl-C ended hosts2zone with nothing printed; it must return what it did, marked interrupted
test('interrupted while reading stdin: returns at once, interrupted, the lines read so far, nothing written', { timeout: 30_000 }, async () => {
  const d = join(dir, 'sigint-read');
  const controller = new AbortController();
  // one line, then a stdin that never gives more (a user typing nothing)
  const stdin: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]() {
      let n = 0;
      return {
        next: () => {
          if (n++ === 0) return Promise.resolve({ value: Buffer.from('192.0.2.1 www\n192.0.2.2 mail\n'), done: false });
          setImmediate(() => controller.abort());
          return new Promise<IteratorResult<Buffer>>(() => undefined);
        },
      };
    },
  };
  const options = parseHosts2zoneArgs({ files: ['-'], origin: 'corp.test', out: d });
  options.signal = controller.signal;
  const r = await runHosts2zone(options, { stdin });
  assert.equal(r.interrupted, true);
  assert.equal(r.interruptedWhile, 'reading');
  assert.equal(r.status, 'UNKNOWN');
  assert.deepEqual(r.inputs, [{ file: '-', lines: 2, entries: 2 }]);
  assert.deepEqual(r.zones, []);
  assert.equal(existsSync(d), false);
  assert.match(renderHosts2zoneText(r), /^HOSTS2ZONE UNKNOWN - corp\.test\.: interrupted while reading \(2 lines of 1 file read\): nothing written/);
});

test('interrupted while writing --out: every temporary file removed, the old zones byte for byte, nothing new', { timeout: 120_000 }, async () => {
  const d = join(dir, 'sigint-write');
  const small = join(dir, 'sigint-small.hosts');
  writeFileSync(small, '10.0.0.1 h1.big.test\n');
  const first = await runCli(['hosts2zone', small, '--origin', 'big.test', '--reverse', '--out', d]);
  assert.equal(first.code, 0, first.stderr);
  const before = new Map(readdirSync(d).map((f) => [f, readFileSync(join(d, f))]));
  const big = join(dir, 'sigint-big.hosts');
  writeGeneratedHosts(big, 100_000, 'big.test'); // about 400 reverse zones
  const controller = new AbortController();
  // Ctrl-C as soon as the first temporary zone exists
  let polls = 0;
  const poll = () => {
    if (temps(d).length > 0) controller.abort();
    else if (++polls < 1_000_000) setImmediate(poll);
  };
  const options = parseHosts2zoneArgs({ files: [big], origin: 'big.test', reverse: true, out: d });
  options.signal = controller.signal;
  setImmediate(poll);
  const r = await runHosts2zone(options, {});
  assert.equal(controller.signal.aborted, true, 'no temporary file was ever seen');
  assert.equal(r.interrupted, true);
  assert.equal(r.interruptedWhile, 'writing');
  assert.equal(r.status, 'UNKNOWN');
  assert.deepEqual(r.zones, []);
  assert.deepEqual(new Map(readdirSync(d).map((f) => [f, readFileSync(join(d, f))])), before);
  assert.match(renderHosts2zoneText(r), /interrupted while writing: nothing written, the files in .*sigint-write are untouched/);
});

test('interrupted during --verify against a server gone silent: returns promptly with what was compared, interrupted', { timeout: 60_000 }, async () => {
  const controller = new AbortController();
  let seen = 0;
  // answers the SOA query and the next 5, then nothing (each later query would wait out 30 s twice)
  const server = await startHostile({
    udp: (q) => {
      seen++;
      if (seen === 12) setImmediate(() => controller.abort());
      return seen <= 6 ? [{ bytes: goodReply(q) }] : [];
    },
  });
  try {
    const hosts = join(dir, 'sigint-verify.hosts');
    writeFileSync(hosts, Array.from({ length: 50 }, (_, i) => `192.0.2.1 h${i}\n`).join(''));
    const options = parseHosts2zoneArgs({ files: [hosts], origin: 'corp.test', verify: `${server.address}:${server.port}`, timeout: '30', concurrency: '8' });
    options.signal = controller.signal;
    let abortedAt = 0;
    controller.signal.addEventListener('abort', () => (abortedAt = Date.now()));
    const r = await runHosts2zone(options, {});
    // well under one query timeout (30 s): the queries in flight were not waited for
    assert.ok(Date.now() - abortedAt < 10_000, `returned ${Date.now() - abortedAt} ms after the abort`);
    assert.equal(r.interrupted, true);
    assert.equal(r.interruptedWhile, 'verifying');
    assert.equal(r.status, 'UNKNOWN');
    assert.equal(r.verify!.interrupted, true);
    assert.equal(r.verify!.queries, 6); // the SOA and the 5 answered; those in flight are not counted
    assert.equal(r.verify!.mismatchCount, 0);
    assert.ok(r.verify!.names >= 1 && r.verify!.names <= 5, String(r.verify!.names));
    assert.match(renderHosts2zoneText(r), /^HOSTS2ZONE UNKNOWN - corp\.test\.: interrupted after 6 queries to 127\.0\.0\.1#\d+ \(\d names?\): 0 mismatches so far/);
  } finally {
    await server.close();
  }
});

test('interrupted while writing the zone to stdout: stops after the chunk in hand, says the output is incomplete', { timeout: 60_000 }, async () => {
  const big = join(dir, 'sigint-stdout.hosts');
  writeGeneratedHosts(big, 100_000, 'big.test'); // a zone of several 1 MiB chunks
  const controller = new AbortController();
  const options = parseHosts2zoneArgs({ files: [big], origin: 'big.test' });
  options.signal = controller.signal;
  let chunks = 0;
  const r = await runHosts2zone(options, {
    writeZone: () => {
      chunks++;
      controller.abort();
    },
  });
  assert.equal(chunks, 1);
  assert.equal(r.interrupted, true);
  assert.equal(r.interruptedWhile, 'writing');
  assert.equal(r.outDir, null);
  assert.match(renderHosts2zoneText(r), /^HOSTS2ZONE UNKNOWN - big\.test\.: interrupted while writing the zone to stdout: what went there is incomplete/);
});
