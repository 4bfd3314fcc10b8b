/**
 * The lab's HTTPS part for cert-check: one TLS server per certificate case, each on its own
 * loopback address (127.54.0.x) and all on one port, as the DNS lab does on 127.53.0.x. The
 * PKI is generated at start; the lab root is also written to a temporary file for `--ca`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLabPki, type LabKeySource, type LabPki } from './ca.js';
import { LAB_TLS_CASES, LAB_TLS_SERVERNAME, type CertNoteCode, type CertProblemCode, type ExpectedStatus, type LabServerSettings, type TlsCaseName, type TlsCaseSpec } from './cases.js';
import { LabTlsServer } from './server.js';
import { LabRepository, type LabRepositoryUrls, type LabRevoked } from './ocsp-responder.js';
import { startOnCommonPort } from '../common-port.js';

export { LAB_TLS_ADDRESSES, LAB_TLS_SERVERNAME, type CertProblemCode, type ExpectedStatus, type TlsCaseName } from './cases.js';

export interface TlsLabOptions {
  /** 0 (default): a free port, the same on every address. */
  port?: number;
  /** Issue from this PKI instead of a new one, so that one lab root signs every lab server. */
  pki?: LabPki;
  /** Without `pki`: where the new PKI's RSA key pairs come from (default: made fresh). */
  keySource?: LabKeySource;
  /** issue 11: the PKI repository's HTTP port (OCSP, CRL, caIssuers); 0 (default): a free port. */
  repositoryPort?: number;
}

export interface TlsLabCase {
  name: TlsCaseName;
  address: string;
  port: number;
  /** The SNI name and the host to check: www.example.test for every case. */
  servername: string;
  description: string;
  /** What cert-check gives with `--ca caFile` and the default warn/crit days. */
  expectedStatus: ExpectedStatus;
  /** Exactly the problem codes it reports, in no particular order. */
  expectedCodes: CertProblemCode[];
  /** Exactly the notes it gives (CLIENT_CERT_REQUIRED, ...), in no particular order. */
  expectedNotes: CertNoteCode[];
  /** How its server speaks TLS when not as the others: a required client certificate, TLS versions; {} otherwise. */
  server: LabServerSettings;
  /** issue 11: what it gives instead with `--ocsp`, `--crl` or `--fetch-missing` alone, when that changes anything. */
  whenAsked?: TlsCaseSpec['whenAsked'];
}

export interface TlsLab {
  port: number;
  cases: TlsLabCase[];
  /** "netlab Lab Root CA", PEM: the anchor for every case but untrusted-root and self-signed. */
  rootPem: string;
  /** "netlab Lab Intermediate CA", PEM: the issuer of the lab's ECDSA-signed leaves. */
  intermediatePem: string;
  /** "netlab Lab RSA Intermediate CA", PEM: the issuer of the sha1 case's leaf. */
  rsaIntermediatePem: string;
  /** "netlab Untrusted Root", PEM: in no trust store. */
  untrustedRootPem: string;
  /** rootPem written to a temporary file (for `--ca`); removed by close(). */
  caFile: string;
  /** Per case, the PEM chain exactly as that server sends it, leaf first. */
  bundles: Record<TlsCaseName, string>;
  /** The DER OCSP response each stapling case sends (ocsp-good, ocsp-revoked). */
  staples: Partial<Record<TlsCaseName, Buffer>>;
  /** The instant all validity periods were computed from. */
  issuedAt: Date;
  /** The CAs that issued every case (given in the options, or made at start). */
  pki: LabPki;
  /**
   * issue 11: the lab's PKI repository, plain HTTP on its own loopback address: the OCSP
   * responder, the CRL and the caIssuers files the revocation-* and aia-* cases point at.
   */
  repository: { address: string; port: number; urls: LabRepositoryUrls };
  close(): Promise<void>;
}

/**
 * Generate the lab PKI (unless one is given) and start every TLS case. With port 0, retries
 * until one port is free on all addresses. Throws the last listen error when that fails (or at once for a fixed port).
 */
