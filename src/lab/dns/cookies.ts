/**
 * issue 14: DNS cookies (RFC 7873) for a lab DNS server, with the server cookie laid out as
 * RFC 9018 4 has it: version 1, 3 reserved bytes, a 32-bit timestamp and an 8-byte hash of
 * (client cookie, version, reserved, timestamp, client address). RFC 9018 hashes with
 * SipHash-2-4; node:crypto has none, so the lab uses HMAC-SHA256 truncated to 8 bytes (the
 * cookie is only ever checked by the server that made it, so the choice is the server's).
 */
import { createHmac } from 'node:crypto';
import type { DnsMessage } from '../../protocol/dns/wire.js';

/** How long a server cookie stays valid, seconds (RFC 9018 4.3: one hour, five minutes' skew ahead). */
const LIFETIME_S = 3600;
const SKEW_S = 300;

function hash(secret: Buffer, client: string, head: Buffer, address: string): string {
  return createHmac('sha256', secret).update(Buffer.from(client, 'hex')).update(head).update(address).digest().subarray(0, 8).toString('hex');
}

/** A server cookie for this client cookie and address, made now (`nowS`: Unix seconds). */
export function makeServerCookie(secret: Buffer, client: string, address: string, nowS = Math.floor(Date.now() / 1000)): string {
  const head = Buffer.alloc(8);
  head[0] = 1; // version
  head.writeUInt32BE(nowS >>> 0, 4);
  return head.toString('hex') + hash(secret, client, head, address);
}

/** Whether a server cookie is one this secret made for this client cookie and address, and still fresh. */
export function serverCookieValid(secret: Buffer, client: string, server: string, address: string, nowS = Math.floor(Date.now() / 1000)): boolean {
  if (server.length !== 32) return false;
  const head = Buffer.from(server.slice(0, 16), 'hex');
  if (head[0] !== 1) return false;
  const t = head.readUInt32BE(4);
  if (t > nowS + SKEW_S || nowS - t > LIFETIME_S) return false;
  return hash(secret, client, head, address) === server.slice(16);
}

/**
 * The COOKIE option of a reply to `query` from `address`, or undefined when the query has no
 * (well-formed) cookie. `bad`: the query carried a server cookie this server did not make (or
 * an old one): the reply is BADCOOKIE with a fresh cookie, so that the client asks again with it.
 */
export function labCookie(query: DnsMessage, address: string, secret: Buffer): { option: { code: number; hex: string }; bad: boolean } | undefined {
  const c = query.edns?.options.find((o) => o.code === 10);
  if (!c?.client) return undefined;
  const bad = c.server !== undefined && !serverCookieValid(secret, c.client, c.server, address);
  return { option: { code: 10, hex: c.client + makeServerCookie(secret, c.client, address) }, bad };
}
