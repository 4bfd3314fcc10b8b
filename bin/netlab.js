#!/usr/bin/env node
// Tiny launcher: everything lives in the compiled CLI.
import module from 'node:module';
import { statSync } from 'node:fs';
module.enableCompileCache?.();
// The bundled CLI (scripts/bundle.mjs: one file per subcommand, much faster to load) when it
// is at least as new as tsc's output; tsc's own files after a build that did not bundle (an
// incremental tsc rewrites dist/.tsbuildinfo; a whole one dist/src/cli.js too).
const mtime = (path) => statSync(new URL(path, import.meta.url), { throwIfNoEntry: false })?.mtimeMs ?? 0;
const bundled = mtime('../dist/cli/cli.js');
await import(bundled > 0 && bundled >= Math.max(mtime('../dist/src/cli.js'), mtime('../dist/.tsbuildinfo')) ? '../dist/cli/cli.js' : '../dist/src/cli.js');
