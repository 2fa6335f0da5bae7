import type { DataSource } from 'typeorm';
import { createDataSource } from '../src/db/data-source.js';
import type { Logger } from '../src/log/logger.js';
import { benchPostgres } from './bench-postgres.js';

/** A migrated database for a bench: DATABASE_URL's, or an embedded Postgres removed afterwards. */
export async function benchDatabase(
  log: Logger,
  poolMax = 20,
): Promise<{ dataSource: DataSource; url: string; close(): Promise<void> }> {
  const server = await benchPostgres(log);
  const url = server.url;
  const dataSource = createDataSource({ url, poolMax, applicationName: 'touchpoint-bench' });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  if (process.env.DATABASE_URL) await dataSource.query(`TRUNCATE inbox_event, interaction`);
  return {
    dataSource,
    url,
    async close() {
      await dataSource.destroy();
      await server.stop();
    },
  };
}
