/** analyseChain on certificates made for each rule, with the clock injected. */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { analyseChain, findLeaf, FIX, MAX_INTERMEDIATES, problem, verdict, type CertProblem, type CertProblemCode } from '../../src/protocol/tls/chain.js';
import { describeCert } from '../../src/protocol/tls/certs.js';
import { createLabPki, issueIntermediateCa, issueLeaf, DAY_MS, type LabPki, type LabCert } from '../../src/lab/tls/ca.js';
import { makeLadder, type Ladder } from '../helpers/long-chain.js';
import { testKeySource } from '../helpers/test-keys.js';

const NOW = new Date('2026-06-01T12:00:00Z');
let pki: LabPki;
let wildcard: LabCert;
let plain: LabCert;
const x = (c: { certPem: string }) => new X509Certificate(c.certPem);
const policy = (host?: string) => ({ now: NOW, host, warnDays: 30, critDays: 7 });
const codes = (a: { problems: Array<{ code: string }> }) => a.problems.map((p) => p.code).sort();

before(async () => {
  pki = await createLabPki(NOW, testKeySource());
  const validity = { notBefore: new Date(NOW.getTime() - DAY_MS), notAfter: new Date(NOW.getTime() + 90 * DAY_MS) };
  wildcard = await issueLeaf(pki.intermediate, { dnsNames: ['*.example.test'], ...validity });
  plain = await issueLeaf(pki.intermediate, { dnsNames: ['www.example.test'], ...validity });
});

test('a wildcard matches exactly one leftmost label (RFC 6125 6.4.3)', () => {
  const chain = [x(wildcard), x(pki.intermediate)];
  const anchors = [x(pki.root)];
  assert.equal(analyseChain(chain, anchors, policy('www.example.test')).hostnameMatch, true);
  assert.equal(analyseChain(chain, anchors, policy('a.b.example.test')).hostnameMatch, false);
  assert.equal(analyseChain(chain, anchors, policy('example.test')).hostnameMatch, false);
  assert.equal(analyseChain(chain, anchors, policy('WWW.EXAMPLE.TEST.')).hostnameMatch, true);
});

test('the CN is not used when the name is missing from the SAN', () => {
  const a = analyseChain([x(plain), x(pki.intermediate)], [x(pki.root)], policy('other.example.test'));
  assert.deepEqual(codes(a), ['HOSTNAME_MISMATCH']);
  assert.match(a.problems[0]!.message, /it lists DNS:www\.example\.test/);
});

test('a root sent at the end is harmless; an unrelated extra certificate is CHAIN_ORDER', () => {
  const ok = analyseChain([x(plain), x(pki.intermediate), x(pki.root)], [x(pki.root)], policy('www.example.test'));
  assert.deepEqual(codes(ok), []);
  const extra = analyseChain([x(plain), x(pki.intermediate), x(pki.untrustedRoot)], [x(pki.root)], policy('www.example.test'));
  assert.deepEqual(codes(extra), ['CHAIN_ORDER']);
  assert.match(extra.problems[0]!.message, /certificate 2 is not part of the chain/);
});

