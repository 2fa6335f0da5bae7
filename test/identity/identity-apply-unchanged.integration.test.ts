import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CanonicalPerson } from '../../src/connector-kit/canonical.js';
import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let resolver: IdentityResolver;

beforeAll(async () => {
  db = await createTestDatabase();
  resolver = new IdentityResolver(db.dataSource);
});
afterAll(async () => {
  await db.drop();
});

const person = (over: Partial<CanonicalPerson> = {}): CanonicalPerson => ({
  objectType: 'contact',
  externalId: 'c-1',
  identifiers: [
    { kind: 'email', value: 'Ada.Lovelace@Example.org' },
    { kind: 'phone', value: '+44 7911 123456' },
  ],
  traits: { firstName: 'Ada', lastName: 'Lovelace' },
  payload: { id: 'c-1' },
  updatedAt: '2026-01-01T00:00:00Z',
  ...over,
});

/** The row versions of the record and its edges: a write gives a new xmin. */
async function versions(recordId: string): Promise<string[]> {
  const rows: { v: string }[] = await db.dataSource.query(
    `SELECT xmin::text AS v FROM source_record WHERE id = $1
     UNION ALL SELECT xmin::text FROM record_identifier WHERE source_record_id = $1
     UNION ALL SELECT xmin::text FROM record_block_key WHERE source_record_id = $1`,
    [recordId],
  );
  return rows.map((r) => r.v).sort();
}

describe('a record applied again exactly as stored', () => {
  it('is reported unchanged with its customer and writes nothing', async () => {
    const first = await resolver.applyPerson('hubspot', person());
    expect(first.unchanged).toBeUndefined();
    const before = await versions(first.sourceRecordId!);
    const again = await resolver.applyPerson('hubspot', person());
    expect(again).toMatchObject({ sourceRecordId: first.sourceRecordId, customerId: first.customerId, unchanged: true, createdCustomer: false });
    expect(again.skipped).toBeUndefined();
    expect(await versions(first.sourceRecordId!)).toEqual(before);
  });

  it('is applied when its traits, payload, source time or an identifier (even only its raw form) differ', async () => {
    const base = await resolver.applyPerson('hubspot', person({ externalId: 'c-2' }));
    const changes: Partial<CanonicalPerson>[] = [
      { traits: { firstName: 'Ada', lastName: 'King' } },
      { payload: { id: 'c-2', note: 'x' } },
      { updatedAt: '2026-01-02T00:00:00Z' },
      { identifiers: [{ kind: 'email', value: 'ada.lovelace@example.org' }, { kind: 'phone', value: '+44 7911 123456' }] },
      { identifiers: [{ kind: 'email', value: 'ada.lovelace@example.org' }] },
    ];
    let last = person({ externalId: 'c-2' });
    for (const change of changes) {
      last = { ...last, ...change };
      const r = await resolver.applyPerson('hubspot', last);
      expect({ change, unchanged: r.unchanged, problems: r.problems }).toEqual({ change, unchanged: undefined, problems: [] });
      expect(r.skipped).toBeUndefined();
      expect(r.customerId).toBe(base.customerId);
    }
    const [row]: { traits: Record<string, unknown>; ids: string[] }[] = await db.dataSource.query(
      `SELECT sr.traits, ARRAY(SELECT ri.raw_value FROM record_identifier ri WHERE ri.source_record_id = sr.id ORDER BY 1) AS ids
         FROM source_record sr WHERE sr.id = $1`,
      [base.sourceRecordId],
    );
    expect(row).toEqual({ traits: { firstName: 'Ada', lastName: 'King' }, ids: ['ada.lovelace@example.org'] });
    // Stored as given now: the next identical apply is unchanged again.
    expect((await resolver.applyPerson('hubspot', last)).unchanged).toBe(true);
  });

  it('is still stale, not unchanged, when an older version arrives', async () => {
    await resolver.applyPerson('hubspot', person({ externalId: 'c-3', updatedAt: '2026-02-01T00:00:00Z' }));
    const older = await resolver.applyPerson('hubspot', person({ externalId: 'c-3', updatedAt: '2026-01-15T00:00:00Z' }));
    expect(older.skipped).toBe('stale');
    expect(older.unchanged).toBeUndefined();
  });
});

describe('a new person whose values and blocks are all new', () => {
  it('gets a customer as the full path makes it: golden record, record count, origin', async () => {
    const solo = await resolver.applyPerson('zendesk', {
      objectType: 'user',
      externalId: 'u-solo',
      identifiers: [{ kind: 'email', value: 'Grace.Hopper@navy.example' }, { kind: 'phone', value: '+44 7911 123457' }],
      traits: { firstName: 'Grace', lastName: 'Hopper', city: 'Arlington' },
      updatedAt: '2026-03-01T00:00:00Z',
    });
    expect(solo).toMatchObject({ createdCustomer: true, suggestions: 0, problems: [] });
    const [row]: { traits: Record<string, { value: unknown; source: string }>; recordCount: number; origin: string; customerId: string }[] =
      await db.dataSource.query(
        `SELECT c.traits, c.record_count AS "recordCount", sr.origin_customer_id AS origin, sr.customer_id AS "customerId"
           FROM source_record sr JOIN customer c ON c.id = sr.customer_id WHERE sr.id = $1`,
        [solo.sourceRecordId],
      );
    expect(row!.customerId).toBe(solo.customerId);
    expect(row!.origin).toBe(solo.customerId);
    expect(row!.recordCount).toBe(1);
    // What the full path computes from the stored record.
    await resolver.refreshGolden((t, p) => db.dataSource.query(t, p), [solo.customerId!]);
    const [again]: { traits: unknown }[] = await db.dataSource.query(`SELECT traits FROM customer WHERE id = $1`, [solo.customerId]);
    expect(row!.traits).toEqual(again!.traits);
    expect(row!.traits.email?.value).toBe('grace.hopper@navy.example');
    expect(row!.traits.firstName).toMatchObject({ value: 'Grace', source: 'zendesk' });
    // Its blocking keys are filed: a namesake with the same email local part finds it.
    const [keys]: { n: number }[] = await db.dataSource.query(`SELECT count(*)::int AS n FROM record_block_key WHERE source_record_id = $1`, [solo.sourceRecordId]);
    expect(keys!.n).toBeGreaterThan(0);
  });
});
