/**
 * The lab's load-balancing part: three HTTP backends that say who they are (X-Backend and the
 * body) and also run a TCP banner service, an address where nothing listens (a dead backend),
 * and one VIP per scheduler, each on its own loopback address (127.56.0.x) with an L7 HTTP
 * proxy, an L4 relay of HTTP and an L4 relay of the banner service:
 *
 *   web1 127.56.0.1  web2 127.56.0.2  web3 127.56.0.3  dead 127.56.0.4 (nothing listens)
 *   VIP rr 127.56.0.10 (1,1,1)   wrr 127.56.0.11 (3,1,1)   lc 127.56.0.12 (3,1,1)
 *   sh 127.56.0.13 (3,1,1)   ch 127.56.0.14 (3,1,1)   wrr-lvs 127.56.0.15 (3,1,1)
 *   dead 127.56.0.16: wrr over web1, web2 and dead (1,1,1)   iphash 127.56.0.17 (3,1,1)
 *
 * Every address listens on the same three ports (HTTP, L4 HTTP relay, banner), found free
 * together as the DNS lab finds its port. setDown() takes a backend down (its listeners close,
 * connections to it are refused) and up again.
 */
import { SCHEDULER_DESCRIPTIONS, type SchedulerName } from './schedulers.js';
import { backendBannerServer, backendHttpServer, Tracked } from './servers.js';
import { LabVip, type VipPorts } from './vip.js';
import { COURSE_BACKEND_ADDRESSES, startLbCourse, type LbCourse, type LbCourseBackendName, type TlsBackendInfo } from './course.js';
import type { LabPki } from '../tls/ca.js';

export { LB_COURSE_ADDRESSES, LB_NAME, LB_TLS_NAME } from './names.js';
export type { LbCourseBackendName, TlsBackendInfo } from './course.js';

export { SCHEDULER_DESCRIPTIONS, createScheduler, type SchedulerName } from './schedulers.js';
export { bannerLine } from './servers.js';

export const LAB_LB_ADDRESSES = {
  web1: '127.56.0.1',
  web2: '127.56.0.2',
  web3: '127.56.0.3',
  /** Nothing ever listens here: a backend that is down. */
  dead: '127.56.0.4',
} as const;

export type LabBackendName = 'web1' | 'web2' | 'web3';

export interface VipSpec {
  name: string;
  address: string;
  scheduler: SchedulerName;
  /** Backend names (web1..web3, dead), in order. */
  backends: Array<LabBackendName | 'dead'>;
  weights: number[];
}

/** The default VIPs: one per scheduler, and one with a dead backend. */
export const DEFAULT_VIPS: VipSpec[] = [
  { name: 'rr', address: '127.56.0.10', scheduler: 'rr', backends: ['web1', 'web2', 'web3'], weights: [1, 1, 1] },
  { name: 'wrr', address: '127.56.0.11', scheduler: 'wrr', backends: ['web1', 'web2', 'web3'], weights: [3, 1, 1] },
  { name: 'lc', address: '127.56.0.12', scheduler: 'lc', backends: ['web1', 'web2', 'web3'], weights: [3, 1, 1] },
  { name: 'sh', address: '127.56.0.13', scheduler: 'sh', backends: ['web1', 'web2', 'web3'], weights: [3, 1, 1] },
  { name: 'ch', address: '127.56.0.14', scheduler: 'ch', backends: ['web1', 'web2', 'web3'], weights: [3, 1, 1] },
  { name: 'wrr-lvs', address: '127.56.0.15', scheduler: 'wrr-lvs', backends: ['web1', 'web2', 'web3'], weights: [3, 1, 1] },
  { name: 'dead', address: '127.56.0.16', scheduler: 'wrr', backends: ['web1', 'web2', 'dead'], weights: [1, 1, 1] },
  { name: 'iphash', address: '127.56.0.17', scheduler: 'iphash', backends: ['web1', 'web2', 'web3'], weights: [3, 1, 1] },
];

