/**
 * The lab's TLS cases: one server per certificate problem that cert-check reports, each on its
 * own loopback address, with the status and problem codes (shared/CONTRACT.md, cert-check)
 * that a correct checker gives for it when told to trust the lab root and to check
 * www.example.test with the default --warn-days 30 and --crit-days 7.
 */
import { PATH_CASE_ADDRESSES, PATH_CASE_ROWS, type PathCaseName } from './path-cases.js';
import { DAY_MS, LAB_CA_ISSUERS_URL, createSelfSignedLeaf, issueLeaf, issueOcspResponse, type LabCert, type LabPki, type LeafOptions, type OcspResponseOptions } from './ca.js';
import { UNSERVED_REPOSITORY, type LabRepositoryUrls, type LabRevoked } from './ocsp-responder.js';

/** The name every case is checked against (SNI and host check). */
export const LAB_TLS_SERVERNAME = 'www.example.test';

/** subjectAltName of every leaf but wrong-host's. */
const LAB_DNS_NAMES = [LAB_TLS_SERVERNAME, 'example.test'];

export type TlsCaseName =
  | 'good' | 'expired' | 'not-yet-valid' | 'wrong-host' | 'self-signed' | 'missing-intermediate' | 'wrong-order'
  | 'untrusted-root' | 'expiring-10d' | 'expiring-3d' | 'rsa1024' | 'sha1' | 'ecdsa' | 'ocsp-good' | 'ocsp-revoked'
  // issue 11: path building and validation (./path-cases.ts)
  | PathCaseName
  // issue 11, the connection: how the server speaks TLS, with a good chain
  | 'client-cert-tls12' | 'client-cert-tls13' | 'tls10'
  // issue 11: revocation beyond the staple, and AIA fetching (the lab repository, ocsp-responder.ts)
  | 'revocation-good' | 'revocation-revoked' | 'aia-missing-intermediate';

/** cert-check's problem codes (one list, in protocol/tls/chain.ts). */
import type { CertProblemCode } from '../../protocol/tls/chain.js';
import type { CertNoteCode } from '../../protocol/tls/chain.js';
export type { CertProblemCode, CertNoteCode };

/** How a case's server speaks TLS, when not as every other case (TLS 1.2 and 1.3, no client certificate). */
export interface LabServerSettings {
  /** Ask for a client certificate issued by the lab root, and end the handshake without one. */
  requireClientCert?: boolean;
  minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
}

export type ExpectedStatus = 'OK' | 'WARNING' | 'CRITICAL';

/** What a server sends: its chain, leaf first, in the order it goes on the wire. */
export interface ServedChain {
  /** certs[0] is the leaf; its key is the server's key. */
  certs: LabCert[];
  /** A DER OCSP response the server staples when a client asks (status_request). */
  ocspResponse?: Buffer;
  /** issue 11: the leaf is revoked: the lab repository's CRL and responder say so. */
  revoked?: Omit<LabRevoked, 'cert'>;
}

/** issue 11: what a correct checker gives for a case when asked to look beyond the chain sent. */
export interface ExpectedWhenAsked {
  expectedStatus: ExpectedStatus;
  expectedCodes: CertProblemCode[];
}

export interface TlsCaseSpec {
  name: TlsCaseName;
  address: string;
  description: string;
  expectedStatus: ExpectedStatus;
  /** Exactly the codes a correct checker reports, in no particular order. */
  expectedCodes: CertProblemCode[];
  /**
   * The chain holds what OpenSSL 3 refuses at security level 1 or 2 (a SHA-1 signature, an
   * RSA 1024 key): the server needs `@SECLEVEL=0` to load it, a client to accept it.
   */
  weak: boolean;
  /** How the server speaks TLS; absent: as every other case. */
  server?: LabServerSettings;
  /** The notes a correct checker gives (cert-check's CertNoteCode), in no particular order. */
  expectedNotes?: CertNoteCode[];
  /**
   * issue 11: what changes with `--ocsp`, `--crl` or `--fetch-missing` (each alone); absent
   * when nothing does.
   */
  whenAsked?: Partial<Record<'ocsp' | 'crl' | 'fetchMissing', ExpectedWhenAsked>>;
  /**
   * Issue this case's leaf from the lab's CAs. `repository`: the URLs of the lab's PKI
   * repository (OCSP, CRL, caIssuers) its leaf may point at; by default ones nothing serves.
   */
  issue(pki: LabPki, repository?: LabRepositoryUrls): Promise<ServedChain>;
}

type Validity = Pick<LeafOptions, 'notBefore' | 'notAfter'>;

