/**
 * The RFC 5280 constraints a path must meet, each decided as OpenSSL 3 decides it
 * (crypto/x509/x509_vfy.c check_extensions and check_name_constraints, v3_purp.c
 * check_ca and the "sslserver" purpose, v3_ncons.c nc_match): whether a certificate may act
 * as a CA, whether it may serve (or issue for) TLS servers, and whether a name is inside a
 * CA's name constraints. Pure functions over {@link CertFields}.
 */
import net from 'node:net';
import { canonicalNameKey } from './certs.js';
import { EKU_NAMES, OID, type CertFields, type GeneralName, type NameSubtree } from './x509-ext.js';

/** keyUsage bits (RFC 5280 4.2.1.3). */
export const KU = { digitalSignature: 0, keyEncipherment: 2, keyAgreement: 4, keyCertSign: 5 } as const;

/** Netscape certificate type bits as OpenSSL reads them (the first byte). */
const NS_SSL_SERVER = 0x40;
const NS_SSL_CA = 0x04;
const NS_ANY_CA = 0x07;

/**
 * OpenSSL's check_ca: 0 not a CA; 1 basicConstraints CA:TRUE; 3 a version 1 self-signed
 * root; 4 keyUsage with keyCertSign but no basicConstraints; 5 a Netscape CA type. A keyUsage
 * without keyCertSign makes it 0 whatever basicConstraints says.
 */
export function caKind(f: CertFields, selfSigned: boolean): 0 | 1 | 3 | 4 | 5 {
  if (f.keyUsage && !f.keyUsage.has(KU.keyCertSign)) return 0;
  if (f.basicConstraints) return f.basicConstraints.ca ? 1 : 0;
  if (f.version === 1 && selfSigned) return 3;
  if (f.keyUsage) return 4;
  if (f.nsCertType !== undefined && (f.nsCertType & NS_ANY_CA) !== 0) return 5;
  return 0;
}

/** Why a certificate that issued another may not (OpenSSL X509_V_ERR_INVALID_CA), or undefined when it may. */
export function notACaReason(f: CertFields, selfSigned: boolean, top: boolean): { constraint: 'keyUsage' | 'basicConstraints'; why: string } | undefined {
  const kind = caKind(f, selfSigned);
  // x509_vfy.c check_extensions: "X509_V_FLAG_X509_STRICT is implicit for intermediate CAs": only CA:TRUE below the top
  if (kind === 1 || (top && kind !== 0)) return undefined;
  // CA:FALSE first: a leaf used as a CA is that, whatever its keyUsage says
  if (f.basicConstraints && !f.basicConstraints.ca) {
    const server = f.extKeyUsage?.includes(OID.serverAuth) ? ', a server certificate' : '';
    const ku = !f.keyUsage ? '' : f.keyUsage.has(KU.keyCertSign) ? ', even though its keyUsage includes keyCertSign' : ', and its keyUsage does not include keyCertSign';
    return { constraint: 'basicConstraints', why: `its basicConstraints say CA:FALSE: it is an end-entity certificate${server} used as a CA${ku}` };
  }
  if (f.keyUsage && !f.keyUsage.has(KU.keyCertSign)) return { constraint: 'keyUsage', why: 'it is a CA certificate, but its keyUsage does not include keyCertSign' };
  return { constraint: 'basicConstraints', why: 'it has no basicConstraints extension with CA:TRUE' };
}

const ekuText = (oids: string[]) => oids.map((o) => EKU_NAMES[o] ?? o).join(', ') || 'nothing';

/**
 * Why a certificate fails OpenSSL's "sslserver" purpose (X509_V_ERR_INVALID_PURPOSE), or
 * undefined when it passes. The leaf: extendedKeyUsage, when present, must list serverAuth
 * (or a Server Gated Crypto OID); keyUsage, when present, digitalSignature, keyEncipherment or
 * keyAgreement. A CA (`asCa`): its extendedKeyUsage, when present, must list serverAuth too,
 * since it restricts what it may issue. OpenSSL does not let anyExtendedKeyUsage stand for
 * serverAuth, and netlab follows it.
 */