export interface LbLabOptions {
  /** Ports on every address; 0 (default): free ports common to all. */
  httpPort?: number;
  tcpPort?: number;
  bannerPort?: number;
  /** Default DEFAULT_VIPS. */
  vips?: VipSpec[];
  /** issue 16: the lab PKI: with it, the HTTPS backends and VIPs on 127.58.0.x (src/lab/lb/course.ts). */
  pki?: LabPki;
  /** issue 16: the second part (hash VIPs, control endpoint; HTTPS with a PKI); default true. */
  course?: boolean;
}

export interface LabBackendInfo {
  name: LabBackendName | 'dead';
  address: string;
  /** What it sends as X-Backend and in its banner; null for the dead one. */
  marker: string | null;
  up: boolean;
}

export interface LabVipInfo {
  name: string;
  address: string;
  scheduler: SchedulerName;
  backends: Array<LabBackendName | 'dead' | LbCourseBackendName>;
  /** issue 16: TLS passthrough to HTTPS backends on the HTTP port. */
  https?: boolean;
  weights: number[];
  description: string;
  /** L7 HTTP proxy, L4 relay of HTTP, L4 relay of the banner service. */
  httpPort: number;
  tcpPort: number;
  bannerPort: number;
}

export interface LbLab {
  httpPort: number;
  tcpPort: number;
  bannerPort: number;
  backends: LabBackendInfo[];
  vips: LabVipInfo[];
  vip(name: string): LabVipInfo;
  /** `ADDR:PORT` of each backend of a VIP, in order, for --backend: HTTP or banner port. */
  backendTargets(vipName: string, service: 'http' | 'banner'): string[];
  /** Take a backend down (refuses connections) or bring it back. */
  setDown(name: LabBackendName, down: boolean): Promise<void>;
  /**
   * issue 16: take a backend of one VIP out of service (as its health check would: that VIP
   * stops picking it; the backend still answers directly and through the other VIPs), or back.
   */
  setOutOfService(vipName: string, backend: string, out: boolean): void;
  /** issue 16: the control endpoint (POST /fail?backend=web3[&vip=hash-mod], POST /restore?..., GET /); null without the second part. */
  control: { address: string; port: number } | null;
  /** issue 16: the HTTPS backends and the certificate each serves (empty without a PKI). */
  tlsBackends: TlsBackendInfo[];
  close(): Promise<void>;
}

class LabBackend {
  http?: Tracked;
  banner?: Tracked;
  up = false;

  constructor(readonly name: LabBackendName, readonly address: string, private readonly ports: () => VipPorts) {}

