/**
 * The lab's certificate authority: roots, intermediates and leaves issued in memory at lab
 * start, so that no private key is ever committed and every date is relative to "now" (an
 * expired certificate stays expired, an expiring one stays 10 days from its end).
 *
 * ECDSA P-256 wherever the case allows: a P-256 key takes about a millisecond, an RSA 2048
 * key about a hundred. RSA appears only where a case is about RSA (a 2048-bit leaf so both
 * key types are served, the 1024-bit weak key, the SHA-1 signing intermediate).
 *
 * This is the only module that loads @peculiar/x509 (Node 20 can read certificates but
 * not issue them); it is reached only through the lab's lazy import.
 */
import 'reflect-metadata';
import { createHash, KeyObject, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, CRLReason, CRLReasons, Extension, Extensions, Name as AsnName, SubjectPublicKeyInfo, TBSCertificate, Validity, Version } from '@peculiar/asn1-x509';
import { BasicOCSPResponse, CertID, CertStatus, KeyHash, OCSPResponse, OCSPResponseStatus, ResponderID, ResponseBytes, ResponseData, RevokedInfo, SingleResponse, id_pkix_ocsp_basic } from '@peculiar/asn1-ocsp';

// @peculiar/x509 signs through WebCrypto; Node's implementation is the one to use.
x509.cryptoProvider.set(webcrypto as never);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export type LabKeyType = 'ec-p256' | 'rsa-2048' | 'rsa-1024';
export type LabSignatureHash = 'SHA-256' | 'SHA-1';

export const DAY_MS = 86_400_000;

/** A certificate the lab issued, with its private key, in the forms Node's tls takes. */
export interface LabCert {
  /** The subject's common name. */
  commonName: string;
  /** The certificate alone, PEM. */
  certPem: string;
  /** Its private key, PKCS#8 PEM (tls.createServer `key`). */
  keyPem: string;
  /** The same private key as a Node KeyObject. */
  key: KeyObject;
  notBefore: Date;
  notAfter: Date;
}

/** A CA certificate that can issue further certificates. */
export interface LabCa extends LabCert {
  /** What issuing needs: the parsed certificate (issuer name, key id) and the WebCrypto keys. */
  readonly signer: { readonly cert: x509.X509Certificate; readonly keys: CryptoKeyPair; readonly keyType: LabKeyType };
}

export interface ValidityOptions {
  notBefore: Date;
  notAfter: Date;
}

export interface LeafOptions extends ValidityOptions {
  /** subjectAltName DNS names; the first is also the subject CN. */
  dnsNames: string[];
  /** subjectAltName IP addresses. */
  ipAddresses?: string[];
  keyType?: LabKeyType;
  /** Hash of the issuer's signature over this certificate. SHA-1 needs an RSA issuer. */
  signatureHash?: LabSignatureHash;
  /** Authority Information Access caIssuers URL: where a client could fetch the issuer. */
  caIssuersUrl?: string;
  /** Where an RSA key pair comes from (default: made fresh). */
  keySource?: LabKeySource;
  /** More extensions, added last (issue 11: an SCT list). */
  extraExtensions?: x509.Extension[];
  /** issue 11: Authority Information Access OCSP URL (the lab repository's responder). */
  ocspUrl?: string;
  /** issue 11: CRL distribution point URL. */
  crlUrl?: string;
}

export interface CaOptions extends ValidityOptions {
  keyType?: LabKeyType;
  /** basicConstraints pathLenConstraint; undefined leaves it unlimited. */
  pathLength?: number;
  caIssuersUrl?: string;
  /** The subject's O; default "netlab Lab". */
  organization?: string;
  /** Where an RSA key pair comes from (default: made fresh). */
  keySource?: LabKeySource;
}

const RSA_EXPONENT = new Uint8Array([1, 0, 1]);

/**
 * Where the lab's RSA key pairs come from: by default each is made fresh (generateKeyPair). An
 * RSA 2048 key costs 100-300 ms of CPU and a lab makes three, so a test suite that starts many
 * labs may hand in a source of key pairs it made once; each call must give a pair the lab has
 * not been given yet (distinct keys within one lab). Extractable pairs, like generateKeyPair's.
 * ECDSA P-256 pairs (well under a millisecond) always come from generateKeyPair.
 */
