/** `netlab lb-probe`: its options, declared once, and its flow (parse, run, render). */
import type { CommandDef } from '../command.js';
import { parseLbProbeArgs, runLbProbe, type LbProbeOptions, type LbProbeResult } from './run.js';
import { renderLbProbeText } from './render.js';

export const command: CommandDef<LbProbeOptions, LbProbeResult> = {
  name: 'lb-probe',
  args: [{ name: '[vip]', description: 'VIP:PORT of the load balancer' }],
  options: [
    { flags: '--backend <addr:port>', description: 'a backend, probed directly (repeatable; in the order of --weights)', repeatable: true },
    { flags: '--weights <w,w,...>', description: 'configured weights, one per --backend (default: equal)' },
    { flags: '--requests <n>', description: 'probes through the VIP, a fresh connection each', default: 100 },
    { flags: '--concurrency <c>', description: 'probes at a time (1 keeps the exact order for the scheduler hint)', default: 1 },
    { flags: '--mode <mode>', description: 'http (GET, attribute by header or body) or tcp (read the banner)', default: 'http' },
    { flags: '--path <path>', description: 'HTTP path to request (default /)' },
    { flags: '--host <name>', description: 'HTTP Host header (default: the VIP ADDR:PORT)' },
    { flags: '--identify <how>', description: 'header:NAME, body or banner (default: X-Backend, X-Served-By, X-Server, Server, then a body hash)' },
    { flags: '--source-ips <range>', description: 'bind probes to source addresses A-B in 127.0.0.0/8, round robin, and check stickiness' },
    { flags: '--timeout <seconds>', description: 'bound of each probe, connection to last byte (at least 0.001)', default: 5 },
    { flags: '--deadline <seconds>', description: 'bound of the whole run; when it passes, stop and judge what was measured (default: none)' },
    { flags: '--alpha <p>', description: 'significance level of the chi-square test', default: 0.01 },
    { flags: '--json', description: 'one JSON document on stdout' },
  ],
  helpAfter: `
Each probe reads at most a 64 KiB header block (a larger one fails the probe, saying so), the
first 64 KiB of the body (hashed for --identify body) and, in TCP mode, the banner's first line
up to 1 KiB. Of each answer only its attribution, status and latency are kept; each distinct
marker once, at most 1,024 per method (answers beyond are counted, never attributed).`,
  parse: (g) => parseLbProbeArgs({
    target: g.args[0], backend: g.has('backend') ? g.list('backend') : undefined, weights: g.text('weights'), requests: g.text('requests'),
    concurrency: g.text('concurrency'), mode: g.text('mode'), path: g.text('path'), host: g.text('host'), identify: g.text('identify'),
    sourceIps: g.text('source-ips'), timeout: g.text('timeout'), deadline: g.text('deadline'), alpha: g.text('alpha'), json: g.flag('json'),
  }),
  run: (options, ctx) => runLbProbe({ ...options, signal: ctx.signal }, (e) => ctx.onProgress?.({ phase: e.phase === 'direct' ? 'backends' : 'through the VIP', done: e.done, total: e.of })),
  render: (result) => renderLbProbeText(result),
  progress: 'probing the backends',
};
