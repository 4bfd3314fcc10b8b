/** Listening for the lab's TCP servers: one way to bind, shared by every part. */
import type net from 'node:net';

/** Listen on address:port (0: a free port). Resolves the port; rejects with the listen error. */
export function listen(server: net.Server, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: address, exclusive: true }, () => {
      server.off('error', reject);
      // Errors after listening (rare: EMFILE on accept) must not crash the lab's process.
      server.on('error', () => undefined);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** Keep `socket` in `open` until it closes, so that a lab server's close() can end it. */
export function trackSocket(open: Set<net.Socket>, socket: net.Socket): void {
  open.add(socket);
  socket.on('close', () => open.delete(socket));
}

/** Remember every connection a server accepts, raw TCP ones included (for TLS, before the handshake). */
export function trackConnections(server: net.Server): Set<net.Socket> {
  const open = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => trackSocket(open, socket));
  return open;
}

/** Destroy every tracked connection, then wait for the server (if any) to stop listening. Never rejects. */
export async function closeServer(server: net.Server | undefined, open: Set<net.Socket>): Promise<void> {
  for (const s of open) s.destroy();
  open.clear();
  // close() calls back with ERR_SERVER_NOT_RUNNING when listen never succeeded: nothing to do then.
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
}
