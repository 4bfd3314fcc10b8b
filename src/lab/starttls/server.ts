/**
 * One lab STARTTLS server: the server's side of a protocol's plain-text start (greeting,
 * capabilities, the STARTTLS command) just far enough for a client to upgrade, then TLS with
 * the lab chain. It speaks no more of the protocol than `openssl s_client -starttls` and
 * `netlab cert-check --starttls` need: after the handshake it waits for the client to close.
 * Every read is capped (MAX_DIALOGUE_BYTES) and every connection idles out.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { StartTlsProtocol } from '../../protocol/tls/starttls.js';
import { closeServer, listen, trackSocket } from '../listen.js';

/** How the server behaves: `good` upgrades; `no-starttls` speaks the protocol but refuses STARTTLS. */
export type StartTlsBehaviour = 'good' | 'no-starttls';

export interface StartTlsServerOptions {
  protocol: StartTlsProtocol;
  address: string;
  /** 0: a free port (read it back from `port` after start). */
  port: number;
  /** The chain, leaf first, PEM. */
  certChainPem: string;
  keyPem: string;
  behaviour?: StartTlsBehaviour;
  /** The server's name in its greeting and XMPP stream; default mail.example.test. */
  name?: string;
  /** Close a connection idle this long. Default 5000. */
  idleTimeoutMs?: number;
}

/** The most bytes a client may send before the upgrade. */
const MAX_DIALOGUE_BYTES = 16 * 1024;

const LDAP_STARTTLS_OID = '1.3.6.1.4.1.1466.20037';

/** RFC 4511 4.14.2: ExtendedResponse success with the StartTLS responseName, for message `id` (its INTEGER content). */
function ldapStartTlsResponse(id: Buffer, success: boolean): Buffer {
  const oid = Buffer.from(LDAP_STARTTLS_OID, 'latin1');
  const body = Buffer.concat([
    Buffer.from([0x0a, 0x01, success ? 0x00 : 0x35]), // resultCode: success, or unwillingToPerform (53)
    Buffer.from([0x04, 0x00, 0x04, 0x00]), // matchedDN, diagnosticMessage
    Buffer.from([0x8a, oid.length]), oid, // responseName [10]
  ]);
  const msgId = Buffer.concat([Buffer.from([0x02, id.length]), id]);
  const resp = Buffer.concat([Buffer.from([0x78, body.length]), body]);
  return Buffer.concat([Buffer.from([0x30, msgId.length + resp.length]), msgId, resp]);
}

/** The message ID (INTEGER content) and whether it is a StartTLS ExtendedRequest, once a whole short LDAPMessage is in. */
function ldapRequest(b: Buffer): { id: Buffer; startTls: boolean; used: number } | 'short' | null {
  if (b.length < 2) return 'short';
  if (b[0] !== 0x30 || b[1]! >= 0x80) return null; // a StartTLS request is short: one length byte
  const end = 2 + b[1]!;
  if (b.length < end) return 'short';
  if (b[2] !== 0x02 || b[3]! < 1 || b[3]! > 4) return null;
  const id = b.subarray(4, 4 + b[3]!);
  const rest = b.subarray(4 + b[3]!, end);
  return { id, startTls: rest[0] === 0x77 && rest.includes(Buffer.from(LDAP_STARTTLS_OID, 'latin1')), used: end };
}

export class LabStartTlsServer {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly context: tls.SecureContext;

  constructor(private readonly options: StartTlsServerOptions) {
    this.context = tls.createSecureContext({ key: options.keyPem, cert: options.certChainPem });
  }

  get address(): string {
    return this.options.address;
  }

  get port(): number {
    return this.options.port;
  }

  get protocol(): StartTlsProtocol {
    return this.options.protocol;
  }

