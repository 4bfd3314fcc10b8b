/** `netlab cert-check`: options -> fetch the chain (or read --file) -> analyse -> CertCheckResult. */
import type { X509Certificate } from 'node:crypto';
import { FILE_LIMITS, readFileBounded } from '../../util/read-bounded.js';
import net from 'node:net';
import { cannotRead, NetlabError, type Status } from '../../errors.js';
import { parseSeconds } from '../args.js';
import { fetchPeerChain, HandshakeInterrupted, MAX_SENT_CERTS } from '../../protocol/tls/connect.js';
import { analyseChain, findLeaf, problem, verdict, type ChainAnalysis, type ChainCert, type Problem, type ProblemCode } from '../../protocol/tls/chain.js';
import type { OcspStaple } from '../../protocol/tls/ocsp.js';
import { loadTrustStore, type AnchorSet } from '../../protocol/tls/trust.js';
import { describeCert, issuedBy, parsePemBundle } from '../../protocol/tls/certs.js';
import { formatHostPort } from '../../util/host-port.js';

export interface CertCheckOptions {
  /** HOST[:PORT] of the server; undefined with --file. */
  target?: string;
  host?: string;
  port: number;
  servername?: string;
  connectTo?: string;
  file?: string;
  caFiles: string[];
  systemRoots: boolean;
  warnDays: number;
  critDays: number;
  warnPercent?: number;
  critPercent?: number;
  timeoutMs: number;
  json: boolean;
  /** Set by the CLI on SIGINT (or by a library caller): the check stops and returns what it has, `interrupted: true`. */
  signal?: AbortSignal;
}

export interface CertCheckResult {
  target: string;
  mode: 'network' | 'file';
  status: Status;
  problems: Problem[];
  trusted: boolean;
  hostnameMatch: boolean | null;
  host: string | null;
  servername: string | null;
  connectedTo: string | null;
  tls: { protocol: string; cipher: string; ocspStapled: boolean; ocsp: OcspStaple | null } | null;
  chain: ChainCert[];
  path: number[];
  anchor: ChainCert | null;
  trustStore: { sources: string[]; anchors: number };
  /** Days until the leaf expires; null when no chain was read. */
  daysLeft: number | null;
  /** Present when the check was stopped (SIGINT) before it had a chain: status UNKNOWN. */
  interrupted?: true;
  /** Where it was stopped: before the TCP connection was made, or during the TLS handshake. */
  interruptedDuring?: 'connect' | 'handshake';
}

export interface RawCertCheckArgs {
  target?: string;
  servername?: string;
  connectTo?: string;
  ca?: string[];
  systemCa?: boolean;
  warnDays?: string;
  critDays?: string;
  warnPercent?: string;
  critPercent?: string;
  timeout?: string;
  file?: string;
  host?: string;
  json?: boolean;
}

function usage(message: string): NetlabError {
  return new NetlabError('USAGE', message);
}

function num(value: string | undefined, name: string, fallback: number | undefined, max: number): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) > max) throw usage(`${name} needs a number from 0 to ${max}, got '${value}'`);
  return Number(value);
}

