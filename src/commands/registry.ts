/**
 * Every subcommand: its name, one line for `netlab --help`, and its module, imported only when
 * it runs (startup: nothing heavy loads for `--version` or `--help`).
 */
import type { AnyCommand } from './command.js';

type Loader = () => Promise<{ command: AnyCommand }>;

export const COMMANDS = {
  dig: { summary: "DNS lookups with dig's syntax and output: +trace, -x, -f, +short, +json", load: (() => import('./dig/index.js')) },
  'cert-check': { summary: 'validate a TLS certificate chain and say everything that is wrong with it', load: (() => import('./cert-check/index.js')) },
  'trace-request': { summary: 'time DNS, TCP, TLS, TTFB and transfer of a request, direct to the origin against through the CDN', load: (() => import('./trace-request/index.js')) },
  'lb-probe': { summary: 'does the load balancer spread traffic as configured? probe a VIP and its backends, test the split', load: (() => import('./lb-probe/index.js')) },
  hosts2zone: { summary: 'migrate hosts(5) files to DNS zones that BIND loads (forward, reverse, RPZ), and check a server against them', load: (() => import('./hosts2zone/index.js')) },
  lab: { summary: 'run the course network on loopback (DNS hierarchy, HTTPS origin, CDN edge, VIPs) until interrupted', load: (() => import('./lab/index.js')) },
  demo: { summary: 'start the lab, run every subcommand against it, show the results', load: (() => import('./demo/index.js')) },
} as const satisfies Record<string, { summary: string; load: Loader }>;

export type CommandName = keyof typeof COMMANDS;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}
