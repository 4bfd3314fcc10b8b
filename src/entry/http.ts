/**
 * `netlab/http`: where a request's time goes. `traceRequest` does `netlab trace-request`'s job
 * (samples, medians and p95 per phase, one or two pinned paths, the RTT model, cache evidence)
 * and returns what its `--json` prints; `timeRequest` times one request, phase by phase, with
 * curl's boundaries, `timeRequests` several on one connection (issue 15: h2 by ALPN, TLS
 * resumption). HTTP/1.1 is netlab's own exchange (no package); node:http2 loads when a server picks h2.
 * @packageDocumentation
 */
export {
  traceRequest, rttModel, rttScenarios,
  type TraceRequestOptions, type TraceRequestResult, type PathResult, type PathLabel, type SampleError, type RttModel, type TraceProblemCode,
  type RttScenario, type Comparison, type HopResult,
} from '../protocol/http/trace-request.js';
export {
  timeRequest, timeRequests, tlsFailureReason, HTTP_LIMITS,
  type Phase, type Phases, type Sample, type SampleOk, type SampleFailed, type FailureKind, type TimingOptions,
} from '../protocol/http/timing.js';
export { cacheEvidence, CACHE_HEADERS, type CacheEvidence } from '../protocol/http/cache.js';
export { checkHeaders, headerFieldFault, REFUSED_HEADER_FIELDS, type HeaderFieldFault } from '../protocol/http/headers.js';
export { NetlabError, statusOf, type Problem, type Note, type Status, type Severity, type Progress } from '../errors.js';
