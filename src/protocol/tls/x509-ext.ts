/**
 * The parts of a certificate that path validation needs and Node 20's X509Certificate does not
 * expose: the version, the names as DER, and the extensions (RFC 5280 4.2) read from the DER
 * with certs.ts's TLV reader. A few hundred bytes of parsing per certificate, no package to
 * load: @peculiar/x509 costs ~100 ms to import, more than a whole check.
 */
import { canonicalNameKey, oidText, tlv } from './certs.js';

/** One extension as it is in the certificate. */
export interface RawExtension {
  oid: string;
  critical: boolean;
  /** The extnValue OCTET STRING's contents (the extension's own DER). */
  value: Buffer;
}

/** A GeneralName of the types netlab checks (RFC 5280 4.2.1.6); others keep their tag. */
export type GeneralName =
  | { type: 'dns'; value: string }
  | { type: 'ip'; bytes: Buffer }
  | { type: 'email'; value: string }
  | { type: 'uri'; value: string }
  | { type: 'dirName'; der: Buffer }
  | { type: 'other'; tag: number };

/** A subtree of the name constraints: its base, and for an IP address its mask. */
export interface NameSubtree {
  base: GeneralName;
  /** minimum/maximum given and not the default (0, absent): OpenSSL refuses them (X509_V_ERR_SUBTREE_MINMAX). */
  minMax: boolean;
}

/** What validation reads from a certificate. Every field is undefined or empty when absent. */
export interface CertFields {
  /** 1, 2 or 3 (the DER value plus one). */
  version: number;
  issuerKey: string | undefined;
  subjectKey: string | undefined;
  /** Whether the subject Name has no attribute. */
  subjectEmpty: boolean;
  /** The subject's commonName values, as text. */
  commonNames: string[];
  /** The subject's emailAddress values (PKCS#9), as text. */
  emails: string[];
  extensions: RawExtension[];
  /** Whether an extension appears twice (RFC 5280 4.2: MUST NOT). */
  duplicateExtension: boolean;
  /** basicConstraints present, its cA and pathLenConstraint. */
  basicConstraints?: { ca: boolean; pathLen?: number };
  /** keyUsage bits present (bit 0 digitalSignature ... bit 8 decipherOnly). */
  keyUsage?: Set<number>;
  /** extKeyUsage OIDs. */
  extKeyUsage?: string[];
  /** Netscape certificate type bits (first byte), when present. */
  nsCertType?: number;
  subjectKeyId?: string;
  authorityKeyId?: string;
  san?: GeneralName[];
  nameConstraints?: { permitted: NameSubtree[]; excluded: NameSubtree[] };
  /** An extension netlab reads could not be parsed. */
  malformed: string[];
}

export const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  nsCertType: '2.16.840.1.113730.1.1',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  anyExtendedKeyUsage: '2.5.29.37.0',
  nsSGC: '2.16.840.1.113730.4.1',
  msSGC: '1.3.6.1.4.1.311.10.3.3',
  commonName: '2.5.4.3',
  emailAddress: '1.2.840.113549.1.9.1',
} as const;

/** Names of the extended key usages a person meets, for messages. */
export const EKU_NAMES: Record<string, string> = {
  [OID.serverAuth]: 'serverAuth',
  [OID.clientAuth]: 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  [OID.anyExtendedKeyUsage]: 'anyExtendedKeyUsage',
};

/**
 * The extensions OpenSSL 3 understands when they are critical (X509_supported_extension in
 * crypto/x509/v3_purp.c): netscape-cert-type, keyUsage, subjectAltName, basicConstraints,
 * certificatePolicies, cRLDistributionPoints, extKeyUsage, the RFC 3779 address and AS blocks,
 * OCSP no-check, policyConstraints, proxyCertInfo, nameConstraints, policyMappings,
 * inhibitAnyPolicy. Any other extension marked critical makes OpenSSL refuse the certificate
 * (X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION), even subjectKeyIdentifier and
 * authorityKeyIdentifier, so netlab does the same.
 */
export const UNDERSTOOD_CRITICAL: ReadonlySet<string> = new Set([
  OID.nsCertType, OID.keyUsage, OID.subjectAltName, OID.basicConstraints, '2.5.29.32', '2.5.29.31', OID.extKeyUsage,
  '1.3.6.1.5.5.7.1.7', '1.3.6.1.5.5.7.1.8', '1.3.6.1.5.5.7.48.1.5', '2.5.29.36', '1.3.6.1.5.5.7.1.14', OID.nameConstraints, '2.5.29.33', '2.5.29.54',
]);

