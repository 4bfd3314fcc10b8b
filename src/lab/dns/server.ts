/**
 * A small authoritative DNS server for the lab: real UDP and TCP sockets, the same codec as
 * the client (decodeMessage, encodeMessage) and the same record shape (DnsRecord, typed
 * rdata). It answers from in-memory zones: exact matches, CNAME chains, wildcards (RFC 4592),
 * referrals with glue, NODATA and NXDOMAIN with the SOA, and truncation when a UDP answer does
 * not fit (RFC 1035 4.2.1, RFC 6891 7).
 */
import { listen, trackSocket } from '../listen.js';
import dgram from 'node:dgram';
import net from 'node:net';
import { decodeMessage, encodeMessage, frame, FrameReader, type DnsMessage, type DnsRecord, type EdnsInput, type HeaderFlag } from '../../protocol/dns/wire.js';
import { canonicalName } from '../../protocol/dns/names.js';
import type { ZoneData } from '../../protocol/zone/master.js';
import { labCookie } from './cookies.js';
import { checkRequestTsig, isTransferOrSigned, signAnswers, transferAnswers, type TransferPolicy } from './xfr.js';
import { withDnssec, zonesForQuestion } from './signed.js';

/** A zone the lab serves: its origin (fully qualified, e.g. `example.test.` or `.`) and its records. */
export type Zone = ZoneData;

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
  /** issue 14: answer without the AA bit (a server that is not authoritative: lame). */
  noAa?: boolean;
  /** issue 14: FORMERR without an OPT to every query that carries one, as a pre-EDNS server (DNS flag day 2019). */
  noEdns?: boolean;
  /** issue 14: UDP only, no TCP listener (DNS flag day 2020 asks for TCP). */
  noTcp?: boolean;
  /**
   * issue 14: answers that depend on the query and the client (the GSLB, src/lab/dns/gslb.ts):
   * called for every well-formed query before the zones; undefined falls back to the zones.
   */
  answer?: (query: DnsMessage, client: string) => HookAnswer | undefined;
  /** issue 14: answer DNS cookies (RFC 7873) with server cookies made from this secret (src/lab/dns/cookies.ts). */
  cookieSecret?: Buffer;
  /** issue 14: zones transferred over TCP (AXFR, IXFR) to loopback clients, or only with a TSIG key; signed queries answered signed. */
  transfers?: TransferPolicy[];
}

/** What an `answer` hook gives: the sections of the reply (none: the zones answer) and EDNS options to add to its OPT. */
export interface HookAnswer {
  sections?: AnswerSections;
  ednsOptions?: Array<{ code: number; hex: string }>;
}

const MAX_UDP = 4096;

function fq(name: string): string {
  return canonicalName(name === '' ? '.' : name);
}

function isBelowOrAt(name: string, origin: string): boolean {
  return origin === '.' || name === origin || name.endsWith(`.${origin}`);
}

/** The parent of a fully qualified name; a dot escaped in a label (`a\.b.test.`) does not split it. */
function parentOf(name: string): string {
  if (name === '.') return '.';
  let i = name.indexOf('.');
  if (name.includes('\\')) {
    // skip dots preceded by an odd number of backslashes
    while (i > 0) {
      let k = i - 1;
      while (k >= 0 && name[k] === '\\') k--;
      if ((i - 1 - k) % 2 === 0) break;
      i = name.indexOf('.', i + 1);
    }
  }
  if (i < 0) return '.';
  const rest = name.slice(i + 1);
  return rest === '' ? '.' : rest;
}

/** The name a record points to, for glue and CNAME chains (NS, CNAME, MX). */
function targetOf(r: DnsRecord): string {
  const rd = r.rdata;
  if (rd.type === 'MX') return rd.exchange;
  if (rd.type === 'NS' || rd.type === 'CNAME' || rd.type === 'DNAME' || rd.type === 'PTR') return rd.target;
  return '.';
}

