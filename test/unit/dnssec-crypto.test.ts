/**
 * issue 14 (DNSSEC validation), the pure parts: key tags and DS digests (the root KSKs as
 * bind.keys and IANA publish them), the examples of RFC 6605 and RFC 8080, NSEC3 hashes (RFC 5155 appendix A), canonical name order
 * (RFC 4034 6.1), signature checks over the lab's zones as BIND's dnssec-signzone signed them
 * (ECDSA P-256, RSA/SHA-256, Ed25519), and the trust-anchor file reader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMasterText } from '../../src/protocol/zone/master.js';
import { DNSSEC_ANCHOR_CONF, DNSSEC_ANCHOR_DS, DNSSEC_ZONE_FILES } from '../../src/lab/dns/dnssec-fixtures.js';
import { dsDigest, dsMatches, keyTag, verifySignature } from '../../src/protocol/dns/dnssec/crypto.js';
import { compareNames, signedData, labelCount } from '../../src/protocol/dns/dnssec/canonical.js';
import { nsec3Hash, nsecCovers, nsec3Covers } from '../../src/protocol/dns/dnssec/nsec.js';
import { parseTrustAnchors, ROOT_KSK_2017, ROOT_KSK_2024, ROOT_TRUST_ANCHORS } from '../../src/protocol/dns/dnssec/anchors.js';
import { makeRecord, type DnskeyData, type DnsRecord, type RrsigData } from '../../src/protocol/dns/rdata.js';
import { NetlabError } from '../../src/errors.js';

test('the root KSKs: KSK-2017 has key tag 20326, KSK-2024 38696, and the DS digests IANA publishes', () => {
  assert.equal(keyTag(ROOT_KSK_2017), 20326);
  assert.equal(dsDigest('.', ROOT_KSK_2017, 2), ROOT_TRUST_ANCHORS[0]!.ds!.digest);
  assert.equal(dsMatches('.', ROOT_TRUST_ANCHORS[0]!.ds!, ROOT_KSK_2017), true);
  assert.equal(dsMatches('.', ROOT_TRUST_ANCHORS[1]!.ds!, ROOT_KSK_2017), false);
  assert.deepEqual(ROOT_TRUST_ANCHORS.map((a) => a.ds!.keyTag), [20326, 38696]);
  // KSK-2024
  assert.equal(keyTag(ROOT_KSK_2024), 38696);
  assert.equal(dsMatches('.', ROOT_TRUST_ANCHORS[1]!.ds!, ROOT_KSK_2024), true);
  assert.equal(dsDigest('.', ROOT_KSK_2024, 1)!.length, 40);
});

test('RFC 4034 section 5.4: the key tag and SHA-1 DS digest of dskey.example.com.', () => {
  const key: DnskeyData = { type: 'DNSKEY', flags: 256, protocol: 3, algorithm: 5, publicKey: 'AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==' };
  assert.equal(keyTag(key), 60485);
  assert.equal(dsDigest('dskey.example.com.', key, 1), '2BB183AF5F22588179A53B0A98631FAD1A292118');
  assert.equal(dsDigest('DSKEY.Example.COM.', key, 1), '2BB183AF5F22588179A53B0A98631FAD1A292118'); // the owner in canonical form
  assert.equal(dsDigest('dskey.example.com.', key, 3), undefined); // GOST: not computed
});

test('RFC 6605 section 6 (ECDSA P-256, P-384) and RFC 8080 section 6.1 (Ed25519): key tags, DS digests, signatures', () => {
  const secs = (t: string) => Date.UTC(+t.slice(0, 4), +t.slice(4, 6) - 1, +t.slice(6, 8), +t.slice(8, 10), +t.slice(10, 12), +t.slice(12, 14)) / 1000;
  const a = makeRecord('www.example.net.', 3600, { type: 'A', address: '192.0.2.1' });
  const mx = makeRecord('example.com.', 3600, { type: 'MX', preference: 10, exchange: 'mail.example.com.' });
  const vectors = [
    { rfc: 'RFC 6605 6.1', owner: 'example.net.', alg: 13, key: 'GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==', tag: 55648, digestType: 2,
      digest: 'B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17', rrset: a, labels: 3, exp: secs('20100909100439'), inc: secs('20100812100439'),
      sig: 'qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==' },
    { rfc: 'RFC 6605 6.2', owner: 'example.net.', alg: 14, key: 'xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RCOpgQ6K8X1DRSEkrbYQ+OB+v8/uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40', tag: 10771, digestType: 4,
      digest: '72D7B62976CE06438E9C0BF319013CF801F09ECC84B8D7E9495F27E305C6A9B0563A9B5F4D288405C3008A946DF983D6', rrset: a, labels: 3, exp: secs('20100909102025'), inc: secs('20100812102025'),
      sig: '/L5hDKIvGDyI1fcARX3z65qrmPsVz73QD1Mr5CEqOiLP95hxQouuroGCeZOvzFaxsT8Glr74hbavRKayJNuydCuzWTSSPdz7wnqXL5bdcJzusdnI0RSMROxxwGipWcJm' },
    { rfc: 'RFC 8080 6.1', owner: 'example.com.', alg: 15, key: 'l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=', tag: 3613, digestType: 2,
      digest: '3AA5AB37EFCE57F737FC1627013FEE07BDF241BD10F3B1964AB55C78E79A304B', rrset: mx, labels: 2, exp: 1440021600, inc: 1438207200,
      sig: 'oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg==' },
  ];
  for (const v of vectors) {
    const key: DnskeyData = { type: 'DNSKEY', flags: 257, protocol: 3, algorithm: v.alg, publicKey: v.key };
    assert.equal(keyTag(key), v.tag, v.rfc);
    assert.equal(dsDigest(v.owner, key, v.digestType), v.digest, v.rfc);
    const sig: RrsigData = { type: 'RRSIG', typeCovered: v.rrset.type, algorithm: v.alg, labels: v.labels, originalTtl: 3600, expiration: v.exp, inception: v.inc, keyTag: v.tag, signerName: v.owner, signature: v.sig };
    const signature = Buffer.from(v.sig, 'base64');
    assert.equal(verifySignature(key, signedData(sig, [v.rrset]), signature), 'valid', v.rfc);
    // one bit changed in the data: invalid
    const other = makeRecord(v.rrset.name, 3600, v.rrset.type === 'A' ? { type: 'A', address: '192.0.2.2' } : { type: 'MX', preference: 20, exchange: 'mail.example.com.' });
    assert.equal(verifySignature(key, signedData(sig, [other]), signature), 'invalid', v.rfc);
  }
  assert.equal(verifySignature({ type: 'DNSKEY', flags: 257, protocol: 3, algorithm: 16, publicKey: 'AAAA' }, Buffer.alloc(1), Buffer.alloc(1)), 'unsupported');
});

test('NSEC3 hashes: RFC 5155 appendix A (salt aabbccdd, 12 iterations)', () => {
  const cases: Array<[string, string]> = [
    ['example.', '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom'],
    ['a.example.', '35mthgpgcu1qg68fab165klnsnk3dpvl'],
    ['ai.example.', 'gjeqe526plbf1g8mklp59enfd789njgi'],
    ['ns1.example.', '2t7b4g4vsa5smi47k61mv5bv1a22bojr'],
    ['w.example.', 'k8udemvp1j2f7eg6jebps17vp3n8i58h'],
    ['*.w.example.', 'r53bq7cc2uvmubfu5ocmm6pers9tk9en'],
    ['xx.example.', 't644ebqk9bibcna874givr6joj62mlhv'],
  ];
  for (const [name, hash] of cases) assert.equal(nsec3Hash(name, 'aabbccdd', 12), hash, name);
  assert.equal(nsec3Hash('example.', '', 0, 2), undefined);
});

test('canonical name order: RFC 4034 6.1', () => {
  const ordered = ['example.', 'a.example.', 'yljkjljk.a.example.', 'Z.a.example.', 'zABC.a.EXAMPLE.', 'z.example.', '\\001.z.example.', '*.z.example.', '\\200.z.example.'];
  const shuffled = [...ordered].reverse();
  shuffled.sort(compareNames);
  assert.deepEqual(shuffled, ordered);
  assert.equal(nsecCovers('a.example.', 'z.example.', 'b.example.'), true);
  assert.equal(nsecCovers('a.example.', 'z.example.', 'a.example.'), false);
  assert.equal(nsecCovers('z.example.', 'example.', 'zz.example.'), true); // the last NSEC wraps
  assert.equal(nsec3Covers('k8', '35', 'zz'), true);
  assert.equal(labelCount('*.w.example.'), 2);
  assert.equal(labelCount('.'), 0);
});

function zone(origin: string): DnsRecord[] {
  return parseMasterText(DNSSEC_ZONE_FILES[origin]!, { origin }).records;
}

/** Check every RRSIG of a zone against its DNSKEYs; returns `owner/type: result` for each. */
function checkZone(origin: string): string[] {
  const records = zone(origin);
  const keys = records.filter((r) => r.type === 'DNSKEY').map((r) => r.rdata as DnskeyData);
  const out: string[] = [];
  for (const sig of records.filter((r) => r.type === 'RRSIG')) {
    const s = sig.rdata as RrsigData;
    const rrset = records.filter((r) => r.name === sig.name && r.type === s.typeCovered);
    const key = keys.find((k) => keyTag(k) === s.keyTag && k.algorithm === s.algorithm);
    out.push(`${sig.name}/${s.typeCovered}: ${key ? verifySignature(key, signedData(s, rrset), Buffer.from(s.signature, 'base64')) : 'no key'}`);
  }
  return out;
}

