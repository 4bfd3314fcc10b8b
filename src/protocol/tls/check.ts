/**
 * The whole job of `netlab cert-check` as one library call: take a chain (from a TLS server, or
 * a PEM bundle), judge it against the trust anchors and a policy, read the stapled OCSP
 * response, and return one JSON-able result with a status and every problem found. The
 * command only reads its files and prints; this is what `import { checkCertificate } from
 * 'netlab/tls'` runs.
 */
import type { X509Certificate } from 'node:crypto';
import net from 'node:net';
import { NetlabError, statusOf, type Progress, type Status } from '../../errors.js';
import { formatHostPort } from '../../util/host-port.js';
import { analyseChain, findLeaf, problem, verdict, type CertNote, type CertProblem, type ChainAnalysis, type ChainCert, type ChainPolicy, type PathEntry } from './chain.js';
import { describeCert, issuedBy, parsePemBundle } from './certs.js';
import { fetchPeerChain, HandshakeInterrupted, MAX_SENT_CERTS } from './connect.js';
import { countScts, judgeConnection, type SctCount } from './connection-report.js';
import { STARTTLS_DEFAULT_PORTS, StartTlsFailed, type StartTlsInfo, type StartTlsProtocol } from './starttls.js';
import type { OcspStaple } from './ocsp.js';
import type { AiaCompletion, RevocationChecks } from './revocation.js';
import { loadTrustStore, type AnchorSet, type CaPem, type TrustStore } from './trust.js';

/**
 * The trust anchors of a check: a store already loaded ({@link loadTrustStore}, to reuse it over
 * many checks), or what to load: the system roots (unless `systemRoots` is false) plus CA
 * certificates given as PEM text.
 */
export type TrustAnchors = TrustStore | { ca?: Array<string | CaPem>; systemRoots?: boolean };

/** What both modes share: the trust anchors, the policy, and the run's signal and progress. */
export interface CertCheckCommon {
  /** Trust anchors; default: the system roots. */
  trust?: TrustAnchors;
  /**
   * The name (or IP address) the leaf must be valid for. Default: the server's host; with a
   * bundle, none (the name is not checked and `hostnameMatch` is null).
   */
  host?: string;
  /** WARNING when a certificate on the path has fewer whole days left; default 30. */
  warnDays?: number;
  /** CRITICAL when a certificate on the path has fewer whole days left; default 7. */
  critDays?: number;
  /** WARNING when less than this percent (0-100) of the leaf's lifetime is left. */
  warnPercent?: number;
  /** CRITICAL when less than this percent (0-100) of the leaf's lifetime is left. */
  critPercent?: number;
  /** The time the dates are judged at; default now. */
  now?: Date;
  /** Aborting it closes the connection at once: the result is UNKNOWN, `interrupted: true`. */
  signal?: AbortSignal;
  /** Told when the handshake starts (`{ phase: 'handshake', done: 0, total: 1 }`) and ends. */
  onProgress?: (progress: Progress) => void;
  // issue 11: beyond the chain sent (revocation.ts). Each is opt-in: without them nothing is
  // fetched beyond the TLS server. Fetches are plain HTTP, bounded (fetch.ts FETCH_LIMITS).
  /** Ask the OCSP responder named in the leaf's AIA (RFC 6960 POST, with a nonce); default false. */
  ocsp?: boolean;
  /** Fetch the CRL of the leaf's CRL distribution point and look the leaf up in it; default false. */
  crl?: boolean;
  /** When the leaf's issuer (or an intermediate's) is missing, fetch it from the AIA caIssuers URL, as browsers do; default false. */
  fetchMissing?: boolean;
  /** Milliseconds for each of those fetches; default the server check's `timeoutMs`, or 10000 for a bundle. */
  fetchTimeoutMs?: number;
}

/** Check a TLS server: connect (with SNI), take the chain exactly as sent, judge it. */
export interface ServerCertCheckOptions extends CertCheckCommon {
  /** The server: a name or an IP address (no brackets), and its port (default 443). */
  server: { host: string; port?: number };
  /** Connect to this address (or name) instead of the server's host, keeping SNI and the name checked. */
  connectTo?: string;
  /**
   * The SNI name to send; default the server's host when it is a name, none for an IP address.
   * `false` sends none. An IP address is refused (RFC 6066 3: SNI carries host names only).
   */
  servername?: string | false;
  /** Milliseconds for connecting and the handshake together; default 10000. */
  timeoutMs?: number;
  /** What the result's `target` says; default `HOST:PORT`. */
  target?: string;
  /**
   * Speak this protocol's STARTTLS dialogue first, as `openssl s_client -starttls` does; the
   * port then defaults to the protocol's (STARTTLS_DEFAULT_PORTS). XMPP's stream is opened
   * `to` the name checked (`host`).
   */
  starttls?: StartTlsProtocol;
}