/** Split HOST[:PORT], [V6]:PORT or a bare IPv6 address. */
export function splitTarget(target: string): { host: string; port?: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(target);
  if (v6) return v6[2] ? { host: v6[1]!, port: Number(v6[2]) } : { host: v6[1]! };
  if (net.isIPv6(target)) return { host: target };
  const m = /^([^:]+)(?::(\d+))?$/.exec(target);
  if (!m) throw usage(`'${target}' is not HOST[:PORT]`);
  return m[2] ? { host: m[1]!, port: Number(m[2]) } : { host: m[1]! };
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

/** Commander's raw values -> validated options. Pure; throws USAGE. */
export function parseCertCheckArgs(raw: RawCertCheckArgs): CertCheckOptions {
  notEmpty(raw.file, '--file', 'a file name');
  notEmpty(raw.host, '--host', 'a name or an address');
  notEmpty(raw.connectTo, '--connect-to', 'an address');
  notEmpty(raw.servername, '--servername', 'a host name');
  for (const ca of raw.ca ?? []) notEmpty(ca, '--ca', 'a file name');
  if (raw.target !== undefined && raw.target.trim() === '') throw usage('HOST[:PORT] is empty');
  if (raw.target && raw.file) throw usage('give either HOST[:PORT] or --file, not both');
  if (!raw.target && !raw.file) throw usage('missing HOST[:PORT] (or --file BUNDLE.pem)');
  const warnDays = num(raw.warnDays, '--warn-days', 30, 3650)!;
  const critDays = num(raw.critDays, '--crit-days', 7, 3650)!;
  if (critDays > warnDays) throw usage(`--crit-days (${critDays}) is more than --warn-days (${warnDays})`);
  const warnPercent = num(raw.warnPercent, '--warn-percent', undefined, 100);
  const critPercent = num(raw.critPercent, '--crit-percent', undefined, 100);
  if (warnPercent !== undefined && critPercent !== undefined && critPercent > warnPercent) {
    throw usage(`--crit-percent (${critPercent}) is more than --warn-percent (${warnPercent})`);
  }
  const timeoutMs = raw.timeout === undefined ? 10_000 : parseSeconds(raw.timeout, '--timeout', 300);
  const o: CertCheckOptions = {
    port: 443,
    caFiles: raw.ca ?? [],
    systemRoots: raw.systemCa !== false,
    warnDays,
    critDays,
    timeoutMs,
    json: Boolean(raw.json),
  };
  if (warnPercent !== undefined) o.warnPercent = warnPercent;
  if (critPercent !== undefined) o.critPercent = critPercent;
  if (raw.file) {
    o.file = raw.file;
    if (raw.host) o.host = raw.host;
    if (raw.connectTo || raw.servername) throw usage('--connect-to and --servername need HOST[:PORT], not --file');
    return o;
  }
  const t = splitTarget(raw.target!);
  if (t.port !== undefined && (t.port < 1 || t.port > 65535)) throw usage(`port ${t.port} is out of range`);
  o.target = raw.target!;
  o.host = raw.host ?? t.host;
  o.port = t.port ?? 443;
  if (raw.connectTo) {
    if (!net.isIP(raw.connectTo) && !/^[A-Za-z0-9.-]+$/.test(raw.connectTo)) throw usage(`--connect-to '${raw.connectTo}' is not an address`);
    o.connectTo = raw.connectTo;
  }
  // SNI carries names only (RFC 6066 3): none for an IP target unless asked for.
  const sni = raw.servername !== undefined ? checkServername(raw.servername) : net.isIP(t.host) ? undefined : t.host;
  if (sni !== undefined) o.servername = sni;
  return o;
}

function fromAnalysis(options: CertCheckOptions, a: ChainAnalysis, trust: { sources: string[]; anchors: number }, extra: Partial<CertCheckResult>): CertCheckResult {
  return {
    target: options.target ?? options.file ?? '',
    mode: options.file ? 'file' : 'network',
    status: a.status,
    problems: a.problems,
    trusted: a.trusted,
    hostnameMatch: a.hostnameMatch,
    host: options.host ?? null,
    servername: options.servername ?? null,
    connectedTo: null,
    tls: null,
    chain: a.chain,
    path: a.path,
    anchor: a.anchor ?? null,
    trustStore: trust,
    daysLeft: a.chain[a.leafIndex]?.daysLeft ?? null,
    ...extra,
  };
}

function failure(options: CertCheckOptions, code: ProblemCode, message: string, trust: { sources: string[]; anchors: number }): CertCheckResult {
  return { ...nothingRead(options, trust), ...verdict([problem(code, 'CRITICAL', message)], false) };
}

/** What a check knows before it has a chain: the target, the names, the trust store. */
function nothingRead(options: CertCheckOptions, trust: { sources: string[]; anchors: number }): CertCheckResult {
  return {
    target: options.target ?? options.file ?? '',
    mode: options.file ? 'file' : 'network',
    status: 'UNKNOWN',
    problems: [],
    trusted: false,
    hostnameMatch: null,
    host: options.host ?? null,
    servername: options.servername ?? null,
    // where it was connecting to (address:port, as once connected)
    connectedTo: options.file ? null : formatHostPort({ address: options.connectTo ?? options.host ?? '', port: options.port }),
    tls: null,
    chain: [],
    path: [],
    anchor: null,
    trustStore: trust,
    daysLeft: null,
  };
}

/**
 * Read the stapled OCSP response about the leaf (sent[0]) and add what it says to the
 * analysis: REVOKED (CRITICAL) when a staple that verifies says so, BAD_OCSP_STAPLE (WARNING)
 * when it cannot be relied on or the responder does not know the certificate. The ASN.1
 * modules load only here, when a server staples.
 */
async function checkStaple(der: Buffer, sent: X509Certificate[], anchors: AnchorSet, a: ChainAnalysis, now: Date): Promise<OcspStaple> {
  const { readOcspStaple } = await import('../../protocol/tls/ocsp.js');
  const leaf = sent[0]!;
  const issuer = [...sent.slice(1), ...anchors.issuersOf(leaf)].find((c) => issuedBy(leaf, c) === 'yes');
  const staple = readOcspStaple(der, leaf, issuer, now);
  if (staple.certStatus === 'revoked') {
    const reason = staple.revocationReason ? `, reason ${staple.revocationReason}` : '';
    a.problems.push(problem('REVOKED', 'CRITICAL', `the stapled OCSP response, signed by ${staple.signedBy}, says the certificate was revoked on ${staple.revokedAt!.slice(0, 10)}${reason}`));
  } else if (staple.certStatus === 'unknown') {
    a.problems.push(problem('BAD_OCSP_STAPLE', 'WARNING', `the stapled OCSP response says the responder does not know this certificate (status unknown)`));
  } else if (staple.certStatus === null) {
    a.problems.push(problem('BAD_OCSP_STAPLE', 'WARNING', `the stapled OCSP response cannot be relied on: ${staple.invalid}`));
  }
  Object.assign(a, verdict(a.problems, a.trusted));
  return staple;
}

/** The result of a check stopped by its signal before it had a chain: UNKNOWN, with what is known. */
function interrupted(options: CertCheckOptions, trust: { sources: string[]; anchors: number }, during: 'connect' | 'handshake'): CertCheckResult {
  return { ...nothingRead(options, trust), interrupted: true, interruptedDuring: during };
}

/**
 * Run the check. Throws only for bad input (INPUT/USAGE); a broken target is a result. When
 * `options.signal` aborts, the connection is closed and the result says `interrupted: true`.
 */
export async function runCertCheck(options: CertCheckOptions, now = new Date()): Promise<CertCheckResult> {
  const store = loadTrustStore({ caFiles: options.caFiles, systemRoots: options.systemRoots });
  const trust = { sources: store.sources, anchors: store.anchors.size };
  const policy = {
    now,
    host: options.host,
    warnDays: options.warnDays,
    critDays: options.critDays,
    warnPercent: options.warnPercent,
    critPercent: options.critPercent,
  };
  if (options.file) {
    let text: string;
    try {
      text = readFileBounded(options.file, FILE_LIMITS.pem).toString('utf8');
    } catch (e) {
      throw cannotRead(options.file, e);
    }
    const certs = parsePemBundle(text, options.file);
    if (certs.length === 0) throw new NetlabError('INPUT', `'${options.file}' holds no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks)`);
    let leafIndex = findLeaf(certs.map(describeCert));
    // `openssl req -x509` marks its self-signed certificate CA:TRUE: alone in a file, it is the leaf
    if (leafIndex < 0 && certs.length === 1) leafIndex = 0;
    if (leafIndex < 0) throw new NetlabError('INPUT', `'${options.file}' has no leaf: all ${certs.length} certificates are CA certificates`);
    return fromAnalysis(options, analyseChain(certs, store.anchors, policy, leafIndex), trust, {});
  }
  if (options.signal?.aborted) return interrupted(options, trust, 'connect');
  const connectHost = options.connectTo ?? options.host!;
  try {
    const peer = await fetchPeerChain({ connectHost, port: options.port, servername: options.servername, timeoutMs: options.timeoutMs, signal: options.signal });
    const a = analyseChain(peer.certs, store.anchors, policy, 0);
    if (peer.truncated) {
      a.problems.push(problem('CHAIN_TOO_LONG', 'CRITICAL', `the server sent more than ${MAX_SENT_CERTS} certificates; only the first ${MAX_SENT_CERTS} were read`));
      Object.assign(a, verdict(a.problems, a.trusted));
    }
    const ocsp = peer.ocspResponse ? await checkStaple(peer.ocspResponse, peer.certs, store.anchors, a, now) : null;
    return fromAnalysis(options, a, trust, {
      connectedTo: formatHostPort({ address: peer.remoteAddress, port: options.port }),
      tls: { protocol: peer.protocol, cipher: peer.cipher, ocspStapled: peer.ocspResponse !== null, ocsp },
    });
  } catch (e) {
    if (e instanceof HandshakeInterrupted) return interrupted(options, trust, e.stage);
    if (e instanceof NetlabError && (e.code === 'UNREACHABLE' || e.code === 'HANDSHAKE_FAILED')) {
      return failure(options, e.code, e.message, trust);
    }
    throw e;
  }
}
