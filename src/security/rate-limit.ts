import type { DataSource } from 'typeorm';
import { poolQuery } from '../db/sql.js';

export interface RateLimitOptions {
  /** Most cost a key can spend at once (the bucket size). */
  capacity: number;
  /** Cost units returned to the bucket each second. */
  refillPerSecond: number;
}

export type RateDecision =
  { ok: true; remaining: number } | { ok: false; remaining: number; retryAfterSeconds: number };

/**
 * A token bucket per key in Postgres (an UNLOGGED table: no WAL flush per request; a database
 * crash only refills every bucket), so the limit holds across every hub process. One
 * INSERT ... ON CONFLICT DO UPDATE refills by elapsed time and takes the cost under the row
 * lock: concurrent requests of one key cannot both spend the same tokens.
 */
export class PgRateLimiter {
  constructor(
    private readonly ds: DataSource,
    readonly options: RateLimitOptions,
  ) {}

  async take(key: string, cost: number): Promise<RateDecision> {
    const { capacity, refillPerSecond } = this.options;
    const refilled = `LEAST($2::float8, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM (clock_timestamp() - b.updated_at))) * $3::float8)`;
    // On every request: a prepared statement straight on the pool (no TypeORM query runner).
    const rows = await poolQuery<{ tokens: number; ok: boolean }>(
      this.ds,
      `INSERT INTO rate_limit_bucket AS b (key, tokens, updated_at, last_ok)
       VALUES ($1, CASE WHEN $2::float8 >= $4::float8 THEN $2::float8 - $4::float8 ELSE $2::float8 END, clock_timestamp(), $2::float8 >= $4::float8)
       ON CONFLICT (key) DO UPDATE SET
         tokens = CASE WHEN ${refilled} >= $4::float8 THEN ${refilled} - $4::float8 ELSE ${refilled} END,
         last_ok = ${refilled} >= $4::float8,
         updated_at = clock_timestamp()
       RETURNING tokens, last_ok AS ok`,
      [key, capacity, refillPerSecond, cost],
    );
    const row = rows[0]!;
    if (row.ok) return { ok: true, remaining: Math.floor(row.tokens) };
    const missing = Math.min(cost, capacity) - row.tokens;
    return {
      ok: false,
      remaining: Math.floor(row.tokens),
      retryAfterSeconds: Math.max(1, Math.ceil(missing / refillPerSecond)),
    };
  }
}
