/**
 * `netlab lb-probe`'s options, declared once (flags, --help text, defaults) next to their parser
 * to the typed options of the library call. Light: neither the probe engine nor cli-table3 load from here.
 */
import { NetlabError } from '../../errors.js';
import { formatHostPort, parseHostPort, parseSourceRange, pickSources } from '../../protocol/lb/addresses.js';
import { parseIdentify } from '../../protocol/lb/identify.js';
import { DEFAULT_ALPHA, DEFAULT_CONCURRENCY, DEFAULT_REQUESTS, DEFAULT_TIMEOUT_MS, type LbProbeSettings } from '../../protocol/lb/types.js';
import { parseDnsServer, parseSeconds } from '../args.js';
import type { Server } from '../../protocol/dns/transport.js';
import type { ArgDecl, Given, OptionDecl } from '../command.js';

/** What probeLoadBalancer takes, every field set, and --json. */
export type LbProbeOptions = Required<Omit<LbProbeSettings, 'signal' | 'onProgress' | 'tls' | 'compareMap'>> & {
  json: boolean;
  /** issue 16: HTTPS: --servername, the --ca files (read by the run), --insecure; null for HTTP and TCP. */
  tls: { servername?: string; caFiles: string[]; insecure: boolean; resume: boolean } | null;
  /** issue 16: --save-map FILE: where the run writes which backend each source reached. */
  saveMap: string | null;
  /** issue 16: --compare-map FILE: a map saved before, read by the run. */
  compareMap: string | null;
  /** issue 12: --resolver: where a VIP given by name is resolved (netlab's DNS client); absent: the system resolver. */
  resolver?: Server;
};

export const LB_PROBE_ARGS: ArgDecl[] = [{ name: '[vip]', description: 'VIP:PORT of the load balancer (https://HOST[:PORT] for an HTTPS VIP; a name: every address behind it)' }];

export const LB_PROBE_OPTIONS: OptionDecl[] = [
  { flags: '--backend <addr:port>', description: 'a backend, probed directly (repeatable; in the order of --weights)', repeatable: true },
  { flags: '--weights <w,w,...>', description: 'configured weights, one per --backend (without: the split is described, not judged)' },
  { flags: '--requests <n>', description: 'probes through the VIP, a fresh connection each', default: DEFAULT_REQUESTS },
  { flags: '--concurrency <c>', description: 'probes at a time (1 keeps the exact order for the scheduler hint)', default: DEFAULT_CONCURRENCY },
  { flags: '--mode <mode>', description: 'http (GET, attribute by header or body), https (the same over TLS, a full handshake per probe) or tcp (read the banner)', default: 'http' },
  { flags: '--servername <name>', description: 'HTTPS: the name sent (SNI) and each certificate is checked against (default: the VIP\'s name, else --host)' },
  { flags: '--ca <file>', description: 'HTTPS: trust anchors (PEM, up to 16 MiB; replace the system roots, as curl --cacert; repeatable)', repeatable: true },
  { flags: '--resume', description: 'HTTPS: resume each worker\'s previous TLS session when the server allows it (default: a full handshake every probe)' },
  { flags: '--insecure', description: 'HTTPS: send the probes even when a certificate does not verify (said in the output; certificates are still recorded and compared)' },
  { flags: '--save-map <file>', description: 'write which backend each source address reached (JSON; needs --source-ips)' },
  { flags: '--compare-map <file>', description: 'compare with a map saved before: which sources moved where, modulo or consistent hashing (needs --source-ips)' },
  { flags: '--path <path>', description: 'HTTP path to request (default /)' },
  { flags: '--resolver <addr[:port]>', description: "resolve a VIP given by name with netlab's own DNS client against this server (every address is probed as its own VIP, IPv4 first; default: the system resolver)" },
  { flags: '--host <name>', description: 'HTTP Host header (default: the VIP ADDR:PORT)' },
  { flags: '--identify <how>', description: 'header:NAME, body or banner (default: X-Backend, X-Served-By, X-Server, Server, then a body hash)' },
  { flags: '--source-ips <range>', description: 'bind probes to source addresses A-B in 127.0.0.0/8, round robin, and check stickiness' },
  { flags: '--timeout <seconds>', description: 'bound of each probe, connection to last byte (at least 0.001)', default: DEFAULT_TIMEOUT_MS / 1000 },
  { flags: '--deadline <seconds>', description: 'bound of the whole run; when it passes, stop and judge what was measured (default: none)' },
  { flags: '--alpha <p>', description: 'significance level of the chi-square test', default: DEFAULT_ALPHA },
  { flags: '--json', description: 'one JSON document on stdout' },
];

