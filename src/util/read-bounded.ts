/**
 * Reading a whole input file with a size bound. A path can name anything: a regular file, a
 * device that never ends (/dev/zero), a FIFO nobody writes to, a directory. Each is read the
 * same way, with the same bound, and none of them hangs: the file is opened non-blocking
 * (a FIFO without a writer opens at once and reads as empty), a source that gives no byte for
 * `idleMs` is an error, and past `maxBytes` reading stops with an error that names the bound.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { pause } from './pause.js';

/** The bounds netlab reads its input files with (documented in the man pages). */
export const FILE_LIMITS = {
  /** A PEM bundle or CA file: the largest system bundles are under 1 MiB. */
  pem: 16 * 1024 * 1024,
  /** A dig -f batch: about 3 million queries. */
  batch: 64 * 1024 * 1024,
  /** A hosts file (streamed: blocklists run to hundreds of MB). */
  hosts: 1024 * 1024 * 1024,
  /** A master file (streamed; `lab --zone`, the zone hosts2zone replaces). */
  zone: 1024 * 1024 * 1024,
} as const;

/** The error of a read that went past its bound or stalled: `code` is EFBIG or ETIMEDOUT, `reason` the words for it. */
export interface BoundedReadError extends NodeJS.ErrnoException {
  reason: string;
}

function boundError(code: 'EFBIG' | 'ETIMEDOUT', reason: string): BoundedReadError {
  return Object.assign(new Error(reason), { code, reason });
}

/** `1 GiB`, `16 MiB`, `512 KiB`, `100 bytes`. */
export function formatBytes(n: number): string {
  if (n >= 1024 ** 3 && n % 1024 ** 3 === 0) return `${n / 1024 ** 3} GiB`;
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * The whole content of `path`, at most `maxBytes`. Throws the fs error (ENOENT, EACCES, EISDIR...)
 * or a BoundedReadError (EFBIG past the bound, ETIMEDOUT when no byte came for `idleMs`).
 * Synchronous: meant for reading a command's input files before any work starts.
 */
export function readFileBounded(path: string, maxBytes: number, idleMs = 10_000): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    return readFdBounded(fd, path, maxBytes, idleMs);
  } finally {
    closeSync(fd);
  }
}

/**
 * Standard input, whole, with the bounds of readFileBounded (issue 14: `dig -f -`). Reads fd 0
 * itself: /dev/stdin cannot be opened when it is a socket, as a spawned child's pipes are.
 */
export function readStdinBounded(maxBytes: number, idleMs = 10_000): Buffer {
  return readFdBounded(0, '-', maxBytes, idleMs);
}

function readFdBounded(fd: number, path: string, maxBytes: number, idleMs: number): Buffer {
  {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${path}'`), { code: 'EISDIR', syscall: 'read' });
    const tooBig = () => boundError('EFBIG', `larger than ${formatBytes(maxBytes)} (netlab's limit for this file)`);
    if (st.isFile() && st.size > maxBytes) throw tooBig();
    const chunks: Buffer[] = [];
    let total = 0;
    let idleSince = Date.now();
    // a regular file: its size and one byte more (a file that grew is read on); else 64 KiB
    // reads. Not the 1 MiB the bound allows: a buffer that large per read is memory outside
    // the heap that makes V8 collect early (an exporter reads its CA file every probe)
    const regular = st.isFile();
    let want = regular ? st.size + 1 : 64 * 1024;
    // every turn reads at least one byte, waits 10 ms, or ends: bounded by maxBytes and idleMs
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.max(1, Math.min(want, 1024 * 1024, maxBytes + 1 - total)));
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        if (Date.now() - idleSince > idleMs) throw boundError('ETIMEDOUT', `no data in ${idleMs / 1000} s (a FIFO or device that nothing writes to?)`);
        Atomics.wait(sleeper, 0, 0, 10);
        continue;
      }
      if (n === 0) break;
      idleSince = Date.now();
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > maxBytes) throw tooBig();
      // a short read of a regular file is its end, most likely: the read that says so needs no
      // more than a small buffer (from Node's pool); after a full one, what its size says is left
      if (regular) want = n < buf.length ? 512 : Math.max(st.size + 1 - total, 64 * 1024);
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  }
}

