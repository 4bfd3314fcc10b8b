/**
 * A misbehaving DNS server on loopback for the hostile-server tests: it decodes nothing it
 * does not have to and answers whatever bytes the test's behaviour returns.
 */
import dgram from 'node:dgram';
import net from 'node:net';

export interface QueryInfo {
  /** The raw query. */
  bytes: Buffer;
  id: number;
  /** Offset just past the question (header + qname + type + class). */
  questionEnd: number;
}

export type Reply = { bytes: Buffer; delayMs?: number; from?: 'other-address' };

export interface HostileOptions {
  udp: (q: QueryInfo) => Reply[];
  /** Raw bytes to write on a TCP connection (already framed or not: the test decides). */
  tcp?: (q: QueryInfo, socket: net.Socket) => void;
}

export interface HostileServer {
  address: string;
  port: number;
  close(): Promise<void>;
}

function info(bytes: Buffer): QueryInfo {
  let p = 12;
  while (p < bytes.length && bytes[p] !== 0) p += bytes[p]! + 1;
  return { bytes, id: bytes.readUInt16BE(0), questionEnd: p + 5 };
}

/** Start it on a free port; the TCP side takes the UDP side's port, so retry when that is taken. */
export async function startHostile(options: HostileOptions, address = '127.0.0.1'): Promise<HostileServer> {
  let last: unknown;
  for (let i = 0; i < 10; i++) {
    try {
      return await startHostileOnce(options, address);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

async function startHostileOnce(options: HostileOptions, address: string): Promise<HostileServer> {
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, address, () => r()));
  const port = udp.address().port;
  // a second socket on another loopback address, to send spoofed replies from
  const other = dgram.createSocket('udp4');
  await new Promise<void>((r) => other.bind(0, '127.0.0.2', () => r()));
  const timers = new Set<NodeJS.Timeout>();
  udp.on('message', (msg, rinfo) => {
    if (msg.length < 12) return;
    for (const reply of options.udp(info(msg))) {
      const send = () => (reply.from === 'other-address' ? other : udp).send(reply.bytes, rinfo.port, rinfo.address);
      if (reply.delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, reply.delayMs);
        timers.add(t);
      } else send();
    }
  });
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const q = info(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        if (options.tcp) options.tcp(q, s);
        else s.destroy();
      }
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, address, () => resolve());
    });
  } catch (e) {
    udp.close();
    other.close();
    throw e;
  }
  return {
    address,
    port,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => other.close(() => r())),
        new Promise<void>((r) => tcp.close(() => r())),
      ]);
    },
  };
}

/** A well-formed answer to the query: one A record 192.0.2.1 (or the given RDATA), QR+AA set. */
export function goodReply(q: QueryInfo, options: { id?: number; rdata?: Buffer; type?: number; tc?: boolean; rcode?: number; answers?: number } = {}): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(options.id ?? q.id, 0);
  header.writeUInt16BE(0x8400 | (options.tc ? 0x0200 : 0) | (options.rcode ?? 0), 2);
  header.writeUInt16BE(1, 4);
  const n = options.answers ?? 1;
  header.writeUInt16BE(n, 6);
  const question = q.bytes.subarray(12, q.questionEnd);
  const rdata = options.rdata ?? Buffer.from([192, 0, 2, 1]);
  const rrs: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
    rr.writeUInt16BE(options.type ?? 1, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(60, 6);
    rr.writeUInt16BE(rdata.length, 10);
    rrs.push(rr, rdata);
  }
  return Buffer.concat([header, question, ...rrs]);
}
