/**
 * `netlab cert-check`'s options, declared once (flags, --help text, defaults), and the pure
 * parser from what the command line gave to typed options. Throws NetlabError USAGE naming the
 * option.
 */
import net from 'node:net';
import { NetlabError } from '../../errors.js';
import { splitHostPort } from '../../util/host-port.js';
import { parseDnsServer, parseSeconds } from '../args.js';
import type { Server } from '../../protocol/dns/transport.js';
import type { ArgDecl, Given, OptionDecl } from '../command.js';
import { STARTTLS_DEFAULT_PORTS, STARTTLS_PROTOCOLS, type StartTlsProtocol } from '../../protocol/tls/starttls.js';

export const CERT_CHECK_ARGS: ArgDecl[] = [{ name: '[target]', description: 'HOST[:PORT] of the server (port 443 by default)' }];

export const CERT_CHECK_OPTIONS: OptionDecl[] = [
  { flags: '--servername <name>', description: 'SNI name to send (default: HOST; none for an IP address; an IP address here is refused: RFC 6066 allows names only)' },
  { flags: '--connect-to <addr>', description: 'connect to this address instead of resolving HOST (keeps SNI and the name check)' },
  { flags: '--resolver <addr[:port]>', description: "resolve HOST with netlab's own DNS client against this server (A, then AAAA: the first address; default: the system resolver); --connect-to wins" },
  { flags: '--ca <file>', description: 'extra trust anchors (PEM, at most 16 MiB); ADDED to the system roots (repeatable)', repeatable: true },
  { flags: '--no-system-ca', description: 'do not trust the system roots: only --ca files' },
  { flags: '--warn-days <n>', description: 'WARNING when a certificate expires within N days', default: 30 },
  { flags: '--crit-days <n>', description: 'CRITICAL when a certificate expires within N days', default: 7 },
  { flags: '--warn-percent <p>', description: "WARNING when under P% of the leaf's lifetime is left" },
  { flags: '--crit-percent <p>', description: "CRITICAL when under P% of the leaf's lifetime is left" },
  { flags: '--timeout <seconds>', description: 'connect and handshake timeout', default: 10 },
  { flags: '--file <bundle>', description: 'check a local PEM bundle (leaf and chain, at most 16 MiB) instead of a server; no network (unless --ocsp, --crl or --fetch-missing)' },
  { flags: '--host <name>', description: 'name the certificate must be valid for (default: HOST; with --file: none)' },
  { flags: '--json', description: 'one JSON document on stdout' },
  // issue 11: the connection side
  {
    flags: '--starttls <proto>',
    description: `speak PROTO's STARTTLS first, as openssl s_client -starttls: ${STARTTLS_PROTOCOLS.map((p) => `${p} (port ${STARTTLS_DEFAULT_PORTS[p]})`).join(', ')}; the port is PROTO's unless given; xmpp opens its stream to --host`,
  },
  // issue 11: beyond the chain sent; each opt-in, plain HTTP, bounded in size and by --timeout
  { flags: '--ocsp', description: "ask the OCSP responder named in the leaf's AIA (HTTP POST with a nonce, answer at most 64 KiB): REVOKED, or BAD_OCSP_RESPONSE when it gives no usable answer" },
  { flags: '--crl', description: "fetch the CRL of the leaf's distribution point (HTTP, DER or PEM, at most 10 MiB) and look the leaf up: REVOKED, or BAD_CRL" },
  { flags: '--fetch-missing', description: 'when an intermediate is missing, fetch it from the AIA caIssuers URL as browsers do (HTTP, at most 256 KiB) to say whether browsers complete the chain; it stays CRITICAL' },
];

export const CERT_CHECK_HELP_AFTER = `
Bounds: a path of at most 100 intermediate certificates (OpenSSL's default verify depth;
more is CHAIN_TOO_LONG), at most 1000 certificates read from a server, --file and --ca
files of at most 16 MiB (a FIFO that gives nothing for 10 s is an error). --ocsp, --crl and
--fetch-missing fetch over plain HTTP only (an https: or ldap: URL is noted, not fetched),
each fetch within --timeout, at most 3 redirects, at most 4 caIssuers fetches; without them
nothing is fetched beyond the server. See netlab-cert-check(1).`;

/** The command's options, typed and checked. */
export interface CertCheckOptions {
  /** HOST[:PORT] as given; undefined with --file. */
  target?: string;
  /** The server of the target: its host (an address without brackets, or a name) and port (443 when not given). */
  server?: { host: string; port: number };
  /** The name the leaf must be valid for: --host, else the target's HOST; with --file only --host. */
  host?: string;
  /** The SNI name: --servername, else HOST when it is a name; none for an address. */
  servername?: string;
  connectTo?: string;
  /** issue 12: --resolver: resolve HOST through this DNS server (netlab's client) instead of the system's. */
  resolver?: Server;
  /** --file: the bundle to check instead of a server. */
  file?: string;
  caFiles: string[];
  systemRoots: boolean;
  warnDays: number;
  critDays: number;
  warnPercent?: number;
  critPercent?: number;
  timeoutMs: number;
  json: boolean;
  /** --starttls: the STARTTLS dialogue to speak before the handshake. */
  starttls?: StartTlsProtocol;
  // issue 11
  /** --ocsp: ask the leaf's OCSP responder (absent: not asked). */
  ocsp?: true;
  /** --crl: fetch the leaf's CRL. */
  crl?: true;
  /** --fetch-missing: fetch a missing issuer from its AIA caIssuers URL. */
  fetchMissing?: true;
}