export async function startTlsLab(options: TlsLabOptions = {}): Promise<TlsLab> {
  const pki = options.pki ?? (await createLabPki(new Date(), options.keySource));
  // issue 11: the repository first, so that the certificates can carry its URLs (its port is chosen now)
  const repository = new LabRepository({ port: options.repositoryPort ?? 0 });
  await repository.start();
  let issued: Awaited<ReturnType<TlsCaseSpec['issue']>>[];
  try {
    issued = await Promise.all(LAB_TLS_CASES.map((c) => c.issue(pki, repository.urls)));
    const revoked: LabRevoked[] = issued.flatMap((s) => (s.revoked ? [{ cert: s.certs[0]!, ...s.revoked }] : []));
    await repository.setContent({ ca: pki.intermediate, root: pki.root, revoked, issuedAt: pki.issuedAt });
  } catch (e) {
    await repository.close();
    throw e;
  }
  const bundles = {} as Record<TlsCaseName, string>;
  const staples: Partial<Record<TlsCaseName, Buffer>> = {};
  LAB_TLS_CASES.forEach((c, i) => {
    bundles[c.name] = issued[i]!.certs.map((cert) => cert.certPem).join('');
    if (issued[i]!.ocspResponse) staples[c.name] = issued[i]!.ocspResponse;
  });

  let servers: LabTlsServer[];
  try {
    servers = await startOnCommonPort(options.port ?? 0, LAB_TLS_CASES.map((c, i) => (port: number) => new LabTlsServer({
      address: c.address,
      port,
      certChainPem: bundles[c.name],
      keyPem: issued[i]!.certs[0]!.keyPem,
      // Only where needed: OpenSSL 3.0 refuses to load a SHA-1 signed chain at its default
      // security level 1 ("ca md too weak") and an RSA 1024 key at level 2 ("ee key too
      // small"), the default of builds that use the distribution's openssl.cnf; and OpenSSL 3
      // negotiates TLS 1.0 and 1.1 at security level 0 only (their MD5/SHA-1 handshake).
      ciphers: c.weak || c.server?.minVersion === 'TLSv1' || c.server?.minVersion === 'TLSv1.1' ? 'DEFAULT:@SECLEVEL=0' : undefined,
      body: `netlab lab TLS case ${c.name}: ${c.description}`,
      ...(issued[i]!.ocspResponse ? { ocspResponse: issued[i]!.ocspResponse } : {}),
      ...(c.server?.requireClientCert ? { requireClientCertFrom: pki.root.certPem } : {}),
      ...(c.server?.minVersion ? { minVersion: c.server.minVersion } : {}),
      ...(c.server?.maxVersion ? { maxVersion: c.server.maxVersion } : {}),
    })));
  } catch (e) {
    await repository.close();
    throw e;
  }
  const running: Array<{ close(): Promise<void> }> = [...servers, repository];
  const port = servers[0]!.port;

  let dir: string;
  try {
    dir = await mkdtemp(path.join(os.tmpdir(), 'netlab-tls-'));
    await writeFile(path.join(dir, 'lab-root.pem'), pki.root.certPem);
  } catch (e) {
    await Promise.all(running.map((s) => s.close()));
    throw e;
  }

  return {
    port,
    cases: LAB_TLS_CASES.map((c) => ({
      name: c.name,
      address: c.address,
      port,
      servername: LAB_TLS_SERVERNAME,
      description: c.description,
      expectedStatus: c.expectedStatus,
      expectedCodes: [...c.expectedCodes],
      expectedNotes: [...(c.expectedNotes ?? [])],
      server: { ...c.server },
      ...(c.whenAsked ? { whenAsked: c.whenAsked } : {}),
    })),
    rootPem: pki.root.certPem,
    intermediatePem: pki.intermediate.certPem,
    rsaIntermediatePem: pki.rsaIntermediate.certPem,
    untrustedRootPem: pki.untrustedRoot.certPem,
    caFile: path.join(dir, 'lab-root.pem'),
    bundles,
    staples,
    issuedAt: pki.issuedAt,
    pki,
    repository: { address: repository.address, port: repository.port, urls: repository.urls },
    close: async () => {
      await Promise.all(running.map((s) => s.close()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
