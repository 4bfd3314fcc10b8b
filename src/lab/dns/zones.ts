/**
 * The lab's DNS data: a root, a `test.` TLD, `example.test.` and reverse zones, with one
 * case of everything dig users meet. Names that the lab connects to live on 127.53.0.x (DNS)
 * and 127.55.0.x (HTTP, src/lab/http/names.ts);
 * 192.0.2.0/24 and 2001:db8::/32 appear only as zone data, never as a connection target.
 */
import type { Zone } from './server.js';
import { decodeRdata, makeRecord, type DnsRecord, type RecordData } from '../../protocol/dns/rdata.js';
import { LAB_HTTP_A_RECORDS, LAB_HTTP_ADDRESSES } from '../http/names.js';
import { LB_NAME_RECORDS } from '../lb/names.js';
import { MODERN_HTTP_A_RECORDS } from '../http/modern-names.js';
import { FANOUT_ADDRESSES as F, FANOUT_NAMES, SPLIT_SERIALS, SPLIT_SERVERS } from '../fanout/names.js';
import { delegTldRecords } from './deleg.js';
import { GSLB_ADDRESS } from './gslb.js';

/** Loopback addresses of the lab's DNS servers (and of the dead and silent ones). */
export const LAB_DNS_ADDRESSES = {
  root: '127.53.0.1',
  tld: '127.53.0.2',
  ns1Example: '127.53.0.3',
  ns2Example: '127.53.0.4',
  glueless: '127.53.0.5',
  lame: '127.53.0.6',
  upward: '127.53.0.7',
  /** Bound but never answers: a dead server that makes resolvers wait. */
  silent: '127.53.0.8',
  /** Nothing listens here: queries are refused by the kernel at once. */
  unbound: '127.53.0.9',
  /** Serves slowdns.test., answering every query late (the dns phase of trace-request). */
  slowDns: '127.53.0.10',
  /** issue 12: the three servers of split.test. (every-server); ns3 serves a stale copy. */
  split1: SPLIT_SERVERS.ns1,
  split2: SPLIT_SERVERS.ns2,
  split3: SPLIT_SERVERS.ns3,
  /** issue 14: serves xfr.test., transferred only with the lab's TSIG key. */
  xfr: '127.53.1.1',
} as const;

const A = LAB_DNS_ADDRESSES;

/** A record of the lab: owner (with or without the trailing dot), typed value, TTL in seconds. */
function rr(name: string, rdata: RecordData, ttl = 300): DnsRecord {
  return makeRecord(name, ttl, rdata);
}

const a = (address: string): RecordData => ({ type: 'A', address });
const aaaa = (address: string): RecordData => ({ type: 'AAAA', address });
const ns = (target: string): RecordData => ({ type: 'NS', target: `${target}.` });
const cname = (target: string): RecordData => ({ type: 'CNAME', target: `${target}.` });
const ptr = (target: string): RecordData => ({ type: 'PTR', target: `${target}.` });
const txt = (...strings: string[]): RecordData => ({ type: 'TXT', strings });

function soa(origin: string, mname: string, rname: string, minimum = 300, serial = 2026112301): DnsRecord {
  return rr(origin, { type: 'SOA', mname: `${mname}.`, rname: `${rname}.`, serial, refresh: 3600, retry: 900, expire: 604800, minimum }, 3600);
}

/** A type without a typed value, from its RDATA bytes (as the wire decoder reads it). */
function raw(code: number, bytes: Buffer): RecordData {
  return decodeRdata(code, bytes, 0, bytes.length);
}

/** URI RDATA (RFC 7553): priority, weight, target. */
function uri(priority: number, weight: number, target: string): RecordData {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(priority, 0);
  head.writeUInt16BE(weight, 2);
  return raw(256, Buffer.concat([head, Buffer.from(target)]));
}

export interface LabDnsData {
  root: Zone;
  tld: Zone;
  inAddrArpa: Zone;
  ip6Arpa: Zone;
  example: Zone;
  reverse4: Zone;
  reverse6: Zone;
  glueless: Zone;
  lame: Zone;
  slow: Zone;
  slowDns: Zone;
  /** issue 12: every-address names, one broken address each (src/lab/fanout/names.ts). */
  fanout: Zone;
  /** issue 12: split.test. as ns1 and ns2.split.test serve it. */
  split: Zone;
  /** issue 12: split.test. as ns3.split.test serves it: an older serial, another A for www. */
  splitStale: Zone;
}

/** 40 addresses: over 512 bytes, so it truncates without EDNS. */
export const BIG_RRSET_SIZE = 40;
/** 80 addresses: over 1232 bytes, so it truncates with EDNS at the default buffer too. */
export const HUGE_RRSET_SIZE = 80;

