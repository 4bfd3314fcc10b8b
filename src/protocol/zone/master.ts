/**
 * A reader of RFC 1035 master files (section 5): what `hosts2zone` writes, and ordinary
 * BIND-style zone files: `$ORIGIN`, `$TTL`, relative names, `@`, a blank owner (the previous
 * one), TTL and class in either order, TTL units (`1h30m`, BIND), parentheses over several
 * lines, `;` comments, quoted strings, `\X` and `\DDD` escapes, and RFC 3597 `\# LEN HEX`
 * data for any type. The records come out in the shape the lab's DNS server serves
 * (dns-packet answers: owner without the trailing dot), so `netlab lab --zone FILE` can load them.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { FILE_LIMITS, openStreamBounded } from '../../util/read-bounded.js';
import { basename } from 'node:path';
import { createRequire } from 'node:module';
import { cannotRead, NetlabError } from '../../errors.js';
import { escapeLabel, splitName } from '../dns/names.js';
import { typeCode, typeName } from '../dns/types.js';
import { canonicalIPv6, parseIPv4 } from './hosts.js';
import { forEachLine, MAX_LINE_BYTES, splitLines } from './lines.js';

/** A record as dns-packet encodes it (the lab's ZoneRecord): owner without the trailing dot. */
export interface ZoneRecordData {
  name: string;
  type: string;
  class?: string;
  ttl?: number;
  data?: unknown;
}

/** A zone as the lab serves it (src/lab/dns/server.ts Zone). */
export interface ZoneData {
  /** Fully qualified, with the trailing dot. */
  origin: string;
  records: ZoneRecordData[];
}

export interface MasterOptions {
  /** The zone's name (fully qualified or not); else the owner of the first SOA. Also the initial $ORIGIN. */
  origin?: string;
  /** For messages. */
  file?: string;
  /** Stop with an error past this many records (the lab holds zones in memory). Default 1,000,000. */
  maxRecords?: number;
}

interface Token {
  text: string;
  quoted: boolean;
}

type Labels = Buffer[];

const MAX_TTL = 2147483647; // RFC 2181 8

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r';
}

/** The presentation form of a name given as labels: escaped, fully qualified, with the trailing dot. */
function labelsText(labels: Labels): string {
  return labels.length === 0 ? '.' : `${labels.map((l) => escapeLabel(l)).join('.')}.`;
}

