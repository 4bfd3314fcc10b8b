/**
 * RFC 1035 master files (section 5) from a HostsModel: the forward zone, the reverse zones
 * (in-addr.arpa per /24, ip6.arpa nibble zones per prefix) and RPZ policy zones. Text only:
 * the writers are generators of chunks, the caller decides where they go. Every name and
 * mailbox is escaped on the way out (RFC 1035 5.1: `\X` and `\DDD`), never written raw.
 */
import { domainToASCII } from 'node:url';
import { NetlabError } from '../../errors.js';
import { escapeLabel } from '../dns/names.js';
import { inAddrArpa, ip6Arpa, nibbleLabels, putIPv4 } from '../../util/ip.js';
import { hostNameProblem } from './hosts.js';
import type { HostsModel } from './model.js';
import type { SoaData } from '../dns/rdata.js';

/** SOA timers, seconds: RFC 1912 2.2 ranges; the minimum is the negative-caching TTL (RFC 2308 4). */
export const DEFAULT_TIMERS = { refresh: 3600, retry: 900, expire: 1_209_600, minimum: 3600 } as const;

/** The default TTL of a zone written ($TTL), seconds. */
export const DEFAULT_TTL = 3600;

/**
 * The fields of an SOA record as the writer takes them: the DNS record's (names as master-file
 * text, fully qualified; the timers in seconds; `minimum` the negative-caching TTL, RFC 2308 4).
 */
export type SoaFields = Omit<SoaData, 'type'>;

/** What goes before the records of a zone: $ORIGIN, $TTL, the SOA and the NS records. */
export interface ZoneHead {
  /** Lower-case ASCII, no trailing dot. */
  origin: string;
  /** $TTL, seconds. */
  ttl: number;
  soa: SoaFields;
  /** Master-file text of each name server, fully qualified. */
  ns: string[];
  /** Comment lines at the top (without `;`). */
  comments?: string[];
}

// --- names and mailboxes ----------------------------------------------------------

const SAFE_NAME = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/i;

/** One raw label in master-file form: `.;$"()\@` escaped with `\`, other bytes outside 0x21..0x7e as `\DDD`. */
export function labelText(label: string): string {
  return escapeLabel(Buffer.from(label, 'utf8'));
}

/** A name whose labels are separated by dots (no label holds a dot) in master-file form. */
export function nameText(name: string): string {
  if (SAFE_NAME.test(name)) return name;
  return name.split('.').map(labelText).join('.');
}

/** A fully qualified name (no trailing dot given) in master-file form, with the trailing dot. */
export function absoluteText(name: string): string {
  return name === '' || name === '.' ? '.' : `${nameText(name)}.`;
}

function usage(message: string): NetlabError {
  return new NetlabError('USAGE', message);
}

/**
 * A domain name given on the command line: IDN to punycode, lower case, no trailing dot,
 * a valid host name (RFC 1123). Throws USAGE naming the option.
 */
export function hostNameOption(value: string, option: string): string {
  let name = value.trim();
  if (name.endsWith('.') && name.length > 1) name = name.slice(0, -1);
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(name)) {
    const ascii = domainToASCII(name);
    if (ascii === '') throw usage(`${option} '${value}' is not a valid internationalised name`);
    name = ascii;
  }
  name = name.toLowerCase();
  const problem = hostNameProblem(name);
  if (problem) throw usage(`${option} '${value}' ${problem.reason}`);
  if (name.includes('_')) throw usage(`${option} '${value}' has '_', which host names cannot have (RFC 1123 2.1)`);
  return name;
}

/**
 * The SOA RNAME of a mailbox (RFC 1035 8): `john.doe@corp.test` -> `john\.doe.corp.test.`
 * (the local part is one label, its dots escaped); a name without `@` is taken as an RNAME
 * already (`hostmaster.corp.test`). Special characters are escaped; spaces, control and
 * non-ASCII characters in the local part are refused (BIND's check-names refuses them too).
 * Throws NetlabError USAGE, its message starting with `option` (the name the caller gave the
 * mailbox: `--contact` on the command line).
 */
