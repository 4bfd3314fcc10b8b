/**
 * A small authoritative DNS server for the lab: real UDP and TCP sockets, the same codec as
 * the client. It answers from in-memory zones: exact matches, CNAME chains, wildcards
 * (RFC 4592), referrals with glue, NODATA and NXDOMAIN with the SOA, and truncation when
 * a UDP answer does not fit (RFC 1035 4.2.1, RFC 6891 7).
 */
import { listen } from '../listen.js';
import dgram from 'node:dgram';
import net from 'node:net';
import { createRequire } from 'node:module';
import type * as DnsPacketNS from 'dns-packet';
import { decodeMessage, frame, FrameReader, type DnsMessage } from '../../protocol/dns/wire.js';
import { canonicalName, readName } from '../../protocol/dns/names.js';
import { typeCode as typeCodeOf } from '../../protocol/dns/types.js';

const require = createRequire(import.meta.url);
const packet = require('dns-packet') as typeof DnsPacketNS & {
  answer: { encode: ((a: unknown) => Buffer) & { bytes: number } };
};

/** A record as dns-packet encodes it: owner without the trailing dot, `UNKNOWN_nnn` with raw bytes for other types. */
export interface ZoneRecord {
  name: string;
  type: string;
  class?: string;
  ttl?: number;
  data?: unknown;
}

export interface Zone {
  /** Fully qualified, e.g. `example.test.` or `.`. */
  origin: string;
  records: ZoneRecord[];
}

export type ServerBehaviour = 'authoritative' | 'refuse' | 'silent';

export interface DnsServerOptions {
  address: string;
  port: number;
  zones: Zone[];
  /** `refuse`: REFUSED to everything (a lame server); `silent`: reads and never answers (a dead one). */
  behaviour?: ServerBehaviour;
  /** Wait this long before each answer. */
  delayMs?: number;
  /** Sent back when the query asks for NSID (RFC 5001). */
  nsid?: string;
}

const MAX_UDP = 4096;

function fq(name: string): string {
  return canonicalName(name === '' ? '.' : name);
}

function isBelowOrAt(name: string, origin: string): boolean {
  return origin === '.' || name === origin || name.endsWith(`.${origin}`);
}

function parentOf(name: string): string {
  if (name === '.') return '.';
  const i = name.indexOf('.');
  const rest = name.slice(i + 1);
  return rest === '' ? '.' : rest;
}

function recordType(r: ZoneRecord): number {
  return typeCodeOf(r.type.replace(/^UNKNOWN_/, 'TYPE')) ?? 0;
}

export interface AnswerSections {
  rcode: number;
  aa: boolean;
  answers: ZoneRecord[];
  authorities: ZoneRecord[];
  additionals: ZoneRecord[];
}

interface ZoneIndex {
  /** Records by fully qualified, lower-case owner name. */
  byName: Map<string, ZoneRecord[]>;
  /** Every proper ancestor of an owner name, down from the apex: the names that have names below them. */
  above: Set<string>;
}

// Built once per zone, on its first question: zones do not change once served.
const INDEXES = new WeakMap<Zone, ZoneIndex>();

function indexOf(zone: Zone): ZoneIndex {
  let index = INDEXES.get(zone);
  if (index) return index;
  const origin = fq(zone.origin);
  index = { byName: new Map(), above: new Set() };
  for (const r of zone.records) {
    const n = fq(r.name);
    const list = index.byName.get(n);
    if (list) list.push(r);
    else index.byName.set(n, [r]);
    for (let p = n; p !== origin && p !== '.'; ) {
      p = parentOf(p);
      if (index.above.has(p)) break;
      index.above.add(p);
    }
  }
  INDEXES.set(zone, index);
  return index;
}

/**
 * Answer one question from a set of zones, as an authoritative server does. Pure (the zone
 * index it builds is a cache). qname is compared case-insensitively.
 */
