/**
 * The lab puts each server on its own loopback address, all on one port number, so that a
 * user remembers one port. With port 0 the first server lets the OS choose and the rest
 * take the same number, which another process may hold on one of the other addresses: then
 * everything started is closed and the group tries again.
 */
export interface Closable {
  close(): Promise<void>;
}

/**
 * Run `attempt` until it succeeds: once when the ports are fixed, up to `attempts` times when
 * they are chosen freely. `track` registers what to close when an attempt fails.
 * Throws the last attempt's error.
 */
export async function retryWhilePortTaken<T>(fixed: boolean, attempt: (track: (c: Closable) => void) => Promise<T>, attempts = 20): Promise<T> {
  let last: unknown;
  for (let i = 0; i < (fixed ? 1 : attempts); i++) {
    const started: Closable[] = [];
    try {
      return await attempt((c) => started.push(c));
    } catch (e) {
      last = e;
      await Promise.all(started.map((c) => c.close()));
    }
  }
  throw last;
}

/** Start servers one after another on one common port (0: the first one picks it). */
export function startOnCommonPort<S extends Closable & { start(): Promise<void>; readonly port: number }>(
  wanted: number,
  makers: ReadonlyArray<(port: number) => S>,
): Promise<S[]> {
  return retryWhilePortTaken(wanted !== 0, async (track) => {
    const servers: S[] = [];
    let port = wanted;
    for (const make of makers) {
      const s = make(port);
      await s.start();
      track(s);
      port = s.port;
      servers.push(s);
    }
    return servers;
  });
}