export type LabKeySource = (keyType: 'rsa-2048' | 'rsa-1024') => Promise<CryptoKeyPair>;

/** The key pair for a certificate: RSA from `source` when one is given, anything else fresh. */
function keyPairFor(keyType: LabKeyType, source: LabKeySource | undefined): Promise<CryptoKeyPair> {
  return source && keyType !== 'ec-p256' ? source(keyType) : generateKeyPair(keyType);
}

/** A fresh key pair, extractable so that it can be handed to Node's tls as PEM. */
export async function generateKeyPair(keyType: LabKeyType): Promise<CryptoKeyPair> {
  const usages: webcrypto.KeyUsage[] = ['sign', 'verify'];
  if (keyType === 'ec-p256') {
    return webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, usages) as Promise<CryptoKeyPair>;
  }
  const modulusLength = keyType === 'rsa-2048' ? 2048 : 1024;
  return webcrypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: RSA_EXPONENT, hash: 'SHA-256' },
    true,
    usages,
  ) as Promise<CryptoKeyPair>;
}

/**
 * The private key to sign with. WebCrypto binds an RSA key to one hash when it is created, and
 * @peculiar/x509 takes the hash from the key, so a SHA-1 signature needs the same key
 * re-imported with SHA-1. ECDSA keys carry no hash: the signing call names it.
 */
async function signingKey(signer: LabCa['signer'], hash: LabSignatureHash): Promise<{ key: CryptoKey; algorithm: { name: string; hash: string } }> {
  const algorithm = signer.keys.privateKey.algorithm as { name: string; hash?: { name: string } };
  if (algorithm.name === 'ECDSA') return { key: signer.keys.privateKey, algorithm: { name: 'ECDSA', hash } };
  if (algorithm.hash?.name === hash) return { key: signer.keys.privateKey, algorithm: { name: algorithm.name, hash } };
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', signer.keys.privateKey);
  const key = await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: algorithm.name, hash }, false, ['sign']);
  return { key, algorithm: { name: algorithm.name, hash } };
}

function toLabCert(cert: x509.X509Certificate, keys: CryptoKeyPair, commonName: string): LabCert {
  const key = KeyObject.from(keys.privateKey);
  return {
    commonName,
    certPem: `${cert.toString('pem')}\n`,
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    key,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  };
}

function toLabCa(cert: x509.X509Certificate, keys: CryptoKeyPair, commonName: string, keyType: LabKeyType): LabCa {
  return { ...toLabCert(cert, keys, commonName), signer: { cert, keys, keyType } };
}

/** RFC 5280 4.2.1.3: a CA signs certificates (and CRLs); the extension is critical. */
const CA_KEY_USAGE = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature;

