/**
 * The request header fields netlab sends: what RFC 9110 allows in a field, and the fields it
 * refuses because it writes them itself or because they would change what is measured. Pure,
 * and free of the HTTP client, so that the command line can check `--header` without loading it.
 */
import { NetlabError } from '../../errors.js';
import { escapeControl } from '../../util/printable.js';

// RFC 9110 5.1: a field name is a token (tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" /
// "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA).
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 5.5: a field value is visible characters, obs-text (0x80-0xFF) and SP/HTAB
// between them; CR, LF and NUL never (a CR LF would start a header of its own).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

const NO_BODY = "netlab sends no request body, and the framing of the message is the HTTP client's to write";
const HOP_BY_HOP = 'it governs the connection itself (hop by hop, RFC 9110 7.6.1), and netlab opens a new one for each sample and closes it';

/**
 * Header fields netlab refuses (lower-case name -> why): the request's framing and connection
 * are the client's to write (HTTP clients such as undici refuse Transfer-Encoding, Keep-Alive,
 * Upgrade and Expect too), and a Content-Length would match no body; refused up front, they
 * are input errors before any
 * connection.
 */
export const REFUSED_HEADER_FIELDS: Readonly<Record<string, string>> = {
  'transfer-encoding': NO_BODY,
  'content-length': NO_BODY,
  connection: HOP_BY_HOP,
  'keep-alive': HOP_BY_HOP,
  upgrade: 'it asks to switch protocols (RFC 9110 7.8), which a request timing does not follow',
  expect: 'a 100-continue expectation waits to send a request body, and netlab sends none',
};

/** What is wrong with one header field: its name, its value, or the field itself (refused). */
export type HeaderFieldFault =
  | { part: 'name'; reason: string }
  | { part: 'value'; reason: string }
  | { part: 'refused'; reason: string };

/** Why the field `name: value` cannot be sent, or undefined when it can. Pure. */
export function headerFieldFault(name: string, value: string): HeaderFieldFault | undefined {
  if (!FIELD_NAME.test(name)) {
    return { part: 'name', reason: "not a header name (RFC 9110: letters, digits and !#$%&'*+-.^_`|~, no spaces, nothing before it)" };
  }
  if (!FIELD_VALUE.test(value)) {
    return { part: 'value', reason: 'the value holds a control character (CR, LF, NUL...) or a character beyond Latin-1, which a header cannot carry' };
  }
  const refused = REFUSED_HEADER_FIELDS[name.toLowerCase()];
  return refused === undefined ? undefined : { part: 'refused', reason: refused };
}

/**
 * Check request header fields (names in any case; an array sends the field once per value)
 * and return them with lower-case names, repeated names merged in order.
 * @throws NetlabError USAGE for a field {@link headerFieldFault} refuses or a second Host.
 */
export function checkHeaders(headers: Readonly<Record<string, string | readonly string[]>>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, given] of Object.entries(headers)) {
    for (const value of typeof given === 'string' ? [given] : given) {
      const fault = headerFieldFault(name, value);
      if (fault) {
        const sep = fault.part === 'refused' ? ' is not allowed: ' : fault.part === 'name' ? ' is ' : ': ';
        throw new NetlabError('USAGE', `header '${escapeControl(name)}'${sep}${fault.reason}`);
      }
      const key = name.toLowerCase();
      const before = out[key];
      if (before === undefined) out[key] = value;
      else if (key === 'host') throw new NetlabError('USAGE', 'header Host given twice: a request has one Host');
      else out[key] = [...(Array.isArray(before) ? before : [before]), value];
    }
  }
  return out;
}

/**
 * An HTTP method as netlab sends it: upper-case letters only (a token, RFC 9110 9.1; nothing
 * that could end the request line). Returns it.
 * @throws NetlabError USAGE naming it otherwise.
 */
export function checkMethod(method: string): string {
  if (!/^[A-Z]+$/.test(method)) throw new NetlabError('USAGE', `method '${escapeControl(method)}' is not an HTTP method`);
  return method;
}