const MAX_REQUESTS = 100_000;
const MAX_CONCURRENCY = 256;
/** --timeout: per probe, 1 ms to 300 s. */
const MAX_TIMEOUT_SECONDS = 300;
/** --deadline: the whole run, 1 ms to a day. */
const MAX_DEADLINE_SECONDS = 86_400;

function usage(message: string): NetlabError {
  return new NetlabError('USAGE', message);
}

function integer(value: string, name: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw usage(`${name} needs a whole number from ${min} to ${max}, got '${value}'`);
  return Number(value);
}

/** `3,1,1` -> [3, 1, 1]; non-negative numbers, at least one above 0. Throws USAGE naming --weights. */
export function parseWeights(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const weights = parts.map((p) => {
    if (!/^\d+(\.\d+)?$/.test(p)) throw usage(`--weights '${value}': '${p}' is not a weight (a number >= 0)`);
    return Number(p);
  });
  if (!weights.some((w) => w > 0)) throw usage(`--weights '${value}': at least one weight must be above 0`);
  return weights;
}

/** The long flag of a declaration: `--source-ips <range>` -> `source-ips`. */
function nameOf(decl: OptionDecl): string {
  return /--([a-z-]+)/.exec(decl.flags)![1]!;
}

/**
 * What the command line gave -> the options of the run. Pure; throws NetlabError USAGE naming the
 * option. Defaults arrive in `given` from the declarations above, checked as if typed.
 */
