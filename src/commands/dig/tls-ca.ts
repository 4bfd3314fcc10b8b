/**
 * +tls-ca=FILE: the CA certificates read once per file, checked to hold at least one PEM
 * certificate. A file that cannot be read or holds none is bad input (INPUT, exit 3).
 */
import { fileErrorReason, NetlabError } from '../../errors.js';
import { FILE_LIMITS, readFileBounded } from '../../util/read-bounded.js';
import { nodeCrypto } from '../../util/builtins.js';

const cache = new Map<string, string>();

/** The PEM text of a +tls-ca file. Throws NetlabError INPUT naming the file. */
export function readTlsCa(path: string): string {
  const hit = cache.get(path);
  if (hit !== undefined) return hit;
  let text: string;
  try {
    text = readFileBounded(path, FILE_LIMITS.pem).toString('utf8');
  } catch (e) {
    throw new NetlabError('INPUT', `cannot read +tls-ca file '${path}': ${fileErrorReason(e)}`, { cause: e });
  }
  const first = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(text);
  try {
    if (!first) throw new Error('no PEM certificate');
    new (nodeCrypto().X509Certificate)(first[0]);
  } catch {
    throw new NetlabError('INPUT', `+tls-ca file '${path}' holds no PEM certificate`);
  }
  cache.set(path, text);
  return text;
}
