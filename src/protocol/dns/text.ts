/**
 * Byte strings of DNS records (TXT and NAPTR character-strings, a CAA value, an alpn-id) as
 * JavaScript strings, losslessly. The bytes are read as UTF-8; a byte that is not part of a
 * valid UTF-8 sequence is kept as the lone surrogate U+DC00 + byte (U+DC80..U+DCFF), the
 * "surrogateescape" of PEP 383. Valid UTF-8 never decodes to a lone surrogate, so the mapping
 * is one-to-one: `textToBytes(bytesToText(b))` is `b` for every `b`, and JSON carries those
 * code units as `\udcff` escapes.
 */

// made on first use: most records are ASCII, and building one costs at startup
let utf8: { decode(input: Uint8Array): string } | undefined;

/** Bytes as text: UTF-8, each stray byte as U+DC00 + byte (see the module comment). */
export function bytesToText(bytes: Uint8Array): string {
  let ascii = true;
  for (const b of bytes) {
    if (b >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  try {
    utf8 ??= new TextDecoder('utf-8', { fatal: true });
    return utf8.decode(bytes);
  } catch {
    // not UTF-8 throughout: decode sequence by sequence, escaping the bytes that fit none
  }
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const c = bytes[i]!;
    const n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : c < 0x80 ? 1 : 0;
    if (n === 1) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    let cp = n === 2 ? c & 0x1f : n === 3 ? c & 0x0f : c & 0x07;
    let ok = n > 0 && i + n <= bytes.length;
    for (let k = 1; ok && k < n; k++) {
      const cc = bytes[i + k]!;
      if ((cc & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (cc & 0x3f);
    }
    // no overlong forms, no surrogates, nothing past U+10FFFF (RFC 3629 3)
    if (ok && ((n === 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n === 4 && (cp < 0x10000 || cp > 0x10ffff)))) ok = false;
    if (ok) {
      out += String.fromCodePoint(cp);
      i += n;
    } else {
      out += String.fromCharCode(0xdc00 + c);
      i++;
    }
  }
  return out;
}

/** Text back to bytes: UTF-8, each lone U+DC80..U+DCFF as the byte it stands for (see the module comment). */
export function textToBytes(text: string): Buffer {
  if (/^[\x00-\x7f]*$/.test(text)) return Buffer.from(text, 'latin1');
  const out: number[] = [];
  for (const ch of text) {
    const u = ch.charCodeAt(0);
    if (ch.length === 1 && u >= 0xdc80 && u <= 0xdcff) out.push(u - 0xdc00);
    else for (const b of Buffer.from(ch, 'utf8')) out.push(b);
  }
  return Buffer.from(out);
}
