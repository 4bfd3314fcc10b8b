/**
 * The lab's STARTTLS part: one small server per protocol of `cert-check --starttls`, each on its
 * own loopback address (127.57.0.x) and all on one port, with a good chain from the lab CA (a
 * leaf for mail.example.test, www.example.test and example.test, and the lab intermediate),
 * plus one SMTP server that does not offer STARTTLS.
 */
import { createLabPki, DAY_MS, issueLeaf, LAB_CA_ISSUERS_URL, type LabPki } from '../tls/ca.js';
import { startOnCommonPort } from '../common-port.js';
import { STARTTLS_PROTOCOLS, type StartTlsProtocol } from '../../protocol/tls/starttls.js';
import { LabStartTlsServer, type StartTlsBehaviour } from './server.js';

/** The name the STARTTLS servers' leaf is checked for (its first subjectAltName). */
export const LAB_STARTTLS_NAME = 'mail.example.test';

/** One address per protocol, then the SMTP server without STARTTLS. */
export const LAB_STARTTLS_ADDRESSES: Readonly<Record<StartTlsProtocol | 'smtp-no-tls', string>> = {
  smtp: '127.57.0.1',
  imap: '127.57.0.2',
  pop3: '127.57.0.3',
  ftp: '127.57.0.4',
  postgres: '127.57.0.5',
  ldap: '127.57.0.6',
  xmpp: '127.57.0.7',
  'smtp-no-tls': '127.57.0.8',
};

export interface StartTlsLabServer {
  /** The protocol, or smtp-no-tls. */
  name: StartTlsProtocol | 'smtp-no-tls';
  protocol: StartTlsProtocol;
  behaviour: StartTlsBehaviour;
  address: string;
  port: number;
  description: string;
}

export interface StartTlsLab {
  port: number;
  servers: StartTlsLabServer[];
  /** The chain every upgrading server sends, PEM, leaf first. */
  chainPem: string;
  close(): Promise<void>;
}

export interface StartTlsLabOptions {
  /** 0 (default): a free port, the same on every address. */
  port?: number;
  /** Issue from this PKI (the lab's), or a new one. */
  pki?: LabPki;
}

const DESCRIPTIONS: Record<StartTlsProtocol, string> = {
  smtp: 'SMTP: 220 greeting, EHLO lists STARTTLS, STARTTLS -> 220',
  imap: 'IMAP: * OK greeting, CAPABILITY lists STARTTLS, STARTTLS -> OK',
  pop3: 'POP3: +OK greeting, STLS -> +OK',
  ftp: 'FTP: 220 greeting, AUTH TLS -> 234',
  postgres: "PostgreSQL: SSLRequest -> 'S'",
  ldap: 'LDAP: StartTLS extended operation -> success',
  xmpp: 'XMPP: stream features list starttls, <starttls/> -> <proceed/>',
};

/** Start one STARTTLS server per protocol and the refusing SMTP server. Throws the last listen error. */
export async function startStartTlsLab(options: StartTlsLabOptions = {}): Promise<StartTlsLab> {
  const pki = options.pki ?? (await createLabPki(new Date()));
  const now = pki.issuedAt.getTime();
  const leaf = await issueLeaf(pki.intermediate, {
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 90 * DAY_MS),
    dnsNames: [LAB_STARTTLS_NAME, 'www.example.test', 'example.test'],
    caIssuersUrl: LAB_CA_ISSUERS_URL.intermediate,
  });
  const chainPem = leaf.certPem + pki.intermediate.certPem;
  const specs: Array<{ name: StartTlsLabServer['name']; protocol: StartTlsProtocol; behaviour: StartTlsBehaviour; description: string }> = [
    ...STARTTLS_PROTOCOLS.map((p) => ({ name: p, protocol: p, behaviour: 'good' as const, description: DESCRIPTIONS[p] })),
    { name: 'smtp-no-tls', protocol: 'smtp', behaviour: 'no-starttls', description: 'SMTP that does not offer STARTTLS (EHLO without it, STARTTLS -> 502)' },
  ];
  const servers = await startOnCommonPort(options.port ?? 0, specs.map((s) => (port: number) => new LabStartTlsServer({
    protocol: s.protocol,
    address: LAB_STARTTLS_ADDRESSES[s.name],
    port,
    certChainPem: chainPem,
    keyPem: leaf.keyPem,
    behaviour: s.behaviour,
    name: LAB_STARTTLS_NAME,
  })));
  const port = servers[0]!.port;
  return {
    port,
    servers: specs.map((s) => ({ ...s, address: LAB_STARTTLS_ADDRESSES[s.name], port })),
    chainPem,
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
