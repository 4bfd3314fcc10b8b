/**
 * issue 16: the LB lab's second part, on 127.58.0.x (names.ts), for what real load balancers
 * add: TLS, a name with several VIPs, and what a failed backend remaps.
 *
 *   tls1 127.58.0.1, tls2 127.58.0.2   HTTPS backends with the good certificate (lab PKI)
 *   tls3 127.58.0.3                    HTTPS backend whose certificate expired
 *   tls4 127.58.0.4                    HTTPS backend with a certificate for another name
 *   https 127.58.0.20                  TLS passthrough over tls1, tls2 (1,1): one certificate
 *   https-mixed 127.58.0.21            TLS passthrough over tls1, tls3, tls4 (1,1,1): three
 *   lb.example.test 127.58.0.30, .31, .32: TLS passthrough over tls1, tls2; the third also over
 *                                      127.58.0.9, where nothing listens (a dead backend), and
 *                                      without redispatch: one connection in three is closed
 *   hash-mod 127.58.0.10               source hash modulo the backends in service over web1..web3
 *   hash-consistent 127.58.0.11        consistent hash of the source over web1..web3
 *   control 127.58.0.5                 HTTP: POST /fail?backend=web3[&vip=hash-mod], POST
 *                                      /restore?..., GET / (which backends are out of service)
 *
 * Every address listens on the LB lab's ports (the HTTPS ones on its HTTP port). Taking a
 * backend out of service (setOutOfService, or the control endpoint) is what a balancer's health
 * check does: that VIP stops picking it, while the backend itself still answers directly.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { DAY_MS, issueLeaf, type LabCert, type LabPki } from '../tls/ca.js';
import { IDLE_TIMEOUT_MS, Tracked } from './servers.js';
import { LabVip, type VipPorts } from './vip.js';
import { LB_COURSE_ADDRESSES as A, LB_NAME, LB_TLS_NAME } from './names.js';
import type { SchedulerName } from './schedulers.js';

export type LbCourseBackendName = 'tls1' | 'tls2' | 'tls3' | 'tls4' | 'tls-dead';

/** Where each backend of this part and of the first part is (web1..web3 and dead on 127.56.0.x). */
export const COURSE_BACKEND_ADDRESSES: Record<LbCourseBackendName, string> = {
  tls1: A.tls1,
  tls2: A.tls2,
  tls3: A.tls3,
  tls4: A.tls4,
  'tls-dead': A.tlsDead,
};

export interface CourseVipSpec {
  name: string;
  address: string;
  scheduler: SchedulerName;
  backends: string[];
  weights: number[];
  /** TLS passthrough to HTTPS backends on the HTTP port. */
  https: boolean;
  /** False: a dead backend is not skipped (its connections are closed): the address is visibly off. */
  retry?: boolean;
}

/** The hash VIPs (always) and the HTTPS ones (with a PKI). */
export function courseVipSpecs(withTls: boolean): CourseVipSpec[] {
  const specs: CourseVipSpec[] = [
    { name: 'hash-mod', address: A.hashMod, scheduler: 'mod', backends: ['web1', 'web2', 'web3'], weights: [1, 1, 1], https: false },
    { name: 'hash-consistent', address: A.hashConsistent, scheduler: 'ch', backends: ['web1', 'web2', 'web3'], weights: [1, 1, 1], https: false },
  ];
  if (withTls) {
    specs.push(
      { name: 'https', address: A.https, scheduler: 'wrr', backends: ['tls1', 'tls2'], weights: [1, 1], https: true },
      { name: 'https-mixed', address: A.httpsMixed, scheduler: 'wrr', backends: ['tls1', 'tls3', 'tls4'], weights: [1, 1, 1], https: true },
      { name: 'name-1', address: A.name1, scheduler: 'wrr', backends: ['tls1', 'tls2'], weights: [1, 1], https: true },
      { name: 'name-2', address: A.name2, scheduler: 'wrr', backends: ['tls1', 'tls2'], weights: [1, 1], https: true },
      { name: 'name-3', address: A.name3, scheduler: 'wrr', backends: ['tls1', 'tls2', 'tls-dead'], weights: [1, 1, 1], https: true, retry: false },
    );
  }
  return specs;
}

/** An HTTPS backend: what certificate it serves. */
export interface TlsBackendInfo {
  name: LbCourseBackendName;
  address: string;
  certificate: 'good' | 'expired' | 'other-name';
}

export interface LbCourse {
  vips: LabVip[];
  specs: CourseVipSpec[];
  tlsBackends: TlsBackendInfo[];
  control: { address: string; port: number };
  setOutOfService(vipName: string, backend: string, out: boolean): void;
  /** Which backends each VIP has out of service. */
  outOfService(): Record<string, string[]>;
  close(): Promise<void>;
}

/** The certificates: good (LB_NAME, LB_TLS_NAME and the HTTPS VIPs' addresses), expired, another name. */
async function certificates(pki: LabPki): Promise<Record<TlsBackendInfo['certificate'], LabCert>> {
  const t = pki.issuedAt.getTime();
  const names = [LB_TLS_NAME, LB_NAME];
  const ips = [A.https, A.httpsMixed, A.name1, A.name2, A.name3];
  const [good, expired, other] = await Promise.all([
    issueLeaf(pki.intermediate, { dnsNames: names, ipAddresses: ips, notBefore: new Date(t - DAY_MS), notAfter: new Date(t + 90 * DAY_MS) }),
    issueLeaf(pki.intermediate, { dnsNames: names, ipAddresses: ips, notBefore: new Date(t - 100 * DAY_MS), notAfter: new Date(t - 10 * DAY_MS) }),
    issueLeaf(pki.intermediate, { dnsNames: ['other.example.test'], notBefore: new Date(t - DAY_MS), notAfter: new Date(t + 90 * DAY_MS) }),
  ]);
  return { good, expired, 'other-name': other };
}