function at(pki: LabPki, days: number, extraMs = 0): Date {
  return new Date(pki.issuedAt.getTime() + days * DAY_MS + extraMs);
}

/** Valid from a day ago for 90 days, the lifetime of an ACME certificate. */
function current(pki: LabPki): Validity {
  return { notBefore: at(pki, -1), notAfter: at(pki, 90) };
}

/**
 * A 90-day certificate with `days` left. One extra hour so that a checker that floors the
 * days left (as cert-check does) reads exactly `days` during the lab's first hour.
 */
function endingIn(pki: LabPki, days: number): Validity {
  const notAfter = at(pki, days, 3_600_000);
  return { notBefore: new Date(notAfter.getTime() - 90 * DAY_MS), notAfter };
}

/** A leaf of the trusted intermediate, for www.example.test unless told otherwise. */
function labLeaf(pki: LabPki, options: Partial<LeafOptions> = {}): Promise<LabCert> {
  return issueLeaf(pki.intermediate, {
    ...current(pki),
    dnsNames: LAB_DNS_NAMES,
    caIssuersUrl: LAB_CA_ISSUERS_URL.intermediate,
    keySource: pki.keySource,
    ...options,
  });
}

/** leaf + intermediate: what a correctly configured server sends (fullchain.pem). */
async function withIntermediate(pki: LabPki, leaf: Promise<LabCert>): Promise<ServedChain> {
  return { certs: [await leaf, pki.intermediate] };
}

/**
 * A good chain whose server staples an OCSP response from the intermediate about its leaf,
 * fresh (this update an hour ago, next update in 7 days, as CAs issue them).
 */
async function stapled(pki: LabPki, status: OcspResponseOptions['status']): Promise<ServedChain> {
  const leaf = await labLeaf(pki);
  const thisUpdate = at(pki, 0, -3_600_000);
  const ocspResponse = issueOcspResponse(pki.intermediate, leaf, {
    status,
    thisUpdate,
    nextUpdate: at(pki, 7),
    ...(status === 'revoked' ? { revokedAt: at(pki, -2), reason: 'keyCompromise' as const } : {}),
  });
  return { certs: [leaf, pki.intermediate], ocspResponse };
}

/** Loopback addresses of the TLS cases, one each, like the DNS lab's 127.53.0.x. */
export const LAB_TLS_ADDRESSES: Readonly<Record<TlsCaseName, string>> = {
  good: '127.54.0.1',
  expired: '127.54.0.2',
  'not-yet-valid': '127.54.0.3',
  'wrong-host': '127.54.0.4',
  'self-signed': '127.54.0.5',
  'missing-intermediate': '127.54.0.6',
  'wrong-order': '127.54.0.7',
  'untrusted-root': '127.54.0.8',
  'expiring-10d': '127.54.0.9',
  'expiring-3d': '127.54.0.10',
  rsa1024: '127.54.0.11',
  sha1: '127.54.0.12',
  ecdsa: '127.54.0.13',
  'ocsp-good': '127.54.0.14',
  'ocsp-revoked': '127.54.0.15',
  // issue 11: the path cases, on 127.54.1.x
  ...PATH_CASE_ADDRESSES,
  // issue 11, the connection side: from .40 on, away from the chain cases' numbers
  'client-cert-tls12': '127.54.0.40',
  'client-cert-tls13': '127.54.0.41',
  tls10: '127.54.0.42',
  // issue 11
  'revocation-good': '127.54.0.43',
  'revocation-revoked': '127.54.0.44',
  'aia-missing-intermediate': '127.54.0.45',
};

/** issue 11: a leaf that names the lab repository's responder, CRL and caIssuers URLs. */
function repositoryLeaf(pki: LabPki, repository: LabRepositoryUrls): Promise<LabCert> {
  return labLeaf(pki, { caIssuersUrl: repository.intermediate, ocspUrl: repository.ocsp, crlUrl: repository.crl });
}

type CaseRow = Omit<TlsCaseSpec, 'address' | 'weak'> & { weak?: boolean };

