/**
 * The parts of the lab a trace-request test needs: the DNS hierarchy, the lab PKI and the HTTP
 * lab (origin, CDN edge and relays, the modern servers), and the root written to a temporary
 * file (`tls.caFile`). startLab() also starts the TLS certificate cases, the LB, STARTTLS,
 * fanout and the encrypted DNS fronts, about 2 s of CPU per test file that does not use them.
 * The same servers and PKI as startLab's (it starts these parts the same way).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDnsLab, type DnsLab } from '../../src/lab/dns/index.js';
import { startHttpLab, type HttpLab } from '../../src/lab/http/index.js';
import { createLabPki } from '../../src/lab/tls/ca.js';

export interface HttpPartsLab {
  /** The DNS port of every DNS server. */
  port: number;
  dns: DnsLab;
  http: HttpLab;
  tls: { rootPem: string; caFile: string };
  close(): Promise<void>;
}

export async function startHttpParts(): Promise<HttpPartsLab> {
  const dns = await startDnsLab({ port: 0 });
  const dir = await mkdtemp(path.join(tmpdir(), 'netlab-http-lab-'));
  try {
    const pki = await createLabPki(new Date());
    const caFile = path.join(dir, 'lab-root.pem');
    await writeFile(caFile, pki.root.certPem);
    const http = await startHttpLab({ pki });
    return {
      port: dns.port, dns, http, tls: { rootPem: pki.root.certPem, caFile },
      close: async () => {
        await Promise.all([http.close(), dns.close()]);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await dns.close();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
