/** `netlab lb-probe`: options -> probeLoadBalancer (src/protocol/lb) -> its report. */
import net from 'node:net';
import type { RunContext } from '../command.js';
import { resolveAddresses } from '../../protocol/dns/addresses.js';
import { probeLoadBalancer } from '../../protocol/lb/engine.js';
import type { LbProbeReport, LbProbeSettings } from '../../protocol/lb/types.js';
import { checkSourceMap, sourceMapOf, type SourceMap } from '../../protocol/lb/remap.js';
import { atomicWriteFile, checkWriteTarget } from '../../util/atomic-write.js';
import { FILE_LIMITS, readFileBounded } from '../../util/read-bounded.js';
import { fileErrorReason, NetlabError } from '../../errors.js';
import type { LbProbeOptions } from './options.js';

/** What `netlab lb-probe` prints (as text, or as it is with --json): the library's report. */
export type LbProbeResult = LbProbeReport;

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
    tls: tls ? { ...(tls.servername !== undefined ? { servername: tls.servername } : {}), insecure: tls.insecure, ...(tls.caFiles.length > 0 ? { ca: readCa(tls.caFiles) } : {}) } : null,
    compareMap: compareFile === null ? null : readSourceMap(compareFile),
  };
  if (saveMap !== null) checkWriteTarget(saveMap, 'a source map');
  // issue 12: a VIP given by name, through the given resolver (its first address); the Host header stays the name's
  if (resolver && !net.isIP(settings.vip.address)) {
    // the Host header and the certificate's name stay the VIP's name
    if (settings.tls && settings.tls.servername === undefined) settings.tls.servername = settings.vip.address;
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(rest.timeoutMs)]);
    settings.vip = { address: (await resolveAddresses(settings.vip.address, resolver, signal))[0]!, port: settings.vip.port };
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