/** An HTTPS backend: like the HTTP ones (X-Backend, a body naming it), over TLS. */
function tlsBackendServer(name: string, address: string, cert: LabCert, pki: LabPki, port: () => number): https.Server {
  const server = https.createServer({ cert: cert.certPem + pki.intermediate.certPem, key: cert.keyPem, headersTimeout: IDLE_TIMEOUT_MS, requestTimeout: IDLE_TIMEOUT_MS, keepAliveTimeout: 1000 }, (req, res) => {
    req.resume();
    const body = `${name} ${address}:${port()}\n`;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-backend': name, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  server.on('tlsClientError', (_e, socket) => socket.destroy());
  server.on('clientError', (_e, socket: net.Socket) => socket.destroy());
  return server;
}

/** The control endpoint: fail and restore backends of the VIPs (the hash VIPs when no vip is named). */
function controlServer(course: () => LbCourse): http.Server {
  const server = http.createServer({ headersTimeout: IDLE_TIMEOUT_MS, requestTimeout: IDLE_TIMEOUT_MS }, (req, res) => {
    req.resume();
    const send = (status: number, body: unknown): void => {
      const text = `${JSON.stringify(body)}\n`;
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' }).end(text);
    };
    const url = new URL(req.url ?? '/', 'http://control');
    const c = course();
    if (req.method === 'GET' && url.pathname === '/') return send(200, { outOfService: c.outOfService() });
    const action = url.pathname === '/fail' ? true : url.pathname === '/restore' ? false : null;
    if (req.method !== 'POST' || action === null) return send(404, { error: 'GET /, POST /fail?backend=NAME[&vip=NAME], POST /restore?backend=NAME[&vip=NAME]' });
    const backend = url.searchParams.get('backend') ?? '';
    const vip = url.searchParams.get('vip');
    const vips = vip ? [vip] : ['hash-mod', 'hash-consistent'];
    try {
      for (const v of vips) c.setOutOfService(v, backend, action);
    } catch (e) {
      return send(400, { error: (e as Error).message });
    }
    send(200, { outOfService: c.outOfService() });
  });
  server.on('clientError', (_e, socket: net.Socket) => socket.destroy());
  return server;
}

/**
 * Start this part on `ports` (the first part's, fixed): the VIPs, the HTTPS backends and the
 * control endpoint when a PKI is given (the hash VIPs and the control endpoint always). `addressOf`:
 * a backend name of either part -> its address. Throws a listen error (the caller retries on other ports).
 */
export async function startLbCourse(ports: VipPorts, pki: LabPki | undefined, addressOf: (name: string) => string): Promise<LbCourse> {
  const specs = courseVipSpecs(pki !== undefined);
  const vips: LabVip[] = [];
  const servers: Tracked[] = [];
  const tlsBackends: TlsBackendInfo[] = pki
    ? [
      { name: 'tls1', address: A.tls1, certificate: 'good' },
      { name: 'tls2', address: A.tls2, certificate: 'good' },
      { name: 'tls3', address: A.tls3, certificate: 'expired' },
      { name: 'tls4', address: A.tls4, certificate: 'other-name' },
    ]
    : [];
  const close = async (): Promise<void> => {
    await Promise.all([...vips.map((v) => v.close()), ...servers.map((s) => s.close())]);
  };
  let course: LbCourse | undefined;
  try {
    if (pki) {
      const certs = await certificates(pki);
      for (const b of tlsBackends) {
        const t = new Tracked(tlsBackendServer(b.name, b.address, certs[b.certificate], pki, () => ports.httpPort));
        servers.push(t);
        await t.listen(ports.httpPort, b.address);
      }
    }
    for (const spec of specs) {
      const vip = new LabVip({ name: spec.name, address: spec.address, scheduler: spec.scheduler, backends: spec.backends.map((b) => ({ name: b, address: addressOf(b) })), weights: spec.weights, passthrough: spec.https, retry: spec.retry !== false });
      vips.push(vip);
      await vip.start(ports);
    }
    const control = new Tracked(controlServer(() => course!));
    servers.push(control);
    await control.listen(ports.httpPort, A.control);
    const vipOf = (name: string): { vip: LabVip; spec: CourseVipSpec } => {
      const i = specs.findIndex((s) => s.name === name);
      if (i < 0) throw new Error(`no VIP '${name}' (the hash VIPs are hash-mod and hash-consistent)`);
      return { vip: vips[i]!, spec: specs[i]! };
    };
    course = {
      vips,
      specs,
      tlsBackends,
      control: { address: A.control, port: ports.httpPort },
      setOutOfService(vipName, backend, out) {
        const { vip, spec } = vipOf(vipName);
        const i = spec.backends.indexOf(backend);
        if (i < 0) throw new Error(`VIP ${vipName} has no backend '${backend}' (it has ${spec.backends.join(', ')})`);
        if (out) vip.outOfService.add(i);
        else vip.outOfService.delete(i);
      },
      outOfService() {
        return Object.fromEntries(specs.map((s, k) => [s.name, [...vips[k]!.outOfService].map((i) => s.backends[i]!)]));
      },
      close,
    };
    return course;
  } catch (e) {
    await close();
    throw e;
  }
}