export function resolveAuthoritative(zones: Zone[], qnameIn: string, qtype: number): AnswerSections {
  const qname = fq(qnameIn);
  const zone = zones
    .filter((z) => isBelowOrAt(qname, fq(z.origin)))
    .sort((a, b) => fq(b.origin).length - fq(a.origin).length)[0];
  if (!zone) return { rcode: 5, aa: false, answers: [], authorities: [], additionals: [] };
  const origin = fq(zone.origin);
  const { byName, above } = indexOf(zone);
  const soa = (byName.get(origin) ?? []).filter((r) => r.type === 'SOA');
  const glueFor = (targets: string[]): ZoneRecord[] => {
    const out: ZoneRecord[] = [];
    for (const t of targets) {
      for (const z of zones) {
        for (const r of indexOf(z).byName.get(fq(t)) ?? []) {
          if ((r.type === 'A' || r.type === 'AAAA') && !out.includes(r)) out.push(r);
        }
      }
    }
    return out;
  };

  // A delegation between the zone apex and the name (the name included) wins: referral.
  const cuts: string[] = [];
  for (let n = qname; n !== origin && n !== '.'; n = parentOf(n)) cuts.unshift(n);
  for (const cut of cuts) {
    const ns = (byName.get(cut) ?? []).filter((r) => r.type === 'NS');
    if (ns.length > 0 && !(cut === qname && qtype === 43)) {
      return {
        rcode: 0,
        aa: false,
        answers: [],
        authorities: ns,
        additionals: glueFor(ns.map((r) => String(r.data))),
      };
    }
  }

  const answers: ZoneRecord[] = [];
  let name = qname;
  for (let hops = 0; hops < 16; hops++) {
    let rrs = byName.get(name);
    let owner = name;
    if (!rrs) {
      // RFC 4592: the closest encloser's wildcard, when nothing exists at the name.
      const exists = (n: string) => byName.has(n) || above.has(n);
      let encloser = parentOf(name);
      while (!exists(encloser) && encloser !== origin && encloser !== '.') encloser = parentOf(encloser);
      const hasBelow = above.has(name);
      const wild = hasBelow ? undefined : byName.get(`*.${encloser}`);
      if (wild) rrs = wild.map((r) => ({ ...r, name: owner.replace(/\.$/, '') }) as ZoneRecord);
      else if (hasBelow) rrs = []; // an empty non-terminal: NODATA, not NXDOMAIN
    }
    if (!rrs) {
      if (answers.length > 0) return { rcode: 0, aa: true, answers, authorities: [], additionals: [] };
      return { rcode: 3, aa: true, answers: [], authorities: soa, additionals: [] };
    }
    const matching = rrs.filter((r) => qtype === 255 || recordType(r) === qtype);
    if (matching.length > 0) {
      answers.push(...matching);
      // Additional-section processing (RFC 1035 3.3.2, 3.3.9): addresses of NS and MX targets.
      const targets = qtype === 15 ? matching.map((r) => (r.data as { exchange: string }).exchange)
        : qtype === 2 ? matching.map((r) => String(r.data)) : [];
      const extra = glueFor(targets);
      return { rcode: 0, aa: true, answers, authorities: [], additionals: extra };
    }
    const cname = rrs.find((r) => r.type === 'CNAME');
    if (cname && qtype !== 5) {
      answers.push(cname);
      const target = fq(String(cname.data));
      if (!isBelowOrAt(target, origin)) return { rcode: 0, aa: true, answers, authorities: [], additionals: [] };
      name = target;
      owner = target;
      continue;
    }
    return { rcode: 0, aa: true, answers, authorities: answers.length > 0 ? [] : soa, additionals: [] };
  }
  return { rcode: 2, aa: false, answers, authorities: [], additionals: [] };
}

export interface ServerStats {
  udpQueries: number;
  tcpQueries: number;
  malformed: number;
}

