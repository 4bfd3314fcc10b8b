/**
 * A lab VIP: one loopback address with three listeners sharing the lab's ports,
 *   httpPort    an L7 HTTP proxy (a fresh upstream connection per request, X-Forwarded-For, Via)
 *   tcpPort     an L4 TCP relay to the backends' HTTP port
 *   bannerPort  an L4 TCP relay to the backends' banner port
 * each with its own scheduler. The relays are FULLNAT-like: the upstream connection leaves from
 * the VIP's address, so a backend sees the VIP, not the client. A backend that refuses the
 * connection is skipped and the next one the scheduler gives is tried (nginx's
 * proxy_next_upstream error, HAProxy's redispatch); with none left, 502 (L7) or a close (L4).
 */
import http from 'node:http';
import net from 'node:net';
import { createScheduler, type Scheduler, type SchedulerName } from './schedulers.js';
import { IDLE_TIMEOUT_MS, Tracked } from './servers.js';

export interface VipBackend {
  name: string;
  address: string;
}

export interface VipPorts {
  httpPort: number;
  tcpPort: number;
  bannerPort: number;
}

export interface LabVipOptions {
  name: string;
  address: string;
  scheduler: SchedulerName;
  backends: VipBackend[];
  weights: number[];
  /** issue 16: the HTTP port relays TCP (TLS passthrough to HTTPS backends) instead of proxying HTTP. */
  passthrough?: boolean;
  /** issue 16: false: a backend that refuses is not skipped, the client's connection is closed (no health check, no redispatch). Default true. */
  retry?: boolean;
}

const CONNECT_TIMEOUT_MS = 3000;
const MAX_REQUEST_BODY = 1024 * 1024;

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

function withoutHopByHop(h: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = { ...h };
  for (const k of HOP_BY_HOP) delete out[k];
  return out;
}

export class LabVip {
  private readonly listeners: Tracked[] = [];
  private readonly upstreams = new Set<net.Socket>();
  private ports?: VipPorts;
  /** issue 16: backends (indexes) the VIP's health check has taken out of service: never picked. */
  readonly outOfService = new Set<number>();

  constructor(readonly options: LabVipOptions) {}

  get address(): string {
    return this.options.address;
  }