export function mailboxToRname(contact: string, option = 'contact'): string {
  const at = contact.lastIndexOf('@');
  let local: string;
  let domain: string;
  if (at >= 0) {
    local = contact.slice(0, at);
    domain = contact.slice(at + 1);
  } else {
    const name = contact.endsWith('.') ? contact.slice(0, -1) : contact;
    const dot = name.search(/(?<!\\)\./);
    if (dot < 0) throw usage(`${option} '${contact}' is neither a mailbox (user@domain) nor an RNAME (user.domain)`);
    local = name.slice(0, dot).replace(/\\\./g, '.');
    domain = name.slice(dot + 1);
  }
  if (local.length === 0) throw usage(`${option} '${contact}' has an empty local part`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f-\uffff]/.test(local)) throw usage(`${option} '${contact}': the local part cannot hold spaces, control or non-ASCII characters`);
  if (local.length > 63) throw usage(`${option} '${contact}': the local part is longer than 63 bytes`);
  const d = hostNameOption(domain, option);
  const text = `${labelText(local)}.${d}.`;
  if (local.length + 2 + d.length + 1 > 255) throw usage(`${option} '${contact}' is longer than 255 bytes as a name`);
  return text;
}

// --- serials ----------------------------------------------------------------------

/** `YYYYMMDD00` of a date (UTC), the usual date serial. */
export function dateSerial(now: Date): number {
  return (now.getUTCFullYear() * 10000 + (now.getUTCMonth() + 1) * 100 + now.getUTCDate()) * 100;
}

/** RFC 1982 3.2: is serial `a` greater than `b` (32-bit serial number arithmetic)? */
export function serialGreater(a: number, b: number): boolean {
  const d = (a - b + 4294967296) % 4294967296;
  return d !== 0 && d < 2147483648;
}

/** The greatest of some serials in RFC 1982 order (the first of equals), or undefined for none. */
export function latestSerial(serials: Iterable<number>): number | undefined {
  let latest: number | undefined;
  for (const s of serials) if (latest === undefined || serialGreater(s, latest)) latest = s;
  return latest;
}

/**
 * The serial rule of netlab: today's YYYYMMDD00 (UTC), or, when that would not be greater (RFC
 * 1982) than the serial of a zone being replaced, that serial + 1, so that secondaries always
 * take the new zone. `previous`: the serial replaced, or the serials of every zone replaced
 * together (the greatest counts).
 */
export function nextSerial(now: Date, previous?: number | Iterable<number>): number {
  const today = dateSerial(now);
  const latest = typeof previous === 'number' ? previous : previous === undefined ? undefined : latestSerial(previous);
  if (latest === undefined || serialGreater(today, latest)) return today;
  return (latest + 1) % 4294967296;
}

// --- zones ------------------------------------------------------------------------

function human(seconds: number): string {
  const units: Array<[number, string]> = [[604800, 'week'], [86400, 'day'], [3600, 'hour'], [60, 'minute']];
  for (const [n, u] of units) if (seconds >= n && seconds % n === 0) return `${seconds / n} ${u}${seconds / n === 1 ? '' : 's'}`;
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

function commentText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f]/g, '?');
}

/** $ORIGIN, $TTL, the SOA and the NS records of a zone. */
export function zoneHeadText(h: ZoneHead): string {
  const s = h.soa;
  const lines = (h.comments ?? []).map((c) => `; ${commentText(c)}`);
  lines.push(
    `$ORIGIN ${absoluteText(h.origin)}`,
    `$TTL ${h.ttl}`,
    `@\tIN\tSOA\t${s.mname} ${s.rname} (`,
    `\t\t${s.serial}\t; serial`,
    `\t\t${s.refresh}\t; refresh (${human(s.refresh)})`,
    `\t\t${s.retry}\t; retry (${human(s.retry)})`,
    `\t\t${s.expire}\t; expire (${human(s.expire)})`,
    `\t\t${s.minimum} )\t; minimum: negative caching TTL (${human(s.minimum)})`,
  );
  for (const ns of h.ns) lines.push(`@\tIN\tNS\t${ns}`);
  return `${lines.join('\n')}\n`;
}

