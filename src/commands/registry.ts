/**
 * Every subcommand: its name, one line for `netlab --help`, and its module, imported only when
 * it runs (startup: nothing heavy loads for `--version` or `--help`).
 */
import type { AnyCommand } from './command.js';

type Loader = () => Promise<{ command: AnyCommand }>;

/** A command's module, checked to export a `command`, typed as any command (the registry does not need more). */
const lazy = (load: Loader): Loader => load;

export const COMMANDS = {
  dig: { summary: "DNS lookups with dig's syntax and output: +trace, -x, -f, +short, +json", load: lazy(() => import('./dig/index.js')) },
  'cert-check': { summary: 'validate a TLS certificate chain and say everything that is wrong with it', load: lazy(() => import('./cert-check/index.js')) },
  'trace-request': { summary: 'time DNS, TCP, TLS, TTFB and transfer of a request, direct to the origin against through the CDN', load: lazy(() => import('./trace-request/index.js')) },
  'lb-probe': { summary: 'does the load balancer spread traffic as configured? probe a VIP and its backends, test the split', load: lazy(() => import('./lb-probe/index.js')) },
  hosts2zone: { summary: 'migrate hosts(5) files to DNS zones that BIND loads (forward, reverse, RPZ), and check a server against them', load: lazy(() => import('./hosts2zone/index.js')) },
  check: { summary: "run a whole service's checks from one file (any subcommand, conditions, fan-out) for CI: JUnit, metrics, annotations", load: lazy(() => import('./check/index.js')) },
  exporter: { summary: "a Prometheus exporter of netlab's probes (blackbox_exporter's multi-target /probe, its metric names, netlab's besides)", load: lazy(() => import('./exporter/index.js')) },
  lab: { summary: 'run the course network on loopback (DNS hierarchy, HTTPS origin, CDN edge, VIPs) until interrupted', load: lazy(() => import('./lab/index.js')) },
  demo: { summary: 'start the lab, run every subcommand against it, show the results', load: lazy(() => import('./demo/index.js')) },
} as const;

export type CommandName = keyof typeof COMMANDS;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}
