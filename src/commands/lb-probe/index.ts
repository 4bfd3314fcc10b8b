/**
 * `netlab lb-probe`: its options (options.ts) and its flow. The run (its own HTTP client) and the renderer
 * (cli-table3) load only when it runs, so `netlab lb-probe --help` loads neither.
 */
import type { CommandDef } from '../command.js';
import { LB_PROBE_ARGS, LB_PROBE_OPTIONS, parseLbProbeArgs, type LbProbeOptions } from './options.js';
import type { LbProbeResult } from './run.js';

export const command: CommandDef<LbProbeOptions, LbProbeResult> = {
  name: 'lb-probe',
  args: LB_PROBE_ARGS,
  options: LB_PROBE_OPTIONS,
  helpAfter: `
Each probe reads at most a 64 KiB header block (a larger one fails the probe, saying so), the
first 64 KiB of the body (hashed for --identify body) and, in TCP mode, the banner's first line
up to 1 KiB. Of each answer only its attribution, status and latency are kept; each distinct
marker once, at most 1,024 per method (answers beyond are counted, never attributed).

HTTPS (--mode https or https://VIP): a full TLS handshake per probe, no session resumed; each
backend's certificate is recorded and compared (CERT_MISMATCH, CERT_INVALID naming the backends).
A VIP given by name: every A and AAAA record is probed as its own VIP, and the output says which
address is off. --save-map FILE, then after a change --compare-map FILE (both with --source-ips):
which sources moved where, and whether that looks like modulo or consistent hashing.

Examples:
  netlab lb-probe https://lb.example.test:443 --ca ca.pem --backend 10.0.1.1:443 --backend 10.0.1.2:443
  netlab lb-probe 127.58.0.10:8080 --source-ips 127.58.1.1-127.58.1.200 --requests 400 --save-map before.json   (the lab)`,
  parse: parseLbProbeArgs,
  async run(options, ctx) {
    const { runLbProbe } = await import('./run.js');
    return runLbProbe(options, ctx);
  },
  async render(result, _options, style) {
    return (await import('./render.js')).renderLbProbeText(result, style);
  },
  progress: 'probing the backends',
};
