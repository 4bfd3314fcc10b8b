/**
 * issue 14: zone transfers and TSIG in the lab's DNS server. A server may transfer some of its
 * zones over TCP (AXFR, and IXFR answered with the whole zone or, when the client is up to
 * date, the single SOA, RFC 1995 2), to loopback clients, or only to requests signed with the
 * zone's TSIG key. As BIND's named: AXFR over UDP is FORMERR, a zone the server does not serve
 * NOTAUTH, a transfer not allowed REFUSED, a request with an unknown key or a bad MAC NOTAUTH
 * with the TSIG error (BADKEY, BADSIG) in an unsigned TSIG record. Signed answers are signed
 * message by message (RFC 8945 5.3.1). Pure: bytes in, bytes out.
 */
import { canonicalName, readName } from '../../protocol/dns/names.js';
import { encodeMessage, type DnsMessage, type DnsRecord, type EdnsInput, type HeaderFlag } from '../../protocol/dns/wire.js';
import { findTsig, signTsig, tsigAlgorithm, verifyTsigRequest, type TsigKey, type TsigRecord } from '../../protocol/dns/tsig.js';
import { makeRecord } from '../../protocol/dns/rdata.js';
import type { Zone } from './server.js';

/** A zone a lab server transfers: to any loopback client, or only to requests signed with `key`. */
export interface TransferPolicy {
  origin: string;
  key?: TsigKey;
}

/** Records per message of a lab transfer: small, so that the lab's zones span several messages. */
export const LAB_XFR_CHUNK = 40;

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.replace(/^::ffff:/, '');
  return a.startsWith('127.') || a === '::1';
}

/** Whether a query asks for a transfer or carries a TSIG, read from its bytes without decoding it all. */
export function isTransferOrSigned(query: Buffer): boolean {
  if (query.length < 12) return false;
  try {
    if (query.readUInt16BE(4) >= 1) {
      const end = readName(query, 12).end;
      const type = end + 2 <= query.length ? query.readUInt16BE(end) : 0;
      if (type === 251 || type === 252) return true;
    }
    return query.readUInt16BE(10) > 0 && findTsig(query) !== undefined;
  } catch {
    return false;
  }
}

/** How a request's TSIG checked out: the key to sign the answer with, or the error to answer. */
export interface RequestTsig {
  record?: TsigRecord;
  key?: TsigKey;
  error?: number;
}

/** Verify a request's TSIG against the keys this server knows. */
export function checkRequestTsig(query: Buffer, keys: readonly TsigKey[]): RequestTsig {
  try {
    return verifyTsigRequest(query, keys);
  } catch {
    return { error: 1 };
  }
}

/**
 * Sign an answer for a signed request (the request's MAC first, then each later message's
 * prior MAC); an answer with a TSIG error goes back with an unsigned TSIG record of that error.
 * Returns the answers' bytes, in order.
 */
export function signAnswers(answers: Buffer[], tsig: RequestTsig): Buffer[] {
  const r = tsig.record;
  if (!r) return answers;
  if (tsig.error !== undefined || !tsig.key) {
    const key: TsigKey = tsig.key ?? { name: r.name, algorithm: tsigAlgorithm(r.algorithm) ?? 'hmac-sha256', secret: new Uint8Array(0) };
    return answers.map((a) => signTsig(a, key, { error: tsig.error ?? 17, requestMac: r.mac }).wire);
  }
  let prior: Uint8Array = r.mac;
  return answers.map((a, i) => {
    const s = signTsig(a, tsig.key!, { requestMac: prior, continuation: i > 0 });
    prior = s.mac;
    return s.wire;
  });
}

/**
 * The answer messages to an AXFR or IXFR over TCP (before signing). `rcode` alone when it is
 * refused; else the zone's SOA, every other record, and the SOA again, LAB_XFR_CHUNK records
 * a message (IXFR from a serial as new as the zone's: the SOA alone).
 */
export function transferAnswers(msg: DnsMessage, zones: readonly Zone[], policies: readonly TransferPolicy[], remote: string | undefined, tsig: RequestTsig, edns: EdnsInput | undefined): Buffer[] {
  const q = msg.questions[0]!;
  const header = (rcode: number, answers: DnsRecord[] = []) => encodeMessage({
    id: msg.id, flags: ['qr', ...(rcode === 0 ? ['aa' as HeaderFlag] : [])], rcode, questions: msg.questions, answers, edns,
  });
  if (tsig.record && tsig.error !== undefined) return [header(9)]; // NOTAUTH, with the TSIG error
  const zone = zones.find((z) => canonicalName(z.origin) === canonicalName(q.name));
  if (!zone) return [header(9)]; // NOTAUTH: not a zone of this server
  const policy = policies.find((p) => canonicalName(p.origin) === canonicalName(q.name));
  const allowed = policy && isLoopback(remote) && (!policy.key || (tsig.key && canonicalName(tsig.key.name) === canonicalName(policy.key.name)));
  if (!allowed) return [header(5)];
  const soa = zone.records.find((r) => r.type === 'SOA' && canonicalName(r.name) === canonicalName(zone.origin));
  if (!soa || soa.rdata.type !== 'SOA') return [header(2)];
  if (q.typeCode === 251) {
    const theirs = msg.authorities.find((r) => r.rdata.type === 'SOA');
    const serial = theirs?.rdata.type === 'SOA' ? theirs.rdata.serial : undefined;
    const d = serial === undefined ? 1 : (soa.rdata.serial - serial) >>> 0;
    if (d === 0 || d >= 0x80000000) return [header(0, [soa])];
  }
  const records = [soa, ...zone.records.filter((r) => r !== soa), soa];
  const out: Buffer[] = [];
  for (let i = 0; i < records.length; i += LAB_XFR_CHUNK) out.push(header(0, records.slice(i, i + LAB_XFR_CHUNK)));
  return out;
}

/** Hosts of xfr.test. beyond its apex: enough records for a transfer of two messages. */
export const LAB_XFR_HOSTS = 60;

/**
 * issue 14: xfr.test., served by 127.53.1.1 and transferred only to requests signed with the
 * lab's key: the SOA, its NS and glue, a TXT, and LAB_XFR_HOSTS address records (host-1 to
 * host-60, 192.0.2.101-160), 64 records, 65 in a transfer (the SOA twice).
 */
export function labXfrZone(address: string): Zone {
  const records = [
    makeRecord('xfr.test.', 3600, { type: 'SOA', mname: 'ns1.xfr.test.', rname: 'hostmaster.xfr.test.', serial: 2026120301, refresh: 3600, retry: 900, expire: 604800, minimum: 300 }),
    makeRecord('xfr.test.', 300, { type: 'NS', target: 'ns1.xfr.test.' }),
    makeRecord('xfr.test.', 300, { type: 'TXT', strings: ['transferred with TSIG only'] }),
    makeRecord('ns1.xfr.test.', 300, { type: 'A', address }),
  ];
  for (let i = 1; i <= LAB_XFR_HOSTS; i++) records.push(makeRecord(`host-${i}.xfr.test.`, 300, { type: 'A', address: `192.0.2.${100 + i}` }));
  return { origin: 'xfr.test.', records };
}

/** The lab's TSIG key as a BIND key file, as tsig-keygen writes it. */
export function keyFileText(key: TsigKey): string {
  return `key "${key.name}" {\n\talgorithm ${key.algorithm};\n\tsecret "${Buffer.from(key.secret).toString('base64')}";\n};\n`;
}
