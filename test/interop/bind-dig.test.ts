/**
 * netlab dig against BIND: the same server answers both tools and the lines must be equal,
 * byte for byte (tab alignment, escaping, hex and base64 splitting). Needs `dig` and
 * `named` (Debian: bind9-dnsutils, bind9); .ci/run installs them when it runs as root.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab, type Lab } from '../../src/lab/index.js';
import { runCli } from '../helpers/cli.js';
import { run, which } from '../helpers/tools.js';
import { NAMED_ADDR, startNamed, type Named } from '../helpers/named.js';

const DIG = which('dig');
const NAMED = which('named');
const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/interop/db.interop.test', import.meta.url));

let lab: Lab | undefined;
let named: Named | undefined;
let namedFailure = '';
let namedPort = 0;
let dir = '';

const COMMS_FAILURE = /no servers could be reached|communications error|connection refused|timed out/;

/**
 * The same query through BIND dig and netlab dig. When either could not reach the server at all
 * (a transient failure of the server, not a difference between the tools), both run again, three
 * rounds at most; the outputs of the last round are compared by the caller.
 */
async function bothDig(server: string, port: number, args: string[]): Promise<{ bind: string; ours: string; code: number | null }> {
  let last = { bind: '', ours: '', code: null as number | null };
  for (let round = 0; round < 3; round++) {
    const bind = await run(DIG!, [`@${server}`, '-p', String(port), ...args]);
    const ours = await runCli(['dig', `@${server}`, '-p', String(port), ...args]);
    last = { bind: bind.stdout, ours: ours.stdout, code: ours.code };
    if (!COMMS_FAILURE.test(last.bind + ours.stdout + ours.stderr)) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  return last;
}

/** named is up, or the test fails with its log. */
function assertNamed(): void {
  assert.ok(named, `named did not start:\n${namedFailure}`);
}

/** The tail of named's log, for a failure message. */
const namedLog = () => `\n--- named log (tail) ---\n${named?.log().slice(-2000) ?? namedFailure}`;

before(async () => {
  if (DIG) lab = await startLab({ port: 0 });
  if (DIG && NAMED) {
    dir = mkdtempSync(join(tmpdir(), 'netlab-named-'));
    writeFileSync(join(dir, 'db.interop.test'), readFileSync(FIXTURE));
    // a root that delegates interop.test (for +trace against named) and a reverse zone (for -x)
    writeFileSync(join(dir, 'db.root'), `$TTL 300
.\tIN SOA ns.root.test. hostmaster.root.test. 1 3600 900 604800 300
.\tIN NS ns.root.test.
ns.root.test.\tIN A 127.0.0.1
interop.test.\tIN NS ns1.interop.test.
ns1.interop.test.\tIN A 127.0.0.1
`);
    writeFileSync(join(dir, 'db.192.0.2'), `$TTL 300
@\tIN SOA ns1.interop.test. hostmaster.interop.test. 1 3600 900 604800 300
@\tIN NS ns1.interop.test.
1\tIN PTR interop.test.
2\tIN PTR mail.interop.test.
`);
    writeFileSync(join(dir, 'db.ip6'), `$TTL 300
@\tIN SOA ns1.interop.test. hostmaster.interop.test. 1 3600 900 604800 300
@\tIN NS ns1.interop.test.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0\tIN PTR interop.test.
`);
    const started = await startNamed({
      named: NAMED,
      dir,
      zones: () => `zone "interop.test" { type primary; check-names ignore; file "${dir}/db.interop.test"; };
zone "." { type primary; file "${dir}/db.root"; };
zone "2.0.192.in-addr.arpa" { type primary; file "${dir}/db.192.0.2"; };
zone "8.b.d.0.1.0.0.2.ip6.arpa" { type primary; file "${dir}/db.ip6"; };`,
    });
    if ('failure' in started) namedFailure = started.failure;
    else {
      named = started;
      namedPort = started.port;
    }
  }
});

after(async () => {
  await lab?.close();
  await named?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const LAB_QUERIES: string[][] = [
  ['www.example.test'], ['www.example.test', 'AAAA'], ['example.test', 'MX'], ['example.test', 'NS'],
  ['example.test', 'SOA'], ['txt.example.test', 'TXT'], ['_sip._tcp.example.test', 'SRV'],
  ['example.test', 'CAA'], ['example.test', 'HTTPS'], ['_dns.example.test', 'SVCB'],
  ['_http._tcp.example.test', 'URI'], ['unknown.example.test', 'TYPE65534'], ['host.example.test', 'HINFO'],
  ['alias.example.test'], ['anything.wild.example.test'], ['anything.wild.example.test', 'TXT'],
  ['big.example.test'], ['huge.example.test', 'AAAA'], ['nope.example.test'], ['-x', '192.0.2.10'],
  ['-x', '2001:db8::10'], ['www.example.test', 'MX'],
];

test('netlab dig +short prints what BIND dig +short prints, for every lab query', { skip: DIG ? false : 'dig is not installed (apt-get install bind9-dnsutils)' }, async () => {
  for (const q of LAB_QUERIES) {
    const r = await bothDig(lab!.dns.addresses.ns1Example, lab!.port, [...q, '+short']);
    assert.equal(r.ours, r.bind, `+short ${q.join(' ')}`);
  }
});

test('netlab dig +noall +answer +authority lines equal BIND dig for every lab query', { skip: DIG ? false : 'dig is not installed' }, async () => {
  for (const q of LAB_QUERIES) {
    const r = await bothDig(lab!.dns.addresses.ns1Example, lab!.port, [...q, '+noall', '+answer', '+authority']);
    assert.equal(r.ours, r.bind, q.join(' '));
  }
});

const NAMED_QUERIES: string[][] = [
  ['interop.test', 'A'], ['interop.test', 'AAAA'], ['interop.test', 'MX'], ['txt.interop.test', 'TXT'],
  ['srv.interop.test', 'SRV'], ['interop.test', 'CAA'], ['interop.test', 'HTTPS'], ['svc.interop.test', 'SVCB'],
  ['svc2.interop.test', 'SVCB'], ['interop.test', 'URI'], ['www.interop.test'], ['unk.interop.test', 'TYPE65534'],
  ['unk2.interop.test', 'TYPE65533'], ['hinfo.interop.test', 'HINFO'], ['ds.interop.test', 'DS'],
  ['ssh.interop.test', 'SSHFP'], ['_443._tcp.interop.test', 'TLSA'], ['key.interop.test', 'DNSKEY'],
  ['naptr.interop.test', 'NAPTR'], ['sig.interop.test', 'RRSIG'], ['nsec.interop.test', 'NSEC'],
  ['n3p.interop.test', 'NSEC3PARAM'], ['x.wild.interop.test'], ['esc\\.dot.interop.test'],
  ['spf.interop.test', 'SPF'], ['interop.test', 'SOA'], ['interop.test', 'NS'], ['nope.interop.test'],
  ['interop.test', 'ANY'],
  // older and rarer types
  ...['RP', 'AFSDB', 'KX', 'RT', 'MB', 'MG', 'MR', 'MINFO', 'X25', 'ISDN', 'NSAP', 'PX', 'GPOS', 'EUI48', 'EUI64', 'L32', 'L64',
    'LP', 'NID', 'AVC', 'NINFO', 'OPENPGPKEY', 'DHCID', 'CERT', 'CSYNC', 'ZONEMD', 'IPSECKEY', 'HIP', 'LOC', 'APL', 'WKS', 'A6',
    'KEY', 'TALINK', 'TA', 'DLV', 'SINK', 'DOA', 'AMTRELAY'].map((t) => [`${t.toLowerCase().replace('openpgpkey', 'openpgp')}.interop.test`, t]),
];

test('a zone served by BIND named answers netlab dig exactly as it answers dig', { skip: DIG && NAMED ? false : 'named or dig is not installed (apt-get install bind9 bind9-dnsutils)' }, async () => {
  assertNamed();
  for (const q of NAMED_QUERIES) {
    const r = await bothDig(NAMED_ADDR, namedPort, [...q, '+noall', '+answer', '+authority']);
    assert.ok(r.bind.length > 0, `BIND gave no output for ${q.join(' ')}${namedLog()}`);
    // named rotates the order of an RRset between answers (rrset-order cyclic): compare as sets of lines
    const sorted = (t: string) => t.split('\n').sort().join('\n');
    assert.equal(sorted(r.ours), sorted(r.bind), `${q.join(' ')}${namedLog()}`);
  }
});

test('the full dig layout matches BIND dig apart from the banner, id, time and date', { skip: DIG ? false : 'dig is not installed' }, async () => {
  const normalise = (s: string) => s
    .replace(/^; <<>> .* <<>> /m, '; <<>> DIG <<>> ')
    .replace(/id: \d+/, 'id: ID')
    .replace(/Query time: \d+ msec/, 'Query time: T msec')
    .replace(/WHEN: .*/, 'WHEN: DATE');
  for (const q of [['www.example.test'], ['nope.example.test'], ['huge.example.test', 'AAAA'], ['www.example.test', '+nsid'], ['www.example.test', '+noedns'], ['example.test', 'NS']]) {
    const r = await bothDig(lab!.dns.addresses.ns1Example, lab!.port, q);
    assert.equal(normalise(r.ours), normalise(r.bind), q.join(' '));
  }
});

test('-x against BIND named: the same PTR lines as BIND dig, IPv4 and IPv6', { skip: DIG && NAMED ? false : 'named or dig is not installed' }, async () => {
  assertNamed();
  for (const q of [['-x', '192.0.2.1'], ['-x', '192.0.2.2'], ['-x', '2001:db8::1'], ['-x', '192.0.2.99']]) {
    const r = await bothDig(NAMED_ADDR, namedPort, [...q, '+noall', '+answer', '+authority']);
    assert.ok(r.bind.length > 0, `${q.join(' ')}${namedLog()}`);
    assert.equal(r.ours, r.bind, `${q.join(' ')}${namedLog()}`);
  }
});

test('+trace against BIND named: from its root NS set to the answer, exit 0', { skip: DIG && NAMED ? false : 'named or dig is not installed' }, async () => {
  assertNamed();
  const r = await runCli(['dig', `@${NAMED_ADDR}`, '-p', String(namedPort), '+trace', 'interop.test', 'MX']);
  assert.equal(r.code, 0, r.stdout + r.stderr + namedLog());
  assert.match(r.stdout, /^\.\t+300\tIN\tNS\tns\.root\.test\.$/m);
  assert.match(r.stdout, /^interop\.test\.\t+300\tIN\tMX\t10 mail\.interop\.test\.$/m);
  assert.match(r.stdout, /;; Received \d+ bytes from 127\.0\.0\.1#\d+\(ns\.root\.test\)/);
});
