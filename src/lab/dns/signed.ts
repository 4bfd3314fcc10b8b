/**
 * issue 14: the lab's signed zones (sec.test. and its children, made by
 * scripts/make-dnssec-fixtures.sh with BIND's dnssec-signzone) and what an authoritative server
 * adds for them when a query sets DO (RFC 4035 3.1): the RRSIGs of every RRset it returns, the
 * NSEC or NSEC3 records that prove a name or type absent (RFC 4035 3.1.3, RFC 5155 7.2), and
 * the DS (or its proven absence) with a referral. A server that serves a parent and its child
 * answers a DS question from the parent, as BIND does (RFC 4035 3.1.4.1). The data is
 * pre-signed: nothing here signs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DnsRecord } from '../../protocol/dns/rdata.js';
import { canonicalName } from '../../protocol/dns/names.js';
import { parseMasterText } from '../../protocol/zone/master.js';
import { lastLabels } from '../../protocol/dns/dnssec/canonical.js';
import { ancestors, isSubdomain, nsec3Covers, nsec3Fields, nsec3Hash, nsec3OwnerHash, nsecCovers } from '../../protocol/dns/dnssec/nsec.js';
import { splitName } from '../../protocol/dns/names.js';
import { DNSSEC_ANCHOR_CONF, DNSSEC_ANCHOR_DS, DNSSEC_ZONE_FILES } from './dnssec-fixtures.js';
import type { AnswerSections, Zone } from './server.js';

/** The address of the lab's signed island (sec.test. and its children). */
export const LAB_DNSSEC_ADDRESS = '127.53.6.1';

/** The cases of the island: the name to ask, and what a validator must say about its A record. */
export const LAB_DNSSEC_CASES: ReadonlyArray<{ name: string; verdict: 'secure' | 'insecure' | 'bogus'; code?: string; description: string }> = [
  { name: 'www.sec.test.', verdict: 'secure', description: 'the island apex (ECDSA P-256, NSEC)' },
  { name: 'www.good.sec.test.', verdict: 'secure', description: 'ECDSA P-256 (13), NSEC' },
  { name: 'x.wild.good.sec.test.', verdict: 'secure', description: 'a wildcard answer, ECDSA P-256' },
  { name: 'www.rsa.sec.test.', verdict: 'secure', description: 'RSA/SHA-256 (8)' },
  { name: 'www.ed.sec.test.', verdict: 'secure', description: 'Ed25519 (15)' },
  { name: 'www.p384.sec.test.', verdict: 'secure', description: 'ECDSA P-384 (14)' },
  { name: 'www.sha512.sec.test.', verdict: 'secure', description: 'RSA/SHA-512 (10)' },
  { name: 'www.sha1.sec.test.', verdict: 'secure', description: 'RSA/SHA-1 with NSEC3 (7)' },
  { name: 'www.nsec3.sec.test.', verdict: 'secure', description: 'NSEC3, no salt, 0 iterations' },
  { name: 'www.unsigned.sec.test.', verdict: 'insecure', description: "unsigned child, no DS (the parent's NSEC proves it)" },
  { name: 'www.optout.nsec3.sec.test.', verdict: 'insecure', description: "unsigned child of the NSEC3 zone, no DS (the parent's NSEC3 opt-out covers it)" },
  { name: 'www.expired.sec.test.', verdict: 'bogus', code: 'RRSIG_EXPIRED', description: 'signatures expired in 2020' },
  { name: 'www.dsmismatch.sec.test.', verdict: 'bogus', code: 'DS_MISMATCH', description: "the parent's DS matches none of the child's keys" },
  { name: 'www.nokey.sec.test.', verdict: 'bogus', code: 'DNSKEY_MISSING', description: 'signed by a key missing from the DNSKEY set' },
  { name: 'www.tampered.sec.test.', verdict: 'bogus', code: 'BAD_SIGNATURE', description: 'the A record changed after signing' },
];

let zonesCache: Zone[] | undefined;

/** The island's zones, read from the fixtures once (fresh objects are not needed: zones never change once served). */
export function labDnssecZones(): Zone[] {
  return (zonesCache ??= Object.entries(DNSSEC_ZONE_FILES).map(([origin, text]) => parseMasterText(text, { origin, file: `dnssec-fixtures:${origin}` })));
}

