/** `netlab trace-request`: its options, declared once, and its flow (parse, run, render). */
import type { CommandDef } from '../command.js';
import { parseTraceRequestArgs, runTraceRequest, type TraceRequestOptions, type TraceRequestResult } from './run.js';
import { renderTraceRequestText } from './render.js';

export const command: CommandDef<TraceRequestOptions, TraceRequestResult> = {
  name: 'trace-request',
  args: [{ name: '[url]', description: 'http:// or https:// URL' }],
  options: [
    { flags: '--samples <n>', description: 'cold samples per path (new connection, no TLS resumption each time)', default: 1 },
    { flags: '--interval <ms>', description: 'pause between rounds of samples', default: 0 },
    { flags: '--origin <addr>', description: "pin one path to the origin's address (Host and SNI stay the URL's, as curl --connect-to)" },
    { flags: '--cdn <addr>', description: "pin one path to the CDN edge's address" },
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
    { flags: '--json', description: 'one JSON document on stdout' },
  ],
  parse: (g) => parseTraceRequestArgs({
    url: g.args[0], samples: g.text('samples'), interval: g.text('interval'), origin: g.text('origin'), cdn: g.text('cdn'), resolver: g.text('resolver'),
    ca: g.has('ca') ? g.list('ca') : undefined, originCa: g.has('origin-ca') ? g.list('origin-ca') : undefined, insecure: g.flag('insecure'),
    method: g.text('method'), header: g.has('header') ? g.list('header') : undefined, timeout: g.text('timeout'), maxTime: g.text('max-time'),
    maxBody: g.text('max-body'), warmUp: g.flag('warm-up', true), json: g.flag('json'),
  }),
  run: (options, ctx) => runTraceRequest({ ...options, signal: ctx.signal }, (e) => ctx.onProgress?.({ phase: 'sample', done: e.sample, total: e.of, detail: e.leg })),
  render: (result) => renderTraceRequestText(result),
  progress: 'sampling',
};
