/**
 * Golden files for the trace-request renderer: fixed TraceRequestResult objects -> text,
 * compared with test/golden/trace-request/*.txt (UPDATE_GOLDEN=1 rewrites them), on a pipe
 * (no width) and on terminals of 80 and 60 columns. Also the pure parts of the engine: the RTT
 * model and its rounding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTraceRequestText } from '../../src/commands/trace-request/render.js';
import { rttModel, type PathResult, type TraceRequestResult } from '../../src/protocol/http/trace-request.js';
import type { Phases } from '../../src/protocol/http/timing.js';
import { goldenOf } from '../helpers/golden.js';

const golden = goldenOf('trace-request');

/** Every line of the tables (box drawing) and bars (|) of `text` fits `columns`; the prose lines are the terminal's to wrap. */
function fits(text: string, columns: number): void {
  const lines = text.split('\n').filter((line) => /[|\u2502\u250c\u2514\u251c]/.test(line));
  assert.ok(lines.length > 10, 'tables and bars were looked at');
  for (const line of lines) assert.ok([...line].length <= columns, `${[...line].length} > ${columns}: ${line}`);
}

const far: Phases = { dnsMs: 0, tcpMs: 0.412, tlsMs: 141.803, ttfbMs: 92.316, transferMs: 0.481, totalMs: 235.012 };
const near: Phases = { dnsMs: 0, tcpMs: 0.287, tlsMs: 41.522, ttfbMs: 21.77, transferMs: 0.302, totalMs: 63.881 };

function path(label: PathResult['label'], address: string, phases: Phases, extra: Partial<PathResult> = {}): PathResult {
  return {
    label,
    address,
    port: 8443,
    samples: 3,
    succeeded: 3,
    status: 200,
    httpVersion: 'HTTP/1.1',
    tlsVersion: 'TLSv1.2',
    phases,
    p95: { ...phases, totalMs: phases.totalMs + 4.5, ttfbMs: phases.ttfbMs + 4.5 },
    first: phases,
    firstDiffers: false,
    cache: null,
    cacheBySample: [null, null, null],
    rtt: rttModel(phases, 'TLSv1.2'),
    errors: [],
    verificationOff: false,
    ...extra,
  };
}

const twoPaths: TraceRequestResult = {
  url: 'https://www.example.test:8443/delay/20',
  status: 'OK',
  samplesRequested: 3,
  paths: [
    path('origin', '127.55.0.3', far),
    path('cdn', '127.55.0.4', near, {
      cache: { headers: { 'x-cache': 'HIT', age: '1', via: '1.1 edge.example.test (netlab-lab)' }, verdict: 'HIT' },
      cacheBySample: ['MISS', 'HIT', 'HIT'],
    }),
  ],
  difference: { dnsMs: 0, tcpMs: -0.125, tlsMs: -100.281, ttfbMs: -70.546, transferMs: -0.179, totalMs: -171.131 },
  problems: [],
};

test('two paths: verdict, phase table with the difference, waterfall, RTT model (pipe, 80 and 60 columns)', () => {
  golden('two-paths', renderTraceRequestText(twoPaths));
  const at80 = renderTraceRequestText(twoPaths, { columns: 80 });
  fits(at80, 80);
  golden('two-paths-80', at80);
  const at60 = renderTraceRequestText(twoPaths, { columns: 60 });
  fits(at60, 60);
  golden('two-paths-60', at60);
});

test('one path, HTTP (no TLS), resolved', () => {
  const phases: Phases = { dnsMs: 1.204, tcpMs: 0.233, tlsMs: 0, ttfbMs: 1.018, transferMs: 0.127, totalMs: 2.582 };
  const r: TraceRequestResult = {
    url: 'http://127.0.0.1:8080/',
    status: 'OK',
    samplesRequested: 1,
    paths: [path('resolved', '127.0.0.1', phases, { port: 8080, samples: 1, succeeded: 1, tlsVersion: null, firstDiffers: null, cacheBySample: [null], rtt: rttModel(phases, null) })],
    difference: null,
    problems: [],
  };
  golden('one-path', renderTraceRequestText(r));
  fits(renderTraceRequestText(r, { columns: 60 }), 60);
});

