/**
 * The chain of trust (RFC 4035 5): from a trust anchor down, DS -> DNSKEY (the DS digest over
 * the key) -> the DNSKEY set signed by a DS-matched key -> each answer RRset signed by a zone
 * key; denial of existence by NSEC (RFC 4035 5.4) and NSEC3 (RFC 5155 8); an unsigned child
 * proven by the absence of its DS (insecure). The verdict is delv's: secure, insecure, bogus
 * (and indeterminate when records could not be fetched), with the link that broke.
 */
import { NetlabError, type Problem, type Severity } from '../../../errors.js';
import type { DnsRecord, DnskeyData, DsData, RrsigData } from '../rdata.js';
import type { DnsMessage } from '../wire.js';
import { typeCode as typeCodeOf, typeName } from '../types.js';
import { labelCount, lastLabels, lowerName } from './canonical.js';
import { algorithmName, dsMatches, keyTag, SUPPORTED_ALGORITHMS, SUPPORTED_DIGESTS } from './crypto.js';
// verifyRrset lives in its own module so that netlab/dns can export it without loading the validator at import
import { verifyRrset, type SigResult } from './verify.js';

export { verifyRrset };
import { ancestors, isSubdomain, nsec3Covers, nsec3Fields, nsec3Hash, nsec3OwnerHash, nsecCovers } from './nsec.js';
import { iterativeFetcher, recursiveFetcher, type FetchLimits, type RecordFetcher } from './fetch.js';
import type { TrustAnchor } from './anchors.js';
import type { Server } from '../transport.js';

/** delv's verdicts: `indeterminate` when the records needed could not be fetched. */
export type DnssecVerdict = 'secure' | 'insecure' | 'bogus' | 'indeterminate';

/** Why a link of the chain broke (or, for UNSUPPORTED_ALGORITHM and INSECURE, why it is insecure). */
export type DnssecProblemCode =
  | 'RRSIG_EXPIRED' | 'RRSIG_NOT_YET_VALID' | 'DS_MISMATCH' | 'DNSKEY_MISSING' | 'BAD_SIGNATURE' | 'NO_RRSIG'
  | 'NSEC_PROOF_FAILED' | 'UNSUPPORTED_ALGORITHM' | 'INSECURE' | 'NO_TRUST_ANCHOR' | 'FETCH_FAILED';

/** One link of the chain of trust, top down. */
export interface ChainLink {
  /** The zone whose keys this link is about or signed by. */
  zone: string;
  /** `anchor`: the zone's DNSKEY matched to the trust anchor; `ds`: the child's DS signed by this zone; `dnskey`: the zone's DNSKEY set; `rrset`: an answer RRset; `denial`: an NSEC/NSEC3 proof; `insecure`: a delegation without DS. */
  kind: 'anchor' | 'ds' | 'dnskey' | 'rrset' | 'denial' | 'insecure';
  /** The RRset's owner and type (`good.sec.test./DS`, `www.good.sec.test./A`). */
  owner: string;
  type: string;
  /** Key tags involved: the DS or anchor tags, the keys that signed. */
  keyTags: number[];
  algorithms: number[];
  verdict: DnssecVerdict;
  code?: DnssecProblemCode;
  message: string;
}

/** The validation of one answer, the `validation` member of `netlab dig +validate --json`. */
export interface DnssecValidation {
  status: DnssecVerdict;
  /** How records were fetched: from a recursive resolver, or walking from the server given. */
  mode: 'recursive' | 'iterative';
  /** The trust anchor's zone (`.` for the root). */
  anchor: string;
  /** The answer's RCODE as validated ('none' when no answer came). */
  rcode: string;
  /** The answer section that was validated (RRSIGs included), as delv prints it. */
  answer: Array<{ name: string; type: string; class: string; ttl: number; data: string }>;
  chain: ChainLink[];
  problems: Problem<DnssecProblemCode>[];
  /** Queries sent for the validation. */
  queries: number;
}

