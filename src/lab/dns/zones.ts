/**
 * The lab's DNS data: a root, a `test.` TLD, `example.test.` and reverse zones, with one
 * case of everything dig users meet. Names that the lab connects to live on 127.53.0.x (DNS)
 * and 127.55.0.x (HTTP, src/lab/http/names.ts);
 * 192.0.2.0/24 and 2001:db8::/32 appear only as zone data, never as a connection target.
 */
import type { Zone, ZoneRecord } from './server.js';
import { nameToWire } from '../../protocol/dns/names.js';
import { LAB_HTTP_A_RECORDS, LAB_HTTP_ADDRESSES } from '../http/names.js';

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
} as const;

const A = LAB_DNS_ADDRESSES;

function rr(name: string, type: string, data: unknown, ttl = 300): ZoneRecord {
  return { name, type, class: 'IN', ttl, data } as ZoneRecord;
}

function soa(origin: string, mname: string, rname: string, minimum = 300): ZoneRecord {
  return rr(origin, 'SOA', { mname, rname, serial: 2026112301, refresh: 3600, retry: 900, expire: 604800, minimum }, 3600);
}

/** SVCB/HTTPS RDATA (RFC 9460) as bytes; dns-packet has no codec for them. */
export function svcbRdata(priority: number, target: string, params: Array<[number, Buffer]>): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(priority);
  const parts = [head, nameToWire(target)];
  for (const [key, value] of [...params].sort((x, y) => x[0] - y[0])) {
    const kl = Buffer.alloc(4);
    kl.writeUInt16BE(key, 0);
    kl.writeUInt16BE(value.length, 2);
    parts.push(kl, value);
  }
  return Buffer.concat(parts);
}