test('a failed sample among good ones: the problem with its advice and count, the failure listed', () => {
  const r: TraceRequestResult = {
    ...twoPaths,
    status: 'CRITICAL',
    paths: [
      path('origin', '127.55.0.3', far, {
        succeeded: 1,
        errors: [
          { sample: 2, phase: 'ttfb', kind: 'timeout', error: 'no response within 0.2 s', partial: { dnsMs: 0, tcpMs: 0.398, tlsMs: 140.2 } },
          { sample: 3, phase: 'transfer', kind: 'body-limit', error: 'body larger than 1 MiB: netlab stopped reading after 1114112 bytes of 1000000000000', partial: { dnsMs: 0, tcpMs: 0.4, tlsMs: 141.1, ttfbMs: 90.2 }, bodyBytes: 1114112 },
        ],
      }),
      path('cdn', '127.55.0.4', near, { status: 404 }),
    ],
    problems: [
      { code: 'TTFB_FAILED', severity: 'CRITICAL', message: 'origin: ttfb failed: no response within 0.2 s (2 of 3 samples failed)', subject: 'origin', counts: { failed: 2, samples: 3 } },
      { code: 'HTTP_ERROR', severity: 'CRITICAL', message: 'cdn: HTTP 404', subject: 'cdn', counts: { httpStatus: 404 } },
    ],
  };
  const text = renderTraceRequestText(r);
  assert.match(text, /^TRACE CRITICAL - [^\n]*; origin: ttfb failed: no response within 0\.2 s \(--timeout, per phase\) \(2 of 3 samples failed\); cdn: HTTP 404\n/);
  golden('failed-sample', text);
});

test('every sample failed: the verdict and each failure with what was measured before it', () => {
  const r: TraceRequestResult = {
    url: 'https://www.example.test:8443/',
    status: 'CRITICAL',
    samplesRequested: 1,
    paths: [{
      ...path('resolved', '127.55.0.3', far, { samples: 1, succeeded: 0, status: null, httpVersion: null, tlsVersion: null, phases: null, p95: null, first: null, firstDiffers: null, cacheBySample: [], rtt: null }),
      errors: [{ sample: 1, phase: 'tls', kind: 'certificate', error: 'TLS handshake with 127.55.0.3:8443 failed: certificate not accepted (UNABLE_TO_GET_ISSUER_CERT_LOCALLY)', partial: { dnsMs: 3.25, tcpMs: 0.301 } }],
    }],
    difference: null,
    problems: [{ code: 'TLS_FAILED', severity: 'CRITICAL', message: 'resolved: tls failed: TLS handshake with 127.55.0.3:8443 failed: certificate not accepted (UNABLE_TO_GET_ISSUER_CERT_LOCALLY)', subject: 'resolved', counts: { failed: 1, samples: 1 } }],
  };
  golden('all-failed', renderTraceRequestText(r));
});

test('insecure: the warning line per path; interrupted: said in the verdict', () => {
  const r: TraceRequestResult = {
    ...twoPaths,
    status: 'UNKNOWN',
    interrupted: true,
    paths: twoPaths.paths.map((p, i) => ({ ...p, verificationOff: true, samples: 2 - i, succeeded: 2 - i })),
  };
  golden('insecure-interrupted', renderTraceRequestText(r));
});

