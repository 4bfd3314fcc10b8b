/**
 * Replacing a file so that a reader never sees it half written and a crash or a full disk never
 * leaves it cut: the new content goes in full to a temporary file next to the target (created
 * exclusively, every write checked), which is synced and only then renamed over the target;
 * then the directory is synced. A replaced file keeps its mode (and, where permitted, its owner
 * and group); a target that is not a regular file (a FIFO, a directory, a device) is refused
 * before anything is written. {@link atomicWriteFile} does it for one file; {@link PendingWrite}
 * gives the steps, for a caller that replaces several files all or nothing (hosts2zone's zones).
 */
import { closeSync, constants, fchmodSync, fchownSync, fsync, lstatSync, openSync, realpathSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileErrorReason, NetlabError } from '../errors.js';

/** A file to be replaced, checked: the path named, the regular file written (a symbolic link's target) and what it replaces. */
export interface WriteTarget {
  path: string;
  /** The file renamed over: `path`, or where a symbolic link at `path` points. */
  real: string;
  /** The file replaced, null when there is none. */
  old: Stats | null;
}

/** Why a write failed, in a few words (EPERM, EDQUOT, EFBIG, EBUSY, EXDEV, and fileErrorReason's). */
export function writeReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EPERM') return 'operation not permitted (an immutable file, chattr +i?)';
  if (code === 'EDQUOT') return 'disk quota exceeded';
  if (code === 'EFBIG') return 'file too large';
  if (code === 'EBUSY') return 'device or resource busy';
  if (code === 'EXDEV') return 'not on the same file system';
  return fileErrorReason(e);
}

/** INPUT error `cannot write 'PATH': why`. */
export function cannotWrite(path: string, e: unknown): NetlabError {
  return new NetlabError('INPUT', `cannot write '${path}': ${writeReason(e)}`, { cause: e });
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Check a target before anything is read from it or written: a missing file or a regular file
 * (also through a symbolic link, which is then followed: the file it points at is replaced, the
 * link kept) may be written; anything else is refused. `what` names the content in the refusal
 * (`a zone is written over a regular file only`). Synchronous (one call per file, and a caller
 * may have thousands). Throws NetlabError INPUT.
 */
export function checkWriteTarget(path: string, what = 'a file'): WriteTarget {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { path, real: path, old: null };
    throw cannotWrite(path, e);
  }
  let real = path;
  const refused = `(refused: ${what} is written over a regular file only)`;
  if (st.isSymbolicLink()) {
    try {
      st = statSync(path);
      real = realpathSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NetlabError('INPUT', `cannot write '${path}': a symbolic link to nothing (refused: remove it, or make it point at a file)`);
      throw cannotWrite(path, e);
    }
    if (!st.isFile()) throw new NetlabError('INPUT', `cannot write '${path}': a symbolic link to ${kindOf(st)}, not a regular file ${refused}`);
  } else if (!st.isFile()) {
    throw new NetlabError('INPUT', `cannot write '${path}': ${kindOf(st)}, not a regular file ${refused}`);
  }
  return { path, real, old: st };
}

/**
 * Write all of `data` with `write` (fs.writeSync on a descriptor: it returns the bytes written):
 * a short write is continued until every byte is written, a write of nothing is an error (EIO),
 * a failing write (ENOSPC, EIO) throws.
 */
export function writeAll(write: (buf: Uint8Array, offset: number, length: number) => number, data: string | Uint8Array): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let off = 0;
  while (off < buf.length) {
    const n = write(buf, off, buf.length - off);
    if (!(n > 0)) throw Object.assign(new Error('a write wrote nothing'), { code: 'EIO' });
    off += n;
  }
}

/** fsync(2) in the thread pool: several at once cost about half as much as one after the other. */
function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
}

/**
 * One file being replaced: its temporary file (`REAL.PID.tmp`, created exclusively, mode 0644
 * less the umask), written synchronously, then {@link sync}ed and closed, then {@link commit}ted
 * (renamed over the target) or {@link discard}ed. The fs errors (ENOSPC, EIO...) are thrown as
 * they are: the caller says which file in its message ({@link cannotWrite}).
 */
export class PendingWrite {
  readonly tmp: string;
  private fd: number;

  /** Create the temporary file of `target` (one left by a crashed run with the same pid is removed first). */
  constructor(readonly target: WriteTarget) {
    this.tmp = `${target.real}.${process.pid}.tmp`;
    // O_EXCL: never write through whatever already has that name (a link, a FIFO)
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
    try {
      this.fd = openSync(this.tmp, flags, 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      rmSync(this.tmp, { force: true });
      this.fd = openSync(this.tmp, flags, 0o644);
    }
  }

  /** Append text (UTF-8) or bytes, every byte checked. */
  write(data: string | Uint8Array): void {
    const fd = this.fd;
    writeAll((b, o, l) => writeSync(fd, b, o, l), data);
  }

  /** Written in full: give it the replaced file's owner and group (as permitted) and mode, sync it to disk, close it. */
  async sync(): Promise<void> {
    const old = this.target.old;
    if (old) {
      // root keeps the owner and group; others may keep the group; else the new file is ours
      if (old.uid !== process.getuid?.() || old.gid !== process.getgid?.()) {
        try {
          fchownSync(this.fd, old.uid, old.gid);
        } catch {
          try {
            fchownSync(this.fd, -1, old.gid);
          } catch {
            // not permitted
          }
        }
      }
      fchmodSync(this.fd, old.mode & 0o777);
    }
    const fd = this.fd;
    try {
      await fsyncAsync(fd);
    } finally {
      this.fd = -1;
      closeSync(fd);
    }
  }

  /** Rename the synced temporary file over the target (the directory still needs {@link syncDir}). */
  commit(): void {
    renameSync(this.tmp, this.target.real);
  }

  /** Give up: close the temporary file if still open and remove it. Never throws. */
  discard(): void {
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // the write already failed: that is the error to report
      }
      this.fd = -1;
    }
    rmSync(this.tmp, { force: true });
  }
}

/** fsync a directory after a rename in it, where the platform allows it (not on Windows); best effort, never throws. */
export async function syncDir(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // the file itself was synced before the rename
  }
}

/**
 * Replace `path` with `data` atomically: checked (`checkWriteTarget`), written in full to a
 * temporary file, synced, renamed over it, the directory synced; the replaced file's mode kept.
 * On any failure the temporary file is removed and the old file is left as it was. Throws
 * NetlabError INPUT (`cannot write 'PATH': why`).
 */
export async function atomicWriteFile(path: string, data: string | Uint8Array | Iterable<string | Uint8Array>, options: { what?: string } = {}): Promise<void> {
  const target = checkWriteTarget(path, options.what);
  let pending: PendingWrite | undefined;
  try {
    pending = new PendingWrite(target);
    if (typeof data === 'string' || data instanceof Uint8Array) pending.write(data);
    else for (const chunk of data) pending.write(chunk);
    await pending.sync();
    pending.commit();
  } catch (e) {
    pending?.discard();
    throw cannotWrite(path, e);
  }
  await syncDir(dirname(target.real));
}