function alpn(...ids: string[]): Buffer {
  return Buffer.concat(ids.map((id) => Buffer.concat([Buffer.from([id.length]), Buffer.from(id)])));
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** URI RDATA (RFC 7553). */
export function uriRdata(priority: number, weight: number, target: string): Buffer {
  return Buffer.concat([u16(priority), u16(weight), Buffer.from(target)]);
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
      rr('.', 'NS', 'a.root.test', 518400),
      rr('a.root.test', 'A', A.root, 518400),
      rr('test', 'NS', 'ns1.nic.test', 172800),
      rr('ns1.nic.test', 'A', A.tld, 172800),
      rr('in-addr.arpa', 'NS', 'ns1.nic.test', 172800),
      rr('ip6.arpa', 'NS', 'ns1.nic.test', 172800),
    ],
  };
  const tld: Zone = {
    origin: 'test.',
    records: [
      soa('test', 'ns1.nic.test', 'hostmaster.nic.test', 3600),
      rr('test', 'NS', 'ns1.nic.test', 172800),
      rr('ns1.nic.test', 'A', A.tld, 172800),
      rr('example.test', 'NS', 'ns1.example.test', 172800),
      rr('example.test', 'NS', 'ns2.example.test', 172800),
      rr('ns1.example.test', 'A', A.ns1Example, 172800),
      rr('ns2.example.test', 'A', A.ns2Example, 172800),
      // glueless: the NS name lives in another zone, so no glue can come with the referral
      rr('glueless.test', 'NS', 'ns.glueless-host.example.test', 172800),
      // lame: the first server answers REFUSED, the second serves the zone
      rr('lame.test', 'NS', 'ns1.lame.test', 172800),
      rr('lame.test', 'NS', 'ns2.lame.test', 172800),
      rr('ns1.lame.test', 'A', A.lame, 172800),
      rr('ns2.lame.test', 'A', A.ns1Example, 172800),
      // dead: one address with nothing listening, one that never answers
      rr('dead.test', 'NS', 'ns1.dead.test', 172800),
      rr('dead.test', 'NS', 'ns2.dead.test', 172800),
      rr('ns1.dead.test', 'A', A.unbound, 172800),
      rr('ns2.dead.test', 'A', A.silent, 172800),
      // slow: the first server never answers, the second does (the hedged query wins)
      rr('slow.test', 'NS', 'ns1.slow.test', 172800),
      rr('slow.test', 'NS', 'ns2.slow.test', 172800),
      rr('ns1.slow.test', 'A', A.silent, 172800),
      rr('ns2.slow.test', 'A', A.ns1Example, 172800),
      // upward: the server answers with a referral back to the root
      rr('upward.test', 'NS', 'ns1.upward.test', 172800),
      rr('ns1.upward.test', 'A', A.upward, 172800),
      // slowdns: a server that answers, but late, so that a resolution takes visible time
      rr('slowdns.test', 'NS', 'ns1.slowdns.test', 172800),
      rr('ns1.slowdns.test', 'A', A.slowDns, 172800),
    ],
  };
  const inAddrArpa: Zone = {
    origin: 'in-addr.arpa.',
    records: [
      soa('in-addr.arpa', 'ns1.nic.test', 'hostmaster.nic.test'),
      rr('in-addr.arpa', 'NS', 'ns1.nic.test'),
      rr('2.0.192.in-addr.arpa', 'NS', 'ns1.example.test'),
      rr('2.0.192.in-addr.arpa', 'NS', 'ns2.example.test'),
    ],
  };
  const v6Zone = '8.b.d.0.1.0.0.2.ip6.arpa';
  const ip6Arpa: Zone = {
    origin: 'ip6.arpa.',
    records: [
      soa('ip6.arpa', 'ns1.nic.test', 'hostmaster.nic.test'),
      rr('ip6.arpa', 'NS', 'ns1.nic.test'),
      rr(v6Zone, 'NS', 'ns1.example.test'),
      rr(v6Zone, 'NS', 'ns2.example.test'),
    ],
  };
  const ex = (n: string) => (n === '@' ? 'example.test' : `${n}.example.test`);
  const big: ZoneRecord[] = [];
  for (let i = 0; i < BIG_RRSET_SIZE; i++) big.push(rr(ex('big'), 'A', `192.0.2.${100 + i}`));
  for (let i = 0; i < HUGE_RRSET_SIZE; i++) big.push(rr(ex('huge'), 'AAAA', `2001:db8::1:${(i + 1).toString(16)}`));
  const example: Zone = {
    origin: 'example.test.',
    records: [
      soa(ex('@'), ex('ns1'), ex('hostmaster')),
      rr(ex('@'), 'NS', ex('ns1'), 86400),
      rr(ex('@'), 'NS', ex('ns2'), 86400),
      rr(ex('ns1'), 'A', A.ns1Example, 86400),
      rr(ex('ns2'), 'A', A.ns2Example, 86400),
      rr(ex('ns.glueless-host'), 'A', A.glueless, 86400),
      rr(ex('@'), 'A', '192.0.2.10'),
      rr(ex('@'), 'AAAA', '2001:db8::10'),
      rr(ex('www'), 'A', '192.0.2.10'),
      rr(ex('www'), 'AAAA', '2001:db8::10'),
      rr(ex('alias'), 'CNAME', ex('chain')),
      rr(ex('chain'), 'CNAME', ex('www')),
      rr(ex('@'), 'MX', { preference: 10, exchange: ex('mail') }),
      rr(ex('@'), 'MX', { preference: 20, exchange: ex('mail2') }),
      rr(ex('mail'), 'A', '192.0.2.25'),
      rr(ex('mail2'), 'A', '192.0.2.26'),
      rr(ex('@'), 'TXT', ['v=spf1 -all']),
      rr(ex('txt'), 'TXT', ['hello world', 'she said "hi"', 'semi;colon and back\\slash', 'tab\there']),
      rr(ex('_sip._tcp'), 'SRV', { priority: 10, weight: 60, port: 5060, target: ex('sip') }),
      rr(ex('sip'), 'A', '192.0.2.50'),
      rr(ex('@'), 'CAA', { flags: 0, tag: 'issue', value: 'letsencrypt.org' }),
      rr(ex('@'), 'CAA', { flags: 128, tag: 'iodef', value: 'mailto:security@example.test' }),
      rr(ex('*.wild'), 'A', '192.0.2.99'),
      rr(ex('*.wild'), 'TXT', ['wildcard']),
      rr(ex('@'), 'UNKNOWN_65', svcbRdata(1, '.', [[1, alpn('h2', 'h3')], [4, Buffer.from([192, 0, 2, 10])], [6, Buffer.from('20010db8000000000000000000000010', 'hex')]])),
      rr(ex('_dns'), 'UNKNOWN_64', svcbRdata(1, ex('dns'), [[1, alpn('dot')], [3, u16(853)]])),
      rr(ex('_http._tcp'), 'UNKNOWN_256', uriRdata(10, 1, 'https://www.example.test/')),
      rr(ex('unknown'), 'UNKNOWN_65534', Buffer.from([0x0a, 0x00, 0x00, 0x01])),
      rr(ex('host'), 'HINFO', { cpu: 'x86-64', os: 'Linux' }),
      // The HTTP lab (src/lab/http): origin, CDN edge and the far/near relays, on 127.55.0.x.
      ...LAB_HTTP_A_RECORDS.map(([name, address]) => rr(name, 'A', address, 60)),
      ...big,
    ],
  };
  const reverse4: Zone = {
    origin: '2.0.192.in-addr.arpa.',
    records: [
      soa('2.0.192.in-addr.arpa', ex('ns1'), ex('hostmaster')),
      rr('2.0.192.in-addr.arpa', 'NS', ex('ns1')),
      rr('2.0.192.in-addr.arpa', 'NS', ex('ns2')),
      rr('10.2.0.192.in-addr.arpa', 'PTR', ex('www')),
      rr('25.2.0.192.in-addr.arpa', 'PTR', ex('mail')),
    ],
  };
  const reverse6: Zone = {
    origin: `${v6Zone}.`,
    records: [
      soa(v6Zone, ex('ns1'), ex('hostmaster')),
      rr(v6Zone, 'NS', ex('ns1')),
      rr(v6Zone, 'NS', ex('ns2')),
      rr(`0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.${v6Zone}`, 'PTR', ex('www')),
    ],
  };
  const glueless: Zone = {
    origin: 'glueless.test.',
    records: [
      soa('glueless.test', 'ns.glueless-host.example.test', 'hostmaster.example.test'),
      rr('glueless.test', 'NS', 'ns.glueless-host.example.test'),
      rr('www.glueless.test', 'A', '192.0.2.51'),
    ],
  };
  const lame: Zone = {
    origin: 'lame.test.',
    records: [
      soa('lame.test', 'ns2.lame.test', 'hostmaster.example.test'),
      rr('lame.test', 'NS', 'ns1.lame.test'),
      rr('lame.test', 'NS', 'ns2.lame.test'),
      rr('www.lame.test', 'A', '192.0.2.60'),
    ],
  };
  const slow: Zone = {
    origin: 'slow.test.',
    records: [
      soa('slow.test', 'ns2.slow.test', 'hostmaster.example.test'),
      rr('slow.test', 'NS', 'ns1.slow.test'),
      rr('slow.test', 'NS', 'ns2.slow.test'),
      rr('www.slow.test', 'A', '192.0.2.70'),
    ],
  };
  const slowDns: Zone = {
    origin: 'slowdns.test.',
    records: [
      soa('slowdns.test', 'ns1.slowdns.test', 'hostmaster.example.test'),
      rr('slowdns.test', 'NS', 'ns1.slowdns.test'),
      rr('ns1.slowdns.test', 'A', A.slowDns),
      // The origin: trace-request https://www.slowdns.test:PORT/ pays the slow answer in its dns phase.
      rr('www.slowdns.test', 'A', LAB_HTTP_ADDRESSES.origin, 60),
    ],
  };
  return { root, tld, inAddrArpa, ip6Arpa, example, reverse4, reverse6, glueless, lame, slow, slowDns };
}