export function parseLbProbeArgs(given: Given): LbProbeOptions {
  // an empty string is a value given, and wrong: never the same as the option left out
  for (const decl of LB_PROBE_OPTIONS) {
    const name = nameOf(decl);
    if (decl.flags.includes('<') && given.list(name).some((v) => v.trim() === '')) throw usage(`--${name} is empty`);
  }
  const target = given.args[0];
  if (target !== undefined && target.trim() === '') throw usage('VIP:PORT is empty');
  if (!target) throw usage('missing VIP:PORT');
  // issue 16: a scheme in the target says the mode (and the port when none is given)
  const scheme = /^(https?):\/\//i.exec(target)?.[1]?.toLowerCase() as 'http' | 'https' | undefined;
  const bare = scheme ? target.slice(scheme.length + 3).replace(/\/$/, '') : target;
  const vip = parseHostPort(scheme && !/:\d+$/.test(bare) ? `${bare}:${scheme === 'https' ? 443 : 80}` : bare, 'VIP');
  const backends = given.list('backend').map((b) => {
    const s = /^(https?):\/\//i.exec(b)?.[1]?.toLowerCase() as 'http' | 'https' | undefined;
    const hp = parseHostPort(s ? b.slice(s.length + 3).replace(/\/$/, '') : b, '--backend');
    return s ? { ...hp, scheme: s } : hp;
  });
  const seen = new Set<string>();
  for (const b of backends) {
    const k = formatHostPort(b);
    if (seen.has(k)) throw usage(`--backend ${k} is given twice`);
    seen.add(k);
  }
  const weightsText = given.text('weights');
  let weights: number[] | null = null;
  if (weightsText !== undefined) {
    weights = parseWeights(weightsText);
    if (backends.length === 0) throw usage('--weights needs the backends, in the same order: one --backend ADDR:PORT per weight');
    if (weights.length !== backends.length) {
      throw usage(`--weights has ${weights.length} value${weights.length === 1 ? '' : 's'} for ${backends.length} backend${backends.length === 1 ? '' : 's'}: give one weight per --backend`);
    }
  }
  const requests = integer(given.text('requests')!, '--requests', 1, MAX_REQUESTS);
  const concurrency = integer(given.text('concurrency')!, '--concurrency', 1, MAX_CONCURRENCY);
  const modeGiven = given.text('mode')!;
  if (modeGiven !== 'http' && modeGiven !== 'https' && modeGiven !== 'tcp') throw usage(`--mode '${modeGiven}' is not http, https or tcp`);
  // --mode has a default (http): only another mode than the scheme's contradicts it
  if (scheme && modeGiven !== 'http' && modeGiven !== scheme) throw usage(`--mode ${modeGiven} contradicts the ${scheme}:// of the VIP`);
  const mode: 'http' | 'https' | 'tcp' = scheme ?? modeGiven;
  if (mode === 'tcp' && backends.some((b) => 'scheme' in b)) throw usage('--backend with http:// or https:// needs --mode http or https');
  for (const o of ['servername', 'ca', 'insecure', 'resume'] as const) {
    if (mode !== 'https' && (o === 'insecure' || o === 'resume' ? given.flag(o) : given.list(o).length > 0) && !backends.some((b) => (b as { scheme?: string }).scheme === 'https')) throw usage(`--${o} applies to HTTPS only (--mode https or an https:// VIP)`);
  }
  const servername = given.text('servername');
  if (servername !== undefined && !/^[A-Za-z0-9.-]+$/.test(servername)) throw usage(`--servername '${servername}' is not a host name`);
  const tls = mode === 'https' || backends.some((b) => (b as { scheme?: string }).scheme === 'https')
    ? { ...(servername !== undefined ? { servername } : {}), caFiles: given.list('ca'), insecure: given.flag('insecure'), resume: given.flag('resume') }
    : null;
  const saveMap = given.text('save-map') ?? null;
  const compareMap = given.text('compare-map') ?? null;
  const identifyText = given.text('identify');
  const identify = parseIdentify(identifyText, '--identify');
  if (mode === 'tcp' && (identify.kind === 'header' || identify.kind === 'body')) throw usage(`--identify ${identifyText} needs --mode http; in TCP mode backends are told apart by their banner`);
  if (mode !== 'tcp' && identify.kind === 'banner') throw usage('--identify banner needs --mode tcp');
  const pathText = given.text('path');
  if (pathText !== undefined && mode === 'tcp') throw usage('--path applies to --mode http or https only');
  const path = pathText ?? '/';
  if (!path.startsWith('/') || /[\s]/.test(path)) throw usage(`--path '${path}' must start with / and hold no spaces`);
  const host = given.text('host') ?? formatHostPort(vip);
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) throw usage(`--host '${host}' is not a host name`);
  const timeoutMs = parseSeconds(given.text('timeout')!, '--timeout', MAX_TIMEOUT_SECONDS);
  const deadlineText = given.text('deadline');
  const deadlineMs = deadlineText === undefined ? null : parseSeconds(deadlineText, '--deadline', MAX_DEADLINE_SECONDS);
  const alphaText = given.text('alpha')!;
  if (!/^0?\.\d+$/.test(alphaText) || Number(alphaText) <= 0 || Number(alphaText) >= 0.5) {
    throw usage(`--alpha needs a significance level between 0 and 0.5 (e.g. 0.01), got '${alphaText}'`);
  }
  const sourceRange = given.text('source-ips') ?? null;
  if (sourceRange === null && saveMap !== null) throw usage('--save-map needs --source-ips: the map says which backend each source address reached');
  if (sourceRange === null && compareMap !== null) throw usage('--compare-map needs --source-ips: the map says which backend each source address reached');
  // at most one source per two requests (each needs two answers to tell whether it sticks), two at least
  const sources = sourceRange === null ? [] : pickSources(parseSourceRange(sourceRange, '--source-ips'), Math.max(2, Math.floor(requests / 2)));
  const o: LbProbeOptions = { vip, backends, weights, requests, concurrency, mode, path, host, identify, sources, sourceRange, timeoutMs, deadlineMs, alpha: Number(alphaText), json: given.flag('json'), tls, saveMap, compareMap };
  const resolver = given.text('resolver');
  if (resolver !== undefined) o.resolver = parseDnsServer(resolver, '--resolver');
  return o;
}
