import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { IDENTITY_GRAPH_LOCK, IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let resolver: IdentityResolver;

beforeAll(async () => {
  db = await createTestDatabase();
  resolver = new IdentityResolver(db.dataSource);
});
afterAll(async () => {
  await db?.drop();
});

/** Holds the identity graph lock exclusively, as a bulk import does, until `release` is called. */
async function holdGraphExclusively(): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT pg_advisory_xact_lock($1)', [IDENTITY_GRAPH_LOCK]);
  return {
    async release() {
      await client.query('COMMIT');
      await client.end();
    },
  };
}

const settledWithin = (p: Promise<unknown>, ms: number) =>
  Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((r) => setTimeout(() => r(false), ms)),
  ]);

describe('graph changes wait for a bulk import that holds the graph', () => {
  it('erase, merge and unmerge wait while the graph lock is held exclusively, then complete', async () => {
    const a = await resolver.applyPerson('crm', {
      objectType: 'contact',
      externalId: 'A',
      identifiers: [{ kind: 'email', value: 'ada@example.com' }],
    });
    const b = await resolver.applyPerson('crm', {
      objectType: 'contact',
      externalId: 'B',
      identifiers: [{ kind: 'email', value: 'bob@example.com' }],
    });
    const c = await resolver.applyPerson('crm', {
      objectType: 'contact',
      externalId: 'C',
      identifiers: [{ kind: 'email', value: 'cy@example.com' }],
    });

    const bulk = await holdGraphExclusively();
    const merge = resolver.manualMerge(a.customerId!, b.customerId!, 'tester');
    const erase = resolver.erase(c.customerId!, 'tester');
    expect(await settledWithin(merge, 400)).toBe(false);
    expect(await settledWithin(erase, 10)).toBe(false);
    expect(
      await db.dataSource.query(`SELECT count(*)::int AS n FROM source_record WHERE external_id = 'C'`),
    ).toEqual([{ n: 1 }]);
    await bulk.release();

    const merged = await merge;
    expect(merged.survivor).toBe(a.customerId);
    expect((await erase).removed.sourceRecords).toBe(1);

    const again = await holdGraphExclusively();
    const split = resolver.unmerge(a.customerId!, [b.sourceRecordId!], 'tester');
    expect(await settledWithin(split, 400)).toBe(false);
    await again.release();
    expect((await split).customerIds).toHaveLength(2);
  });
});
