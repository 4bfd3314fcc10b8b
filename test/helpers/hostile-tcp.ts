/**
 * Misbehaving TCP, HTTP and TLS servers on loopback for the hostile-server tests of
 * trace-request, lb-probe and cert-check: one process (the test's), one listener per mode.
 * Every mode is bounded on the server side too: an endless body stops when the client goes
 * away, timers are cleared on close, and nothing listens outside 127.0.0.0/8.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';

/** What a listener does with each connection (after the TLS handshake when `tls` is set). */
export interface Mode {
  onConnection: (socket: net.Socket, server: Tracker) => void;
  /** Serve TLS with this chain and key; without it, plain TCP. */
  tls?: { certChainPem: string; keyPem: string };
}

/** Timers and sockets of one listener, all cleared on close. */
export class Tracker {
  readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Bytes written by the endless modes, so a test can see the client stopped reading. */
  bytesWritten = 0;
  connections = 0;

  every(ms: number, socket: net.Socket, fn: () => void): void {
    const t = setInterval(() => {
      if (socket.destroyed) {
        clearInterval(t);
        this.timers.delete(t);
        return;
      }
      fn();
    }, ms);
    this.timers.add(t);
  }

  clear(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
  }
}

export interface HostileListener {
  address: string;
  port: number;
  /** `address:port` */
  hostPort: string;
  tracker: Tracker;
}

export interface HostileServers<K extends string> {
  of: Record<K, HostileListener>;
  close(): Promise<void>;
}

