/**
 * TSIG (RFC 8945): signing a query and verifying the answers with a shared secret, one answer
 * or every message of a zone transfer (section 5.3.1: each signed message's MAC covers the
 * prior MAC and the messages since it; up to 99 unsigned messages in between). Pure apart from
 * the HMAC (node:crypto, through util/builtins.ts). The key comes as dig's `-y
 * [hmac:]name:secret` (parseTsigKeyArg) or a BIND key file (parseTsigKeyFile), as tsig-keygen
 * writes it.
 */
import { NetlabError } from '../../errors.js';
import { nodeCrypto } from '../../util/builtins.js';
import { canonicalName, nameToWire, readName } from './names.js';
import { rcodeName } from './types.js';

/** The HMAC algorithms of RFC 8945 section 6 that netlab signs with. */
export type TsigAlgorithm = 'hmac-md5' | 'hmac-sha1' | 'hmac-sha224' | 'hmac-sha256' | 'hmac-sha384' | 'hmac-sha512';

/** A TSIG key: its name (as the server knows it), the algorithm and the shared secret's bytes. */
export interface TsigKey {
  name: string;
  algorithm: TsigAlgorithm;
  secret: Uint8Array;
}

/** Algorithm -> its name on the wire (RFC 8945 section 6) and node:crypto's hash name. */
const ALGORITHMS: Record<TsigAlgorithm, { wire: string; hash: string; bytes: number }> = {
  'hmac-md5': { wire: 'hmac-md5.sig-alg.reg.int.', hash: 'md5', bytes: 16 },
  'hmac-sha1': { wire: 'hmac-sha1.', hash: 'sha1', bytes: 20 },
  'hmac-sha224': { wire: 'hmac-sha224.', hash: 'sha224', bytes: 28 },
  'hmac-sha256': { wire: 'hmac-sha256.', hash: 'sha256', bytes: 32 },
  'hmac-sha384': { wire: 'hmac-sha384.', hash: 'sha384', bytes: 48 },
  'hmac-sha512': { wire: 'hmac-sha512.', hash: 'sha512', bytes: 64 },
};

/** dig's default when `-y` names no algorithm: BIND 9.18's dig still signs with hmac-md5 then. */
export const DEFAULT_TSIG_ALGORITHM: TsigAlgorithm = 'hmac-md5';

/** The algorithm for a name as dig and named.conf write it (`hmac-sha256`, `HMAC-MD5.SIG-ALG.REG.INT`); undefined when unknown. */
export function tsigAlgorithm(name: string): TsigAlgorithm | undefined {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (n === 'hmac-md5.sig-alg.reg.int') return 'hmac-md5';
  return n in ALGORITHMS ? (n as TsigAlgorithm) : undefined;
}

/** Strict base64 (RFC 4648, padding optional, whitespace ignored); undefined when it is not. */
function base64Bytes(text: string): Buffer | undefined {
  const s = text.replace(/\s+/g, '');
  if (s === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.replace(/=+$/, '').length % 4 === 1) return undefined;
  return Buffer.from(s, 'base64');
}

function checkKeyName(name: string, fail: (m: string) => NetlabError): string {
  if (name === '') throw fail('the TSIG key has no name');
  try {
    nameToWire(name);
  } catch (e) {
    throw fail(`bad TSIG key name '${name}': ${(e as Error).message}`);
  }
  return name;
}

/**
 * A key from dig's `-y [hmac:]name:secret` (the secret in base64; hmac-md5 when no algorithm is
 * named, as BIND 9.18's dig). Throws NetlabError USAGE for an unknown algorithm, a missing part or a secret
 * that is not base64.
 */
export function parseTsigKeyArg(text: string): TsigKey {
  const usage = (m: string) => new NetlabError('USAGE', m);
  const parts = text.split(':');
  if (parts.length < 2 || parts.length > 3) throw usage(`bad TSIG key '${text}': expected [hmac:]name:secret`);
  const [algText, name, secretText] = parts.length === 3 ? parts as [string, string, string] : [undefined, parts[0]!, parts[1]!];
  const algorithm = algText === undefined ? DEFAULT_TSIG_ALGORITHM : tsigAlgorithm(algText);
  if (!algorithm) throw usage(`unknown TSIG algorithm '${algText}' (known: ${Object.keys(ALGORITHMS).join(', ')})`);
  const secret = base64Bytes(secretText);
  if (!secret) throw usage(`the TSIG secret of '${name}' is not base64`);
  return { name: checkKeyName(name, usage), algorithm, secret };
}

