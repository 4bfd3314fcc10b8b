/**
 * STARTTLS: the plain-text dialogue that turns a connection of a mail, directory, database or
 * chat protocol into a TLS one, the client's side, as `openssl s_client -starttls PROTO`
 * speaks it (apps/s_client.c): the same commands, waiting for the same replies, but judging
 * the replies (a refusal is an error here, where s_client goes on and fails in the handshake).
 *
 * Bounded: every read is capped (MAX_STARTTLS_BYTES in all), and the caller's timer covers
 * the whole dialogue (it destroys the socket, which ends every pending read).
 */
import type net from 'node:net';
import { printableLine } from '../../util/printable.js';

/** The protocols `--starttls` speaks: those of `openssl s_client -starttls` that cert-check supports. */
export type StartTlsProtocol = 'smtp' | 'imap' | 'pop3' | 'ftp' | 'postgres' | 'ldap' | 'xmpp';

export const STARTTLS_PROTOCOLS: readonly StartTlsProtocol[] = ['smtp', 'imap', 'pop3', 'ftp', 'postgres', 'ldap', 'xmpp'];

/**
 * The port of each protocol when none is given: the IANA port where the protocol starts in
 * plain text and upgrades (smtp 25, the MTA-to-MTA port, as check_ssl_cert's "smtp"; the
 * submission port 587 speaks the same dialogue and is given explicitly).
 */
export const STARTTLS_DEFAULT_PORTS: Readonly<Record<StartTlsProtocol, number>> = {
  smtp: 25,
  imap: 143,
  pop3: 110,
  ftp: 21,
  postgres: 5432,
  ldap: 389,
  xmpp: 5222,
};

/** The most bytes read from the server before the TLS handshake (a greeting, capabilities, replies). */
export const MAX_STARTTLS_BYTES = 64 * 1024;

/** The STARTTLS dialogue failed: the server refused, does not offer it, closed, or answered something else. */
export class StartTlsFailed extends Error {
  constructor(readonly protocol: StartTlsProtocol, message: string) {
    super(message);
    this.name = 'StartTlsFailed';
  }
}

/** What the dialogue learned before the handshake. */
export interface StartTlsInfo {
  protocol: StartTlsProtocol;
  /** The server's first line (SMTP/FTP/POP3/IMAP greeting), printable and cut short; null for postgres, ldap and xmpp. */
  greeting: string | null;
  /**
   * Whether the server listed STARTTLS among its capabilities before it was asked (SMTP's EHLO
   * reply, IMAP's CAPABILITY, XMPP's stream features); null where the protocol has no such list.
   */
  advertised: boolean | null;
}

export interface StartTlsOptions {
  protocol: StartTlsProtocol;
  /**
   * XMPP: the domain of the stream (`to`), the name the certificate is checked for (s_client's
   * `-xmpphost`/`-name`, which default to the host connected to).
   */
  domain: string;
  /**
   * SMTP: the client's name sent in EHLO (s_client's `-name`, default mail.example.com);
   * fetchPeerChain sends the address literal of its own end, as RFC 5321 4.1.4 asks of a
   * client without a name of its own.
   */
  ehloName: string;
}

/** A reader of what the server sends during the dialogue: lines or chunks, capped in total. */
class DialogueReader {
  private buf = Buffer.alloc(0);
  private total = 0;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private readonly onData = (chunk: Buffer) => {
    this.total += chunk.length;
    if (this.total > MAX_STARTTLS_BYTES) {
      this.fail(`the server sent more than ${MAX_STARTTLS_BYTES / 1024} KiB before the TLS handshake`);
      return;
    }
    this.buf = Buffer.concat([this.buf, chunk]);
    this.notify();
  };
  private readonly onEnd = () => this.fail('the server closed the connection');
  private readonly onError = (e: NodeJS.ErrnoException) => this.fail(e.code === 'ECONNRESET' ? 'the server reset the connection' : `the connection failed (${e.code ?? e.message})`);

