/**
 * A streaming hosts(5) parser: one line at a time from a byte stream, never the whole file.
 * Each line is `ADDRESS NAME [ALIAS...]`, fields separated by spaces or tabs, `#` to the end
 * of the line a comment, CRLF accepted. What DNS cannot hold is rejected with a reason:
 * short or leading-zero IPv4 (`127.1`, `010.1.1.1`: inet_aton reads them, glibc's
 * getaddrinfo and Node's net.isIPv4 do not), scoped IPv6 (`fe80::1%lo0`: Node's isIP accepts
 * it, a AAAA record cannot carry a zone index), names that break RFC 1123 (letters, digits and
 * inner hyphens, labels of 1..63, at most 253 characters) and names that are addresses.
 * Internationalised names become punycode (UTS #46, as url.domainToASCII does).
 *
 * Built for million-line inputs: a line is parsed from the bytes of the chunk it sits in, and
 * its names are copied (lower-cased) into one reused scratch buffer; nothing is allocated per
 * line but the IPv6 text of an IPv6 line.
 */
import { domainToASCII } from 'node:url';
import type { Note, Problem } from '../../errors.js';
import { ipv4FromInt, ipv6FromGroups, IPV4_LEADING_ZERO, IPV4_RANGE, IPV4_SHORT, scanIPv4, scanIPv6 } from '../../util/ip.js';
import { escapeControl } from '../../util/printable.js';
import { forEachLine, MAX_LINE_BYTES, stringChunks } from './lines.js';

/**
 * What hosts2zone says about its input, by code. Lines and names rejected (dropped: SHORT_IPV4
 * ... LINE_TOO_LONG, see {@link isRejection}) and conflicts are problems of severity WARNING;
 * LOCAL_NAME, BLOCKLIST, READ_ONLY and NO_VALID_ENTRY are notes, which never change the status.
 */
export type HostsCode =
  | 'BAD_ADDRESS'
  | 'SHORT_IPV4'
  | 'LEADING_ZERO'
  | 'SCOPED_IPV6'
  | 'NO_NAME'
  | 'BAD_NAME'
  | 'NAME_IS_ADDRESS'
  | 'BAD_IDN'
  | 'LINE_TOO_LONG'
  | 'UNDERSCORE'
  | 'OUTSIDE_ORIGIN'
  | 'CONFLICT'
  | 'PTR_CONFLICT'
  | 'APEX_ALIAS'
  | 'SERIAL'
  | 'LOCAL_NAME'
  | 'BLOCKLIST'
  | 'READ_ONLY'
  | 'NO_VALID_ENTRY';

const REJECTIONS: ReadonlySet<HostsCode> = new Set<HostsCode>(['BAD_ADDRESS', 'SHORT_IPV4', 'LEADING_ZERO', 'SCOPED_IPV6', 'NO_NAME', 'BAD_NAME', 'NAME_IS_ADDRESS', 'BAD_IDN', 'LINE_TOO_LONG']);

/** Whether a code says that a line, or a name on it, was rejected as invalid (a "bad line", `error:` on stderr). */
export function isRejection(code: HostsCode): boolean {
  return REJECTIONS.has(code);
}

/**
 * The option of hosts2zone that would write what a problem or note says was not written:
 * `allowUnderscore` (names with `_` as owners of addresses), `aliasesCname` (aliases as CNAME
 * records), `formatRpz` (a blocklist as a Response Policy Zone). Renderers turn it into advice.
 */
export type HostsRemedy = 'allowUnderscore' | 'aliasesCname' | 'formatRpz';

/**
 * A problem with one line of one input (`subject` is `FILE:LINE`) or with a whole file
 * (`line` 0, `subject` is `FILE`): a line or name rejected, a conflict between lines.
 */
export interface HostsProblem extends Problem<HostsCode> {
  /** `FILE:LINE`, or `FILE` for line 0. */
  subject: string;
  /** The input's name (`-` for standard input). */
  file: string;
  /** 1-based; 0 for what is about the whole file. */
  line: number;
  remedy?: HostsRemedy;
}

/** What is only said, never judged (a name of the machine itself, a blocklist detected): `subject` as in {@link HostsProblem}. */
export interface HostsNote extends Note<HostsCode> {
  subject: string;
  file: string;
  line: number;
  remedy?: HostsRemedy;
}