function usage(message: string): NetlabError {
  return new NetlabError('USAGE', message);
}

/** An option's value, or its declared default (as text): the one place defaults live is the declaration. */
function valueOf(given: Given, name: string): string | undefined {
  const value = given.text(name);
  if (value !== undefined) return value;
  const declared = CERT_CHECK_OPTIONS.find((o) => o.flags.includes(`--${name} `))?.default;
  return declared === undefined ? undefined : String(declared);
}

function num(value: string | undefined, name: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) > max) throw usage(`${name} needs a number from 0 to ${max}, got '${value}'`);
  return Number(value);
}

/** An option given an empty value (`--host ''`) is a mistake, not an absent option. */
function notEmpty(value: string | undefined, name: string, what: string): void {
  if (value !== undefined && value.trim() === '') throw usage(`${name} needs ${what}, got an empty value`);
}

/**
 * The SNI name to send, checked: SNI carries a DNS host name only, never an IP address (RFC 6066
 * section 3: "Literal IPv4 and IPv6 addresses are not permitted in HostName"); Node would send
 * one anyway with a DeprecationWarning.
 */
function checkServername(name: string): string {
  const bare = name.replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(bare)) {
    throw usage(`--servername '${name}' is an IP address, and SNI carries host names only (RFC 6066 3): leave it out, and use --host ${bare} to check the certificate for that address`);
  }
  if (/[\s\x00-\x1f\x7f/:@]/.test(name)) throw usage(`--servername ${JSON.stringify(name)} is not a host name`);
  return name;
}

/** What the command line gave -> checked options. Pure; throws NetlabError USAGE naming the option. */
export function parseCertCheckArgs(given: Given): CertCheckOptions {
  const target = given.args[0];
  const file = given.text('file');
  const host = given.text('host');
  const connectTo = given.text('connect-to');
  const servername = given.text('servername');
  const caFiles = given.list('ca');
  notEmpty(file, '--file', 'a file name');
  notEmpty(host, '--host', 'a name or an address');
  notEmpty(connectTo, '--connect-to', 'an address');
  notEmpty(servername, '--servername', 'a host name');
  for (const ca of caFiles) notEmpty(ca, '--ca', 'a file name');
  if (target !== undefined && target.trim() === '') throw usage('HOST[:PORT] is empty');
  if (target && file) throw usage('give either HOST[:PORT] or --file, not both');
  if (!target && !file) throw usage('missing HOST[:PORT] (or --file BUNDLE.pem)');
  const warnDays = num(valueOf(given, 'warn-days'), '--warn-days', 3650)!;
  const critDays = num(valueOf(given, 'crit-days'), '--crit-days', 3650)!;
  if (critDays > warnDays) throw usage(`--crit-days (${critDays}) is more than --warn-days (${warnDays})`);
  const warnPercent = num(valueOf(given, 'warn-percent'), '--warn-percent', 100);
  const critPercent = num(valueOf(given, 'crit-percent'), '--crit-percent', 100);
  if (warnPercent !== undefined && critPercent !== undefined && critPercent > warnPercent) {
    throw usage(`--crit-percent (${critPercent}) is more than --warn-percent (${warnPercent})`);
  }
  const timeoutMs = parseSeconds(valueOf(given, 'timeout')!, '--timeout', 300);
  const o: CertCheckOptions = { caFiles, systemRoots: given.flag('system-ca', true), warnDays, critDays, timeoutMs, json: given.flag('json') };
  // issue 11: set only when given, so that the options without them read as before
  if (given.flag('ocsp')) o.ocsp = true;
  if (given.flag('crl')) o.crl = true;
  if (given.flag('fetch-missing')) o.fetchMissing = true;
  if (warnPercent !== undefined) o.warnPercent = warnPercent;
  if (critPercent !== undefined) o.critPercent = critPercent;
  const starttlsText = given.text('starttls');
  const starttls = starttlsText === undefined ? undefined : (starttlsText.toLowerCase() as StartTlsProtocol);
  if (starttls !== undefined && !STARTTLS_PROTOCOLS.includes(starttls)) {
    throw usage(`--starttls needs one of ${STARTTLS_PROTOCOLS.join(', ')}, got '${starttlsText}'`);
  }
  if (file) {
    if (connectTo || servername) throw usage('--connect-to and --servername need HOST[:PORT], not --file');
    if (starttls) throw usage('--starttls needs HOST[:PORT], not --file');
    if (given.text('resolver') !== undefined) throw usage('--resolver needs HOST[:PORT], not --file');
    o.file = file;
    if (host) o.host = host;
    return o;
  }
  const split = splitHostPort(target!, starttls ? STARTTLS_DEFAULT_PORTS[starttls] : 443);
  if ('error' in split) throw usage(`'${target}' is not HOST[:PORT]: ${split.error}`);
  o.target = target!;
  o.server = { host: split.host, port: split.port };
  o.host = host ?? split.host;
  if (starttls) o.starttls = starttls;
  if (connectTo) {
    if (!net.isIP(connectTo) && !/^[A-Za-z0-9.-]+$/.test(connectTo)) throw usage(`--connect-to '${connectTo}' is not an address`);
    o.connectTo = connectTo;
  }
  const resolver = given.text('resolver');
  if (resolver !== undefined) o.resolver = parseDnsServer(resolver, '--resolver');
  // SNI carries names only (RFC 6066 3): none for an IP target unless asked for.
  const sni = servername !== undefined ? checkServername(servername) : net.isIP(split.host) ? undefined : split.host;
  if (sni !== undefined) o.servername = sni;
  return o;
}
