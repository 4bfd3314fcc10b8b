/**
 * issue 16: what `netlab lab` prints about the LB lab's second part (course.ts): its endpoints
 * (the HTTPS backends, the control endpoint; the VIPs are listed with the others) and one
 * example command per lesson.
 */
import type { LbLab } from './index.js';
import { LB_NAME } from './names.js';

export interface LbCourseText {
  endpoints: Array<{ role: string; address: string; port: number; description: string }>;
  examples: string[];
}

/** `caFile`: the lab root (--ca); `resolver`: ADDR:PORT of a lab DNS server with example.test. */
export function lbCourseText(lb: LbLab, caFile: string, resolver: string): LbCourseText {
  const endpoints: LbCourseText['endpoints'] = [];
  for (const b of lb.tlsBackends) {
    const cert = b.certificate === 'good' ? 'the good certificate' : b.certificate === 'expired' ? 'an EXPIRED certificate' : 'a certificate for another name';
    endpoints.push({ role: `lb tls backend ${b.name}`, address: b.address, port: lb.httpPort, description: `HTTPS (X-Backend: ${b.name}) on ${lb.httpPort}, ${cert}` });
  }
  if (lb.control) {
    endpoints.push({ role: 'lb control', address: lb.control.address, port: lb.control.port, description: `plain HTTP: POST /fail?backend=web3 takes web3 out of the hash VIPs (&vip=NAME: one VIP), POST /restore?backend=web3, GET / shows what is out` });
  }
  const examples: string[] = [];
  const port = lb.httpPort;
  const has = (name: string) => lb.vips.some((v) => v.name === name);
  if (has('https-mixed')) {
    const mixed = lb.vip('https-mixed');
    examples.push(`netlab lb-probe https://${mixed.address}:${port} ${lb.backendTargets('https-mixed', 'http').map((b) => `--backend ${b}`).join(' ')} --ca ${caFile}   # backends with three certificates: CERT_INVALID, CERT_MISMATCH, exit 2`);
  }
  if (has('name-1')) examples.push(`netlab lb-probe https://${LB_NAME}:${port} --resolver ${resolver} --ca ${caFile} --requests 60   # a name, three VIPs: every address probed`);
  if (has('hash-mod') && lb.control) {
    const vip = lb.vip('hash-mod');
    const control = `${lb.control.address}:${lb.control.port}`;
    examples.push(`netlab lb-probe ${vip.address}:${port} --source-ips 127.58.1.1-127.58.1.200 --requests 400 --save-map before.json   # then: curl -X POST 'http://${control}/fail?backend=web3'`);
    examples.push(`netlab lb-probe ${vip.address}:${port} --source-ips 127.58.1.1-127.58.1.200 --requests 400 --compare-map before.json   # modulo: most sources moved (hash-consistent ${lb.vip('hash-consistent').address}: about a third)`);
  }
  return { endpoints, examples };
}
