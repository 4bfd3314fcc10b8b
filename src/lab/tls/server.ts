/**
 * One lab HTTPS server: a Node TLS server with a fixed certificate chain that answers every
 * request with a tiny HTTP/1.1 response naming its case, then closes. No HTTP parser is
 * needed: the request is read up to the end of its header block and only the method matters
 * (a HEAD gets no body).
 */
import { closeServer, listen, trackSocket } from '../listen.js';
import net from 'node:net';
import tls from 'node:tls';

export interface TlsServerOptions {
  address: string;
  /** 0: a free port (read it back from `port` after start). */
  port: number;
  /**
   * The chain as a PEM bundle, leaf first. Node loads the first certificate as the server's
   * and sends the others after it in exactly this order (SSL_CTX_add1_chain_cert), and
   * OpenSSL builds no chain of its own once any extra certificate is configured.
   */
  certChainPem: string;
  /** PKCS#8 PEM of the leaf's private key. */
  keyPem: string;
  /** OpenSSL cipher string; `DEFAULT:@SECLEVEL=0` lets a weak key or SHA-1 chain load. */
  ciphers?: string;
  /** Response body (a newline is appended). */
  body: string;
  /** Close a connection that is idle (handshake included) this long. Default 5000. */
  idleTimeoutMs?: number;
  /** A DER OCSP response to staple for clients that ask (status_request). */
  ocspResponse?: Buffer;
  /** Require a client certificate issued by this CA (PEM): the handshake fails without one. */
  requireClientCertFrom?: string;
  /** TLS versions offered; default Node's (TLS 1.2 and 1.3). */
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
}

/** Request headers larger than this get their answer at once instead of waiting for the end. */
const MAX_HEADER_BYTES = 16 * 1024;

/** The response to one request; exported for tests. */
export function labHttpResponse(method: string, body: string): string {
  const payload = `${body}\n`;
  const head = [
    'HTTP/1.1 200 OK',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(payload)}`,
    'Connection: close',
    'Server: netlab-lab',
    '',
    '',
  ].join('\r\n');
  return method === 'HEAD' ? head : head + payload;
}

export class LabTlsServer {
  private server?: tls.Server;
  /** Open connections (raw TCP ones too, for handshakes in progress), ended by close(). */
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly options: TlsServerOptions) {}

  get address(): string {
    return this.options.address;
  }

  get port(): number {
    return this.options.port;
  }

  /** Listen. Rejects with the listen error (EADDRINUSE, EADDRNOTAVAIL) and leaves nothing open. */
  async start(): Promise<void> {
    const idleMs = this.options.idleTimeoutMs ?? 5000;
    const server = tls.createServer({
      key: this.options.keyPem,
      cert: this.options.certChainPem,
      ciphers: this.options.ciphers,
      // Offer http/1.1 to clients that ask (curl, undici); the body is the same either way.
      ALPNProtocols: ['http/1.1'],
      handshakeTimeout: idleMs,
      ...(this.options.requireClientCertFrom ? { requestCert: true, rejectUnauthorized: true, ca: this.options.requireClientCertFrom } : {}),
      ...(this.options.minVersion ? { minVersion: this.options.minVersion } : {}),
      ...(this.options.maxVersion ? { maxVersion: this.options.maxVersion } : {}),
    });
    server.on('connection', (raw: net.Socket) => this.track(raw));
    const staple = this.options.ocspResponse;
    if (staple) server.on('OCSPRequest', (_cert: Buffer, _issuer: Buffer, done: (err: Error | null, response?: Buffer) => void) => done(null, staple));
    // A client that gives up on the certificate aborts the handshake: that is the lab working.
    server.on('tlsClientError', (_err, socket) => socket.destroy());
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      this.track(socket);
      // handshakeTimeout bounds the handshake; this bounds a client that then sends nothing.
      socket.setTimeout(idleMs, () => socket.destroy());
      this.serve(socket);
    });
    this.options.port = await listen(server, this.options.port, this.options.address);
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server, this.sockets);
  }

  private track(socket: net.Socket): void {
    trackSocket(this.sockets, socket);
  }

  private serve(socket: tls.TLSSocket): void {
    socket.on('error', () => socket.destroy());
    let head = '';
    let answered = false;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      if (answered) return;
      head += chunk;
      if (!head.includes('\r\n\r\n') && !head.includes('\n\n') && head.length < MAX_HEADER_BYTES) return;
      answered = true;
      const method = /^([A-Z]+) /.exec(head)?.[1] ?? 'GET';
      socket.end(labHttpResponse(method, this.options.body));
    });
  }
}
