/** `netlab hosts2zone`'s options, declared once (flags, --help text, defaults), and their parser. */
import type { ArgDecl, Given, OptionDecl } from '../command.js';
import { NetlabError } from '../../errors.js';
import type { Server } from '../../protocol/dns/transport.js';
import type { AliasMode, ZoneFormat } from '../../protocol/zone/model.js';
import { hostNameOption, mailboxToRname } from '../../protocol/zone/writer.js';
import { parseDnsServer, parseSeconds } from '../args.js';

/** The options of one run, checked. */
export interface Hosts2zoneOptions {
  files: string[];
  /** Lower-case ASCII, no trailing dot. */
  origin: string;
  /** Name servers, fully qualified, no trailing dot; the first is the SOA primary. Empty: hostsToZone's default (localhost.). */
  ns: string[];
  /** The SOA mailbox as given (checked); absent: hostsToZone's default, hostmaster@ORIGIN. */
  contact?: string;
  /** $TTL, seconds. */
  ttl: number;
  serial?: number;
  reverse: boolean;
  v6PrefixBits: number;
  aliases: AliasMode;
  format: ZoneFormat;
  allowUnderscore: boolean;
  outDir?: string;
  verify?: Server;
  concurrency: number;
  /** Per try of a --verify query, milliseconds. */
  timeoutMs: number;
  json: boolean;
}

/** The positional arguments: the hosts files. */
export const ARGS: ArgDecl[] = [{ name: '[files...]', description: 'hosts files (- for stdin)' }];

/** Every option, declared once: flags, --help text, default (given to the parser as text when absent). */
export const OPTIONS: OptionDecl[] = [
  { flags: '--origin <domain>', description: 'the zone: names inside it become its owners, short names go under it, others are skipped' },
  // no declared default: a repeatable option's default would be commander's first `previous` (command.ts); hostsToZone's is localhost.
  { flags: '--ns <name>', description: 'a name server (repeatable; the first is the SOA primary; default localhost.)', repeatable: true },
  { flags: '--contact <mail>', description: 'the SOA contact, user@domain (default hostmaster@DOMAIN)' },
  { flags: '--ttl <seconds>', description: 'the default TTL ($TTL)', default: 3600 },
  { flags: '--serial <n>', description: 'the SOA serial (default YYYYMMDDnn, greater than the one of the zone replaced in --out)' },
  { flags: '--reverse', description: 'also write PTR zones: in-addr.arpa per /24, ip6.arpa per --v6-prefix (needs --out)' },
  { flags: '--v6-prefix <bits>', description: 'size of each ip6.arpa zone, a multiple of 4', default: 64 },
  { flags: '--aliases <how>', description: 'aliases as cname (CNAME to the canonical name) or a (address records: the addresses of the lines the alias is on)', default: 'cname' },
  { flags: '--format <format>', description: 'zone, or rpz: a blocklist as a Response Policy Zone', default: 'zone' },
  { flags: '--allow-underscore', description: "write names with '_' as owners of addresses too (BIND then needs check-names ignore)" },
  { flags: '--out <dir>', description: 'write db.DOMAIN (and the reverse zones) in DIR and print a summary; default: the zone on stdout. Each file is written in full to a temporary file, synced, then renamed over the old one (which keeps its mode); a target that is not a regular file is refused' },
  { flags: '--verify <server[:port]>', description: 'ask this server for every name (and PTR with --reverse) and compare with the files; writes nothing' },
  { flags: '--concurrency <n>', description: 'queries in flight with --verify', default: 32 },
  { flags: '--timeout <seconds>', description: 'per query with --verify', default: 2 },
  { flags: '--json', description: 'one JSON document on stdout (without --out or --verify: only check the files, write nothing)' },
];