/** Lower-case key of a name, for comparisons. */
function keyOf(labels: Labels): string {
  return labelsText(labels).replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * Reads a master file line by line (`line()`), then `finish()` returns the zone. Every error
 * is a NetlabError('INPUT') whose message starts with `FILE:LINE:`.
 */
export class MasterReader {
  private readonly file: string;
  private readonly maxRecords: number;
  private zoneOrigin: Labels | undefined;
  private origin: Labels | undefined;
  private defaultTtl: number | undefined;
  private lastTtl: number | undefined;
  private lastOwner: Labels | undefined;
  private pending: Token[] = [];
  private depth = 0;
  private blankOwner = false;
  private startLine = 0;
  private lineNo = 0;
  readonly records: Array<ZoneRecordData & { line: number; key: string }> = [];

  constructor(options: MasterOptions = {}) {
    this.file = options.file ?? '-';
    this.maxRecords = options.maxRecords ?? 1_000_000;
    if (options.origin !== undefined) {
      const o = options.origin === '.' ? [] : splitName(options.origin.replace(/\.$/, ''));
      this.zoneOrigin = o;
      this.origin = o;
    }
  }

  private fail(message: string, line = this.startLine || this.lineNo): NetlabError {
    return new NetlabError('INPUT', `${this.file}:${line}: ${message}`);
  }

  /** Feed one line (without its newline). Throws INPUT. */
  line(text: string, lineNo: number): void {
    this.lineNo = lineNo;
    if (this.pending.length === 0 && this.depth === 0) {
      this.blankOwner = isSpace(text[0]);
      this.startLine = lineNo;
    }
    let i = 0;
    const n = text.length;
    while (i < n) {
      const c = text[i]!;
      if (isSpace(c)) {
        i++;
        continue;
      }
      if (c === ';') break;
      if (c === '(') {
        this.depth++;
        i++;
        continue;
      }
      if (c === ')') {
        if (--this.depth < 0) throw this.fail("')' without '('", lineNo);
        i++;
        continue;
      }
      if (c === '"') {
        let j = i + 1;
        let out = '';
        while (j < n && text[j] !== '"') {
          if (text[j] === '\\' && j + 1 < n) {
            out += text.slice(j, j + 2);
            j += 2;
          } else out += text[j++];
        }
        if (j >= n) throw this.fail('a quoted string does not end on its line', lineNo);
        this.pending.push({ text: out, quoted: true });
        i = j + 1;
        continue;
      }
      let j = i;
      while (j < n && !isSpace(text[j]) && text[j] !== ';' && text[j] !== '(' && text[j] !== ')' && text[j] !== '"') {
        j += text[j] === '\\' && j + 1 < n ? 2 : 1;
      }
      this.pending.push({ text: text.slice(i, j), quoted: false });
      i = j;
    }
    if (this.depth === 0 && this.pending.length > 0) {
      const tokens = this.pending;
      this.pending = [];
      this.entry(tokens);
    }
  }

  private name(t: Token | undefined, what: string): Labels {
    if (!t) throw this.fail(`missing ${what}`);
    const text = t.text;
    if (text === '@') {
      if (!this.origin) throw this.fail(`'@' used with no $ORIGIN (give the zone's name)`);
      return this.origin;
    }
    if (text === '.') return [];
    let labels: Labels;
    try {
      labels = splitName(text);
    } catch (e) {
      throw this.fail(`bad ${what} '${text}': ${(e as Error).message}`);
    }
    // absolute when it ends with a dot that is not escaped
    let backslashes = 0;
    for (let k = text.length - 2; k >= 0 && text[k] === '\\'; k--) backslashes++;
    const absolute = text.endsWith('.') && backslashes % 2 === 0;
    if (!absolute) {
      if (!this.origin) throw this.fail(`relative ${what} '${text}' with no $ORIGIN`);
      labels = [...labels, ...this.origin];
    }
    let total = 1;
    for (const l of labels) {
      if (l.length === 0) throw this.fail(`${what} '${text}' has an empty label`);
      if (l.length > 63) throw this.fail(`${what} '${text}' has a label longer than 63 bytes`);
      total += l.length + 1;
    }
    if (total > 255) throw this.fail(`${what} '${text}' is longer than 255 bytes`);
    return labels;
  }

  private ttl(text: string, what = 'TTL'): number {
    const v = parseTtl(text);
    if (v === undefined) throw this.fail(`bad ${what} '${text}'`);
    return v;
  }

  private entry(tokens: Token[]): void {
    const first = tokens[0]!;
    if (!this.blankOwner && !first.quoted && first.text.startsWith('$')) {
      this.directive(first.text.toUpperCase(), tokens.slice(1));
      return;
    }
    let k = 0;
    let owner: Labels;
    if (this.blankOwner) {
      if (!this.lastOwner) throw this.fail('the first record has no owner name');
      owner = this.lastOwner;
    } else {
      owner = this.name(tokens[k++], 'owner name');
    }
    let ttl: number | undefined;
    let klass: string | undefined;
    for (let n = 0; n < 2 && k < tokens.length; n++) {
      const t = tokens[k]!;
      if (t.quoted) break;
      const upper = t.text.toUpperCase();
      if (klass === undefined && /^(IN|CH|CHAOS|HS|HESIOD|NONE|ANY|CLASS\d+)$/.test(upper)) {
        klass = upper;
        k++;
      } else if (ttl === undefined && /^\d/.test(t.text)) {
        ttl = this.ttl(t.text);
        k++;
      } else break;
    }
    if (klass !== undefined && klass !== 'IN') throw this.fail(`class ${klass}: only IN zones can be served`);
    const typeToken = tokens[k++];
    if (!typeToken || typeToken.quoted) throw this.fail('missing record type');
    const code = typeCode(typeToken.text);
    if (code === undefined) throw this.fail(`unknown record type '${typeToken.text}'`);
    const rdata = tokens.slice(k);
    const type = typeName(code);
    const data = this.rdata(type, code, rdata);
    if (code === 6 && ttl === undefined && this.defaultTtl === undefined && this.lastTtl === undefined) {
      // RFC 1035 5.2 leaves it open; BIND uses the SOA minimum (with a warning)
      ttl = (data.value as { minimum: number }).minimum;
    }
    const effectiveTtl = ttl ?? this.defaultTtl ?? this.lastTtl;
    if (effectiveTtl === undefined) throw this.fail('no TTL: give one, or a $TTL line before the first record');
    if (ttl !== undefined) this.lastTtl = ttl;
    this.lastOwner = owner;
    if (this.records.length >= this.maxRecords) throw this.fail(`more than ${this.maxRecords} records`);
    if (code === 6 && !this.zoneOrigin) this.zoneOrigin = owner;
    this.records.push({
      name: this.packetName(owner, 'owner name'),
      type: data.type,
      class: 'IN',
      ttl: effectiveTtl,
      data: data.value,
      line: this.startLine,
      key: keyOf(owner),
    });
  }

  private directive(name: string, args: Token[]): void {
    if (name === '$ORIGIN') {
      if (args.length !== 1) throw this.fail('$ORIGIN takes one name');
      const text = args[0]!.text;
      // relative to the current origin, as in BIND; with none yet, taken as absolute
      const labels = this.name({ text: !this.origin && !text.endsWith('.') ? `${text}.` : text, quoted: false }, '$ORIGIN');
      this.origin = labels;
      this.zoneOrigin ??= labels;
      return;
    }
    if (name === '$TTL') {
      if (args.length !== 1) throw this.fail('$TTL takes one TTL');
      this.defaultTtl = this.ttl(args[0]!.text, '$TTL');
      return;
    }
    if (name === '$INCLUDE' || name === '$GENERATE') throw this.fail(`${name} is not supported by this reader: expand it first (named-compilezone -f text)`);
    throw this.fail(`unknown directive ${name}`);
  }

  /** A name as dns-packet writes it: labels joined by dots. Labels holding a dot or non-ASCII bytes cannot be. */
  private packetName(labels: Labels, what: string): string {
    if (labels.length === 0) return '.';
    for (const l of labels) {
      if (l.includes(0x2e) || l.some((b) => b >= 0x80)) {
        throw this.fail(`${what} ${labelsText(labels)} has a label with a '.' or a non-ASCII byte, which the lab's DNS server cannot serve`);
      }
    }
    return labels.map((l) => l.toString('latin1')).join('.');
  }

  private u(t: Token | undefined, bits: 8 | 16 | 32, what: string): number {
    if (!t || !/^\d+$/.test(t.text)) throw this.fail(`bad ${what} '${t?.text ?? ''}'`);
    const v = Number(t.text);
    if (v >= 2 ** bits) throw this.fail(`${what} ${v} is out of range`);
    return v;
  }

  private chars(t: Token): Buffer {
    const b = unescapeString(t.text);
    if (b === undefined) throw this.fail(`bad escape in '${t.text}'`);
    if (b.length > 255) throw this.fail('a character-string is longer than 255 bytes');
    return b;
  }

  private rdata(type: string, code: number, t: Token[]): { type: string; value: unknown } {
    const count = (n: number) => {
      if (t.length !== n) throw this.fail(`${type} takes ${n} field${n === 1 ? '' : 's'}, got ${t.length}`);
    };
    if (t[0]?.text === '\\#' && !t[0].quoted) {
      // RFC 3597 5: \# LENGTH HEX...
      const len = this.u(t[1], 16, 'RDATA length');
      const hex = t.slice(2).map((x) => x.text).join('');
      if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length !== len * 2) throw this.fail(`the \\# data is not ${len} bytes of hex`);
      return { type: `UNKNOWN_${code}`, value: Buffer.from(hex, 'hex') };
    }
    switch (type) {
      case 'A': {
        count(1);
        if (parseIPv4(t[0]!.text) === undefined) throw this.fail(`bad IPv4 address '${t[0]!.text}'`);
        return { type, value: t[0]!.text };
      }
      case 'AAAA': {
        count(1);
        const a = canonicalIPv6(t[0]!.text);
        if (a === undefined) throw this.fail(`bad IPv6 address '${t[0]!.text}'`);
        return { type, value: a };
      }
      case 'NS':
      case 'CNAME':
      case 'PTR':
      case 'DNAME':
        count(1);
        return { type, value: this.packetName(this.name(t[0], `${type} target`), `${type} target`) };
      case 'MX':
        count(2);
        return { type, value: { preference: this.u(t[0], 16, 'preference'), exchange: this.packetName(this.name(t[1], 'exchange'), 'exchange') } };
      case 'SRV':
        count(4);
        return { type, value: { priority: this.u(t[0], 16, 'priority'), weight: this.u(t[1], 16, 'weight'), port: this.u(t[2], 16, 'port'), target: this.packetName(this.name(t[3], 'target'), 'target') } };
      case 'SOA': {
        count(7);
        const mname = this.packetName(this.name(t[0], 'SOA MNAME'), 'SOA MNAME');
        const rname = this.packetName(this.name(t[1], 'SOA RNAME'), 'SOA RNAME');
        const serial = this.u(t[2], 32, 'serial');
        const [refresh, retry, expire, minimum] = t.slice(3).map((x) => this.ttl(x.text, 'SOA timer')) as [number, number, number, number];
        return { type, value: { mname, rname, serial, refresh, retry, expire, minimum } };
      }
      case 'TXT':
      case 'SPF':
        if (t.length === 0) throw this.fail(`${type} needs at least one string`);
        return { type, value: t.map((x) => this.chars(x)) };
      case 'HINFO':
        count(2);
        return { type, value: { cpu: this.chars(t[0]!).toString('latin1'), os: this.chars(t[1]!).toString('latin1') } };
      case 'CAA': {
        count(3);
        const tag = t[1]!.text;
        if (!/^[a-zA-Z0-9]{1,15}$/.test(tag)) throw this.fail(`bad CAA tag '${tag}'`);
        const value = this.chars(t[2]!);
        if (value.some((b) => b >= 0x80)) throw this.fail('a CAA value with non-ASCII bytes cannot be served by the lab');
        return { type, value: { flags: this.u(t[0], 8, 'CAA flags'), tag, value: value.toString('latin1') } };
      }
      default:
        throw this.fail(`${type} records are not read here: write them in the RFC 3597 form (${type} \\# LENGTH HEX)`);
    }
  }

  /**
   * The zone, checked as a primary server checks it: an SOA at the origin and only one, NS
   * records at the origin, nothing outside the zone, no CNAME beside other data. Throws INPUT.
   */
  finish(): ZoneData {
    if (this.depth > 0 || this.pending.length > 0) throw this.fail("a '(' is never closed", this.startLine);
    if (!this.zoneOrigin) throw new NetlabError('INPUT', `${this.file}: no SOA record and no $ORIGIN: which zone is this?`);
    const origin = keyOf(this.zoneOrigin);
    const first = this.records[0];
    if (!first) throw new NetlabError('INPUT', `${this.file}: no records`);
    if (first.type !== 'SOA' || first.key !== origin) throw this.fail(`the first record must be the SOA of ${origin} (RFC 1035 5.2)`, first.line);
    const byOwner = new Map<string, Set<string>>();
    let nsAtApex = 0;
    for (const r of this.records) {
      if (r !== first && r.type === 'SOA') throw this.fail('a second SOA record', r.line);
      if (!(origin === '.' || r.key === origin || r.key.endsWith(`.${origin}`))) throw this.fail(`${r.key} is outside the zone ${origin}`, r.line);
      if (r.type === 'NS' && r.key === origin) nsAtApex++;
      let types = byOwner.get(r.key);
      if (!types) byOwner.set(r.key, (types = new Set()));
      if (r.type === 'CNAME' && types.has('CNAME')) throw this.fail(`${r.key} has more than one CNAME`, r.line);
      types.add(r.type);
      if (types.has('CNAME') && types.size > 1) throw this.fail(`${r.key} has a CNAME and other data (RFC 1034 3.6.2)`, r.line);
    }
    if (nsAtApex === 0) throw new NetlabError('INPUT', `${this.file}: no NS record at ${origin}`);
    return { origin, records: this.records.map(({ name, type, class: c, ttl, data }) => ({ name, type, class: c, ttl, data })) };
  }
}

