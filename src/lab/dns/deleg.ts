/**
 * issue 14: the lab's broken delegations for `dig +zone-check` and `+nssearch`, one case per
 * problem code, each a zone under `test.` on its own servers at 127.53.4.x. Every case has a
 * good server (127.53.4.1) beside the broken one, so that each gives exactly its own code
 * (WARNING); the older cases (lame.test., upward.test., dead.test., glueless.test., split.test.)
 * are listed too, with what they give.
 */
import { makeRecord, type DnsRecord, type RecordData } from '../../protocol/dns/rdata.js';
import type { DnsServerOptions, Zone } from './server.js';

/** Loopback addresses of the delegation cases' servers. */
export const DELEG_ADDRESSES = {
  /** Serves every case zone correctly. */
  good1: '127.53.4.1',
  /** Serves every case zone correctly too (the second server where a case needs two good ones). */
  good2: '127.53.4.2',
  /** stale.test. with an older SOA serial. */
  stale: '127.53.4.3',
  /** noaa.test. without the AA bit (lame). */
  noaa: '127.53.4.4',
  /** noedns.test.: FORMERR to queries with EDNS, answers plain ones. */
  noedns: '127.53.4.5',
  /** notcp.test.: UDP only. */
  notcp: '127.53.4.6',
  /** Bound, never answers (silent.test.'s second server). */
  silent: '127.53.4.7',
} as const;

const D = DELEG_ADDRESSES;

/** The SOA serial of the case zones, and the stale server's older one. */
export const DELEG_SERIALS = { current: 2026112301, stale: 2026112201 } as const;

/** One delegation case: the name to check, what `+zone-check` must find, and why. */
export interface DelegCase {
  zone: string;
  /** The name to check (`dig +zone-check NAME`). */
  name: string;
  expectedStatus: 'OK' | 'WARNING' | 'CRITICAL';
  /** Problem codes +zone-check reports, sorted, each once. */
  expectedCodes: string[];
  description: string;
}

/** Every case, the older lab zones included. */
export const DELEG_CASES: DelegCase[] = [
  { zone: 'example.test.', name: 'www.example.test', expectedStatus: 'OK', expectedCodes: [], description: 'a good zone: two servers that agree' },
  { zone: 'glueless.test.', name: 'www.glueless.test', expectedStatus: 'OK', expectedCodes: [], description: 'its NS name has no glue (resolved on the way): nothing wrong' },
  { zone: 'stale.test.', name: 'www.stale.test', expectedStatus: 'WARNING', expectedCodes: ['SERIAL_MISMATCH'], description: `a secondary (${D.stale}) serves an older SOA serial` },
  { zone: 'noaa.test.', name: 'www.noaa.test', expectedStatus: 'WARNING', expectedCodes: ['LAME_SERVER'], description: `a server (${D.noaa}) answers without authority (no AA)` },
  { zone: 'silent.test.', name: 'www.silent.test', expectedStatus: 'WARNING', expectedCodes: ['SILENT_SERVER'], description: `a server (${D.silent}) never answers` },
  { zone: 'nsdiff.test.', name: 'www.nsdiff.test', expectedStatus: 'WARNING', expectedCodes: ['NS_MISMATCH'], description: 'the parent lists ns1 and ns2, the zone itself only ns1' },
  { zone: 'gluediff.test.', name: 'www.gluediff.test', expectedStatus: 'WARNING', expectedCodes: ['GLUE_MISMATCH'], description: `the parent's glue for ns2.gluediff.test is ${D.good2}, the zone's A record ${D.good1}` },
  { zone: 'noedns.test.', name: 'www.noedns.test', expectedStatus: 'WARNING', expectedCodes: ['EDNS_BROKEN'], description: `a server (${D.noedns}) answers FORMERR to EDNS queries, as a pre-EDNS server` },
  { zone: 'notcp.test.', name: 'www.notcp.test', expectedStatus: 'WARNING', expectedCodes: ['TCP_BROKEN'], description: `a server (${D.notcp}) does not listen on TCP` },
  { zone: 'sub.hidden.test.', name: 'www.sub.hidden.test', expectedStatus: 'OK', expectedCodes: [], description: 'hidden.test.\'s servers serve its child sub.hidden.test. too: the walk goes down to it all the same' },
  { zone: 'lame.test.', name: 'www.lame.test', expectedStatus: 'WARNING', expectedCodes: ['GLUE_MISMATCH', 'LAME_SERVER'], description: 'a server answers REFUSED; the zone has no address records for its in-zone NS names' },
  { zone: 'upward.test.', name: 'www.upward.test', expectedStatus: 'CRITICAL', expectedCodes: ['UPWARD_REFERRAL'], description: 'its only server refers back to the root' },
  { zone: 'dead.test.', name: 'www.dead.test', expectedStatus: 'CRITICAL', expectedCodes: ['SILENT_SERVER'], description: 'no server answers (one refuses connections, one is silent)' },
  { zone: 'split.test.', name: 'www.split.test', expectedStatus: 'WARNING', expectedCodes: ['ANSWER_MISMATCH', 'SERIAL_MISMATCH'], description: 'a third server serves a stale copy: older serial, another A record' },
];

