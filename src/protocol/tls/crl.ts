/**
 * A CRL (RFC 5280 5) read and checked the way a client that relies on it must: DER or PEM;
 * issued by the leaf's issuer (the CRL's issuer name is the issuer's subject, and its key
 * verifies the signature; when the issuer's keyUsage is present it must allow cRLSign, RFC 5280
 * 4.2.1.3); thisUpdate not in the future and nextUpdate, when present, not past; a complete CRL
 * (no delta CRL, no indirect CRL, no partial one by reasons or certificate kind that leaves the
 * leaf out, no critical extension this module does not understand). Only then is the leaf's
 * serial number looked up. No network: revocation.ts fetches the CRL.
 *
 * Parsing goes through @peculiar/asn1-x509 (CertificateList), loaded with this module only.
 */
import { verify as verifySignature, type X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier, Certificate, CRLDistributionPoints, CRLReason, CRLReasons, Extensions, IssuingDistributionPoint, KeyUsage, KeyUsageFlags, RevokedCertificate, Time,
  id_ce_cRLDistributionPoints, id_ce_cRLReasons, id_ce_issuingDistributionPoint, id_ce_keyUsage,
} from '@peculiar/asn1-x509';
import { canonicalNameKey, tlv } from './certs.js';
import { SIGNATURES, serialHex, type OcspStaple } from './ocsp.js';

/** What a CRL says of a certificate: the staple's shape (certStatus null with `invalid` when it cannot be relied on). */
export interface CrlVerdict extends Omit<OcspStaple, 'certStatus' | 'producedAt'> {
  certStatus: 'good' | 'revoked' | null;
  /** How many certificates the CRL lists as revoked. */
  entries?: number;
}

/** Clock skew allowed on thisUpdate, as for OCSP (ocsp.ts): 5 minutes. */
const SKEW_MS = 5 * 60 * 1000;

/** RFC 5280 5.2: CRL extensions this module understands (a critical one it does not is refused, 5.2 "MUST reject"). */
const KNOWN_CRL_EXTENSIONS = new Set([
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.20', // cRLNumber
  '2.5.29.18', // issuerAltName
  id_ce_issuingDistributionPoint,
  '2.5.29.46', // freshestCRL (non-critical by definition)
]);

const PEM_CRL = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/;

/** The CRL distribution point URLs of a certificate (fullName URIs, in order); none when it has no such extension. Never throws. */
export function crlUrlsOf(cert: X509Certificate): string[] {
  try {
    const ext = AsnConvert.parse(cert.raw, Certificate).tbsCertificate.extensions?.find((e) => e.extnID === id_ce_cRLDistributionPoints);
    if (!ext) return [];
    const points = AsnConvert.parse(ext.extnValue.buffer, CRLDistributionPoints);
    return points.flatMap((p) => (p.distributionPoint?.fullName ?? []).flatMap((g) => (g.uniformResourceIdentifier ? [g.uniformResourceIdentifier] : [])));
  } catch {
    return [];
  }
}

/** A CRL split by hand: asn1js refuses inputs of more than 10000 nodes (a CRL of ~2000 entries), and parsing every entry costs time. */
interface LightCrl {
  /** The DER of tbsCertList, as signed. */
  tbsRaw: Buffer;
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Buffer;
  /** The issuer Name, DER. */
  issuer: Buffer;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** Each revoked entry: its serial (upper-case hex without leading zero bytes) and its DER. */
  entries: Array<{ serial: string; der: Buffer }>;
  crlExtensions: Extensions;
}

const TIME_TAGS = new Set([0x17, 0x18]);

/**
 * RFC 5280 5.1: CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue BIT
 * STRING }; TBSCertList ::= SEQUENCE { version INTEGER OPTIONAL, signature, issuer Name,
 * thisUpdate Time, nextUpdate Time OPTIONAL, revokedCertificates SEQUENCE OF SEQUENCE {
 * userCertificate INTEGER, revocationDate Time, crlEntryExtensions OPTIONAL } OPTIONAL,
 * crlExtensions [0] EXPLICIT Extensions OPTIONAL }. The small parts go through asn1-schema, the
 * entries are only walked. Throws an Error on anything else.
 */
