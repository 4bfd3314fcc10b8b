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