test('a root sent in the middle is out of order; an unrelated certificate and a copy are not part of the chain', () => {
  const middle = analyseChain([x(plain), x(pki.root), x(pki.intermediate)], [x(pki.root)], policy('www.example.test'));
  assert.deepEqual(codes(middle), ['CHAIN_ORDER']);
  assert.match(middle.problems[0]!.message, /^certificates are not in leaf-to-root order \(sent: /);
  const copy = analyseChain([x(plain), x(pki.intermediate), x(pki.intermediate), x(pki.untrustedRoot)], [x(pki.root)], policy('www.example.test'));
  assert.deepEqual(codes(copy), ['CHAIN_ORDER']);
  assert.match(copy.problems[0]!.message, /^certificates 2 \(a copy of certificate 1\), 3 are not part of the chain/);
  assert.equal(copy.trusted, true);
});

test('a bundle whose leaf is not first: the leaf is found, and the order is reported', () => {
  const certs = [x(pki.intermediate), x(plain)];
  const leafIndex = findLeaf(certs.map(describeCert));
  assert.equal(leafIndex, 1);
  const a = analyseChain(certs, [x(pki.root)], policy('www.example.test'), leafIndex);
  assert.deepEqual(codes(a), ['CHAIN_ORDER']);
  assert.equal(a.trusted, true);
});

test('EXPIRES_SOON: days under --warn-days warn, under --crit-days are critical, at the threshold nothing', () => {
  const chain = [x(plain), x(pki.intermediate)];
  const anchors = [x(pki.root)];
  const at = (daysBeforeExpiry: number) => new Date(plain.notAfter.getTime() - daysBeforeExpiry * DAY_MS - 60_000);
  const judge = (d: number) => analyseChain(chain, anchors, { ...policy('www.example.test'), now: at(d) });
  assert.deepEqual(codes(judge(30)), []);
  assert.equal(judge(29).status, 'WARNING');
  assert.equal(judge(7).status, 'WARNING');
  assert.equal(judge(6).status, 'CRITICAL');
  assert.match(judge(6).problems[0]!.message, /expires in 6 days/);
});

test('percent thresholds judge the share of the lifetime left', () => {
  const chain = [x(plain), x(pki.intermediate)];
  const a = analyseChain(chain, [x(pki.root)], { ...policy('www.example.test'), warnPercent: 99.5 });
  assert.equal(a.status, 'WARNING');
  const b = analyseChain(chain, [x(pki.root)], { ...policy('www.example.test'), critPercent: 99.5 });
  assert.equal(b.status, 'CRITICAL');
});

test('an expired intermediate is reported as such, the leaf being fine', async () => {
  const old = await issueIntermediateCa(pki.root, 'netlab Old Intermediate', { notBefore: new Date(NOW.getTime() - 400 * DAY_MS), notAfter: new Date(NOW.getTime() - 5 * DAY_MS), pathLength: 0 });
  const leaf = await issueLeaf(old, { dnsNames: ['www.example.test'], notBefore: new Date(NOW.getTime() - DAY_MS), notAfter: new Date(NOW.getTime() + 90 * DAY_MS) });
  const a = analyseChain([x(leaf), x(old)], [x(pki.root)], policy('www.example.test'));
  assert.deepEqual(codes(a), ['EXPIRED']);
  assert.match(a.problems[0]!.message, /^the intermediate "CN=netlab Old Intermediate.*" expired 5 days ago/);
});

test('several problems are reported together, not only the first', () => {
  const a = analyseChain([x(plain)], [], { ...policy('nope.example.test'), now: new Date(plain.notAfter.getTime() + DAY_MS) });
  assert.deepEqual(codes(a), ['EXPIRED', 'HOSTNAME_MISMATCH', 'MISSING_INTERMEDIATE']);
  assert.equal(a.trusted, false);
});

test('canonicalNameKey compares names as OpenSSL does: string type, ASCII case and spaces do not matter', async () => {
  const { canonicalNameKey } = await import('../../src/protocol/tls/certs.js');
  // Name ::= SEQUENCE { SET { SEQUENCE { OID 2.5.4.3 (CN), value } } }
  const nameDer = (tag: number, value: Buffer) => {
    const atv = Buffer.concat([Buffer.from([0x06, 0x03, 0x55, 0x04, 0x03]), Buffer.from([tag, value.length]), value]);
    const seq = Buffer.concat([Buffer.from([0x30, atv.length]), atv]);
    const set = Buffer.concat([Buffer.from([0x31, seq.length]), seq]);
    return Buffer.concat([Buffer.from([0x30, set.length]), set]);
  };
  const printable = canonicalNameKey(nameDer(0x13, Buffer.from('Lab  Root CA ')));
  const utf8 = canonicalNameKey(nameDer(0x0c, Buffer.from('lab root ca')));
  const bmp = canonicalNameKey(nameDer(0x1e, Buffer.from('LAB ROOT CA', 'utf16le').swap16()));
  assert.ok(printable);
  assert.equal(utf8, printable);
  assert.equal(bmp, printable);
  assert.notEqual(canonicalNameKey(nameDer(0x0c, Buffer.from('lab root cb'))), printable);
  assert.equal(canonicalNameKey(Buffer.from([0x04, 0x00])), undefined);
});

test('AnchorSet: an anchor is found by the issuer name a certificate gives, among the system roots; has() by identity', async () => {
  const { AnchorSet, loadTrustStore } = await import('../../src/protocol/tls/trust.js');
  const store = loadTrustStore();
  const anchors = store.anchors;
  const systemRoots = anchors.size;
  anchors.add(x(pki.root).raw);
  assert.equal(anchors.size, systemRoots + 1);
  anchors.add(x(pki.root).raw); // the same certificate twice is one anchor
  assert.equal(anchors.size, systemRoots + 1);
  const issuers = anchors.issuersOf(x(pki.intermediate));
  assert.deepEqual(issuers.map((c) => c.fingerprint256), [x(pki.root).fingerprint256]);
  assert.deepEqual(anchors.issuersOf(x(plain)), [], 'the intermediate is not an anchor');
  assert.ok(anchors.has(x(pki.root)));
  assert.ok(!anchors.has(x(pki.intermediate)));
  // and the analysis gives the same verdict with the lazy set as with a plain list
  const lazy = analyseChain([x(plain), x(pki.intermediate)], anchors, policy('www.example.test'));
  const eager = analyseChain([x(plain), x(pki.intermediate)], [x(pki.root)], policy('www.example.test'));
  assert.deepEqual({ trusted: lazy.trusted, codes: codes(lazy) }, { trusted: eager.trusted, codes: codes(eager) });
  assert.equal(lazy.trusted, true);
  assert.equal(AnchorSet.of([x(pki.root), x(pki.untrustedRoot)]).size, 2);
});

test('an IP address target is checked against the IP SANs only (a DNS SAN spelled like the address does not count)', async () => {
  const validity = { notBefore: new Date(NOW.getTime() - DAY_MS), notAfter: new Date(NOW.getTime() + 90 * DAY_MS) };
  const ipLeaf = await issueLeaf(pki.intermediate, { dnsNames: ['www.example.test'], ipAddresses: ['127.54.0.1', '::1'], ...validity });
  const dnsOnly = await issueLeaf(pki.intermediate, { dnsNames: ['127.54.0.1'], ...validity });
  const check = (leaf: LabCert, host: string) => analyseChain([x(leaf), x(pki.intermediate)], [x(pki.root)], policy(host));
  assert.equal(check(ipLeaf, '127.54.0.1').hostnameMatch, true);
  assert.equal(check(ipLeaf, '::1').hostnameMatch, true);
  assert.equal(check(ipLeaf, 'www.example.test').hostnameMatch, true);
  const other = check(ipLeaf, '127.54.0.2');
  assert.equal(other.hostnameMatch, false);
  assert.deepEqual(codes(other), ['HOSTNAME_MISMATCH']);
  assert.equal(check(dnsOnly, '127.54.0.1').hostnameMatch, false);
});

// issue 9.2: an untrusted chain of 11 or 12 certificates was CERT OK (trusted: false, no problem): path building stopped at depth 10
test('verdict: trusted false is never OK nor WARNING, whatever the problems (every subset of a sample)', () => {
  const sample: CertProblem[] = [
    problem('EXPIRES_SOON', 'WARNING', 'w'),
    problem('CHAIN_ORDER', 'WARNING', 'o'),
    problem('WEAK_KEY', 'WARNING', 'k'),
    problem('EXPIRED', 'CRITICAL', 'e'),
    problem('HOSTNAME_MISMATCH', 'CRITICAL', 'h'),
    problem('UNTRUSTED_ROOT', 'CRITICAL', 'u'),
    problem('MISSING_INTERMEDIATE', 'CRITICAL', 'm'),
    problem('CHAIN_TOO_LONG', 'CRITICAL', 'l'),
    problem('UNTRUSTED_ROOT', 'WARNING', 'a path code that does not claim CRITICAL explains nothing'),
  ];
  const pathCodes = new Set<CertProblemCode>(['SELF_SIGNED', 'UNTRUSTED_ROOT', 'MISSING_INTERMEDIATE', 'BAD_SIGNATURE', 'CHAIN_TOO_LONG', 'UNREACHABLE', 'HANDSHAKE_FAILED', 'UNVERIFIED_CHAIN']);
  for (let mask = 0; mask < 1 << sample.length; mask++) {
    const problems = sample.filter((_, i) => mask & (1 << i));
    const given = JSON.stringify(problems);
    const untrusted = verdict(problems, false);
    assert.equal(untrusted.status, 'CRITICAL', `trusted false with ${given}`);
    assert.ok(untrusted.problems.some((p) => p.severity === 'CRITICAL' && pathCodes.has(p.code)), `no CRITICAL problem says why: ${given}`);
    assert.equal(JSON.stringify(problems), given, 'the problems given are not changed');
    const explained = problems.some((p) => p.severity === 'CRITICAL' && pathCodes.has(p.code));
    assert.equal(untrusted.problems.length, problems.length + (explained ? 0 : 1));
    // trusted: the worst severity, nothing added
    const trusted = verdict(problems, true);
    assert.deepEqual(trusted.problems, problems);
    const worst = problems.some((p) => p.severity === 'CRITICAL') ? 'CRITICAL' : problems.length > 0 ? 'WARNING' : 'OK';
    assert.equal(trusted.status, worst);
  }
  const none = verdict([], false);
  assert.deepEqual(none.problems.map((p) => p.code), ['UNVERIFIED_CHAIN']);
  assert.match(none.problems[0]!.fix, /bug of netlab/);
});

describe('long chains (issue 9.2)', () => {
  let ladder: Ladder;
  before(async () => {
    ladder = await makeLadder(MAX_INTERMEDIATES + 1, NOW);
  });
  const pems = (text: string) => (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p));

  // issue 9.2: chains of 11, 12 (CERT OK untrusted) and 13+ (false CHAIN_ORDER) were judged on their first 10 certificates only
  test('chains of 11, 12, 13, 20 and 101 certificates build to the anchor when trusted, and are CRITICAL UNTRUSTED_ROOT when not', async () => {
    for (const n of [11, 12, 13, 20, MAX_INTERMEDIATES + 1]) {
      const chain = pems((await ladder.chain(n)).certChainPem);
      assert.equal(chain.length, n);
      const ok = analyseChain(chain, pems(ladder.rootPem), policy('www.example.test'));
      assert.deepEqual({ status: ok.status, trusted: ok.trusted, codes: codes(ok), path: ok.path.length }, { status: 'OK', trusted: true, codes: [], path: n + 1 }, `${n} trusted: the sent certificates and the anchor`);
      const bad = analyseChain(chain, pems(ladder.otherRootPem), policy('www.example.test'));
      assert.deepEqual({ status: bad.status, trusted: bad.trusted, codes: codes(bad), path: bad.path.length }, { status: 'CRITICAL', trusted: false, codes: ['UNTRUSTED_ROOT'], path: n }, `${n} untrusted`);
    }
  });

  test(`a path of more than ${MAX_INTERMEDIATES} intermediates is CRITICAL CHAIN_TOO_LONG, trusted or not, and not a false CHAIN_ORDER`, async () => {
    const chain = pems((await ladder.chain(MAX_INTERMEDIATES + 2)).certChainPem);
    for (const anchors of [ladder.rootPem, ladder.otherRootPem]) {
      const a = analyseChain(chain, pems(anchors), policy('www.example.test'));
      assert.equal(a.status, 'CRITICAL');
      assert.equal(a.trusted, false);
      assert.deepEqual(codes(a), ['CHAIN_TOO_LONG']);
      assert.match(a.problems[0]!.message, /more than 100 intermediate certificates/);
      assert.equal(a.path.length, chain.length, 'the rest of the chain is still followed, for the order check');
    }
    // the root sent as the last certificate is an anchor: it does not count, and 101 certificates + the root verify
    const withRoot = [...pems((await ladder.chain(MAX_INTERMEDIATES + 1)).certChainPem), ...pems(ladder.rootPem)];
    const a = analyseChain(withRoot, pems(ladder.rootPem), policy('www.example.test'));
    assert.deepEqual({ status: a.status, trusted: a.trusted, codes: codes(a) }, { status: 'OK', trusted: true, codes: [] });
  });
});