/**
 * The first key of a BIND key file (`key "name" { algorithm hmac-sha256; secret "base64"; };`,
 * as tsig-keygen and ddns-confgen write it; `#`, `//` and C comments allowed). `path` only
 * names the file in errors. Throws NetlabError INPUT as `PATH:LINE: message`.
 */
export function parseTsigKeyFile(text: string, path: string): TsigKey {
  // tokens with their line: strings, words, braces and semicolons
  const tokens: Array<{ t: string; line: number; quoted: boolean }> = [];
  let line = 1;
  const fail = (m: string, at = line) => new NetlabError('INPUT', `${path}:${at}: ${m}`);
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === '\n') { line++; i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (c === '#' || text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw fail('unterminated comment');
      line += (text.slice(i, end).match(/\n/g) ?? []).length;
      i = end + 2;
      continue;
    }
    if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0 || text.slice(i, end).includes('\n')) throw fail('unterminated string');
      tokens.push({ t: text.slice(i + 1, end), line, quoted: true });
      i = end + 1;
      continue;
    }
    if (c === '{' || c === '}' || c === ';') {
      tokens.push({ t: c, line, quoted: false });
      i++;
      continue;
    }
    const m = /^[^\s{};"#]+/.exec(text.slice(i, i + 1024));
    tokens.push({ t: m![0], line, quoted: false });
    i += m![0].length;
  }
  let p = 0;
  const next = (what: string) => {
    const tok = tokens[p++];
    if (!tok) throw fail(`unexpected end of file, expected ${what}`);
    return tok;
  };
  const expect = (want: string) => {
    const tok = next(`'${want}'`);
    if (tok.quoted || tok.t !== want) throw fail(`expected '${want}', got '${tok.t}'`, tok.line);
  };
  const first = next("'key'");
  if (first.quoted || first.t.toLowerCase() !== 'key') throw fail(`expected 'key', got '${first.t}'`, first.line);
  const nameTok = next('the key name');
  const name = checkKeyName(nameTok.t, (m) => fail(m, nameTok.line));
  expect('{');
  let algorithm: TsigAlgorithm | undefined;
  let secret: Buffer | undefined;
  for (;;) {
    const tok = next("'algorithm', 'secret' or '}'");
    if (!tok.quoted && tok.t === '}') break;
    const key = tok.t.toLowerCase();
    const value = next(`the value of '${tok.t}'`);
    if (key === 'algorithm') {
      algorithm = tsigAlgorithm(value.t);
      if (!algorithm) throw fail(`unknown TSIG algorithm '${value.t}'`, value.line);
    } else if (key === 'secret') {
      secret = base64Bytes(value.t);
      if (!secret) throw fail(`the secret of key '${name}' is not base64`, value.line);
    } else {
      throw fail(`unknown key option '${tok.t}'`, tok.line);
    }
    expect(';');
  }
  expect(';');
  if (!algorithm) throw fail(`key '${name}' has no algorithm`, nameTok.line);
  if (!secret) throw fail(`key '${name}' has no secret`, nameTok.line);
  return { name, algorithm, secret };
}

// --- the wire ---------------------------------------------------------------------

/** A TSIG record as it came (RFC 8945 section 4.2). */
export interface TsigRecord {
  /** The key name, presentation form. */
  name: string;
  /** The algorithm's name as sent (`hmac-sha256.`). */
  algorithm: string;
  /** Seconds since 1970. */
  timeSigned: number;
  /** Seconds. */
  fudge: number;
  mac: Buffer;
  originalId: number;
  /** The TSIG error (0, 16 BADSIG, 17 BADKEY, 18 BADTIME, 22 BADTRUNC). */
  error: number;
  other: Buffer;
}

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function malformed(what: string): NetlabError {
  return new NetlabError('MALFORMED_PACKET', `malformed DNS message: ${what}`);
}

/**
 * Where the TSIG record of a message is: it must be the last record of the additional section
 * (RFC 8945 5.1). Returns its start offset and its fields, or undefined when the message has
 * none. Throws MALFORMED_PACKET for a TSIG elsewhere or a record that does not fit.
 */
