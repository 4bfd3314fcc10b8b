/**
 * dig's command line: tokens in any order, sorted by shape as doggo's loadUnparsedArgs does:
 * `@server`, `-x/-t/-c/-p/-f` flags, `+option`, a known type, a known class, else a name.
 * Pure: returns DigOptions or throws NetlabError('USAGE').
 */
import { NetlabError } from '../../errors.js';
import { classCode, typeCode } from '../../protocol/dns/types.js';
import { reverseName } from '../../protocol/dns/reverse.js';
import { parseClientSubnet, parseCookie, type ClientSubnet, type DnsCookie } from '../../protocol/dns/edns-options.js';
import { parseTsigKeyArg, type TsigKey } from '../../protocol/dns/tsig.js';
import { applyTransportOption, settleTransport, type DigTransportChoice } from './encrypted-options.js';

export interface DigQuery {
  /** As the user typed it (after IDN conversion), or the reverse name for -x. */
  name: string;
  type: number;
  class: number;
  /** IXFR: the serial of dig's `ixfr=N` type token. */
  serial?: number;
}

export interface DigSections {
  cmd: boolean;
  comments: boolean;
  question: boolean;
  answer: boolean;
  authority: boolean;
  additional: boolean;
  stats: boolean;
}

export interface DigOptions {
  server?: string;
  port: number;
  queries: DigQuery[];
  /** -f FILE: read further queries from it, one per line. */
  batchFile?: string;
  /** Stop (Ctrl-C): queries in flight end as interrupted, no new one is sent. */
  signal?: AbortSignal;
  trace: boolean;
  short: boolean;
  tcp: boolean;
  ignoreTruncation: boolean;
  recurse: boolean;
  timeoutMs: number;
  tries: number;
  edns: boolean;
  bufsize: number;
  dnssec: boolean;
  nsid: boolean;
  /** +subnet=ADDR[/PREFIX]: an EDNS Client Subnet to send (RFC 7871). */
  subnet?: ClientSubnet;
  /** +[no]cookie[=HEX] (RFC 7873): on by default, as BIND 9.18's dig; a cookie given with +cookie=HEX. */
  cookie: boolean | DnsCookie;
  cd: boolean;
  ad: boolean;
  json: boolean;
  concurrency: number;
  ipv4Only: boolean;
  ipv6Only: boolean;
  sections: DigSections;
  /** issue 14, +nssearch: the SOA from every server of the zone. */
  nssearch: boolean;
  /** issue 14, +zone-check: a +trace that checks every server of every zone on the way. */
  zoneCheck: boolean;
  /** -y [hmac:]name:secret: sign queries (and transfers) with this TSIG key. */
  tsigKey?: TsigKey;
  /** -k FILE: a BIND key file, read by the run (see readTsigKeyFile). */
  tsigKeyFile?: string;
  /** The arguments as given, for the `; <<>> netlab dig <<>> ...` line. */
  argv: string[];
  /** issue 14: +validate, DNSSEC validation of the answer (as delv); --trust-anchor FILE, else the root KSKs. */
  validate?: boolean;
  trustAnchorFile?: string;
  /** issue 14: +tls (DoT), +https/+https-get (DoH), +http-plain (DoH over h2c); default udp (+tcp: TCP). */
  transport: DigTransportChoice;
  /** DoH: +https=/path (default /dns-query) and POST or GET (+https-get). */
  dohPath: string;
  dohMethod: 'POST' | 'GET';
  /** +tls-ca[=FILE]: a file of CA certificates, or true for the system's roots. */
  tlsCa?: string | true;
  /** +tls-hostname=NAME: the name to verify and send as SNI. */
  tlsHostname?: string;
  /** -p was given; else the transport's own port. */
  portSet: boolean;
}

function usage(message: string): NetlabError {
  return new NetlabError('USAGE', message);
}

function intArg(value: string | undefined, what: string, min: number, max: number): number {
  if (value === undefined || !/^\d+$/.test(value)) throw usage(`${what} needs a whole number, got '${value ?? ''}'`);
  const n = Number(value);
  if (n < min || n > max) throw usage(`${what} must be from ${min} to ${max}, got ${n}`);
  return n;
}

/** Convert a name with non-ASCII labels to punycode (IDNA), as dig does with +idnin. */
export function toAsciiName(name: string): string {
  if (/^[\x00-\x7f]*$/.test(name)) return name;
  const trailing = name.endsWith('.');
  const host = trailing ? name.slice(0, -1) : name;
  let ascii: string;
  try {
    ascii = new URL(`http://${host}/`).hostname;
  } catch {
    throw usage(`'${name}' is not a valid internationalized domain name`);
  }
  if (ascii === '' ) throw usage(`'${name}' is not a valid domain name`);
  return trailing ? `${ascii}.` : ascii;
}

