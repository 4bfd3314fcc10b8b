/**
 * Lines of a byte stream, without ever holding the whole stream: one chunk and at most one
 * partial line (bounded by maxLineBytes) are in memory at a time. Hosts files and master
 * files are both read through here.
 *
 * A line ends at LF, at CR LF, or at a CR alone (old Mac files, and what BIND's lexer does
 * too): a lone CR never joins two lines into one.
 */

/** Longest line read in full, bytes (documented in netlab-hosts2zone(1)); of a longer one only its first MAX_LINE_BYTES are kept. */
export const MAX_LINE_BYTES = 1024 * 1024;

/** What {@link forEachLine} calls for each line. */
export interface LineHandler {
  /** One line, `buf[start, end)`, without its line end (LF, CR LF or CR). */
  line(buf: Buffer, start: number, end: number, lineNo: number): void;
  /**
   * A line longer than maxLineBytes: `buf[start, end)` is its first maxLineBytes bytes, `length`
   * the length of the whole line in bytes (without its line end). Without this handler such a
   * line is skipped.
   */
  tooLong?(buf: Buffer, start: number, end: number, lineNo: number, length: number): void;
}

/** How {@link forEachLine} reads. */
export interface LineOptions {
  /** Default MAX_LINE_BYTES. */
  maxLineBytes?: number;
  /** Stops between chunks: the lines read so far are counted, the partial one is dropped. */
  signal?: AbortSignal;
}

/**
 * Feed every line of `input` to `handler`, in order, synchronously per chunk.
 * Resolves to the number of lines; rejects only when the stream itself fails (or a handler throws).
 */
export async function forEachLine(input: AsyncIterable<Uint8Array | string>, handler: LineHandler, options: LineOptions = {}): Promise<number> {
  const max = options.maxLineBytes ?? MAX_LINE_BYTES;
  const signal = options.signal;
  let lineNo = 0;
  // the current line so far, when it started in an earlier chunk: copies, carryLen <= max
  let carry: Buffer[] = [];
  let carryLen = 0;
  // inside a line longer than max: its first max bytes, and its length so far
  let head: Buffer | undefined;
  let longLen = 0;
  // the last chunk ended with a CR: a LF first in the next chunk belongs to it
  let afterCR = false;

  const tooLong = (buf: Buffer, start: number, end: number, length: number) => handler.tooLong?.(buf, start, end, lineNo, length);

  /** The line ends at `chunk[e]`; its bytes in this chunk are `chunk[s, e)`. */
  const endLine = (chunk: Buffer, s: number, e: number) => {
    lineNo++;
    if (head !== undefined) {
      const h = head;
      head = undefined;
      tooLong(h, 0, h.length, longLen + (e - s));
      return;
    }
    if (carryLen > 0) {
      const had = carryLen;
      const total = had + (e - s);
      const parts = carry;
      carry = [];
      carryLen = 0;
      if (total > max) {
        parts.push(chunk.subarray(s, s + (max - had)));
        const h = Buffer.concat(parts, max);
        tooLong(h, 0, h.length, total);
      } else {
        parts.push(chunk.subarray(s, e));
        const line = Buffer.concat(parts, total);
        handler.line(line, 0, line.length, lineNo);
      }
      return;
    }
    if (e - s > max) tooLong(chunk, s, s + max, e - s);
    else handler.line(chunk, s, e, lineNo);
  };

  for await (const piece of input) {
    if (signal?.aborted) return lineNo;
    const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    if (chunk.length === 0) continue;
    let pos = 0;
    if (afterCR) {
      afterCR = false;
      if (chunk[0] === 10) pos = 1;
    }
    // the next LF and the next CR at or after pos (-1: none in this chunk), each searched again only once passed
    let lf = chunk.indexOf(10, pos);
    let cr = chunk.indexOf(13, pos);
    for (;;) {
      if (lf >= 0 && lf < pos) lf = chunk.indexOf(10, pos);
      if (cr >= 0 && cr < pos) cr = chunk.indexOf(13, pos);
      const end = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      if (end < 0) break;
      endLine(chunk, pos, end);
      if (chunk[end] === 13) {
        if (end + 1 === chunk.length) afterCR = true;
        pos = chunk[end + 1] === 10 ? end + 2 : end + 1;
      } else {
        pos = end + 1;
      }
    }
    if (pos < chunk.length) {
      const rest = chunk.length - pos;
      if (head !== undefined) {
        longLen += rest;
      } else if (carryLen + rest > max) {
        const h = Buffer.concat([...carry, chunk.subarray(pos, pos + (max - carryLen))], max);
        longLen = carryLen + rest;
        head = h;
        carry = [];
        carryLen = 0;
      } else {
        // a copy, so the rest of the chunk can be collected
        carry.push(Buffer.from(chunk.subarray(pos)));
        carryLen += rest;
      }
    }
  }
  if (signal?.aborted) return lineNo;
  if (head !== undefined) {
    lineNo++;
    tooLong(head, 0, head.length, longLen);
  } else if (carryLen > 0) {
    lineNo++;
    const line = Buffer.concat(carry, carryLen);
    handler.line(line, 0, line.length, lineNo);
  }
  return lineNo;
}

/** The lines of a string (LF, CR LF or a lone CR end a line, as in forEachLine); a last empty line is dropped. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The lines of a string, for tests and small inputs. */
export async function* stringChunks(text: string, chunkBytes = 64 * 1024): AsyncGenerator<Buffer> {
  const buf = Buffer.from(text, 'utf8');
  for (let i = 0; i < buf.length; i += chunkBytes) yield buf.subarray(i, i + chunkBytes);
}
