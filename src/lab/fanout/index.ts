/**
 * issue 12: the lab's every-address TLS pair: two servers for one name, tls.fanout.test, on
 * their own loopback addresses and one port, the first with a good chain and the second with
 * a leaf that expired 10 days ago, both issued by the lab CA. The name's two A records are in
 * the lab's fanout.test. zone (src/lab/dns/zones.ts); the HTTP and VIP names there point at
 * the HTTP and load-balancing labs' own servers.
 */
import { startOnCommonPort } from '../common-port.js';
import { DAY_MS, issueLeaf, type LabPki } from '../tls/ca.js';
import { LabTlsServer } from '../tls/server.js';
import { FANOUT_ADDRESSES, FANOUT_NAMES } from './names.js';

export { FANOUT_ADDRESSES, FANOUT_NAMES, FANOUT_ZONE, SPLIT_SERIALS, SPLIT_SERVERS, SPLIT_ZONE } from './names.js';

export interface FanoutLab {
  /** The TLS port of both tls.fanout.test servers. */
  tlsPort: number;
  /** Each server of tls.fanout.test: its address and what cert-check gives for it with the lab root. */
  tls: Array<{ address: string; expectedStatus: 'OK' | 'CRITICAL'; expectedCodes: string[] }>;
  close(): Promise<void>;
}

/** Start the TLS pair on `port` (0: a free one common to both addresses). Throws the last listen error. */
export async function startFanoutLab(options: { pki: LabPki; port?: number }): Promise<FanoutLab> {
  const { pki } = options;
  const t = pki.issuedAt.getTime();
  const [good, expired] = await Promise.all([
    issueLeaf(pki.intermediate, { dnsNames: [FANOUT_NAMES.tls], notBefore: new Date(t - DAY_MS), notAfter: new Date(t + 90 * DAY_MS) }),
    issueLeaf(pki.intermediate, { dnsNames: [FANOUT_NAMES.tls], notBefore: new Date(t - 100 * DAY_MS), notAfter: new Date(t - 10 * DAY_MS) }),
  ]);
  const specs = [
    { address: FANOUT_ADDRESSES.tlsGood, leaf: good, body: 'netlab lab: tls.fanout.test, the good server' },
    { address: FANOUT_ADDRESSES.tlsExpired, leaf: expired, body: 'netlab lab: tls.fanout.test, the server whose certificate expired' },
  ];
  const servers = await startOnCommonPort(options.port ?? 0, specs.map((s) => (port: number) => new LabTlsServer({
    address: s.address,
    port,
    // served with its issuer, as a correctly configured server does
    certChainPem: s.leaf.certPem + pki.intermediate.certPem,
    keyPem: s.leaf.keyPem,
    body: s.body,
  })));
  return {
    tlsPort: servers[0]!.port,
    tls: [
      { address: FANOUT_ADDRESSES.tlsGood, expectedStatus: 'OK', expectedCodes: [] },
      { address: FANOUT_ADDRESSES.tlsExpired, expectedStatus: 'CRITICAL', expectedCodes: ['EXPIRED'] },
    ],
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
