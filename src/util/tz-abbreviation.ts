/**
 * The time zone abbreviation strftime's %Z prints (JST, IST, CET, -03), which BIND's dig puts
 * in its WHEN line. Node has no strftime, and ICU's English names give "GMT+9" for Tokyo, so
 * read what the C library reads: the TZif file of $TZ (or /etc/localtime), RFC 8536. The
 * footer's POSIX TZ string describes the rules now in force; the local time types and
 * transitions describe the past. Pure but for the file read; undefined when nothing fits.
 */
import { readFileSync } from 'node:fs';

/** std/dst names and the std offset (seconds east of UTC) of a POSIX TZ string like `EST5EDT,...`. */
function posixNames(spec: string): { std: string; stdOffset: number; dst?: string } | undefined {
  const m = /^(<[^>]+>|[A-Za-z]{3,})([-+]?)(\d{1,2})(?::(\d{1,2}))?(?::(\d{1,2}))?(<[^>]+>|[A-Za-z]{3,})?/.exec(spec);
  if (!m) return undefined;
  const strip = (n: string) => n.replace(/^<|>$/g, '');
  // POSIX offsets are west of UTC: JST-9 is nine hours east
  const west = (Number(m[3]) * 3600 + Number(m[4] ?? 0) * 60 + Number(m[5] ?? 0)) * (m[2] === '-' ? -1 : 1);
  return { std: strip(m[1]!), stdOffset: -west, ...(m[6] ? { dst: strip(m[6]) } : {}) };
}

/** The abbreviation in force for `offsetSeconds` (east of UTC) according to a TZif file. */
export function abbreviationFromTzif(data: Buffer, offsetSeconds: number): string | undefined {
  if (data.length < 44 || data.toString('latin1', 0, 4) !== 'TZif') return undefined;
  const version = data[4]!;
  const counts = (at: number) => [0, 1, 2, 3, 4, 5].map((i) => data.readUInt32BE(at + 20 + i * 4)) as [number, number, number, number, number, number];
  let at = 0;
  let [isut, isstd, leap, timecnt, typecnt, charcnt] = counts(0);
  let timeSize = 4;
  if (version >= 0x32) {
    // skip the version 1 block to the version 2+ header, with 64-bit times
    at = 44 + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut;
    if (at + 44 > data.length || data.toString('latin1', at, at + 4) !== 'TZif') return undefined;
    [isut, isstd, leap, timecnt, typecnt, charcnt] = counts(at);
    timeSize = 8;
  }
  const body = at + 44;
  const indexes = body + timecnt * timeSize;
  const types = indexes + timecnt;
  const chars = types + typecnt * 6;
  const end = chars + charcnt + leap * (timeSize + 4) + isstd + isut;
  if (end > data.length) return undefined;
  const abbreviation = (type: number): string => {
    const idx = data[types + type * 6 + 5]!;
    const stop = data.indexOf(0, chars + idx);
    return data.toString('latin1', chars + idx, stop < 0 || stop > chars + charcnt ? chars + charcnt : stop);
  };
  // the rules in force now: the footer, "\nJST-9\n" or "\nEST5EDT,M3.2.0,M11.1.0\n"
  if (timeSize === 8 && data[end] === 0x0a) {
    const close = data.indexOf(0x0a, end + 1);
    const rules = posixNames(data.toString('latin1', end + 1, close < 0 ? data.length : close));
    if (rules) {
      if (rules.stdOffset === offsetSeconds) return rules.std;
      if (rules.dst) return rules.dst;
    }
  }
  // else the latest transition to a type with this offset, or any such type
  for (let i = timecnt - 1; i >= 0; i--) {
    const type = data[indexes + i]!;
    if (type < typecnt && data.readInt32BE(types + type * 6) === offsetSeconds) return abbreviation(type);
  }
  for (let t = 0; t < typecnt; t++) if (data.readInt32BE(types + t * 6) === offsetSeconds) return abbreviation(t);
  return undefined;
}

/** %Z for `date` in this process's zone ($TZ, else /etc/localtime); undefined when unknown. */
export function localZoneAbbreviation(date: Date, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const offset = -date.getTimezoneOffset() * 60;
  let tz = env.TZ;
  if (tz !== undefined && tz.startsWith(':')) tz = tz.slice(1);
  if (tz !== undefined && tz !== '' && !tz.includes('/') && /\d/.test(tz)) {
    // a POSIX string itself (TZ=JST-9)
    const rules = posixNames(tz);
    if (rules) return rules.stdOffset === offset || !rules.dst ? rules.std : rules.dst;
  }
  const path = tz === undefined || tz === '' ? '/etc/localtime' : tz.startsWith('/') ? tz : `/usr/share/zoneinfo/${tz}`;
  if (tz !== undefined && /(^|\/)\.\.(\/|$)/.test(tz)) return undefined;
  try {
    return abbreviationFromTzif(readFileSync(path), offset);
  } catch {
    return undefined;
  }
}

/**
 * The local zone's name for dig's WHEN line (callers ask once per run): UTC when the process runs in
 * UTC, else strftime's %Z from the TZif file, else ICU's English short name (EST, CET; ICU
 * gives "GMT+9" where the file says JST, so it is only the fallback; Intl costs ~10 ms to
 * start, so it is asked only then).
 */
export function localZoneName(date: Date, env: NodeJS.ProcessEnv = process.env): string {
  if (date.getTimezoneOffset() === 0 && /^(UTC|ETC\/UTC|GMT|)$/i.test(env.TZ ?? 'UTC')) return 'UTC';
  const fromFile = localZoneAbbreviation(date, env);
  if (fromFile) return fromFile;
  // en-US knows American abbreviations (EST), en-GB European ones (CET); take whichever is not "GMT+1"
  const name = (locale: string) => new Intl.DateTimeFormat(locale, { timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? 'UTC';
  return [name('en-US'), name('en-GB')].find((n) => !/^(GMT|UTC)[+-]/.test(n)) ?? name('en-US');
}