/** Options of validateAnswer. */
export interface ValidateOptions extends FetchLimits {
  /** The server to fetch from (an address and port). */
  server: Server;
  anchors: readonly TrustAnchor[];
  /** `auto` (default): recursive when the server sets RA in its answer, else walk from it. */
  mode?: 'auto' | 'recursive' | 'iterative';
  /** Seconds since 1970 to judge signature times against. Default now. */
  nowSeconds?: number;
}

type Keys = { zone: string; keys: DnskeyData[] };
type ZoneState =
  | { verdict: 'secure'; zone: string; keys: DnskeyData[] }
  | { verdict: 'insecure' | 'bogus' | 'indeterminate'; zone: string };

const SEVERITY: Record<DnssecProblemCode, Severity> = {
  RRSIG_EXPIRED: 'CRITICAL', RRSIG_NOT_YET_VALID: 'CRITICAL', DS_MISMATCH: 'CRITICAL', DNSKEY_MISSING: 'CRITICAL',
  BAD_SIGNATURE: 'CRITICAL', NO_RRSIG: 'CRITICAL', NSEC_PROOF_FAILED: 'CRITICAL', UNSUPPORTED_ALGORITHM: 'WARNING',
  INSECURE: 'WARNING', NO_TRUST_ANCHOR: 'WARNING', FETCH_FAILED: 'CRITICAL',
};

function rrsigsOf(records: readonly DnsRecord[], owner: string, type: string): RrsigData[] {
  const o = lowerName(owner);
  return records.filter((r) => r.rdata.type === 'RRSIG' && r.rdata.typeCovered === type && lowerName(r.name) === o).map((r) => r.rdata as RrsigData);
}

function rrsetOf(records: readonly DnsRecord[], owner: string, type: string): DnsRecord[] {
  const o = lowerName(owner);
  return records.filter((r) => r.type === type && lowerName(r.name) === o);
}

/** Check every NSEC and NSEC3 RRset of a message's authority section with the zone's keys; returns those that verified and the first failure. */
function verifiedDenials(msg: DnsMessage, zone: Keys, now: number): { nsec: DnsRecord[]; nsec3: DnsRecord[]; failure?: SigResult } {
  const out = { nsec: [] as DnsRecord[], nsec3: [] as DnsRecord[], failure: undefined as SigResult | undefined };
  for (const r of msg.authorities) {
    if (r.type !== 'NSEC' && r.type !== 'NSEC3') continue;
    if (!isSubdomain(r.name, zone.zone)) continue;
    const v = verifyRrset([r], rrsigsOf(msg.authorities, r.name, r.type), zone.zone, zone.keys, now);
    if (v.ok) (r.type === 'NSEC' ? out.nsec : out.nsec3).push(r);
    else out.failure ??= v;
  }
  return out;
}

interface Nsec3Param { salt: string; iterations: number; alg: number }

function nsec3Param(records: readonly DnsRecord[]): Nsec3Param | undefined {
  for (const r of records) {
    const f = nsec3Fields(r);
    if (f) return { salt: f.salt, iterations: f.iterations, alg: f.hashAlgorithm };
  }
  return undefined;
}

function nsec3Match(records: readonly DnsRecord[], p: Nsec3Param, name: string): DnsRecord | undefined {
  const h = nsec3Hash(name, p.salt, p.iterations, p.alg);
  return h ? records.find((r) => nsec3OwnerHash(r.name) === h) : undefined;
}

function nsec3Cover(records: readonly DnsRecord[], p: Nsec3Param, name: string): DnsRecord | undefined {
  const h = nsec3Hash(name, p.salt, p.iterations, p.alg);
  if (!h) return undefined;
  return records.find((r) => {
    const f = nsec3Fields(r);
    return f !== undefined && nsec3Covers(nsec3OwnerHash(r.name), f.nextHashed, h);
  });
}