/** TTL text: seconds, or BIND's units (`1w2d3h4m5s`, any case). Undefined when it is neither. */
export function parseTtl(text: string): number | undefined {
  let v: number;
  if (/^\d+$/.test(text)) v = Number(text);
  else {
    const m = text.match(/^(?:\d+[wdhms])+$/i);
    if (!m) return undefined;
    v = 0;
    for (const [, n, u] of text.matchAll(/(\d+)([wdhms])/gi)) {
      v += Number(n) * { w: 604800, d: 86400, h: 3600, m: 60, s: 1 }[u!.toLowerCase() as 'w' | 'd' | 'h' | 'm' | 's'];
    }
  }
  return v <= MAX_TTL ? v : undefined;
}

/** A character-string's bytes from its master-file text (`\X`, `\DDD`). Undefined on a bad escape. */
export function unescapeString(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 0x5c) {
      out.push(c);
      continue;
    }
    const d = bytes.subarray(i + 1, i + 4).toString('latin1');
    if (/^\d{3}$/.test(d)) {
      const v = Number(d);
      if (v > 255) return undefined;
      out.push(v);
      i += 3;
    } else if (i + 1 < bytes.length) {
      out.push(bytes[i + 1]!);
      i++;
    } else return undefined;
  }
  return Buffer.from(out);
}

