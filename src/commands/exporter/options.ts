/**
 * `netlab exporter`'s options (issue 13), declared once (flags, --help text, defaults), and the
 * pure parser to typed options. Throws NetlabError USAGE naming the option.
 */
import { isIP } from 'node:net';
import { NetlabError } from '../../errors.js';
import { parseVarSettings } from '../args.js';
import { parseAllow, type AllowList } from '../../check/probe.js';
import type { Given, OptionDecl } from '../command.js';
import { DEFAULT_MAX_IN_FLIGHT } from './server.js';

export const DEFAULT_CONFIG = 'netlab-exporter.yml';
export const DEFAULT_LISTEN = '127.0.0.1:9116';

export const EXPORTER_OPTIONS: OptionDecl[] = [
  { flags: '--config <file>', description: `the modules, YAML or JSON (default ${DEFAULT_CONFIG})` },
  { flags: '--listen <addr:port>', description: `where to listen (default ${DEFAULT_LISTEN}; all interfaces only when asked: 0.0.0.0:9116 or [::]:9116)` },
  { flags: '--allow <cidr|name-pattern>', description: "targets allowed besides loopback and the modules' targets: (a CIDR such as 10.0.0.0/8, an address, or a name pattern such as *.example.com; repeatable)", repeatable: true },
  { flags: '--set <name=value>', description: "give a {{name}} placeholder of the config its value, over the config's vars: (repeatable)", repeatable: true },
  { flags: '--max-in-flight <n>', description: 'probes running at once; a scrape over it gets 503', default: DEFAULT_MAX_IN_FLIGHT },
];

export const EXPORTER_HELP_AFTER = `
The config (see netlab-exporter(1)): modules are checks without their target.
  defaults:
    timeout: 10s
  modules:
    - name: dns_www
      dig: "www.example.test A -p 5300"      # target: the DNS server
      expect: [answer contains 192.0.2.10]
    - name: tls
      cert-check: --ca lab-root.pem           # target: HOST[:PORT]
      targets: [www.example.test:8443]        # allowed without --allow

Endpoints: GET /probe?module=NAME&target=TARGET[&debug=true], GET /metrics, GET /-/healthy,
GET /-/ready, POST /-/reload (SIGHUP reloads too).
Exit: 0 when stopped by Ctrl-C or SIGTERM; 3 for a bad config, a bad option or a listen address in use.`;

export interface ExporterCliOptions {
  config: string;
  host: string;
  port: number;
  allow: AllowList;
  maxInFlight: number;
  json: boolean;
  /** --set name=value: values of the config's {{name}} placeholders. */
  vars?: Record<string, string>;
}

/** `ADDR:PORT`, `[V6]:PORT`, `:PORT` (all interfaces) -> host and port (0: any free port). */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  const host = m ? (m[1] ?? m[2] ?? '') : '';
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535 || (host !== '' && isIP(host) === 0 && host !== 'localhost') || (m[1] !== undefined && isIP(host) !== 6)) {
    throw new NetlabError('USAGE', `--listen needs ADDR:PORT such as 127.0.0.1:9116 or [::1]:9116, got '${value}'`);
  }
  return { host: host === '' ? '::' : host, port };
}

export function parseExporterOptions(g: Given): ExporterCliOptions {
  const max = g.text('max-in-flight') ?? String(DEFAULT_MAX_IN_FLIGHT);
  if (!/^\d+$/.test(max) || Number(max) < 1 || Number(max) > 100_000) throw new NetlabError('USAGE', `--max-in-flight needs a whole number from 1 to 100000, got '${max}'`);
  const config = g.text('config') ?? DEFAULT_CONFIG;
  if (config.trim() === '') throw new NetlabError('USAGE', '--config is empty');
  const vars = parseVarSettings(g.list('set'));
  return { config, ...parseListen(g.text('listen') ?? DEFAULT_LISTEN), allow: parseAllow(g.list('allow')), maxInFlight: Number(max), json: false, ...(vars ? { vars } : {}) };
}
