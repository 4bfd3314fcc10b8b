/** `ADDR:PORT`, with an IPv6 address in brackets (`[::1]:443`, RFC 3986 authority form). */
export function formatHostPort(hp: { address: string; port: number }): string {
  return hp.address.includes(':') ? `[${hp.address}]:${hp.port}` : `${hp.address}:${hp.port}`;
}
