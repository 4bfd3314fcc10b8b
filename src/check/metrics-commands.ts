/**
 * What each subcommand's JSON result gives as metrics (metrics.ts declares the families): the
 * measures blackbox_exporter 0.23 also has, under its names and units (seconds, unixtime), and
 * netlab's own. A field that is absent or null gives no sample (never a made-up 0). The mapping
 * is documented in netlab-check(1), METRICS. Pure.
 */
import type { DigResult } from '../protocol/dns/lookup.js';
import type { TraceRequestResult } from '../protocol/http/trace-request.js';
import type { Phases } from '../protocol/http/timing.js';
import type { LbProbeReport } from '../protocol/lb/types.js';
import type { CertCheckResult } from '../protocol/tls/check.js';
import type { ChainCert } from '../protocol/tls/chain.js';
import type { VerifyResult } from '../protocol/zone/verify.js';
import { ipFamily } from '../util/ip.js';
import type { Emit } from './metrics.js';
import type { CheckCommand } from './model.js';

/** A finite number, else undefined (a result read back from JSON is not trusted to be well typed). */
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}

/**
 * Milliseconds (netlab's, to the microsecond) to seconds, without float noise: the microseconds
 * as an integer over 1e6 is the double nearest the decimal (0.011531, not 0.011531000000000001).
 */
export function sec(ms: unknown): number | undefined {
  const n = num(ms);
  return n === undefined ? undefined : Math.round(n * 1000) / 1e6;
}

/** An ISO date to unixtime (seconds). */
function unixtime(iso: unknown): number | undefined {
  if (typeof iso !== 'string') return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? Math.floor(t / 1000) : undefined;
}

