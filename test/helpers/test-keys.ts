/**
 * issue 10: RSA key pairs for the labs the tests start, made once per machine instead of once
 * per lab. A lab makes three RSA 2048 keys and one RSA 1024 (100-300 ms of CPU each for 2048),
 * and `npm test` starts a lab in some twenty processes. The pairs are kept in the temporary
 * directory (mode 0600, named after the user; never in the repository) and read back by every
 * test process; a file that is missing, not ours or unreadable is replaced by fresh pairs.
 * Everything else of the lab (its CAs, certificates, dates) is still made fresh by each lab,
 * and `netlab lab` itself always makes fresh keys.
 */
import { webcrypto } from 'node:crypto';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateKeyPair, type LabKeySource } from '../../src/lab/tls/ca.js';

type RsaKeyType = 'rsa-2048' | 'rsa-1024';
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** How many pairs of each size the file keeps: more than one lab takes (3 and 1), so that successive labs in one process get other pairs. */
const POOL: Record<RsaKeyType, number> = { 'rsa-2048': 8, 'rsa-1024': 4 };
const FILE = path.join(tmpdir(), `netlab-test-rsa-keys-v1-${process.getuid?.() ?? 'user'}.json`);
const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

interface StoredPair { pkcs8: string; spki: string }
type Stored = Record<RsaKeyType, StoredPair[]>;

async function importPair(p: StoredPair): Promise<CryptoKeyPair> {
  const [privateKey, publicKey] = await Promise.all([
    webcrypto.subtle.importKey('pkcs8', Buffer.from(p.pkcs8, 'base64'), ALGORITHM, true, ['sign']),
    webcrypto.subtle.importKey('spki', Buffer.from(p.spki, 'base64'), ALGORITHM, true, ['verify']),
  ]);
  return { privateKey, publicKey };
}

async function exportPair(k: CryptoKeyPair): Promise<StoredPair> {
  const [pkcs8, spki] = await Promise.all([webcrypto.subtle.exportKey('pkcs8', k.privateKey), webcrypto.subtle.exportKey('spki', k.publicKey)]);
  return { pkcs8: Buffer.from(pkcs8).toString('base64'), spki: Buffer.from(spki).toString('base64') };
}

function readStored(): Stored | undefined {
  try {
    if (typeof process.getuid === 'function' && statSync(FILE).uid !== process.getuid()) return undefined;
    const s = JSON.parse(readFileSync(FILE, 'utf8')) as Stored;
    for (const t of Object.keys(POOL) as RsaKeyType[]) if (!Array.isArray(s[t]) || s[t].length !== POOL[t]) return undefined;
    return s;
  } catch {
    return undefined;
  }
}

async function makeStored(): Promise<Stored> {
  const make = (t: RsaKeyType) => Promise.all(Array.from({ length: POOL[t] }, async () => exportPair(await generateKeyPair(t))));
  const s: Stored = { 'rsa-2048': await make('rsa-2048'), 'rsa-1024': await make('rsa-1024') };
  // written whole then renamed, so a test process running at the same time reads all or nothing
  const tmp = `${FILE}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(s), { mode: 0o600 });
  renameSync(tmp, FILE);
  return s;
}

let pairs: Promise<Record<RsaKeyType, CryptoKeyPair[]>> | undefined;
const next: Record<RsaKeyType, number> = { 'rsa-2048': 0, 'rsa-1024': 0 };

/**
 * A key source for startLab / startTlsLab / createLabPki. Each call of the source gives the next
 * pair of the file (distinct within a lab, which takes fewer than the file keeps), in turn over
 * the labs of this process.
 */
export function testKeySource(): LabKeySource {
  pairs ??= (async () => {
    const s = readStored() ?? (await makeStored());
    return { 'rsa-2048': await Promise.all(s['rsa-2048'].map(importPair)), 'rsa-1024': await Promise.all(s['rsa-1024'].map(importPair)) };
  })();
  const taken: Record<RsaKeyType, number> = { 'rsa-2048': 0, 'rsa-1024': 0 };
  return async (keyType) => {
    const pool = (await pairs!)[keyType];
    // a lab that takes more pairs than the file keeps gets fresh ones, never one it already has
    if (++taken[keyType] > pool.length) return generateKeyPair(keyType);
    return pool[next[keyType]++ % pool.length]!;
  };
}
