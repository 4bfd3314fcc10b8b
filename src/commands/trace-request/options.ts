/**
 * `netlab trace-request`'s options, declared once (flags, --help text, defaults), and the pure
 * parser of what the command line gave into typed options. Loads no HTTP client: `--help` and
 * usage errors stay light.
 */
import type { ArgDecl, Given, OptionDecl } from '../command.js';
import { NetlabError } from '../../errors.js';
import { parseDnsServer, parseSeconds } from '../args.js';
import { headerFieldFault } from '../../protocol/http/headers.js';
import { escapeControl } from '../../util/printable.js';
import { splitHostPort } from '../../util/host-port.js';
import type { TraceRequestOptions } from '../../protocol/http/trace-request.js';
import net from 'node:net';

export const ARGS: ArgDecl[] = [{ name: '[url]', description: 'http:// or https:// URL' }];

export const OPTIONS: OptionDecl[] = [
  { flags: '--samples <n>', description: 'cold samples per path (new connection, no TLS resumption each time)', default: 1 },
  { flags: '--interval <ms>', description: 'pause between rounds of samples', default: 0 },
  { flags: '--origin <addr>', description: "pin one path to the origin's address (Host and SNI stay the URL's, as curl --connect-to)" },
  { flags: '--cdn <addr>', description: "pin one path to the CDN edge's address" },
  { flags: '--compare-resolved', description: "with --origin or --cdn alone: also time the URL's own resolution and compare (sends a request wherever DNS points)" },
  { flags: '--no-resolved', description: 'with --origin or --cdn alone: time only that pinned path (the default since issue 15; kept for old scripts)' },
  { flags: '--resolver <addr[:port]>', description: "resolve with netlab's own DNS client against this server (default: the system resolver)" },
  { flags: '--ca <file>', description: 'trust anchors for HTTPS (PEM, up to 16 MiB; replace the defaults, as curl --cacert; repeatable)', repeatable: true },
  { flags: '--origin-ca <file>', description: 'extra trust anchors for the origin path only (repeatable)', repeatable: true },
  { flags: '--insecure', description: 'do not verify the certificate (said in the output)' },
  { flags: '--method <m>', description: 'HTTP method', default: 'GET' },
  { flags: '--header <header>', description: "extra request header 'Name: value' (repeatable; Transfer-Encoding, Content-Length, Connection, Keep-Alive, Upgrade and Expect are refused)", repeatable: true },
  { flags: '--timeout <seconds>', description: 'deadline of each phase as a whole (dns, tcp, tls, ttfb: the whole response head, transfer: the whole body); at least 0.001', default: 10 },
  { flags: '--max-time <seconds>', description: 'deadline of each request as a whole, as curl --max-time (default: 3 x --timeout)' },
  { flags: '--max-body <bytes>', description: 'body bytes read per request (K, M, G: 1024-based); past them the sample fails in transfer, as curl --max-filesize', default: '100M' },
  { flags: '--no-warm-up', description: "skip the throwaway request to netlab's own loopback server that takes Node's first-request cost out of the first sample" },
  { flags: '--http2', description: 'offer h2 first by ALPN over TLS, HTTP/1.1 when the server does not offer it (the default, as curl)' },
  { flags: '--http1.1', description: 'offer HTTP/1.1 only' },
  { flags: '--reuse <n>', description: 'requests per connection (keep-alive, h2 streams): the first pays dns/tcp/tls, the others are shown apart', default: 1 },
  { flags: '--resume', description: 'first sample a full TLS handshake, the later ones resume its session (TLS 1.3 PSK, 1.2 ticket), labelled; needs --samples 2 or more' },
  { flags: '--every-address', description: "resolve the URL's host (A and AAAA) and time each address as its own path, side by side (not with --origin, --cdn)" },
  { flags: '-L, --follow [n]', description: 'follow up to n redirects (default 50, as curl -L), each hop timed; a loop or more than n is an error naming the chain' },
  { flags: '--json', description: 'one JSON document on stdout' },
];

