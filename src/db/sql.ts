import type { DataSource, EntityManager } from 'typeorm';

/** A function that runs one parameterised SQL statement (inside a transaction or not). */
export type Sql = <T = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]>;

export function sqlOf(m: EntityManager | DataSource): Sql {
  return (text, params) => m.query(text, params);
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
