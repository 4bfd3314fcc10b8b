/**
 * hosts2zone against BIND: every zone written for a corpus of hosts files (an office file
 * with aliases, IPv6, duplicates and bad lines; a clean branch file; a generated 100,000-line
 * file; a blocklist as an RPZ) passes named-checkzone, loads in a real named on 127.0.0.1 and
 * a random high port with its default check-names, and BIND's dig gets for every valid entry
 * (a sample of 1,500 hosts for the big file) what the hosts file says, forward and PTR; the
 * RPZ blocks its names in a resolver (forwarding only to a dead loopback port: nothing leaves
 * 127/8). netlab's --verify agrees with named. Needs named-checkzone, named and dig (Debian:
 * bind9-utils, bind9, bind9-dnsutils); skipped with the reason when one is missing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.js';
import { run, which } from '../helpers/tools.js';
import { NAMED_ADDR as ADDR, freeDnsPort, startNamed, type Named } from '../helpers/named.js';
import { generatedLine, hostV4, hostV6, writeGeneratedHosts } from '../helpers/hosts-gen.js';

const CHECKZONE = which('named-checkzone');
const NAMED = which('named');
const DIG = which('dig');
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/hosts/', import.meta.url));
const BIG_LINES = 100_000;
const SAMPLE = 1500;

const skipCheck = CHECKZONE ? false : 'named-checkzone is not installed (apt-get install bind9-utils)';
const skipNamed = CHECKZONE && NAMED && DIG ? false : 'named, dig or named-checkzone is not installed (apt-get install bind9 bind9-dnsutils bind9-utils)';

let dir = '';
let zonesDir = '';
let named: Named | undefined;
let namedFailure = '';
let port = 0;
const migrations: Record<string, Awaited<ReturnType<typeof runCli>>> = {};

/** Every zone file written, as [zone, path]. */
function zoneFiles(): Array<[string, string]> {
  return readdirSync(zonesDir).filter((f) => f.startsWith('db.')).sort().map((f) => [f.slice(3), join(zonesDir, f)]);
}

before(async () => {
  if (!CHECKZONE) return;
  dir = mkdtempSync(join(tmpdir(), 'netlab-h2z-bind-'));
  zonesDir = join(dir, 'zones');
  const big = join(dir, 'big.hosts');
  writeGeneratedHosts(big, BIG_LINES, 'big.test');
  const h2z = (name: string, args: string[]) => runCli(['hosts2zone', ...args, '--out', zonesDir, '--json'], { timeoutMs: 60_000 }).then((r) => (migrations[name] = r));
  await h2z('office', [join(FIXTURES, 'office.hosts'), '--origin', 'corp.test', '--ns', 'ns1', '--ns', 'ns2', '--reverse']);
  await h2z('branch', [join(FIXTURES, 'branch.hosts'), '--origin', 'branch.test', '--ns', 'ns1', '--reverse', '--aliases', 'a']);
  await h2z('rpz', [join(FIXTURES, 'blocklist.hosts'), '--origin', 'rpz.corp.test', '--format', 'rpz']);
  await h2z('big', [big, '--origin', 'big.test', '--reverse', '--contact', 'o.brien;x@big.test']);
  if (!NAMED || !DIG) return;
  const dead = await freeDnsPort();
  const started = await startNamed({
    named: NAMED,
    dir,
    avoid: [dead],
    // recursion only for the RPZ check, forwarded to a dead loopback port: nothing leaves 127/8
    options: `  recursion yes; allow-recursion { 127.0.0.1; }; forward only; forwarders { 127.0.0.1 port ${dead}; };
  response-policy { zone "rpz.corp.test"; } qname-wait-recurse no;`,
    zones: () => zoneFiles().map(([z, f]) => `zone "${z}" { type primary; file "${f}"; };`).join('\n'),
  });
  if ('failure' in started) namedFailure = started.failure;
  else {
    named = started;
    port = started.port;
  }
});

