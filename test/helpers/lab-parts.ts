/**
 * The parts of the lab a test file needs, started as startLab() starts them (the same
 * functions, the same lab PKI for all), without the parts it does not use. startLab() always
 * starts everything: the TLS certificate cases alone (dozens of certificates, chains, OCSP and
 * CRLs) cost about 1-2 s of CPU per test file, the whole lab 2.5-3 s. Always: the DNS
 * hierarchy, the lab PKI and its root written to a temporary file (`tls.caFile`, as
 * `lab.tls.caFile`); on request: the HTTP lab (origin, CDN edge, relays, modern servers), the
 * LB backends and VIPs, the every-address TLS pair (fanout).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDnsLab, type DnsLab } from '../../src/lab/dns/index.js';
import { startHttpLab, type HttpLab } from '../../src/lab/http/index.js';
import { startLbLab, type LbLab } from '../../src/lab/lb/index.js';
import { startFanoutLab, type FanoutLab } from '../../src/lab/fanout/index.js';
import { createLabPki } from '../../src/lab/tls/ca.js';
import { testKeySource } from './test-keys.js';

export interface LabParts<H extends boolean, L extends boolean, F extends boolean> {
  /** The DNS port of every DNS server. */
  port: number;
  dns: DnsLab;
  tls: { rootPem: string; caFile: string };
  http: H extends true ? HttpLab : undefined;
  lb: L extends true ? LbLab : undefined;
  fanout: F extends true ? FanoutLab : undefined;
  close(): Promise<void>;
}

export async function startLabParts<H extends boolean = false, L extends boolean = false, F extends boolean = false>(
  want: { http?: H; lb?: L; fanout?: F } = {},
): Promise<LabParts<H, L, F>> {
  const dns = await startDnsLab({ port: 0 });
  const dir = await mkdtemp(path.join(tmpdir(), 'netlab-lab-parts-'));
  const started: Array<{ close(): Promise<void> }> = [dns];
  const close = async () => {
    await Promise.all(started.map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const pki = await createLabPki(new Date(), testKeySource());
    const caFile = path.join(dir, 'lab-root.pem');
    await writeFile(caFile, pki.root.certPem);
    const http = want.http ? await startHttpLab({ pki }) : undefined;
    if (http) started.push(http);
    const lb = want.lb ? await startLbLab({ pki }) : undefined;
    if (lb) started.push(lb);
    const fanout = want.fanout ? await startFanoutLab({ pki, port: 0 }) : undefined;
    if (fanout) started.push(fanout);
    return { port: dns.port, dns, tls: { rootPem: pki.root.certPem, caFile }, http, lb, fanout, close } as LabParts<H, L, F>;
  } catch (e) {
    await close();
    throw e;
  }
}
