/**
 * The metrics of checks (issue 12, `--metrics FILE` and `--push URL`), and of probes (issue 13,
 * `netlab exporter`: one probe is one outcome): typed families built from outcomes
 * ({@link metricFamilies}), written in the Prometheus text format 0.0.4 or OpenMetrics 1.0.0
 * ({@link exposition}). Every measure netlab shares with blackbox_exporter 0.23 carries
 * blackbox_exporter's name, unit and meaning (its prober/*.go); the rest is `netlab_*`. What
 * each subcommand's result gives is in metrics-commands.ts and in netlab-check(1), METRICS.
 * Pure: no I/O, no clock.
 */
import { EXIT_CODES, NetlabError } from '../errors.js';
import { wellFormed } from '../util/printable.js';
import { commandSamples, sec } from './metrics-commands.js';
import type { CheckOutcome } from './model.js';

/** A family's type. `info`: value 1, its labels are the data (OpenMetrics' info type; a gauge `NAME_info` in the text format 0.0.4). */
export type MetricType = 'gauge' | 'counter' | 'info';

/** One sample: its labels (names as Prometheus allows) and its value. */
export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

/**
 * One metric family. `name` is the family's name as OpenMetrics writes it: without `_total` for
 * a counter and without `_info` for an info family (the writers add them); with its unit as the
 * last part when it has one (`probe_duration_seconds`, unit `seconds`).
 */
export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  unit?: string;
  samples: MetricSample[];
}

/** A family as declared: everything but its samples. */
export type MetricDef = Omit<MetricFamily, 'samples' | 'name'>;

/** The exposition formats: the Prometheus text format 0.0.4 (what promtool and the Pushgateway read), OpenMetrics 1.0.0. */
export type ExpositionFormat = 'prometheus' | 'openmetrics';

/** The Content-Type of each format, for an HTTP answer (the exporter) or a push. */
export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

const BB = 'as blackbox_exporter 0.23';

/**
 * Every family netlab writes, in the order written: blackbox_exporter's first (its HELP text,
 * its meaning), then netlab's. netlab-check(1), METRICS, documents each (a unit test checks it).
 */
