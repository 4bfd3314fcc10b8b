/**
 * A stapled OCSP response (RFC 6960), read and checked the way a client that relies on it
 * must: the response is successful and basic; one of its SingleResponses is about our
 * certificate (serial number, and issuer name and key hashes when the issuer is known); it is
 * signed by the issuer itself or by a responder certificate the issuer issued for OCSP
 * signing (id-kp-OCSPSigning), and the signature verifies; thisUpdate is not in the future
 * and nextUpdate, when present, not in the past. Only then does its good / revoked / unknown
 * count. No network: the staple is what the server sent in the handshake.
 *
 * Parsing goes through @peculiar/asn1-ocsp (and asn1-x509 for the issuer's name and key
 * bytes, which Node's X509Certificate does not expose); hashing and signature checks through
 * node:crypto.
 */
import { createHash, verify as verifySignature, X509Certificate } from 'node:crypto';
import { issuedBy, oneLineName } from './certs.js';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, CRLReasons, Extension } from '@peculiar/asn1-x509';
import { BasicOCSPResponse, CertID, OCSPRequest, OCSPResponse, OCSPResponseStatus, Request, TBSRequest, id_kp_OCSPSigning, id_pkix_ocsp_basic } from '@peculiar/asn1-ocsp';

/** What an OCSP response says of a certificate (RFC 6960 4.2.1 CertStatus). */
export type OcspCertStatus = 'good' | 'revoked' | 'unknown';

/** A stapled OCSP response as read and checked by `readOcspStaple`; dates are ISO 8601 (JSON-able). */
export interface OcspStaple {
  /** What the staple says about the certificate; null when the staple cannot be relied on. */
  certStatus: OcspCertStatus | null;
  /** Why it cannot be relied on (then certStatus is null). */
  invalid?: string;
  producedAt?: string;
  thisUpdate?: string;
  nextUpdate?: string;
  revokedAt?: string;
  /** RFC 5280 CRLReason name, when the response gives one. */
  revocationReason?: string;
  /** Who signed it: "the issuer" or "responder SUBJECT". */
  signedBy?: string;
}

/** Clock skew allowed on thisUpdate, as OpenSSL's OCSP_check_validity default nsec (5 min). */
const SKEW_MS = 5 * 60 * 1000;

const HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Signature algorithm OID -> the digest node:crypto.verify takes (null: the key decides, Ed25519). */
export const SIGNATURES: Record<string, string | null> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null,
};

function hex(bytes: ArrayBuffer | Uint8Array): string {
  return Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('hex').toUpperCase();
}

/** A serial number as Node prints it: upper-case hex without leading zero bytes. */
export function serialHex(bytes: ArrayBuffer | Uint8Array): string {
  return hex(bytes).replace(/^(00)+(?=.)/, '');
}

/** The issuer's subject (DER) and public key (the BIT STRING's bytes), as CertID hashes them. */
export function issuerParts(issuer: X509Certificate): { name: Buffer; key: Buffer } {
  const c = AsnConvert.parse(issuer.raw, Certificate);
  return {
    name: Buffer.from(AsnConvert.serialize(c.tbsCertificate.subject)),
    key: Buffer.from(c.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey),
  };
}

function failed(invalid: string, extra: Partial<OcspStaple> = {}): OcspStaple {
  return { certStatus: null, invalid, ...extra };
}

/**
 * Read a stapled response for `leaf`. `issuer` is the leaf's issuer when the chain has it;
 * without it neither the CertID's issuer hashes nor the signer can be checked, and the staple
 * is reported as unverifiable. Never throws.
 */
export function readOcspStaple(der: Uint8Array, leaf: X509Certificate, issuer: X509Certificate | undefined, now: Date): OcspStaple {
  return readOcsp(der, leaf, issuer, now, 'staple');
}

/**
 * The same checks as {@link readOcspStaple}, on what a responder answered to {@link buildOcspRequest}
 * (RFC 6960 4.2.2.2 names the same authorised signers). A nonce the response carries must be
 * ours; a response without one is taken, as OpenSSL's `ocsp` does by default ("WARNING: no nonce
 * in response"), and says `nonce: 'absent'` (RFC 5019 responders, most public CAs', ignore it).
 * Never throws.
 */
