/**
 * netlab hosts2zone end to end, in process where the logic is: migrate hosts files (the
 * command's run, with the options parsed as the command line parses them), serve the zones in
 * a lab started once for the file, verify them (verifyZone); change a hosts file and the
 * verification names exactly what changed; hostile inputs and targets; Ctrl-C. A few spawns of
 * the real binary keep the exit codes, stdout and stderr of the contract.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import dgram from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { startDnsLab, type DnsLab } from '../../src/lab/dns/index.js';
import { loadZoneFiles } from '../../src/protocol/zone/master.js';
import { query } from '../../src/protocol/dns/transport.js';
import { readHostsZone, type HostsInput } from '../../src/protocol/zone/hosts-to-zone.js';
import { verifyZone } from '../../src/protocol/zone/verify.js';
import { NetlabError, type Progress } from '../../src/errors.js';
import { parseArgv } from '../../src/commands/command.js';
import { command } from '../../src/commands/hosts2zone/index.js';
import { formatIssue, formatMismatch, formatOmitted, renderHosts2zoneText } from '../../src/commands/hosts2zone/render.js';
import { MAX_INPUT_BYTES, runHosts2zone, type Hosts2zoneIo, type Hosts2zoneResult } from '../../src/commands/hosts2zone/run.js';
import type { Mismatch } from '../../src/protocol/zone/verify.js';
import { BIN, runCli } from '../helpers/cli.js';
import { writeGeneratedHosts } from '../helpers/hosts-gen.js';
import { goodReply, startHostile } from '../helpers/hostile.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/hosts/', import.meta.url));
const OFFICE = join(FIXTURES, 'office.hosts');
const BRANCH = join(FIXTURES, 'branch.hosts');
const BLOCKLIST = join(FIXTURES, 'blocklist.hosts');
const OFFICE_ARGS = ['--origin', 'corp.test', '--ns', 'ns1', '--ns', 'ns2'];
const BRANCH_ARGS = ['--origin', 'branch.test', '--ns', 'ns1'];

let dir = '';
let out = '';
// the lab's DNS part, which is what serves --zone files (startLab starts it the same way);
// the TLS, HTTP and LB parts were never asked here, and their keys were 2 s of CPU
let lab: DnsLab | undefined;
let server = '';

interface Run {
  result: Hosts2zoneResult;
  /** The problems and notes as the CLI prints them on stderr, then the omitted line. */
  stderr: string[];
  mismatches: Mismatch[];
}

/** The command's run in process, with argv parsed as the command line does. */
async function h2z(argv: string[], io: Hosts2zoneIo = {}): Promise<Run> {
  const stderr: string[] = [];
  const mismatches: Mismatch[] = [];
  const result = await runHosts2zone(await parseArgv(command, argv), {
    onIssue: (i) => stderr.push(formatIssue(i)),
    onIssuesOmitted: (o) => stderr.push(formatOmitted(o)),
    onMismatch: (m) => mismatches.push(m),
    ...io,
  });
  return { result, stderr, mismatches };
}

/** The INPUT or USAGE error a run throws. */
async function failure(argv: string[], io: Hosts2zoneIo = {}): Promise<NetlabError> {
  try {
    await h2z(argv, io);
  } catch (e) {
    assert.ok(e instanceof NetlabError, String(e));
    return e;
  }
  assert.fail(`hosts2zone ${argv.join(' ')} did not fail`);
}

let office: Run;
let branch: Run;
let rpz: Run;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netlab-h2z-'));
  out = join(dir, 'zones');
  office = await h2z([OFFICE, ...OFFICE_ARGS, '--reverse', '--out', out]);
  branch = await h2z([BRANCH, ...BRANCH_ARGS, '--reverse', '--out', out]);
  rpz = await h2z([BLOCKLIST, '--origin', 'rpz.test', '--format', 'rpz', '--out', out, '--json']);
  const zones = await loadZoneFiles(readdirSync(out).map((f) => join(out, f)));
  lab = await startDnsLab({ port: 0, extraZones: zones });
  server = `${lab.addresses.ns1Example}:${lab.port}`;
});

