/** The DNSSEC algorithms' mnemonics, apart from crypto.ts so that a renderer can name them without loading the checks. */

/** Mnemonics of the DNSSEC algorithms (IANA registry), for messages. */
export const ALGORITHM_NAMES: Readonly<Record<number, string>> = {
  1: 'RSAMD5', 3: 'DSA', 5: 'RSASHA1', 6: 'DSA-NSEC3-SHA1', 7: 'RSASHA1-NSEC3-SHA1', 8: 'RSASHA256', 10: 'RSASHA512',
  12: 'ECC-GOST', 13: 'ECDSAP256SHA256', 14: 'ECDSAP384SHA384', 15: 'ED25519', 16: 'ED448',
};

/** The algorithm's mnemonic, or its number. */
export function algorithmName(alg: number): string {
  return ALGORITHM_NAMES[alg] ?? String(alg);
}