function splitCrl(der: Buffer): LightCrl {
  const piece = (t: { start: number; end: number }, at: number) => der.subarray(at, t.end);
  const outer = tlv(der, 0);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new Error('not a DER SEQUENCE');
  const tbs = tlv(der, outer.start);
  const alg = tlv(der, tbs.end);
  const sig = tlv(der, alg.end);
  if (tbs.tag !== 0x30 || alg.tag !== 0x30 || sig.tag !== 0x03) throw new Error('not a CertificateList');
  let at = tbs.start;
  let f = tlv(der, at);
  if (f.tag === 0x02) f = tlv(der, (at = f.end));
  const signature = f;
  const issuer = tlv(der, (at = signature.end));
  const thisUpdate = tlv(der, (at = issuer.end));
  if (signature.tag !== 0x30 || issuer.tag !== 0x30 || !TIME_TAGS.has(thisUpdate.tag)) throw new Error('not a TBSCertList');
  const time = (t: { start: number; end: number }, from: number) => AsnConvert.parse(piece(t, from), Time).getTime();
  const out: LightCrl = {
    tbsRaw: der.subarray(outer.start, tbs.end),
    signatureAlgorithm: AsnConvert.parse(der.subarray(tbs.end, alg.end), AlgorithmIdentifier),
    // the BIT STRING's first byte counts the unused bits (0 for signatures)
    signature: der.subarray(sig.start + 1, sig.end),
    issuer: der.subarray(signature.end, issuer.end),
    thisUpdate: time(thisUpdate, issuer.end),
    entries: [],
    crlExtensions: new Extensions(),
  };
  at = thisUpdate.end;
  while (at < tbs.end) {
    const start = at;
    const t = tlv(der, at);
    at = t.end;
    if (TIME_TAGS.has(t.tag) && out.entries.length === 0 && !out.nextUpdate) out.nextUpdate = time(t, start);
    else if (t.tag === 0x30) {
      // each entry: SEQUENCE { INTEGER serial, ... }; the loop adds one entry per turn, up to the list's end
      for (let e = t.start; e < t.end;) {
        const entry = tlv(der, e);
        const serial = tlv(der, entry.start);
        if (entry.tag !== 0x30 || serial.tag !== 0x02) throw new Error('a revoked entry is not SEQUENCE { INTEGER, ... }');
        out.entries.push({ serial: serialHex(der.subarray(serial.start, serial.end)), der: der.subarray(e, entry.end) });
        e = entry.end;
      }
    } else if (t.tag === 0xa0) out.crlExtensions = AsnConvert.parse(der.subarray(t.start, t.end), Extensions);
    else throw new Error(`unexpected tag 0x${t.tag.toString(16)} in TBSCertList`);
  }
  return out;
}

function failed(invalid: string, extra: Partial<CrlVerdict> = {}): CrlVerdict {
  return { certStatus: null, invalid, ...extra };
}

/** Whether the issuer's keyUsage allows signing CRLs (true when it has no keyUsage extension). */
function mayIssueCrls(issuer: X509Certificate): boolean {
  const ext = AsnConvert.parse(issuer.raw, Certificate).tbsCertificate.extensions?.find((e) => e.extnID === id_ce_keyUsage);
  if (!ext) return true;
  const usage = AsnConvert.parse(ext.extnValue.buffer, KeyUsage);
  return (usage.toNumber() & KeyUsageFlags.cRLSign) !== 0;
}

/**
 * Read a CRL (DER, or PEM `X509 CRL`) and say whether it lists `leaf`, checked against `issuer`
 * (the leaf's issuer, which must have signed it) at `now`. Never throws: what cannot be relied
 * on is `certStatus: null` with the reason in `invalid`.
 */
