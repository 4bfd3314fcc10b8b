/**
 * What lb-probe keeps of the answers through the VIP, in memory bounded whatever the servers
 * send: per answer a few numbers (answered or failed, HTTP status, latency, one small integer
 * per candidate method naming its marker, one naming its error), in typed arrays sized by the
 * number of probes; per method each distinct marker once, with the first snippet and status
 * that came with it, up to a cap; each distinct error message once, up to a cap. An answer's
 * headers, body and banner are never kept: 100,000 answers of 1,000 headers or 10 MB banners
 * cost the same as 100,000 small ones (about 40 bytes each, plus the markers).
 */
import type { MethodId } from './identify.js';
import type { ProbeAnswer, ProbeErrorCode } from './probe.js';
import type { PeerCertificate } from './http1.js';

/** HTTPS: the most distinct certificates kept from the probes through the VIP. */
export const MAX_DISTINCT_CERTIFICATES = 64;

/**
 * The most distinct markers kept per method. An answer whose marker would be one more (a body
 * that changes on every request, a header carrying a request id) is still counted, as carrying
 * one of "more markers than were kept": never attributed, never dropped.
 */
export const MAX_DISTINCT_MARKERS = 1024;
/** The most distinct error messages kept; the others are counted together. */
export const MAX_DISTINCT_ERRORS = 32;

/** Marker id of an answer without a marker for the method. */
export const NO_MARKER = -1;
/** Marker id of an answer whose marker was beyond MAX_DISTINCT_MARKERS. */
export const OTHER_MARKER = -2;

/** The distinct markers of one method, each once. */
export class MarkerTable {
  readonly values: string[] = [];
  /** The first snippet and HTTP status seen with each marker (for people). */
  readonly snippets: string[] = [];
  readonly statusCodes: Array<number | null> = [];
  private readonly ids = new Map<string, number>();

  constructor(readonly cap: number) {}

  /** The id of `value`, adding it when there is room; OTHER_MARKER when the table is full. */
  intern(value: string, snippet: string, statusCode: number | null): number {
    const known = this.ids.get(value);
    if (known !== undefined) return known;
    if (this.values.length >= this.cap) return OTHER_MARKER;
    const id = this.values.length;
    this.ids.set(value, id);
    this.values.push(value);
    this.snippets.push(snippet);
    this.statusCodes.push(statusCode);
    return id;
  }

  get size(): number {
    return this.values.length;
  }
}

/** Answer states in AnswerLog.state. */
const NOT_RECORDED = 0;
const FAILED = 1;
const ANSWERED = 2;

/** The answers through the VIP, by probe index, kept as numbers (see the module comment). */
export class AnswerLog {
  readonly state: Uint8Array;
  /** HTTP status; 0 for none (TCP mode, or a failure). */
  readonly statusCode: Uint16Array;
  readonly latencyMs: Float64Array;
  /** Per method, per answer: a marker id in `tables[method]`, NO_MARKER or OTHER_MARKER. */
  readonly markerIds: Record<MethodId, Int32Array> = {};
  readonly tables: Record<MethodId, MarkerTable> = {};
  /** Per answer, an index in `errorMessages` (-1 for none). */
  readonly errorId: Int16Array;
  readonly errorMessages: string[] = [];
  /** The first snippet and status of an answer without a marker, per method. */
  readonly unmarked: Record<MethodId, { snippet: string; statusCode: number | null }> = {};
  /** The first snippet and status of any answer. */
  firstSnippet: { snippet: string; statusCode: number | null } | null = null;
  /** Per kind of failure, how many, and the message of the first. */
  readonly errorKinds = new Map<ProbeErrorCode, { count: number; message: string }>();
  private readonly errorIds = new Map<string, number>();
  /** Probes counted (answered or failed). */
  recorded = 0;
  /** HTTPS: each distinct certificate the probes got (by SHA-256 fingerprint), with how many got it; at most MAX_DISTINCT_CERTIFICATES. */
  readonly certificates = new Map<string, { certificate: PeerCertificate; count: number }>();
  /** HTTPS: probes whose certificate was one more than were kept. */
  otherCertificates = 0;
  /** HTTPS with resume: probes that resumed a session. */
  resumed = 0;

