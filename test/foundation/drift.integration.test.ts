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
});
