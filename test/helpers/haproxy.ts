/** Reading HAProxy's own counters, for the interop test and the benchmark. */
import net from 'node:net';

/** `show stat` over the stats socket: one row per proxy/server, column -> value. Rejects after 5 s. */
export function readHaproxyStats(socketPath: string): Promise<Array<Record<string, string>>> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(socketPath);
    let text = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('the HAProxy stats socket did not answer in 5 s'));
    }, 5000);
    sock.on('connect', () => sock.write('show stat\n'));
    sock.setEncoding('utf8').on('data', (d: string) => (text += d));
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      const lines = text.split('\n').filter((l) => l.trim() !== '');
      const head = lines[0]?.replace(/^# /, '').split(',') ?? [];
      resolve(lines.slice(1).map((line) => {
        const f = line.split(',');
        const row: Record<string, string> = {};
        head.forEach((h, i) => (row[h] = f[i] ?? ''));
        return row;
      }));
    });
  });
}