  /**
   * `capacity`: the number of probes; `methods`: the candidate methods; `markerCap`: distinct
   * markers kept per method (MAX_DISTINCT_MARKERS, plus room for the backends given).
   */
  constructor(readonly capacity: number, readonly methods: readonly MethodId[], markerCap = MAX_DISTINCT_MARKERS) {
    this.state = new Uint8Array(capacity);
    this.statusCode = new Uint16Array(capacity);
    this.latencyMs = new Float64Array(capacity);
    this.errorId = new Int16Array(capacity).fill(-1);
    for (const m of methods) {
      this.markerIds[m] = new Int32Array(capacity).fill(NO_MARKER);
      this.tables[m] = new MarkerTable(markerCap);
    }
  }

  /** Keep what the statistics need of answer `i`; the answer itself can then go. */
  record(i: number, a: ProbeAnswer): void {
    if (this.state[i] === NOT_RECORDED) this.recorded++;
    this.state[i] = a.ok ? ANSWERED : FAILED;
    this.statusCode[i] = a.statusCode ?? 0;
    this.latencyMs[i] = a.latencyMs;
    if (a.resumed) this.resumed++;
    if (a.certificate) {
      const known = this.certificates.get(a.certificate.fingerprint256);
      if (known) known.count++;
      else if (this.certificates.size < MAX_DISTINCT_CERTIFICATES) this.certificates.set(a.certificate.fingerprint256, { certificate: a.certificate, count: 1 });
      else this.otherCertificates++;
    }
    if (!a.ok) {
      this.errorId[i] = this.errorIdOf(a.error ?? 'failed');
      const kind = this.errorKinds.get(a.errorCode ?? 'OTHER');
      if (kind) kind.count++;
      else this.errorKinds.set(a.errorCode ?? 'OTHER', { count: 1, message: a.error ?? 'failed' });
      return;
    }
    this.firstSnippet ??= { snippet: a.snippet, statusCode: a.statusCode };
    for (const m of this.methods) {
      const v = a.markers[m];
      if (v === undefined) {
        this.unmarked[m] ??= { snippet: a.snippet, statusCode: a.statusCode };
        continue;
      }
      this.markerIds[m]![i] = this.tables[m]!.intern(v, a.snippet, a.statusCode);
    }
  }

  private errorIdOf(message: string): number {
    const known = this.errorIds.get(message);
    if (known !== undefined) return known;
    // the last slot gathers every message beyond the first MAX_DISTINCT_ERRORS - 1
    const key = this.errorMessages.length >= MAX_DISTINCT_ERRORS - 1 ? `other errors (beyond ${MAX_DISTINCT_ERRORS - 1} kinds)` : message;
    const again = this.errorIds.get(key);
    if (again !== undefined) return again;
    this.errorIds.set(key, this.errorMessages.length);
    this.errorMessages.push(key);
    return this.errorMessages.length - 1;
  }

  /** The indexes of the counted probes, in the order they were started. */
  indexes(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.capacity; i++) if (this.state[i] !== NOT_RECORDED) out.push(i);
    return out;
  }

  ok(i: number): boolean {
    return this.state[i] === ANSWERED;
  }

  /** HTTP status of answer `i`, null in TCP mode or on failure. */
  status(i: number): number | null {
    return this.statusCode[i] === 0 ? null : this.statusCode[i]!;
  }

  /** The marker of answer `i` under `method`; undefined without one or beyond the cap. */
  marker(i: number, method: MethodId): string | undefined {
    const id = this.markerIds[method]?.[i] ?? NO_MARKER;
    return id >= 0 ? this.tables[method]!.values[id] : undefined;
  }

  /** Distinct marker strings held, over every method (what the caps bound). */
  markersKept(): number {
    return Object.values(this.tables).reduce((s, t) => s + t.size, 0);
  }

  /** Characters held in markers, over every method. */
  markerCharsKept(): number {
    return Object.values(this.tables).reduce((s, t) => s + t.values.reduce((x, v) => x + v.length, 0), 0);
  }
}
