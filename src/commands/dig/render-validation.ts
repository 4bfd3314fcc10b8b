/**
 * issue 14: +validate's text, after dig's: delv's verdict line (`; fully validated`,
 * `; negative response, fully validated`, `; unsigned answer`, `;; resolution failed: ...`),
 * then the chain of trust, one link a line, top down: verdict, RRset, key tags, algorithm, why.
 * Pure.
 */
import type { DnssecValidation } from '../../protocol/dns/dnssec/validate.js';
import { algorithmName } from '../../protocol/dns/dnssec/algorithms.js';
import { recordLine } from './render.js';

/** The verdict line as delv prints it (the broken link's code and message for bogus). */
export function verdictLine(v: DnssecValidation): string {
  const broken = v.problems.find((p) => p.severity === 'CRITICAL') ?? v.problems[0];
  switch (v.status) {
    case 'secure': return v.rcode === 'NOERROR' && !v.chain.some((l) => l.kind === 'denial') ? '; fully validated' : '; negative response, fully validated';
    case 'insecure': return `; unsigned answer${broken ? ` (${broken.code}: ${broken.message})` : ''}`;
    case 'bogus': return `;; resolution failed: ${broken ? `${broken.code}: ${broken.message}` : 'bogus'}`;
    default: return `;; validation indeterminate: ${broken ? `${broken.code}: ${broken.message}` : 'records could not be fetched'}`;
  }
}

/** The verdict line and the chain of trust, as comment lines. */
export function validationLines(v: DnssecValidation): string[] {
  const how = v.mode === 'recursive' ? 'from a recursive resolver' : 'walking the delegations';
  // as delv: the verdict, then the answer that was validated
  const out = [verdictLine(v), ...v.answer.map(recordLine), `;; CHAIN OF TRUST (anchor ${v.anchor || 'none'}, records ${how}, ${v.queries} queries):`];
  for (const l of v.chain) {
    const keys = l.keyTags.length > 0 ? ` keys ${l.keyTags.join(',')}` : '';
    const algs = l.algorithms.length > 0 ? ` ${l.algorithms.map(algorithmName).join(',')}` : '';
    out.push(`;   ${l.verdict.padEnd(13)} ${l.owner} ${l.type}${keys}${algs}${l.code ? ` ${l.code}` : ''}: ${l.message}`);
  }
  out.push('');
  return out;
}