export const METRIC_DEFS = {
  // every outcome
  probe_success: { type: 'gauge', help: `Displays whether or not the probe was a success: 1 when the check's status is OK or WARNING, 0 when CRITICAL or UNKNOWN (${BB})` },
  probe_duration_seconds: { type: 'gauge', unit: 'seconds', help: `Returns how long the probe took to complete in seconds: the check's last attempt (${BB})` },
  // dig
  probe_dns_query_succeeded: { type: 'gauge', help: `Displays whether or not the query was executed successfully: 1 when an answer came back, whatever its RCODE (${BB})` },
  probe_dns_duration_seconds: { type: 'gauge', unit: 'seconds', help: `Duration of DNS request by phase: netlab measures phase="request", the query's round trip (${BB})` },
  probe_dns_answer_rrs: { type: 'gauge', help: `Returns number of entries in the answer resource record list (${BB})` },
  probe_dns_authority_rrs: { type: 'gauge', help: `Returns number of entries in the authority resource record list (${BB})` },
  probe_dns_additional_rrs: { type: 'gauge', help: `Returns number of entries in the additional resource record list, the OPT record included (${BB})` },
  probe_dns_serial: { type: 'gauge', help: `Returns the serial number of the zone: the SOA record of the answer (${BB})` },
  // trace-request, per path
  probe_dns_lookup_time_seconds: { type: 'gauge', unit: 'seconds', help: `Returns the time taken for probe dns lookup in seconds: the median dns phase of the path (${BB})` },
  probe_ip_protocol: { type: 'gauge', help: `Specifies whether probe ip protocol is IP4 or IP6: 4 or 6, the address connected to (${BB})` },
  probe_http_status_code: { type: 'gauge', help: `Response HTTP status code: the last successful sample's, 0 when none answered (${BB})` },
  probe_http_duration_seconds: { type: 'gauge', unit: 'seconds', help: `Duration of http request by phase: resolve, connect, tls, processing (to the first byte), transfer; medians over the path's successful samples (${BB})` },
  probe_http_version: { type: 'gauge', help: `Returns the version of HTTP of the probe response (${BB})` },
  probe_http_ssl: { type: 'gauge', help: `Indicates if SSL was used for the final redirect: 1 over HTTPS (${BB})` },
  // cert-check (and trace-request's TLS version)
  probe_ssl_earliest_cert_expiry: { type: 'gauge', help: `Returns last SSL chain expiry in unixtime: the earliest notAfter of the certificates sent (${BB})` },
  probe_ssl_last_chain_expiry_timestamp_seconds: { type: 'gauge', unit: 'seconds', help: `Returns last SSL chain expiry in timestamp: the earliest notAfter on the trusted path, absent when the chain is not trusted (${BB})` },
  probe_ssl_last_chain_info: { type: 'gauge', help: `Contains SSL leaf certificate information (${BB})` },
  probe_tls_version_info: { type: 'gauge', help: `Returns the TLS version used or NaN when unknown (${BB})` },
  // netlab: every outcome
  netlab_check_status: { type: 'gauge', help: "The check's status as its exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN" },
  netlab_check_attempts: { type: 'gauge', help: 'Attempts made by the check: 1 plus the retries used' },
  netlab_check_passed_on_retry: { type: 'gauge', help: 'Whether an earlier attempt failed and a retry passed (1), never hidden' },
  netlab_check_problems: { type: 'gauge', help: 'Problems the check found, by code and severity (the subcommand\'s, then EXPECTATION_FAILED, CHECK_ERROR, CHECK_TIMEOUT, SERVERS_DISAGREE)' },
  netlab_check_notes: { type: 'gauge', help: 'Parts of the check that could not be judged, by code' },
  // dig
  netlab_dns_rcode: { type: 'info', help: "The answer's RCODE" },
  netlab_dns_response_size_bytes: { type: 'gauge', unit: 'bytes', help: "The answer's size on the wire" },
  netlab_dns_trace_hops: { type: 'gauge', help: 'Servers asked by a +trace, one per hop' },
  // cert-check
  netlab_tls_chain_trusted: { type: 'gauge', help: 'Whether the path from the leaf ends at a trust anchor' },
  netlab_tls_hostname_match: { type: 'gauge', help: 'Whether the leaf is valid for the name checked' },
  netlab_tls_leaf_expiry_timestamp_seconds: { type: 'gauge', unit: 'seconds', help: "The leaf's notAfter in unixtime" },
  netlab_tls_chain_certificates: { type: 'gauge', help: 'Certificates the server sent' },
  netlab_tls_path_certificates: { type: 'gauge', help: 'Certificates on the path chosen, the anchor included' },
  netlab_tls_ocsp_stapled: { type: 'gauge', help: 'Whether the server stapled an OCSP response' },
  // trace-request, per path
  netlab_http_samples: { type: 'gauge', help: 'Cold requests made on the path' },
  netlab_http_samples_succeeded: { type: 'gauge', help: 'Requests of the path that got their whole response' },
  netlab_http_request_duration_seconds: { type: 'gauge', unit: 'seconds', help: 'Start to the last body byte, median over the successful samples' },
  netlab_http_p95_seconds: { type: 'gauge', unit: 'seconds', help: 'The 95th percentile (nearest rank) of each phase over the successful samples, phases named as probe_http_duration_seconds' },
  netlab_http_rtt_seconds: { type: 'gauge', unit: 'seconds', help: 'The round-trip time estimated from the TCP (or TLS) handshake' },
  // lb-probe
  netlab_lb_probes_sent: { type: 'gauge', help: 'Probes sent through the VIP, a fresh connection each' },
  netlab_lb_probes_answered: { type: 'gauge', help: 'Probes through the VIP that were answered' },
  netlab_lb_probes_failed: { type: 'gauge', help: 'Probes through the VIP that failed' },
  netlab_lb_probes_unattributed: { type: 'gauge', help: 'Answers through the VIP not attributed to any backend' },
  netlab_lb_vip_latency_seconds: { type: 'gauge', unit: 'seconds', help: 'Median latency of the answers through the VIP' },
  netlab_lb_backend_answers: { type: 'gauge', help: 'Answers through the VIP attributed to the backend' },
  netlab_lb_backend_share_ratio: { type: 'gauge', help: "The backend's share of the attributed answers, 0 to 1" },
  netlab_lb_backend_expected_share_ratio: { type: 'gauge', help: "The backend's share by its configured weight among the backends in service, 0 to 1" },
  netlab_lb_backend_up: { type: 'gauge', help: 'Whether the backend answered its direct probes' },
  netlab_lb_backend_latency_seconds: { type: 'gauge', unit: 'seconds', help: "Median latency of the backend's direct probes" },
  netlab_lb_chi_square: { type: 'gauge', help: 'The chi-square statistic of the split against the weights' },
  netlab_lb_chi_square_p_value: { type: 'gauge', help: 'The p-value of the chi-square test of the split against the weights' },
  netlab_lb_distribution_matches: { type: 'gauge', help: 'Whether the split matches the weights (p-value at or above alpha)' },
  // hosts2zone --verify
  netlab_zone_verify_reachable: { type: 'gauge', help: 'Whether the server answered the SOA query of the zone' },
  netlab_zone_verify_authoritative: { type: 'gauge', help: "Whether the SOA answer was authoritative, with the zone's SOA" },
  netlab_zone_verify_names: { type: 'gauge', help: 'Names checked against the server' },
  netlab_zone_verify_addresses: { type: 'gauge', help: 'Addresses whose PTR was checked' },
  netlab_zone_verify_queries: { type: 'gauge', help: 'Queries answered or failed' },
  netlab_zone_verify_failures: { type: 'gauge', help: 'Queries that got no usable answer' },
  netlab_zone_verify_mismatched_names: { type: 'gauge', help: 'Names whose answer differs from the hosts files' },
  netlab_zone_verify_mismatched_addresses: { type: 'gauge', help: 'Addresses whose PTR differs from the hosts files' },
  netlab_zone_verify_mismatches: { type: 'gauge', help: 'Mismatches found' },
} as const satisfies Record<string, MetricDef>;

