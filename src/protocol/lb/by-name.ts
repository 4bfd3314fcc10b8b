/**
 * issue 16: a load balancer reached by name, as a cloud one is (one address per zone): every
 * address behind the name probed as its own VIP, one after the other with the same settings,
 * each with its own split, health, certificates and status; then one report for the name whose
 * top level has the same fields as a single VIP's (counts summed, backends merged, problems of
 * every address with the address said) and `addresses` with each address's own report. The
 * split is judged per address (the top-level `distribution` is null): each zone's VIP is its
 * own balancer.
 */
import { statusOf, worstOf } from '../../errors.js';
import { median } from '../../util/stats.js';
import { roundMs } from '../../util/round.js';
import { formatHostPort } from './addresses.js';
import { probeLoadBalancer } from './engine.js';
import type { LbBackend, LbCertificate, LbProbeReport, LbProbeSettings } from './types.js';

/** One address of the name: its status and its own report. */
export interface LbAddressResult {
  address: string;
  status: LbProbeReport['status'];
  report: LbProbeReport;
}

/** The report for a name: a single VIP's fields over every address, and each address's own. */
export interface LbNameReport extends LbProbeReport {
  /** The name as given. */
  name: string;
  /** Every address behind it, in the order probed (sorted, IPv4 first). */
  addresses: LbAddressResult[];
  /** Addresses whose status is not OK. */
  off: string[];
  /** `3 addresses: 127.58.0.30 OK, 127.58.0.31 OK, 127.58.0.32 WARNING (PROBES_FAILED)`. */
  summary: string;
}

/**
 * Probe every address of `name` (resolved by the caller: `addresses`) as its own VIP on
 * `settings.vip.port`. The Host header and the TLS server name stay the name's. Stops after the
 * address in flight when `settings.signal` aborts. Never throws for a broken target.
 */
export async function probeLoadBalancerAddresses(name: string, addresses: readonly string[], settings: LbProbeSettings): Promise<LbNameReport> {
  const port = settings.vip.port;
  const host = settings.host ?? formatHostPort({ address: name, port });
  const tls = settings.mode === 'https' ? { ...settings.tls, servername: settings.tls?.servername ?? name } : settings.tls;
  const results: LbAddressResult[] = [];
  for (const address of addresses) {
    if (settings.signal?.aborted && results.length > 0) break;
    const report = await probeLoadBalancer({ ...settings, vip: { address, port }, host, tls });
    results.push({ address, status: report.status, report });
  }
  return mergeAddressReports(formatHostPort({ address: name, port }), name, results);
}

function prefixed<T extends { message: string; subject?: string }>(address: string, items: readonly T[]): T[] {
  return items.map((x) => ({ ...x, subject: x.subject ?? address, message: `${address}: ${x.message}` }));
}

/** One report for the name from each address's (pure). */
export function mergeAddressReports(vip: string, name: string, results: readonly LbAddressResult[]): LbNameReport {
  const reports = results.map((r) => r.report);
  const first = reports[0]!;
  const sum = (f: (r: LbProbeReport) => number) => reports.reduce((s, r) => s + f(r), 0);
  // backends by address (or label when seen through the VIPs only)
  const byKey = new Map<string, LbBackend>();
  for (const r of reports) {
    for (const b of r.backends) {
      const key = b.address ?? b.label;
      const known = byKey.get(key);
      if (!known) byKey.set(key, { ...b, expectedShare: null });
      else {
        known.count += b.count;
        known.healthy = known.healthy === null ? b.healthy : b.healthy === null ? known.healthy : known.healthy && b.healthy;
        known.sources = known.sources === null && b.sources === null ? null : (known.sources ?? 0) + (b.sources ?? 0);
      }
    }
  }
  const backends = [...byKey.values()];
  const attributed = backends.reduce((s, b) => s + b.count, 0);
  for (const b of backends) b.share = attributed > 0 ? Math.round((b.count / attributed) * 1e6) / 1e6 : 0;
  const statusCodes: Record<string, number> = {};
  for (const r of reports) for (const [k, v] of Object.entries(r.statusCodes)) statusCodes[k] = (statusCodes[k] ?? 0) + v;
  const latencies = reports.map((r) => r.vipLatencyMs).filter((x): x is number => x !== null);
  const elapsed = sum((r) => r.vipElapsedMs);
  const sent = sum((r) => r.sent);
  const problems = results.flatMap((r) => prefixed(r.address, r.report.problems));
  const notes = results.flatMap((r) => prefixed(r.address, r.report.notes));
  const interrupted = reports.some((r) => r.interrupted);
  const off = results.filter((r) => r.status !== 'OK').map((r) => r.address);
  const tag = (r: LbAddressResult) => `${r.address} ${r.status}${r.report.problems.length > 0 ? ` (${[...new Set(r.report.problems.map((p) => p.code))].join(', ')})` : ''}`;
  let tls: LbProbeReport['tls'];
  if (first.tls) {
    const certs = new Map<string, LbCertificate>();
    for (const r of reports) {
      for (const c of r.tls?.certificates ?? []) {
        const known = certs.get(c.fingerprint256);
        if (!known) certs.set(c.fingerprint256, { ...c, backends: [...c.backends] });
        else {
          known.throughVip += c.throughVip;
          for (const b of c.backends) if (!known.backends.includes(b)) known.backends.push(b);
        }
      }
    }
    tls = { servername: first.tls.servername, insecure: first.tls.insecure, certificates: [...certs.values()] };
  }
  return {
    ...first,
    vip,
    ...(tls ? { tls } : {}),
    requests: sum((r) => r.requests),
    sent,
    answered: sum((r) => r.answered),
    failed: sum((r) => r.failed),
    backends,
    distribution: null,
    scheduler: { ...first.scheduler, note: `per address: see each address's report (${first.scheduler.note})` },
    stickiness: null,
    unattributed: sum((r) => r.unattributed),
    unattributedMarkers: reports.flatMap((r) => r.unattributedMarkers).slice(0, 1024),
    statusCodes,
    vipLatencyMs: latencies.length > 0 ? roundMs(median(latencies)) : null,
    vipElapsedMs: roundMs(elapsed),
    probesPerSecond: elapsed > 0 ? Math.round((sent * 1_000_000) / elapsed) / 1000 : 0,
    errors: results.flatMap((r) => r.report.errors.map((e) => ({ ...e, message: `${r.address}: ${e.message}` }))),
    stoppedBy: reports.find((r) => r.stoppedBy)?.stoppedBy ?? null,
    ...(interrupted ? { interrupted: true } : {}),
    notes,
    problems,
    status: interrupted ? 'UNKNOWN' : problems.length > 0 ? statusOf(problems) : worstOf(results.map((r) => r.status)),
    name,
    addresses: [...results],
    off,
    summary: `${results.length} address${results.length === 1 ? '' : 'es'}: ${results.map(tag).join(', ')}`,
  };
}