const ROWS: CaseRow[] = [
  {
    name: 'good',
    description: 'RSA 2048 leaf for www.example.test and example.test, sent with its intermediate; valid for 90 days',
    expectedStatus: 'OK',
    expectedCodes: [],
    // RSA here so that the lab serves both key types (every other lab key is ECDSA).
    issue: (pki) => withIntermediate(pki, labLeaf(pki, { keyType: 'rsa-2048' })),
  },
  {
    name: 'expired',
    description: 'the leaf expired 10 days ago',
    expectedStatus: 'CRITICAL',
    expectedCodes: ['EXPIRED'],
    issue: (pki) => withIntermediate(pki, labLeaf(pki, { notBefore: at(pki, -100), notAfter: at(pki, -10) })),
  },
  {
    name: 'not-yet-valid',
    description: 'the leaf becomes valid in 10 days',
    expectedStatus: 'CRITICAL',
    expectedCodes: ['NOT_YET_VALID'],
    issue: (pki) => withIntermediate(pki, labLeaf(pki, { notBefore: at(pki, 10), notAfter: at(pki, 100) })),
  },
  {
    name: 'wrong-host',
    description: 'the leaf names only other.example.test',
    expectedStatus: 'CRITICAL',
    expectedCodes: ['HOSTNAME_MISMATCH'],
    issue: (pki) => withIntermediate(pki, labLeaf(pki, { dnsNames: ['other.example.test'] })),
  },
  {
    name: 'self-signed',
    description: 'a self-signed leaf for www.example.test, sent alone',
    expectedStatus: 'CRITICAL',
    expectedCodes: ['SELF_SIGNED'],
    issue: async (pki) => ({ certs: [await createSelfSignedLeaf({ ...current(pki), dnsNames: LAB_DNS_NAMES })] }),
  },
  {
    name: 'missing-intermediate',
    description: 'only the leaf is sent; its issuer, the lab intermediate, is named in its AIA caIssuers URL but not sent',
    expectedStatus: 'CRITICAL',
    expectedCodes: ['MISSING_INTERMEDIATE'],
    issue: async (pki) => ({ certs: [await labLeaf(pki)] }),
  },
  {
    name: 'wrong-order',
    description: 'sent as leaf, root, intermediate: complete, but not in leaf-to-root order',
    expectedStatus: 'WARNING',
    expectedCodes: ['CHAIN_ORDER'],
    // TLS puts the leaf first whatever the configuration, so "out of order" can only be about
    // the rest: the root comes before the intermediate that links the leaf to it.
    issue: async (pki) => ({ certs: [await labLeaf(pki), pki.root, pki.intermediate] }),
  },
  {
    name: 'untrusted-root',
    description: 'leaf, intermediate and root of the unrelated "netlab Untrusted Root" hierarchy',
    expectedStatus: 'CRITICAL',
    expectedCodes: ['UNTRUSTED_ROOT'],
    // The root is sent too: without it, "the chain ends at an untrusted root" and "the
    // intermediate's issuer is missing" are the same observation (OpenSSL error 20 for both);
    // with it, OpenSSL says 19, "self-signed certificate in certificate chain".
    issue: async (pki) => ({
      certs: [
        await issueLeaf(pki.untrustedIntermediate, { ...current(pki), dnsNames: LAB_DNS_NAMES, caIssuersUrl: LAB_CA_ISSUERS_URL.untrustedIntermediate }),
        pki.untrustedIntermediate,
        pki.untrustedRoot,
      ],
    }),
  },
  {
    name: 'expiring-10d',
    description: 'a good chain whose leaf expires in 10 days (WARNING at --warn-days 30)',
    expectedStatus: 'WARNING',
    expectedCodes: ['EXPIRES_SOON'],
    issue: (pki) => withIntermediate(pki, labLeaf(pki, endingIn(pki, 10))),
  },
  {
    name: 'expiring-3d',
    description: 'a good chain whose leaf expires in 3 days (CRITICAL at --crit-days 7)',
    expectedStatus: 'CRITICAL',
    expectedCodes: ['EXPIRES_SOON'],
    issue: (pki) => withIntermediate(pki, labLeaf(pki, endingIn(pki, 3))),
  },
  {
    name: 'rsa1024',
    description: 'the leaf has a 1024-bit RSA key',
    expectedStatus: 'WARNING',
    expectedCodes: ['WEAK_KEY'],
    weak: true,
    issue: (pki) => withIntermediate(pki, labLeaf(pki, { keyType: 'rsa-1024' })),
  },
  {
    name: 'sha1',
    description: 'RSA 2048 leaf signed with sha1WithRSAEncryption by the lab RSA intermediate',
    expectedStatus: 'WARNING',
    expectedCodes: ['WEAK_SIGNATURE'],
    weak: true,
    issue: async (pki) => ({
      certs: [
        await issueLeaf(pki.rsaIntermediate, {
          ...current(pki),
          dnsNames: LAB_DNS_NAMES,
          keyType: 'rsa-2048',
          keySource: pki.keySource,
          signatureHash: 'SHA-1',
          caIssuersUrl: LAB_CA_ISSUERS_URL.rsaIntermediate,
        }),
        pki.rsaIntermediate,
      ],
    }),
  },
  {
    name: 'ecdsa',
    description: 'a good chain with an ECDSA P-256 leaf',
    expectedStatus: 'OK',
    expectedCodes: [],
    issue: (pki) => withIntermediate(pki, labLeaf(pki, { keyType: 'ec-p256' })),
  },
  {
    name: 'ocsp-good',
    description: 'a good chain; the server staples an OCSP response from the intermediate: good',
    expectedStatus: 'OK',
    expectedCodes: [],
    issue: (pki) => stapled(pki, 'good'),
  },
  {
    name: 'ocsp-revoked',
    description: 'a good chain; the server staples an OCSP response from the intermediate: revoked 2 days ago (keyCompromise)',
    expectedStatus: 'CRITICAL',
    expectedCodes: ['REVOKED'],
    issue: (pki) => stapled(pki, 'revoked'),
  },
  // issue 11: path building and validation (./path-cases.ts)
  ...PATH_CASE_ROWS.map(({ opensslErrors: _, ...row }) => row),
  // issue 11: the connection side. Good chains from servers that speak TLS differently.
  {
    name: 'client-cert-tls12',
    description: 'a good chain; the server (TLS 1.2 at most) requires a client certificate from the lab root and ends the handshake without one (alert 40)',
    expectedStatus: 'OK',
    expectedCodes: [],
    expectedNotes: ['CLIENT_CERT_REQUIRED'],
    server: { requireClientCert: true, maxVersion: 'TLSv1.2' },
    issue: (pki) => withIntermediate(pki, labLeaf(pki)),
  },
  {
    name: 'client-cert-tls13',
    description: 'a good chain; the server (TLS 1.3) requires a client certificate from the lab root and refuses the connection without one after the handshake (alert 116)',
    expectedStatus: 'OK',
    expectedCodes: [],
    expectedNotes: ['CLIENT_CERT_REQUIRED'],
    server: { requireClientCert: true, minVersion: 'TLSv1.3' },
    issue: (pki) => withIntermediate(pki, labLeaf(pki)),
  },
  {
    name: 'tls10',
    description: 'a good chain from a server that speaks TLS 1.0 only (browsers refuse it)',
    expectedStatus: 'WARNING',
    expectedCodes: ['OLD_TLS_VERSION'],
    // the chain is not weak; the server runs at security level 0 for TLS 1.0 (see index.ts)
    server: { minVersion: 'TLSv1', maxVersion: 'TLSv1' },
    issue: (pki) => withIntermediate(pki, labLeaf(pki)),
  },
  // issue 11: revocation beyond the staple, and AIA fetching
  {
    name: 'revocation-good',
    description: "a good chain whose leaf names the lab repository's OCSP responder, CRL and caIssuers URLs; neither lists it as revoked",
    expectedStatus: 'OK',
    expectedCodes: [],
    whenAsked: { ocsp: { expectedStatus: 'OK', expectedCodes: [] }, crl: { expectedStatus: 'OK', expectedCodes: [] } },
    issue: async (pki, repository = UNSERVED_REPOSITORY) => ({ certs: [await repositoryLeaf(pki, repository), pki.intermediate] }),
  },
  {
    name: 'revocation-revoked',
    description: "a good chain, no staple; the lab repository's OCSP responder and CRL say the leaf was revoked 2 days ago (keyCompromise)",
    expectedStatus: 'OK',
    expectedCodes: [],
    whenAsked: { ocsp: { expectedStatus: 'CRITICAL', expectedCodes: ['REVOKED'] }, crl: { expectedStatus: 'CRITICAL', expectedCodes: ['REVOKED'] } },
    issue: async (pki, repository = UNSERVED_REPOSITORY) => ({
      certs: [await repositoryLeaf(pki, repository), pki.intermediate],
      revoked: { revokedAt: at(pki, -2), reason: 'keyCompromise' },
    }),
  },
  {
    name: 'aia-missing-intermediate',
    description: "only the leaf is sent; its AIA caIssuers URL, on the lab repository, serves the missing intermediate (browsers complete the chain, API clients do not)",
    expectedStatus: 'CRITICAL',
    expectedCodes: ['MISSING_INTERMEDIATE'],
    whenAsked: { fetchMissing: { expectedStatus: 'CRITICAL', expectedCodes: ['MISSING_INTERMEDIATE'] } },
    issue: async (pki, repository = UNSERVED_REPOSITORY) => ({ certs: [await repositoryLeaf(pki, repository)] }),
  },
];

/** Every case, in address order. */
export const LAB_TLS_CASES: readonly TlsCaseSpec[] = ROWS.map((row) => ({
  ...row,
  address: LAB_TLS_ADDRESSES[row.name],
  weak: row.weak ?? false,
}));