test('signatures made by dnssec-signzone verify: ECDSA P-256 and P-384, RSA/SHA-256, SHA-512 and SHA-1, Ed25519, NSEC3', () => {
  for (const origin of ['sec.test.', 'good.sec.test.', 'rsa.sec.test.', 'ed.sec.test.', 'p384.sec.test.', 'sha512.sec.test.', 'sha1.sec.test.', 'nsec3.sec.test.']) {
    const results = checkZone(origin);
    assert.ok(results.length >= 6, `${origin}: ${results.length} signatures`);
    assert.deepEqual(results.filter((r) => !r.endsWith(': valid')), [], origin);
  }
});

test('a tampered record fails its signature, a missing key is found missing', () => {
  assert.deepEqual(checkZone('tampered.sec.test.').filter((r) => !r.endsWith(': valid')), ['www.tampered.sec.test./A: invalid']);
  const nokey = checkZone('nokey.sec.test.').filter((r) => !r.endsWith(': valid'));
  assert.ok(nokey.length >= 4 && nokey.every((r) => r.endsWith(': no key')), nokey.join(', '));
});

test("the parent's DS matches each signed child's KSK, except dsmismatch's", () => {
  const parent = zone('sec.test.');
  for (const child of ['good', 'rsa', 'ed', 'p384', 'sha512', 'sha1', 'nsec3', 'expired', 'nokey', 'tampered', 'dsmismatch']) {
    const origin = `${child}.sec.test.`;
    const ds = parent.find((r) => r.type === 'DS' && r.name === origin)!;
    const keys = zone(origin).filter((r) => r.type === 'DNSKEY').map((r) => r.rdata as DnskeyData);
    const matched = keys.some((k) => ds.rdata.type === 'DS' && dsMatches(origin, ds.rdata, k));
    assert.equal(matched, child !== 'dsmismatch', origin);
  }
});