/** A problem or a note, in the order they were found (the `FILE:LINE:` lines on stderr). */
export type HostsIssue = HostsProblem | HostsNote;

/** Whether an issue is a problem (it has a severity), not a note. */
export function isProblem(issue: HostsIssue): issue is HostsProblem {
  return 'severity' in issue;
}

/** `FILE:LINE`, or `FILE` for line 0. */
export function subjectOf(file: string, line: number): string {
  return line > 0 ? `${file}:${line}` : file;
}

/** A WARNING problem about `FILE:LINE` (line 0: the whole file). */
export function hostsProblem(file: string, line: number, code: HostsCode, message: string): HostsProblem {
  return { code, severity: 'WARNING', message, subject: subjectOf(file, line), file, line };
}

/** A note about `FILE:LINE` (line 0: the whole file). */
export function hostsNote(file: string, line: number, code: HostsCode, message: string): HostsNote {
  return { code, message, subject: subjectOf(file, line), file, line };
}

/**
 * One valid line: an address and its names, first the canonical one. The object and its
 * buffers are reused from one line to the next: copy what you keep.
 */
export interface HostsEntry {
  family: 4 | 6;
  /** IPv4 as an unsigned 32-bit number (family 4), else 0. */
  v4: number;
  /** IPv6 in RFC 5952 form, hexadecimal only (family 6), else ''. */
  v6: string;
  /**
   * Names on the line; name i is `bufs[i][starts[i], starts[i] + lengths[i])`: lower-case ASCII
   * (IDN as punycode), no trailing dot, valid. A name already in that form is not copied: its
   * buffer is the chunk the line was read from; the others are in `bytes`, a scratch buffer.
   */
  count: number;
  bufs: Buffer[];
  starts: Uint32Array;
  lengths: Uint16Array;
  bytes: Buffer;
}

/** Where the line parser sends each rejection (of the line, or of one of its names). */
export type Report = (code: HostsCode, message: string) => void;

/** A fresh (reusable) entry; its arrays grow with the line (a line of MAX_LINE_BYTES holds at most half a million names). */
export function newEntry(): HostsEntry {
  return { family: 4, v4: 0, v6: '', count: 0, bufs: [], starts: new Uint32Array(256), lengths: new Uint16Array(256), bytes: Buffer.alloc(64 * 1024) };
}

/** Room for one more name in `e`. */
function growNames(e: HostsEntry): void {
  const starts = new Uint32Array(e.starts.length * 2);
  starts.set(e.starts);
  const lengths = new Uint16Array(e.lengths.length * 2);
  lengths.set(e.lengths);
  e.starts = starts;
  e.lengths = lengths;
}

/**
 * Room for `n` more bytes in the scratch buffer at `pos`: when there is none, a new buffer
 * (the names already in the old one keep pointing at it). Returns where to write.
 */
function scratchAt(e: HostsEntry, pos: number, n: number): number {
  if (pos + n <= e.bytes.length) return pos;
  e.bytes = Buffer.alloc(Math.max(e.bytes.length * 2, n));
  return 0;
}

/**
 * Text taken from the input, made safe to echo on a terminal: a backslash doubled (so that what
 * follows cannot be taken for an escape), then the control characters, bidirectional overrides
 * and marks as util/printable.ts's escapeControl writes them (`\xHH`, `\uHHHH`). Terminal
 * escaping for messages, not master-file escaping (that is escapeLabel, protocol/dns/names.ts).
 */
export function escapeText(text: string): string {
  return escapeControl(text.replace(/\\/g, '\\\\'));
}

/** Name i of an entry, as a string. */
export function entryName(e: HostsEntry, i: number): string {
  return e.bufs[i]!.toString('latin1', e.starts[i]!, e.starts[i]! + e.lengths[i]!);
}

/** All names of an entry, as strings (tests, messages). */
export function entryNames(e: HostsEntry): string[] {
  const out: string[] = [];
  for (let i = 0; i < e.count; i++) out.push(entryName(e, i));
  return out;
}

// --- addresses: util/ip.ts's scanners, on the bytes of the line --------------------

