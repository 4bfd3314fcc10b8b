/**
 * Trust anchors: the root's KSKs built in, and anchor files as delv's `-a FILE` reads them
 * (BIND's `trust-anchors { NAME static-ds|initial-ds|static-key|initial-key ...; };`, and the
 * older `trusted-keys`/`managed-keys`), or plain DS and DNSKEY records in master-file form.
 * Pure: the caller reads the file.
 */
import { NetlabError } from '../../../errors.js';
import type { DnskeyData, DsData } from '../rdata.js';
import { lowerName } from './canonical.js';

/** One trust anchor: a DS or a DNSKEY at a zone's apex. */
export interface TrustAnchor {
  /** The zone, fully qualified, lower case. */
  zone: string;
  ds?: DsData;
  dnskey?: DnskeyData;
  /** Where it came from: `built-in (IANA root-anchors, KSK-2017)`, or `FILE:LINE`. */
  source: string;
}

/**
 * The root zone's KSKs, as IANA publishes them in https://data.iana.org/root-anchors/root-anchors.xml
 * (KeyDigest ids Klajeyz, KSK-2017, key tag 20326, and Kmyv6jo, KSK-2024, key tag 38696; both
 * algorithm 8, digest type 2). The same values are in BIND 9.18's bind.keys and Debian's
 * dns-root-data (/usr/share/dns/root.ds). KSK-2017's public key is also in bind.keys; its tag
 * and digest are checked against it by test/unit/dnssec-crypto.test.ts.
 */
export const ROOT_TRUST_ANCHORS: readonly TrustAnchor[] = [
  { zone: '.', source: 'built-in (IANA root-anchors, KSK-2017)', ds: { type: 'DS', keyTag: 20326, algorithm: 8, digestType: 2, digest: 'E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D' } },
  { zone: '.', source: 'built-in (IANA root-anchors, KSK-2024)', ds: { type: 'DS', keyTag: 38696, algorithm: 8, digestType: 2, digest: '683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16' } },
];

/**
 * KSK-2024's DNSKEY, as IANA's root-anchors publish it (Kmyv6jo); its key tag (38696) and SHA-256
 * digest equal the DS above, which test/unit/dnssec-crypto.test.ts checks.
 */
export const ROOT_KSK_2024: DnskeyData = {
  type: 'DNSKEY', flags: 257, protocol: 3, algorithm: 8,
  publicKey: 'AwEAAa96jeuknZlaeSrvyAJj6ZHv28hhOKkx3rLGXVaC6rXTsDc449/cidltpkyGwCJNnOAlFNKF2jBosZBU5eeHspaQWOmOElZsjICMQMC3aeHbGiShvZsx4wMYSjH8e7Vrhbu6irwCzVBApESjbUdpWWmEnhathWu1jo+siFUiRAAxm9qyJNg/wOZqqzL/dL/q8PkcRU5oUKEpUge71M3ej2/7CPqpdVwuMoTvoB+ZOT4YeGyxMvHmbrxlFzGOHOijtzN+u1TQNatX2XBuzZNQ1K+s2CXkPIZo7s6JgZyvaBevYtxPvYLw4z9mR7K2vaF18UYH9Z9GNUUeayffKC73PYc=',
};

/** KSK-2017's DNSKEY as bind.keys has it (RFC 5011's `initial-key` of BIND 9.18). */
export const ROOT_KSK_2017: DnskeyData = {
  type: 'DNSKEY', flags: 257, protocol: 3, algorithm: 8,
  publicKey: 'AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=',
};

interface Token {
  text: string;
  line: number;
  quoted: boolean;
  /** A line break (master-file form, outside parentheses) before this token. */
  newline: boolean;
}

