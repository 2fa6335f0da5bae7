/**
 * The bulk import's blocks without an object per key or per member: keys are numbered by their
 * parts (see forEachBlockingKey), members are kept in typed arrays. A million records
 * have about eight million (record, key) pairs and a few million distinct keys; as strings,
 * arrays and Map entries they were a third of the import's garbage-collected heap.
 */

type TypedArray = Int32Array | Uint8Array | Float64Array;

/** `array`, or a copy of it doubled until index `n - 1` fits (the new part zeroed). */
export function withRoom<T extends TypedArray>(array: T, n: number): T {
  if (n <= array.length) return array;
  let size = Math.max(16, array.length);
  while (size < n) size *= 2;
  const bigger = new (array.constructor as new (size: number) => T)(size);
  bigger.set(array);
  return bigger;
}

/** Int32Array that doubles when full. */
export class Int32List {
  data: Int32Array<ArrayBuffer>;
  length = 0;

  constructor(capacity: number) {
    this.data = new Int32Array(Math.max(16, capacity));
  }

  push(v: number): number {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length] = v;
    return this.length++;
  }

  /** Makes room for index `n - 1`. */
  grow(n: number): void {
    this.data = withRoom(this.data, n);
  }
}

/**
 * A number for each string, in an open-addressing hash table of typed arrays (the strings kept in
 * one array). The bulk import looks its identifiers' values (and the names it compares) up here:
 * filled with 1.5M fresh email-like strings and read 2.5M times, a V8 Map took 6.0–6.1 s and this
 * table 2.7–2.8 s on this VM; the identifier loop's Map lookups were 7.3 s of a 1M import's 132 s
 * on its thread (a CPU profile, 2026-11-27).
 */
export class StringTable {
  private slots = new Int32Array(1 << 16).fill(-1);
  private readonly keys: string[] = [];
  private readonly hashes = new Int32List(1 << 15);
  private readonly values = new Int32List(1 << 15);

  get size(): number {
    return this.keys.length;
  }

  /** The number of `key`, or -1. */
  get(key: string): number {
    const e = this.slots[this.slotOf(key, hashString(key))]!;
    return e === -1 ? -1 : this.values.data[e]!;
  }

  /** The number of `key`; when it has none, `value` becomes its number (a non-negative integer). */
  getOrAdd(key: string, value: number): number {
    const h = hashString(key);
    const slot = this.slotOf(key, h);
    const e = this.slots[slot]!;
    if (e !== -1) return this.values.data[e]!;
    this.slots[slot] = this.keys.push(key) - 1;
    this.hashes.push(h);
    this.values.push(value);
    if (this.keys.length * 2 > this.slots.length) this.rehash();
    return value;
  }

  /** The slot holding `key` (hash `h`), or the empty slot where it would go. */
  private slotOf(key: string, h: number): number {
    const mask = this.slots.length - 1;
    let slot = h & mask;
    for (let e = this.slots[slot]!; e !== -1; e = this.slots[slot]!) {
      if (this.hashes.data[e] === h && this.keys[e] === key) break;
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let e = 0; e < this.keys.length; e++) {
      let slot = this.hashes.data[e]! & mask;
      while (slots[slot] !== -1) slot = (slot + 1) & mask;
      slots[slot] = e;
    }
    this.slots = slots;
  }
}