/** The name of a family netlab writes. */
export type MetricName = keyof typeof METRIC_DEFS;

/** A sample on its way to a family: the family, the sample's own labels (besides the outcome's), the value. */
export type Emit = (name: MetricName, value: number | boolean | null | undefined, labels?: Record<string, string>) => void;

/** How {@link metricFamilies} labels each outcome's samples. */
export interface MetricOptions {
  /**
   * The labels every sample of an outcome carries. Default: `check` (its name) and, when it
   * fanned out, `address`. The exporter passes `() => ({})`: Prometheus adds `instance` and `job`.
   * They must tell the outcomes apart (a repeated series is an error).
   */
  labels?: (outcome: CheckOutcome) => Record<string, string>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The labels of an outcome when the caller gives none: `check`, and `address` when it fanned out. */
export function defaultLabels(outcome: CheckOutcome): Record<string, string> {
  return outcome.address === null ? { check: outcome.name } : { check: outcome.name, address: outcome.address };
}

/**
 * The metric families of some outcomes (a run's, or one probe's), in {@link METRIC_DEFS}' order,
 * each with its samples in the outcomes' order; families without a sample are left out.
 * Throws NetlabError INTERNAL when two samples of a family have the same labels (labels that do
 * not tell the outcomes apart).
 */
export function metricFamilies(outcomes: readonly CheckOutcome[], options: MetricOptions = {}): MetricFamily[] {
  const labelsOf = options.labels ?? defaultLabels;
  const samples = new Map<MetricName, MetricSample[]>();
  const seen = new Map<MetricName, Set<string>>();
  for (const outcome of outcomes) {
    const base = labelsOf(outcome);
    const emit: Emit = (name, value, labels) => {
      if (value === null || value === undefined) return;
      const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
      const all = labels === undefined ? { ...base } : { ...base, ...labels };
      const key = labelKey(all);
      let keys = seen.get(name);
      if (!keys) seen.set(name, (keys = new Set()));
      if (keys.has(key)) throw new NetlabError('INTERNAL', `metric ${name} has two samples labelled ${labelText(all) || '{}'}: the labels do not tell the outcomes apart`);
      keys.add(key);
      let list = samples.get(name);
      if (!list) samples.set(name, (list = []));
      list.push({ labels: all, value: v });
    };
    const ok = outcome.status === 'OK' || outcome.status === 'WARNING';
    emit('probe_success', ok);
    emit('probe_duration_seconds', sec(outcome.durationMs));
    emit('netlab_check_status', EXIT_CODES[outcome.status]);
    emit('netlab_check_attempts', outcome.attempts);
    emit('netlab_check_passed_on_retry', outcome.passedOnRetry);
    const problems = new Map<string, { code: string; severity: string; n: number }>();
    for (const p of outcome.problems) {
      const k = `${p.code}\u0000${p.severity}`;
      const entry = problems.get(k);
      if (entry) entry.n++;
      else problems.set(k, { code: p.code, severity: p.severity, n: 1 });
    }
    for (const p of problems.values()) emit('netlab_check_problems', p.n, { code: p.code, severity: p.severity });
    const notes = new Map<string, number>();
    for (const n of outcome.notes) notes.set(n.code, (notes.get(n.code) ?? 0) + 1);
    for (const [code, n] of notes) emit('netlab_check_notes', n, { code });
    if (outcome.result !== null && typeof outcome.result === 'object') commandSamples(outcome.command, outcome.result, emit);
  }
  const families: MetricFamily[] = [];
  for (const [name, def] of DEFS_IN_ORDER) {
    const list = samples.get(name);
    if (list) families.push({ name, ...def, samples: list });
  }
  return families;
}

/** METRIC_DEFS as a list, made once (metricFamilies runs for every probe of an exporter). */
const DEFS_IN_ORDER = Object.entries(METRIC_DEFS) as Array<[MetricName, MetricDef]>;

/** What tells two label sets apart: the names sorted, each with its value quoted (a name is [a-zA-Z0-9_], so no two sets share a key). */
function labelKey(labels: Record<string, string>): string {
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  let key = '';
  for (const n of names) key += `${n}=${JSON.stringify(labels[n])},`;
  return key;
}

// ---- the exposition formats ----

/** A character a label value or HELP text cannot keep as it is: backslash, double quote, line feed, or half of a surrogate pair (a lone one is not UTF-8). */
const NEEDS_ESCAPE = /[\\"\n\ud800-\udfff]/;

/** A label value in either format: backslash, double quote and line feed escaped; a lone surrogate (not UTF-8) replaced. */
export function escapeLabelValue(value: string): string {
  // the usual value has nothing to escape: itself, without a copy
  if (!NEEDS_ESCAPE.test(value)) return value;
  return wellFormed(value).replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** HELP text: backslash and line feed escaped (0.0.4); OpenMetrics escapes the double quote too. */
export function escapeHelp(text: string, format: ExpositionFormat): string {
  const re = format === 'openmetrics' ? /[\\"\n]/g : /[\\\n]/g;
  return wellFormed(text).replace(re, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** A sample's value as both formats write it: NaN, +Inf, -Inf, or the shortest decimal that reads back the same. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Label names already checked against Prometheus' rule (a bounded set: they come from netlab's own code). */
const goodLabelNames = new Set<string>();

/** `{name="value",...}` for a sample's labels ('' for none). Throws NetlabError INTERNAL on a label name Prometheus does not allow. */
function labelText(labels: Record<string, string>, family?: string): string {
  let out = '';
  for (const name of Object.keys(labels)) {
    if (!goodLabelNames.has(name)) {
      if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new NetlabError('INTERNAL', `bad label name ${JSON.stringify(name)}${family === undefined ? '' : ` on ${family}`}`);
      if (goodLabelNames.size < 1024) goodLabelNames.add(name);
    }
    out += `${out === '' ? '{' : ','}${name}="${escapeLabelValue(labels[name]!)}"`;
  }
  return out === '' ? '' : `${out}}`;
}

/** A family's HELP, TYPE (and UNIT) lines and its samples' name, by format and family. */
interface FamilyHead {
  help: string;
  type: MetricType;
  unit: string | undefined;
  lines: string;
  sampleName: string;
}

/** The heads written so far: the same ~60 families in every probe of an exporter (bounded, for families a library user makes). */
const heads = new Map<string, FamilyHead>();

function familyHead(f: MetricFamily, format: ExpositionFormat): FamilyHead {
  const key = `${format}\u0000${f.name}`;
  const known = heads.get(key);
  if (known && known.help === f.help && known.type === f.type && known.unit === f.unit) return known;
  if (!METRIC_NAME.test(f.name) || f.name.endsWith('_total') || (f.type === 'info' && f.name.endsWith('_info'))) throw new NetlabError('INTERNAL', `bad metric family name ${JSON.stringify(f.name)}`);
  if (f.unit !== undefined && !f.name.endsWith(`_${f.unit}`)) throw new NetlabError('INTERNAL', `metric ${f.name} does not end with its unit ${f.unit}`);
  const suffix = f.type === 'counter' ? '_total' : f.type === 'info' ? '_info' : '';
  const sampleName = f.name + suffix;
  const familyName = format === 'openmetrics' ? f.name : sampleName;
  const type = format === 'prometheus' && f.type === 'info' ? 'gauge' : f.type;
  let lines = `# HELP ${familyName} ${escapeHelp(f.help, format)}\n# TYPE ${familyName} ${type}\n`;
  if (format === 'openmetrics' && f.unit !== undefined) lines += `# UNIT ${familyName} ${f.unit}\n`;
  const head: FamilyHead = { help: f.help, type: f.type, unit: f.unit, lines, sampleName };
  if (heads.size < 1024 || known) heads.set(key, head);
  return head;
}

/**
 * The families as text: `prometheus`, the text format 0.0.4 (a counter's family named with
 * `_total`, an info family as a gauge named `_info`); `openmetrics`, OpenMetrics 1.0.0 (UNIT
 * lines, counters' samples `_total`, info samples `_info`, `# EOF` at the end). No timestamps.
 * Throws NetlabError INTERNAL on a name or label name Prometheus does not allow, or a unit the
 * name does not end with.
 */
export function exposition(families: readonly MetricFamily[], format: ExpositionFormat): string {
  let out = '';
  for (const f of families) {
    const head = familyHead(f, format);
    out += head.lines;
    for (const s of f.samples) out += `${head.sampleName}${labelText(s.labels, f.name)} ${formatValue(s.value)}\n`;
  }
  if (format === 'openmetrics') out += '# EOF\n';
  return out;
}