/** One authoritative server on one address, UDP and TCP on the same port. */
export class LabDnsServer {
  readonly stats: ServerStats = { udpQueries: 0, tcpQueries: 0, malformed: 0 };
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: DnsServerOptions) {}

  get address(): string {
    return this.options.address;
  }

  get port(): number {
    return this.options.port;
  }

  /** Bind UDP and TCP. With port 0, UDP picks the port and TCP takes the same one. */
  async start(): Promise<void> {
    const family = this.options.address.includes(':') ? 'udp6' : 'udp4';
    const udp = dgram.createSocket({ type: family });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.options.port, this.options.address, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    this.options.port = udp.address().port;
    udp.on('message', (msg, rinfo) => this.onUdp(msg, rinfo));
    udp.on('error', () => undefined);
    this.udp = udp;
    const tcp = net.createServer((s) => this.onTcp(s));
    try {
      await listen(tcp, this.options.port, this.options.address);
    } catch (e) {
      udp.close();
      this.udp = undefined;
      throw e;
    }
    this.tcp = tcp;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const closes: Promise<void>[] = [];
    if (this.udp) {
      const u = this.udp;
      closes.push(new Promise((r) => u.close(() => r())));
      this.udp = undefined;
    }
    if (this.tcp) {
      const t = this.tcp;
      closes.push(new Promise((r) => t.close(() => r())));
      this.tcp = undefined;
    }
    await Promise.all(closes);
  }

  private later(fn: () => void): void {
    const delay = this.options.delayMs ?? 0;
    if (delay <= 0) {
      fn();
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, delay);
    this.timers.add(t);
  }

  private onUdp(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.stats.udpQueries++;
    const reply = this.respond(msg, 'udp');
    if (!reply) return;
    this.later(() => this.udp?.send(reply, rinfo.port, rinfo.address));
  }

  private onTcp(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(10_000, () => socket.destroy());
    const reader = new FrameReader();
    socket.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const f of frames) {
        this.stats.tcpQueries++;
        const reply = this.respond(f, 'tcp');
        if (reply) this.later(() => socket.writable && socket.write(frame(reply)));
      }
    });
  }

  /** Build the reply bytes for one query, or undefined to stay silent. */
  respond(query: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
    if (this.options.behaviour === 'silent') return undefined;
    let msg: DnsMessage;
    try {
      msg = decodeMessage(query);
    } catch {
      this.stats.malformed++;
      return query.length >= 12 ? header(query.readUInt16BE(0), 0x8001, 0) : undefined; // FORMERR
    }
    if (msg.flags.includes('qr')) return undefined;
    const q = msg.questions[0];
    const questionBytes = msg.questions.length === 1 ? query.subarray(12, readName(query, 12).end + 4) : Buffer.alloc(0);
    const rd = msg.flags.includes('rd') ? 0x0100 : 0;
    const opt = msg.edns ? [this.opt(msg)] : [];
    if (!q || msg.opcode !== 'QUERY' || q.classCode !== 1) {
      const rcode = !q ? 1 : msg.opcode !== 'QUERY' ? 4 : 5;
      return build(msg.id, 0x8000 | rd | rcode, questionBytes, [], [], opt);
    }
    if (this.options.behaviour === 'refuse') {
      return build(msg.id, 0x8000 | rd | 5, questionBytes, [], [], opt);
    }
    const a = resolveAuthoritative(this.options.zones, q.name, q.typeCode);
    const bits = 0x8000 | (a.aa ? 0x0400 : 0) | rd | a.rcode;
    const full = build(msg.id, bits, questionBytes, a.answers, a.authorities, [...a.additionals, ...opt]);
    if (transport === 'udp') {
      const limit = msg.edns ? Math.min(Math.max(msg.edns.udpSize, 512), MAX_UDP) : 512;
      if (full.length > limit) return build(msg.id, bits | 0x0200, questionBytes, [], [], opt);
    }
    return full;
  }

  private opt(msg: DnsMessage): ZoneRecord {
    const options: { code: number; data: Buffer }[] = [];
    if (this.options.nsid && msg.edns?.options.some((o) => o.code === 3)) {
      options.push({ code: 3, data: Buffer.from(this.options.nsid) });
    }
    return { type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: msg.edns?.do ? 0x8000 : 0, options } as unknown as ZoneRecord;
  }
}

function header(id: number, bits: number, qdcount: number, an = 0, ns = 0, ar = 0): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(bits, 2);
  h.writeUInt16BE(qdcount, 4);
  h.writeUInt16BE(an, 6);
  h.writeUInt16BE(ns, 8);
  h.writeUInt16BE(ar, 10);
  return h;
}

/** Header + the query's own question bytes (echoed exactly) + records encoded by dns-packet. */
function build(id: number, bits: number, question: Buffer, an: ZoneRecord[], ns: ZoneRecord[], ar: ZoneRecord[]): Buffer {
  // dns-packet sizes its buffer from encodingLength, which overcounts mail-form names by a
  // byte: keep only the bytes it wrote.
  const enc = (list: ZoneRecord[]) => list.map((r) => {
    const b = packet.answer.encode(r);
    return b.subarray(0, packet.answer.encode.bytes);
  });
  return Buffer.concat([
    header(id, bits, question.length > 0 ? 1 : 0, an.length, ns.length, ar.length),
    question,
    ...enc(an),
    ...enc(ns),
    ...enc(ar),
  ]);
}
