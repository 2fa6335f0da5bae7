import crypto from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/db/data-source.js';

export interface TestDatabase {
  url: string;
  dataSource: DataSource;
  /** Destroys the pool and drops the database. */
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.TEST_ADMIN_DATABASE_URL;
  if (!url) throw new Error('TEST_ADMIN_DATABASE_URL is not set: run the tests through `npm test` (jest global setup)');
  return url;
}

/** A URL to a new empty database on the suite's Postgres (embedded, or DATABASE_URL's server). */
export async function createEmptyDatabase(prefix = 'tp'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl() });
      await c.connect();
      // pool.end() resolves before its sockets close: wait for the backends to leave, so the
      // forced drop does not kill a connection whose client has no error handler any more.
      for (let i = 0; i < 50; i++) {
        const [row] = (await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1`, [name])).rows;
        if (!row?.n) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A new database with the real migrations applied, and a DataSource on it. */
export async function createTestDatabase(options: { poolMax?: number } = {}): Promise<TestDatabase> {
  const empty = await createEmptyDatabase();
  const dataSource = createDataSource({ url: empty.url, poolMax: options.poolMax ?? 5, applicationName: 'touchpoint-test' });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return {
    url: empty.url,
    dataSource,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await empty.drop();
    },
  };
}