/** Split into tokens: `"..."` strings (whitespace inside dropped later), `{ } ;` alone, comments (`#`, `//`, block comments, and `;` in master files) skipped. */
function tokenize(text: string, file: string, conf: boolean): Token[] {
  const out: Token[] = [];
  let line = 1;
  let depth = 0;
  let newline = true;
  const fail = (msg: string): never => {
    throw new NetlabError('INPUT', `${file}:${line}: ${msg}`);
  };
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      if (depth === 0) newline = true;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (c === '#' || (c === '/' && text[i + 1] === '/') || (!conf && c === ';')) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) fail('a comment that never ends');
      line += (text.slice(i, end).match(/\n/g) ?? []).length;
      i = end + 2;
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) fail('a quoted string that never ends');
      out.push({ text: text.slice(i + 1, end).replace(/\s+/g, ''), line, quoted: true, newline });
      newline = false;
      line += (text.slice(i, end).match(/\n/g) ?? []).length;
      i = end + 1;
    } else if (!conf && (c === '(' || c === ')')) {
      depth += c === '(' ? 1 : -1;
      if (depth < 0) fail("a ')' without its '('");
      i++;
    } else if (conf && (c === '{' || c === '}' || c === ';')) {
      out.push({ text: c, line, quoted: false, newline });
      newline = false;
      i++;
    } else {
      let j = i;
      while (j < text.length && !/[\s"{};()]/.test(text[j]!) && !(conf ? false : text[j] === ';')) j++;
      if (j === i) j = i + 1;
      out.push({ text: text.slice(i, j), line, quoted: false, newline });
      newline = false;
      i = j;
    }
  }
  return out;
}

function num(t: Token | undefined, bits: number, what: string, file: string): number {
  if (!t || !/^\d+$/.test(t.text) || Number(t.text) >= 2 ** bits) throw new NetlabError('INPUT', `${file}:${t?.line ?? '?'}: bad ${what} '${t?.text ?? ''}'`);
  return Number(t.text);
}

function hexField(t: Token | undefined, file: string): string {
  if (!t || !/^(?:[0-9a-fA-F]{2})+$/.test(t.text)) throw new NetlabError('INPUT', `${file}:${t?.line ?? '?'}: bad digest '${t?.text ?? ''}': not hex`);
  return t.text.toUpperCase();
}

function b64Field(t: Token | undefined, file: string): string {
  if (!t || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(t.text) || t.text === '') {
    throw new NetlabError('INPUT', `${file}:${t?.line ?? '?'}: bad public key '${t?.text ?? ''}': not base64`);
  }
  return t.text;
}

function zoneName(t: Token, file: string): string {
  try {
    return lowerName(t.text.endsWith('.') ? t.text : `${t.text}.`);
  } catch (e) {
    throw new NetlabError('INPUT', `${file}:${t.line}: bad name '${t.text}': ${(e as Error).message}`);
  }
}

/**
 * Read trust anchors from a file's text: a `trust-anchors` (or `trusted-keys`, `managed-keys`)
 * clause as in named.conf and delv's `-a FILE`, or DS/DNSKEY records in master-file form
 * (`NAME [TTL] [IN] DS ...`). Throws NetlabError INPUT `FILE:LINE: message` for anything else,
 * and for a file without any anchor.
 */