/** A temporary directory holding the island's trust anchor as `sec.test.anchor` (trust-anchors clause) and `sec.test.ds`; `remove()` deletes it. */
export async function writeDnssecAnchorFiles(): Promise<{ anchorFile: string; dsFile: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'netlab-dnssec-'));
  const anchorFile = path.join(dir, 'sec.test.anchor');
  const dsFile = path.join(dir, 'sec.test.ds');
  await writeFile(anchorFile, DNSSEC_ANCHOR_CONF);
  await writeFile(dsFile, DNSSEC_ANCHOR_DS);
  return { anchorFile, dsFile, remove: () => rm(dir, { recursive: true, force: true }) };
}

function fq(name: string): string {
  return canonicalName(name === '' ? '.' : name);
}

/**
 * The zones to answer a question from: for a DS question at the apex of a served zone whose
 * parent is served too, leave the child out, so that the parent answers (RFC 4035 3.1.4.1).
 */
export function zonesForQuestion(zones: Zone[], qname: string, qtype: number): Zone[] {
  if (qtype !== 43) return zones;
  const q = fq(qname);
  const child = zones.find((z) => fq(z.origin) === q);
  if (!child || !zones.some((z) => z !== child && q !== fq(z.origin) && isSubdomain(q, fq(z.origin)))) return zones;
  return zones.filter((z) => z !== child);
}

interface SignedIndex {
  origin: string;
  byName: Map<string, DnsRecord[]>;
  /** Names that exist: owners and their ancestors down to the apex (empty non-terminals included). */
  exists: Set<string>;
  nsec: DnsRecord[];
  nsec3: DnsRecord[];
  param?: { salt: string; iterations: number; hashAlgorithm: number };
}

const INDEXES = new WeakMap<Zone, SignedIndex>();

function indexOf(zone: Zone): SignedIndex {
  let ix = INDEXES.get(zone);
  if (ix) return ix;
  const origin = fq(zone.origin);
  ix = { origin, byName: new Map(), exists: new Set(), nsec: [], nsec3: [] };
  for (const r of zone.records) {
    const n = fq(r.name);
    const list = ix.byName.get(n);
    if (list) list.push(r);
    else ix.byName.set(n, [r]);
    if (r.type === 'NSEC') ix.nsec.push(r);
    if (r.type === 'NSEC3') ix.nsec3.push(r);
    if (r.type === 'NSEC3PARAM' && n === origin) {
      const f = nsec3Fields(r);
      if (f) ix.param = { salt: f.salt, iterations: f.iterations, hashAlgorithm: f.hashAlgorithm };
    }
    if (r.type !== 'NSEC3' && r.type !== 'RRSIG') for (const a of ancestors(n, origin)) ix.exists.add(a);
  }
  INDEXES.set(zone, ix);
  return ix;
}

/** The RRSIGs at `owner` covering `type` (renamed to `as` for a wildcard expansion). */
function sigsOf(ix: SignedIndex, owner: string, type: string, as = owner): DnsRecord[] {
  return (ix.byName.get(fq(owner)) ?? []).filter((r) => r.rdata.type === 'RRSIG' && r.rdata.typeCovered === type).map((r) => (as === owner ? r : { ...r, name: as }));
}

/** The NSEC whose owner is `name`, else the one covering it. */
function nsecFor(ix: SignedIndex, name: string): DnsRecord | undefined {
  const n = fq(name);
  return ix.nsec.find((r) => fq(r.name) === n) ?? ix.nsec.find((r) => r.rdata.type === 'NSEC' && nsecCovers(r.name, r.rdata.nextDomain, n));
}

/** The NSEC3 matching `name`'s hash, else the one covering it. */
function nsec3For(ix: SignedIndex, name: string): DnsRecord | undefined {
  if (!ix.param) return undefined;
  const h = nsec3Hash(name, ix.param.salt, ix.param.iterations, ix.param.hashAlgorithm);
  if (!h) return undefined;
  return ix.nsec3.find((r) => nsec3OwnerHash(r.name) === h) ?? ix.nsec3.find((r) => {
    const f = nsec3Fields(r);
    return f !== undefined && nsec3Covers(nsec3OwnerHash(r.name), f.nextHashed, h);
  });
}

/** Whether an NSEC3 matches `name`'s hash. */
function nsec3Matching(ix: SignedIndex, name: string): boolean {
  if (!ix.param) return false;
  const h = nsec3Hash(name, ix.param.salt, ix.param.iterations, ix.param.hashAlgorithm);
  return h !== undefined && ix.nsec3.some((r) => nsec3OwnerHash(r.name) === h);
}