/** The fields of tbsCertificate up to the subject, and what follows it. */
function tbsParts(der: Buffer): { version: number; issuer: Buffer; subject: Buffer; afterSubject: number; tbsEnd: number } {
  const cert = tlv(der, 0);
  const tbs = tlv(der, cert.start);
  let at = tbs.start;
  let version = 1;
  let field = tlv(der, at);
  if (field.tag === 0xa0) {
    const v = tlv(der, field.start);
    version = der.readUIntBE(v.start, Math.min(v.end - v.start, 4)) + 1;
    at = field.end;
    field = tlv(der, at);
  }
  const signature = tlv(der, field.end);
  const issuer = tlv(der, signature.end);
  const validity = tlv(der, issuer.end);
  const subject = tlv(der, validity.end);
  return { version, issuer: der.subarray(signature.end, issuer.end), subject: der.subarray(validity.end, subject.end), afterSubject: subject.end, tbsEnd: tbs.end };
}

/** Every child TLV of a constructed value [start, end). */
function children(der: Buffer, start: number, end: number): Array<{ tag: number; start: number; end: number }> {
  const out: Array<{ tag: number; start: number; end: number }> = [];
  for (let at = start; at < end;) {
    const t = tlv(der, at);
    if (t.end > end) throw new Error('child runs past its parent');
    out.push(t);
    at = t.end;
  }
  return out;
}

/** A GeneralName from its context-tagged TLV (RFC 5280 4.2.1.6). */
function generalName(der: Buffer, t: { tag: number; start: number; end: number }): GeneralName {
  const value = der.subarray(t.start, t.end);
  switch (t.tag) {
    case 0x82: return { type: 'dns', value: value.toString('latin1') };
    case 0x87: return { type: 'ip', bytes: Buffer.from(value) };
    case 0x81: return { type: 'email', value: value.toString('latin1') };
    case 0x86: return { type: 'uri', value: value.toString('latin1') };
    case 0xa4: return { type: 'dirName', der: Buffer.from(value) };
    default: return { type: 'other', tag: t.tag };
  }
}

function generalNames(der: Buffer): GeneralName[] {
  const seq = tlv(der, 0);
  if (seq.tag !== 0x30) throw new Error('GeneralNames is not a SEQUENCE');
  return children(der, seq.start, seq.end).map((t) => generalName(der, t));
}

function subtrees(der: Buffer, t: { start: number; end: number }): NameSubtree[] {
  return children(der, t.start, t.end).map((sub) => {
    const parts = children(der, sub.start, sub.end);
    const base = generalName(der, parts[0]!);
    // minimum [0] DEFAULT 0, maximum [1] absent: anything else is refused
    const minMax = parts.slice(1).some((p) => p.tag !== 0x80 || der.subarray(p.start, p.end).some((b) => b !== 0));
    return { base, minMax };
  });
}

/** The attribute values of a Name (DER) with the given type OID, as text. */
function nameValues(name: Buffer, oid: string): string[] {
  const out: string[] = [];
  const seq = tlv(name, 0);
  for (const set of children(name, seq.start, seq.end)) {
    for (const atv of children(name, set.start, set.end)) {
      const [type, value] = children(name, atv.start, atv.end);
      if (!type || !value || oidText(name.subarray(type.start, type.end)) !== oid) continue;
      const raw = name.subarray(value.start, value.end);
      out.push(value.tag === 0x1e ? Buffer.from(raw).swap16().toString('utf16le') : raw.toString(value.tag === 0x0c ? 'utf8' : 'latin1'));
    }
  }
  return out;
}

const hex = (b: Buffer) => b.toString('hex');

/**
 * Read the fields of {@link CertFields} from a certificate's DER. Never throws: an extension
 * that does not parse is listed in `malformed` (and treated as absent); a certificate whose
 * structure cannot be read at all gives version 0 and no extension.
 */
