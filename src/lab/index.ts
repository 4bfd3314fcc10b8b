/**
 * The course's small enterprise on loopback, in one process: the DNS hierarchy (root,
 * test., example.test., reverse zones and the broken delegations) and one TLS server per
 * certificate case, issued by a lab CA made at start. Later parts add the HTTPS origin,
 * the CDN edge and the VIP to the same lab.
 */
import { startDnsLab, type DnsLab } from './dns/index.js';
import type { Zone } from './dns/server.js';
import { startTlsLab, type TlsLab } from './tls/index.js';
import { createLabPki, type LabKeySource } from './tls/ca.js';
import { startHttpLab, LAB_HTTP_NAMES, type HttpLab } from './http/index.js';
import { MODERN_HTTP_ADDRESSES, MODERN_HTTP_NAMES } from './http/modern-names.js';
import { startLbLab, type LbLab } from './lb/index.js';
import { lbCourseText } from './lb/course-text.js';
import { LAB_STARTTLS_NAME, startStartTlsLab, type StartTlsLab } from './starttls/index.js';
import { startEncryptedDnsFronts, type DnsClient, type EncryptedDnsLab } from './dns/encrypted.js';
import { FANOUT_ADDRESSES, FANOUT_NAMES, SPLIT_SERVERS, startFanoutLab, type FanoutLab } from './fanout/index.js';
import { DELEG_ADDRESSES, DELEG_CASES } from './dns/deleg.js';
import { GSLB_ADDRESS, GSLB_REGIONS } from './dns/gslb.js';
import { LAB_DNSSEC_ADDRESS, LAB_DNSSEC_CASES, writeDnssecAnchorFiles } from './dns/signed.js';

/** Where the lab listens. Every server is on loopback (127.53-56.0.x); nothing else is ever bound. */
export interface LabOptions {
  /** DNS port on every DNS address; 0: a free port. */
  port?: number;
  /** TLS port on every TLS address; 0 (default): a free port. */
  tlsPort?: number;
  /** More zones to serve on the example.test servers (e.g. read from master files). */
  extraZones?: Zone[];
  /** Where the lab PKI's RSA key pairs come from (default: made fresh; see LabKeySource). */
  keySource?: LabKeySource;
}

/** One server of the lab, as `netlab lab` lists it. */
export interface LabEndpoint {
  role: string;
  address: string;
  port: number;
  protocol: 'dns' | 'tls' | 'http' | 'lb' | 'starttls';
  description: string;
}

/** A running lab: its servers, their addresses, and `close()`, which stops them and removes the temporary CA file. */
export interface Lab {
  /** The DNS port of every DNS server. */
  port: number;
  dns: DnsLab;
  tls: TlsLab;
  http: HttpLab;
  /** Load balancing: backends web1..web3 and one VIP per scheduler on 127.56.0.x. */
  lb: LbLab;
  /** One STARTTLS server per protocol of cert-check --starttls on 127.57.0.x (lab chain for mail.example.test). */
  starttls: StartTlsLab;
  /** issue 12: the every-address TLS pair (tls.fanout.test on 127.54.3.1 good and .2 expired); the names are in fanout.test. */
  fanout: FanoutLab;
  /** issue 14: the signed island sec.test. (127.53.6.1): its trust anchor written to a temporary file (a trust-anchors clause, as delv -a reads it; and the DS alone), and its cases. */
  dnssec: { address: string; anchorFile: string; dsFile: string; cases: typeof LAB_DNSSEC_CASES };
  /** issue 14: DoT, DoH and h2c fronts on ns1 and ns2.example.test and the GSLB (certificates from the lab CA, `tls.caFile`). */
  encryptedDns: EncryptedDnsLab;
  endpoints: LabEndpoint[];
  /** One example command per subcommand, runnable against this lab. */
  examples: string[];
  close(): Promise<void>;
}

/**
 * Start the course's network on loopback, in this process: the DNS hierarchy, the TLS cases
 * (a lab CA made now, its root written to a temporary file, `lab.tls.caFile`), the HTTPS
 * origin, the CDN edge and relays, and the load-balancing backends and VIPs. Use it in
 * integration tests as undici's MockAgent is used, but with real servers; always `await
 * lab.close()`. Throws the listen error (e.g. EADDRINUSE for a taken `port`).
 */
