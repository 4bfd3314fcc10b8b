#!/usr/bin/env node
// Tiny launcher: everything lives in the compiled CLI.
import module from 'node:module';
module.enableCompileCache?.();
await import('../dist/src/cli.js');