export function sslServerPurposeFailure(f: CertFields, asCa: boolean, selfSigned: boolean): string | undefined {
  const eku = f.extKeyUsage;
  if (eku && !eku.some((o) => o === OID.serverAuth || o === OID.nsSGC || o === OID.msSGC)) {
    const any = eku.includes(OID.anyExtendedKeyUsage) ? ' (OpenSSL does not take anyExtendedKeyUsage for serverAuth)' : '';
    return asCa
      ? `its extendedKeyUsage allows only ${ekuText(eku)}, not serverAuth, so it may not issue TLS server certificates${any}`
      : `its extendedKeyUsage allows only ${ekuText(eku)}, not serverAuth: it is not a TLS server certificate${any}`;
  }
  if (asCa) {
    const kind = caKind(f, selfSigned);
    if (kind === 5 && ((f.nsCertType ?? 0) & NS_SSL_CA) === 0) return 'its Netscape certificate type does not include SSL CA';
    return undefined;
  }
  if (f.nsCertType !== undefined && (f.nsCertType & NS_SSL_SERVER) === 0) return 'its Netscape certificate type does not include SSL server';
  if (f.keyUsage && ![KU.digitalSignature, KU.keyEncipherment, KU.keyAgreement].some((b) => f.keyUsage!.has(b))) {
    return 'its keyUsage allows none of digitalSignature, keyEncipherment, keyAgreement, which a TLS server key needs';
  }
  return undefined;
}

/** A name in the form a message shows it. */
export function nameText(n: GeneralName): string {
  switch (n.type) {
    case 'dns': return `DNS:${n.value}`;
    case 'email': return `email:${n.value}`;
    case 'uri': return `URI:${n.value}`;
    case 'ip': return `IP:${ipText(n.bytes)}`;
    case 'dirName': return 'DirName';
    default: return `name of tag ${n.tag}`;
  }
}

function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length === 8) return `${[...b.subarray(0, 4)].join('.')}/${[...b.subarray(4)].join('.')}`;
  if (b.length === 16 || b.length === 32) {
    const groups = (x: Buffer) => Array.from({ length: x.length / 2 }, (_, i) => x.readUInt16BE(i * 2).toString(16)).join(':');
    return b.length === 16 ? groups(b) : `${groups(b.subarray(0, 16))}/${groups(b.subarray(16))}`;
  }
  return b.toString('hex');
}

const lower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** v3_ncons.c nc_dns: the base matches itself and any name with labels added on the left. */
function dnsMatches(name: string, base: string): boolean {
  if (base.length === 0) return true;
  const n = lower(name);
  const b = lower(base);
  if (n.length < b.length) return false;
  if (n.length > b.length && !b.startsWith('.') && n[n.length - b.length - 1] !== '.') return false;
  return n.endsWith(b);
}

/** v3_ncons.c nc_email: local@domain exactly, .domain for its subdomains, domain for that host. */
function emailMatches(email: string, base: string): boolean {
  const at = email.lastIndexOf('@');
  if (at < 0) return false;
  const domain = email.slice(at + 1);
  if (base.includes('@')) {
    const bat = base.lastIndexOf('@');
    return email.slice(0, at) === base.slice(0, bat) && lower(domain) === lower(base.slice(bat + 1));
  }
  if (base.startsWith('.')) return lower(domain).endsWith(lower(base));
  return lower(domain) === lower(base);
}

/** v3_ncons.c nc_ip: an address of the same family, inside the base's address and mask. */
function ipMatches(ip: Buffer, base: Buffer): boolean {
  if (base.length !== ip.length * 2) return false;
  for (let i = 0; i < ip.length; i++) {
    const mask = base[ip.length + i]!;
    if ((ip[i]! & mask) !== (base[i]! & mask)) return false;
  }
  return true;
}