type FlagName =
  | 'trace' | 'short' | 'tcp' | 'ignore' | 'recurse' | 'edns' | 'dnssec' | 'nsid' | 'json'
  | 'cd' | 'ad' | 'cmd' | 'comments' | 'question' | 'answer' | 'authority' | 'additional' | 'stats' | 'all'
  | 'nssearch' | 'zonecheck';

/** +options dig accepts, with the abbreviations people actually type. */
const FLAG_ALIASES: Record<string, FlagName> = {
  trace: 'trace', short: 'short', tcp: 'tcp', vc: 'tcp', ignore: 'ignore',
  recurse: 'recurse', rec: 'recurse', edns: 'edns', dnssec: 'dnssec', nsid: 'nsid', json: 'json',
  cdflag: 'cd', cd: 'cd', adflag: 'ad', ad: 'ad', cmd: 'cmd', comments: 'comments',
  question: 'question', answer: 'answer', authority: 'authority', additional: 'additional',
  stats: 'stats', all: 'all',
  // issue 14
  nssearch: 'nssearch', 'zone-check': 'zonecheck', zonecheck: 'zonecheck',
};

const LONG_FLAGS: Record<string, FlagName> = {
  '--json': 'json', '--trace': 'trace', '--short': 'short', '--tcp': 'tcp', '--dnssec': 'dnssec',
  '--nsid': 'nsid', '--norecurse': 'recurse', '--no-recurse': 'recurse',
};

const LONG_VALUES = new Set(['--port', '--type', '--class', '--reverse', '--file', '--concurrency', '--server', '--timeout', '--tries']);

/** dig's defaults (BIND 9.18): 5 s per try, 3 tries, EDNS with a 1232-byte buffer, RD set. */
export function digDefaults(argv: string[] = []): DigOptions {
  return {
    port: 53, queries: [], trace: false, short: false, tcp: false, ignoreTruncation: false, recurse: true,
    timeoutMs: 5000, tries: 3, edns: true, bufsize: 1232, dnssec: false, nsid: false, cookie: true, cd: false, ad: true,
    json: false, concurrency: 16, ipv4Only: false, ipv6Only: false, nssearch: false, zoneCheck: false, argv: [...argv],
    transport: 'udp', dohPath: '/dns-query', dohMethod: 'POST', portSet: false,
    sections: { cmd: true, comments: true, question: true, answer: true, authority: true, additional: true, stats: true },
  };
}

/**
 * Parse dig-style arguments, on top of dig's defaults or of `start` (a -f line over the
 * command line's options). Throws USAGE naming the offending token.
 */
