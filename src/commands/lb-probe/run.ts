/** `netlab lb-probe`: options -> probe the VIP and its backends -> LbProbeResult (src/protocol/lb). */
import { NetlabError } from '../../errors.js';
import { parseSeconds } from '../args.js';
import {
  formatHostPort,
  parseHostPort,
  parseIdentify,
  parseSourceRange,
  pickSources,
  MIN_EXPECTED,
  probeLoadBalancer,
  type LbEvent,
  type LbProbeReport,
  type LbProbeSettings,
} from '../../protocol/lb/index.js';

/** What probeLoadBalancer takes, plus what only the command needs. */
export interface LbProbeOptions extends LbProbeSettings {
  /** The --source-ips range as given; null without (`sources` holds the addresses used from it). */
  sourceRange: string | null;
  json: boolean;
}

export type LbProbeResult = LbProbeReport & { sourceRange: string | null };

export interface RawLbProbeArgs {
  target?: string;
  backend?: string[];
  weights?: string;
  requests?: string;
  concurrency?: string;
  mode?: string;
  path?: string;
  host?: string;
  identify?: string;
  sourceIps?: string;
  timeout?: string;
  deadline?: string;
  alpha?: string;
  json?: boolean;
}

export const LB_PROBE_DEFAULTS = { requests: 100, concurrency: 1, timeoutSeconds: 5, alpha: 0.01 } as const;
const MAX_REQUESTS = 100_000;
const MAX_CONCURRENCY = 256;
/** --timeout: per probe, 1 ms to 300 s. */
const MAX_TIMEOUT_SECONDS = 300;
/** --deadline: the whole run, 1 ms to a day. */
const MAX_DEADLINE_SECONDS = 86_400;

function usage(message: string): NetlabError {
  return new NetlabError('USAGE', message);
}

function integer(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw usage(`${name} needs a whole number from ${min} to ${max}, got '${value}'`);
  return Number(value);
}

/** `3,1,1` -> [3, 1, 1]; non-negative numbers, at least one above 0. Throws USAGE. */
export function parseWeights(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const weights = parts.map((p) => {
    if (!/^\d+(\.\d+)?$/.test(p)) throw usage(`--weights '${value}': '${p}' is not a weight (a number >= 0)`);
    return Number(p);
  });
  if (!weights.some((w) => w > 0)) throw usage(`--weights '${value}': at least one weight must be above 0`);
  return weights;
}


