/** `netlab lb-probe`: options -> probeLoadBalancer (src/protocol/lb) -> its report. */
import net from 'node:net';
import type { RunContext } from '../command.js';
import { resolveAddresses } from '../../protocol/dns/addresses.js';
import { probeLoadBalancer } from '../../protocol/lb/engine.js';
import type { LbProbeReport } from '../../protocol/lb/types.js';
import type { LbProbeOptions } from './options.js';

/** What `netlab lb-probe` prints (as text, or as it is with --json): the library's report. */
export type LbProbeResult = LbProbeReport;

/**
 * Probe the VIP and its backends as the options say. Throws only for bugs; an unreachable VIP or
 * a dead backend is a result. Ctrl-C (`ctx.signal`) returns at once with what was measured,
 * `interrupted: true` and status UNKNOWN.
 */
export async function runLbProbe(options: LbProbeOptions, ctx: Pick<RunContext, 'signal' | 'onProgress'>): Promise<LbProbeResult> {
  const { json: _json, resolver, ...settings } = options;
  // issue 12: a VIP given by name, through the given resolver (its first address); the Host header stays the name's
  if (resolver && !net.isIP(settings.vip.address)) {
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(settings.timeoutMs)]);
    settings.vip = { address: (await resolveAddresses(settings.vip.address, resolver, signal))[0]!, port: settings.vip.port };
  }
  return probeLoadBalancer({ ...settings, signal: ctx.signal, onProgress: ctx.onProgress });
}
