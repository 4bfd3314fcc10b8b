/**
 * With several source addresses: does each source stick to one backend (a source hash, nginx's
 * ip_hash, a consistent hash), and how do the sources spread over the backends? Pure.
 */
import { sameSlash24, slash24Of } from './addresses.js';
import type { Attribution } from './attribution.js';
import type { LbNote, LbStickiness } from './types.js';

/** Stickiness, and for each source that stuck to one backend, that backend's index. */
export interface StickinessVerdict {
  stickiness: LbStickiness;
  /** For each sticky source, the index of its one backend (the counts of a split by source). */
  stickyBackendOfSource: number[];
  notes: LbNote[];
}

/**
 * Judge stickiness over `sources` (the addresses used; two or more) from `schedule` (each probe's
 * source, by index) and the attribution. Sets each backend's `sources`. Pure but for that.
 */
export function judgeStickiness(sources: readonly string[], schedule: ReadonlyArray<string | null>, a: Attribution): StickinessVerdict {
  const { backends } = a;
  const per = new Map<string, Map<number, number>>();
  for (const s of sources) per.set(s, new Map());
  for (const i of a.order) {
    const idx = a.backendOf(i);
    const source = schedule[i] ?? null;
    if (idx < 0 || source === null) continue;
    const m = per.get(source)!;
    m.set(idx, (m.get(idx) ?? 0) + 1);
  }
  const perSource = [...per].map(([address, m]) => {
    const n = [...m.values()].reduce((x, y) => x + y, 0);
    const byLabel: Record<string, number> = {};
    for (const [idx, c] of m) byLabel[backends[idx]!.label] = c;
    return { address, answers: n, backends: byLabel, sticky: n >= 2 && m.size === 1, idx: [...m.keys()] };
  });
  const judged = perSource.filter((s) => s.answers >= 2);
  const sticky = judged.filter((s) => s.sticky).length;
  const verdict: LbStickiness['verdict'] = judged.length === 0 ? 'not-judged' : sticky === judged.length ? 'sticky' : sticky * 2 < judged.length ? 'not-sticky' : 'partly-sticky';
  for (const b of backends) b.sources = 0;
  for (const s of perSource) for (const idx of s.idx) backends[idx]!.sources! += 1;
  const spread: Record<string, number> = {};
  for (const b of backends) if (b.sources! > 0) spread[b.label] = b.sources!;
  const reached = Object.keys(spread).length;
  let note: string | null = null;
  if (verdict === 'sticky' && reached === 1 && sameSlash24([...sources])) {
    note = `all ${sources.length} sources are in one /24 (${slash24Of(sources[0]!)}): nginx's ip_hash keys on the first three octets of IPv4, so to it they are one client; give a range that varies the third octet (e.g. 127.56.1.1-127.56.40.1) to see a spread`;
  }
  const notes: LbNote[] = verdict === 'not-judged'
    ? [{ code: 'STICKINESS_NOT_JUDGED', message: `no source of the ${sources.length} had two attributed answers: stickiness is not judged`, counts: { sources: sources.length } }]
    : [];
  return {
    stickiness: { sources: sources.length, judged: judged.length, sticky, verdict, perSource: perSource.map(({ idx: _idx, ...s }) => s), spread, note },
    stickyBackendOfSource: perSource.filter((s) => s.sticky).map((s) => s.idx[0]!),
    notes,
  };
}
