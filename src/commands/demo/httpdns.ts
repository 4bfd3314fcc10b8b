/**
 * issue 14: the course's HttpDNS lesson on loopback. A GSLB (src/lab/dns/gslb.ts) answers with
 * the edge nearest the client it sees. Asked through a "LocalDNS" it sees only the resolver's
 * address (here the demo's own, 127.0.0.1: the default edge); asked the way HttpDNS and DoH
 * providers ask, with the client's own subnet in the query (EDNS Client Subnet), it lands the
 * client on its own region's edge.
 */
import { GSLB_ADDRESS, GSLB_NAME, GSLB_REGIONS } from '../../lab/dns/gslb.js';

/** A demo step running `netlab dig` with these arguments. */
export interface HttpDnsStep {
  title: string;
  command: 'dig';
  args: string[];
  expected: 'OK';
}

/** The client's subnet in the lesson: the GSLB's north region. */
export const HTTPDNS_CLIENT_SUBNET = GSLB_REGIONS.find((r) => r.name === 'north')!.subnets[0]!;

/**
 * The lesson's two steps against the lab's GSLB on `port` (Do53). `doh`: the GSLB's DoH front
 * (its port and the lab CA that verifies it), which the second query goes through, as an
 * HttpDNS client does; without it, the second query is Do53 too.
 */
export function httpDnsSteps(port: number, doh?: { port: number; caFile: string }): HttpDnsStep[] {
  const name = GSLB_NAME.replace(/\.$/, '');
  const north = GSLB_REGIONS.find((r) => r.name === 'north')!.edge;
  const fallback = GSLB_REGIONS.find((r) => r.name === 'default')!.edge;
  const base = [`@${GSLB_ADDRESS}`, '-p', String(port), name];
  const viaDoh = doh ? [`@${GSLB_ADDRESS}`, '-p', String(doh.port), name, '+https', `+tls-ca=${doh.caFile}`] : base;
  return [
    {
      command: 'dig',
      title: `HttpDNS, 1/2: through a LocalDNS, without the client's subnet, the GSLB sees only the resolver's address and answers its default edge (${fallback})`,
      args: [...base, '+noall', '+answer'],
      expected: 'OK',
    },
    {
      command: 'dig',
      title: `HttpDNS, 2/2: ${doh ? 'over DoH (HTTPS, verified: no LocalDNS to hijack it), ' : ''}with the client's subnet in the query (${HTTPDNS_CLIENT_SUBNET}, as HttpDNS and DoH providers pass it), the GSLB answers the client's own edge (${north}); CLIENT-SUBNET shows the scope it used`,
      args: [...viaDoh, `+subnet=${HTTPDNS_CLIENT_SUBNET}`, '+noall', '+answer', '+comments'],
      expected: 'OK',
    },
  ];
}