export function parseDigArgs(argv: string[], start?: DigOptions): DigOptions {
  const o = start ?? digDefaults(argv);
  let pendingType: number | undefined;
  let pendingClass: number | undefined;
  const names: Array<{ name: string; type?: number; class?: number; serial?: number }> = [];
  let pendingSerial: number | undefined;
  let recurseSet = false;

  const setFlag = (flag: FlagName, on: boolean) => {
    switch (flag) {
      case 'trace': o.trace = on; break;
      case 'short': o.short = on; break;
      case 'tcp': o.tcp = on; break;
      case 'ignore': o.ignoreTruncation = on; break;
      case 'recurse': o.recurse = on; recurseSet = true; break;
      case 'edns': o.edns = on; break;
      case 'dnssec': o.dnssec = on; break;
      case 'nsid': o.nsid = on; break;
      case 'json': o.json = on; break;
      case 'cd': o.cd = on; break;
      case 'ad': o.ad = on; break;
      case 'nssearch': o.nssearch = on; break;
      case 'zonecheck': o.zoneCheck = on; break;
      case 'all':
        for (const k of Object.keys(o.sections) as Array<keyof DigSections>) o.sections[k] = on;
        break;
      default: o.sections[flag] = on;
    }
  };

  const addName = (name: string) => {
    names.push({ name: toAsciiName(name) });
  };

  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw usage(`${tok} needs a value`);
      return v;
    };
    if (tok.startsWith('@')) {
      if (tok.length === 1) throw usage("'@' needs a server address");
      o.server = tok.slice(1);
    } else if (tok.startsWith('+')) {
      const body = tok.slice(1);
      const eq = body.indexOf('=');
      const key = (eq < 0 ? body : body.slice(0, eq)).toLowerCase();
      const value = eq < 0 ? undefined : body.slice(eq + 1);
      const negated = key.startsWith('no');
      const bare = negated ? key.slice(2) : key;
      if (['time', 'tries', 'retry', 'bufsize'].includes(bare) && !negated) {
        if (bare === 'time') o.timeoutMs = intArg(value, '+time', 1, 300) * 1000;
        else if (bare === 'tries') o.tries = intArg(value, '+tries', 1, 20);
        else if (bare === 'retry') o.tries = intArg(value, '+retry', 0, 19) + 1;
        else o.bufsize = intArg(value, '+bufsize', 0, 65535);
        continue;
      }
      if (bare === 'subnet') {
        // dig: +subnet=ADDR[/PREFIX], +nosubnet
        if (negated) delete o.subnet;
        else if (value === undefined) throw usage('+subnet needs an address: +subnet=ADDR[/PREFIX]');
        else o.subnet = parseClientSubnet(value);
        continue;
      }
      if (bare === 'cookie') {
        // dig: +cookie (this process's client cookie), +cookie=HEX, +nocookie
        if (negated) o.cookie = false;
        else o.cookie = value === undefined ? true : parseCookie(value);
        continue;
      }
      if (bare === 'edns' && !negated && value !== undefined) {
        if (intArg(value, '+edns', 0, 255) !== 0) throw usage('only EDNS version 0 is supported');
        o.edns = true;
        continue;
      }
      if (bare === 'validate' && value === undefined) {
        // issue 14: DNSSEC validation, as delv (netlab has no delv command)
        o.validate = !negated;
        continue;
      }
      if (applyTransportOption(o, bare, negated, value, tok)) continue;
      const flag = FLAG_ALIASES[bare];
      if (!flag || value !== undefined) throw usage(`unknown option '${tok}'`);
      setFlag(flag, !negated);
    } else if (tok === '-x' || tok === '--reverse') {
      const addr = next();
      names.push({ name: reverseName(addr), type: 12 });
    } else if (tok === '-t' || tok === '--type') {
      const v = next();
      const ixfr = ixfrSerial(v);
      const t = ixfr === undefined ? typeCode(v) : 251;
      if (t === undefined) throw usage(`unknown type '${v}'`);
      pendingType = t;
      pendingSerial = ixfr;
    } else if (tok === '-y') {
      o.tsigKey = parseTsigKeyArg(next());
    } else if (tok === '-k') {
      o.tsigKeyFile = next();
    } else if (tok === '-c' || tok === '--class') {
      const v = next();
      const c = classCode(v);
      if (c === undefined) throw usage(`unknown class '${v}'`);
      pendingClass = c;
    } else if (tok === '-p' || tok === '--port') {
      o.port = intArg(next(), tok, 1, 65535);
      o.portSet = true;
    } else if (tok === '-f' || tok === '--file') {
      o.batchFile = next();
    } else if (tok === '-q' || tok === '--name') {
      addName(next());
    } else if (tok === '--no-color' || tok === '--color') {
      // netlab dig prints no colour: accepted for every subcommand's sake (NO_COLOR too)
    } else if (tok === '-4') {
      o.ipv4Only = true;
    } else if (tok === '-6') {
      o.ipv6Only = true;
    } else if (tok === '--concurrency') {
      o.concurrency = intArg(next(), '--concurrency', 1, 1000);
    } else if (tok === '--server') {
      o.server = next();
    } else if (tok === '--timeout') {
      o.timeoutMs = intArg(next(), '--timeout', 1, 300) * 1000;
    } else if (tok === '--tries') {
      o.tries = intArg(next(), '--tries', 1, 20);
    } else if (tok === '--validate') {
      o.validate = true;
    } else if (tok === '--trust-anchor' || tok.startsWith('--trust-anchor=')) {
      // issue 14: delv's -a FILE; implies +validate
      o.trustAnchorFile = tok.includes('=') ? tok.slice(tok.indexOf('=') + 1) : next();
      if (o.trustAnchorFile === '') throw usage('--trust-anchor needs a file');
      o.validate = true;
    } else if (LONG_FLAGS[tok]) {
      setFlag(LONG_FLAGS[tok]!, !tok.includes('no'));
    } else if (tok.startsWith('-') && tok.length > 1) {
      // dig's glued forms: -p53, -tMX, -x192.0.2.1
      const m = /^-([ptcxfqyk])(.+)$/.exec(tok);
      if (m && !LONG_VALUES.has(tok)) {
        argv.splice(i + 1, 0, m[2]!);
        argv[i] = `-${m[1]}`;
        i--;
        continue;
      }
      throw usage(`unknown option '${tok}'`);
    } else if (ixfrSerial(tok) !== undefined) {
      // dig's IXFR type token, ixfr=SERIAL
      const serial = ixfrSerial(tok)!;
      const last = names[names.length - 1];
      if (last && last.type === undefined) {
        last.type = 251;
        last.serial = serial;
      } else {
        pendingType = 251;
        pendingSerial = serial;
      }
    } else if (typeCode(tok) !== undefined) {
      // As in dig, a token that names a type is a type (so `dig ns` asks for the root NS set).
      const t = typeCode(tok)!;
      const last = names[names.length - 1];
      if (last && last.type === undefined) last.type = t;
      else pendingType = t;
    } else if (classCode(tok) !== undefined && tok.toUpperCase() !== 'ANY') {
      const c = classCode(tok)!;
      const last = names[names.length - 1];
      if (last && last.class === undefined) last.class = c;
      else pendingClass = c;
    } else {
      addName(tok);
      const last = names[names.length - 1]!;
      if (pendingType !== undefined) {
        last.type = pendingType;
        if (pendingSerial !== undefined) last.serial = pendingSerial;
        pendingType = undefined;
        pendingSerial = undefined;
      }
      if (pendingClass !== undefined) {
        last.class = pendingClass;
        pendingClass = undefined;
      }
    }
  }
  if (o.trace && !recurseSet) o.recurse = false;
  settleTransport(o);
  if (o.ipv4Only && o.ipv6Only) throw usage('-4 and -6 exclude each other');
  // the DoT/DoH clients do not verify an answer's TSIG yet: refused rather than trusted unchecked
  if ((o.tsigKey || o.tsigKeyFile) && o.transport !== 'udp') throw usage(`TSIG (-y, -k) over +${o.transport} is not supported yet: use it over UDP or TCP`);
  if (o.nssearch && o.zoneCheck) throw usage('+nssearch and +zone-check exclude each other');
  if (o.bufsize < 512 && o.edns) o.bufsize = Math.max(o.bufsize, 512);
  for (const n of names) {
    const q: DigQuery = { name: n.name, type: n.type ?? pendingType ?? 1, class: n.class ?? pendingClass ?? 1 };
    const serial = n.serial ?? (n.type === undefined ? pendingSerial : undefined);
    if (serial !== undefined) q.serial = serial;
    o.queries.push(q);
  }
  if (o.queries.length === 0 && !o.batchFile) {
    // dig with no name asks for the root NS set
    o.queries.push({ name: '.', type: pendingType ?? 2, class: pendingClass ?? 1 });
  }
  return o;
}

