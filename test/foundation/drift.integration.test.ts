import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { schemaDrift } from '../../src/db/data-source.js';
import { printHubSchema } from '../../src/graphql/schema.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

describe('drift checks', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('schema.graphql is exactly what the code emits (run `npm run fix:schema` after changing the API)', async () => {
    const committed = fs.readFileSync(path.resolve('schema.graphql'), 'utf8');
    expect(committed).toBe(await printHubSchema());
  });

  it('the migrations produce exactly the schema the entities describe (no migration left to generate)', async () => {
    expect(await schemaDrift(db.dataSource)).toEqual([]);
  });

  it('every migration has a down that undoes it, and up again works', async () => {
    const count = db.dataSource.migrations.length;
    for (let i = 0; i < count; i++) await db.dataSource.undoLastMigration({ transaction: 'each' });
    const tables: { n: string }[] = await db.dataSource.query(
      `SELECT count(*)::text AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'typeorm_migrations'`,
    );
    expect(tables[0]!.n).toBe('0');
    await db.dataSource.runMigrations({ transaction: 'each' });
    expect(await schemaDrift(db.dataSource)).toEqual([]);
  });

  it('evidence stored before it became json reads back the same after the migration', async () => {
    const names = db.dataSource.migrations.map((m) => m.name);
    const from = names.indexOf('EvidenceAsJson1795647000000');
    expect(from).toBeGreaterThan(0);
    for (let i = names.length; i > from; i--) await db.dataSource.undoLastMigration({ transaction: 'each' });
    const evidence = { comparisons: [{ field: 'dob', level: 'exact', weight: 6.25 }], probability: 0.93 };
    const [a, b] = await db.dataSource.query(
      `INSERT INTO source_record (system, object_type, external_id) VALUES ('crm', 'contact', 'e1'), ('crm', 'contact', 'e2') RETURNING id`,
    );
    await db.dataSource.query(
      `INSERT INTO match_suggestion (record_a, record_b, reason, score, evidence) VALUES ($1, $2, 'probabilistic', 7.5, $3::jsonb)`,
      [a.id, b.id, JSON.stringify(evidence)],
    );
    await db.dataSource.query(
      `INSERT INTO identity_link (from_record_id, to_record_id, rule, evidence, actor) VALUES ($1, $2, 'exact_email', $3::jsonb, 'rule:exact_email')`,
      [a.id, b.id, JSON.stringify({ matched: ['email::ann@example.com'] })],
    );
    await db.dataSource.runMigrations({ transaction: 'each' });
    const [s] = await db.dataSource.query(
      `SELECT evidence, pg_typeof(evidence)::text AS type FROM match_suggestion`,
    );
    const [l] = await db.dataSource.query(
      `SELECT evidence, pg_typeof(evidence)::text AS type FROM identity_link`,
    );
    expect(s).toEqual({ evidence, type: 'json' });
    expect(l).toEqual({ evidence: { matched: ['email::ann@example.com'] }, type: 'json' });
    await db.dataSource.query(
      `DELETE FROM identity_link; DELETE FROM match_suggestion; DELETE FROM source_record`,
    );
  });
});