export interface AnswerSections {
  rcode: number;
  aa: boolean;
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

interface ZoneIndex {
  /** Records by fully qualified, lower-case owner name. */
  byName: Map<string, DnsRecord[]>;
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
  const glueFor = (targets: string[]): DnsRecord[] => {
    const out: DnsRecord[] = [];
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
        additionals: glueFor(ns.map(targetOf)),
      };
    }
  }

  const answers: DnsRecord[] = [];
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
      if (wild) rrs = wild.map((r) => ({ ...r, name: owner }));
      else if (hasBelow) rrs = []; // an empty non-terminal: NODATA, not NXDOMAIN
    }
    if (!rrs) {
      if (answers.length > 0) return { rcode: 0, aa: true, answers, authorities: [], additionals: [] };
      return { rcode: 3, aa: true, answers: [], authorities: soa, additionals: [] };
    }
    const matching = rrs.filter((r) => qtype === 255 || r.typeCode === qtype);
    if (matching.length > 0) {
      answers.push(...matching);
      // Additional-section processing (RFC 1035 3.3.2, 3.3.9): addresses of NS and MX targets.
      const targets = qtype === 15 || qtype === 2 ? matching.map(targetOf) : [];
      const extra = glueFor(targets);
      return { rcode: 0, aa: true, answers, authorities: [], additionals: extra };
    }
    const cname = rrs.find((r) => r.type === 'CNAME');
    if (cname && qtype !== 5) {
      answers.push(cname);
      const target = fq(targetOf(cname));
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
    if (this.options.noTcp) return;
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
    const reply = this.options.transfers ? this.respondMany(msg, 'udp', rinfo.address)[0] : this.respond(msg, 'udp', rinfo.address);
    if (!reply) return;
    this.later(() => this.udp?.send(reply, rinfo.port, rinfo.address));
  }

  private onTcp(socket: net.Socket): void {
    trackSocket(this.sockets, socket);
    socket.on('error', () => socket.destroy());
    socket.setTimeout(10_000, () => socket.destroy());
    onDnsFrames(socket, (frames) => {
      for (const f of frames) {
        this.stats.tcpQueries++;
        if (this.options.transfers) {
          const replies = this.respondMany(f, 'tcp', socket.remoteAddress);
          if (replies.length > 0) this.later(() => socket.writable && socket.write(Buffer.concat(replies.map(frame))));
          continue;
        }
        const reply = this.respond(f, 'tcp', socket.remoteAddress ?? '');
        if (reply) this.later(() => socket.writable && socket.write(frame(reply)));
      }
    });
  }

  /**
   * issue 14: the replies to one query on a server with transfers: a transfer's messages (TCP),
   * FORMERR for AXFR over UDP (as named), else respond()'s reply; signed when the request was
   * signed with a key of the server, NOTAUTH with the TSIG error when its key or MAC is bad.
   */
  respondMany(query: Buffer, transport: 'udp' | 'tcp', remote: string | undefined): Buffer[] {
    let msg: DnsMessage | undefined;
    try {
      // the usual query (not a transfer, not signed) goes straight to respond()
      if (isTransferOrSigned(query)) msg = decodeMessage(query);
    } catch {
      msg = undefined;
    }
    if (!msg) {
      const r = this.respond(query, transport, remote ?? '');
      return r ? [r] : [];
    }
    const q = msg.questions[0];
    const signed = msg.additionals.length > 0 && msg.additionals[msg.additionals.length - 1]!.typeCode === 250;
    const keys = (this.options.transfers ?? []).flatMap((t) => (t.key ? [t.key] : []));
    const tsig = signed ? checkRequestTsig(query, keys) : {};
    const edns = msg.edns ? this.opt(msg) : undefined;
    const isQuery = !msg.flags.includes('qr') && msg.opcode === 'QUERY' && msg.questions.length === 1 && q?.classCode === 1;
    if (isQuery && (q.typeCode === 252 || q.typeCode === 251) && transport === 'tcp') {
      return signAnswers(transferAnswers(msg, this.options.zones, this.options.transfers ?? [], remote, tsig, edns), tsig);
    }
    if (isQuery && q.typeCode === 252) {
      return [encodeMessage({ id: msg.id, flags: ['qr'], rcode: 1, questions: msg.questions, edns })];
    }
    if (tsig.error !== undefined && tsig.record) {
      return signAnswers([encodeMessage({ id: msg.id, flags: ['qr'], rcode: 9, questions: msg.questions, edns })], tsig);
    }
    const r = this.respond(query, transport, remote ?? '');
    return r ? signAnswers([r], tsig) : [];
  }

  /**
   * Build the reply bytes for one query, or undefined to stay silent. `client`: the address the
   * query came from (for an `answer` hook and cookies); any transport (a DoT or DoH front too)
   * can call this with the query's bytes.
   */
  respond(query: Buffer, transport: 'udp' | 'tcp', client = ''): Buffer | undefined {
    if (this.options.behaviour === 'silent') return undefined;
    let msg: DnsMessage;
    try {
      msg = decodeMessage(query);
    } catch {
      this.stats.malformed++;
      // FORMERR with the query's id
      return query.length >= 12 ? encodeMessage({ id: query.readUInt16BE(0), flags: ['qr'], rcode: 1 }) : undefined;
    }
    if (msg.flags.includes('qr')) return undefined;
    const q = msg.questions[0];
    // the question as it came, case included (a query with several gets none back)
    const questions = msg.questions.length === 1 ? msg.questions : [];
    const flags: HeaderFlag[] = msg.flags.includes('rd') ? ['qr', 'rd'] : ['qr'];
    const edns = msg.edns ? this.opt(msg) : undefined;
    // RFC 7873 5.2.3: a server cookie that is not ours gets BADCOOKIE and a fresh one
    const cookie = edns && this.options.cookieSecret ? labCookie(msg, client, this.options.cookieSecret) : undefined;
    if (cookie) edns!.options = [...edns!.options ?? [], cookie.option];
    const reply = (rcode: number, extra: { aa?: boolean; tc?: boolean; answers?: DnsRecord[]; authorities?: DnsRecord[]; additionals?: DnsRecord[] } = {}) => encodeMessage({
      id: msg.id,
      flags: [...flags, ...(extra.aa ? ['aa' as const] : []), ...(extra.tc ? ['tc' as const] : [])],
      rcode,
      questions,
      answers: extra.answers,
      authorities: extra.authorities,
      additionals: extra.additionals,
      edns,
    });
    if (!q || msg.opcode !== 'QUERY' || q.classCode !== 1) {
      return reply(!q ? 1 : msg.opcode !== 'QUERY' ? 4 : 5);
    }
    if (this.options.behaviour === 'refuse') return reply(5);
    // an old server that knows no OPT: FORMERR, and no OPT in the reply (RFC 6891 7)
    if (this.options.noEdns && msg.edns) return encodeMessage({ id: msg.id, flags, rcode: 1, questions });
    if (cookie?.bad) return reply(23);
    const hooked = this.options.answer?.(msg, client);
    if (hooked?.ednsOptions && edns) edns.options = [...edns.options ?? [], ...hooked.ednsOptions];
    // issue 14: DS from the parent when both are served; RRSIGs and NSEC/NSEC3 proofs when DO is set
    const zones = hooked?.sections ? this.options.zones : zonesForQuestion(this.options.zones, q.name, q.typeCode);
    const plain = hooked?.sections ?? resolveAuthoritative(zones, q.name, q.typeCode);
    const a = msg.edns?.do && !hooked?.sections ? withDnssec(zones, q.name, q.typeCode, plain) : plain;
    if (this.options.noAa) a.aa = false;
    const full = reply(a.rcode, { aa: a.aa, answers: a.answers, authorities: a.authorities, additionals: a.additionals });
    if (transport === 'udp') {
      const limit = msg.edns ? Math.min(Math.max(msg.edns.udpSize, 512), MAX_UDP) : 512;
      if (full.length > limit) return reply(a.rcode, { aa: a.aa, tc: true });
    }
    return full;
  }

  /** The OPT of a reply: the lab's UDP size, DO copied, NSID when asked for and the server has one. */
  private opt(msg: DnsMessage): EdnsInput {
    const options: { code: number; hex: string }[] = [];
    if (this.options.nsid && msg.edns?.options.some((o) => o.code === 3)) {
      options.push({ code: 3, hex: Buffer.from(this.options.nsid).toString('hex') });
    }
    return { udpSize: 1232, do: Boolean(msg.edns?.do), options };
  }
}

/**
 * Hand `socket`'s DNS messages (RFC 1035 4.2.2 framing, as TCP and DoT carry them) to `handle`
 * as they are complete; a stream that cannot be DNS messages ends the connection.
 */
export function onDnsFrames(socket: net.Socket, handle: (frames: Buffer[]) => void): void {
  const reader = new FrameReader();
  socket.on('data', (chunk: Buffer) => {
    let frames: Buffer[];
    try {
      frames = reader.push(chunk);
    } catch {
      socket.destroy();
      return;
    }
    handle(frames);
  });
}
