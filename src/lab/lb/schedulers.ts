/**
 * The lab VIP's schedulers, each after the balancer it imitates, so that lb-probe has real
 * behaviour to recognise:
 *   rr       round robin, weights ignored (LVS rr)
 *   wrr      smooth weighted round robin (nginx ngx_http_upstream_get_peer)
 *   wrr-lvs  weighted round robin in bursts (LVS ip_vs_wrr.c)
 *   lc       least connections per weight, ties by smooth WRR (nginx least_conn)
 *   sh       source hash over a 256-slot table filled by weight (LVS ip_vs_sh.c)
 *   iphash   hash of the first three octets of the source, by weight (nginx ip_hash)
 *   ch       consistent hash of the source on a ring, 160 points per unit of weight (HAProxy
 *            `hash-type consistent`, ketama)
 * A pick skips the backends in `exclude` (ones that refused the connection just now) and gives
 * undefined when none is left.
 */

import { parsePeerIPv4 } from '../../util/ip.js';

export type SchedulerName = 'rr' | 'wrr' | 'wrr-lvs' | 'lc' | 'sh' | 'iphash' | 'ch' | 'mod';


export const SCHEDULER_DESCRIPTIONS: Record<SchedulerName, string> = {
  rr: 'round robin (weights ignored, as LVS rr)',
  wrr: 'smooth weighted round robin (as nginx, HAProxy roundrobin)',
  'wrr-lvs': 'weighted round robin in bursts (as LVS wrr)',
  lc: 'least connections per weight, ties by smooth WRR (as nginx least_conn)',
  sh: 'source-address hash over a 256-slot table (as LVS sh)',
  iphash: 'hash of the first three octets of the source (as nginx ip_hash)',
  ch: 'consistent hash of the source address (as HAProxy hash-type consistent)',
  mod: 'hash of the source address modulo the backends in service (as HAProxy balance source, hash-type map-based)',
};

export interface Scheduler {
  /** Choose a backend index for a connection from `source`, skipping `exclude`. */
  pick(source: string, exclude: ReadonlySet<number>): number | undefined;
  /** A connection to backend i began / ended (least connections counts them). */
  acquire(i: number): void;
  release(i: number): void;
}

/** 32-bit FNV-1a then murmur3's finaliser: a well-mixed hash of a string. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The source as a 32-bit number: its IPv4 address (mapped or not), else a hash of its text. */
function ipv4Int(address: string): number {
  return parsePeerIPv4(address) ?? hash32(address);
}

function noCounting(): Pick<Scheduler, 'acquire' | 'release'> {
  return { acquire: () => undefined, release: () => undefined };
}

function roundRobin(n: number): Scheduler {
  let cursor = -1;
  return {
    pick(_source, exclude) {
      for (let k = 0; k < n; k++) {
        cursor = (cursor + 1) % n;
        if (!exclude.has(cursor)) return cursor;
      }
      return undefined;
    },
    ...noCounting(),
  };
}

/** nginx's smooth WRR step over the candidates: every candidate gains its weight, the best pays the total. */
function smoothStep(current: number[], weights: number[], candidates: number[]): number | undefined {
  let best: number | undefined;
  let total = 0;
  for (const i of candidates) {
    current[i]! += weights[i]!;
    total += weights[i]!;
    if (best === undefined || current[i]! > current[best]!) best = i;
  }
  if (best !== undefined) current[best]! -= total;
  return best;
}

