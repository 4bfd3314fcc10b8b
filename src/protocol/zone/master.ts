/**
 * A reader of RFC 1035 master files (section 5): what `hosts2zone` writes, and ordinary
 * BIND-style zone files: `$ORIGIN`, `$TTL`, relative names, `@`, a blank owner (the previous
 * one), TTL and class in either order, TTL units (`1h30m`, BIND), parentheses over several
 * lines, `;` comments, quoted strings, `\X` and `\DDD` escapes, and RFC 3597 `\# LEN HEX`
 * data for any type. Records come out in netlab's one record shape (DnsRecord: typed `rdata`,
 * its presentation text in `data`), the shape the lab's DNS server serves, so
 * `netlab lab --zone FILE` can load them.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { FILE_LIMITS, openStreamBounded } from '../../util/read-bounded.js';
import { basename } from 'node:path';
import { cannotRead, NetlabError } from '../../errors.js';
import { escapeLabel, nameToWire, splitName } from '../dns/names.js';
import { typeCode } from '../dns/types.js';
import { encodeRdata, makeRecord, type DnsRecord } from '../dns/rdata.js';
import { parseRdata, parseTtl, unescapeString, type RdataToken } from './master-rdata.js';
import { forEachLine, MAX_LINE_BYTES, splitLines } from './lines.js';

/** TTL text (BIND units) and character-string unescaping, for the reader's users (see master-rdata.ts). */
export { parseTtl, unescapeString };

/** A zone: its name and its records, as the lab serves it (src/lab/dns/server.ts `Zone`). */
export interface ZoneData {
  /** Fully qualified, with the trailing dot. */
  origin: string;
  records: DnsRecord[];
}

/** Options of the master-file reader. */
export interface MasterOptions {
  /** The zone's name (fully qualified or not); else the owner of the first SOA. Also the initial $ORIGIN. */
  origin?: string;
  /** For messages. */
  file?: string;
  /** Stop with an error past this many records (the lab holds zones in memory). Default 1,000,000. */
  maxRecords?: number;
}

type Token = RdataToken;

type Labels = Buffer[];

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
  /** The records read so far, each with its line and the lower-case key of its owner. */
  readonly records: Array<DnsRecord & { line: number; key: string }> = [];

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
    // where the last field ended: a field that starts there is glued to it (`alpn="h2"`)
    let lastEnd = -1;
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
        this.pending.push({ text: out, quoted: true, glued: i === lastEnd });
        i = j + 1;
        lastEnd = i;
        continue;
      }
      let j = i;
      while (j < n && !isSpace(text[j]) && text[j] !== ';' && text[j] !== '(' && text[j] !== ')' && text[j] !== '"') {
        j += text[j] === '\\' && j + 1 < n ? 2 : 1;
      }
      this.pending.push({ text: text.slice(i, j), quoted: false, glued: i === lastEnd });
      i = j;
      lastEnd = j;
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
    const rdata = parseRdata(code, tokens.slice(k), {
      name: (t, what) => labelsText(this.name(t, what)),
      fail: (message) => this.fail(message),
    });
    if (rdata.type === 'SOA' && ttl === undefined && this.defaultTtl === undefined && this.lastTtl === undefined) {
      // RFC 1035 5.2 leaves it open; BIND uses the SOA minimum (with a warning)
      ttl = rdata.minimum;
    }
    const effectiveTtl = ttl ?? this.defaultTtl ?? this.lastTtl;
    if (effectiveTtl === undefined) throw this.fail('no TTL: give one, or a $TTL line before the first record');
    if (ttl !== undefined) this.lastTtl = ttl;
    this.lastOwner = owner;
    if (this.records.length >= this.maxRecords) throw this.fail(`more than ${this.maxRecords} records`);
    if (code === 6 && !this.zoneOrigin) this.zoneOrigin = owner;
    const ownerText = labelsText(owner);
    const record = makeRecord(ownerText, effectiveTtl, rdata) as DnsRecord & { line: number; key: string };
    record.line = this.startLine;
    record.key = ownerText.replace(/[A-Z]/g, (c) => c.toLowerCase());
    this.records.push(record);
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
      // RFC 4035 2.5: a signed zone's CNAME has its RRSIG and NSEC beside it
      if (r.type !== 'RRSIG' && r.type !== 'NSEC') types.add(r.type);
      if (types.has('CNAME') && types.size > 1) throw this.fail(`${r.key} has a CNAME and other data (RFC 1034 3.6.2)`, r.line);
    }
    if (nsAtApex === 0) throw new NetlabError('INPUT', `${this.file}: no NS record at ${origin}`);
    return { origin, records: this.records.map(({ line: _line, key: _key, ...record }) => record) };
  }
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

/**
 * Load master files for the lab's DNS server: read and check each, and encode every record
 * once (as the server will), so that a record that cannot be encoded fails here, with its
 * file. Throws INPUT for a file that cannot be read or served, or a zone given twice.
 */
export async function loadZoneFiles(paths: string[]): Promise<ZoneData[]> {
  const zones: ZoneData[] = [];
  for (const path of paths) {
    const zone = await readMasterFile(path);
    for (const r of zone.records) {
      try {
        nameToWire(r.name);
        encodeRdata(r.rdata);
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
      if (first.rdata.type !== 'SOA') break;
      return first.rdata.serial;
    }
  }
  throw new NetlabError('INPUT', `${path}: no SOA record in its first 64 KiB`);
}
