/**
 * Zone transfers over TCP, as dig does them: AXFR (RFC 5936) and IXFR (RFC 1995), the
 * multi-message stream read until the closing SOA (AXFR, or an IXFR answered AXFR-style), the
 * last difference sequence (incremental IXFR), or the single SOA of a zone that is up to date;
 * TSIG-signed (RFC 8945) when a key is given, every message verified. Bounded by records, bytes,
 * messages, a timeout per read and an overall one. The stream's logic (XfrStream, xfrQuery) is
 * pure; transfer() is the socket around it.
 */
import { serialNewer } from './serial.js';
import { NetlabError } from '../../errors.js';
import { roundMs } from '../../util/round.js';
import { socketErrorReason } from '../../util/net-errors.js';
import { nodeCrypto, nodeNet } from '../../util/builtins.js';
import { canonicalName } from './names.js';
import { decodeMessage, encodeMessage, frame, FrameReader, type DnsMessage, type DnsRecord } from './wire.js';
import { signTsig, tsigErrorName, TsigVerifier, type TsigKey, type TsigRecord } from './tsig.js';
import type { Server } from './transport.js';

/** Why a transfer did not complete: the server's RCODE, a stream cut or bounded, a bad TSIG, no server. */
export type XfrFailureCode = 'REFUSED' | 'ERROR_RCODE' | 'XFR_INCOMPLETE' | 'TSIG_INVALID' | 'TIMEOUT' | 'UNREACHABLE' | 'MALFORMED_REPLY' | 'INTERRUPTED';

/** Options of transfer(); defaults: AXFR, class IN, 5000 ms per read, 600,000 ms in all, 2,000,000 records, 1 GiB. */
export interface XfrOptions {
  /** The zone (presentation form). */
  zone: string;
  type?: 'AXFR' | 'IXFR';
  /** IXFR: the serial the client has (sent as the SOA of the authority section). */
  serial?: number;
  /** Default 1 (IN). */
  class?: number;
  /** Sign the request and verify every message of the answer. */
  tsig?: TsigKey;
  /** Connecting, and waiting for each piece of the stream, milliseconds. */
  timeoutMs?: number;
  /** The whole transfer, milliseconds. */
  totalTimeoutMs?: number;
  maxRecords?: number;
  maxBytes?: number;
  signal?: AbortSignal;
  /** Each message's records (and its TSIG record) as they arrive, in order: a caller can print a large zone as it comes. */
  onMessage?: (records: readonly DnsRecord[], tsig: TsigRecord | undefined) => void;
  /** false: do not keep the records in the result (`records` stays empty; onMessage has them). Default true. */
  keepRecords?: boolean;
}

/** A TSIG record of the answer, and how many zone records came before it (where dig prints it). */
export interface XfrTsig {
  after: number;
  record: TsigRecord;
}

/** A transfer's outcome: the records in order (TSIG records apart), the counts dig's XFR size line shows. */
export interface XfrResult {
  server: Server;
  zone: string;
  type: 'AXFR' | 'IXFR';
  /** The transfer reached its end. */
  complete: boolean;
  /** How the server answered: a full zone (`axfr`, an IXFR too when answered so), `incremental` differences, or `up-to-date` (one SOA). */
  kind?: 'axfr' | 'incremental' | 'up-to-date';
  /** RCODE of the first message that was not NOERROR, else NOERROR; null with no answer. */
  rcode: string | null;
  records: DnsRecord[];
  /** Records received (also when they were not kept, see XfrOptions.keepRecords). */
  recordCount: number;
  tsig: XfrTsig[];
  /** Messages and bytes received (DNS messages, without the TCP length prefixes), as dig counts them. */
  messages: number;
  bytes: number;
  /** From sending the request to the last message, milliseconds. */
  timeMs: number;
  failure?: { code: XfrFailureCode; message: string };
  /** When a TSIG did not verify: BIND's reason (`tsig indicates error`, `tsig verify failure`...). */
  tsigError?: string;
}

