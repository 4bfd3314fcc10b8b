/**
 * An incremental, strict parser of one HTTP/1.x answer at a time, for netlab's own HTTP/1.1
 * clients: lb-probe's probes (src/protocol/lb/http1.ts) and trace-request's timed exchanges
 * (src/protocol/http/timing.ts). It is fed by servers that may be broken, so every read is
 * bounded: the header block at most MAX_HEADER_BYTES (then TOO_LARGE), at most
 * MAX_HEADER_LINES header lines, a bounded number of interim (1xx) answers, a chunk-size line
 * at most 1 KiB, the body kept up to `maxBody` bytes. Anything that is not HTTP (no status
 * line, a bad header line, a bad chunk size, two different Content-Lengths) is an error with a
 * code and a few words quoting what came, never an exception; an early close is RESET saying
 * how far the answer got. Pure: no sockets, no clock.
 */
import { printable } from '../../util/printable.js';

/** The largest HTTP header block read (status line and headers); a larger one fails the probe. */
export const MAX_HEADER_BYTES = 64 * 1024;
/** The most header lines of one answer. */
export const MAX_HEADER_LINES = 4096;
/** The most interim (1xx) answers skipped before the final one. */
export const MAX_INTERIM = 8;
/** The longest chunk-size line (with extensions). */
const MAX_CHUNK_LINE = 1024;

/** Why an answer is not one: not HTTP, over a bound, or cut short by the close of the connection. */
export type ParseErrorCode = 'NOT_HTTP' | 'TOO_LARGE' | 'RESET';

/** What came of parsing so far. */
export type Step = { need: true } | { done: true } | { error: ParseErrorCode; message: string; why?: string };

/** A few bytes of what a server sent, decoded as UTF-8, escaped and quoted, for an error message. */
export function quote(data: Buffer, max = 32): string {
  return `"${printable(data.subarray(0, 4 * max).toString('utf8'), max)}"`;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** An empty buffer, shared: the parser's buffers are replaced, never written into. */
const EMPTY = Buffer.alloc(0);
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: [^\r\n]*)?$/;
const HTTP_PREFIX = Buffer.from('HTTP/');

/**
 * Index of the blank line ending the header block (the first CRLFCRLF or LFLF), -1 when not yet
 * there. `from`: where a match can start at the earliest (the bytes before it were searched).
 * A byte loop, not Buffer#indexOf with strings (two native calls and a string conversion each,
 * for every probe's ~100-byte head).
 */
export function headEnd(head: Buffer, from = 0): number {
  const n = head.length;
  for (let i = Math.max(from, 0); i < n; i++) {
    if (head[i] !== 0x0a) continue;
    if (head[i + 1] === 0x0a) return i;
    if (i > 0 && head[i - 1] === 0x0d && head[i + 1] === 0x0d && head[i + 2] === 0x0a) return i - 1;
  }
  return -1;
}

/** How a parser reads its answer (all optional). */
export interface Http1ParserOptions {
  /** Interim (1xx) answers skipped before the final one; one more is NOT_HTTP. Default MAX_INTERIM. */
  maxInterim?: number;
  /** The answer to a HEAD request: no body, whatever its Content-Length says (RFC 9110 9.3.2). */
  bodyless?: boolean;
  /** Read the body to its end (counted, `maxBody` bytes of it kept) instead of stopping once `maxBody` bytes came. Default false. */
  wholeBody?: boolean;
}

/**
 * An incremental parser of one HTTP/1.x answer to a GET (or a HEAD: `bodyless`). Feed it bytes with push(); it says
 * when it has the whole answer (or enough of the body), or what is wrong. Every buffer it holds
 * is bounded: the header block by MAX_HEADER_BYTES, the body by `maxBody`.
 */
export class Http1Parser {
  statusCode = 0;
  headers: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  private head: Buffer = EMPTY;
  private inHead = true;
  private interim = 0;
  private readonly body: Buffer[] = [];
  private bodyBytes = 0;
  /** Content-Length left; null: chunked or until close. */
  private remaining: number | null = null;
  private chunked = false;
  /** Chunked: bytes left in the current chunk, or -1 when a size line is due, -2 when its CRLF is due, -3 in the trailers. */
  private chunkLeft = -1;
  private line: Buffer = EMPTY;
  private untilClose = false;
  /** The bytes being pushed are a reused read buffer: keep copies. */
  private transient = false;
  /** The whole answer came, as its framing says (not only the body's first maxBody bytes). */
  complete = false;

  private readonly maxInterim: number;
  private readonly bodyless: boolean;
  private readonly wholeBody: boolean;

  constructor(private readonly maxBody: number, options: Http1ParserOptions = {}) {
    this.maxInterim = options.maxInterim ?? MAX_INTERIM;
    this.bodyless = options.bodyless === true;
    this.wholeBody = options.wholeBody === true;
  }