after(async () => {
  await named?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the corpus converts: exit codes and no valid entry lost', { skip: skipCheck }, () => {
  assert.equal(migrations.office!.code, 1, migrations.office!.stderr);
  assert.equal(migrations.branch!.code, 0, migrations.branch!.stderr);
  assert.equal(migrations.rpz!.code, 1, migrations.rpz!.stderr);
  assert.equal(migrations.big!.code, 0, migrations.big!.stderr.slice(0, 2000));
  const office = JSON.parse(migrations.office!.stdout);
  assert.equal(office.counts.errors, 6);
  const big = JSON.parse(migrations.big!.stdout);
  // every non-comment line of the generated file is an entry; every host a name (www aliases too)
  assert.equal(big.inputs[0].entries, BIG_LINES - Math.floor(BIG_LINES / 1000));
  const hosts = Math.ceil((BIG_LINES - Math.floor(BIG_LINES / 1000)) * 9 / 10);
  assert.ok(big.names >= hosts + Math.floor(hosts / 4), `${big.names} names`);
  assert.equal(big.problems.length, 0);
});

test('every zone written passes named-checkzone (check-names fail, local integrity checks)', { skip: skipCheck }, async () => {
  const files = zoneFiles();
  assert.ok(files.length > 300, `${files.length} zone files`);
  const failures: string[] = [];
  // a few at a time: the big file's reverse zones are hundreds of small files
  for (let i = 0; i < files.length; i += 8) {
    const batch = files.slice(i, i + 8);
    const results = await Promise.all(batch.map(([zone, file]) => run(CHECKZONE!, ['-k', 'fail', '-i', 'local', zone, file], 30_000)));
    results.forEach((r, k) => {
      if (r.code !== 0 || !/\nOK\n$/.test(r.stdout)) failures.push(`${batch[k]![0]}: ${r.stdout}${r.stderr}`);
    });
  }
  assert.deepEqual(failures, []);
});

interface Answers {
  /** owner (lower case, trailing dot) -> type -> data */
  byOwner: Map<string, Map<string, string[]>>;
}