  /** Listen on the three ports (0: a free one each, the ports then read from `ports`). */
  async start(ports: VipPorts): Promise<VipPorts> {
    const l7 = new Tracked(this.options.passthrough
      ? this.tcpRelay(createScheduler(this.options.scheduler, this.options.weights), () => this.ports!.httpPort)
      : this.httpProxy(createScheduler(this.options.scheduler, this.options.weights)));
    const l4http = new Tracked(this.tcpRelay(createScheduler(this.options.scheduler, this.options.weights), () => this.ports!.httpPort));
    const l4banner = new Tracked(this.tcpRelay(createScheduler(this.options.scheduler, this.options.weights), () => this.ports!.bannerPort));
    this.listeners.push(l7, l4http, l4banner);
    try {
      const httpPort = await l7.listen(ports.httpPort, this.address);
      const tcpPort = await l4http.listen(ports.tcpPort, this.address);
      const bannerPort = await l4banner.listen(ports.bannerPort, this.address);
      this.ports = { httpPort, tcpPort, bannerPort };
      return this.ports;
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    for (const s of this.upstreams) s.destroy();
    this.upstreams.clear();
    await Promise.all(this.listeners.map((l) => l.close()));
  }

  /** The backends tried and those out of service. */
  private excluding(tried: Set<number>): ReadonlySet<number> {
    return this.outOfService.size === 0 ? tried : new Set([...tried, ...this.outOfService]);
  }

  private httpProxy(scheduler: Scheduler): http.Server {
    const server = http.createServer({ headersTimeout: IDLE_TIMEOUT_MS, requestTimeout: IDLE_TIMEOUT_MS, keepAliveTimeout: 1000 }, (req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_REQUEST_BODY) chunks.push(c);
      });
      req.on('error', () => res.destroy());
      req.on('end', () => {
        if (size > MAX_REQUEST_BODY) {
          res.writeHead(413, { 'content-type': 'text/plain' }).end('request body too large for the lab VIP\n');
          return;
        }
        this.forward(scheduler, req, res, Buffer.concat(chunks), new Set());
      });
    });
    server.on('clientError', (_e, socket: net.Socket) => socket.destroy());
    return server;
  }

  private forward(scheduler: Scheduler, req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, tried: Set<number>): void {
    const source = req.socket.remoteAddress ?? '';
    const i = scheduler.pick(source, this.excluding(tried));
    if (i === undefined || res.destroyed) {
      if (!res.headersSent && !res.destroyed) {
        const text = `no backend of VIP ${this.options.name} is available\n`;
        res.writeHead(502, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text), via: `1.1 netlab-lab-vip-${this.options.name}` }).end(text);
      }
      return;
    }
    const backend = this.options.backends[i]!;
    scheduler.acquire(i);
    let released = false;
    const release = (): void => {
      if (!released) {
        released = true;
        scheduler.release(i);
      }
    };
    const forwardedFor = [req.headers['x-forwarded-for'], source].filter(Boolean).join(', ');
    const headers = { ...withoutHopByHop(req.headers), 'x-forwarded-for': forwardedFor, 'x-forwarded-proto': 'http', connection: 'close' } as http.OutgoingHttpHeaders;
    if (body.length > 0) headers['content-length'] = body.length;
    let responded = false;
    const up = http.request({
      host: backend.address,
      port: this.ports!.httpPort,
      localAddress: this.address,
      method: req.method,
      path: req.url,
      headers,
      agent: false,
      timeout: IDLE_TIMEOUT_MS,
    });
    up.on('socket', (s: net.Socket) => {
      this.upstreams.add(s);
      s.on('close', () => this.upstreams.delete(s));
    });
    const connectTimer = setTimeout(() => up.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), CONNECT_TIMEOUT_MS);
    up.on('socket', (s: net.Socket) => s.once('connect', () => clearTimeout(connectTimer)));
    up.on('timeout', () => up.destroy(new Error('upstream idle')));
    up.on('response', (ur) => {
      responded = true;
      clearTimeout(connectTimer);
      const h = withoutHopByHop(ur.headers);
      h.via = `1.1 netlab-lab-vip-${this.options.name}`;
      res.writeHead(ur.statusCode ?? 502, h);
      ur.pipe(res);
      ur.on('end', release);
      ur.on('error', () => {
        release();
        res.destroy();
      });
      res.on('close', () => {
        release();
        ur.destroy();
      });
    });
    up.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      release();
      if (responded) {
        res.destroy();
        return;
      }
      // the backend is not there: the next one, as nginx's proxy_next_upstream error does
      tried.add(i);
      if (['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT', 'EADDRNOTAVAIL'].includes(e.code ?? '')) this.forward(scheduler, req, res, body, tried);
      else if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`upstream ${backend.name}: ${e.message}\n`);
      else res.destroy();
    });
    up.end(body);
  }

  private tcpRelay(scheduler: Scheduler, targetPort: () => number): net.Server {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
      const source = client.remoteAddress ?? '';
      const tried = new Set<number>();
      client.on('error', () => undefined);
      client.setTimeout(IDLE_TIMEOUT_MS, () => client.destroy());
      let current: net.Socket | undefined;
      client.on('close', () => current?.destroy());
      const attempt = (): void => {
        if (client.destroyed) return;
        const i = scheduler.pick(source, this.excluding(tried));
        if (i === undefined) {
          client.destroy();
          return;
        }
        scheduler.acquire(i);
        let released = false;
        const release = (): void => {
          if (!released) {
            released = true;
            scheduler.release(i);
          }
        };
        let connected = false;
        const up = net.connect({ host: this.options.backends[i]!.address, port: targetPort(), localAddress: this.address, allowHalfOpen: true });
        current = up;
        this.upstreams.add(up);
        up.setTimeout(IDLE_TIMEOUT_MS, () => up.destroy());
        const connectTimer = setTimeout(() => up.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), CONNECT_TIMEOUT_MS);
        up.on('connect', () => {
          connected = true;
          clearTimeout(connectTimer);
          client.pipe(up);
          up.pipe(client);
          client.resume();
        });
        up.on('error', () => {
          clearTimeout(connectTimer);
          release();
          if (!connected && this.options.retry !== false) {
            tried.add(i);
            attempt();
          } else {
            client.destroy();
          }
        });
        up.on('close', () => {
          clearTimeout(connectTimer);
          this.upstreams.delete(up);
          release();
          // the backend's FIN went on through the pipe; a close without one (a reset) ends the client too
          if (connected && !client.writableEnded) client.destroy();
        });
      };
      attempt();
    });
    return server;
  }
}