/** nc_dn: the subject lies under the base when the base's RDNs are its first RDNs. */
function dirNameMatches(subjectKey: string | undefined, baseDer: Buffer): boolean {
  const base = canonicalNameKey(baseDer);
  if (subjectKey === undefined || base === undefined) return false;
  return base === '' || subjectKey === base || subjectKey.startsWith(`${base},`);
}

function matches(n: GeneralName, base: GeneralName, subjectKey: string | undefined): boolean | undefined {
  if (n.type !== base.type) return undefined;
  switch (n.type) {
    case 'dns': return dnsMatches(n.value, (base as { value: string }).value);
    case 'email': return emailMatches(n.value, (base as { value: string }).value);
    case 'ip': return ipMatches(n.bytes, (base as { bytes: Buffer }).bytes);
    case 'dirName': return dirNameMatches(subjectKey, (base as { der: Buffer }).der);
    default: return undefined; // URI and other types: netlab does not judge them
  }
}

/** A name constraint broken by a certificate: which name, and permitted or excluded. */
export interface NameViolation {
  name: string;
  kind: 'not permitted' | 'excluded' | 'minimum/maximum';
}

/**
 * The names OpenSSL's NAME_CONSTRAINTS_check looks at: the subject (as a directory name), the
 * subject's emailAddress values, every subjectAltName entry, and for the leaf without a DNS
 * subjectAltName its commonName when it looks like a host name (OpenSSL 3.0
 * NAME_CONSTRAINTS_check_CN).
 */
function namesToCheck(f: CertFields, leaf: boolean): Array<{ name: GeneralName; subject: string | undefined }> {
  const out: Array<{ name: GeneralName; subject: string | undefined }> = [];
  if (!f.subjectEmpty) out.push({ name: { type: 'dirName', der: Buffer.alloc(0) }, subject: f.subjectKey });
  for (const e of f.emails) out.push({ name: { type: 'email', value: e }, subject: undefined });
  for (const n of f.san ?? []) out.push({ name: n, subject: undefined });
  if (leaf && !(f.san ?? []).some((n) => n.type === 'dns')) {
    for (const cn of f.commonNames) {
      if (/^(?:\*\.)?[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+\.?$/.test(cn) && !net.isIP(cn)) out.push({ name: { type: 'dns', value: cn }, subject: undefined });
    }
  }
  return out;
}

/**
 * The first name of `f` that the name constraints `nc` refuse, as v3_ncons.c nc_match decides:
 * when permitted subtrees of a name's type exist, one must match; no excluded subtree may.
 * Undefined when every name passes.
 */
export function nameConstraintViolation(f: CertFields, nc: { permitted: NameSubtree[]; excluded: NameSubtree[] }, leaf: boolean): NameViolation | undefined {
  for (const { name, subject } of namesToCheck(f, leaf)) {
    const shown = name.type === 'dirName' ? 'its subject' : nameText(name);
    let sameType = false;
    let permitted = false;
    for (const sub of nc.permitted) {
      if (sub.base.type !== name.type) continue;
      if (sub.minMax) return { name: shown, kind: 'minimum/maximum' };
      sameType = true;
      if (matches(name, sub.base, subject)) permitted = true;
    }
    if (sameType && !permitted) return { name: shown, kind: 'not permitted' };
    for (const sub of nc.excluded) {
      if (sub.base.type !== name.type) continue;
      if (sub.minMax) return { name: shown, kind: 'minimum/maximum' };
      if (matches(name, sub.base, subject)) return { name: shown, kind: 'excluded' };
    }
  }
  return undefined;
}

/** The subtrees of name constraints, in a few words: `permitted DNS:example.test; excluded IP:127.0.0.0/255.0.0.0`. */
export function constraintsText(nc: { permitted: NameSubtree[]; excluded: NameSubtree[] }): string {
  const part = (label: string, subs: NameSubtree[]) => (subs.length > 0 ? `${label} ${subs.map((s) => nameText(s.base)).join(', ')}` : '');
  return [part('permitted', nc.permitted), part('excluded', nc.excluded)].filter(Boolean).join('; ');
}