  async start(httpPort: number, bannerPort: number): Promise<{ httpPort: number; bannerPort: number }> {
    const id = { name: this.name, address: this.address };
    this.http = new Tracked(backendHttpServer(id, () => this.ports().httpPort));
    this.banner = new Tracked(backendBannerServer(id, () => this.ports().bannerPort));
    try {
      const h = await this.http.listen(httpPort, this.address);
      const b = await this.banner.listen(bannerPort, this.address);
      this.up = true;
      return { httpPort: h, bannerPort: b };
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  async stop(): Promise<void> {
    this.up = false;
    await Promise.all([this.http?.close(), this.banner?.close()]);
  }
}

/**
 * Start the backends and the VIPs. With ports of 0, retries until the three ports are free on
 * every address; throws the last listen error when that fails (at once for fixed ports).
 */
export async function startLbLab(options: LbLabOptions = {}): Promise<LbLab> {
  const specs = options.vips ?? DEFAULT_VIPS;
  const wanted: VipPorts = { httpPort: options.httpPort ?? 0, tcpPort: options.tcpPort ?? 0, bannerPort: options.bannerPort ?? 0 };
  const attempts = wanted.httpPort === 0 || wanted.tcpPort === 0 || wanted.bannerPort === 0 ? 20 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    let ports: VipPorts = { ...wanted };
    const backends = (['web1', 'web2', 'web3'] as const).map((n) => new LabBackend(n, LAB_LB_ADDRESSES[n], () => ports));
    const vips: LabVip[] = [];
    let course: LbCourse | undefined;
    try {
      // the VIPs first: the first one fixes all three ports, the backends then take the same
      for (const spec of specs) {
        const vip = new LabVip({
          name: spec.name,
          address: spec.address,
          scheduler: spec.scheduler,
          backends: spec.backends.map((b) => ({ name: b, address: LAB_LB_ADDRESSES[b] })),
          weights: spec.weights,
        });
        vips.push(vip);
        ports = await vip.start(ports);
      }
      if (specs.length === 0) {
        const first = await backends[0]!.start(ports.httpPort, ports.bannerPort);
        ports = { ...ports, ...first };
      }
      for (const b of backends) if (!b.up) await b.start(ports.httpPort, ports.bannerPort);
      const fixed = ports;
      const addressOf = (name: string): string => (LAB_LB_ADDRESSES as Record<string, string>)[name] ?? COURSE_BACKEND_ADDRESSES[name as LbCourseBackendName];
      if (options.course !== false) course = await startLbCourse(fixed, options.pki, addressOf);
      const allSpecs = [...specs, ...(course?.specs ?? []).map((c) => ({ ...c, backends: c.backends as LabVipInfo['backends'] }))];
      const allVips = [...vips, ...(course?.vips ?? [])];
      const vipInfos: LabVipInfo[] = allSpecs.map((s) => ({
        ...s,
        backends: [...s.backends],
        weights: [...s.weights],
        description: `${SCHEDULER_DESCRIPTIONS[s.scheduler]} over ${s.backends.map((b, i) => `${b}${s.scheduler === 'rr' ? '' : `:${s.weights[i]}`}`).join(', ')}${(s as { https?: boolean }).https ? ', TLS passthrough to HTTPS backends' : ''}`,
        httpPort: fixed.httpPort,
        tcpPort: fixed.tcpPort,
        bannerPort: fixed.bannerPort,
      }));
      const vipByName = (name: string): LabVipInfo => {
        const v = vipInfos.find((x) => x.name === name);
        if (!v) throw new Error(`the LB lab has no VIP '${name}' (it has ${vipInfos.map((x) => x.name).join(', ')})`);
        return v;
      };
      return {
        ...fixed,
        get backends(): LabBackendInfo[] {
          return [
            ...backends.map((b) => ({ name: b.name, address: b.address, marker: b.name, up: b.up })),
            { name: 'dead' as const, address: LAB_LB_ADDRESSES.dead, marker: null, up: false },
          ];
        },
        vips: vipInfos,
        vip: vipByName,
        backendTargets: (vipName, service) => {
          const port = service === 'http' ? fixed.httpPort : fixed.bannerPort;
          return vipByName(vipName).backends.map((b) => `${addressOf(b)}:${port}`);
        },
        setOutOfService: (vipName, backend, out) => {
          const info = vipByName(vipName);
          const i = (info.backends as string[]).indexOf(backend);
          if (i < 0) throw new Error(`VIP ${vipName} has no backend '${backend}' (it has ${info.backends.join(', ')})`);
          const vip = allVips[vipInfos.indexOf(info)]!;
          if (out) vip.outOfService.add(i);
          else vip.outOfService.delete(i);
        },
        control: course?.control ?? null,
        tlsBackends: course?.tlsBackends ?? [],
        setDown: async (name, down) => {
          const b = backends.find((x) => x.name === name);
          if (!b) throw new Error(`the LB lab has no backend '${name}'`);
          if (down && b.up) await b.stop();
          if (!down && !b.up) await b.start(fixed.httpPort, fixed.bannerPort);
        },
        close: async () => {
          await Promise.all([...vips.map((v) => v.close()), ...backends.map((b) => b.stop()), course?.close()]);
        },
      };
    } catch (e) {
      lastError = e;
      await Promise.all([...vips.map((v) => v.close()), ...backends.map((b) => b.stop()), course?.close()]);
    }
  }
  throw lastError;
}
