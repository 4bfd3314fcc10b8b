/** RFC 1982 serial number arithmetic (SOA serials): whether `a` is newer than `b`. */
export function serialNewer(a: number, b: number): boolean {
  const d = (a - b) >>> 0;
  return d !== 0 && d < 0x80000000;
}