export function readOcspResponse(der: Uint8Array, leaf: X509Certificate, issuer: X509Certificate, now: Date, nonce: Buffer): OcspStaple & { nonce?: 'echoed' | 'absent' } {
  return readOcsp(der, leaf, issuer, now, 'response', nonce);
}

/** id-pkix-ocsp-nonce (RFC 8954). */
const NONCE_OID = '1.3.6.1.5.5.7.48.1.2';
/** OpenSSL's default nonce length (RFC 8954 2.1: 1 to 32 octets). */
export const NONCE_BYTES = 16;

/**
 * A DER OCSPRequest (RFC 6960 4.1.1) for `leaf` issued by `issuer`: one Request whose CertID
 * hashes with SHA-1 (what every responder accepts; RFC 5019 2.1.1 requires it), no signature,
 * and a nonce extension (RFC 8954) when `nonce` is given.
 */
export function buildOcspRequest(leaf: X509Certificate, issuer: X509Certificate, nonce?: Buffer): Buffer {
  const parts = issuerParts(issuer);
  const leafCert = AsnConvert.parse(leaf.raw, Certificate);
  const sha1 = (b: Buffer) => new OctetString(createHash('sha1').update(b).digest());
  const request = new OCSPRequest({
    tbsRequest: new TBSRequest({
      requestList: [new Request({
        reqCert: new CertID({
          hashAlgorithm: new AlgorithmIdentifier({ algorithm: '1.3.14.3.2.26', parameters: null }),
          issuerNameHash: sha1(parts.name),
          issuerKeyHash: sha1(parts.key),
          serialNumber: leafCert.tbsCertificate.serialNumber,
        }),
      })],
      ...(nonce ? { requestExtensions: [new Extension({ extnID: NONCE_OID, critical: false, extnValue: new OctetString(AsnConvert.serialize(new OctetString(nonce))) })] } : {}),
    }),
  });
  return Buffer.from(AsnConvert.serialize(request));
}