/** Filled by a zone writer once its generator is done. */
export interface WriteStats {
  /** Records written, SOA and NS included. */
  records: number;
}

const CHUNK = 1 << 20;
/** Room kept free in a chunk for one record line (an owner is at most 253 bytes, escaped 4x). */
const LINE_ROOM = 2048;

/** Bytes that a host name may hold unescaped: a-z 0-9 - _ . (what the parser lets through). */
const SAFE = new Uint8Array(256);
for (const c of 'abcdefghijklmnopqrstuvwxyz0123456789-_.') SAFE[c.charCodeAt(0)] = 1;

const IN_A = Buffer.from('\tIN\tA\t');
const IN_AAAA = Buffer.from('\tIN\tAAAA\t');
const IN_CNAME = Buffer.from('\tIN\tCNAME\t');
const RPZ_A = Buffer.from('\tA\t');
const RPZ_AAAA = Buffer.from('\tAAAA\t');
const RPZ_BLOCK = Buffer.from('\tCNAME\t.\n');

function put(out: Buffer, pos: number, src: Uint8Array): number {
  for (let k = 0; k < src.length; k++) out[pos + k] = src[k]!;
  return pos + src.length;
}

/**
 * Writes owner names from the model's arena: copied as they are when every byte is a host-name
 * byte (or the key is `@`), else escaped label by label (nameText), never raw.
 */
class OwnerWriter {
  private text = '';
  private safe = true;
  private off = 0;
  private len = 0;
  constructor(private readonly model: HostsModel) {}

  select(id: number): void {
    const a = this.model.nameBytes;
    this.off = this.model.keyStart(id);
    this.len = this.model.keyLength(id);
    this.safe = this.len === 1 && a[this.off] === 64;
    if (!this.safe) {
      let ok = true;
      for (let k = this.off; k < this.off + this.len; k++) if (SAFE[a[k]!] === 0) ok = false;
      this.safe = ok;
    }
    if (!this.safe) this.text = nameText(this.model.keyOf(id));
  }

  put(out: Buffer, pos: number): number {
    if (!this.safe) return pos + out.write(this.text, pos, 'latin1');
    const a = this.model.nameBytes;
    for (let k = 0; k < this.len; k++) out[pos + k] = a[this.off + k]!;
    return pos + this.len;
  }
}

function* zoneChunks(model: HostsModel, head: ZoneHead, stats: WriteStats, rpz: boolean): Generator<Buffer> {
  let out = Buffer.allocUnsafe(CHUNK);
  let pos = out.write(zoneHeadText(head), 0, 'utf8');
  let records = 1 + head.ns.length;
  const owner = new OwnerWriter(model);
  const target = new OwnerWriter(model);
  const v4: number[] = [];
  const v6: string[] = [];
  const [tagA, tagAAAA] = rpz ? [RPZ_A, RPZ_AAAA] : [IN_A, IN_AAAA];
  const n = model.size;
  for (let id = 0; id < n; id++) {
    const kind = model.kindOf(id);
    if (kind === 'none') continue;
    owner.select(id);
    if (pos > CHUNK - LINE_ROOM) {
      yield out.subarray(0, pos);
      out = Buffer.allocUnsafe(CHUNK);
      pos = 0;
    }
    if (kind === 'cname') {
      target.select(model.targetId(id));
      pos = owner.put(out, pos);
      pos = put(out, pos, IN_CNAME);
      pos = target.put(out, pos);
      out[pos++] = 10;
      records++;
      continue;
    }
    if (kind === 'block') {
      pos = owner.put(out, pos);
      pos = put(out, pos, RPZ_BLOCK);
      records++;
      continue;
    }
    if (model.ownOnly(id)) {
      // the common case: walk the owner's own records, no arrays
      for (let r = model.firstRecord(id); r >= 0; r = model.nextRecord(r)) {
        if (pos > CHUNK - LINE_ROOM) {
          yield out.subarray(0, pos);
          out = Buffer.allocUnsafe(CHUNK);
          pos = 0;
        }
        pos = owner.put(out, pos);
        if (model.recordFamily(r) === 4) {
          pos = put(out, pos, tagA);
          pos = putIPv4(out, pos, model.recordV4(r));
        } else {
          pos = put(out, pos, tagAAAA);
          pos += out.write(model.recordV6(r), pos, 'latin1');
        }
        out[pos++] = 10;
        records++;
      }
      continue;
    }
    v4.length = 0;
    v6.length = 0;
    model.addressesOf(id, v4, v6);
    for (let k = 0; k < v4.length + v6.length; k++) {
      if (pos > CHUNK - LINE_ROOM) {
        yield out.subarray(0, pos);
        out = Buffer.allocUnsafe(CHUNK);
        pos = 0;
      }
      pos = owner.put(out, pos);
      if (k < v4.length) {
        pos = put(out, pos, tagA);
        pos = putIPv4(out, pos, v4[k]!);
      } else {
        pos = put(out, pos, tagAAAA);
        pos += out.write(v6[k - v4.length]!, pos, 'latin1');
      }
      out[pos++] = 10;
      records++;
    }
  }
  stats.records = records;
  yield out.subarray(0, pos);
}

