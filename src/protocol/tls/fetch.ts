/**
 * The one HTTP client of cert-check's opt-in fetches (OCSP, CRL, AIA caIssuers): plain HTTP
 * only, as OCSP (RFC 6960 A.1), CRL distribution points and caIssuers URLs are meant to be
 * served (RFC 5280 4.2.1.13, 4.2.2.1: a CA "SHOULD" use http, the objects are signed), every
 * fetch bounded in bytes and time, redirects followed at most MAX_REDIRECTS times and only to
 * http:, and stopped at once by the run's signal.
 *
 * node:http: a few plain GETs and POSTs, and node:http costs nothing more at startup. This module is imported only when a fetch is asked for.
 */
import http from 'node:http';
import { socketErrorReason } from '../../util/net-errors.js';
import { formatBytes } from '../../util/read-bounded.js';

/** Redirects followed (301, 302, 303, 307, 308), each to an http: URL; one more is a failure. */
export const MAX_REDIRECTS = 3;

/** Upper bounds on what each kind of object may weigh, in bytes (documented in netlab-cert-check(1)). */
export const FETCH_LIMITS = {
  /** An OCSP response: a few KiB in practice (one SingleResponse, maybe a responder certificate). */
  ocsp: 64 * 1024,
  /** A CRL: most are KiB to a few MiB; the biggest public ones reach tens of MiB and are refused. */
  crl: 10 * 1024 * 1024,
  /** A caIssuers object: one DER certificate or a PKCS#7 "certs-only" bundle of a few. */
  caIssuers: 256 * 1024,
} as const;

/** Why a fetch failed, as a literal (for data), with a one-line `message`. */
export type FetchFailure = 'not-http' | 'bad-url' | 'unreachable' | 'timeout' | 'too-big' | 'http-status' | 'redirects' | 'interrupted';

/** A fetch that gave no usable body; `message` is one line that names the URL. */
export class FetchFailed extends Error {
  constructor(readonly reason: FetchFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FetchFailed';
  }
}

/** How to fetch, and the bounds. */
export interface HttpFetchOptions {
  /** GET (default) or POST (with `body`). */
  method?: 'GET' | 'POST';
  body?: Buffer;
  /** Content-Type of the body. */
  contentType?: string;
  /** Accept header. */
  accept?: string;
  /** The body may not be longer (a Content-Length above it fails before reading). */
  maxBytes: number;
  /** Milliseconds for the whole fetch, redirects included. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** What a fetch gave: the final URL (after redirects), the 2xx status, the Content-Type and the body. */
export interface HttpFetched {
  url: string;
  status: number;
  contentType: string;
  body: Buffer;
  /** The URLs redirected from, in order. */
  redirectedFrom: string[];
}

/**
 * Whether a URL is one netlab fetches (http:), or why not, in a few words. The scheme of a
 * certificate's URL is often ldap: (old Microsoft CAs) or https: (which would need the very
 * trust being checked, RFC 5280 4.2.1.13 warns of the loop).
 */
export function unfetchableReason(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `'${url}' is not a URL`;
  }
  if (u.protocol === 'http:') return undefined;
  return `${u.protocol.replace(/:$/, '')}: URLs are not fetched (HTTP only)`;
}

/**
 * Fetch `url` over plain HTTP with the bounds given. Resolves with a 2xx answer; rejects with
 * {@link FetchFailed} for anything else (not http:, unreachable, timeout, too big, a non-2xx
 * status, too many redirects, the signal). Never leaves a socket or timer behind.
 */
export async function httpFetch(url: string, options: HttpFetchOptions): Promise<HttpFetched> {
  const deadline = Date.now() + options.timeoutMs;
  const redirectedFrom: string[] = [];
  let current = url;
  let method = options.method ?? 'GET';
  // each turn follows one redirect or returns: at most MAX_REDIRECTS + 1 turns
  for (let turn = 0; ; turn++) {
    const why = unfetchableReason(current);
    if (why) throw new FetchFailed(/^'/.test(why) ? 'bad-url' : 'not-http', redirectedFrom.length ? `${url} redirects to ${current}: ${why}` : why);
    // the first hop gets the whole budget (Date.now() may have ticked since the deadline was set)
    const left = turn === 0 ? options.timeoutMs : Math.max(1, deadline - Date.now());
    const answer = await once(current, method, { ...options, timeoutMs: left }, url, options.timeoutMs);
    if ('location' in answer) {
      if (turn >= MAX_REDIRECTS) throw new FetchFailed('redirects', `${url}: more than ${MAX_REDIRECTS} redirects`);
      redirectedFrom.push(current);
      current = new URL(answer.location, current).toString();
      // 303 turns a POST into a GET (RFC 9110 15.4.4); 307 and 308 keep it; 301 and 302 keep it here too
      if (answer.status === 303) method = 'GET';
      continue;
    }
    return { ...answer, url: current, redirectedFrom };
  }
}

type Once = { status: number; location: string } | Omit<HttpFetched, 'url' | 'redirectedFrom'>;

/** One request; `options.timeoutMs` is what is left of the fetch's budget, `budgetMs` the whole budget (said on timeout). */
function once(url: string, method: 'GET' | 'POST', options: HttpFetchOptions, original: string, budgetMs: number): Promise<Once> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new FetchFailed('interrupted', `interrupted before fetching ${original}`));
      return;
    }
    const headers: Record<string, string> = { 'User-Agent': 'netlab', Connection: 'close' };
    if (options.accept) headers.Accept = options.accept;
    const body = method === 'POST' ? options.body ?? Buffer.alloc(0) : undefined;
    if (body) {
      headers['Content-Type'] = options.contentType ?? 'application/octet-stream';
      headers['Content-Length'] = String(body.length);
    }
    let settled = false;
    const req = http.request(url, { method, headers, agent: false });
    const finish = (err: FetchFailed | undefined, value?: Once) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => finish(new FetchFailed('timeout', `${original}: no complete answer within ${budgetMs} ms`)), options.timeoutMs);
    const onAbort = () => finish(new FetchFailed('interrupted', `interrupted while fetching ${original}`));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e: NodeJS.ErrnoException) => finish(new FetchFailed('unreachable', `cannot fetch ${url}: ${socketErrorReason(e)}`, { cause: e })));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        finish(undefined, { status, location: res.headers.location });
        return;
      }
      if (status < 200 || status > 299) {
        finish(new FetchFailed('http-status', `${url} answered HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`));
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        finish(new FetchFailed('too-big', `${url} sends ${declared} bytes, more than the ${formatBytes(options.maxBytes)} allowed`));
        return;
      }
      const chunks: Buffer[] = [];
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length > options.maxBytes) {
          finish(new FetchFailed('too-big', `${url} sends more than the ${formatBytes(options.maxBytes)} allowed`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (e: NodeJS.ErrnoException) => finish(new FetchFailed('unreachable', `${url}: ${socketErrorReason(e)}`, { cause: e })));
      res.on('end', () => {
        if (!res.complete) {
          finish(new FetchFailed('unreachable', `${url}: the answer was cut short`));
          return;
        }
        finish(undefined, { status, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks, length) });
      });
    });
    req.end(body);
  });
}