/** RFC 5952 text of IPv6 records: hexadecimal only, as a AAAA record's data is 128 bits, not an IPv4 address. */
const HEX_ONLY = { mixed: false } as const;

const groupsScratch = new Uint16Array(8);

// --- names -----------------------------------------------------------------------

const OK = 0;
const EMPTY = 1;
const TOO_LONG = 2;
const EMPTY_LABEL = 3;
const LONG_LABEL = 4;
const HYPHEN_END = 5;
const HYPHEN_START = 6;
const BAD_CHAR = 7;
const IS_ADDRESS = 8;
let badChar = 0;
let badLabel = 0;

/** Byte classes for the name check: 1 digit, 2 letter or `_`, 3 `-`, 4 `.`, 0 anything else. */
const NAME_CLASS = new Uint8Array(256);
for (let c = 48; c <= 57; c++) NAME_CLASS[c] = 1;
for (let c = 97; c <= 122; c++) NAME_CLASS[c] = 2;
NAME_CLASS[95] = 2;
NAME_CLASS[45] = 3;
NAME_CLASS[46] = 4;

/** Host-name check of `b[s, s + n)` (lower case, no trailing dot): OK or a problem code. `_` passes (a warning, the caller's). */
function checkName(b: Uint8Array, s: number, n: number): number {
  if (n === 0) return EMPTY;
  if (n > 253) return TOO_LONG;
  let labelStart = s;
  let letters = false;
  let dots = 0;
  const end = s + n;
  for (let i = s; i < end; i++) {
    const c = b[i]!;
    switch (NAME_CLASS[c]) {
      case 1:
        continue;
      case 2:
        letters = true;
        continue;
      case 3:
        letters = true;
        if (i === labelStart) return HYPHEN_START;
        continue;
      case 4: {
        const len = i - labelStart;
        if (len === 0) return EMPTY_LABEL;
        if (len > 63) {
          badLabel = len;
          return LONG_LABEL;
        }
        if (b[i - 1] === 45) return HYPHEN_END;
        labelStart = i + 1;
        dots++;
        continue;
      }
      default:
        badChar = c;
        return BAD_CHAR;
    }
  }
  const len = end - labelStart;
  if (len === 0) return EMPTY_LABEL;
  if (len > 63) {
    badLabel = len;
    return LONG_LABEL;
  }
  if (b[end - 1] === 45) return HYPHEN_END;
  if (!letters && dots > 0) return IS_ADDRESS;
  return OK;
}

function problemText(code: number, n: number): { code: 'BAD_NAME' | 'NAME_IS_ADDRESS'; reason: string } {
  switch (code) {
    case EMPTY: return { code: 'BAD_NAME', reason: 'is empty' };
    case TOO_LONG: return { code: 'BAD_NAME', reason: `is ${n} characters long (at most 253: 255 bytes on the wire, RFC 1035 2.3.4)` };
    case EMPTY_LABEL: return { code: 'BAD_NAME', reason: 'has an empty label (two dots in a row, or a leading dot)' };
    case LONG_LABEL: return { code: 'BAD_NAME', reason: `has a label of ${badLabel} characters (at most 63, RFC 1035 2.3.4)` };
    case HYPHEN_END: return { code: 'BAD_NAME', reason: "has a label ending with '-' (RFC 1123 2.1)" };
    case HYPHEN_START: return { code: 'BAD_NAME', reason: "has a label starting with '-' (RFC 1123 2.1)" };
    case IS_ADDRESS: return { code: 'NAME_IS_ADDRESS', reason: 'is an IP address, not a name (RFC 1123 2.1: a name never has the form #.#.#.#)' };
    default: {
      const c = badChar;
      const shown = `'${c > 32 && c < 127 ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`}'`;
      return { code: 'BAD_NAME', reason: `has the character ${shown} (host names hold letters, digits and '-', RFC 1123 2.1)` };
    }
  }
}

/**
 * Why a name (lower case, no trailing dot) is not a valid host name, or undefined when it is.
 * `_` is accepted here: it is a warning, decided by the caller (RFC 1123 2.1 forbids it in
 * host names, DNS itself does not).
 */
