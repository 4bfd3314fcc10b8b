/**
 * A user-space latency relay: it accepts TCP connections on one address:port, opens one to a
 * target for each, and holds every chunk, in each direction, for RTT/2 before passing it on,
 * in the order it came. The TLS handshake, the request and the response through it then pay
 * real round trips on loopback, without root (no tc/netem).
 *
 * What it cannot delay is the TCP handshake: the kernel answers the client's SYN with a
 * SYN-ACK before the relay's accept() returns, so the client's connect() completes at once.
 * Nothing in user space changes that without privileges (netem, an NFQUEUE or a TUN device
 * all need CAP_NET_ADMIN; TCP_DEFER_ACCEPT only delays accept(), the SYN-ACK still goes at
 * once; a full accept backlog makes the client retry its SYN after a whole second). So the
 * tcp phase through a relay shows about 0 ms where the course counts one RTT.
 *
 * Bounded: per direction, at most `maxBufferedBytes` wait in the relay (queue plus socket
 * buffer) before it stops reading that side, and TCP flow control pushes back on the sender.
 * A throughput ceiling follows (about maxBufferedBytes per RTT/2), as a TCP window gives one.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { closeServer, listen, trackConnections } from './listen.js';

/** For the lab's output: why the tcp phase through a relay is about zero. */
export const RELAY_TCP_NOTE =
  'the far/near relays delay data, not the TCP handshake: the kernel completes connect() to a relay at once, ' +
  'so the tcp phase through a relay shows ~0 ms (the course counts 1 RTT); TLS, request and response pay the RTT';

export interface RelayOptions {
  listenAddress: string;
  /** 0: a free port. */
  listenPort: number;
  targetAddress: string;
  targetPort: number;
  /** Round trip added, ms: each direction is delayed by half. */
  rttMs: number;
  /** Per direction, bytes held before the relay stops reading. Default 4 MiB. */
  maxBufferedBytes?: number;
  /** A connection idle this long on the client side is closed. Default 60000. */
  idleTimeoutMs?: number;
}

interface Pending {
  /** performance.now() at which it may go. */
  due: number;
  /** undefined: the end of the stream (a FIN), passed on in order after the data. */
  chunk?: Buffer;
}

/**
 * One direction of a relayed connection: a FIFO of chunks, each released no earlier than
 * `delayMs` after it was read. One timer, for the head of the queue: the delay is the same for
 * every chunk, so due times only grow and the order is kept by construction.
 */
class DelayedPipe {
  private readonly queue: Pending[] = [];
  private head = 0;
  private queuedBytes = 0;
  private timer?: NodeJS.Timeout;
  private disposed = false;

  constructor(
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    delayMs: number,
    private readonly maxBufferedBytes: number,
  ) {
    from.on('data', (chunk: Buffer) => {
      this.queue.push({ due: performance.now() + delayMs, chunk });
      this.queuedBytes += chunk.length;
      if (this.queuedBytes + to.writableLength > maxBufferedBytes) from.pause();
      this.arm();
    });
    // With allowHalfOpen, a FIN from one side becomes a FIN to the other, RTT/2 later.
    from.on('end', () => {
      this.queue.push({ due: performance.now() + delayMs });
      this.arm();
    });
    to.on('drain', () => this.maybeResume());
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.head = 0;
    this.queuedBytes = 0;
  }

  private arm(): void {
    if (this.timer || this.disposed) return;
    const next = this.queue[this.head];
    if (!next) return;
    // Whole milliseconds, rounded up; flush() re-checks on performance.now() (see clock.ts).
    this.timer = setTimeout(() => this.flush(), Math.max(0, Math.ceil(next.due - performance.now())));
  }

  private flush(): void {
    this.timer = undefined;
    const now = performance.now();
    const to = this.to;
    // Chunks due together leave in one write where possible (cork), as the sender's TCP would
    // have coalesced them; the relay's sockets have Nagle off, so nothing waits for an ACK.
    to.cork();
    let next = this.queue[this.head];
    while (next && next.due <= now) {
      this.head++;
      if (next.chunk) {
        this.queuedBytes -= next.chunk.length;
        if (!to.destroyed) to.write(next.chunk);
      } else if (!to.destroyed) {
        to.end();
      }
      next = this.queue[this.head];
    }
    to.uncork();
    // Drop the released prefix now and then rather than shift() per chunk.
    if (this.head > 1024 || this.head === this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.maybeResume();
    this.arm();
  }

  private maybeResume(): void {
    if (this.disposed || this.from.destroyed || !this.from.isPaused()) return;
    if (this.queuedBytes + this.to.writableLength <= this.maxBufferedBytes) this.from.resume();
  }
}

/** A relay from one listening address:port to one target, adding `rttMs` to every round trip. */
export class LatencyRelay {
  private server?: net.Server;
  private sockets = new Set<net.Socket>();
  private readonly pairs = new Set<{ client: net.Socket; target: net.Socket; pipes: DelayedPipe[] }>();
  private port_: number;

  constructor(private readonly options: RelayOptions) {
    this.port_ = options.listenPort;
  }

  get address(): string {
    return this.options.listenAddress;
  }

  /** Valid after start(). */
  get port(): number {
    return this.port_;
  }

  get rttMs(): number {
    return this.options.rttMs;
  }

  /** Listen. Rejects with the listen error and leaves nothing open. */
  async start(): Promise<void> {
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => this.relay(client));
    this.sockets = trackConnections(server);
    try {
      this.port_ = await listen(server, this.options.listenPort, this.options.listenAddress);
    } catch (e) {
      await closeServer(server, this.sockets);
      throw e;
    }
    this.server = server;
  }

  async close(): Promise<void> {
    for (const p of this.pairs) {
      for (const pipe of p.pipes) pipe.dispose();
      p.client.destroy();
      p.target.destroy();
    }
    this.pairs.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server, this.sockets);
  }

  private relay(client: net.Socket): void {
    const o = this.options;
    const oneWayMs = o.rttMs / 2;
    const max = o.maxBufferedBytes ?? 4 * 1024 * 1024;
    // The target connection starts now; what the client sends meanwhile waits in the queue and
    // then in the socket's own buffer until it connects.
    const target = net.connect({ host: o.targetAddress, port: o.targetPort, allowHalfOpen: true, noDelay: true });
    // Nagle off on both sides: a delayed chunk must go when it is due, not when the previous
    // one is acknowledged (with delayed ACKs that can be 40 ms on Linux loopback).
    client.setNoDelay(true);
    const pipes = [new DelayedPipe(client, target, oneWayMs, max), new DelayedPipe(target, client, oneWayMs, max)];
    const pair = { client, target, pipes };
    this.pairs.add(pair);
    // A reset or error on either side ends both at once: no half-dead pairs to hold buffers.
    const destroyBoth = (): void => {
      for (const pipe of pipes) pipe.dispose();
      client.destroy();
      target.destroy();
    };
    client.on('error', destroyBoth);
    target.on('error', destroyBoth);
    client.setTimeout(o.idleTimeoutMs ?? 60_000, destroyBoth);
    let closed = 0;
    const onClose = (): void => {
      if (++closed === 2) {
        for (const pipe of pipes) pipe.dispose();
        this.pairs.delete(pair);
      }
    };
    client.on('close', onClose);
    target.on('close', onClose);
  }
}
