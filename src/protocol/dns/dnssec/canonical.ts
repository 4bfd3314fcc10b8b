/**
 * The canonical form of records (RFC 4034 section 6): names in lower case, uncompressed,
 * RRs of an RRset sorted by their RDATA, and the bytes an RRSIG signs (RFC 4034 3.1.8.1).
 * Pure.
 */
import { nameToWire, readName, splitName } from '../names.js';
import { encodeRdata, type DnsRecord, type RecordData, type RrsigData } from '../rdata.js';
import { typeCode } from '../types.js';

/** A name's wire form in lower case (RFC 4034 6.2: ASCII letters only; length bytes are below 0x41). */
export function canonicalNameWire(name: string): Buffer {
  const b = Buffer.from(nameToWire(name));
  for (let i = 0; i < b.length; i++) if (b[i]! >= 0x41 && b[i]! <= 0x5a) b[i] = b[i]! + 0x20;
  return b;
}

/** A name in lower case, presentation form, fully qualified (through the wire form, so escapes stay right). */
export function lowerName(name: string): string {
  return readName(canonicalNameWire(name), 0).name;
}

/** The number of labels of a name, the root not counted, nor a leading `*` (RFC 4034 3.1.3). */
export function labelCount(name: string): number {
  const labels = splitName(name);
  return labels.length > 0 && labels[0]!.length === 1 && labels[0]![0] === 0x2a ? labels.length - 1 : labels.length;
}

/** The rightmost `count` labels of a name, fully qualified. */
export function lastLabels(name: string, count: number): string {
  const labels = splitName(name);
  const kept = labels.slice(labels.length - count);
  return kept.length === 0 ? '.' : readName(Buffer.concat([...kept.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])]), 0).name;
}

/**
 * The RDATA in canonical form: RFC 4034 6.2 item 3 (as RFC 6840 5.1 leaves it): the names of
 * NS, CNAME, DNAME, PTR, MX, SOA, SRV, NAPTR and the RRSIG signer in lower case. (NSEC's next
 * name keeps its case, RFC 6840 5.1.) Types without a typed value are their bytes as they came.
 */
export function canonicalRdata(rd: RecordData): Buffer {
  switch (rd.type) {
    case 'NS': case 'CNAME': case 'DNAME': case 'PTR': return encodeRdata({ ...rd, target: lowerName(rd.target) });
    case 'MX': return encodeRdata({ ...rd, exchange: lowerName(rd.exchange) });
    case 'SOA': return encodeRdata({ ...rd, mname: lowerName(rd.mname), rname: lowerName(rd.rname) });
    case 'SRV': return encodeRdata({ ...rd, target: lowerName(rd.target) });
    case 'NAPTR': return encodeRdata({ ...rd, replacement: lowerName(rd.replacement) });
    case 'RRSIG': return encodeRdata({ ...rd, signerName: lowerName(rd.signerName) });
    default: return encodeRdata(rd);
  }
}

/** Compare two byte strings as unsigned octets, the shorter first on a tie (RFC 4034 6.3). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * Canonical DNS name order (RFC 4034 6.1): label by label from the right, each label compared
 * as lower-case octets. Negative when a sorts before b.
 */
export function compareNames(a: string, b: string): number {
  const la = splitName(a).map(lowerLabel);
  const lb = splitName(b).map(lowerLabel);
  for (let i = 1; i <= Math.min(la.length, lb.length); i++) {
    const c = compareBytes(la[la.length - i]!, lb[lb.length - i]!);
    if (c !== 0) return c;
  }
  return la.length - lb.length;
}

function lowerLabel(l: Buffer): Buffer {
  return Buffer.from(l.map((c) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c)));
}

/** The RRSIG RDATA without its signature, signer in lower case: the head of what is signed. */
export function rrsigHead(sig: RrsigData): Buffer {
  const full = canonicalRdata(sig);
  return full.subarray(0, full.length - Buffer.from(sig.signature, 'base64').length);
}

/**
 * The bytes an RRSIG signs over an RRset (RFC 4034 3.1.8.1 and 6.2): the RRSIG head, then every
 * RR with the owner in lower case (`*.` + the signer's labels when the RRSIG's label count says
 * it was a wildcard, RFC 4035 5.3.2), the original TTL, RDATA in canonical form, sorted by
 * RDATA, duplicates removed. Throws NetlabError USAGE when a record cannot be encoded.
 */
export function signedData(sig: RrsigData, rrset: readonly DnsRecord[]): Buffer {
  const first = rrset[0];
  if (!first) return rrsigHead(sig);
  let owner = lowerName(first.name);
  if (sig.labels < labelCount(owner)) owner = lowerName(`*.${lastLabels(owner, sig.labels)}`);
  const ownerWire = canonicalNameWire(owner);
  const rdatas = [...new Map(rrset.map((r) => {
    const b = canonicalRdata(r.rdata);
    return [b.toString('hex'), b] as const;
  })).values()].sort(compareBytes);
  const head = Buffer.alloc(8);
  head.writeUInt16BE(typeCode(first.type) ?? first.typeCode, 0);
  head.writeUInt16BE(first.classCode, 2);
  head.writeUInt32BE(sig.originalTtl >>> 0, 4);
  const parts: Buffer[] = [rrsigHead(sig)];
  for (const rd of rdatas) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(rd.length);
    parts.push(ownerWire, head, len, rd);
  }
  return Buffer.concat(parts);
}
