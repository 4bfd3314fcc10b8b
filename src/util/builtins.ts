/**
 * Node built-in modules that only a query or a connection needs, loaded on first use rather than
 * when a library entry is imported: node:net, node:dgram and node:crypto together cost about
 * 10 ms of `import 'netlab/dns'` on a slow machine, and a program that imports netlab may never
 * send a packet. Each loader caches the module (Node caches it too).
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

let netModule: typeof import('node:net') | undefined;
let dgramModule: typeof import('node:dgram') | undefined;
let cryptoModule: typeof import('node:crypto') | undefined;

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
