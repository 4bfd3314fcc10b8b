/**
 * `--push URL` (issue 12): the run's metrics to a Prometheus Pushgateway. One PUT of the text
 * format 0.0.4 to `URL/metrics/job/netlab/instance@base64/<the checks file>`: PUT replaces
 * the group, so a check removed from the file does not linger with its last value (POST would
 * keep it). A URL that already names a group (`.../metrics/job/...`) is used as it is. No
 * timestamps (the Pushgateway refuses them; it adds push_time_seconds). Bounded: the body's
 * size, the whole exchange's time, the answer read. node:http (node:https, which verifies the
 * certificate against the system's roots) is loaded only when a push is made. A refusal or no
 * answer is returned as a reason, never thrown.
 */
import { NetlabError } from '../errors.js';
import { socketErrorReason } from '../util/net-errors.js';
import { printableLine } from '../util/printable.js';
import { CONTENT_TYPES } from './metrics.js';

/** The bounds of a push. */
export const PUSH_LIMITS = {
  /** The whole exchange (connect, send, answer), ms, unless the caller says. */
  timeoutMs: 10_000,
  /** The body pushed at most (the Pushgateway keeps every group in memory). */
  maxBodyBytes: 16 * 1024 * 1024,
  /** The answer's body read at most (for the reason of a refusal). */
  maxAnswerBytes: 4096,
} as const;

/**
 * RFC 4648 section 5 (base64url, without padding), the Pushgateway's `@base64` form: a value with
 * `/` in it fits in one path segment (an empty value is `=`).
 */
function base64url(text: string): string {
  return text === '' ? '=' : Buffer.from(text, 'utf8').toString('base64url');
}

/**
 * The URL pushed to: the base URL checked (http or https, no query or fragment), and the group
 * `job/netlab/instance@base64/<file>` added unless its path already names one. Throws
 * NetlabError USAGE naming what is wrong.
 */
export function pushUrl(base: string, file: string): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new NetlabError('USAGE', `the Pushgateway URL '${printableLine(base, 200)}' is not a URL (http://HOST:PORT)`);
  }
  const shown = redact(url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new NetlabError('USAGE', `the Pushgateway URL '${shown}' is not http:// or https://`);
  if (url.search || url.hash) throw new NetlabError('USAGE', `the Pushgateway URL '${shown}' has a query or a fragment; give its base URL (http://HOST:PORT)`);
  if (!/\/metrics\/job\/[^/]+/.test(url.pathname)) {
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/metrics/job/netlab/instance@base64/${base64url(file)}`;
  }
  return url;
}

/** The URL as messages show it: without user and password. */
export function redact(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return printableLine(copy.href, 300);
}

/** How to push. */
export interface PushHow {
  /** The whole exchange's bound, ms; default {@link PUSH_LIMITS}.timeoutMs. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * PUT `body` (the text format 0.0.4) to `url` (from {@link pushUrl}). Resolves to null when the
 * Pushgateway took it (a 2xx answer), else to one line saying why not: it refused (its status
 * and the first line of its answer), or did not answer (refused, reset, timed out). Never throws.
 */
export async function pushMetrics(url: URL, body: string, how: PushHow = {}): Promise<string | null> {
  const where = `Pushgateway ${redact(url)}`;
  const data = Buffer.from(body, 'utf8');
  if (data.length > PUSH_LIMITS.maxBodyBytes) return `${where}: not pushed: the metrics are ${data.length} bytes, over the bound of ${PUSH_LIMITS.maxBodyBytes}`;
  if (how.signal?.aborted) return `${where}: not pushed: interrupted`;
  const timeoutMs = how.timeoutMs ?? PUSH_LIMITS.timeoutMs;
  const client = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise<string | null>((resolve) => {
    let settled = false;
    const finish = (reason: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      how.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(reason);
    };
    const auth = url.username || url.password ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
    const req = client.request(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || undefined,
        path: url.pathname,
        method: 'PUT',
        ...(auth ? { auth } : {}),
        headers: { 'content-type': CONTENT_TYPES.prometheus, 'content-length': String(data.length) },
        // one exchange, no keep-alive: nothing stays open after it
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        let answer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (answer.length < PUSH_LIMITS.maxAnswerBytes) answer += chunk.slice(0, PUSH_LIMITS.maxAnswerBytes - answer.length);
          if (answer.length >= PUSH_LIMITS.maxAnswerBytes) done();
        });
        const done = () => {
          if (status >= 200 && status < 300) finish(null);
          else {
            const first = answer.split('\n').find((l) => l.trim() !== '') ?? '';
            finish(`${where} refused the push: HTTP ${status}${first ? `: ${printableLine(first.trim(), 300)}` : ''}`);
          }
        };
        res.on('end', done);
        res.on('error', (e) => finish(`${where} did not answer: ${socketErrorReason(e)}`));
      },
    );
    const timer = setTimeout(() => finish(`${where} did not answer in ${timeoutMs / 1000} s`), timeoutMs);
    const onAbort = () => finish(`${where}: push interrupted`);
    how.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e) => finish(`${where} did not answer: ${socketErrorReason(e)}`));
    req.end(data);
  });
}
