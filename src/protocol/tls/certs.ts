/**
 * Certificates as netlab reads them: Node's crypto.X509Certificate for what it exposes
 * (subject, SAN, checkHost/checkIP, checkIssued, verify, key), @peculiar/x509 for what it
 * does not in Node 20 (signature algorithm, dates as Date, basic constraints).
 */
import 'reflect-metadata';
import { X509Certificate, webcrypto } from 'node:crypto';
import * as px509 from '@peculiar/x509';
import { NetlabError } from '../../errors.js';

px509.cryptoProvider.set(webcrypto as never);

export interface CertInfo {
  /** Node's certificate, for checks and signatures. */
  node: X509Certificate;
  subject: string;
  issuer: string;
  san: string[];
  notBefore: Date;
  notAfter: Date;
  keyType: string;
  keyBits: number;
  /** OpenSSL's name for it: sha256WithRSAEncryption, ecdsa-with-SHA256, ... */
  signatureAlgorithm: string;
  /** SHA-256 fingerprint, colon-separated hex as openssl prints it. */
  fingerprint256: string;
  isCA: boolean;
  selfIssued: boolean;
  /** caIssuers URL of the Authority Information Access extension, when present. */
  aiaIssuerUrl?: string;
}

const PEM_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Split PEM text into certificates. Throws INPUT when a block does not parse. */
export function parsePemBundle(text: string, source: string): X509Certificate[] {
  const blocks = text.match(PEM_RE) ?? [];
  return blocks.map((pem, i) => {
    try {
      return new X509Certificate(pem);
    } catch (e) {
      throw new NetlabError('INPUT', `${source}: certificate ${i + 1} is not a valid X.509 certificate`, { cause: e });
    }
  });
}

/** A distinguished name on one line: Node's RDNs in certificate order, joined by ', '. */
export function oneLineName(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

function signatureName(alg: { name?: string; hash?: { name?: string } } | undefined, oid: string): string {
  const hash = alg?.hash?.name?.replace('-', '') ?? '';
  switch (alg?.name) {
    case 'RSASSA-PKCS1-v1_5':
      return `${hash.toLowerCase()}WithRSAEncryption`;
    case 'ECDSA':
      return `ecdsa-with-${hash}`;
    case 'RSA-PSS':
      return 'rsassaPss';
    case 'Ed25519':
      return 'ED25519';
    default:
      break;
  }
  const byOid: Record<string, string> = {
    '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
    '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
    '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
    '1.3.101.112': 'ED25519',
    '1.3.101.113': 'ED448',
  };
  return byOid[oid] ?? oid;
}

/** Read everything cert-check reports about one certificate. */
export function describeCert(node: X509Certificate): CertInfo {
  const p = new px509.X509Certificate(node.raw);
  const details = node.publicKey.asymmetricKeyDetails ?? {};
  const keyType = node.publicKey.asymmetricKeyType ?? 'unknown';
  let keyBits = details.modulusLength ?? 0;
  if (keyType === 'ec') {
    const curve = details.namedCurve ?? '';
    keyBits = curve.includes('384') ? 384 : curve.includes('521') ? 521 : 256;
  } else if (keyType === 'ed25519') keyBits = 256;
  else if (keyType === 'ed448') keyBits = 448;
  const san = (node.subjectAltName ?? '')
    .split(', ')
    .filter(Boolean)
    .map((s) => s.replace(/^IP Address:/, 'IP:'));
  const bc = p.getExtension(px509.BasicConstraintsExtension);
  const aia = /CA Issuers - URI:(\S+)/.exec(node.infoAccess ?? '');
  const info: CertInfo = {
    node,
    subject: oneLineName(node.subject),
    issuer: oneLineName(node.issuer),
    san,
    notBefore: p.notBefore,
    notAfter: p.notAfter,
    keyType: keyType === 'ec' ? 'EC' : keyType.toUpperCase(),
    keyBits,
    signatureAlgorithm: signatureName(p.signatureAlgorithm as { name?: string; hash?: { name?: string } }, sigOid(p)),
    fingerprint256: node.fingerprint256,
    isCA: bc?.ca ?? node.ca,
    selfIssued: node.subject === node.issuer,
  };
  if (aia) info.aiaIssuerUrl = aia[1]!;
  return info;
}

function sigOid(p: px509.X509Certificate): string {
  // The algorithm OID is in the certificate's outer signatureAlgorithm; @peculiar/x509 keeps the ASN.1.
  const asn = (p as unknown as { asn?: { signatureAlgorithm?: { algorithm?: string } } }).asn;
  return asn?.signatureAlgorithm?.algorithm ?? 'unknown';
}

/** The signature is made with MD5 or SHA-1. */
export function weakSignature(alg: string): boolean {
  return /md5|md2|sha1(?!\d)|SHA1$/i.test(alg);
}