/** Parse master-file text (tests, small zones). Throws INPUT. */
export function parseMasterText(text: string, options: MasterOptions = {}): ZoneData {
  const reader = new MasterReader(options);
  splitLines(text).forEach((l, i) => reader.line(l, i + 1));
  return reader.finish();
}

/**
 * The zone name a file is for when it has no $ORIGIN: `db.corp.test` -> `corp.test.`
 * (the name hosts2zone gives its files), else undefined.
 */
export function originFromFileName(path: string): string | undefined {
  const m = /^db\.(.+)$/.exec(basename(path));
  return m ? `${m[1]}.` : undefined;
}

/** Read a master file, streaming. Throws INPUT (unreadable, or `FILE:LINE: what is wrong`). */
export async function readMasterFile(path: string, options: MasterOptions = {}): Promise<ZoneData> {
  const reader = new MasterReader({ file: path, origin: options.origin ?? originFromFileName(path), maxRecords: options.maxRecords });
  // bounded and non-blocking, as every input (a FIFO or /dev/zero given as a zone file must not hang)
  let input;
  try {
    input = await openStreamBounded(path, { maxBytes: FILE_LIMITS.zone });
  } catch (e) {
    throw cannotRead(path, e);
  }
  try {
    await forEachLine(input.chunks, {
      line: (buf, start, end, n) => reader.line(buf.toString('utf8', start, end), n),
      tooLong: (_buf, _start, _end, n) => {
        throw new NetlabError('INPUT', `${path}:${n}: line longer than ${MAX_LINE_BYTES / (1024 * 1024)} MiB`);
      },
    });
  } catch (e) {
    if (e instanceof NetlabError) throw e;
    throw cannotRead(path, e);
  } finally {
    await input.close();
  }
  return reader.finish();
}