/** Default bound on the records of one transfer. */
export const XFR_MAX_RECORDS = 2_000_000;
/** Default bound on the bytes of one transfer. */
export const XFR_MAX_BYTES = 1024 * 1024 * 1024;

/** Messages without a record allowed in one transfer. */
export const MAX_EMPTY_MESSAGES = 100;

/**
 * The records of a transfer as they come, message after message, and whether the stream has
 * ended: the pure part of transfer(). `add` returns true at the end, and throws NetlabError
 * MALFORMED_PACKET for a stream that is not a transfer of the zone (first record not its SOA).
 */
export class XfrStream {
  /** The records so far (none kept with `keep` false). */
  readonly records: DnsRecord[] = [];
  /** How many records so far. */
  count = 0;
  kind?: XfrResult['kind'];
  done = false;
  private firstSerial = 0;
  private phase: 'deletions' | 'additions' = 'deletions';

  constructor(private readonly zone: string, private readonly type: 'AXFR' | 'IXFR', private readonly serial?: number, private readonly keep = true) {}

  /** Take the next message's answer records; returns true at the end of the transfer. `taken` receives those that count. */
  add(answers: readonly DnsRecord[], taken?: DnsRecord[]): boolean {
    for (const r of answers) {
      if (this.done) break; // nothing after the end counts, as in dig
      if (r.typeCode === 250) continue;
      const soa = r.rdata.type === 'SOA' ? r.rdata : undefined;
      if (this.count === 0) {
        if (!soa || canonicalName(r.name) !== canonicalName(this.zone)) {
          throw new NetlabError('MALFORMED_PACKET', `the transfer does not start with the SOA of ${this.zone} (got ${r.name} ${r.type})`);
        }
        this.push(r, taken);
        this.firstSerial = soa.serial;
        // RFC 1995 2: a single SOA when the client's version is as new as the server's
        if (this.type === 'IXFR' && this.serial !== undefined && !serialNewer(soa.serial, this.serial)) {
          this.kind = 'up-to-date';
          this.done = true;
        }
        continue;
      }
      this.push(r, taken);
      if (this.count === 2) {
        this.kind = this.type === 'IXFR' && soa ? 'incremental' : 'axfr';
        if (this.kind === 'incremental') continue;
      }
      if (!soa) continue;
      if (this.kind === 'axfr') {
        this.done = true; // the closing SOA
      } else if (this.phase === 'deletions') {
        this.phase = 'additions'; // the new SOA of this difference
      } else if (soa.serial === this.firstSerial) {
        this.done = true; // the closing SOA, the server's current version
      } else {
        this.phase = 'deletions'; // the old SOA of the next difference
      }
    }
    return this.done;
  }

  private push(r: DnsRecord, taken: DnsRecord[] | undefined): void {
    this.count++;
    if (this.keep) this.records.push(r);
    taken?.push(r);
  }
}

/**
 * The request of a transfer, as dig sends it: the question, for IXFR the client's SOA (`. . SERIAL
 * 0 0 0 0`) in the authority section, EDNS with a client cookie, and a TSIG when a key is given.
 * Returns the wire bytes and the request MAC (to verify the answer). Throws USAGE for a bad name.
 */
export function xfrQuery(options: Pick<XfrOptions, 'zone' | 'type' | 'serial' | 'class' | 'tsig'>, id: number, cookie: Uint8Array): { wire: Buffer; mac?: Buffer } {
  const type = options.type ?? 'AXFR';
  const klass = options.class ?? 1;
  const message = encodeMessage({
    id,
    questions: [{ name: options.zone, typeCode: type === 'IXFR' ? 251 : 252, classCode: klass }],
    authorities: type === 'IXFR' ? [{
      name: options.zone, ttl: 0, classCode: klass,
      rdata: { type: 'SOA', mname: '.', rname: '.', serial: options.serial ?? 0, refresh: 0, retry: 0, expire: 0, minimum: 0 },
    }] : [],
    edns: { udpSize: 1232, options: [{ code: 10, hex: Buffer.from(cookie).toString('hex') }] },
  });
  if (!options.tsig) return { wire: message };
  const signed = signTsig(message, options.tsig);
  return { wire: signed.wire, mac: signed.mac };
}

