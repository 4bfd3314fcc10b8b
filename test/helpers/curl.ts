/** curl -w as netlab's phases: curl's timers are cumulative, netlab's phases their differences. */
import type { Phases } from '../../src/protocol/http/timing.js';

/** The -w format curlPhases() reads. */
export const CURL_W = '%{time_namelookup} %{time_connect} %{time_appconnect} %{time_pretransfer} %{time_starttransfer} %{time_total} %{http_code} %{size_download}';

export interface CurlPhases {
  phases: Phases;
  status: number;
  bytes: number;
}

/** One CURL_W line -> phases in ms (tls = appconnect..pretransfer included, as netlab counts it). Throws on anything else. */
export function curlPhases(line: string): CurlPhases {
  const f = line.trim().split(/\s+/).map(Number);
  if (f.length !== 8 || f.some((x) => !Number.isFinite(x))) throw new Error(`unexpected curl -w output '${line}'`);
  const [namelookup, connect, , pretransfer, starttransfer, total, status, bytes] = f.map((x, i) => (i < 6 ? x * 1000 : x)) as [number, number, number, number, number, number, number, number];
  return {
    phases: {
      dnsMs: namelookup,
      tcpMs: connect - namelookup,
      tlsMs: pretransfer - connect,
      ttfbMs: starttransfer - pretransfer,
      transferMs: total - starttransfer,
      totalMs: total,
    },
    status,
    bytes,
  };
}
