import { describe, expect, it } from '@jest/globals';
import { MemoryStore } from './memory.store.js';

describe('MemoryStore', () => {
  it('creates, updates and soft-deletes with versions and a change log', () => {
    const store = new MemoryStore<{ email: string; name?: string }>({ idPrefix: 'cus_' });
    const a = store.create({ email: 'a@x.test' });
    const b = store.create({ email: 'b@x.test', id: 'custom' });
    expect(a.id).toBe('cus_000001');
    expect(b.id).toBe('custom');
    expect(() => store.create({ email: 'dup', id: 'custom' })).toThrow(/duplicate/);
    const a2 = store.update(a.id, { name: 'Ann' });
    expect(a2).toMatchObject({ id: a.id, email: 'a@x.test', name: 'Ann', version: 2 });
    store.remove(b.id);
    expect(store.get(b.id)).toBeUndefined();
    expect(store.get(b.id, { includeDeleted: true })?.deletedAt).toBeInstanceOf(Date);
    expect(store.list().map((r) => r.id)).toEqual([a.id]);
    expect(store.size).toBe(1);
    expect(() => store.update(b.id, { name: 'x' })).toThrow(/no record/);
    expect(store.changes().map((c) => `${c.op}:${c.id}`)).toEqual([
      'create:cus_000001',
      'create:custom',
      'update:cus_000001',
      'remove:custom',
    ]);
    expect(store.changes(3)).toHaveLength(1);
  });

  it('answers "changed since" exactly, deletions included, even within one clock tick', () => {
    const frozen = 1_700_000_000_000;
    const store = new MemoryStore<{ n: number }>({ now: () => frozen });
    const r1 = store.create({ n: 1 });
    const r2 = store.create({ n: 2 });
    const mark = r2.updatedAt;
    expect(r2.updatedAt.getTime()).toBeGreaterThan(r1.updatedAt.getTime());
    store.update(r1.id, { n: 10 });
    store.remove(r2.id);
    store.create({ n: 3 });
    const changed = store.list({ changedSince: mark });
    expect(changed.map((r) => [r.n, r.deletedAt !== null])).toEqual([
      [10, false],
      [2, true],
      [3, false],
    ]);
  });
});