function describe(server: Server): string {
  return server.address.includes(':') ? `[${server.address}]:${server.port}` : `${server.address}#${server.port}`;
}

/**
 * Transfer a zone over TCP (AXFR, or IXFR from `serial`). Never throws for what the server does:
 * a refusal (REFUSED, NOTAUTH), a stream cut before its end or past a bound, a TSIG that does not
 * verify, no connection or a timeout is the result's `failure`. Throws NetlabError USAGE for a
 * zone name that cannot be sent.
 */
export async function transfer(server: Server, options: XfrOptions): Promise<XfrResult> {
  const type = options.type ?? 'AXFR';
  const crypto = nodeCrypto();
  const id = crypto.randomInt(0, 0x10000);
  const query = xfrQuery(options, id, crypto.randomBytes(8));
  const stream = new XfrStream(options.zone, type, options.serial, options.keepRecords !== false);
  const verifier = options.tsig ? new TsigVerifier(options.tsig, query.mac!) : undefined;
  const maxRecords = options.maxRecords ?? XFR_MAX_RECORDS;
  const maxBytes = options.maxBytes ?? XFR_MAX_BYTES;
  const timeoutMs = options.timeoutMs ?? 5000;
  const result: XfrResult = { server, zone: options.zone, type, complete: false, rcode: null, records: stream.records, recordCount: 0, tsig: [], messages: 0, bytes: 0, timeMs: 0 };
  const where = describe(server);
  let start = performance.now();
  return new Promise((resolve) => {
    const reader = new FrameReader();
    const socket = nodeNet().connect({ host: server.address, port: server.port });
    let done = false;
    // messages without a record: a server may send a few, not an endless run of them
    let empty = 0;
    const finish = (failure?: XfrResult['failure']) => {
      if (done) return;
      done = true;
      clearTimeout(idle);
      clearTimeout(total);
      options.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      result.timeMs = roundMs(performance.now() - start);
      result.kind = stream.kind;
      result.recordCount = stream.count;
      if (failure) result.failure = failure;
      else result.complete = true;
      resolve(result);
    };
    const so = () => `after ${stream.count} records (${result.messages} messages, ${result.bytes} bytes)`;
    const onAbort = () => finish({ code: 'INTERRUPTED', message: 'interrupted' });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    let idle = setTimeout(() => undefined, 0);
    const rearm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        const what = result.messages === 0 ? `communications error to ${where}: timed out` : `transfer of ${options.zone} stalled: nothing for ${timeoutMs} ms ${so()}`;
        finish({ code: result.messages === 0 ? 'TIMEOUT' : 'XFR_INCOMPLETE', message: what });
      }, timeoutMs);
    };
    rearm();
    const totalMs = options.totalTimeoutMs ?? 600_000;
    const total = setTimeout(() => finish({ code: 'XFR_INCOMPLETE', message: `transfer of ${options.zone} not finished within ${totalMs} ms, ${so()}` }), totalMs);
    socket.setNoDelay(true);
    socket.on('connect', () => {
      start = performance.now();
      socket.write(frame(query.wire));
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      const reason = socketErrorReason(e);
      if (result.messages === 0) finish({ code: 'UNREACHABLE', message: `communications error to ${where}: ${reason}` });
      else finish({ code: 'XFR_INCOMPLETE', message: `transfer of ${options.zone} cut: ${reason} ${so()}` });
    });
    socket.on('end', () => {
      if (result.messages === 0) finish({ code: 'UNREACHABLE', message: `communications error to ${where}: end of file` });
      else finish({ code: 'XFR_INCOMPLETE', message: `transfer of ${options.zone} cut: the server closed the connection ${so()}${reader.buffered > 0 ? ' in the middle of a message' : ''}, before the closing SOA` });
    });
    socket.on('data', (chunk) => {
      if (done) return;
      rearm();
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (e) {
        finish({ code: 'MALFORMED_REPLY', message: (e as Error).message });
        return;
      }
      for (const f of frames) {
        if (done) return;
        result.messages++;
        result.bytes += f.length;
        if (result.bytes > maxBytes) {
          finish({ code: 'XFR_INCOMPLETE', message: `transfer of ${options.zone} stopped: over ${maxBytes} bytes ${so()}` });
          return;
        }
        let m: DnsMessage;
        try {
          m = decodeMessage(f);
        } catch (e) {
          finish({ code: 'MALFORMED_REPLY', message: (e as Error).message });
          return;
        }
        // RFC 5936 2.2: every message carries the request's ID; the first one the question
        if (m.id !== id || !m.flags.includes('qr')) {
          finish({ code: 'MALFORMED_REPLY', message: `a message of the transfer has ID ${m.id} instead of ${id}` });
          return;
        }
        const q = m.questions[0];
        if (q && (canonicalName(q.name) !== canonicalName(options.zone) || q.typeCode !== (type === 'IXFR' ? 251 : 252))) {
          finish({ code: 'MALFORMED_REPLY', message: `the answer is about ${q.name} ${q.type}, not the transfer asked for` });
          return;
        }
        let tsigOfMessage: TsigRecord | undefined;
        if (verifier) {
          const v = verifier.verify(f);
          if (v.record) tsigOfMessage = v.record;
          // the TSIG record of a message that ends the transfer in failure, after the records so far
          if (v.record && (m.rcode !== 'NOERROR' || v.error)) result.tsig.push({ after: stream.count, record: v.record });
          if (v.error && m.rcode === 'NOERROR') {
            result.tsigError = v.error;
            result.rcode = m.rcode;
            finish({ code: 'TSIG_INVALID', message: `couldn't verify signature: ${v.error}` });
            return;
          }
          if (v.error) result.tsigError = v.error;
        }
        result.rcode = m.rcode;
        if (m.rcode !== 'NOERROR') {
          const tsigErr = result.tsig.length > 0 && result.tsig[result.tsig.length - 1]!.record.error !== 0 ? ` (TSIG error ${tsigErrorName(result.tsig[result.tsig.length - 1]!.record.error)})` : '';
          finish({ code: m.rcode === 'REFUSED' ? 'REFUSED' : 'ERROR_RCODE', message: `transfer of ${options.zone} failed: the server answered ${m.rcode}${tsigErr}` });
          return;
        }
        if (m.answers.length === 0 && ++empty > MAX_EMPTY_MESSAGES) {
          finish({ code: 'XFR_INCOMPLETE', message: `transfer of ${options.zone} stopped: over ${MAX_EMPTY_MESSAGES} messages without a record ${so()}` });
          return;
        }
        let end: boolean;
        const taken: DnsRecord[] | undefined = options.onMessage ? [] : undefined;
        try {
          end = stream.add(m.answers, taken);
        } catch (e) {
          finish({ code: 'MALFORMED_REPLY', message: (e as Error).message });
          return;
        }
        options.onMessage?.(taken!, tsigOfMessage);
        if (tsigOfMessage && options.keepRecords !== false) result.tsig.push({ after: stream.count, record: tsigOfMessage });
        if (stream.count > maxRecords) {
          finish({ code: 'XFR_INCOMPLETE', message: `transfer of ${options.zone} stopped: over ${maxRecords} records ${so()}` });
          return;
        }
        if (end) {
          if (verifier && !verifier.lastSigned) {
            result.tsigError = 'expected a TSIG or SIG(0)';
            finish({ code: 'TSIG_INVALID', message: "couldn't verify signature: the last message of the transfer is not signed" });
            return;
          }
          finish();
          return;
        }
      }
    });
  });
}