  /** Interim (1xx) answers skipped so far. */
  get interimCount(): number {
    return this.interim;
  }

  /** Body bytes that came so far (kept or not). */
  get bodyReceived(): number {
    return this.bodyBytes;
  }

  /** The body kept (at most maxBody bytes). */
  get bodyBuffer(): Buffer {
    // one piece (the usual case): itself, not a copy
    return this.body.length === 1 ? this.body[0]! : Buffer.concat(this.body);
  }

  get headComplete(): boolean {
    return !this.inHead;
  }

  /**
   * Feed the next bytes. `transient`: `data` is a read buffer the caller reuses once push()
   * returns (net's `onread`): whatever the parser keeps of it is copied, the rest is parsed in
   * place.
   */
  push(data: Buffer, transient = false): Step {
    this.transient = transient;
    if (this.inHead) {
      // only what can still belong to the header block is kept; a concat is a copy of its own
      let head = this.head.length === 0 ? data : Buffer.concat([this.head, data]);
      const owned = !transient || this.head.length !== 0;
      // what was kept had no blank line: a match starts at most 3 bytes before the new ones
      let from = Math.max(0, this.head.length - 3);
      for (;;) {
        const end = headEnd(head, from);
        from = 0;
        if (end < 0) {
          if (head.length > MAX_HEADER_BYTES) return { error: 'TOO_LARGE', message: `answered with a header block over ${MAX_HEADER_BYTES / 1024} KiB, the most read` };
          // not HTTP at all: say so as soon as the first bytes show it
          if (head.length >= 5 && !head.subarray(0, 5).equals(HTTP_PREFIX)) return this.notHttp('no status line', head);
          this.head = owned ? head : Buffer.from(head);
          return { need: true };
        }
        if (end > MAX_HEADER_BYTES) return { error: 'TOO_LARGE', message: `answered with a header block over ${MAX_HEADER_BYTES / 1024} KiB, the most read` };
        const block = head.subarray(0, end);
        const rest = head.subarray(end + (head[end] === 0x0d ? 4 : 2));
        const step = this.parseHead(block);
        if ('error' in step) return step;
        if (this.statusCode >= 100 && this.statusCode < 200 && this.statusCode !== 101) {
          if (++this.interim > this.maxInterim) return this.notHttp(`more than ${this.maxInterim} interim answers`, block);
          this.headers = Object.create(null) as Record<string, string | string[]>;
          head = rest;
          continue;
        }
        this.inHead = false;
        this.head = EMPTY;
        if ('done' in step) return step;
        return rest.length > 0 ? this.pushBody(rest) : this.bodyStep();
      }
    }
    return this.pushBody(data);
  }

  /** The connection ended: is the answer complete? */
  end(): Step {
    if (this.inHead) {
      if (this.head.length === 0 && this.interim === 0) return { error: 'RESET', message: 'closed the connection without an answer' };
      return { error: 'RESET', message: `closed the connection in the middle of the header block (${this.head.length} bytes came)` };
    }
    if (this.untilClose) return { done: true };
    if (this.chunked) return { error: 'RESET', message: `closed the connection in the middle of a chunked body (${this.bodyBytes} bytes came)` };
    return { error: 'RESET', message: `closed the connection ${this.remaining} bytes before the end of the body (Content-Length)` };
  }

  /** NOT_HTTP: `message` in lb-probe's words; `why`, what was wrong and the bytes quoted, for a caller that words it its own way. */
  private notHttp(reason: string, data: Buffer): Step {
    const quoted = quote(data);
    return { error: 'NOT_HTTP', message: `answered, but not with HTTP (${reason}): ${quoted}`, why: `${reason}: ${quoted}` };
  }