export function findTsig(wire: Uint8Array): { offset: number; record: TsigRecord } | undefined {
  if (wire.length < 12) throw malformed('shorter than a header');
  const counts = [u16(wire, 4), u16(wire, 6), u16(wire, 8), u16(wire, 10)];
  let pos = 12;
  for (let i = 0; i < counts[0]!; i++) pos = readName(wire, pos).end + 4;
  const total = counts[1]! + counts[2]! + counts[3]!;
  for (let i = 0; i < total; i++) {
    const start = pos;
    const n = readName(wire, pos);
    if (n.end + 10 > wire.length) throw malformed('record header runs past the end');
    const type = u16(wire, n.end);
    const rdlength = u16(wire, n.end + 8);
    const rd = n.end + 10;
    if (rd + rdlength > wire.length) throw malformed('RDATA runs past the end');
    pos = rd + rdlength;
    if (type !== 250) continue;
    if (i !== total - 1 || counts[3] === 0) throw malformed('TSIG is not the last record');
    const end = rd + rdlength;
    const alg = readName(wire, rd, end);
    let p = alg.end;
    if (p + 10 > end) throw malformed('TSIG RDATA too short');
    const timeSigned = u16(wire, p) * 2 ** 32 + ((wire[p + 2]! << 24) >>> 0) + (wire[p + 3]! << 16) + (wire[p + 4]! << 8) + wire[p + 5]!;
    const fudge = u16(wire, p + 6);
    const macSize = u16(wire, p + 8);
    p += 10;
    if (p + macSize + 6 > end) throw malformed('TSIG MAC runs past its RDATA');
    const buf = Buffer.from(wire.buffer, wire.byteOffset, wire.byteLength);
    const mac = Buffer.from(buf.subarray(p, p + macSize));
    p += macSize;
    const originalId = u16(wire, p);
    const error = u16(wire, p + 2);
    const otherLen = u16(wire, p + 4);
    p += 6;
    if (p + otherLen !== end) throw malformed('TSIG other data does not fill its RDATA');
    return { offset: start, record: { name: n.name, algorithm: alg.name, timeSigned, fudge, mac, originalId, error, other: Buffer.from(buf.subarray(p, end)) } };
  }
  return undefined;
}

/** The TSIG error's name as BIND prints it (RFC 8945 section 3: BADSIG, BADKEY, BADTIME, BADTRUNC). */
export function tsigErrorName(code: number): string {
  const names: Record<number, string> = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 19: 'BADMODE', 20: 'BADNAME', 21: 'BADALG', 22: 'BADTRUNC' };
  return names[code] ?? rcodeName(code);
}

/** dig splits long base64 fields into 56-character chunks. */
function base64Field(b: Uint8Array): string {
  return Buffer.from(b).toString('base64').match(/.{1,56}/g)?.join(' ') ?? '';
}

/** The RDATA of a TSIG record as dig prints it: `hmac-sha256. 1796319702 300 32 MAC= 36706 NOERROR 0 `. */
export function tsigText(r: TsigRecord): string {
  const mac = r.mac.length > 0 ? ` ${base64Field(r.mac)}` : '';
  return `${r.algorithm} ${r.timeSigned} ${r.fudge} ${r.mac.length}${mac} ${r.originalId} ${tsigErrorName(r.error)} ${r.other.length} ${base64Field(r.other)}`;
}

/** The RDATA bytes of a TSIG record (the algorithm name uncompressed). */
export function tsigRdata(r: TsigRecord): Buffer {
  const fixed = Buffer.alloc(10);
  u48(r.timeSigned).copy(fixed, 0);
  fixed.writeUInt16BE(r.fudge, 6);
  fixed.writeUInt16BE(r.mac.length, 8);
  const tail = Buffer.alloc(6);
  tail.writeUInt16BE(r.originalId, 0);
  tail.writeUInt16BE(r.error, 2);
  tail.writeUInt16BE(r.other.length, 4);
  return Buffer.concat([nameToWire(r.algorithm), fixed, r.mac, tail, r.other]);
}

function u48(seconds: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt16BE(Math.floor(seconds / 2 ** 32) & 0xffff, 0);
  b.writeUInt32BE(seconds % 2 ** 32 >>> 0, 2);
  return b;
}

