/** `netlab cert-check`: read the --ca files and the --file bundle (bounded), then checkCertificate. */
import net from 'node:net';
import { cannotRead, type Progress } from '../../errors.js';
import { resolveAddresses } from '../../protocol/dns/addresses.js';
import { checkCertificate, type CertCheckResult } from '../../protocol/tls/check.js';
import { loadTrustStore, type TrustStore } from '../../protocol/tls/trust.js';
import { FILE_LIMITS, readFileBounded } from '../../util/read-bounded.js';
import type { CertCheckOptions } from './options.js';

export type { CertCheckResult } from '../../protocol/tls/check.js';

/**
 * The text of a --file bundle, read with netlab's bound for PEM files (16 MiB; a source silent
 * for `idleMs` is an error). Throws NetlabError INPUT naming the file.
 */
export function readBundleFile(path: string, idleMs?: number): string {
  try {
    return readFileBounded(path, FILE_LIMITS.pem, idleMs).toString('utf8');
  } catch (e) {
    throw cannotRead(path, e);
  }
}

/**
 * Run the check. Throws only for bad input (INPUT: an unreadable or certificate-free --ca or
 * --file); a broken target is a result. When `signal` aborts, the connection is closed and the
 * result says `interrupted: true`.
 */
export async function runCertCheck(options: CertCheckOptions, how: { signal?: AbortSignal; onProgress?: (p: Progress) => void; now?: Date; trust?: TrustStore } = {}): Promise<CertCheckResult> {
  // the CA files first: a broken one is an error before the bundle is read or anything is connected to
  // (`trust`: the same store, loaded once for many checks by netlab check)
  const trust = how.trust ?? loadTrustStore({ caFiles: options.caFiles, systemRoots: options.systemRoots });
  const policy = {
    trust,
    warnDays: options.warnDays,
    critDays: options.critDays,
    ...(options.warnPercent === undefined ? {} : { warnPercent: options.warnPercent }),
    ...(options.critPercent === undefined ? {} : { critPercent: options.critPercent }),
    ...(options.host === undefined ? {} : { host: options.host }),
    // issue 11: fetches beyond the chain, each within --timeout
    ocsp: options.ocsp,
    crl: options.crl,
    fetchMissing: options.fetchMissing,
    fetchTimeoutMs: options.timeoutMs,
    ...how,
  };
  if (options.file !== undefined) {
    return checkCertificate({ ...policy, bundle: readBundleFile(options.file), source: options.file });
  }
  // issue 12: HOST through the given resolver (its first address, IPv4 first); --connect-to wins
  let connectTo = options.connectTo;
  if (connectTo === undefined && options.resolver && !net.isIP(options.server!.host)) {
    const signal = how.signal ? AbortSignal.any([how.signal, AbortSignal.timeout(options.timeoutMs)]) : AbortSignal.timeout(options.timeoutMs);
    connectTo = (await resolveAddresses(options.server!.host, options.resolver, signal))[0];
  }
  return checkCertificate({
    ...policy,
    server: options.server!,
    target: options.target!,
    servername: options.servername ?? false,
    ...(connectTo === undefined ? {} : { connectTo }),
    timeoutMs: options.timeoutMs,
    ...(options.starttls === undefined ? {} : { starttls: options.starttls }),
  });
}
