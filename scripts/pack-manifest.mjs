// npm pack / publish: the packed package.json leaves out the `prepare` script. In a checkout,
// `prepare` builds dist/ on `npm ci`; in the tarball it is only noise: npm 11 warns that the
// package "has install scripts not yet covered by allowScripts" on every install of it.
// `strip` (prepack) keeps the file's bytes in package.json.orig and writes it without
// `prepare`; `restore` (postpack) puts the bytes back. A pack that died in between is mended
// by the next strip.
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const manifest = new URL('../package.json', import.meta.url);
const kept = new URL('../package.json.orig', import.meta.url);

const what = process.argv[2];
if (what === 'strip') {
  if (existsSync(kept)) renameSync(kept, manifest);
  copyFileSync(manifest, kept);
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  delete pkg.scripts.prepare;
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (what === 'restore') {
  if (existsSync(kept)) renameSync(kept, manifest);
} else {
  process.stderr.write('usage: node scripts/pack-manifest.mjs strip|restore\n');
  process.exit(2);
}