export function labZones(): LabDnsData {
  const root: Zone = {
    origin: '.',
    records: [
      soa('.', 'a.root.test', 'hostmaster.lab.test', 86400),
      rr('.', ns('a.root.test'), 518400),
      rr('a.root.test', a(A.root), 518400),
      rr('test', ns('ns1.nic.test'), 172800),
      rr('ns1.nic.test', a(A.tld), 172800),
      rr('in-addr.arpa', ns('ns1.nic.test'), 172800),
      rr('ip6.arpa', ns('ns1.nic.test'), 172800),
    ],
  };
  const tld: Zone = {
    origin: 'test.',
    records: [
      soa('test', 'ns1.nic.test', 'hostmaster.nic.test', 3600),
      rr('test', ns('ns1.nic.test'), 172800),
      rr('ns1.nic.test', a(A.tld), 172800),
      rr('example.test', ns('ns1.example.test'), 172800),
      rr('example.test', ns('ns2.example.test'), 172800),
      rr('ns1.example.test', a(A.ns1Example), 172800),
      rr('ns2.example.test', a(A.ns2Example), 172800),
      // glueless: the NS name lives in another zone, so no glue can come with the referral
      rr('glueless.test', ns('ns.glueless-host.example.test'), 172800),
      // lame: the first server answers REFUSED, the second serves the zone
      rr('lame.test', ns('ns1.lame.test'), 172800),
      rr('lame.test', ns('ns2.lame.test'), 172800),
      rr('ns1.lame.test', a(A.lame), 172800),
      rr('ns2.lame.test', a(A.ns1Example), 172800),
      // dead: one address with nothing listening, one that never answers
      rr('dead.test', ns('ns1.dead.test'), 172800),
      rr('dead.test', ns('ns2.dead.test'), 172800),
      rr('ns1.dead.test', a(A.unbound), 172800),
      rr('ns2.dead.test', a(A.silent), 172800),
      // slow: the first server never answers, the second does (the hedged query wins)
      rr('slow.test', ns('ns1.slow.test'), 172800),
      rr('slow.test', ns('ns2.slow.test'), 172800),
      rr('ns1.slow.test', a(A.silent), 172800),
      rr('ns2.slow.test', a(A.ns1Example), 172800),
      // upward: the server answers with a referral back to the root
      rr('upward.test', ns('ns1.upward.test'), 172800),
      rr('ns1.upward.test', a(A.upward), 172800),
      // slowdns: a server that answers, but late, so that a resolution takes visible time
      rr('slowdns.test', ns('ns1.slowdns.test'), 172800),
      rr('ns1.slowdns.test', a(A.slowDns), 172800),
      // issue 14: the signed island sec.test. (src/lab/dns/signed.ts); test. itself is unsigned
      rr('sec.test', ns('ns1.sec.test'), 172800),
      rr('ns1.sec.test', a('127.53.6.1'), 172800),
      // issue 12, fan-out: names with one broken address each, on the example.test servers
      rr('fanout.test', ns('ns1.example.test'), 172800),
      rr('fanout.test', ns('ns2.example.test'), 172800),
      // issue 12, every-server: three servers, the third serving a stale copy
      rr('split.test', ns('ns1.split.test'), 172800),
      rr('split.test', ns('ns2.split.test'), 172800),
      rr('split.test', ns('ns3.split.test'), 172800),
      rr('ns1.split.test', a(A.split1), 172800),
      rr('ns2.split.test', a(A.split2), 172800),
      rr('ns3.split.test', a(A.split3), 172800),
      // issue 14: the broken delegations of +zone-check, on 127.53.4.x (src/lab/dns/deleg.ts)
      ...delegTldRecords(),
      // issue 14: the GSLB (src/lab/dns/gslb.ts), an edge address per client subnet
      rr('gslb.test', ns('ns1.gslb.test'), 172800),
      rr('ns1.gslb.test', a(GSLB_ADDRESS), 172800),
      // issue 14: zone transfers with TSIG
      rr('xfr.test', ns('ns1.xfr.test'), 172800),
      rr('ns1.xfr.test', a(A.xfr), 172800),
    ],
  };
  const inAddrArpa: Zone = {
    origin: 'in-addr.arpa.',
    records: [
      soa('in-addr.arpa', 'ns1.nic.test', 'hostmaster.nic.test'),
      rr('in-addr.arpa', ns('ns1.nic.test')),
      rr('2.0.192.in-addr.arpa', ns('ns1.example.test')),
      rr('2.0.192.in-addr.arpa', ns('ns2.example.test')),
    ],
  };
  const v6Zone = '8.b.d.0.1.0.0.2.ip6.arpa';
  const ip6Arpa: Zone = {
    origin: 'ip6.arpa.',
    records: [
      soa('ip6.arpa', 'ns1.nic.test', 'hostmaster.nic.test'),
      rr('ip6.arpa', ns('ns1.nic.test')),
      rr(v6Zone, ns('ns1.example.test')),
      rr(v6Zone, ns('ns2.example.test')),
    ],
  };
  const ex = (n: string) => (n === '@' ? 'example.test' : `${n}.example.test`);
  const big: DnsRecord[] = [];
  for (let i = 0; i < BIG_RRSET_SIZE; i++) big.push(rr(ex('big'), a(`192.0.2.${100 + i}`)));
  for (let i = 0; i < HUGE_RRSET_SIZE; i++) big.push(rr(ex('huge'), aaaa(`2001:db8::1:${(i + 1).toString(16)}`)));
  const example: Zone = {
    origin: 'example.test.',
    records: [
      soa(ex('@'), ex('ns1'), ex('hostmaster')),
      rr(ex('@'), ns(ex('ns1')), 86400),
      rr(ex('@'), ns(ex('ns2')), 86400),
      rr(ex('ns1'), a(A.ns1Example), 86400),
      rr(ex('ns2'), a(A.ns2Example), 86400),
      rr(ex('ns.glueless-host'), a(A.glueless), 86400),
      rr(ex('@'), a('192.0.2.10')),
      rr(ex('@'), aaaa('2001:db8::10')),
      rr(ex('www'), a('192.0.2.10')),
      rr(ex('www'), aaaa('2001:db8::10')),
      rr(ex('alias'), cname(ex('chain'))),
      rr(ex('chain'), cname(ex('www'))),
      rr(ex('@'), { type: 'MX', preference: 10, exchange: `${ex('mail')}.` }),
      rr(ex('@'), { type: 'MX', preference: 20, exchange: `${ex('mail2')}.` }),
      rr(ex('mail'), a('192.0.2.25')),
      rr(ex('mail2'), a('192.0.2.26')),
      rr(ex('@'), txt('v=spf1 -all')),
      rr(ex('txt'), txt('hello world', 'she said "hi"', 'semi;colon and back\\slash', 'tab\there')),
      rr(ex('_sip._tcp'), { type: 'SRV', priority: 10, weight: 60, port: 5060, target: `${ex('sip')}.` }),
      rr(ex('sip'), a('192.0.2.50')),
      rr(ex('@'), { type: 'CAA', flags: 0, tag: 'issue', value: 'letsencrypt.org' }),
      rr(ex('@'), { type: 'CAA', flags: 128, tag: 'iodef', value: 'mailto:security@example.test' }),
      rr(ex('*.wild'), a('192.0.2.99')),
      rr(ex('*.wild'), txt('wildcard')),
      rr(ex('@'), { type: 'HTTPS', priority: 1, target: '.', params: [{ key: 'alpn', ids: ['h2', 'h3'] }, { key: 'ipv4hint', addresses: ['192.0.2.10'] }, { key: 'ipv6hint', addresses: ['2001:db8::10'] }] }),
      rr(ex('_dns'), { type: 'SVCB', priority: 1, target: `${ex('dns')}.`, params: [{ key: 'alpn', ids: ['dot'] }, { key: 'port', port: 853 }] }),
      rr(ex('_http._tcp'), uri(10, 1, 'https://www.example.test/')),
      rr(ex('unknown'), raw(65534, Buffer.from([0x0a, 0x00, 0x00, 0x01]))),
      rr(ex('host'), raw(13, Buffer.from('\x06x86-64\x05Linux', 'latin1'))),
      // The HTTP lab (src/lab/http): origin, CDN edge and the far/near relays, on 127.55.0.x.
      ...LAB_HTTP_A_RECORDS.map(([name, address]) => rr(name, a(address), 60)),
      // issue 16: a load balancer by name, three VIPs on 127.58.0.x (src/lab/lb/names.ts)
      ...LB_NAME_RECORDS.map(([name, address]) => rr(name, a(address), 60)),
      // issue 15: h2, TLS 1.2/1.3-only and the three edges (one slow) on 127.55.1.x (src/lab/http/modern-names.ts)
      ...MODERN_HTTP_A_RECORDS.map(([name, address]) => rr(name, a(address), 60)),
      ...big,
    ],
  };
  const reverse4: Zone = {
    origin: '2.0.192.in-addr.arpa.',
    records: [
      soa('2.0.192.in-addr.arpa', ex('ns1'), ex('hostmaster')),
      rr('2.0.192.in-addr.arpa', ns(ex('ns1'))),
      rr('2.0.192.in-addr.arpa', ns(ex('ns2'))),
      rr('10.2.0.192.in-addr.arpa', ptr(ex('www'))),
      rr('25.2.0.192.in-addr.arpa', ptr(ex('mail'))),
    ],
  };
  const reverse6: Zone = {
    origin: `${v6Zone}.`,
    records: [
      soa(v6Zone, ex('ns1'), ex('hostmaster')),
      rr(v6Zone, ns(ex('ns1'))),
      rr(v6Zone, ns(ex('ns2'))),
      rr(`0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.${v6Zone}`, ptr(ex('www'))),
    ],
  };
  const glueless: Zone = {
    origin: 'glueless.test.',
    records: [
      soa('glueless.test', 'ns.glueless-host.example.test', 'hostmaster.example.test'),
      rr('glueless.test', ns('ns.glueless-host.example.test')),
      rr('www.glueless.test', a('192.0.2.51')),
    ],
  };
  const lame: Zone = {
    origin: 'lame.test.',
    records: [
      soa('lame.test', 'ns2.lame.test', 'hostmaster.example.test'),
      rr('lame.test', ns('ns1.lame.test')),
      rr('lame.test', ns('ns2.lame.test')),
      rr('www.lame.test', a('192.0.2.60')),
    ],
  };
  const slow: Zone = {
    origin: 'slow.test.',
    records: [
      soa('slow.test', 'ns2.slow.test', 'hostmaster.example.test'),
      rr('slow.test', ns('ns1.slow.test')),
      rr('slow.test', ns('ns2.slow.test')),
      rr('www.slow.test', a('192.0.2.70')),
    ],
  };
  const slowDns: Zone = {
    origin: 'slowdns.test.',
    records: [
      soa('slowdns.test', 'ns1.slowdns.test', 'hostmaster.example.test'),
      rr('slowdns.test', ns('ns1.slowdns.test')),
      rr('ns1.slowdns.test', a(A.slowDns)),
      // The origin: trace-request https://www.slowdns.test:PORT/ pays the slow answer in its dns phase.
      rr('www.slowdns.test', a(LAB_HTTP_ADDRESSES.origin), 60),
    ],
  };
  const fanout: Zone = {
    origin: 'fanout.test.',
    records: [
      soa('fanout.test', 'ns1.example.test', 'hostmaster.example.test'),
      rr('fanout.test', ns('ns1.example.test')),
      rr('fanout.test', ns('ns2.example.test')),
      rr(FANOUT_NAMES.tls, a(F.tlsGood), 60),
      rr(FANOUT_NAMES.tls, a(F.tlsExpired), 60),
      rr(FANOUT_NAMES.http, a(F.httpGood), 60),
      rr(FANOUT_NAMES.http, a(F.httpDead), 60),
      rr(FANOUT_NAMES.vip, a(F.vipGood), 60),
      rr(FANOUT_NAMES.vip, a(F.vipDead), 60),
      // out of order on purpose: a fan-out sorts them (IPv4 first)
      rr(FANOUT_NAMES.mixed, aaaa('2001:db8::21'), 60),
      rr(FANOUT_NAMES.mixed, a('192.0.2.21'), 60),
      rr(FANOUT_NAMES.mixed, aaaa('2001:db8::20'), 60),
      rr(FANOUT_NAMES.mixed, a('192.0.2.20'), 60),
      rr(FANOUT_NAMES.noAddress, txt('no address here'), 60),
    ],
  };
  const splitZone = (serial: number, wwwAddress: string): Zone => ({
    origin: 'split.test.',
    records: [
      soa('split.test', 'ns1.split.test', 'hostmaster.split.test', 300, serial),
      rr('split.test', ns('ns1.split.test')),
      rr('split.test', ns('ns2.split.test')),
      rr('split.test', ns('ns3.split.test')),
      rr('ns1.split.test', a(A.split1)),
      rr('ns2.split.test', a(A.split2)),
      rr('ns3.split.test', a(A.split3)),
      rr(FANOUT_NAMES.splitAnswer, a(wwwAddress)),
      rr(FANOUT_NAMES.splitSerial, a('192.0.2.82')),
    ],
  });
  const split = splitZone(SPLIT_SERIALS.current, '192.0.2.80');
  const splitStale = splitZone(SPLIT_SERIALS.stale, '192.0.2.81');
  return { root, tld, inAddrArpa, ip6Arpa, example, reverse4, reverse6, glueless, lame, slow, slowDns, fanout, split, splitStale };
}
