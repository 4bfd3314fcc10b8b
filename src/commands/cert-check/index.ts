/** `netlab cert-check`: its options, declared once, and its flow (parse, run, render). */
import type { CommandDef } from '../command.js';
import { parseCertCheckArgs, runCertCheck, type CertCheckOptions, type CertCheckResult } from './run.js';
import { renderCertText } from './render.js';

export const command: CommandDef<CertCheckOptions, CertCheckResult> = {
  name: 'cert-check',
  args: [{ name: '[target]', description: 'HOST[:PORT] of the server (port 443 by default)' }],
  options: [
    { flags: '--servername <name>', description: 'SNI name to send (default: HOST; none for an IP address; an IP address here is refused: RFC 6066 allows names only)' },
    { flags: '--connect-to <addr>', description: 'connect to this address instead of resolving HOST (keeps SNI and the name check)' },
    { flags: '--ca <file>', description: 'extra trust anchors (PEM, at most 16 MiB); ADDED to the system roots (repeatable)', repeatable: true },
    { flags: '--no-system-ca', description: 'do not trust the system roots: only --ca files' },
    { flags: '--warn-days <n>', description: 'WARNING when a certificate expires within N days', default: 30 },
    { flags: '--crit-days <n>', description: 'CRITICAL when a certificate expires within N days', default: 7 },
    { flags: '--warn-percent <p>', description: "WARNING when under P% of the leaf's lifetime is left" },
    { flags: '--crit-percent <p>', description: "CRITICAL when under P% of the leaf's lifetime is left" },
    { flags: '--timeout <seconds>', description: 'connect and handshake timeout', default: 10 },
    { flags: '--file <bundle>', description: 'check a local PEM bundle (leaf and chain, at most 16 MiB) instead of a server; no network' },
    { flags: '--host <name>', description: 'name the certificate must be valid for (default: HOST; with --file: none)' },
    { flags: '--json', description: 'one JSON document on stdout' },
  ],
  helpAfter: `
Bounds: a path of at most 100 intermediate certificates (OpenSSL's default verify depth;
more is CHAIN_TOO_LONG), at most 1000 certificates read from a server, --file and --ca
files of at most 16 MiB (a FIFO that gives nothing for 10 s is an error). See netlab-cert-check(1).`,
  parse: (g) => parseCertCheckArgs({
    target: g.args[0], servername: g.text('servername'), connectTo: g.text('connect-to'), ca: g.has('ca') ? g.list('ca') : undefined,
    systemCa: g.flag('system-ca', true), warnDays: g.text('warn-days'), critDays: g.text('crit-days'), warnPercent: g.text('warn-percent'),
    critPercent: g.text('crit-percent'), timeout: g.text('timeout'), file: g.text('file'), host: g.text('host'), json: g.flag('json'),
  }),
  run: (options, ctx) => runCertCheck({ ...options, signal: ctx.signal }),
  render: (result) => renderCertText(result),
};