/** An input opened for streaming with a bound: its size (0 when not a regular file), its chunks, and a close. */
export interface BoundedStream {
  /** Bytes, for a regular file; 0 for a FIFO, a device or a socket. */
  size: number;
  /** The file's bytes in order, at most `maxBytes` of them (past that: EFBIG); read once. */
  chunks: AsyncIterable<Buffer>;
  close(): Promise<void>;
}

export interface StreamBounds {
  /** Past this many bytes the stream fails with EFBIG. */
  maxBytes: number;
  /** A FIFO or device that gives no byte for this long fails with ETIMEDOUT. Default 10 s. */
  idleMs?: number;
  chunkBytes?: number;
  /** Stops the reading: the chunks end early (no error). */
  signal?: AbortSignal;
}


/**
 * Open `path` for streaming, with readFileBounded's rules: opened non-blocking (a FIFO
 * without a writer does not block the open), a directory is EISDIR, past `maxBytes` EFBIG,
 * a FIFO or device that gives nothing for `idleMs` ETIMEDOUT. A FIFO is waited for until a
 * writer has given its first byte (an end before that is a writer not there yet), then read
 * to its end. Throws the fs error of the open.
 */
export async function openStreamBounded(path: string, bounds: StreamBounds): Promise<BoundedStream> {
  const { open } = await import('node:fs/promises');
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  let st;
  try {
    st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${path}'`), { code: 'EISDIR', syscall: 'read' });
    if (st.isFile() && st.size > bounds.maxBytes) throw boundError('EFBIG', `larger than ${formatBytes(bounds.maxBytes)} (netlab's limit for this file)`);
  } catch (e) {
    await fh.close();
    throw e;
  }
  const fifo = st.isFIFO();
  const idleMs = bounds.idleMs ?? 10_000;
  const chunkBytes = bounds.chunkBytes ?? 256 * 1024;
  const { maxBytes, signal } = bounds;
  async function* chunks(): AsyncGenerator<Buffer> {
    let total = 0;
    let any = false;
    let idleSince = Date.now();
    // every turn reads at least one byte, waits 10 ms, or ends: bounded by maxBytes and idleMs
    for (;;) {
      if (signal?.aborted) return;
      const buf = Buffer.allocUnsafe(Math.min(chunkBytes, maxBytes + 1 - total));
      let n: number;
      try {
        n = (await fh.read(buf, 0, buf.length, null)).bytesRead;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        n = -1;
      }
      if (n === 0 && (any || !fifo)) return;
      if (n <= 0) {
        if (Date.now() - idleSince > idleMs) throw boundError('ETIMEDOUT', `no data in ${idleMs / 1000} s (a FIFO or device that nothing writes to?)`);
        await pause(10, signal);
        continue;
      }
      any = true;
      idleSince = Date.now();
      total += n;
      if (total > maxBytes) throw boundError('EFBIG', `larger than ${formatBytes(maxBytes)} (netlab's limit for this input)`);
      yield buf.subarray(0, n);
    }
  }
  return { size: st.isFile() ? st.size : 0, chunks: chunks(), close: () => fh.close() };
}

/**
 * The chunks of an already open stream (stdin) with the same bound: past `maxBytes`, EFBIG.
 * On `signal` the chunks end at once, even while the source is waiting for input.
 */
export async function* boundChunks(source: AsyncIterable<Buffer | string>, maxBytes: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  let total = 0;
  let onAbort = () => undefined as void;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  let finished = false;
  try {
    for (;;) {
      if (signal?.aborted) return;
      const next = signal ? await Promise.race([it.next(), aborted]) : await it.next();
      if (next === 'aborted') return;
      if (next.done) {
        finished = true;
        return;
      }
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
      total += chunk.length;
      if (total > maxBytes) throw boundError('EFBIG', `larger than ${formatBytes(maxBytes)} (netlab's limit for this input)`);
      yield chunk;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // a source left early (bound, abort, error) is told to stop; not awaited: it may be waiting for input
    if (!finished) void Promise.resolve(it.return?.()).catch(() => undefined);
  }
}