// issue 10.6: --json carried float noise such as 2.481439000000009
test('issue 10.6: the RTT model rounds its times to the microsecond', () => {
  // 0.1 + 0.2 and thirds: float noise unless rounded
  const m = rttModel({ dnsMs: 0.1, tcpMs: 0.2, tlsMs: 1.001, ttfbMs: 0.7, transferMs: 0, totalMs: 2.001 }, 'TLSv1.2');
  const { scenarios, ...core } = m;
  assert.deepEqual(core, { rttMs: 0.2, source: 'tcp', tlsRoundTrips: 2, protocolMs: { tcpMs: 0.2, tlsMs: 0.4, requestMs: 0.2, totalMs: 0.9 }, serverMs: 0.5, serverAndOtherMs: 1.101 });
  // issue 15: the course's table generalised, rounded too
  assert.deepEqual(scenarios!.map((s) => [s.name, s.roundTrips, s.ms, s.measurable]), [
    ['h1-tls12', 4, 0.9, true], ['h1-tls13', 3, 0.7, true], ['h1-resumed', 3, 0.7, true], ['reused', 1, 0.2, true], ['h3', 2, 0.5, false], ['h3-resumed', 1, 0.3, false],
  ]);
  const relay = rttModel({ dnsMs: 0.1, tcpMs: 0.2, tlsMs: 140.001, ttfbMs: 70.3, transferMs: 0, totalMs: 210.6 }, 'TLSv1.2');
  const { scenarios: _s, ...relayCore } = relay;
  assert.deepEqual(relayCore, { rttMs: 70.001, source: 'tls', tlsRoundTrips: 2, protocolMs: { tcpMs: 0.2, tlsMs: 140.001, requestMs: 70.001, totalMs: 210.302 }, serverMs: 0.299, serverAndOtherMs: 0.298 });
  const v13 = rttModel({ dnsMs: 0, tcpMs: 10, tlsMs: 10.5, ttfbMs: 25, transferMs: 0, totalMs: 45.5 }, 'TLSv1.3');
  assert.equal(v13.tlsRoundTrips, 1);
  assert.equal(v13.protocolMs.totalMs, 30);
  assert.equal(rttModel({ dnsMs: 0, tcpMs: 1, tlsMs: 0, ttfbMs: 0.5, transferMs: 0, totalMs: 1.5 }, null).serverMs, 0);
});

// issue 15: the RTT model showed negative "server and other" times
test('issue 15: "server and other" is never negative; the excess of the model is given apart with its reason', () => {
  // a TLS 1.2 handshake of 3 ms on loopback (the server's signing, not the RTT) over a 0.1 ms connect: RTT from tls 1.5 ms > ttfb
  const m = rttModel({ dnsMs: 0, tcpMs: 0.1, tlsMs: 3, ttfbMs: 0.6, transferMs: 0.1, totalMs: 3.8 }, 'TLSv1.2');
  assert.equal(m.source, 'tls');
  assert.equal(m.protocolMs.totalMs, 4.6);
  assert.equal(m.serverAndOtherMs, 0);
  assert.equal(m.overestimateMs, 0.8);
  assert.match(m.note!, /^the RTT estimated from the TLS handshake .* overestimates$/);
  // within the clocks' granularity
  const g = rttModel({ dnsMs: 0, tcpMs: 1, tlsMs: 2, ttfbMs: 1, transferMs: 0, totalMs: 2.98 }, 'TLSv1.3');
  assert.equal(g.overestimateMs, 0.02);
  assert.match(g.note!, /granularity/);
  const text = renderTraceRequestText({ url: 'https://x.test/', status: 'OK', samplesRequested: 1, difference: null, problems: [], paths: [path('origin', '127.0.0.1', { dnsMs: 0, tcpMs: 0.1, tlsMs: 3, ttfbMs: 0.6, transferMs: 0.1, totalMs: 3.8 }, { rtt: m })] });
  assert.match(text, /│ 0\.0 ms \(\*\) +│/);
  assert.match(text, /^\(\*\) origin: the model is 0\.8 ms above the measured total: the RTT estimated from the TLS handshake/m);
  assert.doesNotMatch(text, /-\d+\.\d ms/);
});

// issue 15: with 10 cold samples the p95 was the first (cache-miss) sample
test('issue 15: a first (cold) sample that differs is reported apart from the warm median and p95', () => {
  const warm: Phases = { dnsMs: 0, tcpMs: 0.2, tlsMs: 2, ttfbMs: 60, transferMs: 0.3, totalMs: 62.5 };
  const cold: Phases = { dnsMs: 0, tcpMs: 0.2, tlsMs: 2, ttfbMs: 328, transferMs: 0.3, totalMs: 330.5 };
  const text = renderTraceRequestText({ url: 'https://x.test/', status: 'OK', samplesRequested: 10, difference: null, problems: [], paths: [path('cdn', '127.0.0.1', warm, { samples: 10, succeeded: 10, first: cold, firstDiffers: true, warmOnly: true })] });
  assert.match(text, /^cdn: the first \(cold\) sample took 330\.5 ms \(.*ttfb 328\.0 ms.*\), against a warm median of 62\.5 ms: left out of the median and p95$/m);
  assert.match(text, /10\/10 ok, first \(cold\) apart/);
});
