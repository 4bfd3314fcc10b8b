/**
 * `netlab trace-request`'s run: the CA files read (bounded, checked), then the library's
 * traceRequest() with the run's signal and progress. Everything else is the library's.
 */
import { FILE_LIMITS, readFileBounded } from '../../util/read-bounded.js';
import { fileErrorReason, NetlabError } from '../../errors.js';
import type { RunContext } from '../command.js';
import { pemCertificateCount } from '../../protocol/http/client-context.js';
import { traceRequest, type TraceRequestResult } from '../../protocol/http/trace-request.js';
import type { TraceRequestCommandOptions } from './options.js';

/** PEM files -> their texts, each checked to hold a certificate. Throws INPUT naming the option and the file. */
function readCa(files: readonly string[], option: string): string[] | undefined {
  if (files.length === 0) return undefined;
  return files.map((f) => {
    let text: string;
    try {
      text = readFileBounded(f, FILE_LIMITS.pem).toString('utf8');
    } catch (e) {
      throw new NetlabError('INPUT', `${option} ${f}: ${fileErrorReason(e)}`, { cause: e });
    }
    // checked now, not at the first handshake: a file of no certificate would fail every
    // request as if the server's certificate were wrong
    if (pemCertificateCount(text, `${option} ${f}`) === 0) {
      throw new NetlabError('INPUT', `${option} ${f}: no certificate in it (expected PEM -----BEGIN CERTIFICATE----- blocks)`);
    }
    return text;
  });
}

/** Read the CA files, then trace. Throws NetlabError INPUT for an unreadable or certificate-less CA file. */
export async function runTraceRequest(o: TraceRequestCommandOptions, ctx: Pick<RunContext, 'signal' | 'onProgress'>): Promise<TraceRequestResult> {
  const { caFiles, originCaFiles, json: _json, ...rest } = o;
  const ca = readCa(caFiles, '--ca');
  const originCa = readCa(originCaFiles, '--origin-ca');
  return traceRequest({
    ...rest,
    ...(ca ? { ca } : {}),
    ...(originCa ? { originCa } : {}),
    signal: ctx.signal,
    ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
  });
}
