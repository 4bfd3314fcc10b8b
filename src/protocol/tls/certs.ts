/**
 * Certificates as netlab reads them: Node's crypto.X509Certificate for what it exposes
 * (subject, SAN, dates, CA flag, checkHost/checkIP, checkIssued, verify, key), and a few
 * lines of DER for the one thing Node 20 does not expose, the signature algorithm. (A full
 * X.509 library such as @peculiar/x509 costs ~100 ms to import, more than the check itself.)
 */
import { X509Certificate } from 'node:crypto';
import { NetlabError } from '../../errors.js';

/** Everything cert-check reads from one certificate ({@link describeCert}), with Node's object for checks. */
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

const PEM_BEGIN = '-----BEGIN CERTIFICATE-----';
const PEM_END = '-----END CERTIFICATE-----';

/**
 * Where each PEM CERTIFICATE block's base64 body lies in `text`: from a BEGIN line to the first
 * END line after it, then on from there (what the regex /BEGIN[\s\S]+?END/g found, without its
 * cost). The scan is linear: every search starts where the previous one stopped, so each
 * character is looked at a bounded number of times. A lazy regex instead restarts at every
 * BEGIN and runs to the end of the text when no END follows: 5 MB of BEGIN lines took 72 s.
 * `onSearch` is told each range [from, to) searched, for tests.
 */
export function pemBodies(text: string, onSearch?: (from: number, to: number) => void): Array<[number, number]> {
  const bodies: Array<[number, number]> = [];
  let at = 0;
  while (at < text.length) {
    const begin = text.indexOf(PEM_BEGIN, at);
    onSearch?.(at, begin < 0 ? text.length : begin + PEM_BEGIN.length);
    if (begin < 0) break;
    const bodyStart = begin + PEM_BEGIN.length;
    const end = text.indexOf(PEM_END, bodyStart);
    onSearch?.(bodyStart, end < 0 ? text.length : end + PEM_END.length);
    // no END after this BEGIN: none after any later BEGIN either, so the scan is over
    if (end < 0) break;
    bodies.push([bodyStart, end]);
    at = end + PEM_END.length;
  }
  return bodies;
}

/** The DER of each PEM CERTIFICATE block, unparsed (base64 with its line breaks and spaces dropped). */
export function pemBlocks(text: string): Buffer[] {
  // a BEGIN line inside a block (a block left unfinished before it) is dropped as the regex did: the block then does not parse
  return pemBodies(text).map(([from, to]) => Buffer.from(text.slice(from, to).replace(/-----BEGIN CERTIFICATE-----|\s+/g, ''), 'base64'));
}

/** Split PEM text into certificates, in order (none when it holds no block). Throws NetlabError INPUT (`SOURCE: certificate N is not a valid X.509 certificate`) when a block does not parse. */
export function parsePemBundle(text: string, source: string): X509Certificate[] {
  return pemBlocks(text).map((der, i) => {
    try {
      return new X509Certificate(der);
    } catch (e) {
      throw new NetlabError('INPUT', `${source}: certificate ${i + 1} is not a valid X.509 certificate`, { cause: e });
    }
  });
}

/** A distinguished name on one line: Node's RDNs in certificate order, joined by ', '. */
export function oneLineName(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

/** OpenSSL's names for the signature algorithms certificates use (RFC 3279, 4055, 5758, 8410). */
const SIGNATURE_OIDS: Record<string, string> = {
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.10040.4.3': 'dsaWithSHA1',
  '2.16.840.1.101.3.4.3.2': 'dsa_with_SHA256',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
};

/** One DER TLV header: where its value starts and ends. Throws on lengths past the data. */
export function tlv(der: Buffer, at: number): { tag: number; start: number; end: number } {
  if (at + 2 > der.length) throw new Error('DER runs past the end');
  const tag = der[at]!;
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 4 || start + n > der.length) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!;
    start += n;
  }
  if (start + len > der.length) throw new Error('DER value runs past the end');
  return { tag, start, end: start + len };
}