export function hostNameProblem(name: string): { code: 'BAD_NAME' | 'NAME_IS_ADDRESS'; reason: string } | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(name)) return { code: 'BAD_NAME', reason: 'has non-ASCII characters (give it as punycode, or let netlab convert it)' };
  const b = Buffer.from(name, 'latin1');
  const code = checkName(b, 0, b.length);
  return code === OK ? undefined : problemText(code, b.length);
}

/**
 * The names every hosts file carries for the machine itself (Debian, macOS, ad-block lists):
 * they describe the local host, not the zone.
 */
const LOCAL_NAMES = [
  'localhost', 'localhost.localdomain', 'localhost4', 'localhost4.localdomain4', 'localhost6',
  'localhost6.localdomain6', 'ip6-localhost', 'ip6-loopback', 'ip6-localnet', 'ip6-mcastprefix',
  'ip6-allnodes', 'ip6-allrouters', 'ip6-allhosts', 'broadcasthost', 'local',
];
const LOCAL_BY_LENGTH: Buffer[][] = [];
for (const n of LOCAL_NAMES) (LOCAL_BY_LENGTH[n.length] ??= []).push(Buffer.from(n, 'latin1'));

/** Whether a name (as bytes) is one of LOCAL_NAMES, without making a string. */
export function isLocalNameBytes(b: Uint8Array, s: number, n: number): boolean {
  const list = LOCAL_BY_LENGTH[n];
  if (!list) return false;
  for (const cand of list) {
    let k = 0;
    while (k < n && b[s + k] === cand[k]) k++;
    if (k === n) return true;
  }
  return false;
}

// --- lines -----------------------------------------------------------------------

/**
 * Byte classes while scanning a name: 0 digit, 1 a-z or `_`, 2 the end of the token (blank or
 * `#`), 3 A-Z, 4 `.`, 5 `-`, 6 non-ASCII, 7 anything else (not allowed in a host name).
 */
const SCAN_CLASS = new Uint8Array(256).fill(7);
for (let c = 48; c <= 57; c++) SCAN_CLASS[c] = 0;
for (let c = 97; c <= 122; c++) SCAN_CLASS[c] = 1;
SCAN_CLASS[95] = 1;
for (const c of [32, 9, 13, 11, 12, 35]) SCAN_CLASS[c] = 2;
for (let c = 65; c <= 90; c++) SCAN_CLASS[c] = 3;
SCAN_CLASS[46] = 4;
SCAN_CLASS[45] = 5;
for (let c = 128; c < 256; c++) SCAN_CLASS[c] = 6;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 11 || c === 12;
}

/** Input bytes quoted for a message: at most 80 of them, escaped (escapeText). */
function shown(buf: Uint8Array, s: number, e: number): string {
  const text = Buffer.from(buf.subarray(s, Math.min(e, s + 80))).toString('utf8');
  return `'${escapeText(text)}${e - s > 80 ? '...' : ''}'`;
}

/**
 * Parse one hosts line, `buf[start, end)`, into `out`. True for a line with an address and at
 * least one valid name; false for a blank line, a comment or a rejected line (every rejection,
 * of the line or of one of its names, goes to `report`).
 */