after(async () => {
  await lab?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The files left in a directory whose name ends in .tmp (a temporary zone not removed). */
function temps(d: string): string[] {
  return readdirSync(d).filter((f) => f.endsWith('.tmp'));
}

// --- migrating ------------------------------------------------------------------------------

test('a file with bad lines: every zone written, each problem as FILE:LINE, WARNING', () => {
  const r = office.result;
  assert.equal(r.status, 'WARNING');
  assert.deepEqual(r.zones.map((z) => z.zone), ['corp.test.', '100.51.198.in-addr.arpa.', '113.0.203.in-addr.arpa.', '1.0.0.0.0.c.0.0.8.b.d.0.1.0.0.2.ip6.arpa.']);
  for (const z of r.zones) assert.ok(existsSync(z.file!), z.file!);
  assert.deepEqual(r.counts, { errors: 6, warnings: 3, notes: 6 });
  assert.equal(office.stderr.length, 15);
  for (const l of office.stderr) assert.match(l, /^\/.*office\.hosts:\d+: (error|warning|note): /);
  const at = (n: number) => office.stderr.find((l) => l.includes(`office.hosts:${n}: `)) ?? '';
  assert.match(at(33), /error: '198\.51\.100\.300' is not an IPv4 address/);
  assert.match(at(34), /error: '127\.1' is a short IPv4 address/);
  assert.match(at(35), /error: '010\.0\.0\.1' has a leading zero/);
  assert.match(at(36), /error: 'fe80::1%en0' is a scoped IPv6 address/);
  assert.match(at(37), /error: name '-dash'/);
  assert.match(at(38), /error: address '203\.0\.113\.50' has no name/);
  assert.match(at(39), /warning: 'docs\.partner\.example' is outside corp\.test/);
  assert.match(at(40), /warning: 'build_box\.corp\.test' has '_'/);
  assert.match(at(26), /warning: 'ci\.corp\.test' has the address 203\.0\.113\.25 here and is an alias of 'dev\.corp\.test' at .*office\.hosts:25/);
  // issue 10: one problem shape: the rejected lines and the conflicts are WARNING problems about FILE:LINE, the rest notes
  assert.deepEqual(r.problems.map((p) => [p.line, p.code, p.severity]), [
    [26, 'CONFLICT', 'WARNING'], [33, 'BAD_ADDRESS', 'WARNING'], [34, 'SHORT_IPV4', 'WARNING'], [35, 'LEADING_ZERO', 'WARNING'], [36, 'SCOPED_IPV6', 'WARNING'],
    [37, 'BAD_NAME', 'WARNING'], [38, 'NO_NAME', 'WARNING'], [39, 'OUTSIDE_ORIGIN', 'WARNING'], [40, 'UNDERSCORE', 'WARNING'],
  ]);
  assert.equal(r.problems[0]!.subject, `${OFFICE}:26`);
  assert.deepEqual(r.notes.map((n) => [n.line, n.code]), [[4, 'LOCAL_NAME'], [5, 'LOCAL_NAME'], [5, 'LOCAL_NAME'], [5, 'LOCAL_NAME'], [6, 'LOCAL_NAME'], [7, 'LOCAL_NAME']]);
  assert.match(renderHosts2zoneText(r), /^HOSTS2ZONE WARNING - corp\.test\.: 4 zones written, 6 bad lines, 3 warnings, 6 notes/);
});

test('a clean file migrates OK, nothing said', () => {
  assert.equal(branch.result.status, 'OK');
  assert.deepEqual(branch.stderr, []);
  assert.equal(branch.result.zones.length, 3);
  assert.match(renderHosts2zoneText(branch.result), /^HOSTS2ZONE OK - branch\.test\.: 3 zones written, no problems/);
});

test('--json alone checks the files and writes nothing: the problems and the record count', async () => {
  const { result } = await h2z([OFFICE, ...OFFICE_ARGS, '--json']);
  assert.equal(result.action, 'check');
  assert.equal(result.status, 'WARNING');
  assert.deepEqual(result.zones.map((z) => [z.zone, z.file, z.records]), [['corp.test.', null, 28]]);
  assert.deepEqual(result.counts, { errors: 6, warnings: 3, notes: 6 });
});

test('the serial increases over the zone it replaces, even on the same day; --serial not greater is warned', async () => {
  const d = join(dir, 'serial');
  const a = (await h2z([BRANCH, '--origin', 'branch.test', '--out', d])).result;
  const b = (await h2z([BRANCH, '--origin', 'branch.test', '--out', d])).result;
  assert.match(String(a.serial), /^20\d{6}\d\d$/);
  assert.equal(b.serial, a.serial! + 1);
  const c = await h2z([BRANCH, '--origin', 'branch.test', '--out', d, '--serial', '5']);
  assert.equal(c.result.status, 'WARNING');
  assert.deepEqual(c.result.problems.map((p) => [p.code, p.subject]), [['SERIAL', join(d, 'db.branch.test')]]);
  assert.match(c.stderr[0]!, /db\.branch\.test: warning: --serial 5 is not greater than \d+, the serial of the zone it replaces/);
});

test('a blocklist as an RPZ: --format rpz writes its policy records', () => {
  assert.equal(rpz.result.status, 'WARNING'); // three bad lines in the sample
  assert.equal(rpz.result.blocklist, true);
  assert.equal(rpz.result.zones[0]!.records, 20);
});

// --- verifying --------------------------------------------------------------------------------

test('migrate -> serve in the lab -> verify passes (forward and PTR), OK', async () => {
  const progress: Progress[] = [];
  const { result } = await h2z([BRANCH, ...BRANCH_ARGS, '--reverse', '--verify', server], { onProgress: (p) => progress.push(p) });
  assert.equal(result.status, 'OK', JSON.stringify(result.verify));
  assert.equal(result.verify!.status, 'OK');
  assert.deepEqual(result.verify!.problems, []);
  assert.match(renderHosts2zoneText(result), /^HOSTS2ZONE OK - branch\.test\.: 127\.53\.0\.3#\d+ answers what the hosts files say/);
  assert.match(renderHosts2zoneText(result), /0 mismatches: 0 names, 0 PTRs/);
  // the one progress event: inputs read, then queries answered up to all of them
  const last = progress.filter((p) => p.phase === 'verify').pop()!;
  assert.equal(last.done, last.total);
  assert.equal(last.total, result.verify!.queries);
});

test('verify of the office file: no mismatch, but its bad lines keep it WARNING', async () => {
  const { result } = await h2z([OFFICE, ...OFFICE_ARGS, '--reverse', '--verify', server]);
  assert.equal(result.status, 'WARNING');
  assert.equal(result.action, 'verify');
  assert.equal(result.verify!.mismatchCount, 0, JSON.stringify(result.verify!.mismatches));
  assert.equal(result.verify!.authoritative, true);
  assert.equal(result.verify!.names, 21);
  assert.equal(result.verify!.addresses, 16);
});

test('verifyZone as a library call: the zone read from a stream, CRITICAL with the mismatch as data', async () => {
  const text = '198.18.10.10 www.branch.test www portal\n2001:db8:b0:1::10 www\n198.18.10.99 gone.branch.test\n';
  const inputs: HostsInput[] = [{ name: 'mine.hosts', chunks: Readable.from([Buffer.from(text)]) }];
  const zone = await readHostsZone(inputs, { origin: 'branch.test', ns: ['ns1'] });
  const seen: Mismatch[] = [];
  const v = await verifyZone(zone, { server: { address: lab!.addresses.ns1Example, port: lab!.port }, onMismatch: (m) => seen.push(m) });
  assert.equal(v.status, 'CRITICAL');
  assert.deepEqual(v.problems.map((p) => [p.code, p.severity, p.counts]), [['MISMATCH', 'CRITICAL', { names: 1, addresses: 0, mismatches: 1 }]]);
  assert.deepEqual(v.mismatches.map((m) => [m.name, m.type, m.rcode, m.where]), [['gone.branch.test.', 'A', 'NXDOMAIN', 'mine.hosts:3']]);
  assert.deepEqual(seen, v.mismatches);
  assert.equal(v.timeMs, Math.round(v.timeMs * 1000) / 1000);
});

test('a hosts file changed after the migration: verify reports exactly the changed names, CRITICAL', async () => {
  const changed = join(dir, 'branch-changed.hosts');
  const text = readFileSync(BRANCH, 'utf8')
    .replace('198.18.10.22\tprinter', '198.18.10.23\tprinter') // moved
    .replace('2001:db8:b0:1::99\tlab6', '2001:db8:b0:1::98\tlab6') // IPv6 moved
    .concat('198.18.10.40\tnewbox.branch.test\tnewbox\n'); // added
  writeFileSync(changed, text);
  const { result, mismatches } = await h2z([changed, ...BRANCH_ARGS, '--verify', server]);
  assert.equal(result.status, 'CRITICAL');
  const v = result.verify!;
  assert.deepEqual([...new Set(v.mismatches.map((m) => m.name))].sort(), ['lab6.branch.test.', 'newbox.branch.test.', 'printer.branch.test.']);
  assert.equal(v.mismatchedNames, 3);
  assert.deepEqual(mismatches, v.mismatches);
  const printer = v.mismatches.find((m) => m.name === 'printer.branch.test.' && m.type === 'A')!;
  assert.deepEqual([printer.expected, printer.got], [['198.18.10.23'], ['198.18.10.22']]);
  assert.equal(v.mismatches.find((m) => m.name === 'newbox.branch.test.')!.rcode, 'NXDOMAIN');
  const t = renderHosts2zoneText(result);
  assert.match(t, /^HOSTS2ZONE CRITICAL - branch\.test\.: 3 names differ/);
  assert.match(t, /A printer\.branch\.test\.: server has 198\.18\.10\.22, expected 198\.18\.10\.23 \(.*branch-changed\.hosts:8\)/);
  assert.match(formatMismatch(printer), /\(.*branch-changed\.hosts:8\)$/);
});

test('verify with --reverse checks the PTRs too', async () => {
  const changed = join(dir, 'branch-ptr.hosts');
  // same names and addresses, but printer and kiosk-2 swap addresses: forward and PTR differ
  writeFileSync(changed, readFileSync(BRANCH, 'utf8').replace('198.18.10.21\tkiosk-2', '198.18.10.2X\tkiosk-2').replace('198.18.10.22\tprinter', '198.18.10.21\tprinter').replace('198.18.10.2X\tkiosk-2', '198.18.10.22\tkiosk-2'));
  const { result } = await h2z([changed, ...BRANCH_ARGS, '--reverse', '--verify', server]);
  assert.equal(result.status, 'CRITICAL');
  const ptr = result.verify!.mismatches.filter((m) => m.type === 'PTR').map((m) => m.name).sort();
  assert.deepEqual(ptr, ['21.10.18.198.in-addr.arpa.', '22.10.18.198.in-addr.arpa.']);
  assert.equal(result.verify!.mismatchedAddresses, 2);
});

test('the RPZ served: its policy records verify', async () => {
  const { result } = await h2z([BLOCKLIST, '--origin', 'rpz.test', '--format', 'rpz', '--verify', server]);
  assert.equal(result.verify!.mismatchCount, 0, JSON.stringify(result.verify!.mismatches));
  assert.equal(result.verify!.names, 18);
});

test('a dead server: verify is CRITICAL quickly (NO_ANSWER) and says so', async () => {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  sock.close(); // nothing listens there now
  const { result } = await h2z([BRANCH, '--origin', 'branch.test', '--verify', `127.0.0.1:${port}`, '--timeout', '0.5']);
  assert.equal(result.status, 'CRITICAL');
  assert.deepEqual(result.verify!.problems.map((p) => p.code), ['NO_ANSWER']);
  assert.match(renderHosts2zoneText(result), /did not answer the SOA query for branch\.test\./);
});

// --- errors of the run (exit 3 on the command line) --------------------------------------------

const FAILURES: Array<[string, string[], RegExp]> = [
  ['an unreadable file', ['/nonexistent/hosts', '--origin', 'corp.test'], /^cannot read '\/nonexistent\/hosts': no such file$/],
  ['a directory', ['/tmp', '--origin', 'corp.test'], /^cannot read '\/tmp': is a directory$/],
  ['no valid entry', [BLOCKLIST, '--origin', 'corp.test'], /^no valid entry for corp\.test in .*blocklist\.hosts \(see the messages above\)$/],
  ['an in-zone NS without an address', [BRANCH, '--origin', 'branch.test', '--ns', 'ns9'], /^name server ns9\.branch\.test is inside branch\.test, but no hosts line gives it an address: add one, or use an --ns outside the zone$/],
];

for (const [what, argv, message] of FAILURES) {
  test(`${what}: INPUT, one line`, async () => {
    const e = await failure(argv);
    assert.equal(e.code, 'INPUT');
    assert.equal(e.status, 'UNKNOWN');
    assert.match(e.message, message);
  });
}

// --- hostile input and hostile targets (issue 9) ------------------------------------------------

// issue 9.3: '192.0.2.1 a\r192.0.2.2 b\r' was one line: b became 'CNAME a' in a zone that loads
test('lone CR line ends: two lines, two address records, no CNAME', async () => {
  let zone = '';
  const { result } = await h2z(['-', '--origin', 'corp.test', '--serial', '1'], { stdin: Readable.from([Buffer.from('192.0.2.1 a\r192.0.2.2 b\r')]), writeZone: (c) => void (zone += Buffer.from(c).toString()) });
  assert.equal(result.status, 'OK');
  assert.match(zone, /\na\tIN\tA\t192\.0\.2\.1\nb\tIN\tA\t192\.0\.2\.2\n$/);
  assert.deepEqual(result.inputs, [{ file: '-', lines: 2, entries: 2 }]);
});

// issue 9.4: a line over 16 KiB was dropped whole: every valid name on it lost
test('a line of 3,000 names (over 16 KiB) gives 3,000 names', async () => {
  const names = Array.from({ length: 3000 }, (_, i) => `host-${i}`);
  const { result } = await h2z(['-', '--origin', 'corp.test', '--json', '--aliases', 'a'], { stdin: Readable.from([Buffer.from(`192.0.2.1 ${names.join(' ')}\n`)]) });
  assert.equal(result.status, 'OK');
  assert.equal(result.names, 3000);
  assert.equal(result.zones[0]!.records, 3002);
});

// issue 9.4: a 50 MB line of garbage: bounded, the valid lines kept, the long one reported with FILE:LINE
test('a 50 MB line: reported as FILE:LINE, the other lines kept', async () => {
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
  const { result, stderr } = await h2z([f, '--origin', 'corp.test', '--json']);
  assert.equal(result.status, 'WARNING');
  assert.deepEqual(stderr, [`${f}:2: error: line longer than 1 MiB (netlab's limit per line; it has 52,428,800 bytes) without a blank in its first 1 MiB: skipped (is this a hosts file?)`]);
  assert.equal(result.names, 2);
  rmSync(f);
});

// issue 9.4 and 9.8: /dev/zero as a hosts file grew without bound
test('/dev/zero as the hosts file: stops at the input bound (1 GiB by default)', { skip: existsSync('/dev/zero') ? false : 'no /dev/zero here' }, async () => {
  assert.equal(MAX_INPUT_BYTES, 1024 ** 3);
  // the same code path with an 8 MiB bound: reading 1 GiB of zeros in a test is slow, not more telling
  const e = await failure(['/dev/zero', '--origin', 'corp.test'], { inputBounds: { maxBytes: 8 * 1024 * 1024 } });
  assert.equal(e.message, "cannot read '/dev/zero': larger than 8 MiB (netlab's limit for this input)");
});

// issue 9.8: a FIFO as the hosts file: never hangs; one nobody writes to is a clear error
test('a FIFO as the hosts file: read when a writer comes, an INPUT error when none does', { skip: process.platform === 'win32' ? 'no FIFOs' : false }, async () => {
  const fifo = join(dir, 'in.fifo');
  execFileSync('mkfifo', [fifo]);
  // a writer that comes after the run has opened it (its open waits for a reader)
  const writer = spawn('sh', ['-c', `sleep 0.3; printf '192.0.2.1 www\\n' > '${fifo}'`]);
  const ok = await h2z([fifo, '--origin', 'corp.test', '--json']);
  writer.kill();
  assert.equal(ok.result.names, 1);
  // nobody writes: the idle bound (10 s by default, 0.5 s here), not forever
  const e = await failure([fifo, '--origin', 'corp.test'], { inputBounds: { idleMs: 500 } });
  assert.equal(e.message, `cannot read '${fifo}': no data in 0.5 s (a FIFO or device that nothing writes to?)`);
  rmSync(fifo);
});

// issue 9.10: db.DOMAIN a FIFO: hosts2zone hung forever on the serial read
test('targets that are not regular files are refused before anything is written: FIFO, directory, symlink to a device', async () => {
  const cases: Array<[string, (p: string) => void, RegExp]> = [
    ['fifo', (p) => execFileSync('mkfifo', [p]), /a FIFO, not a regular file \(refused: a zone is written over a regular file only\)$/],
    ['directory', (p) => mkdirSync(p), /a directory, not a regular file/],
    ['device', (p) => symlinkSync('/dev/null', p), /a symbolic link to a character device, not a regular file/],
  ];
  for (const [what, make, message] of cases) {
    const d = join(dir, `target-${what}`);
    mkdirSync(d);
    make(join(d, 'db.branch.test'));
    const e = await failure([BRANCH, '--origin', 'branch.test', '--out', d]);
    assert.match(e.message, new RegExp(`^cannot write '.*db\\.branch\\.test': ${message.source}`), what);
    assert.deepEqual(readdirSync(d), ['db.branch.test'], what);
  }
});

// issue 9.10: a rename that fails (an immutable target) left db.DOMAIN.PID.tmp behind
test('an immutable target: INPUT error, the old zone untouched, no temporary file', async (t) => {
  const d = join(dir, 'immutable');
  await h2z([BRANCH, '--origin', 'branch.test', '--out', d, '--serial', '1']);
  const target = join(d, 'db.branch.test');
  const old = readFileSync(target);
  try {
    execFileSync('chattr', ['+i', target], { stdio: 'pipe' });
  } catch (e) {
    return t.skip(`chattr +i is not possible here: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    const e = await failure([BRANCH, '--origin', 'branch.test', '--out', d, '--serial', '2']);
    assert.match(e.message, /^cannot replace '.*db\.branch\.test': operation not permitted .*; nothing was replaced$/);
    assert.deepEqual(readFileSync(target), old);
    assert.deepEqual(temps(d), []);
  } finally {
    execFileSync('chattr', ['-i', target]);
  }
});

// issue 9.10: a read-only (0444) db.DOMAIN came back 0644, silently
test('a read-only target is replaced, keeps its mode 0444, and a note says so', async () => {
  const d = join(dir, 'readonly');
  await h2z([BRANCH, '--origin', 'branch.test', '--out', d, '--serial', '1']);
  const target = join(d, 'db.branch.test');
  chmodSync(target, 0o444);
  const r = await h2z([BRANCH, '--origin', 'branch.test', '--out', d, '--serial', '2']);
  assert.equal(r.result.status, 'OK');
  assert.deepEqual(r.stderr, [`${target}: note: was read-only (mode 0444): replaced, and the new zone keeps that mode`]);
  assert.deepEqual(r.result.notes.map((n) => n.code), ['READ_ONLY']);
  assert.equal(statSync(target).mode & 0o777, 0o444);
  assert.match(readFileSync(target, 'utf8'), /\t2\t; serial/);
  chmodSync(target, 0o640);
  await h2z([BRANCH, '--origin', 'branch.test', '--out', d, '--serial', '3']);
  assert.equal(statSync(target).mode & 0o777, 0o640);
  assert.deepEqual(temps(d), []);
});

// issue 9.12: --out naming a regular file said "EEXIST"
test('--out naming a file: "not a directory"', async () => {
  const f = join(dir, 'a-file');
  writeFileSync(f, 'x');
  const e = await failure([BRANCH, '--origin', 'branch.test', '--out', f]);
  assert.equal(e.message, `cannot write in '${f}': not a directory`);
  assert.equal(readFileSync(f, 'utf8'), 'x');
});

// issue 9.13: 200 MB of random bytes on stdin gave 130 MB of errors on stderr, control characters raw
test('random bytes: the first 1,000 problems, one line counting the rest, the same in the result; no raw control character', async () => {
  const garbage = randomBytes(2 * 1024 * 1024);
  const none = await h2z(['-', '--origin', 'corp.test'], { stdin: Readable.from([garbage]) }).then(() => undefined, (e: unknown) => e);
  assert.ok(none instanceof NetlabError && /^no valid entry for corp\.test in -/.test(none.message), String(none));
  const good = Buffer.concat([garbage, Buffer.from('\n192.0.2.1 www\n')]);
  const { result, stderr } = await h2z(['-', '--origin', 'corp.test', '--json'], { stdin: Readable.from([good]) });
  assert.equal(result.status, 'WARNING');
  assert.equal(stderr.length, 1001);
  assert.equal(result.problems.length + result.notes.length, 1000);
  assert.deepEqual(stderr.slice(0, 1000), result.problems.map((p) => formatIssue(p)));
  const more = /^\.\.\. and ([\d,]+) more problems not shown \(([\d,]+) errors(?:, ([\d,]+) warnings)?\): only the first 1,000 are listed$/.exec(stderr[1000]!);
  assert.ok(more, stderr[1000]);
  const n = Number(more[1]!.replace(/,/g, ''));
  assert.equal(result.problemsOmitted, n);
  assert.equal(result.counts.errors + result.counts.warnings + result.counts.notes, 1000 + n);
  // eslint-disable-next-line no-control-regex
  for (const l of stderr) assert.doesNotMatch(l, /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
});

// issue 9.13: a bidi override in a hosts line went raw to the terminal
test('bidi overrides and escape sequences in a hosts line are escaped', async () => {
  const { stderr } = await h2z(['-', '--origin', 'corp.test'], { stdin: Readable.from([Buffer.from('192.0.2.1 ok\n192.0.2.2 a\u202eb\n192.0.2.\x1b[31m3 c\n')]), writeZone: () => undefined });
  assert.match(stderr[0]!, /^-:2: error: 'a\\u202eb' is not a valid internationalised name/);
  assert.match(stderr[1]!, /^-:3: error: '192\.0\.2\.\\x1b\[31m3' is not an IP address/);
});

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
test('a full file system: INPUT error naming the file and "no space left", the old zone byte for byte, no temporary file', async (t) => {
  const fs = smallTmpfs('16k');
  if (typeof fs === 'string') return t.skip(fs);
  try {
    const small = join(dir, 'full-small.hosts');
    writeFileSync(small, '192.0.2.1 www.big.test\n');
    await h2z([small, '--origin', 'big.test', '--out', fs.dir]);
    const old = readFileSync(join(fs.dir, 'db.big.test'));
    const big = join(dir, 'full-big.hosts');
    writeGeneratedHosts(big, 5000, 'big.test');
    const e = await failure([big, '--origin', 'big.test', '--out', fs.dir]);
    assert.match(e.message, /^cannot write '.*db\.big\.test': no space left on the device$/);
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
    await h2z([one, '--origin', 'corp.test', '--reverse', '--out', fs.dir]);
    const before = new Map(readdirSync(fs.dir).map((f) => [f, readFileSync(join(fs.dir, f))]));
    assert.equal(before.size, 2);
    // ten /24s: ten reverse zones of one page each, more than the 16 KiB left
    const many = join(dir, 'full-rev10.hosts');
    writeFileSync(many, Array.from({ length: 10 }, (_, i) => `198.51.${i}.1 h${i}.corp.test\n`).join('') + '192.0.2.1 www.corp.test\n');
    const e = await failure([many, '--origin', 'corp.test', '--reverse', '--out', fs.dir]);
    assert.match(e.message, /^cannot write '.*db\.\d+\.51\.198\.in-addr\.arpa': no space left on the device$/);
    assert.deepEqual(new Map(readdirSync(fs.dir).map((f) => [f, readFileSync(join(fs.dir, f))])), before);
  } finally {
    fs.unmount();
  }
});

// --- issue 9.14: SIGINT (the library side: the signal) -----------------------------------------

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
  const { result: r } = await h2z(['-', '--origin', 'corp.test', '--out', d], { stdin, signal: controller.signal });
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
  await h2z([small, '--origin', 'big.test', '--reverse', '--out', d]);
  const before = new Map(readdirSync(d).map((f) => [f, readFileSync(join(d, f))]));
  const big = join(dir, 'sigint-big.hosts');
  writeGeneratedHosts(big, 20_000, 'big.test'); // about 80 reverse zones
  const controller = new AbortController();
  // Ctrl-C as soon as the first temporary zone exists
  let polls = 0;
  const poll = () => {
    if (temps(d).length > 0) controller.abort();
    else if (++polls < 1_000_000) setImmediate(poll);
  };
  setImmediate(poll);
  const { result: r } = await h2z([big, '--origin', 'big.test', '--reverse', '--out', d], { signal: controller.signal });
  assert.equal(controller.signal.aborted, true, 'no temporary file was ever seen');
  assert.equal(r.interrupted, true);
  assert.equal(r.interruptedWhile, 'writing');
  assert.equal(r.status, 'UNKNOWN');
  assert.deepEqual(r.zones, []);
  assert.deepEqual(new Map(readdirSync(d).map((f) => [f, readFileSync(join(d, f))])), before);
  assert.match(renderHosts2zoneText(r), /interrupted while writing: nothing written, the files in .*sigint-write are untouched/);
});

test('interrupted during verify against a server gone silent: returns promptly with what was compared, interrupted', { timeout: 60_000 }, async () => {
  const controller = new AbortController();
  let seen = 0;
  // answers the SOA query and the next 5, then nothing (each later query would wait out 30 s twice)
  const silent = await startHostile({
    udp: (q) => {
      seen++;
      if (seen === 12) setImmediate(() => controller.abort());
      return seen <= 6 ? [{ bytes: goodReply(q) }] : [];
    },
  });
  try {
    const hosts = join(dir, 'sigint-verify.hosts');
    writeFileSync(hosts, Array.from({ length: 50 }, (_, i) => `192.0.2.1 h${i}\n`).join(''));
    let abortedAt = 0;
    controller.signal.addEventListener('abort', () => (abortedAt = Date.now()));
    const { result: r } = await h2z([hosts, '--origin', 'corp.test', '--verify', `${silent.address}:${silent.port}`, '--timeout', '30', '--concurrency', '8'], { signal: controller.signal });
    // well under one query timeout (30 s): the queries in flight were not waited for
    assert.ok(Date.now() - abortedAt < 10_000, `returned ${Date.now() - abortedAt} ms after the abort`);
    assert.equal(r.interrupted, true);
    assert.equal(r.interruptedWhile, 'verifying');
    assert.equal(r.status, 'UNKNOWN');
    assert.equal(r.verify!.interrupted, true);
    assert.equal(r.verify!.status, 'UNKNOWN');
    assert.equal(r.verify!.queries, 6); // the SOA and the 5 answered; those in flight are not counted
    assert.equal(r.verify!.mismatchCount, 0);
    assert.ok(r.verify!.names >= 1 && r.verify!.names <= 5, String(r.verify!.names));
    assert.match(renderHosts2zoneText(r), /^HOSTS2ZONE UNKNOWN - corp\.test\.: interrupted after 6 queries to 127\.0\.0\.1#\d+ \(\d names?\): 0 mismatches so far/);
  } finally {
    await silent.close();
  }
});

test('interrupted while writing the zone to stdout: stops after the chunk in hand, says the output is incomplete', { timeout: 60_000 }, async () => {
  const big = join(dir, 'sigint-stdout.hosts');
  writeGeneratedHosts(big, 50_000, 'big.test'); // a zone of two 1 MiB chunks
  const controller = new AbortController();
  let chunks = 0;
  const { result: r } = await h2z([big, '--origin', 'big.test'], {
    signal: controller.signal,
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

// --- the demo's part, in process ---------------------------------------------------------------

test("the demo's hosts2zone steps: migrate its sample, serve it, verify it and a changed copy", { timeout: 60_000 }, async () => {
  const { prepareHosts2zoneDemo } = await import('../../src/commands/hosts2zone/demo-sample.js');
  const demo = await prepareHosts2zoneDemo();
  try {
    assert.deepEqual(demo.zones.map((z) => z.origin), ['corp.test.', '100.51.198.in-addr.arpa.', '113.0.203.in-addr.arpa.', '1.0.0.0.0.c.0.0.8.b.d.0.1.0.0.2.ip6.arpa.']);
    // the lab of this file serves the same zones (its sample is office.hosts, migrated with the same options)
    const steps = await demo.steps(server);
    assert.deepEqual(steps.map((s) => [s.expected, s.status]), [['WARNING', 'WARNING'], ['WARNING', 'WARNING'], ['CRITICAL', 'CRITICAL']]);
    assert.match(steps[0]!.output, /^office\.hosts:34: error: '127\.1' is a short IPv4 address/m);
    assert.match(steps[2]!.output, /A print\.corp\.test\.: server has 198\.51\.100\.13, expected 198\.51\.100\.31/);
  } finally {
    demo.close();
  }
});

// --- the real binary: exit codes, stdout, stderr -------------------------------------------------

test('CLI: --out with bad lines writes the zones, the table on stdout, FILE:LINE on stderr, exit 1', async () => {
  const d = join(dir, 'cli-out');
  const r = await runCli(['hosts2zone', OFFICE, ...OFFICE_ARGS, '--reverse', '--out', d]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^HOSTS2ZONE WARNING - corp\.test\.: 4 zones written, 6 bad lines, 3 warnings, 6 notes/);
  assert.match(r.stdout, /│ Zone +│ File +│ Records │ Serial +│/);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 15);
  for (const l of lines) assert.match(l, /^\/.*office\.hosts:\d+: (error|warning|note): /);
  assert.equal(readdirSync(d).length, 4);
  assert.deepEqual(temps(d), []);
});

test('CLI: the zone on stdout and the summary on stderr; - reads stdin; exit 0', async () => {
  const r = await runCli(['hosts2zone', '-', '--origin', 'corp.test', '--serial', '42'], { input: '192.0.2.1 www web\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^; corp\.test: written by netlab hosts2zone from -\n\$ORIGIN corp\.test\.\n\$TTL 3600\n@\tIN\tSOA\tlocalhost\. hostmaster\.corp\.test\. \(\n\t\t42\t; serial/);
  assert.match(r.stdout, /\nwww\tIN\tA\t192\.0\.2\.1\nweb\tIN\tCNAME\twww\n$/);
  assert.equal(r.stderr, 'HOSTS2ZONE OK - corp.test.: zone written to stdout, no problems\n1 file, 1 line, 1 entry: 2 names, 1 address; 4 records, serial 42.\n');
});

test('CLI: --json alone is one document: problems (WARNING, FILE:LINE) and notes apart, exit 1', async () => {
  const r = await runCli(['hosts2zone', OFFICE, ...OFFICE_ARGS, '--json']);
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.action, 'check');
  assert.deepEqual(doc.counts, { errors: 6, warnings: 3, notes: 6 });
  assert.deepEqual(doc.problems.filter((p: { code: string }) => p.code === 'BAD_ADDRESS').map((p: object) => p), [
    { code: 'BAD_ADDRESS', severity: 'WARNING', message: "'198.51.100.300' is not an IPv4 address: a part is over 255", subject: `${OFFICE}:33`, file: OFFICE, line: 33 },
  ]);
  assert.equal(doc.notes.length, 6);
  assert.equal(r.stderr.trim().split('\n').length, 15);
});

test('CLI: --verify with a changed file: the mismatches on stdout and stderr, exit 2', async () => {
  const r = await runCli(['hosts2zone', join(dir, 'branch-changed.hosts'), ...BRANCH_ARGS, '--verify', server]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stdout, /^HOSTS2ZONE CRITICAL - branch\.test\.: 3 names differ/);
  assert.match(r.stderr, /^mismatch: A printer\.branch\.test\.: server has 198\.18\.10\.22, expected 198\.18\.10\.23/m);
});

test('CLI: an unreadable file and no valid entry: one line, exit 3, no stack trace; --json an error document', async () => {
  const r = await runCli(['hosts2zone', '/nonexistent/hosts', '--origin', 'corp.test']);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, "netlab hosts2zone: cannot read '/nonexistent/hosts': no such file\n");
  const j = await runCli(['hosts2zone', BLOCKLIST, '--origin', 'corp.test', '--json']);
  assert.equal(j.code, 3);
  assert.deepEqual(JSON.parse(j.stdout), { status: 'UNKNOWN', error: { code: 'INPUT', message: `no valid entry for corp.test in ${BLOCKLIST} (see the messages above)` } });
  assert.match(j.stderr, /\nnetlab hosts2zone: no valid entry for corp\.test in .*blocklist\.hosts \(see the messages above\)\n$/);
  assert.doesNotMatch(j.stderr, /\n\s+at /);
});

// --- the lab serves what hosts2zone wrote ---------------------------------------------------------

// one lab spawn for what `netlab lab` does as a binary (test/integration/lab-demo.test.ts had a
// second one for --json and SIGINT; a lab start is some 2.5 s of CPU, mostly its TLS keys)
test('netlab lab --json --zone prints its endpoints, serves its own zones and the migrated ones, and stops on SIGINT with exit 0', { timeout: 60_000 }, async () => {
  const files = ['db.branch.test', 'db.10.18.198.in-addr.arpa', 'db.1.0.0.0.0.b.0.0.8.b.d.0.1.0.0.2.ip6.arpa'].map((f) => join(out, f));
  const child = spawn(process.execPath, [BIN, 'lab', '--port', '0', '--json', '--zone', ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
  // waited for in finally: made now, so an early exit is not missed (a missed 'close' would hang the test)
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  let text = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  try {
    const doc = await new Promise<{ port: number; endpoints: Array<{ role: string; address: string }>; examples: string[] }>((resolve, reject) => {
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
    assert.ok(doc.port > 0);
    assert.ok(doc.examples.some((e) => e.includes('+trace')));
    // the lab's own zones, asked through the binary too
    const labNs1 = doc.endpoints.find((e) => e.role === 'ns1.example.test')!;
    const own = await runCli(['dig', `@${labNs1.address}`, '-p', String(doc.port), 'www.example.test', '+short']);
    assert.equal(own.stdout, '192.0.2.10\n');
    const ns1 = { address: '127.53.0.3', port: doc.port };
    const q = await query(ns1, { name: 'portal.branch.test', type: 1 }, { timeoutMs: 2000, tries: 2, recurse: false });
    assert.deepEqual(q.message.answers.map((a) => a.type), ['CNAME', 'A']);
    assert.equal(String(q.message.answers[1]!.data), '198.18.10.10');
    const { result } = await h2z([BRANCH, ...BRANCH_ARGS, '--reverse', '--verify', `127.53.0.3:${doc.port}`]);
    assert.equal(result.status, 'OK', JSON.stringify(result.verify));
    child.kill('SIGINT');
    assert.equal(await closed, 0, `SIGINT is the lab's normal end: ${err}`);
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