export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const dns = await startDnsLab({ port: options.port ?? 0, extraZones: options.extraZones });
  let tls: TlsLab;
  let http: HttpLab;
  try {
    // one lab CA signs the TLS cases and the HTTPS origin and edge, so one --ca file trusts all
    const pki = await createLabPki(new Date(), options.keySource);
    tls = await startTlsLab({ port: options.tlsPort ?? 0, pki });
    try {
      http = await startHttpLab({ pki });
    } catch (e) {
      await tls.close();
      throw e;
    }
  } catch (e) {
    await dns.close();
    throw e;
  }
  let lb: LbLab;
  try {
    lb = await startLbLab({ pki: tls.pki });
  } catch (e) {
    await Promise.all([dns.close(), tls.close(), http.close()]);
    throw e;
  }
  let starttls: StartTlsLab;
  try {
    starttls = await startStartTlsLab({ pki: tls.pki });
  } catch (e) {
    await Promise.all([dns.close(), tls.close(), http.close(), lb.close()]);
    throw e;
  }
  let fanout: FanoutLab;
  try {
    fanout = await startFanoutLab({ pki: tls.pki, port: options.tlsPort ?? 0 });
  } catch (e) {
    await Promise.all([dns.close(), tls.close(), http.close(), lb.close(), starttls.close()]);
    throw e;
  }
  let anchors: Awaited<ReturnType<typeof writeDnssecAnchorFiles>>;
  try {
    anchors = await writeDnssecAnchorFiles();
  } catch (e) {
    await Promise.all([dns.close(), tls.close(), http.close(), lb.close(), starttls.close(), fanout.close()]);
    throw e;
  }
  // issue 14: DoT and DoH on ns1 and ns2.example.test and on the GSLB (which answers by the
  // client's subnet, else its address), with certificates from the lab CA
  let encryptedDns: EncryptedDnsLab;
  try {
    const fronted = [
      { name: 'ns1.example.test', address: dns.addresses.ns1Example },
      { name: 'ns2.example.test', address: dns.addresses.ns2Example },
      { name: 'ns1.gslb.test', address: GSLB_ADDRESS },
    ];
    encryptedDns = await startEncryptedDnsFronts(tls.pki, fronted.map(({ name, address }) => {
      const server = dns.servers.find((s) => s.address === address)!;
      return { name, address, answer: (q: Buffer, client: DnsClient) => server.respond(q, 'tcp', client.address) };
    }));
  } catch (e) {
    await Promise.all([dns.close(), tls.close(), http.close(), lb.close(), starttls.close(), fanout.close(), anchors.remove()]);
    throw e;
  }
  const a = dns.addresses;
  const p = dns.port;
  // zones given with --zone (e.g. from hosts2zone), served by ns1 and ns2 too
  const extraZones = (options.extraZones ?? []).map((z) => `, ${z.origin}`).join('');
  const endpoints: LabEndpoint[] = [
    { role: 'root', address: a.root, port: p, protocol: 'dns', description: 'root zone (.)' },
    { role: 'tld', address: a.tld, port: p, protocol: 'dns', description: 'test., in-addr.arpa., ip6.arpa.' },
    { role: 'ns1.example.test', address: a.ns1Example, port: p, protocol: 'dns', description: `example.test., 2.0.192.in-addr.arpa., 8.b.d.0.1.0.0.2.ip6.arpa., lame.test., slow.test., fanout.test.${extraZones}` },
    { role: 'ns2.example.test', address: a.ns2Example, port: p, protocol: 'dns', description: `example.test., the reverse zones and fanout.test.${extraZones}` },
    { role: 'glueless', address: a.glueless, port: p, protocol: 'dns', description: 'glueless.test. (its NS name has no glue)' },
    { role: 'lame', address: a.lame, port: p, protocol: 'dns', description: 'answers REFUSED to everything (ns1.lame.test.)' },
    { role: 'upward', address: a.upward, port: p, protocol: 'dns', description: 'refers back to the root (upward.test.)' },
    { role: 'silent', address: a.silent, port: p, protocol: 'dns', description: 'never answers (ns2.dead.test., ns1.slow.test.)' },
    { role: 'unbound', address: a.unbound, port: p, protocol: 'dns', description: 'nothing listens (ns1.dead.test.)' },
  ];
  for (const c of tls.cases) {
    // issue 11: and what --ocsp, --crl or --fetch-missing change
    const asked = Object.entries(c.whenAsked ?? {}).map(([k, e]) => `; with --${k === 'fetchMissing' ? 'fetch-missing' : k} ${e.expectedStatus}${e.expectedCodes.length ? `: ${e.expectedCodes.join(', ')}` : ''}`).join('');
    endpoints.push({ role: `tls ${c.name}`, address: c.address, port: c.port, protocol: 'tls', description: `${c.description} (expect ${c.expectedStatus}${c.expectedCodes.length ? `: ${c.expectedCodes.join(', ')}` : ''}${asked})` });
  }
  // issue 11: the PKI repository the revocation-* and aia-* cases point at
  endpoints.push({ role: 'pki repository', address: tls.repository.address, port: tls.repository.port, protocol: 'http', description: `plain HTTP: OCSP responder ${tls.repository.urls.ocsp} (and /ocsp/delegated, /ocsp/no-eku, /ocsp/stale, /ocsp/try-later), CRL ${tls.repository.urls.crl} (and .crl.pem, /stale.crl), caIssuers ${tls.repository.urls.intermediate} (and .p7c)` });
  for (const e of [http.origin, http.edge, http.far, http.near]) {
    endpoints.push({ role: `http ${e.address === http.origin.address ? 'origin' : e.address === http.edge.address ? 'cdn edge' : e.address === http.far.address ? 'far relay' : 'near relay'}`, address: e.address, port: e.httpsPort, protocol: 'http', description: `${e.description} (HTTPS ${e.httpsPort}, HTTP ${e.httpPort})` });
  }
  // issue 15: today's web on 127.55.1.x
  endpoints.push({ role: 'http h2', address: MODERN_HTTP_ADDRESSES.h2, port: http.httpsPort, protocol: 'http', description: `${MODERN_HTTP_NAMES.h2}: h2 and HTTP/1.1 by ALPN, TLS 1.2-1.3, session tickets; the origin's routes, /redirect/N, /loop/a` });
  endpoints.push({ role: 'http tls 1.2 only', address: MODERN_HTTP_ADDRESSES.tls12, port: http.httpsPort, protocol: 'http', description: `${MODERN_HTTP_NAMES.tls12}: as ${MODERN_HTTP_NAMES.h2}, TLS 1.2 only` });
  endpoints.push({ role: 'http tls 1.3 only', address: MODERN_HTTP_ADDRESSES.tls13, port: http.httpsPort, protocol: 'http', description: `${MODERN_HTTP_NAMES.tls13}: as ${MODERN_HTTP_NAMES.h2}, TLS 1.3 only` });
  for (const e of http.modern.edges) {
    endpoints.push({ role: `http edge ${e}`, address: e, port: http.httpsPort, protocol: 'http', description: e === http.modern.slowEdge ? `${MODERN_HTTP_NAMES.edges}'s slow edge: a relay to ${MODERN_HTTP_ADDRESSES.h2} adding ${http.modern.slowEdgeRttMs} ms RTT` : `one of ${MODERN_HTTP_NAMES.edges}'s three edges (as ${MODERN_HTTP_NAMES.h2})` });
  }
  endpoints.push({ role: 'slow dns', address: a.slowDns, port: p, protocol: 'dns', description: 'slowdns.test., answers late (to show the dns phase)' });
  // issue 14: zone transfers (example.test. on ns1/ns2 to loopback; xfr.test. with the key only)
  endpoints.push({ role: 'ns1.xfr.test', address: a.xfr, port: p, protocol: 'dns', description: `xfr.test., AXFR/IXFR only with TSIG key ${dns.xfrKey.name} (${dns.xfrKey.algorithm}, key file ${dns.xfrKeyFile})` });
  for (const b of lb.backends) {
    endpoints.push({ role: `lb backend ${b.name}`, address: b.address, port: lb.httpPort, protocol: 'lb', description: b.marker ? `HTTP (X-Backend: ${b.marker}) on ${lb.httpPort}, banner on ${lb.bannerPort}` : 'nothing listens: a dead backend' });
  }
  for (const v of lb.vips) {
    endpoints.push({ role: `lb vip ${v.name}`, address: v.address, port: v.httpPort, protocol: 'lb', description: v.https ? `${v.description}; HTTPS on ${v.httpPort}` : `${v.description}; L7 HTTP ${v.httpPort}, L4 HTTP ${v.tcpPort}, L4 banner ${v.bannerPort}` });
  }
  // issue 16: the HTTPS backends and the control endpoint of the hash VIPs
  const lbCourse = lbCourseText(lb, tls.caFile, `${a.ns1Example}:${p}`);
  for (const e of lbCourse.endpoints) endpoints.push({ ...e, protocol: 'lb' });
  // issue 12: fan-out (netlab check every-address and every-server)
  endpoints.push({ role: 'ns1.split.test', address: SPLIT_SERVERS.ns1, port: p, protocol: 'dns', description: `split.test. (every-server: agrees with ns2)` });
  endpoints.push({ role: 'ns2.split.test', address: SPLIT_SERVERS.ns2, port: p, protocol: 'dns', description: `split.test. (every-server: agrees with ns1)` });
  endpoints.push({ role: 'ns3.split.test', address: SPLIT_SERVERS.ns3, port: p, protocol: 'dns', description: `split.test. stale: an older SOA serial and another A for ${FANOUT_NAMES.splitAnswer} (every-server flags it)` });
  // issue 14: the broken delegations of dig +zone-check / +nssearch (src/lab/dns/deleg.ts)
  for (const [role, address] of Object.entries(DELEG_ADDRESSES)) {
    const what = { good1: 'serves every delegation case zone correctly', good2: 'serves the delegation case zones correctly too', stale: 'stale.test. with an older SOA serial', noaa: 'noaa.test. without the AA bit (lame)', noedns: 'noedns.test.: FORMERR to EDNS queries (a pre-EDNS server)', notcp: 'notcp.test.: UDP only, nothing on TCP', silent: 'never answers (silent.test.)' }[role];
    endpoints.push({ role: `deleg ${role}`, address, port: p, protocol: 'dns', description: what ?? '' });
  }
  for (const c of DELEG_CASES) {
    endpoints.push({ role: `case ${c.zone}`, address: a.root, port: p, protocol: 'dns', description: `${c.description} (dig +zone-check ${c.name}: expect ${c.expectedStatus}${c.expectedCodes.length ? `: ${c.expectedCodes.join(', ')}` : ''})` });
  }
  // issue 14: the GSLB
  endpoints.push({ role: 'gslb', address: GSLB_ADDRESS, port: p, protocol: 'dns', description: `gslb.test.: www.gslb.test A is an edge per client subnet (ECS, else the source address): ${GSLB_REGIONS.map((r) => `${r.name} ${r.subnets.length ? r.subnets.join(', ') : '(the rest)'} -> ${r.edge}`).join('; ')}; where.gslb.test TXT names the region; DNS cookies` });
  for (const t of fanout.tls) {
    endpoints.push({ role: `fanout ${FANOUT_NAMES.tls}`, address: t.address, port: fanout.tlsPort, protocol: 'tls', description: `${FANOUT_NAMES.tls}, one of its two A records (expect ${t.expectedStatus}${t.expectedCodes.length ? `: ${t.expectedCodes.join(', ')}` : ''})` });
  }
  endpoints.push({ role: `fanout ${FANOUT_NAMES.http}`, address: FANOUT_ADDRESSES.httpDead, port: http.httpsPort, protocol: 'http', description: `nothing listens: ${FANOUT_NAMES.http}'s second A record (its first is the origin, ${FANOUT_ADDRESSES.httpGood})` });
  endpoints.push({ role: `fanout ${FANOUT_NAMES.vip}`, address: FANOUT_ADDRESSES.vipDead, port: lb.httpPort, protocol: 'lb', description: `nothing listens: ${FANOUT_NAMES.vip}'s second A record (its first is the rr VIP, ${FANOUT_ADDRESSES.vipGood})` });
  // issue 14: DNSSEC validation (netlab dig +validate, delv)
  endpoints.push({ role: 'ns1.sec.test', address: LAB_DNSSEC_ADDRESS, port: p, protocol: 'dns', description: `sec.test. signed (trust anchor: ${anchors.anchorFile}) and its children: good, rsa, ed, p384, sha512, sha1, nsec3 (secure), unsigned and optout.nsec3 (insecure), expired, dsmismatch, nokey, tampered (bogus); BIND's delv validates them too: delv @${LAB_DNSSEC_ADDRESS} -p ${p} -a FILE +root=sec.test NAME` });
  for (const f of encryptedDns.fronts) {
    const name = f.address === a.ns1Example ? 'ns1.example.test' : f.address === a.ns2Example ? 'ns2.example.test' : 'ns1.gslb.test';
    endpoints.push({ role: `${name} DoT`, address: f.address, port: f.ports.dot, protocol: 'dns', description: `DNS over TLS (RFC 7858) to ${name}; certificate for ${name} from the lab CA` });
    endpoints.push({ role: `${name} DoH`, address: f.address, port: f.ports.doh, protocol: 'dns', description: `DNS over HTTPS (RFC 8484, HTTP/2, POST and GET /dns-query) to ${name}; certificate from the lab CA` });
    endpoints.push({ role: `${name} DoH h2c`, address: f.address, port: f.ports.h2c, protocol: 'dns', description: `DoH over cleartext HTTP/2 (h2c, prior knowledge, /dns-query) to ${name}` });
  }
  for (const st of starttls.servers) {
    endpoints.push({ role: `starttls ${st.name}`, address: st.address, port: st.port, protocol: 'starttls', description: `${st.description}${st.behaviour === 'good' ? '' : ' (expect CRITICAL: STARTTLS_FAILED)'}` });
  }
  const ex = a.ns1Example;
  const good = tls.cases.find((c) => c.name === 'good')!;
  const expired = tls.cases.find((c) => c.name === 'expired')!;
  const revoked = tls.cases.find((c) => c.name === 'revocation-revoked')!;
  const examples = [
    `netlab dig @${ex} -p ${p} www.example.test`,
    `netlab dig @${ex} -p ${p} example.test MX +short`,
    `netlab dig @${ex} -p ${p} huge.example.test AAAA   # truncated over UDP, retried over TCP`,
    `netlab dig @${ex} -p ${p} -x 192.0.2.10`,
    `netlab dig @${ex} -p ${p} -x 2001:db8::10`,
    `netlab dig @${a.root} -p ${p} +trace www.example.test`,
    `netlab dig @${a.root} -p ${p} +trace www.glueless.test`,
    `netlab dig @${a.root} -p ${p} +trace www.lame.test`,
    `netlab dig @${a.root} -p ${p} +trace www.slow.test   # a silent server, raced by the next`,
    `netlab dig @${a.root} -p ${p} +trace www.dead.test   # fails, exit 2`,
    `netlab dig @${ex} -p ${p} example.test AXFR   # a zone transfer over TCP`,
    `netlab dig -k ${dns.xfrKeyFile} @${a.xfr} -p ${p} xfr.test AXFR   # TSIG-signed; without -k: Transfer failed, exit 2`,
    `netlab hosts2zone /etc/hosts --origin corp.test --reverse --out zones   # then: netlab lab --zone zones/db.*, and --verify ${ex}:${p}`,
    `netlab cert-check www.example.test:${good.port} --connect-to ${good.address} --ca ${tls.caFile}`,
    `netlab cert-check www.example.test:${expired.port} --connect-to ${expired.address} --ca ${tls.caFile}   # EXPIRED, exit 2`,
    `netlab cert-check www.example.test:${revoked.port} --connect-to ${revoked.address} --ca ${tls.caFile} --ocsp --crl   # REVOKED, exit 2`,
    `netlab trace-request https://${LAB_HTTP_NAMES.www}:${http.httpsPort}/delay/20 --origin ${http.far.address} --cdn ${http.near.address} --ca ${tls.caFile} --samples 5`,
    `netlab trace-request https://${LAB_HTTP_NAMES.slowDns}:${http.httpsPort}/ --resolver ${a.slowDns}:${p} --ca ${tls.caFile}   # a slow DNS server: the dns phase`,
    // issue 15: h2, resumption, keep-alive, every edge, redirects
    `netlab trace-request https://${MODERN_HTTP_NAMES.edges}:${http.httpsPort}/ --origin ${http.modern.slowEdge} --ca ${tls.caFile} --samples 5 --resume --reuse 3   # h2, resumed TLS 1.3 and a reused connection: the savings measured`,
    `netlab trace-request https://${MODERN_HTTP_NAMES.edges}:${http.httpsPort}/ --every-address --resolver ${ex}:${p} --ca ${tls.caFile} --samples 3   # three edges, one slow`,
    `netlab trace-request https://${MODERN_HTTP_NAMES.h2}:${http.httpsPort}/redirect/3 --origin ${MODERN_HTTP_ADDRESSES.h2} --ca ${tls.caFile} -L 5   # each hop timed (/loop/a: a loop, exit 2)`,
    `netlab cert-check ${LAB_STARTTLS_NAME}:${starttls.port} --connect-to ${starttls.servers[0]!.address} --starttls smtp --ca ${tls.caFile}`,
    `netlab lb-probe ${lb.vip('wrr').address}:${lb.httpPort} ${lb.backendTargets('wrr', 'http').map((b) => `--backend ${b}`).join(' ')} --weights 3,1,1`,
    ...lbCourse.examples,
    // issue 12: one address of each fan-out name at a time, as netlab check's every-address pins them
    `netlab cert-check ${FANOUT_NAMES.tls}:${fanout.tlsPort} --connect-to ${FANOUT_ADDRESSES.tlsExpired} --ca ${tls.caFile}   # the expired one of its two addresses, exit 2`,
    `netlab trace-request https://${FANOUT_NAMES.http}:${http.httpsPort}/ --origin ${FANOUT_ADDRESSES.httpDead} --no-resolved --ca ${tls.caFile}   # the dead one of its two addresses, exit 2`,
    // issue 14: the encrypted transports
    `netlab dig @${ex} -p ${encryptedDns.ports.dot} +tls www.example.test   # DoT, opportunistic: encrypted, not verified`,
    `netlab dig @${ex} -p ${encryptedDns.ports.dot} +tls-ca=${tls.caFile} +tls-hostname=ns1.example.test www.example.test   # DoT, verified`,
    `netlab dig @${ex} -p ${encryptedDns.ports.doh} +https +tls-ca=${tls.caFile} www.example.test AAAA   # DoH (POST), verified for ${ex}`,
    `netlab dig @${ex} -p ${encryptedDns.ports.h2c} +http-plain-get example.test MX +short   # DoH over cleartext HTTP/2`,
    `netlab dig @${SPLIT_SERVERS.ns3} -p ${p} ${FANOUT_NAMES.splitAnswer} +norecurse   # the stale server of split.test.`,
    // issue 14: delegation health
    `netlab dig @${a.root} -p ${p} +nssearch stale.test   # the SOA of every server: one serial is older, exit 1`,
    `netlab dig @${a.root} -p ${p} +zone-check www.example.test   # every server of every zone on the way: nothing wrong`,
    `netlab dig @${a.root} -p ${p} +zone-check www.noedns.test   # EDNS_BROKEN (and www.stale/noaa/silent/nsdiff/gluediff/notcp.test, each its own code)`,
    // issue 14: the GSLB: the client subnet picks the edge
    `netlab dig @${GSLB_ADDRESS} -p ${p} www.gslb.test +subnet=198.51.100.0/24   # the north edge, CLIENT-SUBNET scope /24`,
    `netlab dig @${GSLB_ADDRESS} -p ${encryptedDns.ports.doh} +https +tls-ca=${tls.caFile} www.gslb.test +subnet=198.51.100.0/24   # HttpDNS: the same over DoH, verified`,
    `netlab dig @${a.root} -p ${p} +validate --trust-anchor ${anchors.anchorFile} www.good.sec.test   # DNSSEC: fully validated`,
    `netlab dig @${a.root} -p ${p} +validate --trust-anchor ${anchors.anchorFile} www.tampered.sec.test   # bogus: BAD_SIGNATURE, exit 2`,
  ];
  return {
    port: p,
    dns,
    tls,
    http,
    lb,
    starttls,
    fanout,
    dnssec: { address: LAB_DNSSEC_ADDRESS, anchorFile: anchors.anchorFile, dsFile: anchors.dsFile, cases: LAB_DNSSEC_CASES },
    encryptedDns,
    endpoints,
    examples,
    close: async () => {
      await Promise.all([dns.close(), tls.close(), http.close(), lb.close(), starttls.close(), fanout.close(), anchors.remove(), encryptedDns.close()]);
    },
  };
}
