/**
 * Golden files for the lb-probe renderer: fixed results -> text, compared with
 * test/golden/lb-probe/*.txt (at no width, as in a pipe, and fitted to 80 and 60 columns).
 * UPDATE_GOLDEN=1 rewrites them (Node 20 has no snapshot assertion).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lbVerdictLine, renderLbProbeText } from '../../src/commands/lb-probe/render.js';
import type { LbProbeResult } from '../../src/commands/lb-probe/run.js';
import type { LbBackend } from '../../src/protocol/lb/types.js';
import { goldenOf } from '../helpers/golden.js';

const golden = goldenOf('lb-probe');

function widest(text: string): number {
  return Math.max(...text.split('\n').map((l) => [...l].length));
}

/** Lines of the table only (the prose lines wrap in the terminal as any text does). */
function tableLines(text: string): string[] {
  return text.split('\n').filter((l) => /^[┌│├└]/.test(l));
}

function backend(n: number, over: Partial<LbBackend> = {}): LbBackend {
  return {
    address: `127.56.0.${n}:8080`, marker: `web${n}`, label: `web${n}`, snippet: `web${n} 127.56.0.${n}:8080`, healthy: true, latencyMs: 0.412 + n / 10,
    directStatus: 200, directError: null, weight: 1, count: 0, share: 0, expectedShare: null, sources: null, byElimination: false, ...over,
  };
}

/** The lab's weighted round robin VIP, 3:1:1, as probed with --weights 3,1,1. */
const healthy: LbProbeResult = {
  vip: '127.56.0.11:8080', mode: 'http', path: '/', requests: 100, sent: 100, answered: 100, failed: 0, concurrency: 1,
  identify: { method: 'header:x-backend', description: 'header X-Backend', tried: ['header:x-backend', 'header:x-served-by', 'header:x-server', 'header:server', 'body'], reason: 'tells the 3 healthy backends apart' },
  backends: [
    backend(1, { weight: 3, count: 60, share: 0.6, expectedShare: 0.6 }),
    backend(2, { count: 20, share: 0.2, expectedShare: 0.2 }),
    backend(3, { count: 20, share: 0.2, expectedShare: 0.2 }),
  ],
  distribution: { unit: 'request', observed: 100, judged: true, notJudged: null, chiSquare: 0, df: 2, pValue: 1, alpha: 0.01, matches: true, minExpected: 20, needed: 25 },
  scheduler: {
    kind: 'smooth-weighted-round-robin', description: "smooth weighted round robin (nginx's order; HAProxy's roundrobin is alike): a cycle of 5 with the turns 3:1:1 interleaved",
    period: 5, cycle: ['web1', 'web2', 'web1', 'web3', 'web1'], cycleCounts: { web1: 3, web2: 1, web3: 1 }, repeats: null, answers: 100, note: 'a hint from the order of answers, not a proof',
  },
  stickiness: null, sourceRange: null, unattributed: 0, unattributedMarkers: [], statusCodes: { 200: 100 },
  vipLatencyMs: 0.655, vipElapsedMs: 80.123, probesPerSecond: 1248.08, errors: [], deadlineMs: null, stoppedBy: null, notes: [], status: 'OK', problems: [],
};

/** The lab's VIP with a dead backend, probed without weights. */
const dead: LbProbeResult = {
  ...healthy,
  vip: '127.56.0.16:8080',
  identify: { ...healthy.identify, reason: 'tells the 2 healthy backends apart' },
  backends: [
    backend(1, { weight: null, count: 50, share: 0.5 }),
    backend(2, { weight: null, count: 50, share: 0.5 }),
    backend(4, { marker: null, label: '127.56.0.4:8080', snippet: null, healthy: false, latencyMs: null, directStatus: null, directError: 'connection refused', weight: null }),
  ],
  distribution: { unit: 'request', observed: 100, judged: false, notJudged: 'no-weights', chiSquare: null, df: null, pValue: null, alpha: 0.01, matches: null, minExpected: null, needed: null },
  scheduler: { ...healthy.scheduler, kind: 'round-robin', description: 'a strict round-robin cycle: each of the 2 backends once per turn', period: 2, cycle: ['web1', 'web2'], cycleCounts: { web1: 1, web2: 1 } },
  notes: [{ code: 'NO_WEIGHTS', message: 'no weights given: the split over 100 attributed answers is described, not judged', counts: { observed: 100 } }],
  status: 'WARNING',
  problems: [{ code: 'BACKEND_DOWN', severity: 'WARNING', subject: '127.56.0.4:8080', message: 'backend 127.56.0.4:8080 is down: connection refused' }],
};

/** A `balance source` VIP seen from 8 sources: sticky, healthy, and too few sources to judge the split. */
const notJudged: LbProbeResult = {
  ...healthy,
  vip: '127.56.0.13:8080', requests: 16, sent: 16, answered: 16,
  backends: [
    backend(1, { weight: 3, count: 4, share: 0.25, expectedShare: 0.6, sources: 2 }),
    backend(2, { count: 8, share: 0.5, expectedShare: 0.2, sources: 4 }),
    backend(3, { count: 4, share: 0.25, expectedShare: 0.2, sources: 2 }),
  ],
  distribution: { unit: 'source', observed: 8, judged: false, notJudged: 'too-few', chiSquare: null, df: 2, pValue: null, alpha: 0.01, matches: null, minExpected: 1.6, needed: 25 },
  scheduler: { ...healthy.scheduler, kind: 'random', description: 'random: no cycle, and 7 repeats where independent draws give about 5.6', period: null, cycle: null, cycleCounts: null, answers: 16 },
  stickiness: {
    sources: 8, judged: 8, sticky: 8, verdict: 'sticky', spread: { web1: 2, web2: 4, web3: 2 }, note: null,
    perSource: Array.from({ length: 8 }, (_, i) => ({ address: `127.56.${i + 1}.1`, answers: 2, backends: { [`web${(i % 3) + 1}`]: 2 }, sticky: true })),
  },
  sourceRange: '127.56.1.1-127.56.8.1',
  notes: [{ code: 'TOO_FEW_TO_JUDGE', message: 'too few sources to judge the split: the smallest expected count is 1.6, under 5 (25 sources needed)', counts: { observed: 8, needed: 25, minExpected: 1.6, requestsNeeded: 50, sourcesNeeded: 25 } }],
};

