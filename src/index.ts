/**
 * netlab's library: every subcommand's job as a typed call, returning what its `--json` prints.
 *
 * `import { lookup, checkCertificate, traceRequest, probeLoadBalancer, hostsToZone, startLab } from 'netlab'`.
 * This entry stays light: the DNS code loads with it, and each other engine (with node:tls,
 * node:net, the lab) only when it is first called. The subpaths `netlab/dns`, `netlab/tls`,
 * `netlab/http`, `netlab/lb`, `netlab/zone` and `netlab/lab` export each area in full.
 * Nothing here prints or exits; failures are a NetlabError (bad input) or data in the results.
 * @packageDocumentation
 */
import type * as Tls from './entry/tls.js';
import type * as Http from './entry/http.js';
import type * as Lb from './entry/lb.js';
import type * as Zone from './entry/zone.js';
import type * as LabEntry from './entry/lab.js';
import type * as Check from './entry/check.js';

export {
  NetlabError, exitCodeFor, statusOf, worstOf,
  type Status, type NetlabErrorCode, type Problem, type Note, type Severity, type Progress,
} from './errors.js';

// DNS (light: no dependency)
export {
  lookup, query, trace, decodeMessage, encodeMessage, encodeQuery, frame, FrameReader, reverseName, ipv6Bytes,
  typeName, typeCode, className, classCode, rcodeName, canonicalName, nameToWire, systemNameserver, ROOT_HINTS, presentRdata,
  transfer, parseTsigKeyArg, parseTsigKeyFile, type XfrOptions, type XfrResult, type TsigKey,
  type LookupOptions, type DigResult, type DigRecord, type DigHop, type DigProblemCode, type Server, type Question,
  type TransportOptions, type Exchange, type TraceOptions, type TraceResult, type TraceHop, type ServerFailure,
  type DnsMessage, type DnsRecord, type DnsQuestion, type EdnsInfo, type RecordData, type TypeName, type ClassName,
} from './entry/dns.js';
// issue 14: delegation health (dig +nssearch, +zone-check)
export { nssearch, zoneCheck, type NsSearchOptions, type NsSearchResult, type ZoneCheckOptions, type ZoneCheckResult } from './entry/dns.js';

// The other engines load on their first call.
export type { CheckCertificateOptions, CertCheckResult, CertProblem, CertProblemCode, ChainCert } from './entry/tls.js';
export type { TraceRequestOptions, TraceRequestResult, PathResult, Phases, Sample, TimingOptions } from './entry/http.js';
export type { LbProbeSettings, LbProbeReport, LbBackend, LbProblem, LbProblemCode, LbNote } from './entry/lb.js';
export type { HostsInput, HostsToZoneOptions, HostsToZoneResult, VerifyOptions, VerifyResult, Mismatch } from './entry/zone.js';
export type { Lab, LabOptions, LabEndpoint } from './entry/lab.js';
export type { ChecksConfig, CheckDef, CheckOutcome, CheckRunResult, RunChecksOptions, LoadError } from './entry/check.js';

/** `netlab cert-check`'s job; see `netlab/tls` {@link Tls.checkCertificate}. Loads node:tls on the first call. */
export const checkCertificate: typeof Tls.checkCertificate = async (options) => (await import('./entry/tls.js')).checkCertificate(options);

/** `netlab trace-request`'s job; see `netlab/http` {@link Http.traceRequest}. Loads the HTTP engine on the first call. */
export const traceRequest: typeof Http.traceRequest = async (options) => (await import('./entry/http.js')).traceRequest(options);

/** One request timed phase by phase; see `netlab/http` {@link Http.timeRequest}. Loads the HTTP engine on the first call. */
export const timeRequest: typeof Http.timeRequest = async (url, options) => (await import('./entry/http.js')).timeRequest(url, options);

/** `netlab lb-probe`'s job; see `netlab/lb` {@link Lb.probeLoadBalancer}. Loads the probe engine on the first call. */
export const probeLoadBalancer: typeof Lb.probeLoadBalancer = async (settings) => (await import('./entry/lb.js')).probeLoadBalancer(settings);

/** `netlab hosts2zone`'s job (the zone texts; nothing is written); see `netlab/zone` {@link Zone.hostsToZone}. */
export const hostsToZone: typeof Zone.hostsToZone = async (inputs, options) => (await import('./entry/zone.js')).hostsToZone(inputs, options);

/** Read hosts files into a zone to check a server against it with {@link verifyZone}; see `netlab/zone`. */
export const readHostsZone: typeof Zone.readHostsZone = async (inputs, options, issues) => (await import('./entry/zone.js')).readHostsZone(inputs, options, issues);

/** `netlab hosts2zone --verify`'s job; see `netlab/zone` {@link Zone.verifyZone}. */
export const verifyZone: typeof Zone.verifyZone = async (zone, options) => (await import('./entry/zone.js')).verifyZone(zone, options);

/** Start the course's network on loopback; see `netlab/lab` {@link LabEntry.startLab}. */
export const startLab: typeof LabEntry.startLab = async (options) => (await import('./entry/lab.js')).startLab(options);

/** Load a checks file's text (YAML or JSON); see `netlab/check` {@link Check.loadChecks}. Throws ChecksFileError (every error with FILE:LINE:COL). */
export const loadChecks: typeof Check.loadChecks = async (text, file) => (await import('./entry/check.js')).loadChecks(text, file);

/** `netlab check`'s job: run a loaded file's checks in this process; see `netlab/check` {@link Check.runChecks}. Loads the engines on the first call. */
export const runChecks: typeof Check.runChecks = async (config, options) => (await import('./entry/check.js')).runChecks(config, options);
