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
export function auditHash(
  prevHash: string | null,
  row: { seq: string; occurredAt: string } & AuditInput,
): string {
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
  return crypto
    .createHash('sha256')
    .update(prevHash ?? 'genesis')
    .update('\n')
    .update(content)
    .digest('hex');
}

/**
 * Appends events to the hash-chained audit log, inside the caller's transaction, in three
 * statements however many there are: the chain lock, the last hash with one sequence number per
 * event, then one multi-row INSERT. Rows are written once, complete with their hash: the app never
 * needs UPDATE on audit rows. (The read audit's group commit passes many requests' events at once.)
 */
export async function appendAuditBatch(sql: Sql, events: AuditInput[]): Promise<void> {
  if (!events.length) return;
  await sql(`SELECT pg_advisory_xact_lock($1)`, [AUDIT_CHAIN_LOCK]);
  const [head] = await sql<{ hash: string | null; seqs: string[]; at: Date }>(
    `SELECT (SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1) AS hash,
            ARRAY(SELECT nextval(pg_get_serial_sequence('audit_event', 'seq'))::text FROM generate_series(1, $1::int)) AS seqs,
            date_trunc('milliseconds', clock_timestamp()) AS at`,
    [events.length],
  );
  const seqs = head!.seqs
    .map(BigInt)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map(String);
  const occurredAt = head!.at.toISOString();
  let prevHash = head!.hash ?? null;
  const rows = events.map((e, i) => {
    const seq = seqs[i]!;
    const hash = auditHash(prevHash, { ...e, seq, occurredAt });
    const row = { seq, e, prevHash, hash };
    prevHash = hash;
    return row;
  });
  await sql(
    `INSERT INTO audit_event (seq, occurred_at, actor, role, action, customer_id, purpose, details, prev_hash, hash)
     SELECT s, $2::timestamptz, a, r, ac, c, p, d, ph, h
       FROM unnest($1::bigint[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::text[], $8::jsonb[], $9::text[], $10::text[])
         AS t(s, a, r, ac, c, p, d, ph, h)`,
    [
      rows.map((r) => r.seq),
      occurredAt,
      rows.map((r) => r.e.actor),
      rows.map((r) => r.e.role ?? null),
      rows.map((r) => r.e.action),
      rows.map((r) => r.e.customerId ?? null),
      rows.map((r) => r.e.purpose ?? null),
      rows.map((r) => JSON.stringify(r.e.details ?? {})),
      rows.map((r) => r.prevHash),
      rows.map((r) => r.hash),
    ],
  );
}

/** Appends one event to the hash-chained audit log, inside the caller's transaction. */
export function appendAudit(sql: Sql, input: AuditInput): Promise<void> {
  return appendAuditBatch(sql, [input]);
}