  /** Listen. Rejects with the listen error and leaves nothing open. */
  async start(): Promise<void> {
    const server = net.createServer((socket) => this.serve(socket));
    this.options.port = await listen(server, this.options.port, this.options.address);
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server, this.sockets);
  }

  private track(socket: net.Socket): void {
    trackSocket(this.sockets, socket);
  }

  /** Hand the connection to TLS: what the client sent after its STARTTLS goes with it. */
  private upgrade(socket: net.Socket, rest: Buffer): void {
    socket.removeAllListeners('data');
    socket.pause();
    if (rest.length > 0) socket.unshift(rest);
    const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: this.context });
    this.track(secure);
    secure.on('error', () => secure.destroy());
    // the client closes once it has the chain; nothing more is said
    secure.on('data', () => undefined);
    secure.setTimeout(this.options.idleTimeoutMs ?? 5000, () => secure.destroy());
  }

  private serve(socket: net.Socket): void {
    this.track(socket);
    socket.on('error', () => socket.destroy());
    socket.setTimeout(this.options.idleTimeoutMs ?? 5000, () => socket.destroy());
    const name = this.options.name ?? 'mail.example.test';
    const refuse = this.options.behaviour === 'no-starttls';
    let buf = Buffer.alloc(0);
    let upgraded = false;
    const say = (text: string | Buffer) => socket.write(text);
    /** Take one line from buf (CRLF or LF), or null. */
    const line = (): string | null => {
      const nl = buf.indexOf(0x0a);
      if (nl < 0) return null;
      const l = buf.subarray(0, nl).toString('latin1').replace(/\r$/, '');
      buf = buf.subarray(nl + 1);
      return l;
    };
    const p = this.options.protocol;
    const onInput = (): void => {
      for (;;) {
        if (upgraded) return;
        if (p === 'postgres') {
          if (buf.length < 8) return;
          const request = buf.subarray(0, 8);
          buf = buf.subarray(8);
          if (request.equals(Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]))) {
            say(refuse ? 'N' : 'S');
            if (!refuse) {
              upgraded = true;
              this.upgrade(socket, buf);
            }
          } else socket.destroy();
          return;
        }
        if (p === 'ldap') {
          const req = ldapRequest(buf);
          if (req === 'short') return;
          if (req === null) {
            socket.destroy();
            return;
          }
          buf = buf.subarray(req.used);
          say(ldapStartTlsResponse(req.id, req.startTls && !refuse));
          if (req.startTls && !refuse) {
            upgraded = true;
            this.upgrade(socket, buf);
            return;
          }
          continue;
        }
        if (p === 'xmpp') {
          const text = buf.toString('latin1');
          const header = /<stream:stream[^>]*>/.exec(text);
          const starttls = /<starttls[^>]*\/>|<starttls[^>]*><\/starttls>/.exec(text);
          if (starttls && !refuse) {
            buf = buf.subarray(starttls.index + starttls[0].length);
            say("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
            upgraded = true;
            this.upgrade(socket, buf);
            return;
          }
          if (header) {
            buf = buf.subarray(header.index + header[0].length);
            say(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='netlab-lab' from='${name}' version='1.0'>`
              + `<stream:features>${refuse ? '' : "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"}<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`);
            continue;
          }
          return;
        }
        const l = line();
        if (l === null) return;
        const [verb = '', ...args] = l.trim().split(/\s+/);
        const v = verb.toUpperCase();
        if (p === 'smtp') {
          if (v === 'EHLO') say(`250-${name} greets ${args[0] ?? 'you'}\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n${refuse ? '' : '250-STARTTLS\r\n'}250 8BITMIME\r\n`);
          else if (v === 'HELO') say(`250 ${name}\r\n`);
          else if (v === 'STARTTLS' && !refuse) {
            say('220 2.0.0 Ready to start TLS\r\n');
            upgraded = true;
            this.upgrade(socket, buf);
            return;
          } else if (v === 'QUIT') socket.end('221 2.0.0 Bye\r\n');
          else say('502 5.5.2 Error: command not recognized\r\n');
        } else if (p === 'imap') {
          const tag = verb;
          const command = (args[0] ?? '').toUpperCase();
          const caps = `IMAP4rev1 ${refuse ? '' : 'STARTTLS '}LOGINDISABLED`;
          if (command === 'CAPABILITY') say(`* CAPABILITY ${caps}\r\n${tag} OK CAPABILITY completed\r\n`);
          else if (command === 'STARTTLS' && !refuse) {
            say(`${tag} OK Begin TLS negotiation now\r\n`);
            upgraded = true;
            this.upgrade(socket, buf);
            return;
          } else if (command === 'LOGOUT') socket.end(`* BYE Logging out\r\n${tag} OK LOGOUT completed\r\n`);
          else say(`${tag} BAD Error in IMAP command\r\n`);
        } else if (p === 'pop3') {
          if (v === 'CAPA') say(`+OK Capability list follows\r\nUSER\r\n${refuse ? '' : 'STLS\r\n'}.\r\n`);
          else if (v === 'STLS' && !refuse) {
            say('+OK Begin TLS negotiation now\r\n');
            upgraded = true;
            this.upgrade(socket, buf);
            return;
          } else if (v === 'QUIT') socket.end('+OK Bye\r\n');
          else say('-ERR Unknown command\r\n');
        } else if (p === 'ftp') {
          if (v === 'AUTH' && (args[0] ?? '').toUpperCase() === 'TLS' && !refuse) {
            say('234 Proceed with negotiation.\r\n');
            upgraded = true;
            this.upgrade(socket, buf);
            return;
          } else if (v === 'FEAT') say(`211-Features:\r\n${refuse ? '' : ' AUTH TLS\r\n'} UTF8\r\n211 End\r\n`);
          else if (v === 'QUIT') socket.end('221 Goodbye.\r\n');
          else say('500 Unknown command.\r\n');
        }
      }
    };
    socket.on('data', (chunk: Buffer) => {
      if (buf.length + chunk.length > MAX_DIALOGUE_BYTES) {
        socket.destroy();
        return;
      }
      buf = Buffer.concat([buf, chunk]);
      onInput();
    });
    // the server speaks first in the line protocols
    if (p === 'smtp') say(`220 ${name} ESMTP netlab-lab\r\n`);
    else if (p === 'imap') say(`* OK [CAPABILITY IMAP4rev1 ${refuse ? '' : 'STARTTLS '}LOGINDISABLED] netlab lab IMAP ready\r\n`);
    else if (p === 'pop3') say('+OK netlab lab POP3 ready\r\n');
    else if (p === 'ftp') say('220 netlab lab FTP ready\r\n');
  }
}