/** A self-signed root CA (CA:true, keyCertSign), named `CN=<commonName>, O=<organization>`. */
export async function createRootCa(commonName: string, options: CaOptions): Promise<LabCa> {
  const keyType = options.keyType ?? 'ec-p256';
  const keys = await keyPairFor(keyType, options.keySource);
  const name = `CN=${commonName}, O=${options.organization ?? 'netlab Lab'}`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    keys,
    signingAlgorithm: keyType === 'ec-p256' ? { name: 'ECDSA', hash: 'SHA-256' } : undefined,
    extensions: [
      new x509.BasicConstraintsExtension(true, options.pathLength, true),
      new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return toLabCa(cert, keys, commonName, keyType);
}

/** A CA certificate issued by `parent` (an intermediate). */
export async function issueIntermediateCa(parent: LabCa, commonName: string, options: CaOptions): Promise<LabCa> {
  const keyType = options.keyType ?? 'ec-p256';
  const keys = await keyPairFor(keyType, options.keySource);
  const { key, algorithm } = await signingKey(parent.signer, 'SHA-256');
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, options.pathLength, true),
    new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(parent.signer.keys.publicKey),
  ];
  if (options.caIssuersUrl) extensions.push(new x509.AuthorityInfoAccessExtension({ caIssuers: options.caIssuersUrl }));
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${commonName}, O=${options.organization ?? 'netlab Lab'}`,
    issuer: parent.signer.cert.subject,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    publicKey: keys.publicKey,
    signingKey: key,
    signingAlgorithm: algorithm,
    extensions,
  });
  return toLabCa(cert, keys, commonName, keyType);
}

/** The issuer's subject name, parsed once per CA (every leaf names it). */
const issuerNames = new WeakMap<LabCa['signer'], AsnName>();
/** The issuer's AuthorityKeyIdentifier extension, made once per CA. */
const authorityKeyIds = new WeakMap<LabCa['signer'], Promise<x509.AuthorityKeyIdentifierExtension>>();

function authorityKeyId(signer: LabCa['signer']): Promise<x509.AuthorityKeyIdentifierExtension> {
  let aki = authorityKeyIds.get(signer);
  if (!aki) authorityKeyIds.set(signer, (aki = x509.AuthorityKeyIdentifierExtension.create(signer.keys.publicKey)));
  return aki;
}

/** A DER length. */
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function derTlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

/**
 * A certificate issued by `signer`, as @peculiar/x509's X509CertificateGenerator.create makes it
 * (the same ASN.1 classes, random 16-byte serial, signature algorithm), without what a leaf does
 * not need: parsing its own extensions and the finished certificate back, and serializing the
 * TBS twice. Signed with node:crypto (DER ECDSA signatures, PKCS #1 v1.5 for RSA).
 */
function createCertificateDer(options: {
  subject: string;
  signer: LabCa['signer'];
  hash: LabSignatureHash;
  notBefore: Date;
  notAfter: Date;
  spki: Buffer;
  extensions: x509.Extension[];
}): Buffer {
  let issuer = issuerNames.get(options.signer);
  if (!issuer) issuerNames.set(options.signer, (issuer = AsnConvert.parse(options.signer.cert.rawData, Certificate).tbsCertificate.subject));
  const serial = webcrypto.getRandomValues(new Uint8Array(16));
  let first = 0;
  while (first < serial.length - 1 && serial[first] === 0) first++;
  const serialNumber = serial[first]! > 0x7f ? Buffer.concat([Buffer.from([0]), serial.subarray(first)]) : Buffer.from(serial.subarray(first));
  const rsa = options.signer.keyType !== 'ec-p256';
  const algorithm = new x509.AlgorithmProvider().toAsnAlgorithm(rsa ? { name: 'RSASSA-PKCS1-v1_5', hash: { name: options.hash } } as webcrypto.Algorithm : { name: 'ECDSA', hash: options.hash } as webcrypto.Algorithm);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialNumber.buffer.slice(serialNumber.byteOffset, serialNumber.byteOffset + serialNumber.length),
    signature: algorithm,
    issuer,
    validity: new Validity({ notBefore: options.notBefore, notAfter: options.notAfter }),
    subject: AsnConvert.parse(new x509.Name(options.subject).toArrayBuffer(), AsnName),
    subjectPublicKeyInfo: AsnConvert.parse(options.spki, SubjectPublicKeyInfo),
    extensions: new Extensions(options.extensions.map((e) => new Extension({ extnID: e.type, critical: e.critical, extnValue: new OctetString(e.value) }))),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = sign(options.hash === 'SHA-1' ? 'sha1' : 'sha256', tbsDer, { key: signerKeyObject(options.signer), dsaEncoding: 'der' });
  const algorithmDer = Buffer.from(AsnConvert.serialize(algorithm));
  return derTlv(0x30, Buffer.concat([tbsDer, algorithmDer, derTlv(0x03, Buffer.concat([Buffer.from([0]), signature]))]));
}

const signerKeys = new WeakMap<LabCa['signer'], KeyObject>();
function signerKeyObject(signer: LabCa['signer']): KeyObject {
  let key = signerKeys.get(signer);
  if (!key) signerKeys.set(signer, (key = KeyObject.from(signer.keys.privateKey)));
  return key;
}

/** A date as the certificate carries it (UTCTime and GeneralizedTime here: whole seconds). */
const wholeSeconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

/** PEM as @peculiar/x509 writes it (64-column base64), with the final newline the lab's PEM carry. */
function certificatePem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** The usages a TLS server key needs: RSA key exchange (TLS 1.2 RSA suites) also encrypts. */
function leafKeyUsage(keyType: LabKeyType): x509.KeyUsagesExtension {
  const ds = x509.KeyUsageFlags.digitalSignature;
  return new x509.KeyUsagesExtension(keyType === 'ec-p256' ? ds : ds | x509.KeyUsageFlags.keyEncipherment, true);
}

/** The extensions every leaf has the same, made once (an extension is only read when issuing). */
let leafConstants: { basic: x509.Extension; eku: x509.Extension; usage: Map<LabKeyType, x509.Extension> } | undefined;
function leafConstant(): NonNullable<typeof leafConstants> {
  leafConstants ??= {
    basic: new x509.BasicConstraintsExtension(false, undefined, true),
    eku: new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    usage: new Map((['ec-p256', 'rsa-2048', 'rsa-1024'] as const).map((t) => [t, leafKeyUsage(t)])),
  };
  return leafConstants;
}

function sanExtension(dnsNames: string[], ipAddresses: string[] = []): x509.SubjectAlternativeNameExtension {
  return new x509.SubjectAlternativeNameExtension([
    ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
  ]);
}

/** A TLS server certificate issued by `issuer`: serverAuth, SKI/AKI, SAN, optional AIA. */
export async function issueLeaf(issuer: LabCa, options: LeafOptions): Promise<LabCert> {
  const keyType = options.keyType ?? 'ec-p256';
  const commonName = options.dnsNames[0] ?? 'netlab lab leaf';
  const keys = await keyPairFor(keyType, options.keySource);
  const spki = KeyObject.from(keys.publicKey).export({ type: 'spki', format: 'der' });
  const keyBits = Buffer.from(AsnConvert.parse(spki, SubjectPublicKeyInfo).subjectPublicKey);
  const constant = leafConstant();
  const extensions: x509.Extension[] = [
    constant.basic,
    constant.usage.get(keyType)!,
    constant.eku,
    // RFC 5280 4.2.1.2 (1), as SubjectKeyIdentifierExtension.create computes it
    new x509.SubjectKeyIdentifierExtension(createHash('sha1').update(keyBits).digest('hex')),
    await authorityKeyId(issuer.signer),
    sanExtension(options.dnsNames, options.ipAddresses),
  ];
  if (options.caIssuersUrl || options.ocspUrl) {
    extensions.push(new x509.AuthorityInfoAccessExtension({
      ...(options.caIssuersUrl ? { caIssuers: options.caIssuersUrl } : {}),
      ...(options.ocspUrl ? { ocsp: options.ocspUrl } : {}),
    }));
  }
  if (options.crlUrl) extensions.push(new x509.CRLDistributionPointsExtension([options.crlUrl]));
  if (options.extraExtensions) extensions.push(...options.extraExtensions);
  const der = createCertificateDer({
    subject: `CN=${commonName}`,
    signer: issuer.signer,
    hash: options.signatureHash ?? 'SHA-256',
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    spki,
    extensions,
  });
  const key = KeyObject.from(keys.privateKey);
  return { commonName, certPem: certificatePem(der), keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(), key, notBefore: wholeSeconds(options.notBefore), notAfter: wholeSeconds(options.notAfter) };
}

/**
 * A self-signed server certificate, as `openssl req -x509` or a distribution's snakeoil
 * certificate makes one. It has no keyUsage extension on purpose: OpenSSL's
 * X509_check_issued (and so Node's checkIssued) refuses to see a certificate as its own
 * issuer when keyUsage is present without keyCertSign, and then a checker would call it
 * MISSING_INTERMEDIATE instead of SELF_SIGNED.
 */
export async function createSelfSignedLeaf(options: Omit<LeafOptions, 'signatureHash' | 'caIssuersUrl'>): Promise<LabCert> {
  const keyType = options.keyType ?? 'ec-p256';
  const commonName = options.dnsNames[0] ?? 'netlab lab leaf';
  const keys = await keyPairFor(keyType, options.keySource);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${commonName}`,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    keys,
    signingAlgorithm: keyType === 'ec-p256' ? { name: 'ECDSA', hash: 'SHA-256' } : undefined,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      sanExtension(options.dnsNames),
    ],
  });
  return toLabCert(cert, keys, commonName);
}