const require = createRequire(import.meta.url);

/**
 * Load master files for the lab's DNS server: read, check, and encode every record once with
 * dns-packet (as the server will) so that a record it cannot encode fails here, with its file.
 */
export async function loadZoneFiles(paths: string[]): Promise<ZoneData[]> {
  const packet = require('dns-packet') as { answer: { encode(a: unknown): Buffer } };
  const zones: ZoneData[] = [];
  for (const path of paths) {
    const zone = await readMasterFile(path);
    for (const r of zone.records) {
      try {
        packet.answer.encode(r);
      } catch (e) {
        throw new NetlabError('INPUT', `${path}: ${r.name} ${r.type} cannot be encoded: ${(e as Error).message}`, { cause: e });
      }
    }
    if (zones.some((z) => z.origin === zone.origin)) throw new NetlabError('INPUT', `${path}: zone ${zone.origin} is given twice`);
    zones.push(zone);
  }
  return zones;
}

/**
 * The SOA serial of a master file, read from its first 64 KiB only (the SOA comes first);
 * undefined when the file does not exist. Throws INPUT when it is not a regular file (a FIFO
 * would never end: it is opened non-blocking and refused), or has no readable SOA there.
 */
export async function readSerial(path: string, origin?: string): Promise<number | undefined> {
  // synchronous calls inside: one zone may replace thousands of reverse zones, and a thread-pool
  // round trip per call costs more than the read
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw cannotRead(path, e);
  }
  let text: string;
  let whole = false;
  try {
    if (!fstatSync(fd).isFile()) throw new NetlabError('INPUT', `cannot read '${path}': not a regular file`);
    const buf = Buffer.alloc(64 * 1024);
    const bytesRead = readSync(fd, buf, 0, buf.length, 0);
    text = buf.toString('utf8', 0, bytesRead);
    whole = bytesRead < buf.length;
  } catch (e) {
    if (e instanceof NetlabError) throw e;
    throw cannotRead(path, e);
  } finally {
    closeSync(fd);
  }
  const reader = new MasterReader({ file: path, origin });
  // a lone CR ends a line too (as in forEachLine); the last line may be cut in the middle
  const lines = text.split(/\r\n|\r|\n/);
  if (!whole || lines[lines.length - 1] === '') lines.pop();
  for (const [i, l] of lines.entries()) {
    reader.line(l, i + 1);
    const first = reader.records[0];
    if (first) {
      if (first.type !== 'SOA') break;
      return (first.data as { serial: number }).serial;
    }
  }
  throw new NetlabError('INPUT', `${path}: no SOA record in its first 64 KiB`);
}