/** RFC 5155 8.3: the closest encloser proof for `name` within `zone`: the encloser, the NSEC3 covering the next closer, and whether it has opt-out. */
function closestEncloserProof(records: readonly DnsRecord[], p: Nsec3Param, name: string, zone: string): { encloser: string; nextCloser: string; optOut: boolean } | undefined {
  const list = ancestors(name, zone);
  for (let i = 1; i < list.length; i++) {
    const ce = list[i]!;
    if (!nsec3Match(records, p, ce)) continue;
    const nc = list[i - 1]!;
    const cover = nsec3Cover(records, p, nc);
    if (!cover) return undefined;
    return { encloser: ce, nextCloser: nc, optOut: ((nsec3Fields(cover)?.flags ?? 0) & 1) === 1 };
  }
  return undefined;
}

/** The closest encloser an NSEC covering `name` shows: the longest ancestor shared with the NSEC's owner or next name. */
function nsecEncloser(nsec: DnsRecord, name: string): string {
  const next = nsec.rdata.type === 'NSEC' ? nsec.rdata.nextDomain : nsec.name;
  const shared = (a: string) => ancestors(name, '.').find((x) => isSubdomain(a, x)) ?? '.';
  const x = shared(nsec.name);
  const y = shared(next);
  return labelCount(x) >= labelCount(y) ? x : y;
}

/**
 * Validate the answer to (qname, qtype) from the trust anchors down, fetching what it needs
 * from `server`. Never throws for what the network or the zones do (that is the verdict);
 * throws NetlabError USAGE for a name that cannot be asked.
 */
