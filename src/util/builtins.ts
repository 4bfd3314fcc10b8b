/**
 * Node built-in modules that only a query or a connection needs, loaded on first use rather than
 * when a library entry is imported: node:net, node:dgram and node:crypto together cost about
 * 10 ms of `import 'netlab/dns'` on a slow machine, and a program that imports netlab may never
 * send a packet. Each loader caches the module (Node caches it too).
 */
// process.getBuiltinModule (Node >= 20.16; package.json asks >= 20.19) rather than
// createRequire: importing node:module also compiles its source-map support, about 1-2 ms.
const load = (id: 'node:net' | 'node:dgram' | 'node:crypto' | 'node:fs'): unknown => process.getBuiltinModule(id);

let netModule: typeof import('node:net') | undefined;
let dgramModule: typeof import('node:dgram') | undefined;
let cryptoModule: typeof import('node:crypto') | undefined;
let fsModule: typeof import('node:fs') | undefined;

/** node:net, loaded on the first call. */
export function nodeNet(): typeof import('node:net') {
  return (netModule ??= load('node:net') as typeof import('node:net'));
}

/** node:dgram, loaded on the first call. */
export function nodeDgram(): typeof import('node:dgram') {
  return (dgramModule ??= load('node:dgram') as typeof import('node:dgram'));
}

/** node:crypto, loaded on the first call. */
export function nodeCrypto(): typeof import('node:crypto') {
  return (cryptoModule ??= load('node:crypto') as typeof import('node:crypto'));
}

/**
 * node:fs, loaded on the first call: `import ... from 'node:fs'` in an ES module makes Node
 * build its ESM facade, whose export list reads `fs.promises` and so loads node:fs/promises and
 * the stream modules (about 3 ms of `import 'netlab/dns'` here).
 */
export function nodeFs(): typeof import('node:fs') {
  return (fsModule ??= load('node:fs') as typeof import('node:fs'));
}