// issue 10.2: protocol text quoted a command-line flag (UNTRUSTED_ROOT's fix said --ca FILE), which a library user cannot act on
test('no fix sentence names a command-line flag; every code has one', () => {
  const codes = Object.keys(FIX) as CertProblemCode[];
  assert.equal(codes.length, 26); // 17, issue 11's path (5), connection (OLD_TLS_VERSION, STARTTLS_FAILED) and revocation codes (BAD_OCSP_RESPONSE, BAD_CRL)
  for (const code of codes) {
    assert.doesNotMatch(FIX[code], /--[a-z]/, code);
    assert.match(FIX[code], /^[A-Z].*\.$/, `${code}: one sentence`);
  }
});

test('a problem about one certificate names it in subject; a problem about the chain has none', () => {
  const a = analyseChain([x(plain)], [], { ...policy('nope.example.test'), now: new Date(plain.notAfter.getTime() + DAY_MS) });
  const leafSubject = describeCert(x(plain)).subject;
  assert.deepEqual(a.problems.map((p) => [p.code, p.subject]).sort(), [['EXPIRED', leafSubject], ['HOSTNAME_MISMATCH', leafSubject], ['MISSING_INTERMEDIATE', leafSubject]]);
  const order = analyseChain([x(pki.intermediate), x(plain)], [x(pki.root)], policy('www.example.test'), 1);
  assert.deepEqual(order.problems.map((p) => [p.code, p.subject]), [['CHAIN_ORDER', undefined]]);
  assert.ok(!('subject' in order.problems[0]!), 'absent, not undefined, in JSON');
});
