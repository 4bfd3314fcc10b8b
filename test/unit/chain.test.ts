/** analyseChain on certificates made for each rule, with the clock injected. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { analyseChain, findLeaf } from '../../src/protocol/tls/chain.js';
import { describeCert } from '../../src/protocol/tls/certs.js';
import { createLabPki, issueIntermediateCa, issueLeaf, DAY_MS, type LabPki, type LabCert } from '../../src/lab/tls/ca.js';

const NOW = new Date('2026-06-01T12:00:00Z');
let pki: LabPki;
let wildcard: LabCert;
let plain: LabCert;
const x = (c: { certPem: string }) => new X509Certificate(c.certPem);
const policy = (host?: string) => ({ now: NOW, host, warnDays: 30, critDays: 7 });
const codes = (a: { problems: Array<{ code: string }> }) => a.problems.map((p) => p.code).sort();

before(async () => {
  pki = await createLabPki(NOW);
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
