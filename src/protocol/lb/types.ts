/**
 * The shapes of lb-probe's library call: what {@link probeLoadBalancer} takes, what it returns,
 * and the codes of its problems and notes. Types and the defaults only: importing this module
 * loads nothing (the command's option declarations take their defaults from here).
 */
import type { Note, Problem, Progress, Status } from '../../errors.js';
import type { HostPort } from './addresses.js';
import type { IdentifySpec, MethodId } from './identify.js';
import type { SchedulerHint } from './scheduler-hint.js';
import type { PeerCertificate } from './http1.js';
import type { LbRemap, SourceMap } from './remap.js';

/** Probes through the VIP when none is said. */
export const DEFAULT_REQUESTS = 100;
/** Probes at a time when none is said (1 keeps the exact order for the scheduler hint). */
export const DEFAULT_CONCURRENCY = 1;
/** The bound of each probe when none is said, ms. */
export const DEFAULT_TIMEOUT_MS = 5000;
/** The significance level of the chi-square test when none is said. */
export const DEFAULT_ALPHA = 0.01;

/** What {@link probeLoadBalancer} does; only `vip` is required. */
export interface LbProbeSettings {
  vip: HostPort;
  /** Backends, each probed directly; empty or absent: they are found from the answers through the VIP. */
  backends?: HostPort[];
  /**
   * The configured weights, one per backend (numbers >= 0, one above 0). Null or absent: the
   * split is described (shares, the scheduler hint) and not judged.
   */
  weights?: number[] | null;
  /** Probes through the VIP, a fresh connection each (at least 1); default {@link DEFAULT_REQUESTS}. */
  requests?: number;
  /** Probes at a time; default {@link DEFAULT_CONCURRENCY}. */
  concurrency?: number;
  /** `http`: a GET per connection; `https`: the same over TLS (a full handshake each); `tcp`: read the banner the server sends first. Default `http`. */
  mode?: 'http' | 'https' | 'tcp';
  /** HTTPS: how the TLS of every probe is checked (a backend given with its own `scheme: 'http'` is probed without). */
  tls?: LbTlsSettings | null;
  /** A map saved from an earlier run (sourceMapOf): the report then says which sources moved to which backend (`remap`). */
  compareMap?: SourceMap | null;
  /** HTTP path of every probe; default `/`. */
  path?: string;
  /** Host header of every HTTP probe (direct ones too); default the VIP's ADDR:PORT. */
  host?: string;
  /** How answers are told apart; default `{ kind: 'auto' }`. */
  identify?: IdentifySpec;
  /** Source addresses to bind, round robin (empty or absent: the system's choice); two or more check stickiness. */
  sources?: string[];
  /** The range the sources come from, as given (`127.56.1.1-127.56.1.50`); echoed in the result, never parsed. */
  sourceRange?: string | null;
  /** The bound of each probe, ms; default {@link DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Significance level of the chi-square test (0 < alpha < 0.5); default {@link DEFAULT_ALPHA}. */
  alpha?: number;
  /**
   * The bound of the whole run (direct probes and probes through the VIP), ms; null or absent:
   * none (the run is then bounded by the probes times their timeout). When it passes, probes in
   * flight are stopped, none is started, and what was measured is judged.
   */
  deadlineMs?: number | null;
  /** Aborting it (Ctrl-C) stops the run as the deadline does; the result then has `interrupted: true` and status UNKNOWN. */
  signal?: AbortSignal;
  /** Progress: `backends` (direct probes, per backend done) then `vip` (per probe through the VIP). */
  onProgress?: (progress: Progress & { phase: 'backends' | 'vip' }) => void;
}

/** The TLS of an HTTPS probe. */
export interface LbTlsSettings {
  /** SNI and the name each certificate is checked against; default the VIP's host name (none for an address: then its IP SAN). */
  servername?: string;
  /** Trust anchors, PEM texts (replacing Node's roots, as curl --cacert); absent: Node's root store. */
  ca?: string[];
  /** Send the requests even when a certificate does not verify (said in the report: `tls.insecure`); the certificates are still recorded and compared. */
  insecure?: boolean;
  /** Resume the TLS session of each worker's previous probe when the server allows it (default: a full handshake every probe, which is what a balancer's new clients cost). */
  resume?: boolean;
}

