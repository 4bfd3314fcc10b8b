/**
 * util/atomic-write.ts, the one atomic file write (moved out of hosts2zone's run): the new
 * content appears whole or not at all, the replaced file keeps its mode, a target that is not
 * a regular file is refused before anything is written, and no temporary file is left behind.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atomicWriteFile, checkWriteTarget, PendingWrite, writeAll } from '../../src/util/atomic-write.js';
import { NetlabError } from '../../src/errors.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'netlab-atomic-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const temps = (d: string) => readdirSync(d).filter((f) => f.endsWith('.tmp'));

test('a new file is written whole; a replaced one keeps its mode; chunks are written in order', async () => {
  const f = join(dir, 'a.txt');
  await atomicWriteFile(f, 'one\n');
  assert.equal(readFileSync(f, 'utf8'), 'one\n');
  chmodSync(f, 0o640);
  await atomicWriteFile(f, ['two', Buffer.from('\n'), 'three\n']);
  assert.equal(readFileSync(f, 'utf8'), 'two\nthree\n');
  assert.equal(statSync(f).mode & 0o777, 0o640);
  assert.deepEqual(temps(dir), []);
});

test('a symbolic link to a regular file: the file it points at is replaced, the link kept', async () => {
  const real = join(dir, 'real.txt');
  const link = join(dir, 'link.txt');
  writeFileSync(real, 'old');
  symlinkSync(real, link);
  await atomicWriteFile(link, 'new');
  assert.equal(readFileSync(real, 'utf8'), 'new');
  assert.equal(checkWriteTarget(link).real, real);
});

test('targets that are not regular files are refused (INPUT), naming what they are and what is written', () => {
  const d = join(dir, 'refused');
  mkdirSync(d);
  execFileSync('mkfifo', [join(d, 'fifo')]);
  mkdirSync(join(d, 'dir'));
  symlinkSync('/dev/null', join(d, 'dev'));
  symlinkSync(join(d, 'nothing'), join(d, 'dangling'));
  const cases: Array<[string, RegExp]> = [
    ['fifo', /: a FIFO, not a regular file \(refused: a zone is written over a regular file only\)$/],
    ['dir', /: a directory, not a regular file/],
    ['dev', /: a symbolic link to a character device, not a regular file/],
    ['dangling', /: a symbolic link to nothing \(refused: remove it, or make it point at a file\)$/],
  ];
  for (const [name, message] of cases) {
    assert.throws(() => checkWriteTarget(join(d, name), 'a zone'), (e: unknown) => e instanceof NetlabError && e.code === 'INPUT' && message.test(e.message), name);
  }
});

test('a failing write: the old file untouched, no temporary file, INPUT naming the file', async () => {
  const f = join(dir, 'b.txt');
  writeFileSync(f, 'old');
  const failing = (function* () {
    yield 'half of it';
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  })();
  await assert.rejects(atomicWriteFile(f, failing), (e: unknown) => e instanceof NetlabError && e.message === `cannot write '${f}': no space left on the device`);
  assert.equal(readFileSync(f, 'utf8'), 'old');
  assert.deepEqual(temps(dir), []);
});

test('PendingWrite: nothing is visible before commit; discard removes the temporary file', async () => {
  const f = join(dir, 'c.txt');
  writeFileSync(f, 'old');
  const p = new PendingWrite(checkWriteTarget(f));
  p.write('new');
  await p.sync();
  assert.equal(readFileSync(f, 'utf8'), 'old');
  assert.deepEqual(temps(dir), [`c.txt.${process.pid}.tmp`]);
  p.commit();
  assert.equal(readFileSync(f, 'utf8'), 'new');
  const q = new PendingWrite(checkWriteTarget(f));
  q.write('never');
  q.discard();
  assert.equal(readFileSync(f, 'utf8'), 'new');
  assert.deepEqual(temps(dir), []);
});

// issue 9.1: the byte count of each write was ignored: on a filling disk the zone was cut mid-record, exit 0
test('every write is checked: short writes are continued until every byte is out; a write of nothing is an error', () => {
  const out: Buffer[] = [];
  // at most 7 bytes per call, as a filling disk gives
  const short = (buf: Uint8Array, off: number, len: number) => {
    const n = Math.min(len, 7);
    out.push(Buffer.from(buf.subarray(off, off + n)));
    return n;
  };
  const text = 'www\tIN\tA\t10.9.1.168\nmail\tIN\tA\t10.9.1.169\n';
  writeAll(short, text);
  assert.equal(Buffer.concat(out).toString(), text);
  assert.throws(() => writeAll(() => 0, text), (e: NodeJS.ErrnoException) => e.code === 'EIO');
});