/**
 * issue 11: a certificate of `issuer` for signing OCSP responses on its behalf (RFC 6960
 * 4.2.2.2): extendedKeyUsage id-kp-OCSPSigning when `ocspSigning`, and id-pkix-ocsp-nocheck
 * (4.2.2.2.1: clients need not check the responder's own revocation). Without `ocspSigning` it
 * has serverAuth only: a signer clients must refuse.
 */
export async function issueOcspSigner(issuer: LabCa, commonName: string, ocspSigning: boolean, validity: ValidityOptions): Promise<LabCert> {
  const keys = await generateKeyPair('ec-p256');
  const { key, algorithm } = await signingKey(issuer.signer, 'SHA-256');
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${commonName}, O=netlab Lab`,
    issuer: issuer.signer.cert.subject,
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
    publicKey: keys.publicKey,
    signingKey: key,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([ocspSigning ? x509.ExtendedKeyUsage.ocspSigning : x509.ExtendedKeyUsage.serverAuth]),
      ...(ocspSigning ? [new x509.Extension('1.3.6.1.5.5.7.48.1.5', false, new Uint8Array([0x05, 0x00]))] : []),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.signer.keys.publicKey),
    ],
  });
  return toLabCert(cert, keys, commonName);
}

export interface OcspResponseOptions {
  status: 'good' | 'revoked';
  thisUpdate: Date;
  nextUpdate: Date;
  /** With status revoked. */
  revokedAt?: Date;
  reason?: keyof typeof CRLReasons;
  /** A TLS-encoded SignedCertificateTimestampList to give in the single response's SCT extension (RFC 6962 3.3). */
  sctList?: Uint8Array;
}

/**
 * A DER OCSP response (RFC 6960) about `leaf`, signed by its issuer directly (responder ID by
 * key hash, CertID with SHA-1 hashes as most responders send): what a server staples.
 */
export function issueOcspResponse(issuer: LabCa, leaf: LabCert, options: OcspResponseOptions): Buffer {
  const issuerCert = AsnConvert.parse(issuer.signer.cert.rawData, Certificate).tbsCertificate;
  const issuerKeyBits = Buffer.from(issuerCert.subjectPublicKeyInfo.subjectPublicKey);
  const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest();
  const leafTbs = AsnConvert.parse(new x509.X509Certificate(leaf.certPem).rawData, Certificate).tbsCertificate;
  const certStatus = options.status === 'good'
    ? new CertStatus({ good: null })
    : new CertStatus({
      revoked: new RevokedInfo({
        revocationTime: options.revokedAt ?? options.thisUpdate,
        ...(options.reason ? { revocationReason: new CRLReason(CRLReasons[options.reason]) } : {}),
      }),
    });
  const data = new ResponseData({
    responderID: new ResponderID({ byKey: new KeyHash(sha1(issuerKeyBits)) }),
    producedAt: options.thisUpdate,
    responses: [new SingleResponse({
      certID: new CertID({
        hashAlgorithm: new AlgorithmIdentifier({ algorithm: '1.3.14.3.2.26', parameters: null }),
        issuerNameHash: new OctetString(sha1(Buffer.from(AsnConvert.serialize(issuerCert.subject)))),
        issuerKeyHash: new OctetString(sha1(issuerKeyBits)),
        serialNumber: leafTbs.serialNumber,
      }),
      certStatus,
      thisUpdate: options.thisUpdate,
      nextUpdate: options.nextUpdate,
      ...(options.sctList ? {
        singleExtensions: [new Extension({ extnID: '1.3.6.1.4.1.11129.2.4.5', critical: false, extnValue: new OctetString(AsnConvert.serialize(new OctetString(options.sctList))) })],
      } : {}),
    })],
  });
  const tbs = Buffer.from(AsnConvert.serialize(data));
  const ec = issuer.signer.keyType === 'ec-p256';
  const basic = new BasicOCSPResponse({
    tbsResponseData: data,
    // ecdsa-with-SHA256 has no parameters; sha256WithRSAEncryption has NULL
    signatureAlgorithm: ec
      ? new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' })
      : new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: null }),
    signature: new Uint8Array(sign('sha256', tbs, issuer.key)).buffer,
  });
  return Buffer.from(AsnConvert.serialize(new OCSPResponse({
    responseStatus: OCSPResponseStatus.successful,
    responseBytes: new ResponseBytes({ responseType: id_pkix_ocsp_basic, response: new OctetString(AsnConvert.serialize(basic)) }),
  })));
}

/** Where the lab's certificates say their issuers can be fetched. Data only: nothing serves them. */
export const LAB_CA_ISSUERS_URL = {
  root: 'http://127.54.0.1/lab-root.crt',
  intermediate: 'http://127.54.0.1/lab-intermediate.crt',
  rsaIntermediate: 'http://127.54.0.1/lab-rsa-intermediate.crt',
  untrustedIntermediate: 'http://127.54.0.1/untrusted-intermediate.crt',
} as const;

/** The lab's CAs: one trusted hierarchy (with an RSA intermediate for SHA-1) and one unrelated. */
export interface LabPki {
  /** The instant every validity period is computed from. */
  issuedAt: Date;
  /** "netlab Lab Root CA": the root a client is told to trust (--ca). */
  root: LabCa;
  /** "netlab Lab Intermediate CA" (ECDSA, pathlen 0): issues the lab's leaves. */
  intermediate: LabCa;
  /** "netlab Lab RSA Intermediate CA" (RSA 2048, pathlen 0): signs the SHA-1 leaf, which ECDSA cannot do as sha1WithRSAEncryption. */
  rsaIntermediate: LabCa;
  /** "netlab Untrusted Root": in no trust store. */
  untrustedRoot: LabCa;
  /** "netlab Untrusted Intermediate CA", issued by the untrusted root. */
  untrustedIntermediate: LabCa;
  /** Where the lab's RSA leaves take their key pairs (createLabPki's `keySource`); undefined: made fresh. */
  keySource?: LabKeySource;
}

/**
 * Create the lab's CAs. Roots live 10 years, intermediates 5, both from a day before `issuedAt`.
 * `keySource` (default: fresh keys) gives the RSA key pairs, of the CAs and of the leaves issued
 * from this PKI.
 */
export async function createLabPki(issuedAt: Date = new Date(), keySource?: LabKeySource): Promise<LabPki> {
  const t = issuedAt.getTime();
  const rootValidity = { notBefore: new Date(t - DAY_MS), notAfter: new Date(t + 3650 * DAY_MS) };
  const caValidity = { notBefore: new Date(t - DAY_MS), notAfter: new Date(t + 1825 * DAY_MS), pathLength: 0 };
  const [root, untrustedRoot] = await Promise.all([
    createRootCa('netlab Lab Root CA', rootValidity),
    createRootCa('netlab Untrusted Root', { ...rootValidity, organization: 'netlab Untrusted' }),
  ]);
  const [intermediate, rsaIntermediate, untrustedIntermediate] = await Promise.all([
    issueIntermediateCa(root, 'netlab Lab Intermediate CA', { ...caValidity, caIssuersUrl: LAB_CA_ISSUERS_URL.root }),
    issueIntermediateCa(root, 'netlab Lab RSA Intermediate CA', { ...caValidity, keyType: 'rsa-2048', caIssuersUrl: LAB_CA_ISSUERS_URL.root, keySource }),
    issueIntermediateCa(untrustedRoot, 'netlab Untrusted Intermediate CA', { ...caValidity, organization: 'netlab Untrusted' }),
  ]);
  return { issuedAt, root, intermediate, rsaIntermediate, untrustedRoot, untrustedIntermediate, ...(keySource ? { keySource } : {}) };
}
