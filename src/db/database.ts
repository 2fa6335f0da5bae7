import type { DataSource } from 'typeorm';
import type { LoadedConfig } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { redactUrl } from '../log/logger.js';
import { createDataSource, pendingMigrations } from './data-source.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';

/** A failure to reach or prepare the database, worded for the operator. */
export class DatabaseStartError extends Error {
  override name = 'DatabaseStartError';
}

export interface Database {
  dataSource: DataSource;
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

function describeConnectError(err: unknown, url: string): string {
  const e = err as { code?: string; message?: string };
  let where = 'the database';
  try {
    const u = new URL(url);
    where = `${u.hostname}:${u.port || '5432'}`;
    const db = u.pathname.replace(/^\//, '') || 'postgres';
    if (e.code === '3D000') return `DATABASE_URL names database "${db}", which does not exist on ${where}`;
  } catch {
    /* url was validated by the config already */
  }
  switch (e.code) {
    case 'ECONNREFUSED':
      return `cannot reach the database at ${where} (connection refused): check DATABASE_URL and that Postgres is running`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot reach the database: host in DATABASE_URL (${where}) does not resolve`;
    case 'ETIMEDOUT':
      return `cannot reach the database at ${where} (timed out): check DATABASE_URL and the network`;
    case '28P01':
    case '28000':
      return `the database at ${where} refused the user or password in DATABASE_URL`;
    default:
      return `cannot connect to the database at ${where}: ${e.message || e.code || 'unknown error'}`;
  }
}

/**
 * Opens the database of this process: the Postgres at DATABASE_URL, or an embedded one under
 * DATA_DIR when it is unset. Migrations run when `migrate` is true (start-up does; `touchpoint
 * migrate` does too).
 */
export async function openDatabase(
  config: Pick<LoadedConfig, 'databaseUrl' | 'dataDir' | 'dbPoolMax'>,
  log: Logger,
  options: { migrate: boolean; applicationName?: string },
): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres(config.dataDir, log);
    url = embedded.url;
  }
  const dataSource = createDataSource({
    url,
    poolMax: config.dbPoolMax,
    ...(options.applicationName ? { applicationName: options.applicationName } : {}),
  });
  try {
    await dataSource.initialize();
  } catch (err) {
    await embedded?.stop();
    throw new DatabaseStartError(describeConnectError(err, url));
  }
  log.info({ database: redactUrl(url), embedded: Boolean(embedded) }, 'database connected');
  if (options.migrate) {
    try {
      const ran = await dataSource.runMigrations({ transaction: 'each' });
      if (ran.length) log.info({ migrations: ran.map((m) => m.name) }, 'migrations applied');
    } catch (err) {
      await dataSource.destroy().catch(() => undefined);
      await embedded?.stop();
      throw new DatabaseStartError(`a migration failed: ${(err as Error).message}`);
    }
  }
  return {
    dataSource,
    url,
    embedded: Boolean(embedded),
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await embedded?.stop();
    },
  };
}

export async function databaseReady(ds: DataSource): Promise<{ reachable: boolean; pending: string[] }> {
  try {
    await ds.query('SELECT 1');
  } catch {
    return { reachable: false, pending: [] };
  }
  return { reachable: true, pending: await pendingMigrations(ds) };
}
