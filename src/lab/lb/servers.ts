/**
 * The lab's backends and VIP listeners. Every server remembers its connections so that close()
 * (and taking a backend down) ends them at once; every socket has an idle timeout.
 */
import http from 'node:http';
import net from 'node:net';
import { closeServer, listen, trackConnections } from '../listen.js';

/** Idle connections are closed after this long. */
export const IDLE_TIMEOUT_MS = 10_000;


/** A server and the sockets it accepted. */
export class Tracked {
  readonly sockets: Set<net.Socket>;
  listening = false;

  constructor(readonly server: net.Server) {
    this.sockets = trackConnections(server);
  }

  async listen(port: number, address: string): Promise<number> {
    const p = await listen(this.server, port, address);
    this.listening = true;
    return p;
  }

  /** Destroy every connection and stop listening. Never rejects. */
  async close(): Promise<void> {
    const server = this.listening ? this.server : undefined;
    this.listening = false;
    await closeServer(server, this.sockets);
  }
}

export interface BackendIdentity {
  name: string;
  address: string;
}

/** The banner a backend sends first on its banner port, SMTP style. */
export function bannerLine(b: BackendIdentity, port: number): string {
  return `220 ${b.name}.lb.example.test ${b.address}:${port} netlab lab banner service`;
}

/**
 * A backend's HTTP server: every path answers 200 with `X-Backend: NAME` and a body naming the
 * backend (stable, so a body hash identifies it too); `X-Client-Address` shows who connected
 * (the VIP's address through the L4 relay: FULLNAT) and X-Forwarded-For-Seen what the L7 proxy added.
 */
export function backendHttpServer(b: BackendIdentity, port: () => number): http.Server {
  const server = http.createServer({ headersTimeout: IDLE_TIMEOUT_MS, requestTimeout: IDLE_TIMEOUT_MS, keepAliveTimeout: 1000 }, (req, res) => {
    req.resume();
    const body = `${b.name} ${b.address}:${port()}\n`;
    res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'x-backend': b.name,
      'x-client-address': req.socket.remoteAddress ?? '',
      ...(req.headers['x-forwarded-for'] ? { 'x-forwarded-for-seen': req.headers['x-forwarded-for'] } : {}),
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  server.on('clientError', (_e, socket: net.Socket) => socket.destroy());
  return server;
}

/** A backend's banner service: the banner line on connect; QUIT or idle closes. */
export function backendBannerServer(b: BackendIdentity, port: () => number): net.Server {
  return net.createServer((socket) => {
    socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => undefined);
    socket.write(`${bannerLine(b, port())}\r\n`);
    let buffered = '';
    socket.on('data', (d: Buffer) => {
      buffered = (buffered + d.toString('latin1')).slice(-512);
      if (/^QUIT\r?\n/im.test(buffered)) socket.end('221 bye\r\n');
    });
    socket.on('end', () => socket.end());
  });
}
