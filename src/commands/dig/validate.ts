/**
 * issue 14: `netlab dig +validate`: the query as dig asks it (with DO set), then the answer's
 * chain of trust through the library (src/protocol/dns/dnssec/validate.ts), from the trust
 * anchors of `--trust-anchor FILE` (read once per run) or the root KSKs built in. Records are
 * fetched from @server when it is a recursive resolver (RA set), else by walking the
 * delegations down from it, as +trace does (always so with +trace).
 */
import { cannotRead, statusOf, worstOf } from '../../errors.js';
import type { DigResult, ResolvedServer } from '../../protocol/dns/lookup.js';
import { parseTrustAnchors, ROOT_TRUST_ANCHORS, type TrustAnchor } from '../../protocol/dns/dnssec/anchors.js';
import { validateAnswer } from '../../protocol/dns/dnssec/validate.js';
import type { DigOptions, DigQuery } from './options.js';

const anchorFiles = new Map<string, TrustAnchor[]>();

/** The anchors of a file, read and checked once. Throws NetlabError INPUT (FILE:LINE, or cannot read). */
export async function loadTrustAnchors(file: string | undefined): Promise<readonly TrustAnchor[]> {
  if (!file) return ROOT_TRUST_ANCHORS;
  const known = anchorFiles.get(file);
  if (known) return known;
  const { readFileBounded } = await import('../../util/read-bounded.js');
  let text: string;
  try {
    text = readFileBounded(file, 1 << 20).toString('utf8');
  } catch (e) {
    throw cannotRead(file, e, 'trust anchor file');
  }
  const anchors = parseTrustAnchors(text, file);
  anchorFiles.set(file, anchors);
  return anchors;
}

/** The dig result with its `validation`, the validation's problems added and the status the worse of both. */
export async function digWithValidation(q: DigQuery, server: ResolvedServer, options: DigOptions, look: () => Promise<DigResult>): Promise<DigResult> {
  // the anchors first: a bad file is exit 3 before anything is sent
  const anchors = await loadTrustAnchors(options.trustAnchorFile);
  const result = await look();
  if (result.interrupted || options.signal?.aborted) return result;
  const validation = await validateAnswer(q.name, q.type, {
    server: { address: server.address, port: options.port },
    anchors,
    mode: options.trace ? 'iterative' : 'auto',
    timeoutMs: Math.min(options.timeoutMs, 2000),
    tries: Math.min(options.tries, 2),
    signal: options.signal,
  });
  result.validation = validation;
  if (options.signal?.aborted) {
    // Ctrl-C during the validation: what was judged stays, the run is marked as interrupted
    result.interrupted = true;
    result.status = 'UNKNOWN';
    return result;
  }
  result.problems.push(...validation.problems);
  result.status = worstOf([result.status, statusOf(validation.problems)]);
  return result;
}
