import type { DataSource } from 'typeorm';
import { auditHash } from '../audit/audit-log.js';

export interface AuditVerifyResult {
  ok: boolean;
  checked: number;
  /** The first row whose hash or link does not match, with what is wrong. */
  firstBad?: { seq: string; reason: string };
}

interface AuditRow {
  seq: string;
  occurredAt: Date;
  actor: string;
  role: string | null;
  action: string;
  customerId: string | null;
  purpose: string | null;
  details: Record<string, unknown>;
  prevHash: string | null;
  hash: string | null;
}

/**
 * Recomputes the hash chain of audit_event in order (in pages, so a long log never sits in memory)
 * and names the first row that was altered, deleted around, or inserted out of chain.
 */
export async function verifyAuditChain(ds: DataSource, pageSize = 1000): Promise<AuditVerifyResult> {
  let prevHash: string | null = null;
  let after = '0';
  let checked = 0;
  for (;;) {
    const rows: AuditRow[] = await ds.query(
      `SELECT seq::text AS seq, occurred_at AS "occurredAt", actor, role, action, customer_id AS "customerId", purpose, details,
              prev_hash AS "prevHash", hash
         FROM audit_event WHERE seq > $1::bigint ORDER BY audit_event.seq LIMIT $2`,
      [after, pageSize],
    );
    for (const row of rows) {
      if (row.prevHash !== prevHash) {
        return {
          ok: false,
          checked,
          firstBad: {
            seq: row.seq,
            reason: 'prev_hash does not match the hash of the row before it (a row was removed or inserted)',
          },
        };
      }
      const expected = auditHash(prevHash, {
        seq: row.seq,
        occurredAt: new Date(row.occurredAt).toISOString(),
        actor: row.actor,
        role: row.role,
        action: row.action,
        customerId: row.customerId,
        purpose: row.purpose,
        details: row.details,
      });
      if (expected !== row.hash) {
        return {
          ok: false,
          checked,
          firstBad: { seq: row.seq, reason: 'content does not match its hash (the row was altered)' },
        };
      }
      prevHash = row.hash;
      checked += 1;
    }
    if (rows.length < pageSize) return { ok: true, checked };
    after = rows.at(-1)!.seq;
  }
}
