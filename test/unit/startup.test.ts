/**
 * Startup stays near bare Node: src/cli.ts imports only commander and errors.ts statically;
 * dns-packet, undici, ora and cli-table3 load inside the subcommand that needs them.
 * A structural check (what is imported), not a timing one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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

test('netlab --version loads none of undici, ora, cli-table3, @peculiar', () => {
  const spy = `import { createRequire } from 'node:module';
const require = createRequire('${root}package.json');
process.on('exit', () => {
  const heavy = Object.keys(require.cache).filter((k) => /node_modules\\/(undici|ora|cli-table3|@peculiar)\\//.test(k));
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
test("import 'netlab' and 'netlab/dns' load no package at all; 'netlab/http' does load undici", () => {
  const probe = (entry: string) => {
    const code = `import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(`${root}package.json`)});
await import(${JSON.stringify(`${root}dist/src/${entry}`)});
process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((k) => k.includes('node_modules'))));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as string[];
  };
  assert.deepEqual(probe('index.js'), []);
  assert.deepEqual(probe('entry/dns.js'), []);
  assert.deepEqual(probe('entry/zone.js'), []);
  // the probe does see a package when one loads, so the checks above can fail
  assert.ok(probe('entry/http.js').some((k) => k.includes('/undici/')));
});
