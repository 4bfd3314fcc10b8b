/**
 * issue 14: DNSSEC validation against the lab's signed island sec.test. (127.53.6.1, delegated
 * from test.): every case gives its verdict and the code of the link that broke, walking from
 * the lab's root and asking the island's server directly; negative answers (NSEC, NSEC3);
 * `netlab dig +validate` in process (text and JSON) and a few spawns for the exit codes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsLab, type DnsLab } from '../../src/lab/dns/index.js';
import { LAB_DNSSEC_ADDRESS, LAB_DNSSEC_CASES, writeDnssecAnchorFiles } from '../../src/lab/dns/signed.js';
import { DNSSEC_ANCHOR_DS } from '../../src/lab/dns/dnssec-fixtures.js';
import { parseTrustAnchors } from '../../src/protocol/dns/dnssec/anchors.js';
import { validateAnswer } from '../../src/protocol/dns/dnssec/validate.js';
import { runCli } from '../helpers/cli.js';
import { digHere } from '../helpers/dig.js';

let lab: DnsLab;
let files: Awaited<ReturnType<typeof writeDnssecAnchorFiles>>;
let dir: string;
const anchors = parseTrustAnchors(DNSSEC_ANCHOR_DS, 'lab');
before(async () => {
  lab = await startDnsLab({ port: 0 });
  files = await writeDnssecAnchorFiles();
  dir = mkdtempSync(join(tmpdir(), 'netlab-validate-'));
});
after(async () => {
  await lab.close();
  await files.remove();
  rmSync(dir, { recursive: true, force: true });
});

const root = () => ({ address: lab.addresses.root, port: lab.port });
const island = () => ({ address: LAB_DNSSEC_ADDRESS, port: lab.port });

test('every lab case gives its verdict and code, walking from the root and asking the island directly', async () => {
  assert.equal(LAB_DNSSEC_CASES.length, 15);
  for (const server of [root(), island()]) {
    for (const c of LAB_DNSSEC_CASES) {
      const v = await validateAnswer(c.name, 'A', { server, anchors });
      assert.equal(v.mode, 'iterative', c.name);
      assert.equal(v.status, c.verdict, `${c.name} via ${server.address}: ${JSON.stringify(v.problems)}`);
      const codes = v.problems.map((p) => p.code);
      assert.deepEqual(codes, c.code ? [c.code] : c.verdict === 'insecure' ? ['INSECURE'] : [], c.name);
      assert.equal(v.chain[0]!.kind, 'anchor');
      assert.equal(v.chain[0]!.verdict, 'secure');
      assert.ok(v.queries <= 12, `${c.name}: ${v.queries} queries`);
    }
  }
});

test('the broken link is the one named: DNSKEY set for expired and dsmismatch, the A RRset for tampered and nokey', async () => {
  const link = async (name: string) => {
    const v = await validateAnswer(name, 'A', { server: island(), anchors });
    const broken = v.chain.find((l) => l.verdict === 'bogus')!;
    return `${broken.kind} ${broken.owner}/${broken.type} ${broken.code}`;
  };
  assert.equal(await link('www.expired.sec.test'), 'dnskey expired.sec.test./DNSKEY RRSIG_EXPIRED');
  assert.equal(await link('www.dsmismatch.sec.test'), 'dnskey dsmismatch.sec.test./DNSKEY DS_MISMATCH');
  assert.equal(await link('www.tampered.sec.test'), 'rrset www.tampered.sec.test./A BAD_SIGNATURE');
  assert.equal(await link('www.nokey.sec.test'), 'rrset www.nokey.sec.test./A DNSKEY_MISSING');
  // in 2020 the island's own signatures (from 2025) were not valid yet
  const before2020 = await validateAnswer('www.good.sec.test', 'A', { server: island(), anchors, nowSeconds: Date.UTC(2020, 0, 15) / 1000 });
  assert.deepEqual(before2020.problems.map((p) => p.code), ['RRSIG_NOT_YET_VALID']);
});

test('denial of existence: NXDOMAIN and NODATA by NSEC and NSEC3, a wildcard, an empty non-terminal', async () => {
  const cases: Array<[string, string, string, string]> = [
    ['nx.good.sec.test', 'A', 'NXDOMAIN', 'NSEC covers nx.good.sec.test. and *.good.sec.test.'],
    ['www.good.sec.test', 'MX', 'NOERROR', 'the NSEC at www.good.sec.test. lists no MX'],
    ['nx.nsec3.sec.test', 'A', 'NXDOMAIN', 'NSEC3: closest encloser nsec3.sec.test.'],
    ['www.nsec3.sec.test', 'TXT', 'NOERROR', 'the NSEC3 of www.nsec3.sec.test. lists no TXT'],
    ['b.nsec3.sec.test', 'A', 'NOERROR', 'the NSEC3 of b.nsec3.sec.test. lists no A'],
    ['nx.sec.test', 'A', 'NXDOMAIN', 'NSEC covers nx.sec.test. and *.sec.test.'],
  ];
  for (const [name, type, rcode, how] of cases) {
    const v = await validateAnswer(name, type, { server: root(), anchors });
    assert.equal(v.status, 'secure', `${name}/${type}: ${JSON.stringify(v.problems)}`);
    assert.equal(v.rcode, rcode);
    const denial = v.chain.find((l) => l.kind === 'denial')!;
    assert.ok(denial.message.includes(how), `${name}/${type}: ${denial.message}`);
  }
  const wild = await validateAnswer('x.wild.good.sec.test', 'A', { server: root(), anchors });
  assert.equal(wild.status, 'secure');
  assert.match(wild.chain[wild.chain.length - 1]!.message, /wildcard \*\.wild\.good\.sec\.test\., x\.wild\.good\.sec\.test\. proven absent/);
  // CNAMEs: within the zone (the server follows it), and into another zone (asked again)
  for (const [name, chain] of [['alias.good.sec.test', 'alias.good.sec.test./CNAME www.good.sec.test./A'], ['cross.good.sec.test', 'cross.good.sec.test./CNAME www.rsa.sec.test./A']] as const) {
    const v = await validateAnswer(name, 'A', { server: root(), anchors });
    assert.equal(v.status, 'secure', `${name}: ${JSON.stringify(v.problems)}`);
    assert.equal(v.chain.filter((l) => l.kind === 'rrset').map((l) => `${l.owner}/${l.type}`).join(' '), chain);
    assert.equal(v.answer.filter((r) => r.type !== 'RRSIG').length, 2);
  }
  const unsignedNx = await validateAnswer('nx.unsigned.sec.test', 'A', { server: root(), anchors });
  assert.equal(unsignedNx.status, 'insecure');
});

test('no anchor above the name, an unsupported digest, a DNSKEY anchor, and a server that does not answer', async () => {
  const outside = await validateAnswer('www.example.test', 'A', { server: root(), anchors });
  assert.equal(outside.status, 'insecure');
  assert.deepEqual(outside.problems.map((p) => p.code), ['NO_TRUST_ANCHOR']);
  // an anchor with a digest type netlab does not compute (GOST, 3): the island is treated as unsigned (RFC 4035 5.2)
  const gost = [{ ...anchors[0]!, ds: { ...anchors[0]!.ds!, digestType: 3 } }];
  const unsupported = await validateAnswer('www.good.sec.test', 'A', { server: island(), anchors: gost });
  assert.equal(unsupported.status, 'insecure');
  assert.deepEqual(unsupported.problems.map((p) => p.code), ['UNSUPPORTED_ALGORITHM']);
  // a DNSKEY as the anchor (static-key) works as its DS does
  const keys = await validateAnswer('sec.test', 'DNSKEY', { server: island(), anchors });
  assert.equal(keys.status, 'secure');
  const ksk = keys.answer.find((r) => r.type === 'DNSKEY' && r.data.startsWith('257 '))!;
  const byKey = await validateAnswer('www.good.sec.test', 'A', { server: island(), anchors: parseTrustAnchors(`sec.test. IN DNSKEY ${ksk.data}\n`, 'key') });
  assert.equal(byKey.status, 'secure');
  const dead = await validateAnswer('www.good.sec.test', 'A', { server: { address: lab.addresses.silent, port: lab.port }, anchors, timeoutMs: 200, tries: 1 });
  assert.equal(dead.status, 'indeterminate');
  assert.deepEqual(dead.problems.map((p) => p.code), ['FETCH_FAILED']);
});

test('netlab dig +validate: delv-like text, JSON validation, the status of each verdict', async () => {
  const args = [`@${lab.addresses.root}`, '-p', String(lab.port), '+validate', '--trust-anchor', files.anchorFile];
  const good = await digHere([...args, 'www.good.sec.test', '+noall']);
  assert.equal(good.code, 0, good.stderr);
  const lines = good.stdout.split('\n');
  assert.equal(lines[0], '; fully validated');
  assert.match(lines[1]!, /^www\.good\.sec\.test\.\t300\tIN\tA\t192\.0\.2\.62$/);
  assert.match(good.stdout, /^;; CHAIN OF TRUST \(anchor sec\.test\., records walking the delegations, \d+ queries\):$/m);
  assert.match(good.stdout, /^;   secure +good\.sec\.test\. DS keys \d+ ECDSAP256SHA256: DS for good\.sec\.test\./m);
  const tampered = await digHere([...args, 'www.tampered.sec.test', '+json']);
  assert.equal(tampered.code, 2);
  const doc = JSON.parse(tampered.stdout) as { status: string; problems: Array<{ code: string }>; validation: { status: string; chain: Array<{ verdict: string; code?: string }> } };
  assert.equal(doc.status, 'CRITICAL');
  assert.equal(doc.validation.status, 'bogus');
  assert.deepEqual(doc.problems.map((p) => p.code), ['BAD_SIGNATURE']);
  assert.equal(doc.validation.chain.filter((l) => l.verdict === 'bogus').length, 1);
  const unsigned = await digHere([...args, 'www.unsigned.sec.test', '+noall']);
  assert.equal(unsigned.code, 1);
  assert.match(unsigned.stdout, /^; unsigned answer \(INSECURE: unsigned\.sec\.test\. is delegated without DS/);
  // asked of the island's server itself, the dig part is its NXDOMAIN: exit 2, validated or not
  const nx = await digHere([`@${LAB_DNSSEC_ADDRESS}`, ...args.slice(1), 'nx.good.sec.test', '+noall']);
  assert.equal(nx.code, 2);
  assert.match(nx.stdout, /^; negative response, fully validated$/m);
});

test('Ctrl-C while +validate waits: interrupted, exit 3, nothing hangs', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 300);
  const r = await digHere([`@${lab.addresses.silent}`, '-p', String(lab.port), '+validate', '--trust-anchor', files.anchorFile, 'www.good.sec.test', '+json'], { signal: ac.signal });
  assert.equal(r.code, 3);
  const doc = JSON.parse(r.stdout) as { status: string; interrupted?: boolean };
  assert.equal(doc.status, 'UNKNOWN');
  assert.equal(doc.interrupted, true);
});

test('exit codes from the binary: secure 0, bogus 2, a bad trust-anchor file 3 with FILE:LINE', async () => {
  const args = ['dig', `@${LAB_DNSSEC_ADDRESS}`, '-p', String(lab.port), '+validate', '--trust-anchor'];
  const good = await runCli([...args, files.anchorFile, 'www.rsa.sec.test']);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /^; fully validated$/m);
  const bogus = await runCli([...args, files.dsFile, 'www.dsmismatch.sec.test']);
  assert.equal(bogus.code, 2);
  assert.match(bogus.stdout, /^;; resolution failed: DS_MISMATCH: the DS for dsmismatch\.sec\.test\. \(key \d+\) matches none of its DNSKEYs/m);
  const bad = join(dir, 'bad.anchor');
  writeFileSync(bad, 'trust-anchors {\n  sec.test. static-ds 1 13 2 "ZZ";\n};\n');
  const r = await runCli([...args, bad, 'www.good.sec.test']);
  assert.equal(r.code, 3);
  assert.equal(r.stderr.trim(), `netlab dig: ${bad}:2: bad digest 'ZZ': not hex`);
  assert.equal(r.stdout, '');
});

// issue 10 (measured): netlab/dns's validateAnswer, nssearch and zoneCheck are wrappers that
// import their engine on their first call (so `import 'netlab/dns'` does not initialise them);
// through the package's own bundle (dist/lib/dns.js, as a library user imports it) they give
// what the engines give
test("netlab/dns's validateAnswer, nssearch and zoneCheck (engines loaded on first call) give the engines' results", async () => {
  const spec = 'netlab/dns'; // by the package's name: package.json "exports", the bundle
  const dns = (await import(spec)) as typeof import('../../src/entry/dns.js');
  const { nssearch } = await import('../../src/protocol/dns/nssearch.js');
  const { zoneCheck } = await import('../../src/protocol/dns/zone-check.js');
  const summary = (r: { status: string; problems: Array<{ code: string }> }) => [r.status, ...r.problems.map((p) => p.code)];

  const [viaLib, direct] = await Promise.all([
    dns.validateAnswer('www.tampered.sec.test', 'A', { server: island(), anchors }),
    validateAnswer('www.tampered.sec.test', 'A', { server: island(), anchors }),
  ]);
  assert.deepEqual(summary(viaLib), ['bogus', 'BAD_SIGNATURE']);
  assert.deepEqual(summary(viaLib), summary(direct));

  const families = { ipv4: true, ipv6: false };
  const ns = await dns.nssearch('example.test', { server: root(), families });
  const nsDirect = await nssearch('example.test', { server: root(), families });
  assert.deepEqual(summary(ns), summary(nsDirect));
  assert.deepEqual(ns.ns, nsDirect.ns);
  assert.equal(ns.nssearch.length, nsDirect.nssearch.length);
  assert.ok(ns.nssearch.length >= 2, JSON.stringify(ns.nssearch));

  const zc = await dns.zoneCheck('www.example.test', 1, { start: root(), families });
  const zcDirect = await zoneCheck('www.example.test', 1, { start: root(), families });
  assert.deepEqual(summary(zc), summary(zcDirect));
  assert.equal(zc.status, 'OK', JSON.stringify(zc.problems));
});