/** --help's text after the options. */
export const HELP_AFTER = `
Limits (netlab-hosts2zone(1), LIMITS):
  a line is read in full up to 1 MiB; of a longer one, the names in its
    first 1 MiB are kept and the rest is reported (LINE_TOO_LONG)
  an input (file, FIFO, device or stdin) is read up to 1 GiB, then exit 3
  a FIFO or device that gives no byte for 10 s: exit 3
  the first 1,000 problems are listed (stderr, JSON); one line counts the rest
  a line ends at LF, CR LF or a lone CR`;

function usage(message: string): NetlabError {
  return new NetlabError('USAGE', message);
}

/** The text of an option that has a declared default (parseArgv gives it when absent). */
function required(given: Given, name: string): string {
  const v = given.text(name);
  if (v === undefined) throw new Error(`--${name} has no default declared`);
  return v;
}

function integer(value: string, option: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw usage(`${option} needs a whole number from ${min} to ${max}, got '${value}'`);
  return Number(value);
}

/** What the command line gave -> checked options. Pure; throws NetlabError USAGE naming the option. */
export function parseHosts2zoneArgs(given: Given): Hosts2zoneOptions {
  const files = [...given.args];
  if (files.length === 0) throw usage('missing HOSTSFILE (or - for stdin)');
  if (files.filter((f) => f === '-').length > 1) throw usage("'-' (stdin) can be given once");
  const originText = given.text('origin');
  if (originText === undefined) throw usage('missing --origin DOMAIN (the zone the names go into)');
  const origin = hostNameOption(originText, '--origin');
  const aliasesText = required(given, 'aliases');
  const aliases = aliasesText.toLowerCase();
  if (aliases !== 'cname' && aliases !== 'a') throw usage(`--aliases is cname or a, got '${aliasesText}'`);
  const formatText = required(given, 'format');
  const format = formatText.toLowerCase();
  if (format !== 'zone' && format !== 'rpz') throw usage(`--format is zone or rpz, got '${formatText}'`);
  const ttl = integer(required(given, 'ttl'), '--ttl', 0, 2147483647);
  const serialText = given.text('serial');
  const serial = serialText === undefined ? undefined : integer(serialText, '--serial', 0, 4294967295);
  const v6PrefixBits = integer(required(given, 'v6-prefix'), '--v6-prefix', 4, 124);
  if (v6PrefixBits % 4 !== 0) throw usage(`--v6-prefix must be a multiple of 4 (a nibble boundary, RFC 3596 2.5), got ${v6PrefixBits}`);
  const concurrency = integer(required(given, 'concurrency'), '--concurrency', 1, 1024);
  const timeoutMs = parseSeconds(required(given, 'timeout'), '--timeout', 60);
  const ns = given.list('ns').map((value) => {
    const absolute = value.endsWith('.');
    const name = hostNameOption(value, '--ns');
    return absolute || name.includes('.') ? name : `${name}.${origin}`;
  });
  if (format === 'rpz' && ns.some((n) => n === origin || n.endsWith(`.${origin}`))) {
    throw usage(`an RPZ's name servers must be outside it (the usual one is --ns localhost.)`);
  }
  const contact = given.text('contact');
  if (contact !== undefined) mailboxToRname(contact, '--contact');
  const reverse = given.flag('reverse');
  const out = given.text('out');
  const verify = given.text('verify');
  if (reverse && format === 'rpz') throw usage('--reverse and --format rpz do not go together: a blocklist has no reverse zones');
  if (verify !== undefined && out !== undefined) throw usage('--verify compares a server with the hosts files and writes nothing: drop --out');
  if (reverse && out === undefined && verify === undefined) throw usage('--reverse writes several zones: give --out DIR');
  const o: Hosts2zoneOptions = {
    files, origin, ns, ttl, reverse, v6PrefixBits, aliases, format,
    allowUnderscore: given.flag('allow-underscore'), concurrency, timeoutMs, json: given.flag('json'),
  };
  if (contact !== undefined) o.contact = contact;
  if (serial !== undefined) o.serial = serial;
  if (out !== undefined) {
    if (out === '') throw usage('--out needs a directory');
    o.outDir = out;
  }
  if (verify !== undefined) o.verify = parseDnsServer(verify, '--verify');
  return o;
}
