/**
 * netlab's load-balancer probe as a library (`netlab/lb`): {@link probeLoadBalancer} does what
 * `netlab lb-probe` does and returns the same result as its `--json`, with the parsers of its
 * inputs and the statistics it uses.
 *
 * @example
 * const report = await probeLoadBalancer({ vip: { address: '127.56.0.11', port: 8080 }, backends, weights: [3, 1, 1] });
 * if (report.status !== 'OK') console.log(report.problems);
 */
export { probeLoadBalancer } from './engine.js';
// issue 16: a name of several VIP addresses, the remapping lesson, HTTPS certificates
export { probeLoadBalancerAddresses, mergeAddressReports, type LbAddressResult, type LbNameReport } from './by-name.js';
export { checkSourceMap, compareSourceMaps, sourceMapOf, SOURCE_MAP_FORMAT, type LbRemap, type SourceMap } from './remap.js';
export type { PeerCertificate } from './http1.js';
export {
  DEFAULT_ALPHA,
  DEFAULT_CONCURRENCY,
  DEFAULT_REQUESTS,
  DEFAULT_TIMEOUT_MS,
  type LbBackend,
  type LbCertificate,
  type LbTlsSettings,
  type LbDistribution,
  type LbNote,
  type LbNoteCode,
  type LbProbeReport,
  type LbProbeSettings,
  type LbProblem,
  type LbProblemCode,
  type LbStickiness,
} from './types.js';
export { formatHostPort, parseHostPort, parseSourceRange, pickSources, MAX_SOURCE_RANGE, type HostPort } from './addresses.js';
export { parseIdentify, MAX_BODY_BYTES, MAX_MARKER_CHARS, type IdentifySpec, type MethodId } from './identify.js';
export { MAX_BANNER_BYTES, MAX_HEADER_BYTES } from './probe.js';
export { MAX_DISTINCT_ERRORS, MAX_DISTINCT_MARKERS } from './tally.js';
export { chiSquarePValue, formatP, goodnessOfFit, MIN_EXPECTED, type GoodnessOfFit } from './stats.js';
export type { SchedulerHint, SchedulerKind } from './scheduler-hint.js';
