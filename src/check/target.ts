/**
 * The target of an exporter's probe (issue 13): what `GET /probe?target=...` may be for each
 * kind of module, the host it names (what `--allow` judges), and the arguments it adds to the
 * module's command line. A target never becomes an option: text that starts with `-`, `@` or
 * `+`, or holds spaces or control characters, is refused before anything runs. Pure; no I/O.
 */
import { isIP } from 'node:net';
import type { CheckCommand } from './model.js';

/** A target that cannot be used; `message` is one line for the HTTP 400. */
export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

/** The longest target accepted. */
export const MAX_TARGET_LENGTH = 2048;

/** What each kind of module takes as its target (for messages and the man page). */
export const TARGET_FORMS: Record<CheckCommand, string> = {
  dig: 'SERVER[:PORT] (the DNS server asked)',
  'cert-check': 'HOST[:PORT]',
  'trace-request': 'URL (http:// is added when it has no scheme)',
  'lb-probe': 'VIP:PORT',
  hosts2zone: 'SERVER[:PORT] (the server checked against the hosts files)',
};

/** A target every module accepts at load, to check that the module's command line parses with one. */
export const PLACEHOLDER_TARGET: Record<CheckCommand, string> = {
  dig: '127.0.0.1',
  'cert-check': '127.0.0.1:443',
  'trace-request': 'http://127.0.0.1/',
  'lb-probe': '127.0.0.1:80',
  hosts2zone: '127.0.0.1:53',
};

/** `HOST`, `HOST:PORT`, `[V6]:PORT` or a bare IPv6 address -> host and port. */
function hostPort(text: string, needPort: boolean): { host: string; port?: number } {
  let host = text;
  let port: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) {
    host = bracket[1]!;
    port = bracket[2];
    if (isIP(host) !== 6) throw new TargetError(`'${text}' has brackets around something that is not an IPv6 address`);
  } else if (isIP(text) !== 6) {
    const colon = text.lastIndexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      port = text.slice(colon + 1);
      if (!/^\d+$/.test(port)) throw new TargetError(`the port of '${text}' is not a number`);
    }
  }
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) throw new TargetError(`the port of '${text}' is not from 1 to 65535`);
  if (needPort && port === undefined) throw new TargetError(`'${text}' needs a port (HOST:PORT)`);
  if (host === '' || (isIP(host) === 0 && !/^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/.test(host))) throw new TargetError(`'${text}' does not name a host (a name or an IP address)`);
  return port === undefined ? { host } : { host, port: Number(port) };
}

/** The target made usable for `command`: the host it names and the arguments added to the module's. Throws TargetError. */
export function parseTarget(command: CheckCommand, raw: string): { host: string; port?: number; argv: string[] } {
  const target = raw.trim();
  if (target === '') throw new TargetError('the target is empty');
  if (target.length > MAX_TARGET_LENGTH) throw new TargetError(`the target is longer than ${MAX_TARGET_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(target)) throw new TargetError('the target holds spaces or control characters');
  if (/^[-@+]/.test(target)) throw new TargetError(`a target cannot start with '${target[0]}' (it is a target, never an option)`);
  if (command === 'trace-request') {
    const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target : `http://${target}`;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new TargetError(`'${target}' is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TargetError(`'${target}' is not an http:// or https:// URL`);
    if (url.username || url.password) throw new TargetError('a target URL cannot carry a user or password');
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return { host, ...(url.port ? { port: Number(url.port) } : {}), argv: [text] };
  }
  const hp = hostPort(target, command === 'lb-probe');
  const host = hp.host.replace(/\.$/, '') || hp.host;
  switch (command) {
    case 'dig':
      return { ...hp, host, argv: hp.port === undefined ? [`@${hp.host}`] : [`@${hp.host}`, '-p', String(hp.port)] };
    case 'hosts2zone':
      return { ...hp, host, argv: ['--verify', target] };
    default:
      return { ...hp, host, argv: [target] };
  }
}
