// Bundles the library's entry points (what package.json "exports" names) from tsc's output in
// dist/src into dist/lib: one file per entry plus the chunks they share, so that
// `import 'netlab/dns'` reads a few files instead of twenty (Node 20's ESM loader costs about
// 1.5 ms per module file). The engines the `netlab` entry loads lazily stay separate chunks;
// packages (undici, @peculiar/*) stay external and load only where they did. Types are tsc's
// (dist/src/**/*.d.ts); the CLI runs tsc's output directly.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const outdir = new URL('dist/lib/', root).pathname;
rmSync(outdir, { recursive: true, force: true });

const entry = (name, file) => ({ out: name, in: new URL(`dist/src/${file}`, root).pathname });
await build({
  entryPoints: [
    entry('index', 'index.js'),
    ...['dns', 'tls', 'http', 'lb', 'zone', 'lab', 'check'].map((n) => entry(n, `entry/${n}.js`)),
  ],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // error classes and functions keep their names (error.name, stack traces)
  keepNames: true,
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'none',
  logLevel: 'warning',
});