  private parseHead(block: Buffer): Step {
    const text = block.toString('latin1');
    // line by line without building the list of lines (this runs for every probe)
    let at = text.indexOf('\n');
    const firstEnd = at < 0 ? text.length : at;
    const first = text.slice(0, text.charCodeAt(firstEnd - 1) === 13 ? firstEnd - 1 : firstEnd);
    const status = STATUS_LINE.exec(first);
    if (!status) return this.notHttp('no status line', block);
    this.statusCode = Number(status[1]);
    // no prototype: a header named constructor, toString or __proto__ is a header like any other
    const headers = Object.create(null) as Record<string, string | string[]>;
    let count = 0;
    let lastKey: string | undefined;
    while (at >= 0) {
      const from = at + 1;
      at = text.indexOf('\n', from);
      const end = at < 0 ? text.length : at;
      const line = text.charCodeAt(end - 1) === 13 ? text.slice(from, end - 1) : text.slice(from, end);
      if (++count > MAX_HEADER_LINES) return { error: 'TOO_LARGE', message: `answered with more than ${MAX_HEADER_LINES} header lines` };
      const c0 = line.charCodeAt(0);
      if (c0 === 32 || c0 === 9) {
        // obs-fold: a user agent replaces it with a space (RFC 9112 5.2)
        if (lastKey === undefined) return this.notHttp('a folded line before any header', Buffer.from(line, 'latin1'));
        const more = line.trim();
        const had = headers[lastKey]!;
        const join = (v: string): string => (v === '' ? more : more === '' ? v : `${v} ${more}`);
        if (Array.isArray(had)) had[had.length - 1] = join(had[had.length - 1]!);
        else headers[lastKey] = join(had);
        continue;
      }
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon) : '';
      if (!TOKEN.test(name)) return this.notHttp('a header line that is not NAME: value', Buffer.from(line, 'latin1'));
      const key = name.toLowerCase();
      const value = line.slice(colon + 1).trim();
      const had = headers[key];
      if (had === undefined) headers[key] = value;
      else if (Array.isArray(had)) had.push(value);
      else headers[key] = [had, value];
      lastKey = key;
    }
    this.headers = headers;
    if (this.statusCode < 200) return { need: true };
    if (this.statusCode === 204 || this.statusCode === 304 || this.bodyless) {
      this.complete = true;
      return { done: true };
    }
    const te = headers['transfer-encoding'];
    const cl = headers['content-length'];
    if (te !== undefined) {
      const codings = (Array.isArray(te) ? te.join(',') : te).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
      if (codings[codings.length - 1] !== 'chunked') return this.notHttp('a Transfer-Encoding without chunked last', Buffer.from(String(te), 'latin1'));
      this.chunked = true;
      return { need: true };
    }
    // the usual case, one Content-Length of digits only: the same as the general case below
    if (typeof cl === 'string' && /^\d{1,15}$/.test(cl)) {
      this.remaining = Number(cl);
      this.complete = this.remaining === 0;
      return this.remaining === 0 ? { done: true } : { need: true };
    }
    if (cl !== undefined) {
      const values = [...new Set((Array.isArray(cl) ? cl : [cl]).flatMap((v) => v.split(',').map((s) => s.trim())))];
      if (values.length !== 1 || !/^\d{1,15}$/.test(values[0]!)) return this.notHttp('a bad Content-Length', Buffer.from(String(cl), 'latin1'));
      this.remaining = Number(values[0]);
      this.complete = this.remaining === 0;
      return this.remaining === 0 ? { done: true } : { need: true };
    }
    this.untilClose = true;
    return { need: true };
  }

  private keep(data: Buffer): void {
    if (this.bodyBytes < this.maxBody) {
      const piece = data.subarray(0, this.maxBody - this.bodyBytes);
      this.body.push(this.transient ? Buffer.from(piece) : piece);
    }
    this.bodyBytes += data.length;
  }

  private bodyStep(): Step {
    if (this.remaining === 0) {
      this.complete = true;
      return { done: true };
    }
    if (!this.wholeBody && this.bodyBytes >= this.maxBody) return { done: true };
    return { need: true };
  }

  private pushBody(data: Buffer): Step {
    if (!this.chunked) {
      if (this.remaining !== null) {
        const take = data.subarray(0, this.remaining);
        this.remaining -= take.length;
        this.keep(take);
      } else {
        this.keep(data);
      }
      return this.bodyStep();
    }
    let at = 0;
    while (at < data.length) {
      if (this.chunkLeft > 0) {
        const take = data.subarray(at, at + this.chunkLeft);
        this.keep(take);
        this.chunkLeft -= take.length;
        at += take.length;
        if (this.chunkLeft === 0) this.chunkLeft = -2;
        if (!this.wholeBody && this.bodyBytes >= this.maxBody) return { done: true };
        continue;
      }
      // a line: the chunk size, the CRLF after a chunk, or a trailer
      const lf = data.indexOf(0x0a, at);
      const piece = data.subarray(at, lf < 0 ? data.length : lf);
      if (this.line.length + piece.length > MAX_CHUNK_LINE) return this.notHttp('a chunk-size line over 1 KiB', Buffer.concat([this.line, piece]));
      this.line = this.line.length === 0 ? Buffer.from(piece) : Buffer.concat([this.line, piece]);
      if (lf < 0) return { need: true };
      at = lf + 1;
      const text = this.line.toString('latin1').replace(/\r$/, '');
      this.line = EMPTY;
      if (this.chunkLeft === -2) {
        if (text !== '') return this.notHttp('no CRLF after a chunk', Buffer.from(text, 'latin1'));
        this.chunkLeft = -1;
        continue;
      }
      if (this.chunkLeft === -3) {
        if (text === '') {
          this.complete = true;
          return { done: true };
        }
        continue;
      }
      const size = /^([0-9A-Fa-f]{1,12})[ \t]*(;.*)?$/.exec(text);
      if (!size) return this.notHttp('a bad chunk size', Buffer.from(text, 'latin1'));
      const n = parseInt(size[1]!, 16);
      this.chunkLeft = n === 0 ? -3 : n;
    }
    return { need: true };
  }
}