/** 4 or 6 for an address, `ADDR:PORT`, `[V6]:PORT` or `ADDR#PORT`; undefined for a name or nothing. */
export function ipProtocol(text: unknown): 4 | 6 | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  const bracketed = /^\[([^\]]+)\]/.exec(text);
  let family = ipFamily(bracketed ? bracketed[1]! : text);
  if (family === 0) family = ipFamily(text.replace(/[:#]\d+$/, ''));
  return family === 0 ? undefined : family;
}

/** `TLSv1.3` -> `TLS 1.3`, as blackbox_exporter names the versions. */
export function tlsVersionName(protocol: unknown): string | undefined {
  if (typeof protocol !== 'string' || protocol === '') return undefined;
  const m = /^TLSv(\d(?:\.\d)?)$/.exec(protocol);
  return m ? `TLS ${m[1]!.includes('.') ? m[1] : `${m[1]}.0`}` : 'unknown';
}

/**
 * A distinguished name as blackbox_exporter writes it (Go's pkix.Name.String(): the RDNs most
 * specific first, joined by ',' without a space); netlab's form joins them by ', '. An escaped
 * comma inside a value is kept.
 */
export function goDistinguishedName(dn: unknown): string {
  return typeof dn === 'string' ? dn.split(/(?<!\\), (?=[A-Za-z][A-Za-z0-9.-]*=)/).join(',') : '';
}

/** The subject alternative names as blackbox_exporter writes them: the DNS names only, joined by ','. */
export function goDnsNames(san: unknown): string {
  return Array.isArray(san) ? san.filter((s): s is string => typeof s === 'string' && s.startsWith('DNS:')).map((s) => s.slice(4)).join(',') : '';
}

/** A fingerprint as blackbox_exporter writes it: lower-case hex, no colons. */
function hexFingerprint(fp: unknown): string {
  return typeof fp === 'string' ? fp.replace(/:/g, '').toLowerCase() : '';
}

function digSamples(r: Partial<DigResult>, emit: Emit): void {
  const answered = typeof r.rcode === 'string';
  emit('probe_dns_query_succeeded', answered);
  emit('probe_ip_protocol', ipProtocol(r.query?.server));
  if (!answered) return;
  emit('probe_dns_duration_seconds', sec(r.timeMs), { phase: 'request' });
  // blackbox_exporter counts the records it got (len(response.Answer)...); the header counts
  // say the same, and include the OPT record in additional as miekg/dns's Extra does
  emit('probe_dns_answer_rrs', num(r.counts?.answer) ?? r.answer?.length);
  emit('probe_dns_authority_rrs', num(r.counts?.authority) ?? r.authority?.length);
  emit('probe_dns_additional_rrs', num(r.counts?.additional) ?? r.additional?.length);
  const soa = r.answer?.find((rec) => rec.rdata?.type === 'SOA');
  if (soa && soa.rdata.type === 'SOA') emit('probe_dns_serial', num(soa.rdata.serial));
  emit('netlab_dns_rcode', 1, { rcode: r.rcode! });
  emit('netlab_dns_response_size_bytes', num(r.msgSize));
  if (Array.isArray(r.hops)) emit('netlab_dns_trace_hops', r.hops.length);
}

function certSamples(r: Partial<CertCheckResult>, emit: Emit): void {
  const chain: ChainCert[] = Array.isArray(r.chain) ? r.chain : [];
  const expiries = chain.map((c) => unixtime(c.notAfter)).filter((t): t is number => t !== undefined);
  if (expiries.length) emit('probe_ssl_earliest_cert_expiry', Math.min(...expiries));
  const path = Array.isArray(r.path) ? r.path : [];
  if (r.trusted === true && path.length) {
    const onPath = path.map((e) => (e.index !== null && e.index !== undefined ? chain[e.index] : e.role === 'anchor' ? r.anchor ?? undefined : undefined));
    const times = onPath.map((c) => unixtime(c?.notAfter)).filter((t): t is number => t !== undefined);
    if (times.length) emit('probe_ssl_last_chain_expiry_timestamp_seconds', Math.min(...times));
  }
  const leaf = chain[path[0]?.index ?? 0];
  if (leaf) {
    emit('probe_ssl_last_chain_info', 1, {
      fingerprint_sha256: hexFingerprint(leaf.fingerprint256),
      subject: goDistinguishedName(leaf.subject),
      issuer: goDistinguishedName(leaf.issuer),
      subjectalternative: goDnsNames(leaf.san),
    });
    emit('netlab_tls_leaf_expiry_timestamp_seconds', unixtime(leaf.notAfter));
  }
  const version = tlsVersionName(r.tls?.protocol);
  if (version) emit('probe_tls_version_info', 1, { version });
  emit('probe_ip_protocol', ipProtocol(r.connectedTo));
  emit('netlab_tls_chain_trusted', bool(r.trusted));
  emit('netlab_tls_hostname_match', bool(r.hostnameMatch));
  if (chain.length) emit('netlab_tls_chain_certificates', chain.length);
  if (path.length) emit('netlab_tls_path_certificates', path.length);
  emit('netlab_tls_ocsp_stapled', bool(r.tls?.ocspStapled));
}

/** blackbox_exporter's phases of probe_http_duration_seconds, from netlab's. */
const HTTP_PHASES: Array<[string, keyof Phases]> = [
  ['resolve', 'dnsMs'],
  ['connect', 'tcpMs'],
  ['tls', 'tlsMs'],
  ['processing', 'ttfbMs'],
  ['transfer', 'transferMs'],
];

function traceSamples(r: Partial<TraceRequestResult>, emit: Emit): void {
  for (const p of Array.isArray(r.paths) ? r.paths : []) {
    const path = { path: String(p.label) };
    emit('probe_http_status_code', num(p.status) ?? 0, path);
    if (p.phases) {
      for (const [phase, key] of HTTP_PHASES) emit('probe_http_duration_seconds', sec(p.phases[key]), { ...path, phase });
      emit('probe_dns_lookup_time_seconds', sec(p.phases.dnsMs), path);
      emit('netlab_http_request_duration_seconds', sec(p.phases.totalMs), path);
    }
    if (p.p95) for (const [phase, key] of HTTP_PHASES) emit('netlab_http_p95_seconds', sec(p.p95[key]), { ...path, phase });
    if (typeof p.httpVersion === 'string') {
      const v = Number.parseFloat(p.httpVersion.replace(/^HTTP\//i, ''));
      if (Number.isFinite(v)) emit('probe_http_version', v, path);
    }
    // set from the response, as blackbox_exporter does (resp.TLS): only when one came
    if ((num(p.succeeded) ?? 0) > 0) emit('probe_http_ssl', typeof p.tlsVersion === 'string', path);
    const version = tlsVersionName(p.tlsVersion);
    if (version) emit('probe_tls_version_info', 1, { ...path, version });
    emit('probe_ip_protocol', ipProtocol(p.address), path);
    emit('netlab_http_samples', num(p.samples), path);
    emit('netlab_http_samples_succeeded', num(p.succeeded), path);
    emit('netlab_http_rtt_seconds', sec(p.rtt?.rttMs), path);
  }
}

function lbSamples(r: Partial<LbProbeReport>, emit: Emit): void {
  emit('netlab_lb_probes_sent', num(r.sent));
  emit('netlab_lb_probes_answered', num(r.answered));
  emit('netlab_lb_probes_failed', num(r.failed));
  emit('netlab_lb_probes_unattributed', num(r.unattributed));
  emit('netlab_lb_vip_latency_seconds', sec(r.vipLatencyMs));
  const seen = new Set<string>();
  for (const b of Array.isArray(r.backends) ? r.backends : []) {
    // the address given, else the marker it answers with (found through the VIP)
    const name = b.address ?? b.label;
    if (seen.has(name)) continue;
    seen.add(name);
    const backend = { backend: name };
    emit('netlab_lb_backend_answers', num(b.count), backend);
    emit('netlab_lb_backend_share_ratio', num(b.share), backend);
    emit('netlab_lb_backend_expected_share_ratio', num(b.expectedShare), backend);
    emit('netlab_lb_backend_up', bool(b.healthy), backend);
    emit('netlab_lb_backend_latency_seconds', sec(b.latencyMs), backend);
  }
  const d = r.distribution;
  if (d && d.judged) {
    emit('netlab_lb_chi_square', num(d.chiSquare));
    emit('netlab_lb_chi_square_p_value', num(d.pValue));
    emit('netlab_lb_distribution_matches', bool(d.matches));
  }
}

function verifySamples(r: { verify?: Partial<VerifyResult> | null }, emit: Emit): void {
  const v = r.verify;
  if (!v) return;
  emit('netlab_zone_verify_reachable', bool(v.reachable));
  emit('netlab_zone_verify_authoritative', bool(v.authoritative));
  emit('netlab_zone_verify_names', num(v.names));
  emit('netlab_zone_verify_addresses', num(v.addresses));
  emit('netlab_zone_verify_queries', num(v.queries));
  emit('netlab_zone_verify_failures', num(v.failures));
  emit('netlab_zone_verify_mismatched_names', num(v.mismatchedNames));
  emit('netlab_zone_verify_mismatched_addresses', num(v.mismatchedAddresses));
  emit('netlab_zone_verify_mismatches', num(v.mismatchCount));
}

/** The samples of one subcommand's result (its JSON document), through `emit`. */
export function commandSamples(command: CheckCommand, result: object, emit: Emit): void {
  switch (command) {
    case 'dig':
      return digSamples(result as Partial<DigResult>, emit);
    case 'cert-check':
      return certSamples(result as Partial<CertCheckResult>, emit);
    case 'trace-request':
      return traceSamples(result as Partial<TraceRequestResult>, emit);
    case 'lb-probe':
      return lbSamples(result as Partial<LbProbeReport>, emit);
    case 'hosts2zone':
      return verifySamples(result as { verify?: Partial<VerifyResult> | null }, emit);
  }
}
