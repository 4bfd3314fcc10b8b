/**
 * Listening and closing for the HTTP lab: every server remembers its raw connections so
 * that close() ends them at once (keep-alive clients, TLS handshakes in progress and
 * requests still waiting on /delay included), and origin and edge each serve one handler
 * on an HTTPS and an HTTP port.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { closeServer, listen, trackConnections } from '../listen.js';

export { closeServer, listen, trackConnections };

export type LabTlsVersion = 'TLSv1.2' | 'TLSv1.3';


export interface HttpPairOptions {
  address: string;
  /** 0: a free port. */
  httpsPort: number;
  /** 0: a free port. */
  httpPort: number;
  /** Leaf then intermediate, PEM. */
  certChainPem: string;
  keyPem: string;
  /** Highest TLS version offered; TLS 1.2 is the floor. */
  tlsMaxVersion: LabTlsVersion;
  handler: http.RequestListener;
  /** How long an idle keep-alive connection stays open, ms. */
  keepAliveTimeoutMs: number;
}

export interface HttpPair {
  httpsPort: number;
  httpPort: number;
  close(): Promise<void>;
}

/** Bounds for every lab HTTP server: a client that stalls is dropped, never waited on forever. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
const HEADERS_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 30_000;

/** One handler on HTTPS and HTTP. Rejects with the first listen error and leaves nothing open. */
export async function startHttpPair(options: HttpPairOptions): Promise<HttpPair> {
  const common = { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, noDelay: true };
  const secure = https.createServer(
    {
      ...common,
      key: options.keyPem,
      cert: options.certChainPem,
      minVersion: 'TLSv1.2',
      maxVersion: options.tlsMaxVersion,
      // Only http/1.1: the phases the course compares are those of one HTTP/1.1 exchange.
      ALPNProtocols: ['http/1.1'],
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    },
    options.handler,
  );
  const plain = http.createServer(common, options.handler);
  const servers: Array<[net.Server, Set<net.Socket>]> = [];
  for (const s of [secure, plain]) {
    s.keepAliveTimeout = options.keepAliveTimeoutMs;
    // A client that aborts a handshake or sends garbage is the client's problem; drop it quietly.
    s.on('clientError', (_err, socket: net.Socket) => socket.destroy());
    servers.push([s, trackConnections(s)]);
  }
  secure.on('tlsClientError', (_err, socket) => socket.destroy());
  const closeAll = async (): Promise<void> => {
    await Promise.all(servers.map(([s, sockets]) => closeServer(s, sockets)));
  };
  try {
    const httpsPort = await listen(secure, options.httpsPort, options.address);
    const httpPort = await listen(plain, options.httpPort, options.address);
    return { httpsPort, httpPort, close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