export function oidText(bytes: Buffer): string {
  const parts = [Math.floor(bytes[0]! / 40), bytes[0]! % 40];
  let v = 0;
  for (const b of bytes.subarray(1)) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/**
 * The certificate's signatureAlgorithm (RFC 5280 4.1.1.2): Certificate is SEQUENCE {
 * tbsCertificate, signatureAlgorithm SEQUENCE { algorithm OID, ... }, signatureValue }.
 * OpenSSL's name for it, the dotted OID when it has none, `unknown` for bytes that are not a
 * certificate; never throws.
 */
export function signatureAlgorithmOf(der: Buffer): string {
  try {
    const cert = tlv(der, 0);
    const tbs = tlv(der, cert.start);
    const alg = tlv(der, tbs.end);
    const oid = tlv(der, alg.start);
    if (cert.tag !== 0x30 || tbs.tag !== 0x30 || alg.tag !== 0x30 || oid.tag !== 0x06) return 'unknown';
    const text = oidText(der.subarray(oid.start, oid.end));
    return SIGNATURE_OIDS[text] ?? text;
  } catch {
    return 'unknown';
  }
}

/**
 * The issuer and subject Names of a certificate, as their DER bytes (RFC 5280 4.1:
 * TBSCertificate is SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer,
 * validity, subject, ... }). Undefined when the bytes are not shaped like a certificate.
 */
export function namesOf(der: Buffer): { issuer: Buffer; subject: Buffer } | undefined {
  try {
    const cert = tlv(der, 0);
    const tbs = tlv(der, cert.start);
    if (cert.tag !== 0x30 || tbs.tag !== 0x30) return undefined;
    let serial = tlv(der, tbs.start);
    if (serial.tag === 0xa0) serial = tlv(der, serial.end); // past the explicit version
    const signature = tlv(der, serial.end);
    const issuer = tlv(der, signature.end);
    const validity = tlv(der, issuer.end);
    const subject = tlv(der, validity.end);
    if (serial.tag !== 0x02 || signature.tag !== 0x30 || issuer.tag !== 0x30 || validity.tag !== 0x30 || subject.tag !== 0x30) return undefined;
    // each Name whole, tag and length included: the TLV runs from where the previous field ended
    return { issuer: der.subarray(signature.end, issuer.end), subject: der.subarray(validity.end, subject.end) };
  } catch {
    return undefined;
  }
}

/**
 * A Name (DER) in a canonical text form for comparing names as OpenSSL's X509_NAME_cmp does
 * (it compares its "canon" encoding): each attribute's value decoded whatever its string type
 * (UTF8String, PrintableString, IA5String, T61String as Latin-1, BMPString, UniversalString),
 * upper-case ASCII folded to lower case, leading and trailing spaces dropped and runs of space
 * folded to one. Undefined when the bytes cannot be read that way.
 */
export function canonicalNameKey(name: Buffer): string | undefined {
  try {
    const seq = tlv(name, 0);
    if (seq.tag !== 0x30) return undefined;
    const rdns: string[] = [];
    for (let at = seq.start; at < seq.end;) {
      const set = tlv(name, at);
      if (set.tag !== 0x31) return undefined;
      const atvs: string[] = [];
      for (let p = set.start; p < set.end;) {
        const atv = tlv(name, p);
        const oid = tlv(name, atv.start);
        const value = tlv(name, oid.end);
        const raw = name.subarray(value.start, value.end);
        let text: string;
        if (value.tag === 0x1e) text = Buffer.from(raw).swap16().toString('utf16le'); // BMPString, UTF-16BE
        else if (value.tag === 0x1c) text = [...Array(raw.length / 4).keys()].map((i) => String.fromCodePoint(raw.readUInt32BE(i * 4))).join(''); // UniversalString
        else if (value.tag === 0x14) text = raw.toString('latin1'); // T61String
        else if ([0x0c, 0x13, 0x16].includes(value.tag)) text = raw.toString('utf8');
        else text = `#${raw.toString('hex')}`; // anything else: compared as bytes
        atvs.push(`${name.subarray(oid.start, oid.end).toString('hex')}=${text.replace(/[A-Z]/g, (c) => c.toLowerCase()).trim().replace(/\s+/g, ' ')}`);
        p = atv.end;
      }
      rdns.push(atvs.sort().join('+'));
      at = set.end;
    }
    return rdns.join(',');
  } catch {
    return undefined;
  }
}

/**
 * Whether `parent` issued `child`: names and key identifiers match (Node's checkIssued, which
 * also wants keyCertSign when the parent has a keyUsage), and whether its key verifies the
 * signature. With `signatureOnly`, only the signature is checked (the path builder matched
 * the names itself, without keyUsage, as OpenSSL's chain building does).
 */
export function issuedBy(child: X509Certificate, parent: X509Certificate, signatureOnly = false): 'yes' | 'no' | 'bad-signature' {
  // the answer depends on the two certificates' bytes only: kept by their SHA-256
  // fingerprints (which cover every byte, the signature and the key included), so that a
  // chain seen again (netlab exporter's probes, a netlab check run) is not verified again
  const key = `${child.fingerprint256}/${parent.fingerprint256}/${signatureOnly ? 's' : 'n'}`;
  let got = issued.get(key);
  if (!got) {
    got = checkIssuedBy(child, parent, signatureOnly);
    if (issued.size >= MAX_ISSUED) issued.delete(issued.keys().next().value!);
    issued.set(key, got);
  }
  return got;
}

/** How many (child, parent) answers {@link issuedBy} keeps (the oldest goes first). */
const MAX_ISSUED = 2048;
const issued = new Map<string, 'yes' | 'no' | 'bad-signature'>();

function checkIssuedBy(child: X509Certificate, parent: X509Certificate, signatureOnly: boolean): 'yes' | 'no' | 'bad-signature' {
  if (!signatureOnly && !child.checkIssued(parent)) return 'no';
  try {
    return child.verify(parent.publicKey) ? 'yes' : 'bad-signature';
  } catch {
    return 'bad-signature';
  }
}

/** How many certificates' descriptions {@link describeCert} keeps (the oldest goes first). */
const MAX_DESCRIBED = 512;
const described = new Map<string, Omit<CertInfo, 'node'>>();
/** The same descriptions by certificate object, while the object lives. */
const describedObjects = new WeakMap<X509Certificate, Omit<CertInfo, 'node'>>();

/**
 * Read everything cert-check reports about one certificate (key size in bits, dates as Date).
 * Never throws. Kept by the certificate's SHA-256 fingerprint (the same DER, the same
 * description): a probe of `netlab exporter` or a `netlab check` run sees the same chain again
 * and again, and Node's getters (infoAccess, the public key's details) cost about 0.3 ms a
 * certificate. Each call gets its own copy, with its own `node`.
 */
export function describeCert(node: X509Certificate): CertInfo {
  // the same object again (connect.ts keeps the certificates it parsed): not even the fingerprint
  let d = describedObjects.get(node);
  if (!d) {
    const key = node.fingerprint256;
    d = described.get(key);
    if (!d) {
      const { node: _first, ...rest } = readCertInfo(node);
      d = rest;
      if (described.size >= MAX_DESCRIBED) described.delete(described.keys().next().value!);
      described.set(key, d);
    }
    describedObjects.set(node, d);
  }
  return { ...d, node, san: [...d.san], notBefore: new Date(d.notBefore.getTime()), notAfter: new Date(d.notAfter.getTime()) };
}

function readCertInfo(node: X509Certificate): CertInfo {
  const details = node.publicKey.asymmetricKeyDetails ?? {};
  const keyType = node.publicKey.asymmetricKeyType ?? 'unknown';
  let keyBits = details.modulusLength ?? 0;
  if (keyType === 'ec') {
    const curve = details.namedCurve ?? '';
    const bits: Record<string, number> = { prime192v1: 192, secp192r1: 192, secp224r1: 224, prime256v1: 256, secp256r1: 256, secp256k1: 256, secp384r1: 384, secp521r1: 521 };
    keyBits = bits[curve] ?? (Number(/(\d{3})/.exec(curve)?.[1]) || 0);
  } else if (keyType === 'ed25519') keyBits = 256;
  else if (keyType === 'ed448') keyBits = 448;
  const san = (node.subjectAltName ?? '')
    .split(', ')
    .filter(Boolean)
    .map((s) => s.replace(/^IP Address:/, 'IP:'));
  const aia = /CA Issuers - URI:(\S+)/.exec(node.infoAccess ?? '');
  const info: CertInfo = {
    node,
    subject: oneLineName(node.subject),
    issuer: oneLineName(node.issuer),
    san,
    // Node 20 gives "May  5 09:37:37 2011 GMT", which Date parses
    notBefore: new Date(node.validFrom),
    notAfter: new Date(node.validTo),
    keyType: keyType === 'ec' ? 'EC' : keyType.toUpperCase(),
    keyBits,
    signatureAlgorithm: signatureAlgorithmOf(node.raw),
    fingerprint256: node.fingerprint256,
    isCA: node.ca,
    selfIssued: node.subject === node.issuer,
  };
  if (aia) info.aiaIssuerUrl = aia[1]!;
  return info;
}

/** Whether a signature algorithm (OpenSSL's name) hashes with MD5, MD2 or SHA-1. */
export function weakSignature(alg: string): boolean {
  return /md5|md2|sha1(?!\d)|SHA1$/i.test(alg);
}