/** Problems found in what was judged: each is WARNING or CRITICAL and decides the status. */
export type LbProblemCode =
  | 'VIP_UNREACHABLE'
  | 'VIP_NOT_HTTP'
  | 'VIP_ANSWER_TOO_LARGE'
  | 'PROBES_FAILED'
  | 'SERVER_ERRORS'
  | 'BACKEND_DOWN'
  | 'DOWN_BUT_RECEIVING'
  | 'NEVER_THROUGH_VIP'
  | 'DISTRIBUTION_OFF'
  | 'UNKNOWN_BACKEND'
  /** HTTPS: the backends (or the answers through the VIP) come with different certificates; the message names which backend serves which (WARNING). */
  | 'CERT_MISMATCH'
  /** HTTPS: a certificate does not verify (expired, another name, an unknown issuer); subject: the backend, or the VIP when no backend is known to serve it (CRITICAL). */
  | 'CERT_INVALID';

/** Parts that could not be judged, and why: reported, never folded into the status. */
export type LbNoteCode =
  /** No weights given: the split is described, not judged. */
  | 'NO_WEIGHTS'
  /** An expected count under 5: the chi-square test is not trusted (counts: observed, needed, minExpected, requestsNeeded, sourcesNeeded). */
  | 'TOO_FEW_TO_JUDGE'
  /** Two backends give the same marker: their answers cannot be told apart, the split is not judged. */
  | 'AMBIGUOUS_IDENTITY'
  /** No answer could be attributed to a backend (counts: answers). */
  | 'NOT_IDENTIFIABLE'
  /** No source had two attributed answers (counts: sources). */
  | 'STICKINESS_NOT_JUDGED'
  /** The deadline or the signal stopped the run before any probe through the VIP ended. */
  | 'NOT_MEASURED'
  /** The deadline or the signal stopped the run after some probes (counts: sent, requests). */
  | 'STOPPED'
  /** A backend's direct probes were stopped before any answered (subject: the backend). */
  | 'HEALTH_NOT_KNOWN';

/** A problem of lb-probe: `subject` is the backend's ADDR:PORT when it is about one. */
export type LbProblem = Problem<LbProblemCode>;
/** A note of lb-probe (see {@link LbNoteCode}). */
export type LbNote = Note<LbNoteCode>;

/** One backend: given (probed directly) or found through the VIP. */
export interface LbBackend {
  /** ADDR:PORT as given; null for a backend seen only through the VIP. */
  address: string | null;
  /** Its marker under the identification method used; null when unknown. */
  marker: string | null;
  /** A short name for tables and cycles: the marker when short, else the address. */
  label: string;
  /** First line of its direct answer (body or banner). */
  snippet: string | null;
  /** Answered directly (2 of 3 probes, HTTP status under 500); null when not probed directly. */
  healthy: boolean | null;
  /** Median latency of its direct probes, ms (to the microsecond); null when none answered. */
  latencyMs: number | null;
  directStatus: number | null;
  directError: string | null;
  /** Its configured weight; null without weights. */
  weight: number | null;
  /** Answers through the VIP attributed to it. */
  count: number;
  /** count / attributed answers. */
  share: number;
  /** Its weight's share among the backends in service (healthy, or answering through the VIP); null without weights. */
  expectedShare: number | null;
  /** With several sources: source addresses that reached it. */
  sources: number | null;
  /** Identified by elimination (the one backend without a known marker). */
  byElimination: boolean;
  /** HTTPS: the certificate its direct probes got (null: none came, or not probed directly); absent for HTTP and TCP. */
  certificate?: LbCertificate | null;
}

/** A certificate seen in an HTTPS run: by fingerprint, with the backends that served it directly and the answers through the VIP that came with it. */
export interface LbCertificate extends PeerCertificate {
  /** ADDR:PORT of the backends whose direct probes got it. */
  backends: string[];
  /** Probes through the VIP that got it (answered or failed on it). */
  throughVip: number;
}

