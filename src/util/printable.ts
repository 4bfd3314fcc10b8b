/**
 * Text from input (a file's line, a server's bytes, an argument) made safe to echo on a
 * terminal: control characters and bidirectional overrides escaped, so that a message stays
 * one line and shows what the bytes were instead of acting on the terminal.
 */

// C0 and DEL, C1, the bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069), the
// marks U+061C, U+200E, U+200F and the separators U+2028, U+2029 (Trojan Source, CVE-2021-42574)
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `\n`, `\r`, `\t` as such; other unsafe characters as `\xHH` or `\uHHHH`. */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** At most `max` characters: a longer text keeps its start and says how much was cut. */
export function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length - max} more characters)`;
}

/** One printable line of at most about `max` characters, for an error message. */
export function printableLine(text: string, max = 1000): string {
  return clip(escapeControl(text), max);
}

// a high surrogate not followed by a low one, or a low one not preceded by a high one
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The text with every lone surrogate (a string UTF-8 cannot encode) replaced by U+FFFD, as String.prototype.toWellFormed (ES2024). */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\ufffd');
}

/**
 * `text` with every character that is not printable ASCII escaped (\\, \", \r, \n, \t, \xNN,
 * \uNNNN), cut to `max` characters of input: for echoing bytes a server sent that are no
 * protocol, so that the user sees what they were.
 */
export function printable(text: string, max = 40): string {
  const cut = text.length > max;
  return escapeChars(cut ? text.slice(0, max) : text, (c) => c >= 0x20 && c < 0x7f && c !== 0x5c && c !== 0x22) + (cut ? '...' : '');
}

function escapeChars(text: string, keep: (codePoint: number) => boolean): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (keep(c)) out += ch;
    else if (ch === '\r') out += '\\r';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (c === 0x5c || c === 0x22) out += `\\${ch}`;
    else if (c < 0x100) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\u{${c.toString(16)}}`;
  }
  return out;
}