export function parseTrustAnchors(text: string, file = 'trust anchors'): TrustAnchor[] {
  const conf = /^\s*(?:(?:#|\/\/)[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*(?:trust-anchors|trusted-keys|managed-keys)\b/.test(text);
  const tokens = tokenize(text, file, conf);
  const anchors: TrustAnchor[] = [];
  const fail = (t: Token | undefined, msg: string): never => {
    throw new NetlabError('INPUT', `${file}:${t?.line ?? tokens[tokens.length - 1]?.line ?? 1}: ${msg}`);
  };
  if (conf) {
    let i = 0;
    while (i < tokens.length) {
      const clause = tokens[i]!;
      if (!['trust-anchors', 'trusted-keys', 'managed-keys'].includes(clause.text)) fail(clause, `expected trust-anchors, got '${clause.text}'`);
      if (tokens[i + 1]?.text !== '{') fail(tokens[i + 1], `expected '{' after ${clause.text}`);
      i += 2;
      while (tokens[i] && tokens[i]!.text !== '}') {
        const name = tokens[i]!;
        let kind = clause.text === 'trusted-keys' ? 'static-key' : tokens[i + 1]?.text ?? '';
        let f = i + (clause.text === 'trusted-keys' ? 1 : 2);
        if (clause.text === 'managed-keys' && (kind === 'initial-key' || kind === 'static-key')) kind = 'initial-key';
        const source = `${file}:${name.line}`;
        if (kind === 'static-ds' || kind === 'initial-ds') {
          anchors.push({ zone: zoneName(name, file), source, ds: { type: 'DS', keyTag: num(tokens[f], 16, 'key tag', file), algorithm: num(tokens[f + 1], 8, 'algorithm', file), digestType: num(tokens[f + 2], 8, 'digest type', file), digest: hexField(tokens[f + 3], file) } });
        } else if (kind === 'static-key' || kind === 'initial-key') {
          anchors.push({ zone: zoneName(name, file), source, dnskey: { type: 'DNSKEY', flags: num(tokens[f], 16, 'flags', file), protocol: num(tokens[f + 1], 8, 'protocol', file), algorithm: num(tokens[f + 2], 8, 'algorithm', file), publicKey: b64Field(tokens[f + 3], file) } });
        } else {
          fail(tokens[i + 1], `expected static-ds, initial-ds, static-key or initial-key after '${name.text}', got '${kind}'`);
        }
        f += 4;
        if (tokens[f]?.text !== ';') fail(tokens[f], `expected ';' after the anchor for '${name.text}'`);
        i = f + 1;
      }
      if (tokens[i]?.text !== '}') fail(tokens[i], `'${clause.text} {' is never closed`);
      if (tokens[i + 1]?.text !== ';') fail(tokens[i + 1], `expected ';' after '}'`);
      i += 2;
    }
  } else {
    // master-file form: one record per logical line
    const lines: Token[][] = [];
    for (const t of tokens) {
      if (t.newline || lines.length === 0) lines.push([]);
      lines[lines.length - 1]!.push(t);
    }
    for (const l of lines) {
      if (l[0]?.text.startsWith('$')) continue; // $TTL, $ORIGIN: nothing to take from them here
      const name = l[0]!;
      let f = 1;
      if (l[f] && /^\d+[smhdw]?$/i.test(l[f]!.text)) f++;
      if (l[f] && /^(IN|CH|HS)$/i.test(l[f]!.text)) f++;
      if (l[f] && /^\d+[smhdw]?$/i.test(l[f]!.text)) f++;
      const type = l[f]?.text.toUpperCase();
      const source = `${file}:${name.line}`;
      if (type === 'DS') {
        anchors.push({ zone: zoneName(name, file), source, ds: { type: 'DS', keyTag: num(l[f + 1], 16, 'key tag', file), algorithm: num(l[f + 2], 8, 'algorithm', file), digestType: num(l[f + 3], 8, 'digest type', file), digest: hexField({ ...l[f + 4]!, text: l.slice(f + 4).map((x) => x.text).join('') }, file) } });
      } else if (type === 'DNSKEY') {
        anchors.push({ zone: zoneName(name, file), source, dnskey: { type: 'DNSKEY', flags: num(l[f + 1], 16, 'flags', file), protocol: num(l[f + 2], 8, 'protocol', file), algorithm: num(l[f + 3], 8, 'algorithm', file), publicKey: b64Field({ ...l[f + 4]!, text: l.slice(f + 4).map((x) => x.text).join('') }, file) } });
      } else {
        fail(l[f] ?? name, `expected a DS or DNSKEY record (or a trust-anchors clause), got '${l[f]?.text ?? name.text}'`);
      }
    }
  }
  if (anchors.length === 0) throw new NetlabError('INPUT', `${file}:1: no trust anchor in it`);
  return anchors;
}
