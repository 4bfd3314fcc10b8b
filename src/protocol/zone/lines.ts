/**
 * Lines of a byte stream, without ever holding the whole stream: one chunk and at most one
 * partial line (bounded by maxLineBytes) are in memory at a time. Hosts files and master
 * files are both read through here.
 */

/** Longest line kept, bytes; a longer one is reported and skipped up to its newline. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024;

export interface LineHandler {
  /** One line, `buf[start, end)`, without its `\n` (a `\r` before it is left for the parser). */
  line(buf: Buffer, start: number, end: number, lineNo: number): void;
  /** A line longer than maxLineBytes: skipped. */
  tooLong?(lineNo: number): void;
}

/**
 * Feed every line of `input` to `handler`, in order, synchronously per chunk.
 * Resolves to the number of lines; rejects only when the stream itself fails.
 */
export async function forEachLine(input: AsyncIterable<Buffer | string>, handler: LineHandler, maxLineBytes = DEFAULT_MAX_LINE_BYTES): Promise<number> {
  let lineNo = 0;
  let carry: Buffer | undefined;
  let skipping = false; // inside a line already reported as too long
  for await (const piece of input) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    let pos = 0;
    if (carry !== undefined || skipping) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        if (!skipping) {
          if (carry!.length + chunk.length > maxLineBytes) {
            handler.tooLong?.(lineNo + 1);
            skipping = true;
            carry = undefined;
          } else {
            carry = Buffer.concat([carry!, chunk]);
          }
        }
        continue;
      }
      lineNo++;
      if (skipping) {
        skipping = false;
      } else if (carry!.length + nl > maxLineBytes) {
        handler.tooLong?.(lineNo);
      } else {
        const line = Buffer.concat([carry!, chunk.subarray(0, nl)]);
        handler.line(line, 0, line.length, lineNo);
      }
      carry = undefined;
      pos = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(10, pos);
      if (nl < 0) break;
      lineNo++;
      if (nl - pos > maxLineBytes) handler.tooLong?.(lineNo);
      else handler.line(chunk, pos, nl, lineNo);
      pos = nl + 1;
    }
    if (pos < chunk.length) {
      if (chunk.length - pos > maxLineBytes) {
        handler.tooLong?.(lineNo + 1);
        skipping = true;
      } else {
        // a copy, so the rest of the chunk can be collected
        carry = Buffer.from(chunk.subarray(pos));
      }
    }
  }
  if (skipping) {
    lineNo++;
  } else if (carry !== undefined && carry.length > 0) {
    lineNo++;
    handler.line(carry, 0, carry.length, lineNo);
  }
  return lineNo;
}

/** The lines of a string, for tests and small inputs. */
export async function* stringChunks(text: string, chunkBytes = 64 * 1024): AsyncGenerator<Buffer> {
  const buf = Buffer.from(text, 'utf8');
  for (let i = 0; i < buf.length; i += chunkBytes) yield buf.subarray(i, i + chunkBytes);
}
