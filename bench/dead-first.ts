/**
 * The +trace benchmark's hierarchy: a root, a `bench.` TLD and `example.bench.`, where every
 * NS set lists a dead server first and a working one second, all on 127.53.2.x and one port.
 * Two kinds of dead: bound but never answering (LabDnsServer 'silent', a resolver waits for
 * its timeout) and nothing listening at all (ICMP port unreachable, an error at once).
 */
import { LabDnsServer, type Zone } from '../src/lab/dns/server.js';
import { makeRecord, type DnsRecord, type RecordData } from '../src/protocol/dns/rdata.js';

export const DEAD_FIRST = {
  root: '127.53.2.1',
  tld: '127.53.2.2',
  zone: '127.53.2.3',
  /** a.root.bench: bound, never answers. */
  silentRoot: '127.53.2.11',
  /** a.nic.bench: nothing listens. */
  unboundTld: '127.53.2.12',
  /** ns1.example.bench: bound, never answers. */
  silentZone: '127.53.2.13',
} as const;

const A = DEAD_FIRST;

export const DEAD_FIRST_QNAME = 'www.example.bench';

/** NS name -> address, in the order the NS sets list them (dead first). */
export const DEAD_FIRST_HOSTS: Array<[string, string]> = [
  ['a.root.bench', A.silentRoot],
  ['b.root.bench', A.root],
  ['a.nic.bench', A.unboundTld],
  ['b.nic.bench', A.tld],
  ['ns1.example.bench', A.silentZone],
  ['ns2.example.bench', A.zone],
];

function rr(name: string, rdata: RecordData, ttl = 3600): DnsRecord {
  return makeRecord(name, ttl, rdata);
}

const ns = (target: string): RecordData => ({ type: 'NS', target: `${target}.` });
const a = (address: string): RecordData => ({ type: 'A', address });

function soa(origin: string, mname: string): DnsRecord {
  return rr(origin, { type: 'SOA', mname: `${mname}.`, rname: `hostmaster.${origin === '.' ? 'bench' : origin}.`, serial: 2026112301, refresh: 3600, retry: 900, expire: 604800, minimum: 300 });
}

function glue(names: string[]): DnsRecord[] {
  return names.map((n) => rr(n, a(DEAD_FIRST_HOSTS.find(([h]) => h === n)![1])));
}

export function deadFirstZones(): { root: Zone; tld: Zone; zone: Zone } {
  return {
    root: {
      origin: '.',
      records: [
        soa('.', 'b.root.bench'),
        rr('.', ns('a.root.bench')),
        rr('.', ns('b.root.bench')),
        rr('bench', ns('a.nic.bench')),
        rr('bench', ns('b.nic.bench')),
        ...glue(['a.root.bench', 'b.root.bench', 'a.nic.bench', 'b.nic.bench']),
      ],
    },
    tld: {
      origin: 'bench.',
      records: [
        soa('bench', 'b.nic.bench'),
        rr('bench', ns('a.nic.bench')),
        rr('bench', ns('b.nic.bench')),
        rr('example.bench', ns('ns1.example.bench')),
        rr('example.bench', ns('ns2.example.bench')),
        ...glue(['a.nic.bench', 'b.nic.bench', 'ns1.example.bench', 'ns2.example.bench']),
      ],
    },
    zone: {
      origin: 'example.bench.',
      records: [
        soa('example.bench', 'ns2.example.bench'),
        rr('example.bench', ns('ns1.example.bench')),
        rr('example.bench', ns('ns2.example.bench')),
        ...glue(['ns1.example.bench', 'ns2.example.bench']),
        rr('www.example.bench', a('192.0.2.80'), 300),
      ],
    },
  };
}

export interface DeadFirstTopology {
  port: number;
  root: string;
  qname: string;
  close(): Promise<void>;
}

/** Start the working and the silent servers on one free port (nothing is bound on the unbound address). */
export async function startDeadFirst(): Promise<DeadFirstTopology> {
  const z = deadFirstZones();
  const specs = [
    { address: A.root, zones: [z.root] },
    { address: A.tld, zones: [z.tld] },
    { address: A.zone, zones: [z.zone] },
    { address: A.silentRoot, zones: [], behaviour: 'silent' as const },
    { address: A.silentZone, zones: [], behaviour: 'silent' as const },
  ];
  let lastError: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    const servers: LabDnsServer[] = [];
    let port = 0;
    try {
      for (const spec of specs) {
        const s = new LabDnsServer({ ...spec, port });
        await s.start();
        port = s.port;
        servers.push(s);
      }
      return { port, root: A.root, qname: DEAD_FIRST_QNAME, close: async () => void (await Promise.all(servers.map((s) => s.close()))) };
    } catch (e) {
      lastError = e;
      await Promise.all(servers.map((s) => s.close()));
    }
  }
  throw lastError;
}
