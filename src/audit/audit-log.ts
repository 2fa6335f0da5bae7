import crypto from 'node:crypto';
import type { Sql } from '../db/sql.js';

export interface AuditInput {
  actor: string;
  role?: string | null;
  action: string;
  customerId?: string | null;
  purpose?: string | null;
  details?: Record<string, unknown>;
}

/** Advisory-lock key that serialises appends so each row chains to the one before it. */
const AUDIT_CHAIN_LOCK = 7_301_001;

function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}

/** The hash of one audit row: its content and the hash of the row before it. */
export function auditHash(prevHash: string | null, row: { seq: string; occurredAt: string } & AuditInput): string {
  const content = stableJson({
    seq: row.seq,
    occurredAt: row.occurredAt,
    actor: row.actor,
    role: row.role ?? null,
    action: row.action,
    customerId: row.customerId ?? null,
    purpose: row.purpose ?? null,
    details: row.details ?? {},
  });
  return crypto.createHash('sha256').update(prevHash ?? 'genesis').update('\n').update(content).digest('hex');
}

/**
 * Appends one event to the hash-chained audit log, inside the caller's transaction. The row is
 * written once, complete with its hash: the app never needs UPDATE on audit rows.
 */
export async function appendAudit(sql: Sql, input: AuditInput): Promise<void> {
  await sql(`SELECT pg_advisory_xact_lock($1)`, [AUDIT_CHAIN_LOCK]);
  // After the lock (a statement of its own, so this one's snapshot sees the last committed row).
  const [next] = await sql<{ prevHash: string | null; seq: string; at: Date }>(
    `SELECT (SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1) AS "prevHash",
            nextval(pg_get_serial_sequence('audit_event', 'seq'))::text AS seq, date_trunc('milliseconds', clock_timestamp()) AS at`,
  );
  const prevHash = next!.prevHash ?? null;
  const seq = String(next!.seq);
  const occurredAt = next!.at.toISOString();
  const hash = auditHash(prevHash, { ...input, seq, occurredAt });
  await sql(
    `INSERT INTO audit_event (seq, occurred_at, actor, role, action, customer_id, purpose, details, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [seq, occurredAt, input.actor, input.role ?? null, input.action, input.customerId ?? null, input.purpose ?? null, JSON.stringify(input.details ?? {}), prevHash, hash],
  );
}
