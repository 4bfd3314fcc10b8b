/**
 * Reading a whole input file with a size bound. A path can name anything: a regular file, a
 * device that never ends (/dev/zero), a FIFO nobody writes to, a directory. Each is read the
 * same way, with the same bound, and none of them hangs: the file is opened non-blocking
 * (a FIFO without a writer opens at once and reads as empty), a source that gives no byte for
 * `idleMs` is an error, and past `maxBytes` reading stops with an error that names the bound.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** The bounds netlab reads its input files with (documented in the man pages). */
export const FILE_LIMITS = {
  /** A PEM bundle or CA file: the largest system bundles are under 1 MiB. */
  pem: 16 * 1024 * 1024,
  /** A dig -f batch: about 3 million queries. */
  batch: 64 * 1024 * 1024,
} as const;

/** The error of a read that went past its bound or stalled: `code` is EFBIG or ETIMEDOUT, `reason` the words for it. */
export interface BoundedReadError extends NodeJS.ErrnoException {
  reason: string;
}

function boundError(code: 'EFBIG' | 'ETIMEDOUT', reason: string): BoundedReadError {
  return Object.assign(new Error(reason), { code, reason });
}

/** `16 MiB`, `512 KiB`, `100 bytes`. */
export function formatBytes(n: number): string {
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
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${path}'`), { code: 'EISDIR', syscall: 'read' });
    const tooBig = () => boundError('EFBIG', `larger than ${formatBytes(maxBytes)} (netlab's limit for this file)`);
    if (st.isFile() && st.size > maxBytes) throw tooBig();
    const chunks: Buffer[] = [];
    let total = 0;
    let idleSince = Date.now();
    // every turn reads at least one byte, waits 10 ms, or ends: bounded by maxBytes and idleMs
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(1024 * 1024, maxBytes + 1 - total));
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
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}
