import crypto from 'node:crypto';
import type { DataSource } from 'typeorm';
import { appendAudit } from '../audit/audit-log.js';
import { inTransaction, poolQuery } from '../db/sql.js';
import { isRole, ROLES, type Role } from './policy.js';
import { rowsOf } from './rows.js';

/** Every key starts with this, so a leaked one is easy to find in code and logs. */
export const API_KEY_PREFIX = 'tpk_';

export interface ApiKeyInfo {
  id: string;
  name: string;
  role: Role;
  /** The first characters of the key: enough to recognise it, useless to use it. */
  hint: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Keys carry 256 random bits, so one round of SHA-256 is enough (no dictionary to attack). */
export function hashApiKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

const SELECT = `SELECT id, name, role, key_hint AS hint, created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt" FROM api_key`;

/** Creates a key; the plain key is returned once and only its hash is stored. */
export async function createApiKey(
  ds: DataSource,
  input: { name: string; role: string; actor?: string },
): Promise<{ key: string; info: ApiKeyInfo }> {
  if (!isRole(input.role)) throw new Error(`role must be one of ${ROLES.join(', ')} (got "${input.role}")`);
  const name = input.name.trim();
  if (!name || name.length > 100) throw new Error('name must be 1 to 100 characters');
  const key = `${API_KEY_PREFIX}${crypto.randomBytes(32).toString('base64url')}`;
  const hint = key.slice(0, API_KEY_PREFIX.length + 6);
  const info = await inTransaction(ds, async (sql) => {
    const [row] = await sql<ApiKeyInfo>(
      `INSERT INTO api_key (name, role, key_hash, key_hint) VALUES ($1, $2, $3, $4)
       RETURNING id, name, role, key_hint AS hint, created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`,
      [name, input.role, hashApiKey(key), hint],
    );
    await appendAudit(sql, {
      actor: input.actor ?? 'cli',
      role: 'admin',
      action: 'api_key.created',
      details: { keyId: row!.id, name, keyRole: input.role },
    });
    return row!;
  });
  return { key, info };
}

/** Revokes a key by id; false when no live key has that id. */
export async function revokeApiKey(ds: DataSource, id: string, actor = 'cli'): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return false;
  return inTransaction(ds, async (sql) => {
    const rows = rowsOf(
      await sql(`UPDATE api_key SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id`, [
        id,
      ]),
    );
    if (!rows.length) return false;
    await appendAudit(sql, { actor, role: 'admin', action: 'api_key.revoked', details: { keyId: id } });
    return true;
  });
}

export async function listApiKeys(ds: DataSource): Promise<ApiKeyInfo[]> {
  return ds.query(`${SELECT} ORDER BY created_at, id`);
}

/** The live key matching `key`, or null (unknown and revoked keys look the same to the caller). */
export async function verifyApiKey(
  ds: DataSource,
  key: string,
): Promise<{ id: string; name: string; role: Role } | null> {
  if (!key.startsWith(API_KEY_PREFIX) || key.length > 200) return null;
  // On every request of a keyed caller: a prepared statement straight on the pool.
  const rows = await poolQuery<{ id: string; name: string; role: string; stale: boolean }>(
    ds,
    `SELECT id, name, role, (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') AS stale
       FROM api_key WHERE key_hash = $1 AND revoked_at IS NULL`,
    [hashApiKey(key)],
  );
  const row = rows[0];
  if (!row || !isRole(row.role)) return null;
  // last_used_at is coarse (a minute) so a busy key does not write on every request.
  if (row.stale) await ds.query(`UPDATE api_key SET last_used_at = now() WHERE id = $1`, [row.id]);
  return { id: row.id, name: row.name, role: row.role };
}