function rr(name: string, rdata: RecordData, ttl = 300): DnsRecord {
  return makeRecord(name, ttl, rdata);
}

const a = (address: string): RecordData => ({ type: 'A', address });
const ns = (target: string): RecordData => ({ type: 'NS', target: `${target}.` });

/** A case zone: SOA, NS set, A records of its NS names, and www. */
function caseZone(origin: string, nsNames: string[], addresses: Record<string, string>, serial: number = DELEG_SERIALS.current): Zone {
  return {
    origin: `${origin}.`,
    records: [
      rr(origin, { type: 'SOA', mname: `ns1.${origin}.`, rname: `hostmaster.${origin}.`, serial, refresh: 3600, retry: 900, expire: 604800, minimum: 300 }, 3600),
      ...nsNames.map((n) => rr(origin, ns(`${n}.${origin}`))),
      ...Object.entries(addresses).map(([n, addr]) => rr(`${n}.${origin}`, a(addr))),
      rr(`www.${origin}`, a('192.0.2.90')),
    ],
  };
}

/** The delegations in `test.`: NS and glue as the parent gives them (NS names -> glue). */
const DELEGATIONS: Record<string, Record<string, string>> = {
  'stale.test': { ns1: D.good1, ns2: D.stale },
  'noaa.test': { ns1: D.good1, ns2: D.noaa },
  'silent.test': { ns1: D.good1, ns2: D.silent },
  'nsdiff.test': { ns1: D.good1, ns2: D.good2 },
  'gluediff.test': { ns1: D.good1, ns2: D.good2 },
  'noedns.test': { ns1: D.good1, ns2: D.noedns },
  'notcp.test': { ns1: D.good1, ns2: D.notcp },
  'hidden.test': { ns1: D.good1, ns2: D.good2 },
};

/** The NS and glue records of the cases, for the `test.` zone. */
export function delegTldRecords(): DnsRecord[] {
  const out: DnsRecord[] = [];
  for (const [zone, servers] of Object.entries(DELEGATIONS)) {
    for (const [n, addr] of Object.entries(servers)) {
      out.push(rr(zone, ns(`${n}.${zone}`), 172800), rr(`${n}.${zone}`, a(addr), 172800));
    }
  }
  return out;
}

/** The case zones as each server serves them. */
function delegZones() {
  const same = (zone: string) => caseZone(zone, Object.keys(DELEGATIONS[zone]!), DELEGATIONS[zone]!);
  return {
    stale: same('stale.test'),
    staleOld: caseZone('stale.test', ['ns1', 'ns2'], DELEGATIONS['stale.test']!, DELEG_SERIALS.stale),
    noaa: same('noaa.test'),
    silent: same('silent.test'),
    // the zone's own NS set lacks ns2 (still served there, and its A record kept: only the NS sets differ)
    nsdiff: caseZone('nsdiff.test', ['ns1'], DELEGATIONS['nsdiff.test']!),
    // the zone says ns2 is at good1; the parent's glue says good2 (both serve it)
    gluediff: caseZone('gluediff.test', ['ns1', 'ns2'], { ns1: D.good1, ns2: D.good1 }),
    noedns: same('noedns.test'),
    notcp: same('notcp.test'),
    // a parent and its child on the same servers (as one BIND often serves both)
    hidden: { origin: 'hidden.test.', records: [...same('hidden.test').records, rr('sub.hidden.test', ns('ns1.hidden.test')), rr('sub.hidden.test', ns('ns2.hidden.test'))] },
    sub: {
      origin: 'sub.hidden.test.',
      records: [
        rr('sub.hidden.test', { type: 'SOA', mname: 'ns1.hidden.test.', rname: 'hostmaster.hidden.test.', serial: DELEG_SERIALS.current, refresh: 3600, retry: 900, expire: 604800, minimum: 300 }, 3600),
        rr('sub.hidden.test', ns('ns1.hidden.test')),
        rr('sub.hidden.test', ns('ns2.hidden.test')),
        rr('www.sub.hidden.test', a('192.0.2.91')),
      ],
    } as Zone,
  };
}

/** The servers of the cases (without the port: the lab's common one). */
export function delegServers(): Array<Omit<DnsServerOptions, 'port'>> {
  const z = delegZones();
  const all = [z.stale, z.noaa, z.silent, z.nsdiff, z.gluediff, z.noedns, z.notcp, z.hidden, z.sub];
  return [
    { address: D.good1, zones: all, nsid: 'good1.deleg' },
    { address: D.good2, zones: all, nsid: 'good2.deleg' },
    { address: D.stale, zones: [z.staleOld] },
    { address: D.noaa, zones: [z.noaa], noAa: true },
    { address: D.noedns, zones: [z.noedns], noEdns: true },
    { address: D.notcp, zones: [z.notcp], noTcp: true },
    { address: D.silent, zones: [], behaviour: 'silent' },
  ];
}
