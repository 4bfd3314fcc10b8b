/**
 * Generated hosts files for the interop suite and the benchmark: written in chunks to a file
 * (never the whole text in memory), with known content so a test can check any entry.
 *
 * Line k (0-based) of `lines`: every 1000th a comment; else, for host i:
 *   IPv4   `10.A.B.C  hI.ORIGIN hI [wwwI]`   (the FQDN and the short name are one name; one host in 4 has an alias)
 *   IPv6   `fd00::I   hI.ORIGIN`              (one line in 10, for the host of the line before)
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export interface GeneratedHost {
  name: string;
  v4?: string;
  v6?: string;
  alias?: string;
}

/** The address of host i: 10.0.0.0/8 from its number (zone data only, never contacted). */
export function hostV4(i: number): string {
  return `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
}

export function hostV6(i: number): string {
  return `fd00::${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}`;
}

/** What line k says, or undefined for a comment line. */
export function generatedLine(k: number): { text: string; host?: number; family?: 4 | 6 } {
  if (k % 1000 === 999) return { text: `# block ${k}` };
  const i = k - Math.floor(k / 1000); // hosts count only non-comment lines
  if (i % 10 === 9) return { text: `${hostV6(i - 1)}\th${i - 1}.ORIGIN`, host: i - 1, family: 6 };
  return { text: `${hostV4(i)}\th${i}.ORIGIN h${i}${i % 4 === 0 ? ` www${i}` : ''}`, host: i, family: 4 };
}

/** Write a hosts file of `lines` lines for `origin`; returns the number of host names. */
export function writeGeneratedHosts(path: string, lines: number, origin: string): number {
  const fd = openSync(path, 'w');
  let buf = '';
  let hosts = 0;
  try {
    for (let k = 0; k < lines; k++) {
      const l = generatedLine(k);
      if (l.family === 4) hosts++;
      buf += `${l.text.replace('ORIGIN', origin)}\n`;
      if (buf.length > 1 << 20) {
        writeSync(fd, buf);
        buf = '';
      }
    }
    writeSync(fd, buf);
  } finally {
    closeSync(fd);
  }
  return hosts;
}
