/**
 * issue 14: the lab's GSLB, as a CDN's DNS works: `www.gslb.test A` gets a different edge
 * address per client subnet. The subnet is the query's EDNS Client Subnet (RFC 7871) when it
 * has one, else the address the query came from. The answer's ECS echoes the query's, with the
 * SCOPE PREFIX-LENGTH set to how many bits of the address the answer depends on (RFC 7871
 * 7.2.1). `where.gslb.test TXT` says which region answered and why.
 *
 * The regions use documentation prefixes (zone data only, never a connection target):
 *
 *   region   client subnets                        edge (src/lab/http/names.ts)
 *   north    198.51.100.0/24, 2001:db8:100::/48     127.55.0.4, the near relay
 *   south    203.0.113.0/24,  2001:db8:113::/48     127.55.0.3, the far relay
 *   default  everything else (loopback clients)    127.55.0.2, the CDN edge
 *
 * The answer function (answerGslb) takes the decoded query and the client's address and is
 * transport-free: the lab's UDP/TCP server calls it through its `answer` hook, and a DoT or
 * DoH front calls the server's respond(bytes, 'tcp', clientAddress) the same way.
 */
import { makeRecord, type DnsRecord } from '../../protocol/dns/rdata.js';
import { clientSubnetText, decodeClientSubnet, encodeClientSubnet, type ClientSubnet } from '../../protocol/dns/edns-options.js';
import { canonicalName } from '../../protocol/dns/names.js';
import { parseIPv4, parseIPv6 } from '../../util/ip.js';
import type { DnsMessage } from '../../protocol/dns/wire.js';
import { LAB_HTTP_ADDRESSES } from '../http/names.js';
import type { HookAnswer, Zone } from './server.js';

/** The GSLB's own address: authoritative for gslb.test. (delegated from test.). */
export const GSLB_ADDRESS = '127.53.3.1';
export const GSLB_ORIGIN = 'gslb.test.';
/** The name whose address depends on the client. */
export const GSLB_NAME = 'www.gslb.test.';
/** The TXT record that says which region answered. */
export const GSLB_WHERE = 'where.gslb.test.';
/** TTL of the tailored answers, seconds: short, as CDNs keep them. */
export const GSLB_TTL = 60;

export type GslbRegionName = 'north' | 'south' | 'default';

export interface GslbRegion {
  name: GslbRegionName;
  /** `ADDR/PREFIX` client subnets that land here; none for the default region. */
  subnets: string[];
  /** The edge address `www.gslb.test` answers with. */
  edge: string;
}

/** The table, first match wins; the default region takes every client no subnet matches. */
export const GSLB_REGIONS: readonly GslbRegion[] = [
  { name: 'north', subnets: ['198.51.100.0/24', '2001:db8:100::/48'], edge: LAB_HTTP_ADDRESSES.near },
  { name: 'south', subnets: ['203.0.113.0/24', '2001:db8:113::/48'], edge: LAB_HTTP_ADDRESSES.far },
  { name: 'default', subnets: [], edge: LAB_HTTP_ADDRESSES.edge },
];

/** The zone gslb.test. as the GSLB serves it; www and where are answered per client (answerGslb). */
export function gslbZone(): Zone {
  const soa = makeRecord(GSLB_ORIGIN, 3600, { type: 'SOA', mname: `ns1.${GSLB_ORIGIN}`, rname: `hostmaster.${GSLB_ORIGIN}`, serial: 2026120301, refresh: 3600, retry: 900, expire: 604800, minimum: 60 });
  return {
    origin: GSLB_ORIGIN,
    records: [
      soa,
      makeRecord(GSLB_ORIGIN, 3600, { type: 'NS', target: `ns1.${GSLB_ORIGIN}` }),
      makeRecord(`ns1.${GSLB_ORIGIN}`, 3600, { type: 'A', address: GSLB_ADDRESS }),
      // placeholders so that other types of these names are NODATA, not NXDOMAIN
      makeRecord(GSLB_NAME, GSLB_TTL, { type: 'A', address: LAB_HTTP_ADDRESSES.edge }),
      makeRecord(GSLB_WHERE, GSLB_TTL, { type: 'TXT', strings: ['default'] }),
    ],
  };
}

interface Prefix {
  family: 1 | 2;
  bytes: Uint8Array;
  length: number;
}

function bytesOf(address: string): { family: 1 | 2; bytes: Uint8Array } | undefined {
  const v4 = parseIPv4(address.startsWith('::ffff:') ? address.slice(7) : address);
  if (v4 !== undefined) return { family: 1, bytes: new Uint8Array([v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255]) };
  const v6 = parseIPv6(address);
  return v6 ? { family: 2, bytes: v6 } : undefined;
}

function prefixOf(text: string): Prefix {
  const [addr, len] = text.split('/') as [string, string];
  const b = bytesOf(addr)!;
  return { ...b, length: Number(len) };
}

const TABLE = GSLB_REGIONS.map((r) => ({ region: r, prefixes: r.subnets.map(prefixOf) }));

/** Whether the first `bits` bits of a and b agree. */
function sameBits(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bits; i++) {
    const m = 0x80 >> (i & 7);
    if ((a[i >> 3]! & m) !== (b[i >> 3]! & m)) return false;
  }
  return true;
}