/** Check a PEM bundle (a leaf and its chain, in any order): no network. */
export interface BundleCertCheckOptions extends CertCheckCommon {
  /** PEM text (every CERTIFICATE block, in order), or certificates already parsed. */
  bundle: string | X509Certificate[];
  /** What to call the bundle (a file name) in errors and in the result's `target`; default "the bundle". */
  source?: string;
}

/** A server or a bundle to check; see {@link checkCertificate}. */
export type CheckCertificateOptions = ServerCertCheckOptions | BundleCertCheckOptions;

/** What the TLS handshake gave besides the chain. */
export interface CertCheckTls {
  /** TLSv1.3, TLSv1.2, ... */
  protocol: string;
  /** The cipher suite's IANA name. */
  cipher: string;
  /** Whether the server stapled an OCSP response. */
  ocspStapled: boolean;
  /** What the staple says, checked as a client that relies on it must; null when none was stapled. */
  ocsp: OcspStaple | null;
  /**
   * Whether the server asked for a client certificate (a CertificateRequest in TLS 1.2 or 1.3),
   * and whether it then refused the connection without one (`required`; the chain it sent is
   * judged all the same).
   */
  clientCertificate: 'not-requested' | 'requested' | 'required';
}

/** The result of a check, the document `netlab cert-check --json` prints (JSON-able). */
export interface CertCheckResult {
  /** The server as given (HOST[:PORT]) or the bundle's name. */
  target: string;
  /** `network` (a server) or `file` (a PEM bundle). */
  mode: 'network' | 'file';
  /** The worst severity of the problems (statusOf); CRITICAL whenever the chain is not trusted; UNKNOWN when interrupted. */
  status: Status;
  problems: CertProblem[];
  /**
   * What was seen and not judged: certificates sent but not on the path, a long-lived leaf of a
   * private CA, a path search cut at its bound, a server that asks for a client certificate.
   */
  notes: CertNote[];
  /** Whether the path from the leaf ends at a trust anchor. */
  trusted: boolean;
  /** Whether the leaf is valid for `host`; null when no name was checked. */
  hostnameMatch: boolean | null;
  /** The name checked, or null. */
  host: string | null;
  /** The SNI name sent, or null. */
  servername: string | null;
  /** ADDR:PORT connected to (IPv6 in brackets), or null for a bundle. */
  connectedTo: string | null;
  /**
   * The STARTTLS protocol spoken before the handshake (with the server's greeting and whether
   * it listed STARTTLS, once the dialogue got that far), or null for a TLS port and a bundle.
   */
  starttls: StartTlsInfo | null;
  /** null without a handshake. */
  tls: CertCheckTls | null;
  /** The SCTs given for the leaf (counted, not verified); null when no chain was read. */
  scts: SctCount | null;
  /** The certificates as sent (or as in the bundle), in that order. */
  chain: ChainCert[];
  /** The path chosen (issue 11), from the leaf up: each certificate's index in `chain` (null for one from the trust store), subject, fingerprint and role. */
  path: PathEntry[];
  /** Whether the certificates sent on the path are not all those sent, in the order sent. */
  pathDiffers: boolean;
  /** The trust anchor the path ends at when it comes from the trust store, else null. */
  anchor: ChainCert | null;
  /** Where the anchors came from, and how many there are. */
  trustStore: { sources: string[]; anchors: number };
  /** Whole days until the leaf expires (negative once expired); null when no chain was read. */
  daysLeft: number | null;
  /** Present when the check was stopped by its signal before it had a chain (or, `fetch`, while fetching beyond it): status UNKNOWN. */
  interrupted?: true;
  /** Where it was stopped: before the TCP connection was made, during STARTTLS or the TLS handshake, or during a fetch asked for (OCSP, CRL, caIssuers). */
  interruptedDuring?: 'connect' | 'starttls' | 'handshake' | 'fetch';
  // issue 11: beyond the chain sent (null when nothing was asked)
  /** What the OCSP responder and the CRL of the leaf say (`ocsp`, `crl` options); null when neither was asked. */
  revocation: RevocationChecks | null;
  /** What fetching a missing issuer from its AIA caIssuers URL gave (`fetchMissing`); null when not asked or nothing was missing. */
  aia: AiaCompletion | null;
}

