/**
 * The names of a zone as small integer ids, for a million names without a million objects:
 * the bytes of every name live in one arena, found through an open-addressing hash table
 * (FNV-1a, linear probing). A V8 Map of a million strings costs half a second and ~100 MB;
 * this costs the bytes of the names and a few typed arrays. Ids are 0 .. size-1, in the order
 * the names were first added; what a name means (its addresses, its alias target) is kept by
 * the caller in typed arrays indexed by id (model.ts).
 */

/** A typed array that the tables grow. */
export type GrowableArray = Uint8Array | Uint16Array | Uint32Array | Int32Array;

/** `a` when it holds `need` slots, else a copy of it 1.5 times as large (at least `need`). */
export function grow<T extends GrowableArray>(a: T, need: number): T {
  if (need <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, Math.ceil(a.length * 1.5)));
  b.set(a);
  return b;
}

/** Whether `a[as, as + n)` and `b[bs, bs + n)` hold the same bytes. */
export function sameBytes(a: Uint8Array, as: number, b: Uint8Array, bs: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (a[as + k] !== b[bs + k]) return false;
  return true;
}

/** FNV-1a, as a signed 32-bit value (what an Int32Array slot holds). */
function hashBytes(b: Uint8Array, s: number, n: number): number {
  let h = 0x811c9dc5 | 0;
  for (let k = 0; k < n; k++) h = Math.imul(h ^ b[s + k]!, 0x01000193);
  return h;
}

/** Names (byte strings of at most 255 bytes) to ids and back. */
export class NameTable {
  private count = 0;
  private arena: Buffer;
  private arenaUsed = 0;
  private kOff: Uint32Array;
  private kLen: Uint8Array;
  /** The hash table: pairs [id + 1 (0: empty), hash], so that a probe reads one cache line. */
  private slots: Int32Array;
  private mask: number;

  /** `expected`: about how many names to expect (sizes the tables once instead of growing them). */
  constructor(expected = 0) {
    const n = Math.min(Math.max(expected, 1024), 1 << 24);
    this.kOff = new Uint32Array(n);
    this.kLen = new Uint8Array(n);
    this.arena = Buffer.allocUnsafe(n > 1024 ? n * 8 : 64 * 1024);
    let size = 2048;
    while (size * 3 < n * 4) size *= 2; // a load of at most 3/4 (linear probing)
    this.slots = new Int32Array(size * 2);
    this.mask = size - 1;
  }

  /** Names held; their ids are 0 .. size-1. */
  get size(): number {
    return this.count;
  }

  /** Ids the per-name arrays of the caller should have room for (grows with the table). */
  get capacity(): number {
    return this.kOff.length;
  }

  /** The id of the name `b[s, s + n)`, or -1 when it is not in the table. */
  find(b: Uint8Array, s: number, n: number): number {
    const found = this.probe(b, s, n, hashBytes(b, s, n));
    return found >= 0 ? found : -1;
  }

  /** The id, or `-1 - slot` (where it would go) when absent. */
  private probe(b: Uint8Array, s: number, n: number, h: number): number {
    const slots = this.slots;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const v = slots[i * 2]!;
      if (v === 0) return -1 - i;
      const id = v - 1;
      if (slots[i * 2 + 1] === h && this.kLen[id] === n && sameBytes(this.arena, this.kOff[id]!, b, s, n)) return id;
    }
  }

  /**
   * The id of the name `b[s, s + n)` (at most 255 bytes), added when new (then its id is the
   * previous size). The bytes are copied: `b` may be reused.
   */
  idFor(b: Uint8Array, s: number, n: number): number {
    const h = hashBytes(b, s, n);
    const found = this.probe(b, s, n, h);
    if (found >= 0) return found;
    const id = this.count++;
    if (id >= this.kOff.length) {
      this.kOff = grow(this.kOff, id + 1);
      this.kLen = grow(this.kLen, id + 1);
    }
    if (this.arenaUsed + n > this.arena.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.arenaUsed + n, Math.ceil(this.arena.length * 1.5)));
      this.arena.copy(bigger, 0, 0, this.arenaUsed);
      this.arena = bigger;
    }
    for (let k = 0; k < n; k++) this.arena[this.arenaUsed + k] = b[s + k]!;
    this.kOff[id] = this.arenaUsed;
    this.kLen[id] = n;
    this.arenaUsed += n;
    this.slots[(-1 - found) * 2] = id + 1;
    this.slots[(-1 - found) * 2 + 1] = h;
    if (this.count * 4 > this.mask * 3) this.rehash();
    return id;
  }

  private rehash(): void {
    const size = (this.mask + 1) * 2;
    const mask = size - 1;
    const slots = new Int32Array(size * 2);
    const old = this.slots;
    for (let j = 0; j < old.length; j += 2) {
      if (old[j] === 0) continue;
      const h = old[j + 1]!;
      let i = (h >>> 0) & mask;
      while (slots[i * 2] !== 0) i = (i + 1) & mask;
      slots[i * 2] = old[j]!;
      slots[i * 2 + 1] = h;
    }
    this.slots = slots;
    this.mask = mask;
  }

  /** The name of an id, as a (latin1) string. */
  nameOf(id: number): string {
    return this.arena.toString('latin1', this.kOff[id]!, this.kOff[id]! + this.kLen[id]!);
  }

  /** The arena that holds the names' bytes (read-only use: writers copy from it). */
  get bytes(): Buffer {
    return this.arena;
  }

  /** Where the bytes of an id's name start in {@link bytes}. */
  start(id: number): number {
    return this.kOff[id]!;
  }

  /** The length in bytes of an id's name. */
  length(id: number): number {
    return this.kLen[id]!;
  }
}
