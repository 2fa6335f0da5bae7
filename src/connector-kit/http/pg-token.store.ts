import type { Pool, PoolClient, QueryResult } from 'pg';
import { type Token, type TokenStore } from './token.store.js';

/** The part of `pg.Pool` the store needs, so tests and callers can hand in their own pool. */
export type PgPoolLike = Pick<Pool, 'connect'> & {
  query: (text: string, values?: unknown[]) => Promise<QueryResult>;
};

interface TokenRow {
  access_token: string | null;
  refresh_token: string | null;
  expires_at: Date | null;
}

function toToken(row: TokenRow | undefined): Token | null {
  if (!row) return null;
  if (row.access_token === null && row.refresh_token === null) return null;
  return { accessToken: row.access_token ?? '', refreshToken: row.refresh_token, expiresAt: row.expires_at };
}

function sameToken(a: Token | null, b: Token): boolean {
  return (
    a !== null &&
    a.accessToken === b.accessToken &&
    a.refreshToken === b.refreshToken &&
    (a.expiresAt?.getTime() ?? null) === (b.expiresAt?.getTime() ?? null)
  );
}

/**
 * Tokens in table `connector_token(instance_id text primary key, access_token text,
 * refresh_token text, expires_at timestamptz, updated_at timestamptz not null default now())`.
 *
 * `refreshLocked` takes the instance's row lock (`SELECT ... FOR UPDATE`), re-reads the row and
 * lets `refresh` decide, so across every process and restart one refresh happens per expiry;
 * the others wait on the lock and then find the new token.
 *
 * @example
 * const store = new PgTokenStore(pool);
 * const auth = oauth2({ tokenUrl, clientId, clientSecret, store });
 */
export class PgTokenStore implements TokenStore {
  private readonly pool: PgPoolLike;
  private readonly options: { lockTimeoutMs?: number };

  constructor(pool: PgPoolLike, options: { lockTimeoutMs?: number } = {}) {
    this.pool = pool;
    this.options = options;
  }

  async read(instanceId: string): Promise<Token | null> {
    const res = await this.pool.query(
      'SELECT access_token, refresh_token, expires_at FROM connector_token WHERE instance_id = $1',
      [instanceId],
    );
    return toToken(res.rows[0] as TokenRow | undefined);
  }

  async refreshLocked(
    instanceId: string,
    refresh: (current: Token | null) => Promise<Token>,
  ): Promise<Token> {
    const client: PoolClient = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const lockTimeout = Math.max(1, Math.floor(this.options.lockTimeoutMs ?? 30_000));
      await client.query(`SET LOCAL lock_timeout = ${lockTimeout}`);
      // FOR UPDATE locks nothing when the row is missing, so make sure there is one to lock.
      await client.query(
        'INSERT INTO connector_token (instance_id) VALUES ($1) ON CONFLICT (instance_id) DO NOTHING',
        [instanceId],
      );
      const res = await client.query<TokenRow>(
        'SELECT access_token, refresh_token, expires_at FROM connector_token WHERE instance_id = $1 FOR UPDATE',
        [instanceId],
      );
      const current = toToken(res.rows[0]);
      const next = await refresh(current);
      if (!sameToken(current, next)) {
        await client.query(
          'UPDATE connector_token SET access_token = $2, refresh_token = $3, expires_at = $4, updated_at = now() WHERE instance_id = $1',
          [instanceId, next.accessToken, next.refreshToken, next.expiresAt],
        );
      }
      await client.query('COMMIT');
      return next;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