function smoothWrr(weights: number[]): Scheduler {
  const current = weights.map(() => 0);
  return {
    pick(_source, exclude) {
      return smoothStep(current, weights, weights.flatMap((w, i) => (w > 0 && !exclude.has(i) ? [i] : [])));
    },
    ...noCounting(),
  };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function lvsWrr(weights: number[]): Scheduler {
  const n = weights.length;
  let i = -1;
  let cw = 0;
  return {
    pick(_source, exclude) {
      const live = weights.map((w, k) => (exclude.has(k) ? 0 : w));
      const max = Math.max(...live);
      if (max <= 0) return undefined;
      const g = live.filter((w) => w > 0).reduce(gcd, 0);
      // ip_vs_wrr_schedule: walk the servers, lowering the threshold by gcd each full turn
      for (let guard = 0; guard < n * (max / g + 2); guard++) {
        i = (i + 1) % n;
        if (i === 0) {
          cw -= g;
          if (cw <= 0) cw = max;
        }
        if (live[i]! >= cw && live[i]! > 0) return i;
      }
      return undefined;
    },
    ...noCounting(),
  };
}

function leastConnections(weights: number[]): Scheduler {
  const active = weights.map(() => 0);
  const current = weights.map(() => 0);
  return {
    pick(_source, exclude) {
      const live = weights.flatMap((w, i) => (w > 0 && !exclude.has(i) ? [i] : []));
      if (live.length === 0) return undefined;
      // least active/weight, compared without division as nginx does: a_i * w_j < a_j * w_i
      let tied: number[] = [];
      for (const i of live) {
        const b = tied[0];
        if (b === undefined) tied = [i];
        else if (active[i]! * weights[b]! < active[b]! * weights[i]!) tied = [i];
        else if (active[i]! * weights[b]! === active[b]! * weights[i]!) tied.push(i);
      }
      return smoothStep(current, weights, tied);
    },
    acquire: (i) => {
      active[i]!++;
    },
    release: (i) => {
      active[i] = Math.max(0, active[i]! - 1);
    },
  };
}

const SH_SLOTS = 256;

function sourceHash(weights: number[]): Scheduler {
  // ip_vs_sh_reassign: slots go to servers in turn, each taking `weight` slots in a row
  const table: number[] = [];
  let server = 0;
  let taken = 0;
  const live = weights.flatMap((w, i) => (w > 0 ? [i] : []));
  for (let slot = 0; slot < SH_SLOTS && live.length > 0; slot++) {
    table.push(live[server]!);
    if (++taken >= weights[live[server]!]!) {
      taken = 0;
      server = (server + 1) % live.length;
    }
  }
  return {
    pick(source, exclude) {
      // ip_vs_sh_hashkey: Knuth's multiplicative hash of the address, top 8 bits
      const key = Math.floor(((Math.imul(ipv4Int(source), 2654435761) >>> 0) / 2 ** 24)) % SH_SLOTS;
      // with a dead slot, the next slots in turn (as ip_vs_sh's fallback flag does)
      for (let k = 0; k < SH_SLOTS; k++) {
        const i = table[(key + k) % SH_SLOTS];
        if (i !== undefined && !exclude.has(i)) return i;
      }
      return undefined;
    },
    ...noCounting(),
  };
}

/** nginx ip_hash (ngx_http_upstream_ip_hash_module.c): the first three octets, weighted. */
function ipHash(weights: number[]): Scheduler {
  const total = weights.reduce((a, b) => a + b, 0);
  return {
    pick(source, exclude) {
      const ip = ipv4Int(source);
      let hash = 89;
      for (const shift of [24, 16, 8]) hash = (hash * 113 + ((ip >>> shift) & 0xff)) % 6271;
      let w = hash % total;
      let i = 0;
      while (w >= weights[i]!) {
        w -= weights[i]!;
        i++;
      }
      // a dead peer: the next ones in turn (nginx rehashes; the effect is the same here)
      for (let k = 0; k < weights.length; k++) {
        const j = (i + k) % weights.length;
        if (weights[j]! > 0 && !exclude.has(j)) return j;
      }
      return undefined;
    },
    ...noCounting(),
  };
}

const CH_POINTS_PER_WEIGHT = 160;

function consistentHash(weights: number[]): Scheduler {
  const ring: Array<{ point: number; server: number }> = [];
  weights.forEach((w, i) => {
    for (let k = 0; k < Math.round(w * CH_POINTS_PER_WEIGHT); k++) ring.push({ point: hash32(`backend-${i}#${k}`), server: i });
  });
  ring.sort((a, b) => a.point - b.point);
  return {
    pick(source, exclude) {
      if (ring.length === 0) return undefined;
      const key = hash32(source);
      let lo = 0;
      let hi = ring.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ring[mid]!.point < key) lo = mid + 1;
        else hi = mid;
      }
      for (let k = 0; k < ring.length; k++) {
        const p = ring[(lo + k) % ring.length]!;
        if (!exclude.has(p.server)) return p.server;
      }
      return undefined;
    },
    ...noCounting(),
  };
}

/**
 * issue 16: HAProxy's map-based hashing (`balance source`, `hash-type map-based`): the servers
 * in service, each repeated by its weight, and the source's hash modulo their count. A server
 * taken out (excluded) changes the count, so most sources move: the course's remapping lesson.
 */
function moduloHash(weights: number[]): Scheduler {
  return {
    pick(source, exclude) {
      const table: number[] = [];
      weights.forEach((w, i) => {
        if (!exclude.has(i)) for (let k = 0; k < w; k++) table.push(i);
      });
      return table.length === 0 ? undefined : table[hash32(source) % table.length];
    },
    ...noCounting(),
  };
}

/** A fresh scheduler for `weights` (one per backend, >= 0). */
export function createScheduler(name: SchedulerName, weights: number[]): Scheduler {
  switch (name) {
    case 'rr': return roundRobin(weights.length);
    case 'wrr': return smoothWrr(weights);
    case 'wrr-lvs': return lvsWrr(weights);
    case 'lc': return leastConnections(weights);
    case 'sh': return sourceHash(weights);
    case 'iphash': return ipHash(weights);
    case 'ch': return consistentHash(weights);
    case 'mod': return moduloHash(weights);
  }
}
