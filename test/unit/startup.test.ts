/**
 * Startup stays near bare Node: src/cli.ts imports only commander and errors.ts statically;
 * ora, cli-table3, @peculiar and yaml load inside the subcommand that needs them.
 * A structural check (what is imported), not a timing one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function staticImports(file: string): string[] {
  const text = readFileSync(`${root}${file}`, 'utf8');
  // type-only imports vanish at compile time
  return [...text.matchAll(/^import\s(?!type\s)[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

test('src/cli.ts statically imports only node builtins, errors.ts, util/printable.ts and the registry (whose commands load lazily)', () => {
  for (const spec of staticImports('src/cli.ts')) {
    assert.ok(spec.startsWith('node:') || spec === './errors.js' || spec === './util/printable.js' || spec === './commands/registry.js', `cli.ts imports ${spec} at startup`);
  }
  assert.deepEqual(staticImports('src/errors.ts'), []);
  assert.deepEqual(staticImports('src/util/printable.ts'), []);
  assert.deepEqual(staticImports('src/commands/registry.ts'), []);
});

test('netlab --version loads none of ora, cli-table3, @peculiar, yaml', () => {
  const spy = `import { createRequire } from 'node:module';
const require = createRequire('${root}package.json');
process.on('exit', () => {
  const heavy = Object.keys(require.cache).filter((k) => /node_modules\\/(ora|cli-table3|@peculiar|yaml)\\//.test(k));
  const seen = Object.keys(require.cache).filter((k) => k.includes('node_modules'));
  process.stderr.write('HEAVY=' + JSON.stringify(heavy) + ' SEEN=' + JSON.stringify(seen));
});`;
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(spy)}`, `${root}bin/netlab.js`, '--version'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /HEAVY=\[\]/);
  // the spy does see packages as they load (commander, for a subcommand's --help), so the check can fail
  const h = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(spy)}`, `${root}bin/netlab.js`, 'cert-check', '--help'], { encoding: 'utf8', timeout: 20_000 });
  assert.match(h.stderr, /SEEN=\[.*commander/);
  const top = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(spy)}`, `${root}bin/netlab.js`, '--help'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(top.status, 0, top.stderr);
  assert.match(top.stderr, /HEAVY=\[\]/);
});

// issue 10.1: `import 'netlab'` loaded undici (and so took ~88 ms) for a DNS-only user
// issue 10 (measured): `import 'netlab/dns'` added ~39 ms to bare Node: the entries are bundled
// (dist/lib) and node:net, node:dgram and node:crypto load on the first query, not on import
test("import 'netlab' and 'netlab/dns' (as package.json exports them) load no package and none of node:net, node:dgram, node:crypto; 'netlab/http' loads no package either (its HTTP/1.1 is netlab's own), 'netlab/lab' does load @peculiar/x509", () => {
  const probe = (entry: string) => {
    // by the package's own name: Node resolves it through package.json "exports" (self-reference)
    const code = `import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(`${root}package.json`)});
const resolved = import.meta.resolve(${JSON.stringify(entry)});
const before = new Set(process.moduleLoadList); // the probe's own node:module is not the entry's
await import(${JSON.stringify(entry)});
// read before process.stdout, which loads node:net when it is a pipe
const seen = JSON.stringify({ resolved, packages: Object.keys(require.cache).filter((k) => k.includes('node_modules')),
  builtins: process.moduleLoadList.filter((m) => !before.has(m) && /^NativeModule (net|dgram|crypto|module|fs[/]promises|stream)$/.test(m)) });
process.stdout.write(seen);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { resolved: string; packages: string[]; builtins: string[] };
  };
  for (const entry of ['netlab', 'netlab/dns', 'netlab/zone']) {
    const seen = probe(entry);
    assert.match(seen.resolved, /\/dist\/lib\/[a-z]+\.js$/, `${entry} resolves to the bundle`);
    assert.deepEqual(seen.packages, [], `${entry} loads no package`);
    // issue 10 (measured): nor node:module (createRequire) nor, through node:fs's ESM facade, node:fs/promises and node:stream
    if (entry !== 'netlab/zone') assert.deepEqual(seen.builtins, [], `${entry} loads none of node:net, node:dgram, node:crypto, node:module, node:fs/promises, node:stream`);
  }
  // the probe does see a package and the built-ins when they load, so the checks above can fail
  const http = probe('netlab/http');
  assert.deepEqual(http.packages, [], 'netlab/http loads no package');
  assert.ok(http.builtins.includes('NativeModule net'), JSON.stringify(http.builtins));
  const lab = probe('netlab/lab');
  assert.ok(lab.packages.some((k) => k.includes('/@peculiar/x509/')), JSON.stringify(lab.packages));
});

// the entries are bundled apart (netlab/dns in one file, the others in shared chunks): the error
// class and the DNS code must still be one, whichever entry a program imports them from
test("one NetlabError across the bundled entries, and 'netlab' re-exports netlab/dns's own functions", () => {
  const code = `const [a, dns, check] = await Promise.all([import('netlab'), import('netlab/dns'), import('netlab/check')]);
let thrown;
try { await check.loadChecks('checks: 7', 'x.yml'); } catch (e) { thrown = e; }
process.stdout.write(JSON.stringify({ same: a.NetlabError === dns.NetlabError, lookup: a.lookup === dns.lookup,
  fromCheck: thrown instanceof a.NetlabError && thrown instanceof dns.NetlabError, code: thrown?.code }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { same: true, lookup: true, fromCheck: true, code: 'INPUT' });
  // `import 'netlab'` reads three files: itself, the DNS bundle and the errors (about 1.5 ms of
  // Node 20's loader each); the other engines are imported on their first call
  const index = readFileSync(`${root}dist/lib/index.js`, 'utf8');
  const statics = [...new Set([...index.matchAll(/^\s*(?:import|export)\b[^;]*?from\s*"([^"]+)"/gm)].map((m) => m[1]))].sort();
  assert.deepEqual(statics, ['./dns.js', './errors.js']);
  const lazy = [...new Set([...index.matchAll(/import\("([^"]+)"\)/g)].map((m) => m[1]))].sort();
  assert.deepEqual(lazy, ['./check.js', './http.js', './lab.js', './lb.js', './tls.js', './zone.js']);
});

// issue 10 (measured): a plain query (lookup, `netlab dig NAME`) does not load the engines that
// only +nssearch, +zone-check, a zone transfer or +validate need; they are imported when asked
test('lookup.ts and the dig renderer load +nssearch, +zone-check, zone transfers and the DNSSEC checks only when asked', () => {
  const lazy = /(^|\/)(nssearch|zone-check|xfr|delegation|dnssec\/(validate|crypto|canonical|fetch|nsec|anchors))\.js$/;
  for (const file of ['src/protocol/dns/lookup.ts', 'src/protocol/dns/transport.ts', 'src/commands/dig/render.ts', 'src/commands/dig/render-validation.ts', 'src/commands/dig/run.ts']) {
    for (const spec of staticImports(file)) assert.doesNotMatch(spec, lazy, `${file} imports ${spec} at startup`);
  }
  // the check sees such imports: +nssearch's engine imports the delegation helpers statically
  assert.ok(staticImports('src/protocol/dns/nssearch.ts').some((spec) => lazy.test(spec)));
});

// issue 14 (measured): tsc's output made `netlab dig` read 37 module files (about 1.2 ms each);
// bin/netlab.js runs the bundled CLI (dist/cli, one file per subcommand) when a build made it
test('bin/netlab.js runs the bundled CLI (dist/cli) when it is at least as new as tsc\'s output, else dist/src', (t) => {
  const mtime = (p: string) => statSync(`${root}${p}`, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const bundled = mtime('dist/cli/cli.js');
  const fresh = bundled > 0 && bundled >= Math.max(mtime('dist/src/cli.js'), mtime('dist/.tsbuildinfo'));
  // the stack of a usage error (NETLAB_DEBUG=1) names the file that threw it
  const r = spawnSync(process.execPath, [`${root}bin/netlab.js`, 'dig', '+no-such-option'], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, NETLAB_DEBUG: '1' } });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /^netlab dig: unknown option '\+no-such-option'/);
  if (!fresh) t.diagnostic('dist/cli is absent or older than tsc\'s output (a build without scripts/bundle.mjs): dist/src runs');
  assert.match(r.stderr, fresh ? /at .*\/dist\/cli\/commands\/dig\/index\.js:\d+/ : /at .*\/dist\/src\/commands\/dig\/options\.js:\d+/);
});
