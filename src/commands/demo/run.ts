/**
 * `netlab demo`: start the lab, run each subcommand against it, show what they print.
 * Each step states what it expects; a step that does not get it makes the demo fail.
 */
import type { Status } from '../../errors.js';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../lab/index.js';
import { Readable } from 'node:stream';
import { parseArgv, type AnyCommand, type CommandIo } from '../command.js';
import { COMMANDS } from '../registry.js';
import { prepareHosts2zoneDemo } from '../hosts2zone/demo-sample.js';
import { httpDnsSteps } from './httpdns.js';

export interface DemoStep {
  title: string;
  command: string;
  expected: Status;
  status: Status;
  output: string;
}

export interface DemoResult {
  status: Status;
  steps: DemoStep[];
  /** Ctrl-C: the steps done before it; the one under way is dropped. */
  interrupted?: boolean;
}

interface StepSpec {
  title: string;
  command: 'dig' | 'cert-check' | 'trace-request' | 'lb-probe';
  args: string[];
  expected: Status;
}

/** Run the demo; `onStep` sees each step as it finishes (so the text can stream). */
export async function runDemo(version: string, onStep?: (step: DemoStep) => void, signal?: AbortSignal): Promise<DemoResult> {
  // hosts2zone migrates its sample file first, so that the lab serves the zones it wrote
  const h2z = await prepareHosts2zoneDemo();
  const lab = await startLab({ port: 0, extraZones: h2z.zones }).catch((e: unknown) => {
    h2z.close();
    throw e;
  });
  const steps: DemoStep[] = [];
  try {
    const p = String(lab.port);
    const ns = lab.dns.addresses.ns1Example;
    const root = lab.dns.addresses.root;
    const specs: StepSpec[] = [
      { command: 'dig', title: 'Ask the authoritative server of example.test. for an address (dig layout)', args: [`@${ns}`, '-p', p, 'www.example.test'], expected: 'OK' },
      { command: 'dig', title: 'Only the data: the mail exchangers, +short', args: [`@${ns}`, '-p', p, 'example.test', 'MX', '+short'], expected: 'OK' },
      { command: 'dig', title: 'A CNAME chain, as +noall +answer', args: [`@${ns}`, '-p', p, 'alias.example.test', '+noall', '+answer'], expected: 'OK' },
      { command: 'dig', title: 'An answer too big for UDP: truncated, retried over TCP', args: [`@${ns}`, '-p', p, 'huge.example.test', 'AAAA', '+noall', '+comments'], expected: 'OK' },
      { command: 'dig', title: 'Reverse lookup, IPv4 (in-addr.arpa)', args: [`@${ns}`, '-p', p, '-x', '192.0.2.10', '+short'], expected: 'OK' },
      { command: 'dig', title: 'Reverse lookup, IPv6 (nibbles under ip6.arpa)', args: [`@${ns}`, '-p', p, '-x', '2001:db8::10', '+short'], expected: 'OK' },
      { command: 'dig', title: 'A name that does not exist: NXDOMAIN, exit 2', args: [`@${ns}`, '-p', p, 'nope.example.test', '+noall', '+comments'], expected: 'CRITICAL' },
      { command: 'dig', title: 'Follow the delegations from the root: . -> test. -> example.test.', args: [`@${root}`, '-p', p, '+trace', 'www.example.test'], expected: 'OK' },
      { command: 'dig', title: 'A lame server on the way: skipped, said so, the next one asked', args: [`@${root}`, '-p', p, '+trace', 'www.lame.test'], expected: 'OK' },
      { command: 'dig', title: 'Every server of dead.test. is dead: the trace fails fast, exit 2', args: [`@${root}`, '-p', p, '+trace', 'www.dead.test'], expected: 'CRITICAL' },
      // issue 14: the HttpDNS lesson: Do53 through a "LocalDNS", then DoH with the client's subnet
      ...httpDnsSteps(lab.port, { port: lab.encryptedDns.ports.doh, caFile: lab.tls.caFile }),
    ];
    const tlsCase = (name: string) => lab.tls.cases.find((c) => c.name === name)!;
    for (const [name, title, expected] of [
      ['good', 'HTTPS: a good chain (leaf + intermediate) from the lab CA', 'OK'],
      ['expired', 'HTTPS: an expired leaf, exit 2', 'CRITICAL'],
      ['missing-intermediate', 'HTTPS: the server forgot the intermediate, exit 2', 'CRITICAL'],
      ['ocsp-revoked', 'HTTPS: the stapled OCSP response says the certificate is revoked, exit 2', 'CRITICAL'],
    ] as const) {
      const c = tlsCase(name);
      specs.push({ command: 'cert-check', title, args: [`${c.servername}:${c.port}`, '--connect-to', c.address, '--ca', lab.tls.caFile], expected });
    }
    specs.push({
      command: 'trace-request',
      title: "Where a request's time goes: a far origin (70 ms RTT) against a near CDN edge (20 ms), 3 cold samples each",
      args: [`https://www.example.test:${lab.http.httpsPort}/delay/20`, '--origin', lab.http.far.address, '--cdn', lab.http.near.address, '--ca', lab.tls.caFile, '--samples', '3'],
      expected: 'OK',
    });
    for (const [vip, title, expected, weights] of [
      ['wrr', 'Load balancing: does a VIP (smooth weighted round robin) spread 100 fresh connections 3:1:1 as configured?', 'OK', '3,1,1'],
      ['dead', 'Load balancing: a VIP with a dead backend, named, exit 1', 'WARNING', '1,1,1'],
    ] as const) {
      const v = lab.lb.vip(vip);
      specs.push({ command: 'lb-probe', title, args: [`${v.address}:${v.httpPort}`, ...lab.lb.backendTargets(vip, 'http').flatMap((b) => ['--backend', b]), '--weights', weights], expected });
    }
    for (const spec of specs) {
      if (signal?.aborted) break;
      // the same path as the command line: the registry, parseArgv, the command's run and render
      const def: AnyCommand = (await COMMANDS[spec.command].load()).command;
      const options = await parseArgv(def, spec.args);
      let printed = '';
      const io: CommandIo = { out: (chunk) => void (printed += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')), err: () => undefined, stdin: Readable.from([]) };
      const result = await def.run(options, { signal: signal ?? new AbortController().signal, io, version, style: {} });
      const status: Status = result.status;
      let output = def.render ? await def.render(result, options, {}) : printed;
      if (spec.command === 'trace-request' && lab.http.notes.length) output += `note: ${lab.http.notes[0]}\n`;
      // issue 15: one line of today's web: h2 and a reused connection, measured
      if (spec.command === 'trace-request' && !signal?.aborted) output += await keepAliveLine(lab, signal);
      if (signal?.aborted) break;
      const step: DemoStep = {
        title: spec.title,
        command: `netlab ${spec.command} ${spec.args.join(' ')}`,
        expected: spec.expected,
        status,
        output,
      };
      steps.push(step);
      onStep?.(step);
    }
    // issue 16: the remapping lesson (src/commands/demo/lb-remap.ts)
    if (!signal?.aborted) {
      const step = await (await import('./lb-remap.js')).lbRemapStep(lab, signal);
      if (!signal?.aborted) {
        steps.push(step);
        onStep?.(step);
      }
    }
    if (!signal?.aborted) {
      const step = await checkStep(lab, io(), signal);
      if (!signal?.aborted) {
        steps.push(step);
        onStep?.(step);
      }
    }
    for (const step of signal?.aborted ? [] : await h2z.steps(`${ns}:${p}`)) {
      steps.push(step);
      onStep?.(step);
    }
  } finally {
    await lab.close();
    h2z.close();
  }
  if (signal?.aborted) return { status: 'UNKNOWN', steps, interrupted: true };
  const ok = steps.every((s) => s.status === s.expected);
  return { status: ok ? 'OK' : 'CRITICAL', steps };
}

/** Output captured from a command run in process. */
function io(): CommandIo & { text: () => string } {
  let printed = '';
  return {
    out: (chunk) => void (printed += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')),
    err: (line) => void (printed += `${line}\n`),
    stdin: Readable.from([]),
    text: () => printed,
  };
}

/**
 * issue 12: the lab's checks file (examples/lab-checks.yml, its placeholders filled for this lab)
 * through `netlab check`'s own run, in process, with a JUnit report and a metrics file: the step
 * shows the start of each (the failing test cases, the probe_success samples), then removes its
 * directory. It has failing checks on purpose: CRITICAL.
 */
async function checkStep(lab: Lab, out: ReturnType<typeof io>, signal: AbortSignal | undefined): Promise<DemoStep> {
  const [{ labPlaceholders, LAB_CHECKS_FILE }, { runCheckCommand }] = await Promise.all([import('./lab-checks.js'), import('../check/run.js')]);
  const dir = mkdtempSync(join(tmpdir(), 'netlab-demo-check-'));
  try {
    const file = LAB_CHECKS_FILE;
    const junit = join(dir, 'report.xml');
    const metrics = join(dir, 'checks.prom');
    const result = await runCheckCommand(
      // this lab's ports and CA file for the file's {{placeholders}}, as --set gives them
      { file, concurrency: 8, junit, metrics, github: false, failOn: 'warning', validate: false, json: false, vars: labPlaceholders(lab) },
      { signal: signal ?? new AbortController().signal, io: out, style: {} },
    );
    const shown: string[] = [];
    if (existsSync(junit)) {
      const xml = readFileSync(junit, 'utf8').split('\n');
      const suite = xml.find((l) => l.includes('<testsuite ')) ?? '';
      const failing = xml.filter((l) => l.includes('<failure ') || l.includes('<error ')).length;
      shown.push('', `$ head report.xml   (${failing} test cases with a <failure> or <error>)`, ...xml.slice(0, 2), suite.trim().length > 0 ? suite : '', '  ...');
    }
    if (existsSync(metrics)) {
      const prom = readFileSync(metrics, 'utf8').split('\n');
      shown.push('', '$ grep probe_success checks.prom', ...prom.filter((l) => l.startsWith('probe_success')).slice(0, 6), '  ...');
    }
    return {
      title: 'netlab check: the lab as one service, every subcommand from one file, checks that pass and checks that fail (exit 2), a JUnit report and metrics for the CI',
      command: 'netlab check examples/lab-checks.yml --set dns-port=... (this lab\'s ports and CA) --junit report.xml --metrics checks.prom',
      expected: 'CRITICAL',
      status: result.status,
      output: `${out.text()}${shown.filter((l, i, a) => l !== '' || a[i - 1] !== '').join('\n')}\n`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function renderDemoStep(step: DemoStep): string {
  const mark = step.status === step.expected ? '' : `\n!! expected ${step.expected}, got ${step.status}\n`;
  return `== ${step.title}\n$ ${step.command}\n${step.output}${mark}\n`;
}

/** issue 15: the demo's one line on h2 and keep-alive: 3 requests on one h2 connection to the lab's h2 server through its slow edge. */
async function keepAliveLine(lab: Lab, signal: AbortSignal | undefined): Promise<string> {
  const { traceRequest } = await import('../../protocol/http/trace-request.js');
  const { MODERN_HTTP_ADDRESSES, MODERN_HTTP_NAMES } = await import('../../lab/http/modern-names.js');
  const r = await traceRequest({
    url: `https://${MODERN_HTTP_NAMES.h2}:${lab.http.httpsPort}/`, origin: MODERN_HTTP_ADDRESSES.slowEdge, ca: [lab.tls.rootPem], reuse: 3, warmUp: false,
    ...(signal ? { signal } : {}),
  });
  const p = r.paths[0];
  const u = p?.reuse;
  if (!p || !u?.base || !u.other || !u.savingMs) return '';
  return `keep-alive: ${p.httpVersion} ${p.tlsVersion ?? ''} via a +${lab.http.modern.slowEdgeRttMs} ms edge: opening the connection ${u.base.totalMs.toFixed(0)} ms, each later request on it ${u.other.totalMs.toFixed(0)} ms (netlab trace-request --reuse 3)\n`;
}