/** FNV-1a over the UTF-16 code units, mixed (murmur3's finaliser) so that the low bits spread. */
function hashString(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export interface TripleIdsSnapshot {
  bits: number;
  slots: Int32Array<ArrayBuffer>;
  kinds: Int32Array<ArrayBuffer>;
  as: Int32Array<ArrayBuffer>;
  bs: Int32Array<ArrayBuffer>;
}

/**
 * Dense ids (0, 1, 2 ... in order of first sight) for triples (kind, a, b) of non-negative
 * integers below 2^31 (b may be -1): an open-addressing hash table holding ids, the triples kept
 * by id.
 */
export class TripleIds {
  private bits = 16;
  private slots = new Int32Array(1 << 16).fill(-1);
  private readonly kinds = new Int32List(1 << 15);
  private readonly as = new Int32List(1 << 15);
  private readonly bs = new Int32List(1 << 15);

  /** The table as plain data (its own arrays: for another thread, which takes them over). */
  snapshot(): TripleIdsSnapshot {
    return {
      bits: this.bits,
      slots: this.slots,
      kinds: this.kinds.data.subarray(0, this.size),
      as: this.as.data.subarray(0, this.size),
      bs: this.bs.data.subarray(0, this.size),
    };
  }

  /** The table a snapshot holds, with the same ids. */
  static from(s: TripleIdsSnapshot): TripleIds {
    const t = new TripleIds();
    t.bits = s.bits;
    t.slots = s.slots;
    for (const [list, data] of [
      [t.kinds, s.kinds],
      [t.as, s.as],
      [t.bs, s.bs],
    ] as const) {
      list.data = data;
      list.length = data.length;
    }
    return t;
  }

  get size(): number {
    return this.kinds.length;
  }

  kind(id: number): number {
    return this.kinds.data[id]!;
  }

  a(id: number): number {
    return this.as.data[id]!;
  }

  b(id: number): number {
    return this.bs.data[id]!;
  }

  /** The triple's id, a new one when it was never seen. */
  id(kind: number, a: number, b: number): number {
    const mask = (1 << this.bits) - 1;
    let h = this.hash(kind, a, b);
    const slots = this.slots;
    const kinds = this.kinds.data;
    const as = this.as.data;
    const bs = this.bs.data;
    for (;;) {
      const id = slots[h]!;
      if (id === -1) break;
      if (as[id] === a && bs[id] === b && kinds[id] === kind) return id;
      h = (h + 1) & mask;
    }
    const id = this.kinds.push(kind);
    this.as.push(a);
    this.bs.push(b);
    slots[h] = id;
    if (id * 2 >= mask) this.rehash();
    return id;
  }

  private hash(kind: number, a: number, b: number): number {
    let h =
      Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77) ^ Math.imul(kind + 1, 0xc2b2ae35);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    return (h ^ (h >>> 13)) >>> (32 - this.bits);
  }

  private rehash(): void {
    this.bits++;
    const mask = (1 << this.bits) - 1;
    const slots = new Int32Array(1 << this.bits).fill(-1);
    for (let id = 0; id < this.kinds.length; id++) {
      let h = this.hash(this.kinds.data[id]!, this.as.data[id]!, this.bs.data[id]!);
      while (slots[h] !== -1) h = (h + 1) & mask;
      slots[h] = id;
    }
    this.slots = slots;
  }
}

/**
 * Members of numbered blocks, each block a list in the order members were added. A block can be
 * given room for the members it is expected to get (reserve, then seal once): those are kept in
 * one run of a shared array, next to each other, and the rest in a linked list after them (no
 * room reserved, or more members than reserved). A block is closed (never read, never added to)
 * once it is known to be too big to compare.
 */
export class BlockLists {
  private readonly head = new Int32List(1 << 16);
  private readonly tail = new Int32List(1 << 16);
  private closedFlags = new Uint8Array(1 << 16);
  private readonly member = new Int32List(1 << 16);
  private readonly next = new Int32List(1 << 16);
  private readonly room = new Int32List(1 << 16);
  private start = new Int32Array(0);
  private fill = new Int32Array(0);
  /** The reserved runs of all blocks (read from runStart(b) to runEnd(b)). */
  runs = new Int32Array(0);

  /** Makes room for blocks 0 .. n - 1 (new blocks are empty and open). */
  ensure(n: number): void {
    if (n <= this.head.length) return;
    const from = this.head.length;
    this.head.grow(n);
    this.tail.grow(n);
    this.room.grow(n);
    this.head.data.fill(-1, from);
    this.head.length = this.tail.length = this.room.length = n;
    this.closedFlags = withRoom(this.closedFlags, n);
  }

  /** Expects `count` members in `block` (before seal). */
  reserve(block: number, count: number): void {
    this.room.data[block] = count;
  }

  /** Lays out the reserved runs; members added from now on fill them. */
  seal(): void {
    const n = this.room.length;
    this.start = new Int32Array(n + 1);
    for (let b = 0; b < n; b++) this.start[b + 1] = this.start[b]! + this.room.data[b]!;
    this.fill = new Int32Array(n);
    this.runs = new Int32Array(this.start[n]!);
  }

  close(block: number): void {
    this.closedFlags[block] = 1;
  }

  closed(block: number): boolean {
    return this.closedFlags[block] === 1;
  }

  /** Appends `member` to an open block (ensure()d). */
  add(block: number, member: number): void {
    if (block < this.fill.length) {
      const f = this.fill[block]!;
      if (f < this.start[block + 1]! - this.start[block]!) {
        this.runs[this.start[block]! + f] = member;
        this.fill[block] = f + 1;
        return;
      }
    }
    const at = this.member.push(member);
    this.next.push(-1);
    const tail = this.tail.data[block]!;
    if (this.head.data[block] === -1) this.head.data[block] = at;
    else this.next.data[tail] = at;
    this.tail.data[block] = at;
  }

  /** The block's first members are runs[runStart(b) .. runEnd(b)), the rest its linked list. */
  runStart(block: number): number {
    return block < this.fill.length ? this.start[block]! : 0;
  }

  runEnd(block: number): number {
    return block < this.fill.length ? this.start[block]! + this.fill[block]! : 0;
  }

  /** First entry of a block's linked list (-1: none); walk with nextOf, read with memberOf. */
  first(block: number): number {
    return this.head.data[block]!;
  }

  nextOf(entry: number): number {
    return this.next.data[entry]!;
  }

  memberOf(entry: number): number {
    return this.member.data[entry]!;
  }
}
