/**
 * Trust anchors. Node 20's tls.rootCertificates is Node's own copy of Mozilla's list, not the
 * operating system's store, so look for the OS bundle first (where update-ca-certificates
 * and its peers write it) and fall back to Node's list, saying which was used.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { NetlabError } from '../../errors.js';
import { parsePemBundle } from './certs.js';

/** Where the common distributions keep the system CA bundle. */
export const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Arch, Gentoo
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/ssl/cert.pem', // Alpine, macOS, BSDs
];

export interface TrustStore {
  anchors: X509Certificate[];
  /** Where they came from: file paths, or "node:tls.rootCertificates". */
  sources: string[];
}

export interface TrustOptions {
  /** Extra anchors (PEM files); they add to the system roots unless `systemRoots` is false. */
  caFiles?: string[];
  systemRoots?: boolean;
  /** Candidate system bundles, for tests. */
  bundles?: string[];
}

function readPemFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new NetlabError('INPUT', `cannot read CA file '${path}': ${code === 'ENOENT' ? 'no such file' : code ?? 'unreadable'}`, { cause: e });
  }
}

/** Load the trust anchors. Throws INPUT for an unreadable or certificate-free --ca file. */
export function loadTrustStore(options: TrustOptions = {}): TrustStore {
  const anchors: X509Certificate[] = [];
  const sources: string[] = [];
  if (options.systemRoots !== false) {
    let found = false;
    for (const path of options.bundles ?? SYSTEM_BUNDLES) {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        continue;
      }
      const certs = parsePemBundle(text, path);
      if (certs.length === 0) continue;
      anchors.push(...certs);
      sources.push(path);
      found = true;
      break;
    }
    if (!found) {
      anchors.push(...tls.rootCertificates.map((pem) => new X509Certificate(pem)));
      sources.push('node:tls.rootCertificates');
    }
  }
  for (const file of options.caFiles ?? []) {
    const certs = parsePemBundle(readPemFile(file), file);
    if (certs.length === 0) throw new NetlabError('INPUT', `CA file '${file}' holds no PEM certificate`);
    anchors.push(...certs);
    sources.push(file);
  }
  return { anchors, sources };
}