/** What the GSLB decided for one client: the region, and the scope of that decision in bits. */
export interface GslbChoice {
  region: GslbRegion;
  /** How the client was placed: its ECS, its source address, or nothing usable (ECS /0). */
  by: 'ecs' | 'source' | 'none';
  /** The subnet or address the decision used, as text. */
  client: string;
  /** RFC 7871 7.2.1: the answer holds for every address sharing this many leading bits. */
  scopePrefix: number;
}

/**
 * Place a client: `address` bytes known to `known` bits. A region's prefix matches when the
 * known bits lie inside it: the scope is that prefix's length. Otherwise the default region,
 * whose scope is the shortest prefix around the address that no region's prefix overlaps
 * (longer than `known` when the client told too few bits to decide, RFC 7871 7.2.1).
 */
function place(family: 1 | 2, bytes: Uint8Array, known: number): { region: GslbRegion; scopePrefix: number } {
  for (const { region, prefixes } of TABLE) {
    for (const p of prefixes) if (p.family === family && known >= p.length && sameBits(bytes, p.bytes, p.length)) return { region, scopePrefix: p.length };
  }
  const fallback = TABLE.find((t) => t.prefixes.length === 0)!.region;
  let scope = 0;
  for (const { prefixes } of TABLE) {
    for (const p of prefixes) {
      if (p.family !== family) continue;
      // the first bit where the address leaves this prefix: a /scope block around it avoids the prefix
      let diff = 0;
      const upto = Math.min(known, p.length);
      while (diff < upto && sameBits(bytes, p.bytes, diff + 1)) diff++;
      if (diff < upto) scope = Math.max(scope, diff + 1);
      else scope = Math.max(scope, p.length); // told too few bits to tell: the prefix's length decides
    }
  }
  return { region: fallback, scopePrefix: scope };
}

/** Decide for a query: by its ECS when it carries a valid one, else by `clientAddress`. Undefined for an ECS that is malformed (FORMERR). */
export function chooseGslb(query: DnsMessage, clientAddress: string): GslbChoice | undefined {
  const opt = query.edns?.options.find((o) => o.code === 8);
  if (opt) {
    const ecs = decodeClientSubnet(Buffer.from(opt.hex, 'hex'));
    if (!ecs) return undefined;
    if (ecs.sourcePrefix === 0) {
      // RFC 7871 7.1.2: /0 means "use no address": the default answer, scope 0
      return { region: TABLE.find((t) => t.prefixes.length === 0)!.region, by: 'none', client: clientSubnetText(ecs), scopePrefix: 0 };
    }
    const b = bytesOf(ecs.address)!;
    const p = place(ecs.family, b.bytes, ecs.sourcePrefix);
    return { ...p, by: 'ecs', client: `${ecs.address}/${ecs.sourcePrefix}` };
  }
  const b = bytesOf(clientAddress);
  if (!b) return { region: TABLE.find((t) => t.prefixes.length === 0)!.region, by: 'none', client: clientAddress || 'unknown', scopePrefix: 0 };
  return { ...place(b.family, b.bytes, b.bytes.length * 8), by: 'source', client: clientAddress };
}

/**
 * The GSLB's answer to one query from `clientAddress` (any transport): www.gslb.test A is the
 * client's region's edge, where.gslb.test TXT names the region; an ECS in the query comes back
 * with its scope set. Undefined for every other question (the zone answers those), except that
 * a malformed ECS is FORMERR (RFC 7871 7.1.2).
 */
export function answerGslb(query: DnsMessage, clientAddress: string): HookAnswer | undefined {
  const q = query.questions[0];
  if (!q) return undefined;
  const opt = query.edns?.options.find((o) => o.code === 8);
  const choice = chooseGslb(query, clientAddress);
  if (!choice) return { sections: { rcode: 1, aa: false, answers: [], authorities: [], additionals: [] } };
  const name = canonicalName(q.name);
  const tailored = (name === GSLB_NAME && (q.typeCode === 1 || q.typeCode === 255)) || (name === GSLB_WHERE && (q.typeCode === 16 || q.typeCode === 255));
  let ednsOptions: HookAnswer['ednsOptions'];
  if (opt) {
    const ecs = decodeClientSubnet(Buffer.from(opt.hex, 'hex'))!;
    // RFC 7871 7.2.1: the query's family, source prefix and address, our scope (0 when the answer does not depend on it)
    const echoed: ClientSubnet = { ...ecs, scopePrefix: tailored ? choice.scopePrefix : 0 };
    ednsOptions = [{ code: 8, hex: encodeClientSubnet(echoed).toString('hex') }];
  }
  // other questions: the zone answers, with the ECS echoed at scope 0
  if (!tailored) return ednsOptions ? { ednsOptions } : undefined;
  const answers: DnsRecord[] = name === GSLB_NAME
    ? [makeRecord(q.name, GSLB_TTL, { type: 'A', address: choice.region.edge })]
    : [makeRecord(q.name, GSLB_TTL, { type: 'TXT', strings: [choice.region.name, `edge ${choice.region.edge}`, `by ${choice.by === 'ecs' ? 'client subnet' : choice.by === 'source' ? 'source address' : 'no client address (default)'} ${choice.client}`, `scope /${choice.scopePrefix}`] })];
  return { sections: { rcode: 0, aa: true, answers, authorities: [], additionals: [] }, ednsOptions };
}
