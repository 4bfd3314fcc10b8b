/**
 * issue 15: bench section trace-h2's netlab side, in a process of its own (the lab's servers and
 * relay run in the bench process): timeRequests as trace-request calls it, one call per IPC
 * message, with h2, a number of requests per connection, or a session to resume. Warms up as
 * the CLI does first. Exits when the parent disconnects.
 */
import { readFileSync } from 'node:fs';
import { timeRequests, type SampleFailed, type SampleOk } from '../src/protocol/http/timing.js';
import { warmUp } from '../src/protocol/http/warm-up.js';

export interface H2WorkerRequest {
  url: string;
  pin: string;
  caFile: string;
  http2: boolean;
  requests: number;
  /** Resume this session (base64), or none; the reply carries the latest session. */
  session?: string;
}

export interface H2WorkerReply {
  /** The samples, without their session (Buffers do not cross IPC as such). */
  samples: Array<Omit<SampleOk, 'tlsSession'> | SampleFailed>;
  session?: string;
}

let warm: Promise<void> | undefined;

process.on('message', (m: H2WorkerRequest) => {
  void (async () => {
    const ca = readFileSync(m.caFile, 'utf8');
    await (warm ??= warmUp(true, { http2: true }));
    const got = await timeRequests(new URL(m.url), {
      pinAddress: m.pin, ca: [ca], timeoutMs: 10_000, http2: m.http2, requests: m.requests,
      ...(m.session ? { session: Buffer.from(m.session, 'base64') } : {}),
    });
    let session: string | undefined;
    const samples = got.map((s) => {
      if (!s.ok) return s;
      const { tlsSession, ...rest } = s;
      if (tlsSession) session = tlsSession.toString('base64');
      return rest;
    });
    const reply: H2WorkerReply = { samples, ...(session ? { session } : {}) };
    process.send!(reply);
  })();
});

process.on('disconnect', () => process.exit(0));