/** The serial of dig's `ixfr=N` type token; undefined for any other token. Throws USAGE for a serial that is not 0 to 4294967295. */
export function ixfrSerial(token: string): number | undefined {
  const m = /^ixfr=(.*)$/i.exec(token);
  if (!m) return undefined;
  if (!/^\d{1,10}$/.test(m[1]!) || Number(m[1]) > 0xffffffff) throw usage(`bad IXFR serial in '${token}': a number from 0 to 4294967295`);
  return Number(m[1]);
}

/** A query with the options it runs under (a -f line may set its own @server, -p, +options). */
export interface DigJob {
  query: DigQuery;
  options: DigOptions;
}

/** A token that is no option: it starts with none of `@`, `+`, `-`. */
function plain(t: string): boolean {
  const c = t.charCodeAt(0);
  return c !== 0x40 && c !== 0x2b && c !== 0x2d;
}

/**
 * One line of a -f file, in the same syntax as the command line: its names are queries and
 * its options apply to them, on top of the command line's (as in dig's batch mode), so a line
 * can also give back what the command line took away (+recurse after a global +norecurse).
 * Options that only make sense once (-f, --json, --concurrency) are not taken from a line.
 * Blank lines and `;` or `#` comments give undefined.
 */
export function parseBatchLine(line: string, base: DigOptions): DigJob[] | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith(';') || trimmed.startsWith('#')) return undefined;
  const tokens = trimmed.split(/\s+/);
  // the usual batch line, `NAME` or `NAME TYPE`: what parseDigArgs would make of it, without
  // building a whole option set for it (a name with a dot is no type or class mnemonic, and
  // needs no look-up to tell)
  const first = tokens[0]!;
  if (tokens.length <= 2 && tokens.every(plain) && (first.includes('.') || (typeCode(first) === undefined && classCode(first) === undefined))) {
    const type = tokens.length === 2 ? typeCode(tokens[1]!) : 1;
    if (type !== undefined) return [{ query: { name: toAsciiName(tokens[0]!), type, class: 1 }, options: base }];
  }
  const start: DigOptions = { ...base, queries: [], sections: { ...base.sections } };
  delete start.batchFile;
  const parsed = parseDigArgs(tokens, start);
  if (parsed.batchFile) throw usage('-f inside a batch file');
  // names, types and classes only: the command line's options object itself (one server lookup)
  if (tokens.every(plain)) return parsed.queries.map((query) => ({ query, options: base }));
  parsed.json = base.json;
  parsed.concurrency = base.concurrency;
  parsed.argv = base.argv;
  return parsed.queries.map((query) => ({ query, options: parsed }));
}
