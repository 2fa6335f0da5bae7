import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../src/db/data-source.js';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import type { Logger } from '../src/log/logger.js';

/** A migrated database for a bench: DATABASE_URL's, or an embedded Postgres removed afterwards. */
export async function benchDatabase(
  log: Logger,
  poolMax = 20,
): Promise<{ dataSource: DataSource; url: string; close(): Promise<void> }> {
  let url = process.env.DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  let dir: string | undefined;
  if (!url) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'touchpoint-bench-'));
    // Postgres may run as another user when we are root: it must reach its data directory.
    fs.chmodSync(dir, 0o755);
    const embedded = await startEmbeddedPostgres(dir, log);
    url = embedded.url;
    stopEmbedded = () => embedded.stop();
  }
  const dataSource = createDataSource({ url, poolMax, applicationName: 'touchpoint-bench' });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  if (process.env.DATABASE_URL) await dataSource.query(`TRUNCATE inbox_event, interaction`);
  return {
    dataSource,
    url,
    async close() {
      await dataSource.destroy();
      await stopEmbedded?.();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
