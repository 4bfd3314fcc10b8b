/**
 * Certificate Transparency: how many Signed Certificate Timestamps (RFC 6962 3.3) a server
 * gives for its leaf. Counted, not verified (that needs the logs' keys): browsers that enforce
 * CT want 2 or 3 from distinct logs, and a CA-issued leaf without any is unusual.
 *
 * Read here: the SCT list embedded in the leaf (extension 1.3.6.1.4.1.11129.2.4.2) and the one
 * in the stapled OCSP response (single or response extension 1.3.6.1.4.1.11129.2.4.5). The TLS
 * extension signed_certificate_timestamp is not read: Node does not expose it. Pure: a tiny DER
 * walker, bounded by the input's size and a depth limit, that never throws.
 */

/** The X.509v3 extension of the SCTs embedded in a certificate (RFC 6962 3.3). */
export const SCT_LIST_OID_X509 = '1.3.6.1.4.1.11129.2.4.2';
/** The OCSP extension of the SCTs in an OCSP response (RFC 6962 3.3). */
export const SCT_LIST_OID_OCSP = '1.3.6.1.4.1.11129.2.4.5';

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

/** The TLVs of `b` between `from` and `to`, or null when they do not tile it exactly (not DER). */
function children(b: Buffer, from: number, to: number): Tlv[] | null {
  const out: Tlv[] = [];
  let at = from;
  while (at < to) {
    if (at + 2 > to) return null;
    const tag = b[at]!;
    if ((tag & 0x1f) === 0x1f) return null; // high tag numbers do not occur here
    let len = b[at + 1]!;
    let next = at + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4 || next + n > to) return null;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[next + i]!;
      next += n;
    }
    if (next + len > to) return null;
    out.push({ tag, start: next, end: next + len });
    at = next + len;
  }
  return out;
}

/** Dotted text of a DER OBJECT IDENTIFIER's content. */
function oidText(b: Buffer): string {
  const parts: number[] = [];
  let value = 0;
  for (const byte of b) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** The number of SCTs in a TLS-encoded SignedCertificateTimestampList (uint16 length, then uint16-prefixed entries). */
export function sctListCount(list: Buffer): number {
  if (list.length < 2) return 0;
  const total = list.readUInt16BE(0);
  const end = Math.min(list.length, 2 + total);
  let count = 0;
  for (let at = 2; at + 2 <= end; count++) {
    const len = list.readUInt16BE(at);
    if (len === 0 || at + 2 + len > end) break;
    at += 2 + len;
  }
  return count;
}

/**
 * The SCTs of every extension with `oid` in a DER structure (certificate or OCSP response):
 * an Extension is SEQUENCE { OID, [critical BOOLEAN], OCTET STRING { OCTET STRING { list } } }.
 * OCTET STRINGs that hold DER (an OCSP response's BasicOCSPResponse) are walked into.
 */
function countIn(der: Buffer, oid: string): number {
  let count = 0;
  const walk = (from: number, to: number, depth: number) => {
    if (depth > 16) return;
    const kids = children(der, from, to);
    if (!kids) return;
    for (const k of kids) {
      if (k.tag === 0x30) {
        const parts = children(der, k.start, k.end);
        if (parts && parts.length >= 2 && parts[0]!.tag === 0x06 && oidText(der.subarray(parts[0]!.start, parts[0]!.end)) === oid) {
          const value = parts[parts.length - 1]!;
          const inner = value.tag === 0x04 ? children(der, value.start, value.end) : null;
          if (inner && inner.length === 1 && inner[0]!.tag === 0x04) count += sctListCount(der.subarray(inner[0]!.start, inner[0]!.end));
          continue;
        }
      }
      if (k.tag & 0x20 || k.tag === 0x04) walk(k.start, k.end, depth + 1);
    }
  };
  walk(0, der.length, 0);
  return count;
}

/** The SCTs embedded in a certificate (its DER). */
export function countEmbeddedScts(certDer: Buffer): number {
  return countIn(certDer, SCT_LIST_OID_X509);
}

/** The SCTs in an OCSP response (its DER), in any of its extensions. */
export function countStapledScts(ocspDer: Buffer): number {
  return countIn(ocspDer, SCT_LIST_OID_OCSP);
}
