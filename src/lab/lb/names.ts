/**
 * issue 16: the addresses of the LB lab's second part (src/lab/lb/course.ts), all on 127.58.0.x,
 * and the name whose three A records are three VIPs. Data only: the DNS lab's zones import it.
 */
export const LB_COURSE_ADDRESSES = {
  /** HTTPS backends: tls1 and tls2 serve the good certificate, tls3 an expired one, tls4 one for another name. */
  tls1: '127.58.0.1',
  tls2: '127.58.0.2',
  tls3: '127.58.0.3',
  tls4: '127.58.0.4',
  /** The lab control endpoint (plain HTTP): fail and restore backends of the hash VIPs. */
  control: '127.58.0.5',
  /** Nothing listens here: the dead backend of the name's third VIP. */
  tlsDead: '127.58.0.9',
  /** Hash of the source modulo the backends in service (HAProxy map-based), over web1..web3. */
  hashMod: '127.58.0.10',
  /** Consistent hash of the source (HAProxy hash-type consistent), over web1..web3. */
  hashConsistent: '127.58.0.11',
  /** HTTPS VIP (TLS passthrough) over tls1 and tls2: one certificate. */
  https: '127.58.0.20',
  /** HTTPS VIP (TLS passthrough) over tls1, tls3 (expired) and tls4 (another name). */
  httpsMixed: '127.58.0.21',
  /** The three addresses of LB_NAME, each an HTTPS VIP; the third has a dead backend. */
  name1: '127.58.0.30',
  name2: '127.58.0.31',
  name3: '127.58.0.32',
} as const;

/** A load balancer reached by name: three A records, three VIPs (one per "zone"). */
export const LB_NAME = 'lb.example.test';

/** The name the good certificate is for (with LB_NAME and the HTTPS VIPs' addresses). */
export const LB_TLS_NAME = 'https.lb.example.test';

/** A records for the DNS lab's example.test zone. */
export const LB_NAME_RECORDS: Array<[string, string]> = [
  [LB_NAME, LB_COURSE_ADDRESSES.name1],
  [LB_NAME, LB_COURSE_ADDRESSES.name2],
  [LB_NAME, LB_COURSE_ADDRESSES.name3],
  [LB_TLS_NAME, LB_COURSE_ADDRESSES.https],
];
