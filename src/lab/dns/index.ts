/** The lab's DNS hierarchy: every server on its own loopback address, all on one port. */
import { startOnCommonPort } from '../common-port.js';
import { LabDnsServer, type DnsServerOptions, type Zone } from './server.js';
import { LAB_DNS_ADDRESSES as A, labZones } from './zones.js';
import { delegServers } from './deleg.js';
import { answerGslb, GSLB_ADDRESS, gslbZone } from './gslb.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { keyFileText, labXfrZone } from './xfr.js';
import type { TsigKey } from '../../protocol/dns/tsig.js';
import { LAB_DNSSEC_ADDRESS, labDnssecZones } from './signed.js';

export interface DnsLab {
  port: number;
  servers: LabDnsServer[];
  /** issue 14: the GSLB server (gslb.test. on 127.53.3.1, src/lab/dns/gslb.ts). */
  gslb: LabDnsServer;
  /** The root server: what `dig +trace @root` starts from. */
  root: string;
  addresses: typeof A;
  /** issue 14: the TSIG key xfr.test. (on 127.53.1.1) is transferred with, made at start. */
  xfrKey: TsigKey;
  /** That key as a BIND key file (for dig -k), in a temporary directory removed by close(). */
  xfrKeyFile: string;
  close(): Promise<void>;
}

export interface DnsLabOptions {
  /** 0 (default): a free port, the same on every address. */
  port?: number;
  /** Extra zones to serve on the example.test servers (e.g. from `netlab lab --zone`). */
  extraZones?: Zone[];
  /** Delay every answer of the example.test servers by this much (to make the dns phase visible). */
  delayMs?: number;
  /** Delay of the slowdns.test. server (127.53.0.10), ms. Default 150. */
  slowDnsDelayMs?: number;
}

/** How late the slowdns.test. server answers by default, ms. */
export const DEFAULT_SLOW_DNS_DELAY_MS = 150;

function layout(extra: Zone[], delayMs: number | undefined, slowDnsDelayMs: number, xfrKey: TsigKey): Array<Omit<DnsServerOptions, 'port'>> {
  const z = labZones();
  // issue 14: example.test. transferred to loopback clients, xfr.test. only with the key
  const open = [{ origin: 'example.test.' }];
  return [
    { address: A.root, zones: [z.root], nsid: 'a.root.test' },
    { address: A.tld, zones: [z.tld, z.inAddrArpa, z.ip6Arpa], nsid: 'ns1.nic.test' },
    { address: A.ns1Example, zones: [z.example, z.reverse4, z.reverse6, z.lame, z.slow, z.fanout, ...extra], nsid: 'ns1.example.test', delayMs, transfers: open },
    { address: A.ns2Example, zones: [z.example, z.reverse4, z.reverse6, z.fanout, ...extra], nsid: 'ns2.example.test', delayMs, transfers: open },
    { address: A.glueless, zones: [z.glueless] },
    { address: A.lame, zones: [], behaviour: 'refuse' },
    { address: A.upward, zones: [z.root] },
    { address: A.silent, zones: [], behaviour: 'silent' },
    { address: A.slowDns, zones: [z.slowDns], nsid: 'ns1.slowdns.test', delayMs: slowDnsDelayMs },
    // issue 12: split.test.'s servers, the third one stale (every-server flags it)
    { address: A.split1, zones: [z.split], nsid: 'ns1.split.test' },
    { address: A.split2, zones: [z.split], nsid: 'ns2.split.test' },
    { address: A.split3, zones: [z.splitStale], nsid: 'ns3.split.test' },
    // issue 14: the broken delegations of +zone-check (127.53.4.x)
    ...delegServers(),
    // issue 14: the GSLB (an edge per client subnet, ECS or source address) answers DNS cookies too
    { address: GSLB_ADDRESS, zones: [gslbZone()], nsid: 'ns1.gslb.test', answer: answerGslb, cookieSecret: randomBytes(16) },
    { address: A.xfr, zones: [labXfrZone(A.xfr)], nsid: 'ns1.xfr.test', transfers: [{ origin: 'xfr.test.', key: xfrKey }] },
    // issue 14: the signed island sec.test. and its children (src/lab/dns/signed.ts)
    { address: LAB_DNSSEC_ADDRESS, zones: labDnssecZones(), nsid: 'ns1.sec.test' },
  ];
}

/** Start every lab DNS server. With port 0, retries until one port is free on all addresses. */
export async function startDnsLab(options: DnsLabOptions = {}): Promise<DnsLab> {
  const xfrKey: TsigKey = { name: 'lab-xfr-key', algorithm: 'hmac-sha256', secret: randomBytes(32) };
  const specs = layout(options.extraZones ?? [], options.delayMs, options.slowDnsDelayMs ?? DEFAULT_SLOW_DNS_DELAY_MS, xfrKey);
  const servers = await startOnCommonPort(options.port ?? 0, specs.map((spec) => (port: number) => new LabDnsServer({ ...spec, port })));
  let dir: string;
  try {
    dir = await mkdtemp(path.join(os.tmpdir(), 'netlab-dns-'));
    await writeFile(path.join(dir, 'lab-xfr.key'), keyFileText(xfrKey), { mode: 0o600 });
  } catch (e) {
    await Promise.all(servers.map((s) => s.close()));
    throw e;
  }
  return {
    port: servers[0]!.port,
    servers,
    gslb: servers.find((s) => s.address === GSLB_ADDRESS)!,
    root: A.root,
    addresses: A,
    xfrKey,
    xfrKeyFile: path.join(dir, 'lab-xfr.key'),
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
