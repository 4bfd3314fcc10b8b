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
// Packages (@peculiar/*, yaml, commander, cli-table3, ora) stay external and load only where they did.
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
// `netlab` alone, one file beside dns.js and errors.js: the engines it loads on their first call
// are the entry files built below. Not in their split build: it gave the entry a third file to
// load (esbuild's __name helper, a chunk of its own), each file about 1.5 ms of Node 20's loader.
await build({
  ...common,
  keepNames: false,
  entryPoints: [{ out: 'index', in: src('index.js') }],
  plugins: [shared(true), {
    name: 'netlab-lazy-entries',
    setup(b) {
      b.onResolve({ filter: /^\.\/entry\/(tls|http|lb|zone|lab|check)\.js$/ }, (args) => ({ path: `./${args.path.slice('./entry/'.length)}`, external: true }));
    },
  }],
});
await build({
  ...common,
  entryPoints: ['tls', 'http', 'lb', 'zone', 'lab', 'check'].map((n) => ({ out: n, in: src(`entry/${n}.js`) })),
  splitting: true,
  // beside the entries, so that './errors.js' and './dns.js' resolve from every file
  chunkNames: '[name]-[hash]',
  plugins: [shared(true)],
});

// --- The CLI (bin/netlab.js runs dist/cli/cli.js when it is at least as new as tsc's output) ---
// tsc's output loads one file per module: `netlab dig` read 37 of them, about 1.2 ms each in
// Node 20's ESM loader. Here each subcommand is one file, and what the command line and every
// subcommand share stays one copy (NetlabError and HelpRequested are tested with instanceof
// across them; the registry's loaders name the subcommands' files):
//
//   dist/cli/cli.js                    the command line (src/cli.ts, the registry, printable)
//   dist/cli/errors.js                 src/errors.ts
//   dist/cli/commands/command.js       src/commands/command.ts (parseArgv, HelpRequested)
//   dist/cli/commands/NAME/index.js    a subcommand with what it loads (its lazy parts in files
//                                      beside it when they import a package: see below)
//
// The files sit where tsc's entry files sit under dist/src, so that a path made from
// import.meta.url (package.json, the demo's examples/) names the same file. Packages stay
// external. Measured (netlab dig's modules, CPU to import): 51 ms as 37 files, 24 ms as one.
const { relative } = await import('node:path');
const cliOut = new URL('dist/cli/', root).pathname;
rmSync(cliOut, { recursive: true, force: true });
const srcDir = src('');
const COMMAND_DIRS = ['dig', 'cert-check', 'trace-request', 'lb-probe', 'hosts2zone', 'check', 'exporter', 'lab', 'demo'];
/** The files shared by the bundles, by their path under dist/src. */
const SHARED_CLI = new Set(['errors.js', 'commands/command.js', ...COMMAND_DIRS.map((c) => `commands/${c}/index.js`)]);
// The paths to the shared files are the same from every file of one folder depth (`from`: a
// folder of that depth). A subcommand is one file unless that would load something heavy before
// it is needed: esbuild hoists the static imports of what a lazily imported module imports to
// the top of the file, so a package or a heavy built-in (@peculiar/*, node:tls, cli-table3)
// imported by, say, the subcommand's run.ts would load for `--help` too. Such a subcommand is
// built again with splitting: its lazy modules become files of their own beside index.js.
// (`netlab dig` stays one file: only node:fs and node:events are imported statically.)
const LIGHT_BUILTINS = new Set(['node:fs', 'node:events', 'node:path', 'node:url', 'node:os', 'node:util', 'node:stream', 'node:timers/promises', 'node:buffer', 'node:process']);
// Without keepNames: it wraps every function, closures included, in a __name() call
// (Object.defineProperty) each time the function is made, so every probe's callbacks in
// lb-probe, check and the exporter paid it (about 1 % of lb-probe's CPU in a profile of 6,000
// probes). The CLI names no function or class by its .name: its error classes set `name`
// themselves, and it prints one line per error, never a stack.
const cliBundle = ([entries, from, outdir = cliOut, split = false]) => build({
  ...common,
  keepNames: false,
  entryPoints: entries.map((e) => ({ out: relative(outdir, `${cliOut}${e}`).replace(/\.js$/, ''), in: src(e) })),
  outdir,
  metafile: true,
  ...(split ? { splitting: true, chunkNames: '[name]-[hash]' } : {}),
  plugins: [{
    name: 'netlab-cli-shared',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        const target = relative(srcDir, new URL(args.path, `file://${args.resolveDir}/`).pathname);
        if (!SHARED_CLI.has(target)) return undefined;
        const path = relative(from, `${cliOut}${target}`);
        return { path: path.startsWith('.') ? path : `./${path}`, external: true };
      });
    },
  }],
});
/** What the bundle imports statically that is neither one of its own files nor a light built-in. */
const heavyImports = (result) => Object.values(result.metafile.outputs).flatMap((o) => o.imports)
  .filter((i) => i.kind === 'import-statement' && i.external && !i.path.startsWith('.') && !LIGHT_BUILTINS.has(i.path)).map((i) => i.path);
await Promise.all([
  cliBundle([['cli.js', 'errors.js'], cliOut]),
  cliBundle([['commands/command.js'], `${cliOut}commands`]),
  ...COMMAND_DIRS.map(async (c) => {
    const group = [[`commands/${c}/index.js`], `${cliOut}commands/any`, `${cliOut}commands/${c}`];
    const one = await cliBundle(group);
    if (heavyImports(one).length === 0) return;
    rmSync(group[2], { recursive: true, force: true });
    await cliBundle([...group, true]);
  }),
]);
