/**
 * Every unit test file in one process. `node --test` starts a process per file, and starting
 * node, its test runner and our modules costs ~0.35 s of CPU a file: a third of `npm test` on
 * two cores. Each file here becomes a suite named after it, so its root-level before/after
 * hooks stay its own and a failure names the file. The files are found at run time, so a new
 * one is never left out.
 */
import { describe } from 'node:test';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = new URL('./unit/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort();
if (files.length === 0) throw new Error(`no unit test files in ${fileURLToPath(dir)}`);
for (const file of files) {
  describe(`unit/${file}`, async () => {
    await import(new URL(file, dir).href);
  });
}