/**
 * What the command line asks for: the library's options (every default applied, no signal or
 * progress: those come from the run) with the CA files still to read, and --json.
 */
export interface TraceRequestCommandOptions extends Omit<TraceRequestOptions, 'url' | 'ca' | 'originCa' | 'signal' | 'onProgress'> {
  url: URL;
  samples: number;
  intervalMs: number;
  insecure: boolean;
  method: string;
  /** Validated request header fields, names in lower case; repeated names keep every value. */
  headers: Record<string, string | string[]>;
  timeoutMs: number;
  /** Absent: the library's default, 3 x timeoutMs. */
  maxTimeMs?: number;
  maxBodyBytes: number;
  warmUp: boolean;
  /** --ca files (PEM), read when the command runs. */
  caFiles: string[];
  /** --origin-ca files (PEM), read when the command runs. */
  originCaFiles: string[];
  json: boolean;
}

function usage(message: string): NetlabError {
  return new NetlabError('USAGE', message);
}

/** `--header` values -> validated fields, before any connection. Throws USAGE naming --header. */
export function parseHeaderFields(raw: readonly string[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const h of raw) {
    const i = h.indexOf(':');
    if (i <= 0) throw usage(`--header needs 'Name: value', got '${escapeControl(h)}'`);
    const name = h.slice(0, i);
    const value = h.slice(i + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    const fault = headerFieldFault(name, value);
    if (fault?.part === 'name') throw usage(`--header '${escapeControl(h)}': '${escapeControl(name)}' is ${fault.reason}`);
    if (fault?.part === 'value') throw usage(`--header '${escapeControl(h)}': ${fault.reason}`);
    if (fault?.part === 'refused') throw usage(`--header '${escapeControl(name)}' is not allowed: ${fault.reason}`);
    const key = name.toLowerCase();
    const before = headers[key];
    if (before === undefined) headers[key] = value;
    else if (key === 'host') throw usage(`--header 'Host' given twice: a request has one Host`);
    else headers[key] = [...(Array.isArray(before) ? before : [before]), value];
  }
  return headers;
}

const BYTE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Bytes (`1000000`, `100M`, `1GiB`; K, M, G are 1024-based, as curl's) -> a count. Throws USAGE. */
function bytesOption(v: string, name: string, max: number): number {
  const m = /^(\d+)(?:([kKmMgG])(?:i?B)?)?$/.exec(v);
  const n = m ? Number(m[1]) * BYTE_UNITS[(m[2] ?? '').toLowerCase()]! : NaN;
  if (!m || n < 1 || n > max) throw usage(`${name} needs a size from 1 byte to 1 TiB such as 1000000, 100M or 1G, got '${escapeControl(v)}'`);
  return n;
}

function whole(v: string, name: string, min: number, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw usage(`${name} needs a whole number from ${min} to ${max}, got '${escapeControl(v)}'`);
  return Number(v);
}

/** An IP address, bracketed or not, without a port. */
function address(v: string | undefined, name: string): string | undefined {
  if (v === undefined) return undefined;
  const hp = splitHostPort(v, 0);
  if ('error' in hp || hp.port !== 0 || !net.isIP(hp.host)) throw usage(`${name} needs an IP address, got '${escapeControl(v)}'`);
  return hp.host;
}

/** The declared option's value, which has a default and so is always there. */
function given(g: Given, name: string): string {
  const v = g.text(name);
  if (v === undefined) throw new Error(`trace-request: option --${name} has no declared default`);
  return v;
}

/** What the command line gave -> typed options. Pure (the CA files are read by the run); throws NetlabError USAGE naming the option. */
export function parseTraceRequestArgs(g: Given): TraceRequestCommandOptions {
  const raw = g.args[0];
  if (!raw) throw usage('missing URL');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usage(`'${escapeControl(raw)}' is not a URL (try https://host/path)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage(`unsupported scheme '${escapeControl(url.protocol.replace(/:$/, ''))}': http and https only`);
  const method = given(g, 'method').toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw usage(`--method '${escapeControl(given(g, 'method'))}' is not an HTTP method`);
  const timeoutMs = parseSeconds(given(g, 'timeout'), '--timeout', 300);
  const maxTime = g.text('max-time');
  const o: TraceRequestCommandOptions = {
    url,
    samples: whole(given(g, 'samples'), '--samples', 1, 1000),
    intervalMs: whole(given(g, 'interval'), '--interval', 0, 60_000),
    insecure: g.flag('insecure'),
    method,
    headers: parseHeaderFields(g.list('header')),
    timeoutMs,
    maxBodyBytes: bytesOption(given(g, 'max-body'), '--max-body', 1024 ** 4),
    warmUp: g.flag('warm-up', true),
    caFiles: g.list('ca'),
    originCaFiles: g.list('origin-ca'),
    json: g.flag('json'),
  };
  if (maxTime !== undefined) o.maxTimeMs = parseSeconds(maxTime, '--max-time', 3600);
  // issue 15: HTTP version, connection reuse, TLS resumption
  if (g.flag('http2') && g.flag('http1')) throw usage('--http2 and --http1.1 contradict each other');
  if (g.flag('http1')) o.http = '1.1';
  const reuse = whole(given(g, 'reuse'), '--reuse', 1, 1000);
  if (reuse > 1) o.reuse = reuse;
  const follow = g.text('follow');
  if (follow !== undefined) {
    if (!/^\d+$/.test(follow)) throw usage(`--follow needs a number of redirects from 1 to 100, got '${escapeControl(follow)}' (put the URL before -L, or give -L a number)`);
    o.follow = whole(follow, '--follow', 1, 100);
  } else if (g.flag('follow')) o.follow = 50;
  if ((o.follow ?? 0) > 0 && (o.reuse ?? 1) > 1) throw usage('--follow and --reuse do not go together: a redirect may leave the connection');
  if (g.flag('resume')) {
    if (url.protocol !== 'https:') throw usage('--resume needs an https:// URL: there is no TLS session to resume over http');
    if (o.samples < 2) throw usage('--resume needs --samples 2 or more: the first sample is the full handshake, the others resume it');
    o.resume = true;
  }
  const origin = address(g.text('origin'), '--origin');
  const cdn = address(g.text('cdn'), '--cdn');
  if (origin !== undefined) o.origin = origin;
  if (cdn !== undefined) o.cdn = cdn;
  // issue 12: one pinned path alone (every-address pins each address in turn)
  if (!g.flag('resolved', true)) {
    if (origin === undefined && cdn === undefined) throw usage('--no-resolved needs --origin or --cdn: without a pinned path the resolved one is all there is');
    if (g.flag('compare-resolved')) throw usage('--compare-resolved and --no-resolved contradict each other');
    o.resolved = false;
  }
  // issue 15: the comparison with the URL's own resolution only when asked
  if (g.flag('compare-resolved')) {
    if (origin === undefined && cdn === undefined) throw usage('--compare-resolved needs --origin or --cdn: without a pinned path the resolved one is all there is');
    if (origin !== undefined && cdn !== undefined) throw usage('--compare-resolved takes one pinned path (--origin or --cdn): with both, they are compared with each other');
    o.resolved = true;
  }
  if (g.flag('every-address')) {
    if (origin !== undefined || cdn !== undefined) throw usage('--every-address pins each address itself: leave out --origin and --cdn');
    if (o.resolved !== undefined) throw usage('--every-address times every address of the name: --compare-resolved and --no-resolved do not apply');
    o.everyAddress = true;
  }
  // an empty --resolver is a mistake (an unset variable), not "the system resolver"
  const resolver = g.text('resolver');
  if (resolver !== undefined) o.resolver = parseDnsServer(resolver, '--resolver');
  return o;
}