export async function validateAnswer(qnameIn: string, qtypeIn: number | string, options: ValidateOptions): Promise<DnssecValidation> {
  const qname = lowerName(qnameIn);
  const qtype = typeof qtypeIn === 'number' ? qtypeIn : typeCodeOf(qtypeIn);
  if (qtype === undefined) throw new NetlabError('USAGE', `unknown type '${qtypeIn}'`);
  const qtypeName = typeName(qtype);
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const chain: ChainLink[] = [];
  const problems: Problem<DnssecProblemCode>[] = [];
  const link = (l: ChainLink) => {
    chain.push(l);
    if (l.code && (l.verdict !== 'secure')) problems.push({ code: l.code, severity: SEVERITY[l.code], message: l.message, subject: l.owner });
  };
  // the anchor whose zone is the closest ancestor of the name
  const anchorZone = [...new Set(options.anchors.map((a) => a.zone))].filter((z) => isSubdomain(qname, z)).sort((a, b) => labelCount(b) - labelCount(a))[0];
  let fetcher: RecordFetcher;
  let first: DnsMessage | undefined;
  let firstError: unknown;
  if (options.mode === 'iterative') fetcher = iterativeFetcher(options.server, options);
  else {
    const r = recursiveFetcher(options.server, options);
    try {
      first = await r.fetch(qname, qtype);
    } catch (e) {
      firstError = e;
    }
    // no reply at all: walking from the same server would only wait again
    const recursive = options.mode === 'recursive' || firstError !== undefined || (first !== undefined && first.flags.includes('ra'));
    fetcher = recursive ? r : iterativeFetcher(options.server, options);
    if (!recursive) first = undefined;
    if (recursive && firstError) first = undefined;
  }
  let answerRecords: DnssecValidation['answer'] = [];
  const result = (status: DnssecVerdict, rcode: string): DnssecValidation => ({
    status, mode: fetcher.mode, anchor: anchorZone ?? '', rcode, answer: answerRecords, chain, problems, queries: fetcher.queries + (fetcher.mode === 'iterative' && options.mode !== 'iterative' ? 1 : 0),
  });
  const fetchFailed = (owner: string, type: string, e: unknown): 'indeterminate' => {
    link({ zone: '', kind: 'rrset', owner, type, keyTags: [], algorithms: [], verdict: 'indeterminate', code: 'FETCH_FAILED', message: `cannot fetch ${owner}/${type}: ${e instanceof Error ? e.message : String(e)}` });
    return 'indeterminate';
  };
  let answer: DnsMessage;
  try {
    if (firstError && fetcher.mode === 'recursive') throw firstError;
    answer = first ?? await fetcher.fetch(qname, qtype);
    answerRecords = answer.answers.map((r) => ({ name: r.name, type: r.type, class: r.class, ttl: r.ttl, data: r.data }));
  } catch (e) {
    return result(fetchFailed(qname, qtypeName, e), 'none');
  }
  if (!anchorZone) {
    link({ zone: '.', kind: 'anchor', owner: qname, type: qtypeName, keyTags: [], algorithms: [], verdict: 'insecure', code: 'NO_TRUST_ANCHOR', message: `no trust anchor covers ${qname}` });
    return result('insecure', answer.rcode);
  }

  // --- the zone keys, top down, memoised per zone cut ---------------------------------
  const fetchOrNull = async (name: string, type: number): Promise<DnsMessage | Error> => {
    try {
      return await fetcher.fetch(name, type);
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  };

  /** The DNSKEY set of `zone`, checked against DS records (or anchors) `trusted`. */
  const zoneKeys = async (zone: string, trusted: Array<{ ds?: DsData; dnskey?: DnskeyData }>, kind: 'anchor' | 'dnskey'): Promise<ZoneState> => {
    const m = await fetchOrNull(zone, 48);
    if (m instanceof Error) return { verdict: fetchFailed(zone, 'DNSKEY', m), zone };
    const rrset = rrsetOf(m.answers, zone, 'DNSKEY');
    const keys = rrset.map((r) => r.rdata as DnskeyData);
    const supported = trusted.filter((t) => (t.ds ? SUPPORTED_ALGORITHMS.includes(t.ds.algorithm) && SUPPORTED_DIGESTS.includes(t.ds.digestType) : SUPPORTED_ALGORITHMS.includes(t.dnskey!.algorithm)));
    const tags = trusted.map((t) => (t.ds ? t.ds.keyTag : keyTag(t.dnskey!)));
    const algs = [...new Set(trusted.map((t) => (t.ds ? t.ds.algorithm : t.dnskey!.algorithm)))];
    if (supported.length === 0) {
      // RFC 4035 5.2: a zone whose DS records all use unknown algorithms is treated as unsigned
      link({ zone, kind, owner: zone, type: 'DNSKEY', keyTags: tags, algorithms: algs, verdict: 'insecure', code: 'UNSUPPORTED_ALGORITHM', message: `${zone}: no DS or anchor with a supported algorithm and digest (${algs.map(algorithmName).join(', ')}): treated as unsigned` });
      return { verdict: 'insecure', zone };
    }
    if (keys.length === 0) {
      link({ zone, kind, owner: zone, type: 'DNSKEY', keyTags: tags, algorithms: algs, verdict: 'bogus', code: 'DNSKEY_MISSING', message: `${zone} has no DNSKEY set (rcode ${m.rcode})` });
      return { verdict: 'bogus', zone };
    }
    const matched = keys.filter((k) => supported.some((t) => (t.ds ? dsMatches(zone, t.ds, k) === true : t.dnskey!.publicKey === k.publicKey && t.dnskey!.algorithm === k.algorithm)));
    if (matched.length === 0) {
      const keyTags = keys.map(keyTag);
      link({ zone, kind, owner: zone, type: 'DNSKEY', keyTags: tags, algorithms: algs, verdict: 'bogus', code: 'DS_MISMATCH', message: `${kind === 'anchor' ? 'the trust anchor' : 'the DS'} for ${zone} (key ${tags.join(', ')}) matches none of its DNSKEYs (keys ${keyTags.join(', ')})` });
      return { verdict: 'bogus', zone };
    }
    const v = verifyRrset(rrset, rrsigsOf(m.answers, zone, 'DNSKEY'), zone, matched, now);
    if (!v.ok) {
      link({ zone, kind, owner: zone, type: 'DNSKEY', keyTags: matched.map(keyTag), algorithms: v.algorithms, verdict: 'bogus', code: v.code, message: v.message });
      return { verdict: 'bogus', zone };
    }
    link({ zone, kind, owner: zone, type: 'DNSKEY', keyTags: matched.map(keyTag), algorithms: [...new Set(matched.map((k) => k.algorithm))], verdict: 'secure', message: `${kind === 'anchor' ? 'trust anchor' : 'DS'} matches key ${matched.map(keyTag).join(', ')}; DNSKEY set (keys ${keys.map(keyTag).join(', ')}) ${v.message.replace(/^.*? signed by /, 'signed by ')}` });
    return { verdict: 'secure', zone, keys };
  };

  let top: Promise<ZoneState> | undefined;
  const topState = () => (top ??= zoneKeys(anchorZone, options.anchors.filter((a) => a.zone === anchorZone), 'anchor'));
  // the state after looking for a DS at each name below the anchor, memoised
  const below = new Map<string, Promise<ZoneState>>();

  /** The zone state for a name: the deepest zone cut above or at it, secure with its keys, or why not. */
  const stateFor = async (name: string): Promise<ZoneState> => {
    let state = await topState();
    const names = ancestors(name, anchorZone).reverse().slice(1);
    for (const n of names) {
      if (state.verdict !== 'secure') return state;
      const parent = state;
      let step = below.get(n);
      if (!step) {
        step = dsStep(n, parent);
        below.set(n, step);
      }
      const next = await step;
      if (next === STOP) return parent;
      state = next;
    }
    return state;
  };

  const STOP = { verdict: 'secure', zone: '', keys: [] } as ZoneState;

  /** Is `n` a secure zone cut below `parent`, an insecure one, or not a cut at all (returns parent, or STOP when n does not exist)? */
  const dsStep = async (n: string, parent: ZoneState & { verdict: 'secure' }): Promise<ZoneState> => {
    const m = await fetchOrNull(n, 43);
    if (m instanceof Error) return { verdict: fetchFailed(n, 'DS', m), zone: parent.zone };
    const ds = rrsetOf(m.answers, n, 'DS');
    if (ds.length > 0) {
      const v = verifyRrset(ds, rrsigsOf(m.answers, n, 'DS'), parent.zone, parent.keys, now);
      const dsData = ds.map((r) => r.rdata as DsData);
      if (!v.ok) {
        link({ zone: parent.zone, kind: 'ds', owner: n, type: 'DS', keyTags: dsData.map((d) => d.keyTag), algorithms: v.algorithms, verdict: 'bogus', code: v.code, message: v.message });
        return { verdict: 'bogus', zone: n };
      }
      link({ zone: parent.zone, kind: 'ds', owner: n, type: 'DS', keyTags: dsData.map((d) => d.keyTag), algorithms: [...new Set(dsData.map((d) => d.algorithm))], verdict: 'secure', message: `DS for ${n} (key ${dsData.map((d) => d.keyTag).join(', ')}) ${v.message.replace(/^.*? signed by /, 'signed by ')}` });
      return zoneKeys(n, dsData.map((d) => ({ ds: d })), 'dnskey');
    }
    if (m.rcode !== 'NOERROR' && m.rcode !== 'NXDOMAIN') return { verdict: fetchFailed(n, 'DS', new Error(`answered ${m.rcode}`)), zone: parent.zone };
    // no DS: the parent must prove it, and say whether n is a delegation
    const d = verifiedDenials(m, parent, now);
    const p3 = nsec3Param(d.nsec3);
    const match = d.nsec.find((r) => lowerName(r.name) === n);
    if (match && match.rdata.type === 'NSEC') {
      const types = match.rdata.types;
      if (types.includes('DS')) return bogusDenial(parent.zone, n, 'DS', 'the NSEC at the name lists DS, yet none came');
      if (types.includes('NS') && !types.includes('SOA')) return insecureCut(parent.zone, n, 'NSEC');
      return parent;
    }
    const covering = d.nsec.find((r) => r.rdata.type === 'NSEC' && nsecCovers(r.name, r.rdata.nextDomain, n));
    if (covering) return m.rcode === 'NXDOMAIN' ? STOP : parent;
    if (p3) {
      const m3 = nsec3Match(d.nsec3, p3, n);
      if (m3) {
        const types = nsec3Fields(m3)?.types ?? [];
        if (types.includes('DS')) return bogusDenial(parent.zone, n, 'DS', 'the NSEC3 at the name lists DS, yet none came');
        if (types.includes('NS') && !types.includes('SOA')) return insecureCut(parent.zone, n, 'NSEC3');
        return parent;
      }
      const ce = closestEncloserProof(d.nsec3, p3, n, parent.zone);
      if (ce?.optOut && ce.nextCloser === n) return insecureCut(parent.zone, n, 'NSEC3 opt-out');
      if (ce) return m.rcode === 'NXDOMAIN' ? STOP : parent;
    }
    if (d.failure) {
      link({ zone: parent.zone, kind: 'denial', owner: n, type: 'DS', keyTags: d.failure.tags, algorithms: d.failure.algorithms, verdict: 'bogus', code: d.failure.code, message: d.failure.message });
      return { verdict: 'bogus', zone: parent.zone };
    }
    const signedSoa = rrsigsOf(m.authorities, parent.zone, 'SOA').length > 0 || d.nsec.length + d.nsec3.length > 0;
    return bogusDenial(parent.zone, n, 'DS', signedSoa ? 'no NSEC or NSEC3 proves that there is no DS' : `the answer is not signed (${m.rcode}, no RRSIG, no NSEC)`, signedSoa ? 'NSEC_PROOF_FAILED' : 'NO_RRSIG');
  };

  const insecureCut = (zone: string, n: string, how: string): ZoneState => {
    link({ zone, kind: 'insecure', owner: n, type: 'DS', keyTags: [], algorithms: [], verdict: 'insecure', code: 'INSECURE', message: `${n} is delegated without DS (proven by ${how} of ${zone}): an unsigned zone` });
    return { verdict: 'insecure', zone: n };
  };
  const bogusDenial = (zone: string, owner: string, type: string, why: string, code: DnssecProblemCode = 'NSEC_PROOF_FAILED'): ZoneState => {
    link({ zone, kind: 'denial', owner, type, keyTags: [], algorithms: [], verdict: 'bogus', code, message: `${owner}/${type}: ${why}` });
    return { verdict: 'bogus', zone };
  };

  /** The longest signer name that is the name or above it, and at or below the anchor. */
  const signerWithin = (signers: string[], name: string): string | undefined =>
    signers.map(lowerName).filter((x) => isSubdomain(name, x) && isSubdomain(x, anchorZone)).sort((a, b) => labelCount(b) - labelCount(a))[0];

  // --- the answer: each RRset, then the proofs a negative or wildcard answer needs ------
  const verdicts: DnssecVerdict[] = [];
  /** Check a message's answer RRsets; returns the last name of its CNAME chain and whether that name is answered. */
  const checkAnswer = async (answer: DnsMessage, asked: string): Promise<{ last: string; answered: boolean }> => {
  const rrsets = new Map<string, DnsRecord[]>();
  for (const r of answer.answers) {
    if (r.type === 'RRSIG') continue;
    const k = `${lowerName(r.name)}/${r.type}`;
    rrsets.set(k, [...(rrsets.get(k) ?? []), r]);
  }
  let last = asked;
  for (const rrset of rrsets.values()) {
    const owner = lowerName(rrset[0]!.name);
    const type = rrset[0]!.type;
    // a DS RRset belongs to the parent side of the cut
    const sigs = rrsigsOf(answer.answers, owner, type);
    // signed: walk down to its signer only (a cut between would have made the child the signer); unsigned: all the way, to find the insecure cut
    const dsOwner = type === 'DS' ? lastLabels(owner, Math.max(labelCount(owner) - 1, 0)) : owner;
    const state = await stateFor(signerWithin(sigs.map((x) => x.signerName), dsOwner) ?? dsOwner);
    if (type === 'CNAME' && rrset[0]!.rdata.type === 'CNAME') last = lowerName(rrset[0]!.rdata.target);
    if (state.verdict !== 'secure') {
      verdicts.push(state.verdict);
      continue;
    }
    const v = verifyRrset(rrset, sigs, state.zone, state.keys, now);
    if (!v.ok) {
      link({ zone: state.zone, kind: 'rrset', owner, type, keyTags: v.tags, algorithms: v.algorithms, verdict: 'bogus', code: v.code, message: v.message });
      verdicts.push('bogus');
      continue;
    }
    const sig = sigs.find((s) => s.keyTag === v.tags[0])!;
    if (sig.labels < labelCount(owner)) {
      // RFC 4035 5.3.4: a wildcard expansion needs the proof that the name itself does not exist
      const d = verifiedDenials(answer, state, now);
      const p3 = nsec3Param(d.nsec3);
      const ce = lastLabels(owner, sig.labels);
      const proven = d.nsec.some((r) => r.rdata.type === 'NSEC' && nsecCovers(r.name, r.rdata.nextDomain, owner))
        || (p3 !== undefined && nsec3Cover(d.nsec3, p3, lastLabels(owner, sig.labels + 1)) !== undefined);
      if (!proven) {
        link({ zone: state.zone, kind: 'denial', owner, type, keyTags: v.tags, algorithms: v.algorithms, verdict: 'bogus', code: 'NSEC_PROOF_FAILED', message: `${owner}/${type} is expanded from *.${ce} without the proof that ${owner} does not exist` });
        verdicts.push('bogus');
        continue;
      }
      link({ zone: state.zone, kind: 'rrset', owner, type, keyTags: v.tags, algorithms: v.algorithms, verdict: 'secure', message: `${v.message} (wildcard *.${ce}, ${owner} proven absent)` });
    } else {
      link({ zone: state.zone, kind: 'rrset', owner, type, keyTags: v.tags, algorithms: v.algorithms, verdict: 'secure', message: v.message });
    }
    verdicts.push('secure');
  }
  const finalAnswered = [...rrsets.keys()].some((k) => k === `${last}/${qtypeName}` || (qtype === 255 && k.startsWith(`${last}/`)));
  return { last, answered: finalAnswered };
  };

  let message = answer;
  let asked = qname;
  // a CNAME into another zone that the answer does not follow is asked again, as a resolver restarts the query (8 at most)
  for (let hop = 0; ; hop++) {
    const { last, answered } = await checkAnswer(message, asked);
    if (answered) break;
    if (message.rcode !== 'NOERROR' && message.rcode !== 'NXDOMAIN') return result(fetchFailed(last, qtypeName, new Error(`answered ${message.rcode}`)), message.rcode);
    const negative = message.rcode === 'NXDOMAIN' || last === asked || message.authorities.some((r) => r.type === 'SOA' || r.type === 'NSEC' || r.type === 'NSEC3');
    if (negative || hop >= 8) {
      // NODATA or NXDOMAIN for the last name of the chain
      const signers = message.authorities.filter((r) => r.rdata.type === 'RRSIG' && (r.rdata.typeCovered === 'SOA' || r.rdata.typeCovered === 'NSEC' || r.rdata.typeCovered === 'NSEC3')).map((r) => (r.rdata as RrsigData).signerName);
      const state = await stateFor(signerWithin(signers, last) ?? last);
      if (state.verdict !== 'secure') verdicts.push(state.verdict);
      else verdicts.push(denial(message, state, last));
      break;
    }
    const next = await fetchOrNull(last, qtype);
    if (next instanceof Error) return result(fetchFailed(last, qtypeName, next), message.rcode);
    answerRecords = [...answerRecords, ...next.answers.map((r) => ({ name: r.name, type: r.type, class: r.class, ttl: r.ttl, data: r.data }))];
    message = next;
    asked = last;
  }

  function denial(m: DnsMessage, state: ZoneState & { verdict: 'secure' }, name: string): DnssecVerdict {
    const soa = rrsetOf(m.authorities, state.zone, 'SOA');
    if (soa.length > 0) {
      const v = verifyRrset(soa, rrsigsOf(m.authorities, state.zone, 'SOA'), state.zone, state.keys, now);
      if (!v.ok) {
        link({ zone: state.zone, kind: 'denial', owner: state.zone, type: 'SOA', keyTags: v.tags, algorithms: v.algorithms, verdict: 'bogus', code: v.code, message: v.message });
        return 'bogus';
      }
    }
    const d = verifiedDenials(m, state, now);
    const p3 = nsec3Param(d.nsec3);
    const nx = m.rcode === 'NXDOMAIN';
    let how: string | undefined;
    if (!nx) {
      const match = d.nsec.find((r) => lowerName(r.name) === name);
      if (match?.rdata.type === 'NSEC' && !match.rdata.types.includes(qtypeName) && !match.rdata.types.includes('CNAME')) how = `the NSEC at ${name} lists no ${qtypeName}`;
      // an empty non-terminal: the NSEC before it points below it (RFC 4035 5.4)
      const ent = d.nsec.find((r) => r.rdata.type === 'NSEC' && nsecCovers(r.name, r.rdata.nextDomain, name) && isSubdomain(r.rdata.nextDomain, name));
      if (!how && ent) how = `${name} is an empty non-terminal (NSEC ${ent.name})`;
      if (!how && p3) {
        const m3 = nsec3Match(d.nsec3, p3, name);
        const types = m3 ? nsec3Fields(m3)?.types ?? [] : undefined;
        if (types && !types.includes(qtypeName) && !types.includes('CNAME')) how = `the NSEC3 of ${name} lists no ${qtypeName}`;
        if (!how && qtype === 43) {
          const ce = closestEncloserProof(d.nsec3, p3, name, state.zone);
          if (ce?.optOut) how = `NSEC3 opt-out covers ${ce.nextCloser}`;
        }
      }
    } else {
      const cover = d.nsec.find((r) => r.rdata.type === 'NSEC' && nsecCovers(r.name, r.rdata.nextDomain, name));
      if (cover) {
        const ce = nsecEncloser(cover, name);
        const wildName = ce === '.' ? '*.' : `*.${ce}`;
        if (d.nsec.some((r) => r.rdata.type === 'NSEC' && nsecCovers(r.name, r.rdata.nextDomain, wildName))) how = `NSEC covers ${name} and ${wildName}`;
      } else if (p3) {
        const ce = closestEncloserProof(d.nsec3, p3, name, state.zone);
        if (ce && nsec3Cover(d.nsec3, p3, `*.${ce.encloser}`)) how = `NSEC3: closest encloser ${ce.encloser}, ${ce.nextCloser} and *.${ce.encloser} covered`;
      }
    }
    if (!how) {
      const failure = d.failure;
      link({
        zone: state.zone, kind: 'denial', owner: name, type: qtypeName, keyTags: failure?.tags ?? [], algorithms: failure?.algorithms ?? [], verdict: 'bogus',
        code: failure?.code ?? (d.nsec.length + d.nsec3.length === 0 && soa.length === 0 ? 'NO_RRSIG' : 'NSEC_PROOF_FAILED'),
        message: failure?.message ?? `${nx ? 'NXDOMAIN' : 'NODATA'} for ${name}/${qtypeName} without a valid ${p3 || d.nsec3.length ? 'NSEC3' : 'NSEC'} proof`,
      });
      return 'bogus';
    }
    link({ zone: state.zone, kind: 'denial', owner: name, type: qtypeName, keyTags: [], algorithms: [], verdict: 'secure', message: `${nx ? 'NXDOMAIN' : 'NODATA'} proven: ${how}` });
    return 'secure';
  }

  const rank: DnssecVerdict[] = ['bogus', 'indeterminate', 'insecure', 'secure'];
  const status = verdicts.length === 0 ? 'indeterminate' : verdicts.sort((a, b) => rank.indexOf(a) - rank.indexOf(b))[0]!;
  return result(status, message.rcode);
}
