import { describe, expect, it } from '@jest/globals';
import { featuresOf } from '../identity-resolver.service.js';
import { blockingKeysOf, forEachBlockingKey, Interner, prepareFeatures } from '../matching/index.js';
import { BlockLists, StringTable, TripleIds } from './block-index.js';
import { generateRecords } from './generate-records.js';

/** A block's members in order: its reserved run, then its linked list. */
function membersOf(blocks: BlockLists, b: number): number[] {
  const out: number[] = [];
  for (let e = blocks.runStart(b); e < blocks.runEnd(b); e++) out.push(blocks.runs[e]!);
  for (let e = blocks.first(b); e >= 0; e = blocks.nextOf(e)) out.push(blocks.memberOf(e));
  return out;
}

describe('TripleIds', () => {
  it('numbers triples densely in order of first sight and gives the same id again, across rehashes', () => {
    const ids = new TripleIds();
    const triples: [number, number, number][] = [];
    for (let i = 0; i < 200_000; i++)
      triples.push([i % 7, (i * 7919) % 100_003, i % 3 === 0 ? -1 : i % 1000]);
    const first = triples.map(([k, a, b]) => ids.id(k, a, b));
    // Distinct triples get 0, 1, 2 ... in order; repeats get the id of their first sight.
    const seen = new Map<string, number>();
    const wrong = triples.filter((t, i) => {
      const key = t.join(',');
      if (!seen.has(key)) seen.set(key, seen.size);
      return first[i] !== seen.get(key);
    });
    expect(wrong).toEqual([]);
    expect(ids.size).toBe(seen.size);
    expect(triples.map(([k, a, b]) => ids.id(k, a, b))).toEqual(first);
    const last = first[first.length - 1]!;
    expect([ids.kind(last), ids.a(last), ids.b(last)]).toEqual(triples[triples.length - 1]);
  });
});

describe('StringTable', () => {
  it('gives each string the number it was added with, equal strings made apart included, across rehashes', () => {
    const table = new StringTable();
    // 200,000 strings (the table starts at 65,536 slots); every 1,000th looked up again as a string
    // built apart. Compared once at the end (an expect per string takes seconds).
    const added: number[] = [];
    const again: number[] = [];
    for (let n = 0; n < 200_000; n++) {
      added.push(table.getOrAdd(`user${n}@example${n % 7}.com`, n * 3));
      if (n % 1000 === 0)
        again.push(table.getOrAdd(['user', String(n), '@example', String(n % 7), '.com'].join(''), 1));
    }
    // The positions where a number differs from what was added (none).
    expect(added.flatMap((v, n) => (v === n * 3 ? [] : [n]))).toEqual([]);
    expect(again).toEqual(Array.from({ length: 200 }, (_, k) => k * 3000));
    expect(table.size).toBe(200_000);
    const misread = added.flatMap((v, n) => (table.get(`user${n}@example${n % 7}.com`) === v ? [] : [n]));
    expect(misread).toEqual([]);
    expect([table.get('nobody@example.com'), table.get('user1@example1.co'), table.get('')]).toEqual([
      -1, -1, -1,
    ]);
    expect(table.getOrAdd('', 7)).toBe(7);
    expect(table.get('')).toBe(7);
  });
});

describe('BlockLists', () => {
  it('keeps each block its own members in the order they were added; a closed block stays closed', () => {
    const blocks = new BlockLists();
    blocks.ensure(3);
    blocks.add(2, 10);
    blocks.add(0, 11);
    blocks.add(2, 12);
    blocks.ensure(100_000);
    blocks.add(99_999, 13);
    blocks.add(2, 14);
    blocks.close(1);
    const members = (b: number) => membersOf(blocks, b);
    expect(members(2)).toEqual([10, 12, 14]);
    expect(members(0)).toEqual([11]);
    expect(members(1)).toEqual([]);
    expect(members(99_999)).toEqual([13]);
    expect(members(50_000)).toEqual([]);
    expect([blocks.closed(1), blocks.closed(2), blocks.closed(50_000)]).toEqual([true, false, false]);
  });
});

describe('BlockLists with reserved room', () => {
  it('keeps the order members were added across the reserved run and what did not fit', () => {
    const blocks = new BlockLists();
    blocks.ensure(4);
    blocks.reserve(0, 2);
    blocks.reserve(2, 1);
    blocks.seal();
    blocks.ensure(6); // a block made after the layout: all its members are linked
    for (const [b, m] of [
      [0, 1],
      [2, 2],
      [0, 3],
      [0, 4],
      [1, 5],
      [2, 6],
      [5, 7],
      [0, 8],
    ] as const)
      blocks.add(b, m);
    const members = (b: number) => membersOf(blocks, b);
    expect([0, 1, 2, 3, 4, 5].map(members)).toEqual([[1, 3, 4, 8], [5], [2, 6], [], [], [7]]);
    // The reserved members sit next to each other.
    expect(blocks.runEnd(0) - blocks.runStart(0)).toBe(2);
  });
});

describe('blocking keys numbered by their parts (the bulk import)', () => {
  it('gives two keys one number exactly when blockingKeysOf gives them one text', () => {
    const parts = new Interner();
    const ids = new TripleIds();
    const kinds = new Map<string, number>();
    const textOf = new Map<number, string>();
    const idOf = new Map<string, number>();
    let keys = 0;
    for (const { person } of generateRecords(3000, 5)) {
      const f = prepareFeatures(featuresOf(person.traits ?? {}, person.identifiers));
      const texts = blockingKeysOf(f);
      const numbered: number[] = [];
      forEachBlockingKey(f, (kind, a, b) => {
        if (!kinds.has(kind)) kinds.set(kind, kinds.size);
        numbered.push(ids.id(kinds.get(kind)!, parts.id(a), b === undefined ? -1 : parts.id(b)));
      });
      expect(numbered.length).toBe(texts.length);
      numbered.forEach((id, k) => {
        expect(textOf.get(id) ?? texts[k]).toBe(texts[k]);
        expect(idOf.get(texts[k]!) ?? id).toBe(id);
        textOf.set(id, texts[k]!);
        idOf.set(texts[k]!, id);
        keys++;
      });
    }
    expect(keys).toBeGreaterThan(10_000);
    // Keys are shared between records (blocks exist), and every kind occurs.
    expect(ids.size).toBeLessThan(keys);
    expect([...kinds.keys()].sort()).toEqual(['d', 'di', 'e', 'fy', 'ns', 'p', 'sc']);
  });
});
