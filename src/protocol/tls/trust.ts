/**
 * Trust anchors. Node 20's tls.rootCertificates is Node's own copy of Mozilla's list, not the
 * operating system's store, so look for the OS bundle first (where update-ca-certificates
 * and its peers write it) and fall back to Node's list, saying which was used.
 */
import { readFileSync } from 'node:fs';
import { FILE_LIMITS, readFileBounded } from '../../util/read-bounded.js';
import { createHash, X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { cannotRead, NetlabError } from '../../errors.js';
import { canonicalNameKey, namesOf, parsePemBundle, pemBlocks } from './certs.js';

/** Where the common distributions keep the system CA bundle. */
export const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Arch, Gentoo
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/ssl/cert.pem', // Alpine, macOS, BSDs
];

interface AnchorEntry {
  der: Buffer;
  /** The subject Name in canonicalNameKey form; undefined when it could not be read. */
  subject: string | undefined;
  cert?: X509Certificate;
}

/**
 * Per certificate object, while it lives: its DER's SHA-256 (hex) and its issuer name's
 * canonical key (undefined when the name cannot be read). A probe asks them of the same
 * objects again and again (connect.ts keeps the certificates it parsed).
 */
const shaOfObject = new WeakMap<X509Certificate, string>();
const issuerKeyOfObject = new WeakMap<X509Certificate, string | undefined>();

function sha256Of(c: X509Certificate): string {
  let sha = shaOfObject.get(c);
  if (sha === undefined) {
    sha = createHash('sha256').update(c.raw).digest('hex');
    shaOfObject.set(c, sha);
  }
  return sha;
}

function issuerKeyOf(c: X509Certificate): string | undefined {
  if (issuerKeyOfObject.has(c)) return issuerKeyOfObject.get(c);
  const names = namesOf(c.raw);
  const key = names ? canonicalNameKey(names.issuer) : undefined;
  issuerKeyOfObject.set(c, key);
  return key;
}

/**
 * Trust anchors, parsed only when needed. Parsing the ~150 certificates of a system bundle
 * into X509Certificate objects costs ~17 ms, most of a check; a chain needs one or two of them.
 * So the bundle is kept as DER with each subject Name in canonical form (canonicalNameKey, as
 * OpenSSL compares names), and an anchor is parsed when its subject is the issuer a
 * certificate names. A name that cannot be read that way, on either side, makes every anchor
 * a candidate (parsed once): slower, never a wrong "untrusted".
 */
export class AnchorSet {
  private readonly entries: AnchorEntry[] = [];
  private readonly bySha = new Set<string>();
  private readonly systemSha = new Set<string>();
  private allParsed = false;

  /** Anchors from certificates already parsed (a caller's list). */
  static of(certs: X509Certificate[]): AnchorSet {
    const set = new AnchorSet();
    for (const c of certs) set.add(c.raw, c);
    return set;
  }

  /** How many anchors (each certificate once). */
  get size(): number {
    return this.entries.length;
  }

  /** Add an anchor by its DER (and the parsed certificate when the caller has it); a certificate already there is not added again. */
  add(der: Buffer, cert?: X509Certificate, system = false): void {
    const sha256 = createHash('sha256').update(der).digest('hex');
    if (system) this.systemSha.add(sha256);
    if (this.bySha.has(sha256)) return;
    this.bySha.add(sha256);
    const names = namesOf(der);
    this.entries.push({ der, subject: names ? canonicalNameKey(names.subject) : undefined, ...(cert ? { cert } : {}) });
  }

  /** Whether this very certificate is an anchor. */
  has(c: X509Certificate): boolean {
    return this.bySha.has(sha256Of(c));
  }

  /** Whether this very certificate is an anchor of the system's CA bundle (a publicly trusted root). */
  isSystem(c: X509Certificate): boolean {
    return this.systemSha.has(sha256Of(c));
  }

  /** The anchors that may have issued `c`: those whose subject is its issuer (see the class). */
  issuersOf(c: X509Certificate): X509Certificate[] {
    const issuer = issuerKeyOf(c);
    if (issuer === undefined) return this.all();
    return this.entries
      .filter((e) => e.subject === issuer || e.subject === undefined)
      .map((e) => this.parse(e))
      .filter((x): x is X509Certificate => x !== undefined);
  }

  /** Every anchor, parsed (those that do not parse are left out). */
  all(): X509Certificate[] {
    if (!this.allParsed) {
      for (const e of this.entries) this.parse(e);
      this.allParsed = true;
    }
    return this.entries.flatMap((e) => (e.cert ? [e.cert] : []));
  }

  private parse(e: AnchorEntry): X509Certificate | undefined {
    if (!e.cert) {
      try {
        e.cert = new X509Certificate(e.der);
      } catch {
        return undefined;
      }
    }
    return e.cert;
  }
}

/** Trust anchors and where they came from, as {@link loadTrustStore} makes them. */
export interface TrustStore {
  anchors: AnchorSet;
  /** Where they came from: file paths, or "node:tls.rootCertificates". */
  sources: string[];
}

/** CA certificates as PEM text, and what to call them (a file name) in the trust sources and in errors. */
export interface CaPem {
  pem: string;
  source: string;
}

/** Which trust anchors {@link loadTrustStore} loads. */
export interface TrustOptions {
  /** Extra anchors from PEM files (read here, at most 16 MiB each); they add to the system roots unless `systemRoots` is false. */
  caFiles?: string[];
  /** Extra anchors as PEM text (after the files); a bare string is named `CA text N` (N from 1). */
  caPems?: Array<string | CaPem>;
  /** Trust the system's CA bundle (default true). */
  systemRoots?: boolean;
  /** Candidate system bundles, for tests. */
  bundles?: string[];
}

function readPemFile(path: string): string {
  try {
    return readFileBounded(path, FILE_LIMITS.pem).toString('utf8');
  } catch (e) {
    throw cannotRead(path, e, 'CA file');
  }
}

/**
 * Load the trust anchors: the system bundle (kept unparsed until needed, see AnchorSet), then the
 * extra CA files and texts (parsed at once, so that a broken one is an error now). Throws
 * NetlabError INPUT for an unreadable CA file, or a CA file or text that holds no certificate or
 * one that does not parse.
 */
export function loadTrustStore(options: TrustOptions = {}): TrustStore {
  const anchors = new AnchorSet();
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
      const ders = pemBlocks(text);
      if (ders.length === 0) continue;
      for (const der of ders) anchors.add(der, undefined, true);
      sources.push(path);
      found = true;
      break;
    }
    if (!found) {
      for (const pem of tls.rootCertificates) for (const der of pemBlocks(pem)) anchors.add(der, undefined, true);
      sources.push('node:tls.rootCertificates');
    }
  }
  const add = (text: string, source: string, what: string): void => {
    const certs = parsePemBundle(text, source);
    if (certs.length === 0) throw new NetlabError('INPUT', `${what} holds no PEM certificate`);
    for (const c of certs) anchors.add(c.raw, c);
    sources.push(source);
  };
  for (const file of options.caFiles ?? []) add(readPemFile(file), file, `CA file '${file}'`);
  (options.caPems ?? []).forEach((ca, i) => {
    if (typeof ca === 'string') add(ca, `CA text ${i + 1}`, `CA text ${i + 1}`);
    else add(ca.pem, ca.source, `CA '${ca.source}'`);
  });
  return { anchors, sources };
}