function readOcsp(der: Uint8Array, leaf: X509Certificate, issuer: X509Certificate | undefined, now: Date, what: 'staple' | 'response', nonce?: Buffer): OcspStaple & { nonce?: 'echoed' | 'absent' } {
  let basic: BasicOCSPResponse;
  try {
    const response = AsnConvert.parse(der, OCSPResponse);
    if (response.responseStatus !== OCSPResponseStatus.successful) {
      return failed(`the responder answered ${OCSPResponseStatus[response.responseStatus] ?? `status ${response.responseStatus}`}, not a response`);
    }
    if (!response.responseBytes || response.responseBytes.responseType !== id_pkix_ocsp_basic) {
      return failed(`not a basic OCSP response (${response.responseBytes?.responseType ?? 'no response bytes'})`);
    }
    basic = AsnConvert.parse(response.responseBytes.response.buffer, BasicOCSPResponse);
  } catch (e) {
    return failed(`malformed OCSP response (${e instanceof Error ? e.message : String(e)})`);
  }
  const data = basic.tbsResponseData;
  const base: Partial<OcspStaple> = { producedAt: data.producedAt.toISOString() };

  // 1. the SingleResponse about this certificate
  const serial = leaf.serialNumber.toUpperCase().replace(/^(00)+(?=.)/, '');
  const parts = issuer ? issuerParts(issuer) : undefined;
  const single = data.responses.find((r) => {
    if (serialHex(r.certID.serialNumber) !== serial) return false;
    if (!parts) return true;
    const alg = HASHES[r.certID.hashAlgorithm.algorithm];
    if (!alg) return false;
    return hex(r.certID.issuerNameHash.buffer) === hex(createHash(alg).update(parts.name).digest())
      && hex(r.certID.issuerKeyHash.buffer) === hex(createHash(alg).update(parts.key).digest());
  });
  if (!single) return failed(`the ${what} is about another certificate (no response for serial ${serial}${issuer ? ' from this issuer' : ''})`, base);
  base.thisUpdate = single.thisUpdate.toISOString();
  if (single.nextUpdate) base.nextUpdate = single.nextUpdate.toISOString();
  if (!issuer) return failed(`the leaf's issuer is not in the chain, so the ${what}'s signer cannot be checked`, base);

  // 2. the signer: the issuer, or a responder certificate it issued for OCSP signing
  const id = data.responderID;
  const matches = (c: X509Certificate): boolean => {
    const own = c === issuer && parts ? parts : issuerParts(c);
    if (id.byKey) return hex(id.byKey.buffer) === hex(createHash('sha1').update(own.key).digest());
    if (id.byName) return hex(AsnConvert.serialize(id.byName)) === hex(own.name);
    return false;
  };
  let signer: X509Certificate | undefined;
  let signedBy = '';
  if (matches(issuer)) {
    signer = issuer;
    signedBy = 'the issuer';
  } else {
    for (const c of basic.certs ?? []) {
      const cert = new X509Certificate(Buffer.from(AsnConvert.serialize(c)));
      if (!matches(cert)) continue;
      if (issuedBy(cert, issuer) !== 'yes') return failed(`signed by responder ${oneLineName(cert.subject)}, which the issuer did not issue`, base);
      if (!(cert.keyUsage ?? []).includes(id_kp_OCSPSigning)) return failed(`signed by responder ${oneLineName(cert.subject)}, which is not authorised for OCSP signing (no id-kp-OCSPSigning)`, base);
      signer = cert;
      signedBy = `responder ${oneLineName(cert.subject)}`;
      break;
    }
  }
  if (!signer) return failed('signed by neither the issuer nor a responder certificate included in it', base);
  base.signedBy = signedBy;
  const digest = SIGNATURES[basic.signatureAlgorithm.algorithm];
  if (digest === undefined) return failed(`signature algorithm ${basic.signatureAlgorithm.algorithm} is not supported here`, base);
  let valid = false;
  try {
    valid = verifySignature(digest, Buffer.from(basic.tbsResponseDataRaw!), signer.publicKey, Buffer.from(basic.signature));
  } catch {
    valid = false;
  }
  if (!valid) return failed(`the signature does not verify with the key of ${signedBy}`, base);

  // 3. the nonce, inside the signed data: ours, or none (RFC 8954 3: a responder may leave it out)
  let echoed: 'echoed' | 'absent' | undefined;
  if (nonce) {
    const ext = data.responseExtensions?.find((e) => e.extnID === NONCE_OID);
    if (ext) {
      let value: Buffer;
      try {
        value = Buffer.from(AsnConvert.parse(ext.extnValue.buffer, OctetString).buffer);
      } catch {
        // some old responders put the raw bytes in extnValue, without the inner OCTET STRING
        value = Buffer.from(ext.extnValue.buffer);
      }
      if (!value.equals(nonce) && !Buffer.from(ext.extnValue.buffer).equals(nonce)) return failed('its nonce is not the one sent (a replayed or misdirected response)', base);
      echoed = 'echoed';
    } else {
      echoed = 'absent';
    }
  }
  const extra = echoed ? { nonce: echoed } : {};

  // 4. dates
  if (single.thisUpdate.getTime() > now.getTime() + SKEW_MS) return failed(`its thisUpdate ${base.thisUpdate} is in the future`, base);
  if (single.nextUpdate && single.nextUpdate.getTime() < now.getTime() - SKEW_MS) return failed(`it is out of date (nextUpdate ${base.nextUpdate} has passed)`, base);

  // 5. what it says
  const status = single.certStatus;
  if (status.revoked) {
    const reason = status.revoked.revocationReason ? CRLReasons[status.revoked.revocationReason.reason] : undefined;
    return { ...base, ...extra, certStatus: 'revoked', revokedAt: status.revoked.revocationTime.toISOString(), ...(reason ? { revocationReason: reason } : {}) };
  }
  return { ...base, ...extra, certStatus: status.good !== undefined ? 'good' : 'unknown' };
}
