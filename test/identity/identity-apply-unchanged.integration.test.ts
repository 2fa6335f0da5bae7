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
