/**
 * The lab's TLS cases for path building and validation (issue 11): constraints a CA breaks,
 * purposes, critical extensions, and chains that need backtracking or hold certificates not on
 * the path. Each is a chain that real servers send and that OpenSSL (`openssl verify -purpose
 * sslserver`) judges as `expectedStatus` says; the interop test checks that it does.
 *
 * The certificates need extensions that ca.ts's issuers do not write (name constraints, a
 * CA:FALSE issuer with keyCertSign, an unknown critical extension), so this module issues
 * them itself with @peculiar/x509 (loaded only through the lab's lazy import, as ca.ts is).
 */
import 'reflect-metadata';
import { KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { DAY_MS, createRootCa, generateKeyPair, type LabCa, type LabCert, type LabPki } from './ca.js';
import type { CertNoteCode, CertProblemCode } from '../../protocol/tls/chain.js';

type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** The path cases, by name. */
export type PathCaseName =
  | 'pathlen-exceeded' | 'issuer-not-ca' | 'leaf-as-ca' | 'ca-without-keycertsign' | 'name-excluded' | 'name-not-permitted'
  | 'ip-excluded' | 'client-auth-only' | 'expired-issuer-first' | 'expired-cross-sign' | 'self-signed-keyusage' | 'duplicate'
  | 'unknown-critical' | 'long-validity' | 'cn-only';

/** Their loopback addresses: 127.54.1.x, apart from the first cases' 127.54.0.x so that other lists can grow. */
export const PATH_CASE_ADDRESSES: Readonly<Record<PathCaseName, string>> = {
  'pathlen-exceeded': '127.54.1.1',
  'issuer-not-ca': '127.54.1.2',
  'leaf-as-ca': '127.54.1.3',
  'ca-without-keycertsign': '127.54.1.4',
  'name-excluded': '127.54.1.5',
  'name-not-permitted': '127.54.1.6',
  'ip-excluded': '127.54.1.7',
  'client-auth-only': '127.54.1.8',
  'expired-issuer-first': '127.54.1.9',
  'expired-cross-sign': '127.54.1.10',
  'self-signed-keyusage': '127.54.1.11',
  duplicate: '127.54.1.12',
  'unknown-critical': '127.54.1.13',
  'long-validity': '127.54.1.14',
  'cn-only': '127.54.1.15',
};

/** A row of the case list (cases.ts's shape). */
export interface PathCaseRow {
  name: PathCaseName;
  description: string;
  expectedStatus: 'OK' | 'WARNING' | 'CRITICAL';
  expectedCodes: CertProblemCode[];
  /** The notes cert-check gives (none when absent). */
  expectedNotes?: CertNoteCode[];
  /** The OpenSSL 3 `openssl verify -purpose sslserver` errors of the chain (first one first), for the interop test; [] when it verifies. */
  opensslErrors: number[];
  issue(pki: LabPki): Promise<{ certs: LabCert[] }>;
}

const NAMES = ['www.example.test', 'example.test'];

/** DER TLV. */
function der(tag: number, ...body: Buffer[]): Buffer {
  const content = Buffer.concat(body);
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

/** A nameConstraints value (RFC 5280 4.2.1.10): DNS names and IPv4 address/prefix subtrees. */
export function nameConstraintsDer(nc: { permitted?: Array<string>; excluded?: Array<string> }): Buffer {
  const base = (s: string) => {
    const ip = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(s);
    if (!ip) return der(0x30, der(0x82, Buffer.from(s, 'latin1')));
    const addr = Buffer.from(ip[1]!.split('.').map(Number));
    const bits = Number(ip[2]);
    const mask = Buffer.from([0, 1, 2, 3].map((i) => (0xff << (8 - Math.max(0, Math.min(8, bits - i * 8)))) & 0xff));
    return der(0x30, der(0x87, addr, mask));
  };
  const parts: Buffer[] = [];
  if (nc.permitted?.length) parts.push(der(0xa0, ...nc.permitted.map(base)));
  if (nc.excluded?.length) parts.push(der(0xa1, ...nc.excluded.map(base)));
  return der(0x30, ...parts);
}

/** What {@link issue} writes into a certificate. */
export interface IssueSpec {
  commonName: string;
  organization?: string;
  /** Signed by this CA; undefined: self-signed. */
  issuer?: LabCa;
  /** The subject's key pair; default a new P-256 key. */
  keys?: CryptoKeyPair;
  /** The subject as a whole name (instead of CN and O). */
  subjectName?: string;
  notBefore: Date;
  notAfter: Date;
  /** basicConstraints: true/false for CA:TRUE/FALSE, undefined for none. */
  ca?: boolean;
  pathLength?: number;
  /** keyUsage flags (x509.KeyUsageFlags), undefined for none. */
  keyUsage?: number;
  /** extendedKeyUsage OIDs, undefined for none. */
  eku?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  nameConstraints?: Buffer;
  /** Extra extensions as they are (an unknown critical one). */
  extra?: x509.Extension[];
}

/** Issue one certificate as `spec` says, ECDSA P-256 with SHA-256, with SKI and (when issued by a CA) AKI. */
export async function issue(spec: IssueSpec): Promise<LabCa> {
  const keys = spec.keys ?? (await generateKeyPair('ec-p256'));
  const name = spec.subjectName ?? `CN=${spec.commonName}${spec.organization ? `, O=${spec.organization}` : ''}`;
  const extensions: x509.Extension[] = [];
  if (spec.ca !== undefined) extensions.push(new x509.BasicConstraintsExtension(spec.ca, spec.pathLength, true));
  if (spec.keyUsage !== undefined) extensions.push(new x509.KeyUsagesExtension(spec.keyUsage, true));
  if (spec.eku) extensions.push(new x509.ExtendedKeyUsageExtension(spec.eku));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  if (spec.issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(spec.issuer.signer.keys.publicKey));
  if (spec.dnsNames || spec.ipAddresses) {
    extensions.push(new x509.SubjectAlternativeNameExtension([
      ...(spec.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
      ...(spec.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
    ]));
  }
  if (spec.nameConstraints) extensions.push(new x509.Extension('2.5.29.30', true, spec.nameConstraints));
  extensions.push(...(spec.extra ?? []));
  const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' };
  const cert = spec.issuer
    ? await x509.X509CertificateGenerator.create({
      subject: name,
      issuer: spec.issuer.signer.cert.subject,
      notBefore: spec.notBefore,
      notAfter: spec.notAfter,
      publicKey: keys.publicKey,
      signingKey: spec.issuer.signer.keys.privateKey,
      signingAlgorithm,
      extensions,
    })
    : await x509.X509CertificateGenerator.createSelfSigned({ name, notBefore: spec.notBefore, notAfter: spec.notAfter, keys, signingAlgorithm, extensions });
  const key = KeyObject.from(keys.privateKey);
  return {
    commonName: spec.commonName,
    certPem: `${cert.toString('pem')}\n`,
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    key,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    signer: { cert, keys, keyType: 'ec-p256' },
  };
}

const KU = x509.KeyUsageFlags;
const CA_KU = KU.keyCertSign | KU.cRLSign | KU.digitalSignature;
/** keyUsage values for {@link issue}: a CA's (keyCertSign, cRLSign, digitalSignature) and an ECDSA server's (digitalSignature). */
export const LAB_KEY_USAGE = { ca: CA_KU, server: KU.digitalSignature } as const;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

const at = (pki: LabPki, days: number) => new Date(pki.issuedAt.getTime() + days * DAY_MS);
const current = (pki: LabPki) => ({ notBefore: at(pki, -1), notAfter: at(pki, 90) });
const caValidity = (pki: LabPki) => ({ notBefore: at(pki, -1), notAfter: at(pki, 1825) });

/** A CA under the lab root with these extensions (CA:TRUE and the CA key usages unless told otherwise). */
function labCa(pki: LabPki, commonName: string, extra: Partial<IssueSpec> = {}): Promise<LabCa> {
  return issue({ commonName, organization: 'netlab Lab', issuer: pki.root, ...caValidity(pki), ca: true, keyUsage: CA_KU, ...extra });
}

/** A server certificate for www.example.test issued by `issuer` (CA:FALSE, digitalSignature, serverAuth). */
function serverLeaf(pki: LabPki, issuer: LabCa, extra: Partial<IssueSpec> = {}): Promise<LabCa> {
  return issue({ commonName: NAMES[0]!, issuer, ...current(pki), ca: false, keyUsage: KU.digitalSignature, eku: [SERVER_AUTH], dnsNames: NAMES, ...extra });
}

/**
 * The path cases, in address order. Every chain is judged against the lab root for
 * www.example.test, as the first cases are.
 */
export const PATH_CASE_ROWS: PathCaseRow[] = [
  {
    name: 'pathlen-exceeded',
    description: 'the lab intermediate (pathlen:0) issued another CA, which issued the leaf; all three sent',
    expectedStatus: 'CRITICAL',
    expectedCodes: ['CONSTRAINT_VIOLATION'],
    opensslErrors: [25],
    issue: async (pki) => {
      const sub = await issue({ commonName: 'netlab Lab Sub CA', organization: 'netlab Lab', issuer: pki.intermediate, ...caValidity(pki), ca: true, keyUsage: CA_KU });
      return { certs: [await serverLeaf(pki, sub), sub, pki.intermediate] };
    },
  },
  {
    name: 'issuer-not-ca',
    description: 'the leaf was issued by a certificate with CA:FALSE (and keyCertSign in its keyUsage), sent after it',
    expectedStatus: 'CRITICAL',
    expectedCodes: ['CONSTRAINT_VIOLATION'],
    opensslErrors: [79],
    issue: async (pki) => {
      const notCa = await labCa(pki, 'netlab Lab Not-A-CA', { ca: false });
      return { certs: [await serverLeaf(pki, notCa), notCa] };
    },
  },
  {
    name: 'leaf-as-ca',
    description: 'a server certificate (CA:FALSE, serverAuth) used to sign the leaf; both sent with their CA',
    expectedStatus: 'CRITICAL',
    expectedCodes: ['CONSTRAINT_VIOLATION'],
    opensslErrors: [79],
    issue: async (pki) => {
      const open = await labCa(pki, 'netlab Lab Open CA');
      const apiLeaf = await serverLeaf(pki, open, { commonName: 'api.example.test', dnsNames: ['api.example.test'] });
      return { certs: [await serverLeaf(pki, apiLeaf), apiLeaf, open] };
    },
  },
  {
    name: 'ca-without-keycertsign',
    description: 'the leaf\'s issuer is CA:TRUE but its keyUsage lacks keyCertSign',
    expectedStatus: 'CRITICAL',
    expectedCodes: ['CONSTRAINT_VIOLATION'],
    opensslErrors: [79],
    issue: async (pki) => {
      const ca = await labCa(pki, 'netlab Lab No-CertSign CA', { keyUsage: KU.digitalSignature | KU.cRLSign });
      return { certs: [await serverLeaf(pki, ca), ca] };
    },
  },
  {
    name: 'name-excluded',
    description: 'the leaf\'s issuer has name constraints that exclude www.example.test',
    expectedStatus: 'CRITICAL',
    expectedCodes: ['CONSTRAINT_VIOLATION'],
    opensslErrors: [48],
    issue: async (pki) => {
      const ca = await labCa(pki, 'netlab Lab Excluding CA', { nameConstraints: nameConstraintsDer({ excluded: ['www.example.test'] }) });
      return { certs: [await serverLeaf(pki, ca), ca] };
    },
  },
  {
    name: 'name-not-permitted',
    description: 'the leaf\'s issuer may issue only for other.test (permitted subtree)',
    expectedStatus: 'CRITICAL',
    expectedCodes: ['CONSTRAINT_VIOLATION'],
    opensslErrors: [47],
    issue: async (pki) => {
      const ca = await labCa(pki, 'netlab Lab Other-Names CA', { nameConstraints: nameConstraintsDer({ permitted: ['other.test'] }) });
      return { certs: [await serverLeaf(pki, ca), ca] };
    },
  },
  {
    name: 'ip-excluded',
    description: 'the leaf lists IP 127.54.1.7 too, which its issuer\'s name constraints exclude (127.0.0.0/8)',
    expectedStatus: 'CRITICAL',
    expectedCodes: ['CONSTRAINT_VIOLATION'],
    opensslErrors: [48],
    issue: async (pki) => {
      const ca = await labCa(pki, 'netlab Lab No-Loopback CA', { nameConstraints: nameConstraintsDer({ permitted: ['example.test'], excluded: ['127.0.0.0/8'] }) });
      return { certs: [await serverLeaf(pki, ca, { ipAddresses: ['127.54.1.7'] }), ca] };
    },
  },
  {
    name: 'client-auth-only',
    description: 'the leaf\'s extendedKeyUsage is clientAuth only: not a server certificate',
    expectedStatus: 'CRITICAL',
    expectedCodes: ['WRONG_PURPOSE'],
    opensslErrors: [26],
    issue: async (pki) => ({ certs: [await serverLeaf(pki, pki.intermediate, { eku: [CLIENT_AUTH] }), pki.intermediate] }),
  },
  {
    name: 'expired-issuer-first',
    description: 'the leaf\'s issuer sent twice: an expired certificate of it first, then a valid one (same name and key, as a renewal or cross-sign); OpenSSL builds the valid path',
    expectedStatus: 'OK',
    expectedCodes: [],
    expectedNotes: ['UNUSED_CERTIFICATE'],
    opensslErrors: [],
    issue: async (pki) => {
      const keys = await generateKeyPair('ec-p256');
      const old = await labCa(pki, 'netlab Lab Renewed CA', { keys, notBefore: at(pki, -400), notAfter: at(pki, -30) });
      const renewed = await labCa(pki, 'netlab Lab Renewed CA', { keys });
      return { certs: [await serverLeaf(pki, renewed), old, renewed] };
    },
  },
  {
    name: 'expired-cross-sign',
    description: 'Let\'s Encrypt in 2021: leaf, intermediate, and the lab root cross-signed by an old root, expired 30 days ago; the client trusts the lab root itself',
    expectedStatus: 'OK',
    expectedCodes: [],
    expectedNotes: ['UNUSED_CERTIFICATE'],
    opensslErrors: [],
    issue: async (pki) => {
      const oldRoot = await createRootCa('netlab Old Root', { notBefore: at(pki, -3000), notAfter: at(pki, -30), organization: 'netlab Old' });
      const cross = await issue({
        commonName: 'netlab Lab Root CA',
        subjectName: pki.root.signer.cert.subject,
        keys: pki.root.signer.keys,
        issuer: oldRoot,
        notBefore: at(pki, -1000),
        notAfter: at(pki, -30),
        ca: true,
        keyUsage: CA_KU,
      });
      return { certs: [await serverLeaf(pki, pki.intermediate), pki.intermediate, cross] };
    },
  },
  {
    name: 'self-signed-keyusage',
    description: 'a self-signed leaf with CA:FALSE and keyUsage digitalSignature (no keyCertSign), sent alone',
    expectedStatus: 'CRITICAL',
    expectedCodes: ['SELF_SIGNED'],
    opensslErrors: [18],
    issue: async (pki) => ({ certs: [await issue({ commonName: NAMES[0]!, ...current(pki), ca: false, keyUsage: KU.digitalSignature, eku: [SERVER_AUTH], dnsNames: NAMES })] }),
  },
  {
    name: 'duplicate',
    description: 'leaf, intermediate, and the intermediate again: complete, with a copy sent',
    expectedStatus: 'WARNING',
    expectedCodes: ['CHAIN_ORDER'],
    opensslErrors: [],
    issue: async (pki) => ({ certs: [await serverLeaf(pki, pki.intermediate), pki.intermediate, pki.intermediate] }),
  },
  {
    name: 'unknown-critical',
    description: 'the leaf has a private extension (1.3.6.1.4.1.55555.1) marked critical',
    expectedStatus: 'CRITICAL',
    expectedCodes: ['UNKNOWN_CRITICAL_EXTENSION'],
    opensslErrors: [34],
    issue: async (pki) => ({
      certs: [await serverLeaf(pki, pki.intermediate, { extra: [new x509.Extension('1.3.6.1.4.1.55555.1', true, new Uint8Array([0x05, 0x00]))] }), pki.intermediate],
    }),
  },
  {
    name: 'long-validity',
    description: 'a leaf valid for 825 days from the lab (private) CA: a note, since browsers limit public CAs only (398 days)',
    expectedStatus: 'OK',
    expectedCodes: [],
    expectedNotes: ['LONG_VALIDITY'],
    opensslErrors: [],
    issue: async (pki) => ({ certs: [await serverLeaf(pki, pki.intermediate, { notBefore: at(pki, -1), notAfter: at(pki, 824) }), pki.intermediate] }),
  },
  {
    name: 'cn-only',
    description: 'a leaf naming www.example.test in its subject CN only, with no subjectAltName: OpenSSL matches the CN (there is no DNS SAN), browsers do not',
    expectedStatus: 'WARNING',
    expectedCodes: ['NAME_IN_CN_ONLY'],
    opensslErrors: [],
    issue: async (pki) => ({ certs: [await serverLeaf(pki, pki.intermediate, { dnsNames: undefined }), pki.intermediate] }),
  },
];
