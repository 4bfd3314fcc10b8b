/**
 * The address records of a zone's owners, for a million of them without a million objects:
 * record r is a slot in typed arrays (its address, family, owner, the file and line that gave
 * it) and the records of one owner are a linked list from `head[owner]`, in the order they were
 * added. Duplicates (the same address for the same owner) are one record: the first.
 */
import { grow } from './name-table.js';
import { ipv4FromInt } from '../../util/ip.js';

/** Address records by owner id (model.ts's names). */
export class AddressTable {
  private count = 0;
  /** IPv4 as a number, or the index of the IPv6 text in v6Texts */
  private addr: Uint32Array;
  private fam: Uint8Array;
  /** next record of the same owner + 1 (0: the last) */
  private nextOf: Int32Array;
  private ownerOf: Int32Array;
  private fileOf: Uint16Array;
  private lineOf: Uint32Array;
  private readonly v6Texts: string[] = [];
  /** per owner: its first record + 1 (0: none) */
  private head: Int32Array;

  /** Room for `capacity` records and owners to start with (both grow). */
  constructor(capacity: number) {
    this.addr = new Uint32Array(capacity);
    this.fam = new Uint8Array(capacity);
    this.nextOf = new Int32Array(capacity);
    this.ownerOf = new Int32Array(capacity);
    this.fileOf = new Uint16Array(capacity);
    this.lineOf = new Uint32Array(capacity);
    this.head = new Int32Array(capacity);
  }

  /** Records held. */
  get size(): number {
    return this.count;
  }

  /** Make room for owner ids below `need`. */
  growOwners(need: number): void {
    this.head = grow(this.head, need);
  }

  /**
   * The record of `owner` for this address, added (at the end of the owner's list) when the
   * owner does not have it yet. `v4`: IPv4 as a number (family 4); `v6`: RFC 5952 text (family 6).
   */
  add(owner: number, family: 4 | 6, v4: number, v6: string, file: number, line: number): number {
    let last = -1;
    for (let r = this.head[owner]! - 1; r >= 0; r = this.nextOf[r]! - 1) {
      if (this.fam[r] === family && (family === 4 ? this.addr[r] === v4 : this.v6Texts[this.addr[r]!] === v6)) return r;
      last = r;
    }
    const r = this.count++;
    if (r >= this.addr.length) {
      const n = r + 1;
      this.addr = grow(this.addr, n);
      this.fam = grow(this.fam, n);
      this.nextOf = grow(this.nextOf, n);
      this.ownerOf = grow(this.ownerOf, n);
      this.fileOf = grow(this.fileOf, n);
      this.lineOf = grow(this.lineOf, n);
    }
    this.fam[r] = family;
    if (family === 4) this.addr[r] = v4;
    else {
      this.addr[r] = this.v6Texts.length;
      this.v6Texts.push(v6);
    }
    this.nextOf[r] = 0;
    this.ownerOf[r] = owner;
    this.fileOf[r] = file;
    this.lineOf[r] = line;
    if (last < 0) this.head[owner] = r + 1;
    else this.nextOf[last] = r + 1;
    return r;
  }

  /** An owner's first record, or -1; then {@link next} until -1. */
  first(owner: number): number {
    return this.head[owner]! - 1;
  }

  /** The next record of the same owner, or -1. */
  next(r: number): number {
    return this.nextOf[r]! - 1;
  }

  /** 4 or 6. */
  family(r: number): number {
    return this.fam[r]!;
  }

  /** The IPv4 address of a family-4 record, as an unsigned 32-bit number. */
  v4(r: number): number {
    return this.addr[r]!;
  }

  /** The IPv6 address of a family-6 record, RFC 5952 text. */
  v6(r: number): string {
    return this.v6Texts[this.addr[r]!]!;
  }

  /** The address of a record as text (dotted quad or RFC 5952). */
  text(r: number): string {
    return this.fam[r] === 4 ? ipv4FromInt(this.addr[r]!) : this.v6Texts[this.addr[r]!]!;
  }

  /** The owner id of a record. */
  owner(r: number): number {
    return this.ownerOf[r]!;
  }

  /** The input file index and the line that gave a record. */
  file(r: number): number {
    return this.fileOf[r]!;
  }

  line(r: number): number {
    return this.lineOf[r]!;
  }
}
