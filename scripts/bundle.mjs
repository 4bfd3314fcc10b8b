// Bundles the library's entry points (what package.json "exports" names) from tsc's output in
// dist/src into dist/lib, so that `import 'netlab/dns'` reads two files instead of twenty
// (Node 20's ESM loader costs about 1.5 ms per module file, and more per shared chunk):
//
//   dist/lib/errors.js   NetlabError and the result model: ONE copy, imported by every entry,
//                        so that `instanceof NetlabError` holds whichever entry threw it
//   dist/lib/dns.js      netlab/dns in one file (what a DNS-only program loads), also what
//                        the `netlab` entry re-exports (one copy of the DNS code for both)
//   dist/lib/*.js        the other entries, split into chunks they share; the engines the
//                        `netlab` entry loads lazily stay separate files
//
// Packages (undici, @peculiar/*, yaml, commander) stay external and load only where they did.
// Types are tsc's (dist/src/**/*.d.ts); the CLI runs tsc's output.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const src = (file) => new URL(`dist/src/${file}`, root).pathname;
const outdir = new URL('dist/lib/', root).pathname;
rmSync(outdir, { recursive: true, force: true });

const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // error classes and functions keep their names (error.name, stack traces)
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  outdir,
};

/** Imports of errors.js (and, from the `netlab` entry, of the DNS entry) become the shared files. */
const shared = (alsoDns) => ({
  name: 'netlab-shared',
  setup(b) {
    b.onResolve({ filter: /(^|\/)errors\.js$/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      return { path: './errors.js', external: true };
    });
    if (alsoDns) b.onResolve({ filter: /^\.\/entry\/dns\.js$/ }, () => ({ path: './dns.js', external: true }));
  },
});

await build({ ...common, entryPoints: [{ out: 'errors', in: src('errors.js') }] });
// One file, without keepNames: its __name() call per function cost about 1.5 ms of the import, and
// no class of the DNS code is renamed (NetlabError, whose name shows, is in errors.js, built with it).
// Splitting it into chunks (the lazily loaded engines apart) was measured slower: each extra
// file costs more than parsing what it would defer.
await build({ ...common, keepNames: false, entryPoints: [{ out: 'dns', in: src('entry/dns.js') }], plugins: [shared(false)] });
await build({
  ...common,
  entryPoints: [
    { out: 'index', in: src('index.js') },
    ...['tls', 'http', 'lb', 'zone', 'lab', 'check'].map((n) => ({ out: n, in: src(`entry/${n}.js`) })),
  ],
  splitting: true,
  // beside the entries, so that './errors.js' and './dns.js' resolve from every file
  chunkNames: '[name]-[hash]',
  plugins: [shared(true)],
});