/** Start one listener per mode on `address` (each on its own free port). */
export async function startHostileServers<K extends string>(modes: Record<K, Mode>, address = '127.0.0.1'): Promise<HostileServers<K>> {
  const servers: net.Server[] = [];
  const trackers: Tracker[] = [];
  const of = {} as Record<K, HostileListener>;
  for (const key of Object.keys(modes) as K[]) {
    const mode = modes[key];
    const tracker = new Tracker();
    trackers.push(tracker);
    const handle = (socket: net.Socket) => {
      tracker.connections++;
      tracker.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => tracker.sockets.delete(socket));
      mode.onConnection(socket, tracker);
    };
    const server = mode.tls
      ? tls.createServer({ cert: mode.tls.certChainPem, key: mode.tls.keyPem }, handle)
      : net.createServer(handle);
    if (mode.tls) server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, address, () => resolve());
    });
    servers.push(server);
    const port = (server.address() as net.AddressInfo).port;
    of[key] = { address, port, hostPort: `${address}:${port}`, tracker };
  }
  return {
    of,
    close: async () => {
      for (const t of trackers) t.clear();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

/** Wait for the first request's header block (bounded: 64 KiB), then act. */
function afterRequest(socket: net.Socket, act: () => void): void {
  let seen = '';
  const onData = (d: Buffer) => {
    seen += d.toString('latin1');
    if (seen.includes('\r\n\r\n') || seen.length > 65536) {
      socket.off('data', onData);
      act();
    }
  };
  socket.on('data', onData);
}

const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n';

/** The usual modes; each returns a fresh Mode, so a test can set `tls` on it. */
export const modes = {
  /** Accepts, never sends a byte. */
  silent: (): Mode => ({ onConnection: () => undefined }),
  /** Accepts and resets the connection at once. */
  reset: (): Mode => ({ onConnection: (s) => s.resetAndDestroy() }),
  /** Sends bytes that are no protocol at all, then closes. */
  garbage: (bytes = Buffer.from('\x00\xffgarbage\x07\r\n\x1b[31mnot http\r\n\r\n')): Mode => ({
    onConnection: (s) => afterRequest(s, () => s.end(bytes)),
  }),
  /** Sends garbage at once, without waiting for a request (a TCP banner that is no HTTP). */
  garbageBanner: (bytes = Buffer.from('\x00\xff\xfe garbage\r\n')): Mode => ({ onConnection: (s) => s.end(bytes) }),
  /** A status line and headers, then nothing more. */
  headersThenStall: (): Mode => ({
    onConnection: (s) => afterRequest(s, () => s.write(`${HEAD}Content-Length: 100\r\n\r\n`)),
  }),
  /** A status line, then one header byte at a time, never ending the header block. */
  headersDrip: (everyMs = 200): Mode => ({
    onConnection: (s, t) => afterRequest(s, () => {
      s.write(`${HEAD}X-Drip: `);
      t.every(everyMs, s, () => s.write('a'));
    }),
  }),
  /** Content-Length: 1 TB, and as many bytes as the client will take. */
  endlessBody: (): Mode => ({
    onConnection: (s, t) => afterRequest(s, () => {
      s.write(`${HEAD}Content-Length: 1000000000000\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        while (!s.destroyed && s.write(chunk)) t.bytesWritten += chunk.length;
      };
      s.on('drain', pump);
      pump();
    }),
  }),
  /** A body of one byte every `everyMs`, never complete. */
  dripBody: (everyMs = 500): Mode => ({
    onConnection: (s, t) => afterRequest(s, () => {
      s.write(`${HEAD}Content-Length: 1000000\r\n\r\n`);
      t.every(everyMs, s, () => {
        s.write('a');
        t.bytesWritten++;
      });
    }),
  }),
  /** Transfer-Encoding: chunked, with chunks forever and never the last one. */
  endlessChunked: (everyMs = 5): Mode => ({
    onConnection: (s, t) => afterRequest(s, () => {
      s.write(`${HEAD}Transfer-Encoding: chunked\r\n\r\n`);
      t.every(everyMs, s, () => {
        s.write('400\r\n' + 'b'.repeat(1024) + '\r\n');
        t.bytesWritten += 1024;
      });
    }),
  }),
  /** `103 Early Hints` responses, one every `everyMs`, never the final response. */
  informationalDrip: (everyMs = 100): Mode => ({
    onConnection: (s, t) => afterRequest(s, () => {
      t.every(everyMs, s, () => s.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n'));
    }),
  }),
  /** As many `103` responses as the client will take, as fast as it takes them. */
  informationalFlood: (): Mode => ({
    onConnection: (s, t) => afterRequest(s, () => {
      const one = Buffer.from('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n'.repeat(256));
      const pump = () => {
        while (!s.destroyed && s.write(one)) t.bytesWritten += one.length;
      };
      s.on('drain', pump);
      pump();
    }),
  }),
  /** A valid response with `count` headers of `size` bytes each, then a small body. */
  hugeHeaders: (count: number, size: number, backend = 'b1'): Mode => {
    // the answer is built and encoded once, not per connection (hundreds of probes each)
    const value = 'v'.repeat(size);
    let head = `${HEAD}X-Backend: ${backend}\r\nContent-Length: 2\r\nConnection: close\r\n`;
    for (let i = 0; i < count; i++) head += `X-Pad-${i}: ${value}\r\n`;
    const answer = Buffer.from(`${head}\r\nok`);
    return { onConnection: (s) => afterRequest(s, () => s.end(answer)) };
  },
  /** A TCP banner of `bytes` bytes whose first line is `firstLine`, then close. */
  hugeBanner: (bytes: number, firstLine = 'backend-1 ready'): Mode => {
    // encoded once, not per connection: a 1 MB first line 500 times was 500 MB of encoding
    const head = Buffer.from(`${firstLine}\r\n`);
    const rest = Math.max(0, bytes - firstLine.length - 2);
    const chunk = Buffer.alloc(Math.min(rest, 1024 * 1024), 0x7a);
    return { onConnection: (s) => {
      s.write(head);
      let left = rest;
      const pump = () => {
        while (left > 0 && !s.destroyed) {
          const piece = chunk.subarray(0, Math.min(left, chunk.length));
          left -= piece.length;
          if (!s.write(piece)) return;
        }
        if (left === 0) s.end();
      };
      s.on('drain', pump);
      pump();
    } };
  },
  /** A TCP banner that arrives one byte at a time (the first line split over many segments). */
  bannerInPieces: (line = 'backend-2 ready', everyMs = 20): Mode => ({
    onConnection: (s, t) => {
      const bytes = Buffer.from(`${line}\r\nmore after the first line\r\n`);
      let i = 0;
      t.every(everyMs, s, () => {
        if (i < bytes.length) s.write(bytes.subarray(i, ++i));
        else s.end();
      });
    },
  }),
  /**
   * The same TCP banner segmented two ways: whole in one write on odd connections (the 1st,
   * 3rd, ...), in writes of `pieceBytes` every `everyMs` on even ones. Its first line is long
   * (over 1 KiB by default), so a reader that keeps "whatever the first reads brought" sees a
   * different line each way.
   */
  bannerSplitAlternately: (line = `backend-3 ${'x'.repeat(3000)}`, pieceBytes = 100, everyMs = 1): Mode => ({
    onConnection: (s, t) => {
      const bytes = Buffer.from(`${line}\r\nmore after the first line\r\n`);
      if (t.connections % 2 === 1) {
        s.end(bytes);
        return;
      }
      let i = 0;
      t.every(everyMs, s, () => {
        if (i < bytes.length) s.write(bytes.subarray(i, (i += pieceBytes)));
        else if (!s.writableEnded) s.end();
      });
    },
  }),
  /** A valid, small HTTP answer (X-Backend: `backend`), sent `delayMs` after the request. */
  slowAnswer: (delayMs: number, backend = 'slow1'): Mode => ({
    onConnection: (s, t) => afterRequest(s, () => {
      t.every(delayMs, s, () => {
        if (!s.writableEnded) s.end(`${HEAD}X-Backend: ${backend}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok`);
      });
    }),
  }),
  /**
   * A real TLS server's first record (the ServerHello, made with `chain`), then `garbage` and
   * close: a handshake that starts right and breaks (`bytesWritten` counts the ServerHello sent). The listener itself is plain TCP (no
   * `tls` on the mode): a TLS server runs in memory behind it and only its first record goes out.
   */
  garbageAfterServerHello: (chain: { certChainPem: string; keyPem: string }, garbage = Buffer.concat([Buffer.from([0x17, 0x03, 0x03, 0x00, 0x20]), Buffer.alloc(32, 0x5a)])): Mode => ({
    onConnection: (s, t) => {
      let out = Buffer.alloc(0);
      let sent = false;
      // the in-memory TLS server's transport: what the client sends goes in, its output is held
      const inner = new Duplex({
        read: () => undefined,
        write: (chunk: Buffer, _enc, done) => {
          if (!sent) {
            out = Buffer.concat([out, chunk]);
            if (out.length >= 5 && out.length >= 5 + out.readUInt16BE(3)) {
              sent = true;
              t.bytesWritten += 5 + out.readUInt16BE(3);
              s.write(out.subarray(0, 5 + out.readUInt16BE(3)));
              s.end(garbage);
            }
          }
          done();
        },
      });
      const server = new tls.TLSSocket(inner as unknown as net.Socket, { isServer: true, cert: chain.certChainPem, key: chain.keyPem });
      server.on('error', () => undefined);
      s.on('data', (d: Buffer) => inner.push(d));
      s.on('close', () => {
        server.destroy();
        inner.destroy();
      });
    },
  }),
};