/**
 * The split through the VIP and, with weights, its chi-square test against them. Without weights
 * (or with too few answers, or backends that cannot be told apart) it is described, not judged:
 * `judged` false, `notJudged` says why, and the statistics are null.
 */
export interface LbDistribution {
  /** What was counted: answers, or (when every source sticks to one backend) sources. */
  unit: 'request' | 'source';
  /** Answers (or sources) counted. */
  observed: number;
  judged: boolean;
  /** Why it was not judged; null when it was. */
  notJudged: 'no-weights' | 'too-few' | 'ambiguous' | null;
  /** Null when not judged. */
  chiSquare: number | null;
  /** Degrees of freedom (backends with an expected share above 0, minus one); null without weights. */
  df: number | null;
  pValue: number | null;
  alpha: number;
  /** p >= alpha; null when not judged. */
  matches: boolean | null;
  /** The smallest expected count; null without weights. */
  minExpected: number | null;
  /** Answers (or sources) needed for every expected count to reach 5; null without weights. */
  needed: number | null;
}

/** With several source addresses: whether each one sticks to one backend. */
export interface LbStickiness {
  sources: number;
  /** Sources with two or more attributed answers. */
  judged: number;
  /** Of those, sources that always reached the same backend. */
  sticky: number;
  verdict: 'sticky' | 'partly-sticky' | 'not-sticky' | 'not-judged';
  perSource: Array<{ address: string; answers: number; backends: Record<string, number>; sticky: boolean }>;
  /** Per backend label, sources that reached it. */
  spread: Record<string, number>;
  /** Why a sticky result may mislead (every source in one /24, as nginx's ip_hash sees them); null otherwise. */
  note: string | null;
}

/** The result of {@link probeLoadBalancer}: plain JSON-able data, times in ms to the microsecond. */
export interface LbProbeReport {
  vip: string;
  mode: 'http' | 'https' | 'tcp';
  /** HTTPS: the server name sent (SNI) and checked, whether verification was skipped (insecure), the certificates seen; absent for HTTP and TCP. */
  tls?: { servername: string | null; insecure: boolean; certificates: LbCertificate[]; resume?: boolean; resumed?: number };
  /** With a map to compare (compareMap): which sources moved since. */
  remap?: LbRemap;
  /** `netlab lb-probe --save-map FILE`: where the map of this run was written, and how many sources it holds. */
  savedMap?: { file: string; sources: number };
  path: string | null;
  /** Probes asked for. */
  requests: number;
  /** Probes done, answered or failed (fewer than asked when the VIP answered none of the first ones, or the run was stopped). */
  sent: number;
  answered: number;
  failed: number;
  concurrency: number;
  identify: { method: MethodId | null; description: string | null; tried: MethodId[]; reason: string };
  backends: LbBackend[];
  /** Null when no answer was attributed. */
  distribution: LbDistribution | null;
  scheduler: SchedulerHint & { note: string };
  stickiness: LbStickiness | null;
  /** The source range as given in the settings; null without. */
  sourceRange: string | null;
  /** Answers not attributed to any backend (counted, never dropped). */
  unattributed: number;
  unattributedMarkers: Array<{ marker: string; count: number; snippet: string; statusCode: number | null }>;
  /** HTTP status codes of the answers through the VIP. */
  statusCodes: Record<string, number>;
  /** Median latency of the answers through the VIP, ms. */
  vipLatencyMs: number | null;
  /** From the first probe through the VIP to the last answer, ms. */
  vipElapsedMs: number;
  /** Probes sent through the VIP per second of vipElapsedMs. */
  probesPerSecond: number;
  errors: Array<{ message: string; count: number }>;
  /** The deadline of the run, ms; null without one. */
  deadlineMs: number | null;
  /** What stopped the run before every probe was done: the deadline, or the caller's signal; null when nothing did. */
  stoppedBy: 'deadline' | 'interrupt' | null;
  /** True when the caller's signal stopped the run (Ctrl-C): the status is then UNKNOWN. */
  interrupted?: boolean;
  /** What could not be judged, and why. */
  notes: LbNote[];
  /** The worst severity of the problems; OK when none; UNKNOWN when interrupted or when no answer could be attributed and nothing is wrong. */
  status: Status;
  problems: LbProblem[];
}