/** The TSIG variables of RFC 8945 4.3.3 (all of them, or only the timers for 5.3.1's later messages). */
function variables(key: TsigKey, timeSigned: number, fudge: number, error: number, other: Buffer, timersOnly: boolean): Buffer {
  const timers = Buffer.concat([u48(timeSigned), Buffer.from([fudge >> 8, fudge & 0xff])]);
  if (timersOnly) return timers;
  const classTtl = Buffer.from([0, 255, 0, 0, 0, 0]); // class ANY, TTL 0
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(error, 0);
  tail.writeUInt16BE(other.length, 2);
  return Buffer.concat([
    nameToWire(canonicalName(key.name)), classTtl, nameToWire(ALGORITHMS[key.algorithm].wire),
    timers, tail, other,
  ]);
}

function macPrefix(mac: Uint8Array): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(mac.length, 0);
  return Buffer.concat([len, mac]);
}

function hmac(key: TsigKey, parts: Uint8Array[]): Buffer {
  const h = nodeCrypto().createHmac(ALGORITHMS[key.algorithm].hash, key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Options of signTsig: the time (seconds since 1970, default now), the fudge (default 300 s) and, for an answer, the request's MAC. */
export interface TsigSignOptions {
  timeSigned?: number;
  fudge?: number;
  /** The request's MAC when signing an answer (RFC 8945 4.3.1). */
  requestMac?: Uint8Array;
  /** The TSIG error to send (an answer to a bad request); a BADSIG or BADKEY answer is unsigned (MAC empty). */
  error?: number;
  /** A later message of a transfer: `requestMac` is the prior message's MAC and only the timers are covered (RFC 8945 5.3.1). */
  continuation?: boolean;
}

/**
 * Sign a whole message: append the TSIG record (ARCOUNT + 1) and return the signed message and
 * its MAC, which the answer's verification needs. Throws USAGE for a key name that cannot be encoded.
 */
export function signTsig(message: Uint8Array, key: TsigKey, options: TsigSignOptions = {}): { wire: Buffer; mac: Buffer } {
  const timeSigned = options.timeSigned ?? Math.floor(Date.now() / 1000);
  const fudge = options.fudge ?? 300;
  const error = options.error ?? 0;
  const other = error === 18 ? u48(Math.floor(Date.now() / 1000)) : Buffer.alloc(0);
  const unsigned = error === 16 || error === 17;
  const mac = unsigned ? Buffer.alloc(0) : hmac(key, [
    ...(options.requestMac ? [macPrefix(options.requestMac)] : []),
    message,
    variables(key, timeSigned, fudge, error, other, options.continuation === true),
  ]);
  const id = u16(message, 0);
  const algorithm = nameToWire(ALGORITHMS[key.algorithm].wire);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(fudge, 6);
  u48(timeSigned).copy(fixed, 0);
  fixed.writeUInt16BE(mac.length, 8);
  const tail = Buffer.alloc(6);
  tail.writeUInt16BE(id, 0);
  tail.writeUInt16BE(error, 2);
  tail.writeUInt16BE(other.length, 4);
  const rdata = Buffer.concat([algorithm, fixed, mac, tail, other]);
  const head = Buffer.alloc(10);
  head.writeUInt16BE(250, 0);
  head.writeUInt16BE(255, 2);
  head.writeUInt32BE(0, 4);
  head.writeUInt16BE(rdata.length, 8);
  const wire = Buffer.concat([message, nameToWire(key.name), head, rdata]);
  wire.writeUInt16BE(u16(message, 10) + 1, 10);
  return { wire, mac };
}

/** The message as its signer saw it: without the TSIG record, ARCOUNT one less, the original ID (RFC 8945 4.3.2). */
function stripped(wire: Uint8Array, offset: number, originalId: number): Buffer {
  const out = Buffer.from(wire.subarray(0, offset));
  out.writeUInt16BE(originalId, 0);
  out.writeUInt16BE(u16(wire, 10) - 1, 10);
  return out;
}

/**
 * Verify a signed request as a server does (RFC 8945 5.2): the key named in its TSIG among
 * `keys`, the MAC, the time. Returns the TSIG error to answer with (17 BADKEY, 16 BADSIG, 18
 * BADTIME) or the key; `{}` for an unsigned request. Throws MALFORMED_PACKET for a TSIG out of place.
 */
export function verifyTsigRequest(wire: Uint8Array, keys: readonly TsigKey[], nowSeconds = Math.floor(Date.now() / 1000)): { record?: TsigRecord; key?: TsigKey; error?: number } {
  const found = findTsig(wire);
  if (!found) return {};
  const { offset, record } = found;
  const key = keys.find((k) => canonicalName(k.name) === canonicalName(record.name) && tsigAlgorithm(record.algorithm) === k.algorithm);
  if (!key) return { record, error: 17 };
  const size = ALGORITHMS[key.algorithm].bytes;
  if (record.mac.length > size || record.mac.length < Math.max(10, size / 2)) return { record, error: 16 };
  const expected = hmac(key, [stripped(wire, offset, record.originalId), variables(key, record.timeSigned, record.fudge, record.error, record.other, false)]).subarray(0, record.mac.length);
  if (!nodeCrypto().timingSafeEqual(expected, record.mac)) return { record, error: 16 };
  if (Math.abs(nowSeconds - record.timeSigned) > record.fudge) return { record, key, error: 18 };
  return { record, key };
}

/** What verifying one message found: its TSIG record (when it had one) and, when it fails, dig's reason. */
export interface TsigVerdict {
  record?: TsigRecord;
  /**
   * Why the message does not verify, in BIND's words: `expected a TSIG or SIG(0)`, `tsig indicates
   * error`, `tsig verify failure`, `clocks are unsynchronized`; undefined when it verifies (or
   * is an allowed unsigned message in the middle of a transfer).
   */
  error?: string;
}

/** At most this many unsigned messages between two signed ones (RFC 8945 5.3.1). */
export const MAX_UNSIGNED_MESSAGES = 99;

/**
 * Verifies the answers to one signed request: the first must be signed; in a transfer
 * (`verify` called for every message in order) later messages may come unsigned, up to 99 in a
 * row, and each signed one covers the prior MAC and every message since (RFC 8945 5.3.1).
 * `done()` says whether the last message was signed, as the stream's end requires.
 */
export class TsigVerifier {
  private prior: Buffer;
  private unsigned: Buffer[] = [];
  private count = 0;

  /** `requestMac`: the MAC signTsig returned for the request; `nowSeconds`: the clock (default Date.now). */
  constructor(private readonly key: TsigKey, requestMac: Uint8Array, private readonly now: () => number = () => Math.floor(Date.now() / 1000)) {
    this.prior = Buffer.from(requestMac);
  }

  /** Verify the next message (bytes as received). Never throws for a bad signature: the verdict says why. */
  verify(wire: Uint8Array): TsigVerdict {
    const first = this.count++ === 0;
    let found: ReturnType<typeof findTsig>;
    try {
      found = findTsig(wire);
    } catch (e) {
      return { error: (e as Error).message };
    }
    if (!found) {
      if (first) return { error: 'expected a TSIG or SIG(0)' };
      this.unsigned.push(Buffer.from(wire));
      if (this.unsigned.length > MAX_UNSIGNED_MESSAGES) return { error: `tsig verify failure (more than ${MAX_UNSIGNED_MESSAGES} unsigned messages in a row)` };
      return {};
    }
    const { offset, record } = found;
    if (canonicalName(record.name) !== canonicalName(this.key.name) || tsigAlgorithm(record.algorithm) !== this.key.algorithm) {
      return { record, error: 'tsig verify failure' };
    }
    if (record.error !== 0) return { record, error: 'tsig indicates error' };
    const size = ALGORITHMS[this.key.algorithm].bytes;
    // RFC 8945 5.2.2.1: a truncated MAC is at least 10 bytes and half the digest
    if (record.mac.length > size || record.mac.length < Math.max(10, size / 2)) return { record, error: 'tsig verify failure' };
    const expected = hmac(this.key, [
      macPrefix(this.prior),
      ...(first ? [] : this.unsigned),
      stripped(wire, offset, record.originalId),
      variables(this.key, record.timeSigned, record.fudge, record.error, record.other, !first),
    ]).subarray(0, record.mac.length);
    if (!nodeCrypto().timingSafeEqual(expected, record.mac)) return { record, error: 'tsig verify failure' };
    this.prior = record.mac;
    this.unsigned = [];
    if (Math.abs(this.now() - record.timeSigned) > record.fudge) return { record, error: 'clocks are unsynchronized' };
    return { record };
  }

  /** Whether the last message verified had a TSIG (a transfer must end on a signed message). */
  get lastSigned(): boolean {
    return this.unsigned.length === 0;
  }
}