export function parseHostsLine(buf: Buffer, start: number, end: number, report: Report, out: HostsEntry): boolean {
  let i = start;
  while (i < end && isSpace(buf[i]!)) i++;
  if (i === end || buf[i] === 35 /* # */) return false;
  const as = i;
  let colon = false;
  let percent = -1;
  while (i < end) {
    const c = buf[i]!;
    if (isSpace(c) || c === 35) break;
    if (c === 58) colon = true;
    else if (c === 37 && percent < 0) percent = i;
    i++;
  }
  const ae = i;

  if (!colon) {
    const r = scanIPv4(buf, as, ae);
    if (r < 0) {
      const t = shown(buf, as, ae);
      if (r === IPV4_SHORT) report('SHORT_IPV4', `${t} is a short IPv4 address (inet_aton shorthand; getaddrinfo and DNS need all four parts)`);
      else if (r === IPV4_LEADING_ZERO) report('LEADING_ZERO', `${t} has a leading zero (inet_aton reads it as octal, most tools as decimal); write it without`);
      else if (r === IPV4_RANGE) report('BAD_ADDRESS', `${t} is not an IPv4 address: a part is over 255`);
      else {
        let letters = false;
        for (let k = as; k < ae; k++) {
          const c = buf[k]! | 0x20;
          if (c >= 97 && c <= 122) letters = true;
        }
        report('BAD_ADDRESS', letters ? `${t} is not an IP address (a hosts line starts with the address, then the names)` : `${t} is not an IPv4 address`);
      }
      return false;
    }
    out.family = 4;
    out.v4 = r;
    out.v6 = '';
  } else {
    if (percent >= 0) {
      report('SCOPED_IPV6', `${shown(buf, as, ae)} is a scoped IPv6 address: its zone index ${shown(buf, percent, ae)} names a local interface, which a AAAA record cannot carry`);
      return false;
    }
    if (!scanIPv6(buf, as, ae, groupsScratch)) {
      report('BAD_ADDRESS', `${shown(buf, as, ae)} is not an IPv6 address`);
      return false;
    }
    out.family = 6;
    out.v4 = 0;
    out.v6 = ipv6FromGroups(groupsScratch, HEX_ONLY);
  }

  let pos = 0;
  let count = 0;
  let tokens = 0;
  for (;;) {
    while (i < end && isSpace(buf[i]!)) i++;
    if (i === end || buf[i] === 35) break;
    tokens++;
    // one pass over the token: find its end and check it as a host name (checkName's rules)
    const ns = i;
    let labelStart = i;
    let letters = false;
    let upper = false;
    let high = false;
    let dots = 0;
    let problem = OK;
    scan: while (i < end) {
      const c = buf[i]!;
      switch (SCAN_CLASS[c]) {
        case 0: // digit
          break;
        case 1: // a-z _
          letters = true;
          break;
        case 2: // blank or #: the end of the token
          break scan;
        case 3: // A-Z
          letters = true;
          upper = true;
          break;
        case 4: // .
          if (problem === OK) {
            const len = i - labelStart;
            if (len === 0) problem = EMPTY_LABEL;
            else if (len > 63) {
              badLabel = len;
              problem = LONG_LABEL;
            } else if (buf[i - 1] === 45) problem = HYPHEN_END;
          }
          labelStart = i + 1;
          dots++;
          break;
        case 5: // -
          letters = true;
          if (i === labelStart && problem === OK) problem = HYPHEN_START;
          break;
        case 6: // non-ASCII
          high = true;
          break;
        default:
          if (problem === OK) {
            problem = BAD_CHAR;
            badChar = c;
          }
      }
      i++;
    }
    let nameEnd = i;
    if (nameEnd - ns > 1 && buf[nameEnd - 1] === 46) {
      nameEnd--; // a trailing dot: the name is absolute, as it is anyway (its last label was checked at the dot)
      dots--;
    } else if (problem === OK) {
      const len = nameEnd - labelStart;
      if (len === 0) problem = EMPTY_LABEL;
      else if (len > 63) {
        badLabel = len;
        problem = LONG_LABEL;
      } else if (buf[nameEnd - 1] === 45) problem = HYPHEN_END;
    }
    let nb: Buffer = buf;
    let start = ns;
    let len = nameEnd - ns;
    if (high) {
      const text = buf.toString('utf8', ns, i);
      if (text.includes('\uFFFD')) {
        report('BAD_IDN', `${shown(buf, ns, i)} is not valid UTF-8`);
        continue;
      }
      const ascii = domainToASCII(text.endsWith('.') ? text.slice(0, -1) : text).toLowerCase();
      if (ascii === '' || ascii.length > 253) {
        report('BAD_IDN', `${shown(buf, ns, i)} is not a valid internationalised name (UTS #46 / IDNA 2008)`);
        continue;
      }
      pos = scratchAt(out, pos, ascii.length);
      nb = out.bytes;
      start = pos;
      len = nb.write(ascii, pos, 'latin1');
      pos += len;
      problem = checkName(nb, start, len);
    } else {
      if (problem === OK && len > 253) problem = TOO_LONG;
      if (problem === OK && !letters && dots > 0) problem = IS_ADDRESS;
      if (problem === OK && upper) {
        // lower-cased into the scratch buffer
        pos = scratchAt(out, pos, len);
        nb = out.bytes;
        start = pos;
        for (let k = 0; k < len; k++) {
          const c = buf[ns + k]!;
          nb[pos + k] = c >= 65 && c <= 90 ? c | 32 : c;
        }
        pos += len;
      }
    }
    if (problem !== OK) {
      const p = problemText(problem, len);
      report(p.code, `name ${shown(buf, ns, i)} ${p.reason}`);
      continue;
    }
    if (count === out.starts.length) growNames(out);
    out.bufs[count] = nb;
    out.starts[count] = start;
    out.lengths[count] = len;
    count++;
  }
  out.count = count;
  if (tokens === 0) {
    report('NO_NAME', `address ${shown(buf, as, ae)} has no name`);
    return false;
  }
  return count > 0;
}