function usage(message: string): NetlabError {
  return new NetlabError('USAGE', message);
}

/** A number option of the library call, checked (a caller's mistake is a usage error, not a wrong verdict). */
function checkNumber(value: number | undefined, name: string, fallback: number, min: number, max: number, integer = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw usage(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function loadTrust(trust: TrustAnchors | undefined): TrustStore {
  if (trust && 'anchors' in trust) return trust;
  return loadTrustStore({ caPems: trust?.ca ?? [], systemRoots: trust?.systemRoots !== false });
}

/** What a check knows before it has a chain: the target, the names, the trust store. */
function nothingRead(known: Pick<CertCheckResult, 'target' | 'mode' | 'host' | 'servername' | 'connectedTo' | 'trustStore'> & { starttls?: StartTlsInfo | null }): CertCheckResult {
  // the keys in the order of the JSON document
  return {
    target: known.target,
    mode: known.mode,
    status: 'UNKNOWN',
    problems: [],
    notes: [],
    trusted: false,
    hostnameMatch: null,
    host: known.host,
    servername: known.servername,
    connectedTo: known.connectedTo,
    starttls: known.starttls ?? null,
    tls: null,
    scts: null,
    chain: [],
    path: [],
    pathDiffers: false,
    anchor: null,
    trustStore: known.trustStore,
    daysLeft: null,
    revocation: null,
    aia: null,
  };
}

function fromAnalysis(base: CertCheckResult, a: ChainAnalysis, extra: Partial<CertCheckResult> = {}): CertCheckResult {
  return {
    ...base,
    status: a.status,
    problems: a.problems,
    notes: a.notes,
    trusted: a.trusted,
    hostnameMatch: a.hostnameMatch,
    chain: a.chain,
    path: a.path,
    pathDiffers: a.pathDiffers,
    anchor: a.anchor ?? null,
    daysLeft: a.chain[a.leafIndex]?.daysLeft ?? null,
    ...extra,
  };
}

/**
 * Read the stapled OCSP response about the leaf (sent[0]) and add what it says to the analysis:
 * REVOKED (CRITICAL) when a staple that verifies says so, BAD_OCSP_STAPLE (WARNING) when it
 * cannot be relied on or the responder does not know the certificate. The ASN.1 modules load
 * only here, when a server staples (they cost ~100 ms to import).
 */
async function judgeStaple(der: Buffer, sent: X509Certificate[], anchors: AnchorSet, a: ChainAnalysis, now: Date): Promise<OcspStaple> {
  const { readOcspStaple } = await import('./ocsp.js');
  const leaf = sent[0]!;
  const subject = a.chain[0]!.subject;
  const issuer = [...sent.slice(1), ...anchors.issuersOf(leaf)].find((c) => issuedBy(leaf, c) === 'yes');
  const staple = readOcspStaple(der, leaf, issuer, now);
  if (staple.certStatus === 'revoked') {
    const reason = staple.revocationReason ? `, reason ${staple.revocationReason}` : '';
    a.problems.push(problem('REVOKED', 'CRITICAL', `the stapled OCSP response, signed by ${staple.signedBy}, says the certificate was revoked on ${staple.revokedAt!.slice(0, 10)}${reason}`, subject));
  } else if (staple.certStatus === 'unknown') {
    a.problems.push(problem('BAD_OCSP_STAPLE', 'WARNING', 'the stapled OCSP response says the responder does not know this certificate (status unknown)', subject));
  } else if (staple.certStatus === null) {
    a.problems.push(problem('BAD_OCSP_STAPLE', 'WARNING', `the stapled OCSP response cannot be relied on: ${staple.invalid}`, subject));
  }
  Object.assign(a, verdict(a.problems, a.trusted));
  return staple;
}

/**
 * Check a certificate chain, as `netlab cert-check` does: with `server`, connect (SNI, optional
 * `connectTo`, `timeoutMs`), take the chain exactly as sent and the stapled OCSP response; with
 * `bundle`, the certificates of a PEM text. Then build the path to a trust anchor and check the
 * order, dates, name, keys, signatures and revocation, reporting every problem at once.
 *
 * A broken target is a result, never a throw: UNREACHABLE or HANDSHAKE_FAILED (CRITICAL) when
 * the server cannot be reached or does not complete a TLS handshake, and UNKNOWN with
 * `interrupted: true` when `signal` aborts before a chain is read. Throws NetlabError USAGE for
 * a bad option (a port out of range, an IP address as SNI) and INPUT for bad input (a bundle
 * without a certificate or without a leaf, a block that does not parse, a CA text without a
 * certificate).
 */
export async function checkCertificate(options: CheckCertificateOptions): Promise<CertCheckResult> {
  const policy = {
    now: options.now ?? new Date(),
    warnDays: checkNumber(options.warnDays, 'warnDays', 30, 0, 3650),
    critDays: checkNumber(options.critDays, 'critDays', 7, 0, 3650),
    ...(options.warnPercent === undefined ? {} : { warnPercent: checkNumber(options.warnPercent, 'warnPercent', 0, 0, 100) }),
    ...(options.critPercent === undefined ? {} : { critPercent: checkNumber(options.critPercent, 'critPercent', 0, 0, 100) }),
  };
  if ('bundle' in options) return checkBundle(options, policy);
  return checkServer(options, policy);
}

type Policy = { now: Date; warnDays: number; critDays: number; warnPercent?: number; critPercent?: number };

/**
 * issue 11: OCSP, CRL and caIssuers fetches (revocation.ts, loaded only when one is asked), run
 * after the chain is analysed; adds their problems to `a` and returns the result's fields.
 */
async function beyondChain(options: CertCheckCommon, sent: X509Certificate[], leafIndex: number, anchors: AnchorSet, a: ChainAnalysis, policy: ChainPolicy, timeoutMs: number): Promise<Partial<CertCheckResult>> {
  if (!options.ocsp && !options.crl && !options.fetchMissing) return {};
  const { checkBeyondChain } = await import('./revocation.js');
  const fetchTimeoutMs = checkNumber(options.fetchTimeoutMs, 'fetchTimeoutMs', timeoutMs, 1, 2_147_483_647);
  const b = await checkBeyondChain(sent, leafIndex, anchors, a, policy, {
    ocsp: options.ocsp === true,
    crl: options.crl === true,
    fetchMissing: options.fetchMissing === true,
    timeoutMs: fetchTimeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { revocation: b.revocation, aia: b.aia, notes: b.notes, ...(b.interrupted ? { interrupted: true as const, interruptedDuring: 'fetch' as const } : {}) };
}

/** The status of a result whose fetches were interrupted: UNKNOWN (statusOf's rule), else the analysis's. */
function withFetches(r: CertCheckResult): CertCheckResult {
  return r.interrupted ? { ...r, status: statusOf(r.problems, { interrupted: true }) } : r;
}

async function checkBundle(options: BundleCertCheckOptions, policy: Policy): Promise<CertCheckResult> {
  const store = loadTrust(options.trust);
  const trustStore = { sources: store.sources, anchors: store.anchors.size };
  const named = options.source === undefined ? 'the bundle' : `'${options.source}'`;
  const certs = typeof options.bundle === 'string' ? parsePemBundle(options.bundle, options.source ?? 'the bundle') : options.bundle;
  if (certs.length === 0) throw new NetlabError('INPUT', `${named} holds no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks)`);
  let leafIndex = findLeaf(certs.map(describeCert));
  // `openssl req -x509` marks its self-signed certificate CA:TRUE: alone in a bundle, it is the leaf
  if (leafIndex < 0 && certs.length === 1) leafIndex = 0;
  if (leafIndex < 0) throw new NetlabError('INPUT', `${named} has no leaf: all ${certs.length} certificates are CA certificates`);
  const base = nothingRead({ target: options.source ?? 'the bundle', mode: 'file', host: options.host ?? null, servername: null, connectedTo: null, trustStore });
  const chainPolicy: ChainPolicy = { ...policy, ...(options.host === undefined ? {} : { host: options.host }) };
  const a = analyseChain(certs, store.anchors, chainPolicy, leafIndex);
  const beyond = await beyondChain(options, certs, leafIndex, store.anchors, a, chainPolicy, 10_000);
  return withFetches(fromAnalysis(base, a, { scts: countScts(certs[leafIndex], null), ...beyond, notes: [...a.notes, ...(beyond.notes ?? [])] }));
}

async function checkServer(options: ServerCertCheckOptions, policy: Policy): Promise<CertCheckResult> {
  const { host: serverHost } = options.server;
  if (!serverHost) throw usage('the server host is empty');
  if (options.starttls !== undefined && !(options.starttls in STARTTLS_DEFAULT_PORTS)) {
    throw usage(`starttls must be one of ${Object.keys(STARTTLS_DEFAULT_PORTS).join(', ')}, got '${String(options.starttls)}'`);
  }
  const port = checkNumber(options.server.port, 'port', options.starttls ? STARTTLS_DEFAULT_PORTS[options.starttls] : 443, 1, 65535, true);
  const timeoutMs = checkNumber(options.timeoutMs, 'timeoutMs', 10_000, 1, 2_147_483_647);
  // SNI carries host names only (RFC 6066 3): none for an IP address unless asked for, and never an address
  const servername = options.servername === false ? undefined : options.servername ?? (net.isIP(serverHost) ? undefined : serverHost);
  if (servername !== undefined && net.isIP(servername.replace(/^\[(.*)\]$/, '$1'))) {
    throw usage(`servername '${servername}' is an IP address, and SNI carries host names only (RFC 6066 3)`);
  }
  const host = options.host ?? serverHost;
  const connectHost = options.connectTo ?? serverHost;
  const store = loadTrust(options.trust);
  const trustStore = { sources: store.sources, anchors: store.anchors.size };
  const base = nothingRead({
    target: options.target ?? formatHostPort({ host: serverHost, port }),
    mode: 'network',
    host,
    servername: servername ?? null,
    // where it was connecting to (address:port, as once connected)
    connectedTo: formatHostPort({ address: connectHost, port }),
    trustStore,
    // what was asked for; the dialogue's findings replace it once it is done
    ...(options.starttls ? { starttls: { protocol: options.starttls, greeting: null, advertised: null } } : {}),
  });
  const interrupted = (during: 'connect' | 'starttls' | 'handshake'): CertCheckResult => ({ ...base, status: statusOf([], { interrupted: true }), interrupted: true, interruptedDuring: during });
  if (options.signal?.aborted) return interrupted('connect');
  const where = formatHostPort({ address: connectHost, port });
  options.onProgress?.({ phase: 'handshake', done: 0, total: 1, detail: where });
  try {
    const peer = await fetchPeerChain({
      connectHost, port, servername, timeoutMs, signal: options.signal,
      ...(options.starttls ? { starttls: options.starttls, starttlsDomain: host } : {}),
    });
    options.onProgress?.({ phase: 'handshake', done: 1, total: 1, detail: where });
    const chainPolicy: ChainPolicy = { ...policy, host };
    const a = analyseChain(peer.certs, store.anchors, chainPolicy, 0);
    if (peer.truncated) {
      a.problems.push(problem('CHAIN_TOO_LONG', 'CRITICAL', `the server sent more than ${MAX_SENT_CERTS} certificates; only the first ${MAX_SENT_CERTS} were read`));
      Object.assign(a, verdict(a.problems, a.trusted));
    }
    const ocsp = peer.ocspResponse ? await judgeStaple(peer.ocspResponse, peer.certs, store.anchors, a, policy.now) : null;
    const connection = judgeConnection(peer, where);
    if (connection.problems.length > 0) {
      a.problems.push(...connection.problems);
      Object.assign(a, verdict(a.problems, a.trusted));
    }
    const beyond = await beyondChain(options, peer.certs, 0, store.anchors, a, chainPolicy, timeoutMs);
    return withFetches(fromAnalysis(base, a, {
      connectedTo: formatHostPort({ address: peer.remoteAddress, port }),
      starttls: peer.starttls,
      tls: { protocol: peer.protocol, cipher: peer.cipher, ocspStapled: peer.ocspResponse !== null, ocsp, clientCertificate: peer.clientCertificate },
      scts: countScts(peer.certs[0], peer.ocspResponse),
      ...beyond,
      notes: [...a.notes, ...connection.notes, ...(beyond.notes ?? [])],
    }));
  } catch (e) {
    if (e instanceof HandshakeInterrupted) return interrupted(e.stage);
    if (e instanceof StartTlsFailed) {
      return { ...base, ...verdict([problem('STARTTLS_FAILED', 'CRITICAL', `STARTTLS (${e.protocol}) with ${where} failed: ${e.message}`)], false) };
    }
    if (e instanceof NetlabError && (e.code === 'UNREACHABLE' || e.code === 'HANDSHAKE_FAILED')) {
      return { ...base, ...verdict([problem(e.code, 'CRITICAL', e.message)], false) };
    }
    throw e;
  }
}