/** No answer could be attributed, and a backend marker with control characters (escaped on the terminal). */
const unknown: LbProbeResult = {
  ...healthy,
  identify: { method: 'header:x-nope', description: 'header X-Nope', tried: ['header:x-nope'], reason: 'as asked, but no answer carried header X-Nope' },
  backends: [backend(1, { marker: null, label: '127.56.0.1:8080', snippet: 'web1 \u001b[31mred\u202e' }), backend(2, { marker: null, label: '127.56.0.2:8080' })],
  distribution: null,
  scheduler: { ...healthy.scheduler, kind: 'too-few', description: 'too few answers (0) to say how the balancer schedules; 10 or more are needed', period: null, cycle: null, cycleCounts: null, answers: 0 },
  unattributed: 100,
  unattributedMarkers: [{ marker: '(no marker)', count: 100, snippet: 'web1', statusCode: 200 }],
  notes: [{ code: 'NOT_IDENTIFIABLE', message: 'no answer could be attributed to a backend (tried header X-Nope)', counts: { answers: 100 } }],
  status: 'UNKNOWN',
};

/** An unreachable VIP probed 10 times. */
const unreachable: LbProbeResult = {
  ...healthy,
  vip: '127.56.0.99:8080', requests: 10, sent: 5, answered: 0, failed: 5,
  backends: healthy.backends.map((b) => ({ ...b, count: 0, share: 0 })),
  distribution: null,
  scheduler: { ...unknown.scheduler },
  statusCodes: {},
  vipLatencyMs: null,
  errors: [{ message: 'connection refused', count: 5 }],
  status: 'CRITICAL',
  problems: [{ code: 'VIP_UNREACHABLE', severity: 'CRITICAL', message: 'VIP 127.56.0.99:8080 is unreachable: connection refused (5 of 5 probes failed; the other 5 were not sent)', counts: { failed: 5, sent: 5, requests: 10 } }],
};

test('a healthy split as configured: the verdict line, the table with its bars, the test and the hint', () => {
  const text = renderLbProbeText(healthy);
  golden('healthy', text);
  assert.equal(lbVerdictLine(healthy), 'LB OK - 127.56.0.11:8080: 100 answers from 3 backends match the weights 3:1:1 (p = 1.000)');
  assert.equal(tableLines(text).length, 6, 'one line a backend, no rules between them');
});

test('a dead backend without weights: BACKEND_DOWN named, the split described and not judged', () => {
  golden('dead-backend', renderLbProbeText(dead));
  assert.equal(lbVerdictLine(dead), 'LB WARNING - 127.56.0.16:8080: BACKEND_DOWN 127.56.0.4:8080');
});

test('too few sources to judge the split: OK on what was judged, and what is needed, said on the command line', () => {
  // issue 10.2: a sticky `balance source` VIP with 8 sources exited 3 (TOO_FEW_TO_JUDGE was a problem)
  const text = renderLbProbeText(notJudged);
  golden('not-judged', text);
  assert.match(text, /give --source-ips a range of at least 25 addresses and --requests 50 or more/);
  assert.equal(lbVerdictLine(notJudged), 'LB OK - 127.56.0.13:8080: 8 sources from 3 backends (2/4/2); too few to judge the split (25 needed)');
});

test('nothing attributed: UNKNOWN with the note and the CLI advice; what a server sent is escaped', () => {
  const text = renderLbProbeText(unknown);
  golden('not-identifiable', text);
  assert.equal(lbVerdictLine(unknown), 'LB UNKNOWN - 127.56.0.11:8080: NOT_IDENTIFIABLE');
  assert.match(text, /note: no answer could be attributed to a backend \(tried header X-Nope\); pass --identify header:NAME, body or banner\n/);
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(text, /[\x00-\x08\x0b-\x1f\u202e]/, 'no raw control characters on the terminal');
});

test('an unreachable VIP: CRITICAL with the reason on the verdict line', () => {
  golden('unreachable', renderLbProbeText(unreachable));
  assert.equal(lbVerdictLine(unreachable), 'LB CRITICAL - 127.56.0.99:8080: VIP_UNREACHABLE (connection refused)');
});

test('fitted to the terminal: at 80 columns without the bars, at 60 without the latency and the marker too, every table line within the width', () => {
  // issue 10.6: tables ignored the terminal's width (lb-probe's was 102 columns) and broke at 80 and 60
  assert.ok(widest(renderLbProbeText(healthy)) > 80, 'the full table is wider than 80: the test can fail');
  for (const columns of [80, 60]) {
    const text = renderLbProbeText(healthy, { columns });
    golden(`healthy-${columns}`, text);
    const table = tableLines(text);
    assert.ok(table.length >= 6, `${columns}: a table`);
    for (const line of table) assert.ok([...line].length <= columns, `${columns} columns: '${line}' is ${[...line].length} wide`);
    assert.doesNotMatch(text, /█/, `${columns}: the bars go first`);
  }
  assert.equal(renderLbProbeText(healthy, { columns: 200 }), renderLbProbeText(healthy), 'a wide terminal shows it all');
});