  constructor(private readonly socket: net.Socket, private readonly protocol: StartTlsProtocol) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  private fail(why: string): void {
    if (!this.failure) this.failure = new StartTlsFailed(this.protocol, why);
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Wait until `take` finds what it wants in the buffer (it returns how many bytes it used), or the connection fails. */
  private async take<T>(take: (buf: Buffer) => { used: number; value: T } | null, what: string): Promise<T> {
    for (;;) {
      const got = take(this.buf);
      if (got) {
        this.buf = this.buf.subarray(got.used);
        return got.value;
      }
      if (this.failure) throw new StartTlsFailed(this.protocol, `${this.failure.message} ${what}`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** The next line, without its CR LF (a bare LF ends a line too, as s_client's BIO_gets). */
  line(what: string): Promise<string> {
    return this.take((buf) => {
      const nl = buf.indexOf(0x0a);
      if (nl < 0) return null;
      return { used: nl + 1, value: buf.subarray(0, nl).toString('latin1').replace(/\r$/, '') };
    }, what);
  }

  /** Whatever has arrived (at least one byte), or at most `max` bytes of it. */
  some(what: string, max = Infinity): Promise<Buffer> {
    return this.take((buf) => {
      if (buf.length === 0) return null;
      const n = Math.min(buf.length, max);
      return { used: n, value: Buffer.from(buf.subarray(0, n)) };
    }, what);
  }

  /** Everything up to and including the first match of `re` in the text received (latin1). */
  until(re: RegExp, what: string, stop?: RegExp): Promise<{ text: string; matched: boolean }> {
    return this.take<{ text: string; matched: boolean }>((buf) => {
      const text = buf.toString('latin1');
      const m = re.exec(text);
      if (m) return { used: m.index + m[0].length, value: { text: text.slice(0, m.index + m[0].length), matched: true } };
      const s = stop?.exec(text);
      if (s) return { used: s.index + s[0].length, value: { text: text.slice(0, s.index + s[0].length), matched: false } };
      return null;
    }, what);
  }

  /** Bytes received and not read yet. */
  get pending(): number {
    return this.buf.length;
  }

  /** Stop reading: the socket is handed to TLS (which takes its handle: bytes read here are not seen by it). */
  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    this.socket.pause();
  }
}

/** A server's line in a message: printable, one line, short. */
function quote(line: string): string {
  return `'${printableLine(line.trim(), 120)}'`;
}

function send(socket: net.Socket, text: string | Buffer): void {
  socket.write(text);
}

/** A multi-line reply of SMTP (and LMTP, FTP): lines `NNN-text` then `NNN text`. Returns every line. */
async function reply(r: DialogueReader, what: string, max = 200): Promise<string[]> {
  const lines: string[] = [];
  for (;;) {
    const line = await r.line(what);
    lines.push(line);
    // s_client: a line whose fourth character is '-' continues the reply
    if (!(line.length > 3 && line[3] === '-') || lines.length >= max) return lines;
  }
}

/**
 * RFC 4511 4.14.1 StartTLS extended request, message ID 1 (the bytes s_client builds with
 * ASN1_generate_nconf): LDAPMessage { 1, [APPLICATION 23] { [0] "1.3.6.1.4.1.1466.20037" } }.
 */
const LDAP_STARTTLS_REQUEST = Buffer.concat([
  Buffer.from([0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16]),
  Buffer.from('1.3.6.1.4.1.1466.20037', 'latin1'),
]);

/** PostgreSQL's SSLRequest: length 8, code 80877103 (protocol.html, "SSL Session Encryption"). */
const POSTGRES_SSL_REQUEST = Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]);

/** An LDAP result code name for a message (RFC 4511 4.1.9), the common ones. */
const LDAP_RESULTS: Record<number, string> = { 1: 'operationsError', 2: 'protocolError', 12: 'unavailableCriticalExtension', 52: 'unavailable', 53: 'unwillingToPerform', 80: 'other' };

/** One BER length at `at`: its value and the offset after it, or null when it does not fit or is indefinite. */
function berLength(b: Buffer, at: number): { len: number; next: number } | null {
  if (at >= b.length) return null;
  const first = b[at]!;
  if (first < 0x80) return { len: first, next: at + 1 };
  const n = first & 0x7f;
  if (n === 0 || n > 4 || at + 1 + n > b.length) return null;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + b[at + 1 + i]!;
  return { len, next: at + 1 + n };
}

/**
 * The resultCode of an LDAP ExtendedResponse (RFC 4511 4.12), as s_client's
 * ldap_ExtendedResponse_parse reads it: SEQUENCE { INTEGER id, [APPLICATION 24] { ENUMERATED code, ... } }.
 * Returns 'short' while the message is incomplete, null when it is not such a message.
 */
export function ldapExtendedResult(b: Buffer): number | 'short' | null {
  if (b.length < 2) return 'short';
  if (b[0] !== 0x30) return null;
  const outer = berLength(b, 1);
  if (!outer) return b.length < 6 ? 'short' : null;
  if (outer.next + outer.len > b.length) return 'short';
  let at = outer.next;
  if (b[at] !== 0x02) return null;
  const id = berLength(b, at + 1);
  if (!id) return null;
  at = id.next + id.len;
  if (b[at] !== 0x78) return null;
  const resp = berLength(b, at + 1);
  if (!resp) return null;
  at = resp.next;
  if (b[at] !== 0x0a) return null;
  const code = berLength(b, at + 1);
  if (!code || code.len < 1 || code.len > 4 || code.next + code.len > b.length) return null;
  let value = 0;
  for (let i = 0; i < code.len; i++) value = value * 256 + b[code.next + i]!;
  return value;
}

/**
 * Speak the STARTTLS dialogue of `options.protocol` on a connected socket, then stop reading
 * from it, for TLS to take it over. Throws
 * StartTlsFailed, saying what the server answered, when it refuses, does not speak the
 * protocol, closes, or sends more than MAX_STARTTLS_BYTES.
 */
export async function negotiateStartTls(socket: net.Socket, options: StartTlsOptions): Promise<StartTlsInfo> {
  const r = new DialogueReader(socket, options.protocol);
  try {
    const info = await dialogue(socket, r, options);
    // the server must wait for the ClientHello: anything it sent after its go-ahead is not TLS
    // from it (and is where STARTTLS command injection hides, CVE-2011-0411)
    if (r.pending > 0) throw new StartTlsFailed(options.protocol, `the server sent ${r.pending} bytes after its go-ahead, before the TLS handshake`);
    return info;
  } finally {
    r.detach();
  }
}

async function dialogue(socket: net.Socket, r: DialogueReader, options: StartTlsOptions): Promise<StartTlsInfo> {
  const { protocol } = options;
  const failed = (message: string) => new StartTlsFailed(protocol, message);
  {
    switch (protocol) {
      case 'smtp': {
        const greeting = await reply(r, 'before its greeting');
        const last = greeting[greeting.length - 1]!;
        if (!/^220[ -]/.test(last)) throw failed(`the server's greeting is not an SMTP 220: ${quote(last)}`);
        send(socket, `EHLO ${options.ehloName}\r\n`);
        const ehlo = await reply(r, 'after EHLO');
        const ehloLast = ehlo[ehlo.length - 1]!;
        if (!/^250[ -]/.test(ehloLast)) throw failed(`the server refused EHLO: ${quote(ehloLast)}`);
        const advertised = ehlo.some((l) => /^250[ -]STARTTLS\b/i.test(l));
        send(socket, 'STARTTLS\r\n');
        const go = await reply(r, 'after STARTTLS');
        const goLast = go[go.length - 1]!;
        if (!/^220[ -]/.test(goLast)) throw failed(`the server ${advertised ? 'refused' : 'does not offer'} STARTTLS: ${quote(goLast)}`);
        return { protocol, greeting: printableLine(greeting[0]!, 200), advertised };
      }
      case 'imap': {
        const greeting = await r.line('before its greeting');
        if (!/^\* (OK|PREAUTH)\b/i.test(greeting)) throw failed(`the server's greeting is not an IMAP OK: ${quote(greeting)}`);
        send(socket, '. CAPABILITY\r\n');
        let advertised = false;
        let tagged = '';
        for (let i = 0; i < 200; i++) {
          const line = await r.line('after CAPABILITY');
          if (/\bSTARTTLS\b/i.test(line)) advertised = true;
          if (line.startsWith('. ')) {
            tagged = line;
            break;
          }
        }
        if (!/^\. OK\b/i.test(tagged)) throw failed(`the server did not answer CAPABILITY: ${quote(tagged)}`);
        send(socket, '. STARTTLS\r\n');
        let go = '';
        for (let i = 0; i < 200 && !go.startsWith('. '); i++) go = await r.line('after STARTTLS');
        if (!/^\. OK\b/i.test(go)) throw failed(`the server ${advertised ? 'refused' : 'does not offer'} STARTTLS: ${quote(go)}`);
        return { protocol, greeting: printableLine(greeting, 200), advertised };
      }
      case 'pop3': {
        const greeting = await r.line('before its greeting');
        if (!/^\+OK\b/i.test(greeting)) throw failed(`the server's greeting is not a POP3 +OK: ${quote(greeting)}`);
        send(socket, 'STLS\r\n');
        const go = await r.line('after STLS');
        if (!/^\+OK\b/i.test(go)) throw failed(`the server does not offer STLS: ${quote(go)}`);
        return { protocol, greeting: printableLine(greeting, 200), advertised: null };
      }
      case 'ftp': {
        const greeting = await reply(r, 'before its greeting');
        const last = greeting[greeting.length - 1]!;
        if (!/^220[ -]/.test(last)) throw failed(`the server's greeting is not an FTP 220: ${quote(last)}`);
        send(socket, 'AUTH TLS\r\n');
        const go = await reply(r, 'after AUTH TLS');
        const goLast = go[go.length - 1]!;
        if (!/^234[ -]/.test(goLast)) throw failed(`the server does not offer AUTH TLS: ${quote(goLast)}`);
        return { protocol, greeting: printableLine(greeting[0]!, 200), advertised: null };
      }
      case 'postgres': {
        send(socket, POSTGRES_SSL_REQUEST);
        // one byte: 'S' to go on with TLS, 'N' for no TLS (an old server may answer an error message, 'E')
        const answer = await r.some('after SSLRequest', 1);
        if (answer[0] === 0x4e) throw failed("the server does not offer SSL (it answered 'N' to SSLRequest: ssl is off)");
        if (answer[0] !== 0x53) throw failed(`the server is not PostgreSQL or refused SSLRequest: it answered ${quote(answer.toString('latin1'))}`);
        return { protocol, greeting: null, advertised: null };
      }
      case 'ldap': {
        send(socket, LDAP_STARTTLS_REQUEST);
        let got = Buffer.alloc(0);
        for (;;) {
          got = Buffer.concat([got, await r.some('after the StartTLS request')]);
          const code = ldapExtendedResult(got);
          if (code === 'short') continue;
          if (code === null) throw failed('the server did not answer the StartTLS request with an LDAP extended response');
          if (code !== 0) throw failed(`the server refused StartTLS: LDAP result ${code}${LDAP_RESULTS[code] ? ` (${LDAP_RESULTS[code]})` : ''}`);
          return { protocol, greeting: null, advertised: null };
        }
      }
      case 'xmpp': {
        const domain = options.domain.replace(/['"<>&]/g, '');
        send(socket, `<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client' to='${domain}' version='1.0'>`);
        // the stream features list starttls (RFC 6120 5.4.1), or end without it
        const features = await r.until(/<starttls xmlns=['"]urn:ietf:params:xml:ns:xmpp-tls['"]/, 'before its stream features', /<\/stream:features>|<\/stream:stream>|<stream:error/);
        if (!features.matched) {
          const error = /<stream:error>\s*<([a-z-]+)/.exec(features.text)?.[1];
          throw failed(error ? `the server ended the stream: ${error}` : 'the server does not offer STARTTLS (no starttls in its stream features)');
        }
        send(socket, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        const go = await r.until(/<proceed[^>]*>/, 'after starttls', /<failure[^>]*>|<\/stream:stream>/);
        if (!go.matched) throw failed('the server refused STARTTLS (<failure/>)');
        return { protocol, greeting: null, advertised: true };
      }
    }
  }
}
