/** `netlab lb-probe`: options -> probeLoadBalancer (src/protocol/lb) -> its report. */
import net from 'node:net';
import type { RunContext } from '../command.js';
import { resolveAddresses } from '../../protocol/dns/addresses.js';
import { probeLoadBalancer } from '../../protocol/lb/engine.js';
import { probeLoadBalancerAddresses, type LbNameReport } from '../../protocol/lb/by-name.js';
import type { LbProbeReport, LbProbeSettings } from '../../protocol/lb/types.js';
import { checkSourceMap, sourceMapOf, type SourceMap } from '../../protocol/lb/remap.js';
import { atomicWriteFile, checkWriteTarget } from '../../util/atomic-write.js';
import { FILE_LIMITS, readFileBounded } from '../../util/read-bounded.js';
import { fileErrorReason, NetlabError } from '../../errors.js';
import type { LbProbeOptions } from './options.js';

/** What `netlab lb-probe` prints (as text, or as it is with --json): the library's report, for one VIP or for a name of several. */
export type LbProbeResult = LbProbeReport | LbNameReport;

/**
 * Probe the VIP and its backends as the options say. Throws only for bugs; an unreachable VIP or
 * a dead backend is a result. Ctrl-C (`ctx.signal`) returns at once with what was measured,
 * `interrupted: true` and status UNKNOWN.
 */
export async function runLbProbe(options: LbProbeOptions, ctx: Pick<RunContext, 'signal' | 'onProgress'>): Promise<LbProbeResult> {
  const { json: _json, resolver, tls, saveMap, compareMap: compareFile, ...rest } = options;
  // issue 16: the CA files and the map to compare with are read before any probe
  const settings: LbProbeSettings = {
    ...rest,
    tls: tls ? { ...(tls.servername !== undefined ? { servername: tls.servername } : {}), insecure: tls.insecure, resume: tls.resume, ...(tls.caFiles.length > 0 ? { ca: readCa(tls.caFiles) } : {}) } : null,
    compareMap: compareFile === null ? null : readSourceMap(compareFile),
  };
  if (saveMap !== null) checkWriteTarget(saveMap, 'a source map');
  // issue 12, 16: a VIP given by name: every address behind it (through --resolver, else the
  // system's); several are probed each as its own VIP. The Host header and the certificate's
  // name stay the name's.
  if (!net.isIP(settings.vip.address)) {
    const name = settings.vip.address;
    if (settings.tls && settings.tls.servername === undefined) settings.tls.servername = name;
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(rest.timeoutMs)]);
    let addresses: string[] | null = null;
    try {
      addresses = await resolveAddresses(name, resolver, signal);
    } catch (e) {
      // the system resolver: what it says is left to the probes (VIP_UNREACHABLE, with the reason)
      if (resolver || ctx.signal.aborted) throw e;
    }
    if (addresses && addresses.length > 1) {
      if (saveMap !== null || compareFile !== null) throw new NetlabError('USAGE', `--${saveMap !== null ? 'save-map' : 'compare-map'} needs one VIP address; ${name} has ${addresses.length} (${addresses.join(', ')}): give one of them`);
      return probeLoadBalancerAddresses(name, addresses, { ...settings, signal: ctx.signal, onProgress: ctx.onProgress });
    }
    if (addresses) settings.vip = { address: addresses[0]!, port: settings.vip.port };
  }
  const report = await probeLoadBalancer({ ...settings, signal: ctx.signal, onProgress: ctx.onProgress });
  // issue 16: the map of this run, written whole or not at all; not after an interrupted run
  if (saveMap !== null && !report.interrupted) {
    await atomicWriteFile(saveMap, `${JSON.stringify(sourceMapOf(report), null, 1)}\n`, { what: 'a source map' });
    report.savedMap = { file: saveMap, sources: Object.keys(sourceMapOf(report).sources).length };
  }
  return report;
}

/** --ca files -> their PEM texts, each checked to hold a certificate. Throws INPUT naming the file. */
function readCa(files: readonly string[]): string[] {
  return files.map((f) => {
    let text: string;
    try {
      text = readFileBounded(f, FILE_LIMITS.pem).toString('utf8');
    } catch (e) {
      throw new NetlabError('INPUT', `--ca ${f}: ${fileErrorReason(e)}`, { cause: e });
    }
    if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new NetlabError('INPUT', `--ca ${f}: no certificate in it (expected PEM -----BEGIN CERTIFICATE----- blocks)`);
    return text;
  });
}

/** --compare-map FILE -> the map, checked. Throws INPUT naming the file. */
function readSourceMap(file: string): SourceMap {
  let data: unknown;
  try {
    data = JSON.parse(readFileBounded(file, FILE_LIMITS.pem).toString('utf8'));
  } catch (e) {
    if (e instanceof SyntaxError) throw new NetlabError('INPUT', `--compare-map ${file}: not JSON (${e.message})`);
    throw new NetlabError('INPUT', `--compare-map ${file}: ${fileErrorReason(e)}`, { cause: e });
  }
  const map = checkSourceMap(data);
  if (typeof map === 'string') throw new NetlabError('INPUT', `--compare-map ${file}: ${map}`);
  return map;
}