/** The forward zone: header, then each name's CNAME or address records, in the order names first appear. */
export function forwardZoneText(model: HostsModel, head: ZoneHead, stats: WriteStats): Generator<Buffer> {
  return zoneChunks(model, head, stats, false);
}

/**
 * A Response Policy Zone (the BIND ARM, "Response Policy Zone"): a blocked name is
 * `NAME CNAME .` (answer NXDOMAIN), a name with a real address gets it as local data.
 */
export function rpzZoneText(model: HostsModel, head: ZoneHead, stats: WriteStats): Generator<Buffer> {
  return zoneChunks(model, head, stats, true);
}

/** Events of the reverse-zone writer: a zone starts, some of its text, it ends. */
export type ReverseEvent =
  | { kind: 'start'; origin: string }
  | { kind: 'text'; text: string }
  | { kind: 'end'; origin: string; records: number };

/** The reverse zone of an IPv4 address (per /24): `2.0.192.in-addr.arpa` and the owner `1`. */
export function reverseZoneOf4(v4: number): { zone: string; owner: string } {
  return { zone: inAddrArpa(v4, 3), owner: String(v4 & 255) };
}

/** The reverse zone of an IPv6 address (32 nibbles) under a prefix of `prefixBits` (a multiple of 4). */
export function reverseZoneOf6(nibbles: string, prefixBits: number): { zone: string; owner: string } {
  const n = prefixBits / 4;
  return { zone: ip6Arpa(nibbles.slice(0, n)), owner: nibbleLabels(nibbles.slice(n)) };
}

/**
 * Every reverse zone of the model, one after the other: for each, its header (from `headFor`)
 * and one PTR per address to its canonical name, fully qualified (a PTR target without the
 * trailing dot would silently get the reverse zone appended).
 */
export function* reverseZoneText(model: HostsModel, v6PrefixBits: number, headFor: (origin: string) => ZoneHead): Generator<ReverseEvent> {
  let zone = '';
  let buf = '';
  let records = 0;
  for (const p of model.ptrs()) {
    const at = p.family === 4 ? reverseZoneOf4(p.v4) : reverseZoneOf6(p.nibbles, v6PrefixBits);
    if (at.zone !== zone) {
      if (zone !== '') {
        yield { kind: 'text', text: buf };
        yield { kind: 'end', origin: zone, records };
      }
      zone = at.zone;
      const head = headFor(zone);
      yield { kind: 'start', origin: zone };
      buf = zoneHeadText(head);
      records = 1 + head.ns.length;
    }
    buf += `${at.owner}\tIN\tPTR\t${absoluteText(p.target.slice(0, -1))}\n`;
    records++;
    if (buf.length >= CHUNK) {
      yield { kind: 'text', text: buf };
      buf = '';
    }
  }
  if (zone !== '') {
    yield { kind: 'text', text: buf };
    yield { kind: 'end', origin: zone, records };
  }
}
