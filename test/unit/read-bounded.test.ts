/** src/util/read-bounded.ts: the one bounded reader of whole input files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatBytes, readFileBounded } from '../../src/util/read-bounded.js';
import { fileErrorReason } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'netlab-rb-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a regular file up to the bound is read whole; one byte more is EFBIG before reading', () => {
  const f = join(dir, 'f');
  writeFileSync(f, 'x'.repeat(1000));
  assert.equal(readFileBounded(f, 1000).length, 1000);
  assert.throws(() => readFileBounded(f, 999), (e: NodeJS.ErrnoException) => e.code === 'EFBIG' && fileErrorReason(e) === "larger than 999 bytes (netlab's limit for this file)");
});

test('every byte of a file whatever its size (empty, one byte, around the read sizes, several MiB); a /proc file whose size says 0 is read whole', () => {
  for (const size of [0, 1, 511, 512, 513, 4095, 65_536, 65_537, 2 * 1024 * 1024 + 3]) {
    const f = join(dir, `s${size}`);
    const bytes = randomBytes(size);
    writeFileSync(f, bytes);
    assert.ok(readFileBounded(f, 3 * 1024 * 1024).equals(bytes), `${size} bytes`);
  }
  const proc = readFileBounded('/proc/self/status', 1024 * 1024).toString('latin1');
  assert.match(proc, /^Name:/);
  assert.match(proc, /\nPid:\s+\d+\n/);
});

// issue 9.8: --ca /dev/zero grew to 16 GB and aborted with std::bad_alloc
test('a device that never ends stops at the bound', () => {
  assert.throws(() => readFileBounded('/dev/zero', 3 * 1024 * 1024), (e: NodeJS.ErrnoException) => e.code === 'EFBIG' && /larger than 3 MiB/.test(fileErrorReason(e)));
});

test('a FIFO without a writer reads as empty at once; a directory is EISDIR; a missing file ENOENT', () => {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  assert.equal(readFileBounded(fifo, 100).length, 0);
  assert.throws(() => readFileBounded(dir, 100), (e: NodeJS.ErrnoException) => e.code === 'EISDIR' && fileErrorReason(e) === 'is a directory');
  assert.throws(() => readFileBounded(join(dir, 'nope'), 100), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
});

test('formatBytes', () => {
  assert.equal(formatBytes(16 * 1024 * 1024), '16 MiB');
  assert.equal(formatBytes(2048), '2 KiB');
  assert.equal(formatBytes(1000), '1000 bytes');
});