/** The closest encloser of a name in the zone (RFC 5155 7.2.1): its longest existing ancestor. */
function closestEncloser(ix: SignedIndex, name: string): string {
  return ancestors(fq(name), ix.origin).find((a) => ix.exists.has(a)) ?? ix.origin;
}

/** The name one label longer than `encloser` on the way to `name` (RFC 5155 1.3, the next closer name). */
function nextCloser(name: string, encloser: string): string {
  return lastLabels(fq(name), splitName(encloser).length + 1);
}

/**
 * What a signed zone adds to an answer when the query set DO: RRSIGs, NSEC/NSEC3 proofs, the DS
 * of a referral. Sections for zones without signatures come back as they were. Pure.
 */
export function withDnssec(zones: Zone[], qnameIn: string, qtype: number, a: AnswerSections): AnswerSections {
  const qname = fq(qnameIn);
  const zone = zones.filter((z) => isSubdomain(qname, fq(z.origin))).sort((x, y) => fq(y.origin).length - fq(x.origin).length)[0];
  if (!zone) return a;
  const ix = indexOf(zone);
  if (ix.nsec.length === 0 && ix.nsec3.length === 0) return a;
  const zoneOf = (name: string): SignedIndex => {
    const z = zones.filter((x) => isSubdomain(fq(name), fq(x.origin))).sort((x, y) => fq(y.origin).length - fq(x.origin).length)[0];
    return z ? indexOf(z) : ix;
  };
  const answers = [...a.answers];
  const authorities = [...a.authorities];
  const seen = new Set<DnsRecord>();
  const add = (list: DnsRecord[], records: DnsRecord[]) => {
    for (const r of records) if (!seen.has(r)) {
      seen.add(r);
      list.push(r);
    }
  };
  const proof = (name: string) => {
    const r = ix.nsec3.length > 0 ? nsec3For(ix, name) : nsecFor(ix, name);
    if (r) add(authorities, [r, ...sigsOf(ix, r.name, r.type)]);
  };
  // the RRSIGs of the answer's RRsets; a wildcard expansion gets its source's, and the proof that the name itself is absent
  const sets = new Map<string, DnsRecord>();
  for (const r of a.answers) sets.set(`${fq(r.name)}/${r.type}`, r);
  for (const r of sets.values()) {
    const zix = zoneOf(r.name);
    let sigs = sigsOf(zix, r.name, r.type);
    if (sigs.length === 0 && !zix.byName.has(fq(r.name))) {
      const source = ancestors(fq(r.name), zix.origin).slice(1).map((p) => `*.${p}`).find((w) => zix.byName.has(w));
      if (source) {
        sigs = sigsOf(zix, source, r.type, r.name);
        const ce = source.slice(2);
        proof(zix.nsec3.length > 0 ? nextCloser(r.name, ce) : fq(r.name));
      }
    }
    add(answers, sigs);
  }
  const soa = a.authorities.find((r) => r.type === 'SOA');
  if (soa) add(authorities, sigsOf(ix, soa.name, 'SOA'));
  const ns = a.authorities.filter((r) => r.type === 'NS');
  if (!a.aa && ns.length > 0) {
    // a referral: the DS and its RRSIG, or the proof that there is none
    const cut = fq(ns[0]!.name);
    const ds = (ix.byName.get(cut) ?? []).filter((r) => r.type === 'DS');
    if (ds.length > 0) add(authorities, [...ds, ...sigsOf(ix, cut, 'DS')]);
    else proof(cut);
  } else if (a.rcode === 3) {
    const ce = closestEncloser(ix, qname);
    if (ix.nsec3.length > 0) {
      proof(ce);
      proof(nextCloser(qname, ce));
    } else proof(qname);
    proof(`*.${ce}`);
  } else if (a.rcode === 0 && a.answers.length === 0) {
    const provable = ix.nsec3.length > 0 ? ancestors(qname, ix.origin).find((n) => nsec3Matching(ix, n)) : qname;
    if (provable && provable !== qname) {
      // RFC 5155 7.2.4: no NSEC3 at the name (an opt-out delegation): the closest provable encloser and the next closer
      proof(provable);
      proof(nextCloser(qname, provable));
    } else proof(qname);
  }
  return { ...a, answers, authorities };
}