/** Commander's raw values -> validated options. Pure; throws USAGE naming the option. */
export function parseLbProbeArgs(raw: RawLbProbeArgs): LbProbeOptions {
  // an empty string is a value given, and wrong: never the same as the option left out
  for (const [name, value] of [['--weights', raw.weights], ['--requests', raw.requests], ['--concurrency', raw.concurrency], ['--mode', raw.mode], ['--path', raw.path], ['--host', raw.host], ['--identify', raw.identify], ['--source-ips', raw.sourceIps], ['--timeout', raw.timeout], ['--deadline', raw.deadline], ['--alpha', raw.alpha], ...(raw.backend ?? []).map((b) => ['--backend', b])] as Array<[string, string | undefined]>) {
    if (value !== undefined && value.trim() === '') throw usage(`${name} is empty`);
  }
  if (raw.target !== undefined && raw.target.trim() === '') throw usage('VIP:PORT is empty');
  if (!raw.target) throw usage('missing VIP:PORT');
  const vip = parseHostPort(raw.target, 'VIP');
  const backends = (raw.backend ?? []).map((b) => parseHostPort(b, '--backend'));
  const seen = new Set<string>();
  for (const b of backends) {
    const k = formatHostPort(b);
    if (seen.has(k)) throw usage(`--backend ${k} is given twice`);
    seen.add(k);
  }
  let weights: number[] | null = null;
  if (raw.weights !== undefined) {
    weights = parseWeights(raw.weights);
    if (backends.length === 0) throw usage('--weights needs the backends, in the same order: one --backend ADDR:PORT per weight');
    if (weights.length !== backends.length) {
      throw usage(`--weights has ${weights.length} value${weights.length === 1 ? '' : 's'} for ${backends.length} backend${backends.length === 1 ? '' : 's'}: give one weight per --backend`);
    }
  }
  const requests = integer(raw.requests, '--requests', LB_PROBE_DEFAULTS.requests, 1, MAX_REQUESTS);
  const concurrency = integer(raw.concurrency, '--concurrency', LB_PROBE_DEFAULTS.concurrency, 1, MAX_CONCURRENCY);
  const mode = raw.mode ?? 'http';
  if (mode !== 'http' && mode !== 'tcp') throw usage(`--mode '${mode}' is not http or tcp`);
  const identify = parseIdentify(raw.identify);
  if (mode === 'tcp' && (identify.kind === 'header' || identify.kind === 'body')) throw usage(`--identify ${raw.identify} needs --mode http; in TCP mode backends are told apart by their banner`);
  if (mode === 'http' && identify.kind === 'banner') throw usage('--identify banner needs --mode tcp');
  if (raw.path !== undefined && mode === 'tcp') throw usage('--path applies to --mode http only');
  const path = raw.path ?? '/';
  if (!path.startsWith('/') || /[\s]/.test(path)) throw usage(`--path '${path}' must start with / and hold no spaces`);
  const host = raw.host ?? formatHostPort(vip);
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) throw usage(`--host '${host}' is not a host name`);
  const timeoutMs = raw.timeout === undefined ? 1000 * LB_PROBE_DEFAULTS.timeoutSeconds : parseSeconds(raw.timeout, '--timeout', MAX_TIMEOUT_SECONDS);
  const deadlineMs = raw.deadline === undefined ? null : parseSeconds(raw.deadline, '--deadline', MAX_DEADLINE_SECONDS);
  if (raw.alpha !== undefined && (!/^0?\.\d+$/.test(raw.alpha) || Number(raw.alpha) <= 0 || Number(raw.alpha) >= 0.5)) {
    throw usage(`--alpha needs a significance level between 0 and 0.5 (e.g. 0.01), got '${raw.alpha}'`);
  }
  const alpha = raw.alpha === undefined ? LB_PROBE_DEFAULTS.alpha : Number(raw.alpha);

  // the chi-square test needs every expected count at 5 or more: say so before any probe
  if (backends.length > 0) {
    const w = weights ?? backends.map(() => 1);
    const total = w.reduce((a, b) => a + b, 0);
    const minShare = Math.min(...w.filter((x) => x > 0)) / total;
    if (requests * minShare < MIN_EXPECTED - 1e-9) {
      const needed = Math.ceil(MIN_EXPECTED / minShare - 1e-9);
      throw usage(`--requests ${requests} is too few to judge ${weights ? `the weights ${w.join(',')}` : `${backends.length} equal backends`}: the smallest expected count would be ${(requests * minShare).toFixed(1)}, under ${MIN_EXPECTED}; use --requests ${needed} or more`);
    }
  }

  let sources: string[] = [];
  let sourceRange: string | null = null;
  if (raw.sourceIps !== undefined) {
    const range = parseSourceRange(raw.sourceIps);
    if (requests < 2 * Math.min(2, range.size)) throw usage(`--source-ips needs --requests of at least ${2 * Math.min(2, range.size)} (two per source to see whether it sticks)`);
    sources = pickSources(range, Math.floor(requests / 2));
    sourceRange = raw.sourceIps;
  }
  return { vip, backends, weights, requests, concurrency, mode, path, host, identify, sourceRange, sources, timeoutMs, deadlineMs, alpha, json: Boolean(raw.json) };
}

/**
 * Run the probe. Throws only for bugs; an unreachable VIP or a dead backend is a result. When
 * `options.signal` aborts (Ctrl-C), it returns at once with what was measured, `interrupted:
 * true` and status UNKNOWN.
 */
export async function runLbProbe(options: LbProbeOptions, onEvent?: (e: LbEvent) => void): Promise<LbProbeResult> {
  const { sourceRange, json: _json, ...settings } = options;
  const report = await probeLoadBalancer(settings, onEvent);
  return { ...report, sourceRange };
}