/** Ask BIND's dig for many questions at once (dig -f), and index the answer lines. */
async function ask(questions: string[]): Promise<Answers> {
  const batch = join(dir, `batch-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(batch, questions.map((q) => `@${ADDR} -p ${port} ${q} +norec +noall +answer +time=2 +tries=2\n`).join(''));
  const r = await run(DIG!, ['-f', batch], 120_000);
  const byOwner = new Map<string, Map<string, string[]>>();
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+)\s+\d+\s+IN\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const owner = m[1]!.toLowerCase();
    let types = byOwner.get(owner);
    if (!types) byOwner.set(owner, (types = new Map()));
    const list = types.get(m[2]!) ?? [];
    if (!list.includes(m[3]!)) list.push(m[3]!);
    types.set(m[2]!, list);
  }
  return { byOwner };
}

/** What a client gets for NAME TYPE: through a CNAME when there is one. */
function resolved(a: Answers, name: string, type: string): string[] {
  let owner = name.toLowerCase();
  for (let hops = 0; hops < 8; hops++) {
    const t = a.byOwner.get(owner);
    if (!t) return [];
    if (t.has(type)) return [...t.get(type)!].sort();
    const cname = t.get('CNAME')?.[0];
    if (!cname) return [];
    owner = cname.toLowerCase();
  }
  return [];
}

/** An IPv6 address as its 32 hex digits (to compare any two text forms). */
function expand6(address: string): string {
  const [h, t] = address.split('::') as [string, string | undefined];
  const head = h ? h.split(':') : [];
  const tail = t ? t.split(':') : [];
  const groups = t === undefined ? head : [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail];
  return groups.map((g) => g.padStart(4, '0')).join('');
}

function ptrName(address: string): string {
  if (!address.includes(':')) return `${address.split('.').reverse().join('.')}.in-addr.arpa.`;
  return `${expand6(address).split('').reverse().join('.')}.ip6.arpa.`;
}

// What office.hosts says, written out by hand (an oracle independent of the parser).
const OFFICE_FORWARD: Record<string, string[]> = {
  gw: ['198.51.100.1'], router: ['198.51.100.1'],
  www: ['198.51.100.10', '2001:db8:c0:1::10'], intranet: ['198.51.100.10', '2001:db8:c0:1::10'], wiki: ['198.51.100.10', '2001:db8:c0:1::10'],
  mail: ['198.51.100.11', '2001:db8:c0:1::11'], smtp: ['198.51.100.11', '2001:db8:c0:1::11'], imap: ['198.51.100.11', '2001:db8:c0:1::11'],
  files: ['198.51.100.12'], nas: ['198.51.100.12'], print: ['198.51.100.13'],
  ns1: ['198.51.100.53', '2001:db8:c0:1::53'], ns2: ['198.51.100.54'],
  'alice-pc': ['203.0.113.21'], 'bob-laptop': ['203.0.113.22'], 'carol-mac': ['203.0.113.23'],
  dev: ['203.0.113.24'], build: ['203.0.113.24'], ci: ['203.0.113.24', '203.0.113.25'],
  buildbox: ['198.51.100.15'], build_box: ['198.51.100.15'],
};
const OFFICE_PTR: Record<string, string> = {
  '198.51.100.1': 'gw', '198.51.100.10': 'www', '198.51.100.11': 'mail', '198.51.100.12': 'files', '198.51.100.13': 'print',
  '198.51.100.53': 'ns1', '198.51.100.54': 'ns2', '198.51.100.15': 'buildbox', '203.0.113.21': 'alice-pc', '203.0.113.22': 'bob-laptop',
  '203.0.113.23': 'carol-mac', '203.0.113.24': 'dev', '203.0.113.25': 'ci', '2001:db8:c0:1::10': 'www', '2001:db8:c0:1::11': 'mail',
  '2001:db8:c0:1::53': 'ns1',
};
const OFFICE_ABSENT = ['broken', 'shorty', 'octal', 'scoped', 'localhost', 'ip6-localhost', 'docs.partner.example.corp.test'];

const v4 = (list: string[]) => list.filter((a) => !a.includes(':')).sort();
const v6 = (list: string[]) => list.filter((a) => a.includes(':')).sort();

test('named serves the office zone: every valid entry answers what the hosts file says, forward and PTR', { skip: skipNamed }, async () => {
  assert.ok(named, `named did not load the zones:\n${namedFailure}`);
  const names = Object.keys(OFFICE_FORWARD).map((n) => `${n}.corp.test.`);
  const qs = [
    ...names.flatMap((n) => [`${n} A`, `${n} AAAA`]),
    ...Object.keys(OFFICE_PTR).map((a) => `${ptrName(a)} PTR`),
    ...OFFICE_ABSENT.map((n) => `${n}.corp.test. A`),
    'corp.test. NS',
  ];
  const a = await ask(qs);
  for (const [n, addrs] of Object.entries(OFFICE_FORWARD)) {
    assert.deepEqual(resolved(a, `${n}.corp.test.`, 'A'), v4(addrs), `${n} A`);
    assert.deepEqual(resolved(a, `${n}.corp.test.`, 'AAAA'), v6(addrs), `${n} AAAA`);
  }
  for (const [addr, n] of Object.entries(OFFICE_PTR)) assert.deepEqual(resolved(a, ptrName(addr), 'PTR'), [`${n}.corp.test.`], `PTR ${addr}`);
  for (const n of OFFICE_ABSENT) assert.deepEqual(resolved(a, `${n}.corp.test.`, 'A'), [], `${n} must not exist`);
  assert.deepEqual(resolved(a, 'corp.test.', 'NS'), ['ns1.corp.test.', 'ns2.corp.test.']);
  // aliases are CNAMEs where they may be, address records where they may not
  assert.deepEqual(a.byOwner.get('intranet.corp.test.')?.get('CNAME'), ['www.corp.test.']);
  assert.equal(a.byOwner.get('ci.corp.test.')?.get('CNAME'), undefined);
});

test('named serves the 100,000-line file: a sample of 1,500 hosts, forward (A, AAAA, alias) and PTR', { skip: skipNamed, timeout: 60_000 }, async () => {
  assert.ok(named, 'named is not running');
  const hosts = new Map<number, { v6: boolean; alias: boolean }>();
  for (let k = 0; k < BIG_LINES; k++) {
    const l = generatedLine(k);
    if (l.host === undefined) continue;
    const h = hosts.get(l.host) ?? { v6: false, alias: false };
    if (l.family === 6) h.v6 = true;
    else h.alias = l.text.includes(' www');
    hosts.set(l.host, h);
  }
  // a deterministic spread over the whole file, the first and last hosts included
  const all = [...hosts.keys()];
  const picked = Array.from({ length: SAMPLE }, (_, i) => all[Math.floor((i * (all.length - 1)) / (SAMPLE - 1))]!);
  const qs: string[] = [];
  for (const i of picked) {
    const h = hosts.get(i)!;
    qs.push(`h${i}.big.test. A`, `${ptrName(hostV4(i))} PTR`);
    if (h.v6) qs.push(`h${i}.big.test. AAAA`, `${ptrName(hostV6(i))} PTR`);
    if (h.alias) qs.push(`www${i}.big.test. A`);
  }
  const a = await ask(qs);
  let checked = 0;
  for (const i of picked) {
    const h = hosts.get(i)!;
    assert.deepEqual(resolved(a, `h${i}.big.test.`, 'A'), [hostV4(i)], `h${i} A`);
    assert.deepEqual(resolved(a, ptrName(hostV4(i)), 'PTR'), [`h${i}.big.test.`], `PTR ${hostV4(i)}`);
    if (h.v6) {
      assert.deepEqual(resolved(a, `h${i}.big.test.`, 'AAAA').map(expand6), [expand6(hostV6(i))], `h${i} AAAA`);
      assert.deepEqual(resolved(a, ptrName(hostV6(i)), 'PTR'), [`h${i}.big.test.`], `PTR ${hostV6(i)}`);
    }
    if (h.alias) assert.deepEqual(resolved(a, `www${i}.big.test.`, 'A'), [hostV4(i)], `www${i}`);
    checked++;
  }
  assert.equal(checked, SAMPLE);
});

test('named serves the branch zone written with --aliases a: aliases are address records', { skip: skipNamed }, async () => {
  const a = await ask(['portal.branch.test. A', 'portal.branch.test. AAAA', 'www.branch.test. AAAA', 'api.branch.test. A', 'smtp.branch.test. A']);
  assert.deepEqual(resolved(a, 'portal.branch.test.', 'A'), ['198.18.10.10']);
  // issue 10.6: portal stands only on www's IPv4 lines: no AAAA (www's IPv6 line does not name it), as getaddrinfo answers
  assert.deepEqual(resolved(a, 'portal.branch.test.', 'AAAA'), []);
  assert.deepEqual(resolved(a, 'www.branch.test.', 'AAAA'), ['2001:db8:b0:1::10']);
  assert.equal(a.byOwner.get('portal.branch.test.')?.get('CNAME'), undefined);
  assert.deepEqual(resolved(a, 'api.branch.test.', 'A'), ['198.18.10.30', '198.18.10.31']);
});

test('the blocklist as an RPZ: named loads it as a response policy and answers NXDOMAIN for every blocked name', { skip: skipNamed }, async () => {
  const blocked = ['ads.example.com', 'track.example.net', 'pixel.example.net', 'xn--bcher-kva.example', 'upper.example.com', 'legacy-block.example.com', '_dmarc.spam.example', 'deep.sub.domain.example.com'];
  for (const name of blocked) {
    const r = await run(DIG!, [`@${ADDR}`, '-p', String(port), name, 'A', '+time=2', '+tries=1']);
    assert.match(r.stdout, /status: NXDOMAIN/, `${name}: ${r.stdout}`);
  }
  // and the policy records themselves, as netlab --verify reads them
  const v = await runCli(['hosts2zone', join(FIXTURES, 'blocklist.hosts'), '--origin', 'rpz.corp.test', '--format', 'rpz', '--verify', `${ADDR}:${port}`, '--json']);
  const doc = JSON.parse(v.stdout);
  assert.equal(doc.verify.mismatchCount, 0, JSON.stringify(doc.verify.mismatches.slice(0, 5)));
  assert.equal(doc.verify.names, 18);
});

test('netlab hosts2zone --verify agrees with named: the office (exit 1: its bad lines) and the branch (exit 0)', { skip: skipNamed }, async () => {
  const office = await runCli(['hosts2zone', join(FIXTURES, 'office.hosts'), '--origin', 'corp.test', '--ns', 'ns1', '--ns', 'ns2', '--reverse', '--verify', `${ADDR}:${port}`, '--json']);
  assert.equal(office.code, 1);
  const doc = JSON.parse(office.stdout);
  assert.equal(doc.verify.mismatchCount, 0, JSON.stringify(doc.verify.mismatches));
  assert.equal(doc.verify.authoritative, true);
  const branch = await runCli(['hosts2zone', join(FIXTURES, 'branch.hosts'), '--origin', 'branch.test', '--ns', 'ns1', '--reverse', '--aliases', 'a', '--verify', `${ADDR}:${port}`]);
  assert.equal(branch.code, 0, branch.stdout);
});

test('the SOA contact with special characters is escaped, and named reads it back as written', { skip: skipNamed }, async () => {
  const r = await run(DIG!, [`@${ADDR}`, '-p', String(port), 'big.test', 'SOA', '+short', '+norec']);
  assert.match(r.stdout, /^localhost\. o\\\.brien\\;x\.big\.test\. 20\d{8} 3600 900 1209600 3600\n$/);
});