/** What one input gave: its lines, and its entries (lines with an address and at least one valid name). */
export interface HostsReadStats {
  lines: number;
  entries: number;
}

/** How {@link readHosts} reads. */
export interface ReadHostsOptions {
  /** Stops the reading between chunks (the stats count what was read). */
  signal?: AbortSignal;
  /** Default MAX_LINE_BYTES (1 MiB). */
  maxLineBytes?: number;
}

/** 1234567 -> `1,234,567`. */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function sizeText(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${thousands(n)} bytes`;
}

/**
 * Read a hosts file from a byte stream, line by line. `onEntry` gets each valid line (the
 * entry object is reused: copy what you keep), `onProblem` each rejection as a WARNING about `FILE:LINE`.
 * A line longer than maxLineBytes keeps the names of its first maxLineBytes (up to the last
 * blank: a name cut in two is no name) and is reported (LINE_TOO_LONG) for the rest.
 * Rejects only when the stream fails.
 */
export async function readHosts(
  input: AsyncIterable<Uint8Array | string>,
  file: string,
  onEntry: (entry: HostsEntry, line: number) => void,
  onProblem: (problem: HostsProblem) => void,
  options: ReadHostsOptions = {},
): Promise<HostsReadStats> {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  let entries = 0;
  let lineNo = 0;
  const entry = newEntry();
  const report: Report = (code, message) => onProblem(hostsProblem(file, lineNo, code, message));
  const parse = (buf: Buffer, start: number, end: number, n: number) => {
    // a UTF-8 byte order mark before the first line
    if (n === 1 && end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
    if (parseHostsLine(buf, start, end, report, entry)) {
      entries++;
      onEntry(entry, n);
    }
  };
  const lines = await forEachLine(input, {
    line(buf, start, end, n) {
      lineNo = n;
      parse(buf, start, end, n);
    },
    tooLong(buf, start, end, n, length) {
      lineNo = n;
      // what can be read of it: up to a '#' (the rest is a comment: nothing lost), else up to the last blank
      const hash = buf.indexOf(35, start);
      if (hash >= 0 && hash < end) {
        parse(buf, start, hash, n);
        return;
      }
      let cut = end;
      while (cut > start && !isSpace(buf[cut - 1]!)) cut--;
      const limit = `longer than ${sizeText(maxLineBytes)} (netlab's limit per line; it has ${thousands(length)} bytes)`;
      if (cut > start) {
        report('LINE_TOO_LONG', `line ${limit}: the names in its first ${sizeText(maxLineBytes)} are read, the rest is skipped`);
        parse(buf, start, cut, n);
      } else {
        report('LINE_TOO_LONG', `line ${limit} without a blank in its first ${sizeText(maxLineBytes)}: skipped (is this a hosts file?)`);
      }
    },
  }, { maxLineBytes, signal: options.signal });
  return { lines, entries };
}

/** One parsed line with its names as strings (tests, small inputs). */
export interface ParsedLine {
  line: number;
  family: 4 | 6;
  address: string;
  names: string[];
}

/** Parse a whole hosts text (tests, small inputs), in small chunks to exercise line splitting. */
export async function parseHostsText(text: string, file = '-'): Promise<{ entries: ParsedLine[]; issues: HostsProblem[] }> {
  const entries: ParsedLine[] = [];
  const issues: HostsProblem[] = [];
  await readHosts(stringChunks(text, 7), file, (e, line) => {
    entries.push({ line, family: e.family, address: e.family === 4 ? ipv4FromInt(e.v4) : e.v6, names: entryNames(e) });
  }, (i) => issues.push(i));
  return { entries, issues };
}
