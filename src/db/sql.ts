import crypto from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';

/** A function that runs one parameterised SQL statement (inside a transaction or not). */
export type Sql = <T = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]>;

/** The pg connection behind an Sql made by sqlOf inside a transaction (for named prepared statements). */
interface PgConnection {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}
const connections = new WeakMap<Sql, () => PgConnection | undefined>();

/** The pg client an Sql made by sqlOf inside a transaction runs on (for COPY), if any. */
export function pgClientOf(sql: Sql): unknown {
  return connections.get(sql)?.();
}

export function sqlOf(m: EntityManager | DataSource): Sql {
  const sql: Sql = (text, params) => m.query(text, params);
  const runner = 'queryRunner' in m ? m.queryRunner : undefined;
  if (runner) connections.set(sql, () => (runner as unknown as { databaseConnection?: PgConnection }).databaseConnection);
  return sql;
}

/**
 * Runs a hot statement as a named prepared statement on the transaction's connection, so each
 * connection plans it once (Postgres may then keep a generic plan) instead of on every call:
 * planning the identity apply's statements cost about as much as running them. Rows are returned
 * as rows (also for UPDATE ... RETURNING). Falls back to a plain query for an Sql not made by
 * sqlOf in a transaction.
 */
export async function preparedQuery<T>(sql: Sql, text: string, params: unknown[]): Promise<T[]> {
  const connection = connections.get(sql)?.();
  if (!connection) return sql<T>(text, params);
  const res = await connection.query({ name: statementName(text), text, values: params });
  return res.rows as T[];
}
const names = new Map<string, string>();

/** The prepared-statement name of a statement text (hashed once per text, not per call). */
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `tp_${crypto.createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * A hot statement outside any transaction, straight on the pool under TypeORM, as a named prepared
 * statement: each pool connection plans it once (and keeps a generic plan), and the call skips
 * TypeORM's query runner. For the API's per-request reads and the read audit's appends.
 */
export async function poolQuery<T>(ds: DataSource, text: string, values: unknown[]): Promise<T[]> {
  const pool = (ds.driver as unknown as { master: { query(c: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }> } }).master;
  const res = await pool.query({ name: statementName(text), text, values });
  return res.rows as T[];
}

const RETRYABLE = new Set(['40P01', '40001']);

/**
 * Runs `work` in a transaction, retrying a few times on deadlock or serialization failure
 * (concurrent applies of overlapping identities can meet in different orders).
 */
export async function inTransaction<T>(ds: DataSource, work: (sql: Sql, manager: EntityManager) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ds.transaction((m) => work(sqlOf(m), m));
    } catch (err) {
      const code = (err as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (err as { code?: string }).code;
      if (!code || !RETRYABLE.has(code) || attempt >= 8) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 50 * attempt));
    }
  }
}