test('trust anchors: trust-anchors clause, master-file DS and DNSKEY, FILE:LINE errors', () => {
  const conf = parseTrustAnchors(DNSSEC_ANCHOR_CONF, 'lab.conf');
  const ds = parseTrustAnchors(DNSSEC_ANCHOR_DS, 'lab.ds');
  assert.equal(conf.length, 1);
  assert.equal(conf[0]!.zone, 'sec.test.');
  assert.deepEqual(conf[0]!.ds, ds[0]!.ds);
  const bindKeys = `# bind.keys style\ntrust-anchors {\n  . initial-key 257 3 8 "${ROOT_KSK_2017.publicKey.slice(0, 40)}\n   ${ROOT_KSK_2017.publicKey.slice(40)}";\n  . initial-ds 38696 8 2 "683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A\n  4C0FB2B16";\n};\n`;
  const root = parseTrustAnchors(bindKeys, 'bind.keys');
  assert.equal(root.length, 2);
  assert.deepEqual(root[0]!.dnskey, ROOT_KSK_2017);
  assert.equal(root[1]!.ds!.digest, ROOT_TRUST_ANCHORS[1]!.ds!.digest);
  const dnskey = parseTrustAnchors(`. 172800 IN DNSKEY 257 3 8 (\n ${ROOT_KSK_2017.publicKey} )\n`, 'root.key');
  assert.deepEqual(dnskey[0]!.dnskey, ROOT_KSK_2017);
  const bad: Array<[string, RegExp]> = [
    ['sec.test. IN A 192.0.2.1\n', /^f:1: expected a DS or DNSKEY/],
    ['\n\nsec.test. DS 1 13 2 XYZ\n', /^f:3: bad digest 'XYZ': not hex/],
    ['trust-anchors {\n sec.test. static-dss 1 13 2 "AA";\n};\n', /^f:2: expected static-ds/],
    ['trust-anchors {\n sec.test. static-ds 1 13 2 "AA"\n};\n', /^f:3: expected ';'/],
    ['; nothing\n', /^f:1: no trust anchor/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => parseTrustAnchors(text, 'f'), (e: unknown) => e instanceof NetlabError && e.code === 'INPUT' && re.test(e.message), text);
  }
});