export function readCertFields(der: Buffer): CertFields {
  const f: CertFields = { version: 0, issuerKey: undefined, subjectKey: undefined, subjectEmpty: false, commonNames: [], emails: [], extensions: [], duplicateExtension: false, malformed: [] };
  let parts: ReturnType<typeof tbsParts>;
  try {
    parts = tbsParts(der);
  } catch {
    f.malformed.push('certificate');
    return f;
  }
  f.version = parts.version;
  f.issuerKey = canonicalNameKey(parts.issuer);
  f.subjectKey = canonicalNameKey(parts.subject);
  try {
    const s = tlv(parts.subject, 0);
    f.subjectEmpty = s.start === s.end;
    f.commonNames = nameValues(parts.subject, OID.commonName);
    f.emails = nameValues(parts.subject, OID.emailAddress);
  } catch {
    f.malformed.push('subject');
  }
  try {
    // subjectPublicKeyInfo, then [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions
    for (const t of children(der, parts.afterSubject, parts.tbsEnd)) {
      if (t.tag !== 0xa3) continue;
      const seq = tlv(der, t.start);
      for (const ext of children(der, seq.start, seq.end)) {
        const fields = children(der, ext.start, ext.end);
        const oid = oidText(der.subarray(fields[0]!.start, fields[0]!.end));
        const critical = fields.length === 3 && fields[1]!.tag === 0x01 && der[fields[1]!.start] !== 0;
        const octets = fields[fields.length - 1]!;
        f.extensions.push({ oid, critical, value: Buffer.from(der.subarray(octets.start, octets.end)) });
      }
    }
  } catch {
    f.malformed.push('extensions');
  }
  const seen = new Set<string>();
  for (const e of f.extensions) {
    if (seen.has(e.oid)) f.duplicateExtension = true;
    seen.add(e.oid);
    try {
      readExtension(f, e);
    } catch {
      f.malformed.push(e.oid);
    }
  }
  return f;
}

function readExtension(f: CertFields, e: RawExtension): void {
  const v = e.value;
  switch (e.oid) {
    case OID.basicConstraints: {
      const seq = tlv(v, 0);
      const items = children(v, seq.start, seq.end);
      let ca = false;
      let pathLen: number | undefined;
      for (const item of items) {
        if (item.tag === 0x01) ca = v[item.start] !== 0;
        else if (item.tag === 0x02) pathLen = item.end - item.start > 4 ? Number.MAX_SAFE_INTEGER : v.readUIntBE(item.start, item.end - item.start);
      }
      f.basicConstraints = pathLen === undefined ? { ca } : { ca, pathLen };
      break;
    }
    case OID.keyUsage: {
      const bits = tlv(v, 0);
      const set = new Set<number>();
      // BIT STRING: first byte is the count of unused bits
      for (let i = bits.start + 1; i < bits.end; i++) {
        for (let b = 0; b < 8; b++) if (v[i]! & (0x80 >> b)) set.add((i - bits.start - 1) * 8 + b);
      }
      f.keyUsage = set;
      break;
    }
    case OID.nsCertType: {
      const bits = tlv(v, 0);
      f.nsCertType = bits.end - bits.start > 1 ? v[bits.start + 1]! : 0;
      break;
    }
    case OID.extKeyUsage: {
      const seq = tlv(v, 0);
      f.extKeyUsage = children(v, seq.start, seq.end).map((t) => oidText(v.subarray(t.start, t.end)));
      break;
    }
    case OID.subjectKeyIdentifier: {
      const o = tlv(v, 0);
      f.subjectKeyId = hex(v.subarray(o.start, o.end));
      break;
    }
    case OID.authorityKeyIdentifier: {
      const seq = tlv(v, 0);
      const id = children(v, seq.start, seq.end).find((t) => t.tag === 0x80);
      if (id) f.authorityKeyId = hex(v.subarray(id.start, id.end));
      break;
    }
    case OID.subjectAltName:
      f.san = generalNames(v);
      break;
    case OID.nameConstraints: {
      const seq = tlv(v, 0);
      const nc = { permitted: [] as NameSubtree[], excluded: [] as NameSubtree[] };
      for (const t of children(v, seq.start, seq.end)) {
        if (t.tag === 0xa0) nc.permitted = subtrees(v, t);
        else if (t.tag === 0xa1) nc.excluded = subtrees(v, t);
      }
      f.nameConstraints = nc;
      break;
    }
    default:
      break;
  }
}
