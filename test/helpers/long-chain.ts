/**
 * Long certificate chains from the lab CA helpers, for the tests of path building depth: one
 * root, a ladder of intermediates each issued by the one before (issueIntermediateCa in a
 * loop), and a leaf at any rung. A chain of N certificates is the leaf and the N - 1
 * intermediates above it, leaf first, as a server sends it (the root is not sent).
 */
import { createRootCa, issueIntermediateCa, issueLeaf, DAY_MS, type LabCa } from '../../src/lab/tls/ca.js';

export interface LongChain {
  /** The leaf, then each issuer in turn up to the intermediate the root issued (PEM). */
  certChainPem: string;
  keyPem: string;
  /** How many certificates: the leaf and the intermediates. */
  length: number;
}

export interface Ladder {
  /** The root every chain of the ladder ends at (PEM). */
  rootPem: string;
  /** A root unrelated to the ladder: trusting only it leaves every chain untrusted (PEM). */
  otherRootPem: string;
  /** A chain of `length` certificates (2 to the ladder's size), for www.example.test. */
  chain(length: number): Promise<LongChain>;
}

/** A root and `intermediates` intermediates below it, each issued by the one before. */
export async function makeLadder(intermediates: number, now = new Date()): Promise<Ladder> {
  const validity = { notBefore: new Date(now.getTime() - DAY_MS), notAfter: new Date(now.getTime() + 365 * DAY_MS) };
  const root = await createRootCa('netlab Ladder Root', validity);
  const other = await createRootCa('netlab Ladder Other Root', validity);
  // rungs[i] is the intermediate i + 1 steps below the root
  const rungs: LabCa[] = [];
  for (let i = 0; i < intermediates; i++) rungs.push(await issueIntermediateCa(rungs[i - 1] ?? root, `netlab Ladder Intermediate ${i + 1}`, validity));
  return {
    rootPem: root.certPem,
    otherRootPem: other.certPem,
    async chain(length: number) {
      if (length < 2 || length - 1 > rungs.length) throw new Error(`a ladder of ${rungs.length} intermediates has no chain of ${length}`);
      const above = rungs.slice(0, length - 1).reverse();
      const leaf = await issueLeaf(above[0]!, { ...validity, dnsNames: ['www.example.test'] });
      return { certChainPem: leaf.certPem + above.map((c) => c.certPem).join(''), keyPem: leaf.keyPem, length };
    },
  };
}