export function readCrl(bytes: Buffer, leaf: X509Certificate, issuer: X509Certificate, now: Date): CrlVerdict {
  let der = bytes;
  // DER starts with a SEQUENCE; anything else may be PEM
  const pem = bytes[0] === 0x30 ? null : PEM_CRL.exec(bytes.toString('latin1'));
  if (pem) der = Buffer.from(pem[1]!.replace(/\s+/g, ''), 'base64');
  let crl: LightCrl;
  try {
    crl = splitCrl(der);
  } catch (e) {
    return failed(`not a CRL (DER or PEM): ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const tbs = crl;
  const thisUpdate = tbs.thisUpdate;
  const nextUpdate = tbs.nextUpdate;
  const base: Partial<CrlVerdict> = { thisUpdate: thisUpdate.toISOString(), ...(nextUpdate ? { nextUpdate: nextUpdate.toISOString() } : {}), entries: tbs.entries.length };

  // 1. the issuer: the CRL names the leaf's issuer, and its key signed it
  const crlIssuer = canonicalNameKey(tbs.issuer);
  const issuerSubject = canonicalNameKey(Buffer.from(AsnConvert.serialize(AsnConvert.parse(issuer.raw, Certificate).tbsCertificate.subject)));
  if (crlIssuer === undefined || crlIssuer !== issuerSubject) return failed("it is issued by another CA than the leaf's issuer", base);
  const digest = SIGNATURES[crl.signatureAlgorithm.algorithm];
  if (digest === undefined) return failed(`signature algorithm ${crl.signatureAlgorithm.algorithm} is not supported here`, base);
  let valid = false;
  try {
    valid = verifySignature(digest, crl.tbsRaw, issuer.publicKey, crl.signature);
  } catch {
    valid = false;
  }
  if (!valid) return failed("its signature does not verify with the key of the leaf's issuer", base);
  base.signedBy = 'the issuer';
  if (!mayIssueCrls(issuer)) return failed("the leaf's issuer signed it, but its keyUsage does not allow signing CRLs (no cRLSign)", base);

  // 2. a complete CRL that covers the leaf
  for (const ext of tbs.crlExtensions) {
    if (ext.extnID === '2.5.29.27') return failed('it is a delta CRL, not a complete one', base);
    if (ext.critical && !KNOWN_CRL_EXTENSIONS.has(ext.extnID)) return failed(`it has a critical extension ${ext.extnID} that is not understood here (RFC 5280 5.2: reject it)`, base);
    if (ext.extnID === id_ce_issuingDistributionPoint) {
      const idp = AsnConvert.parse(ext.extnValue.buffer, IssuingDistributionPoint);
      if (idp.indirectCRL) return failed('it is an indirect CRL, which is not handled here', base);
      if (idp.onlyContainsCACerts || idp.onlyContainsAttributeCerts) return failed('it covers only CA (or attribute) certificates, not the leaf', base);
      if (idp.onlySomeReasons) return failed('it covers only some revocation reasons, not all', base);
    }
  }

  // 3. dates
  if (thisUpdate.getTime() > now.getTime() + SKEW_MS) return failed(`its thisUpdate ${base.thisUpdate} is in the future`, base);
  if (nextUpdate && nextUpdate.getTime() < now.getTime() - SKEW_MS) return failed(`it is out of date (nextUpdate ${base.nextUpdate} has passed)`, base);

  // 4. the leaf's serial
  const serial = leaf.serialNumber.toUpperCase().replace(/^(00)+(?=.)/, '');
  const at = tbs.entries.find((e) => e.serial === serial);
  if (!at) return { ...base, certStatus: 'good' };
  // only the leaf's entry is parsed whole (a CRL may list hundreds of thousands)
  const entry = AsnConvert.parse(at.der, RevokedCertificate);
  let reason: string | undefined;
  const reasonExt = entry.crlEntryExtensions?.find((e) => e.extnID === id_ce_cRLReasons);
  if (reasonExt) {
    try {
      reason = CRLReasons[AsnConvert.parse(reasonExt.extnValue.buffer, CRLReason).reason];
    } catch {
      reason = undefined;
    }
  }
  return { ...base, certStatus: 'revoked', revokedAt: entry.revocationDate.getTime().toISOString(), ...(reason ? { revocationReason: reason } : {}) };
}
