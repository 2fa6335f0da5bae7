import type { DataSource } from 'typeorm';
import { sqlOf } from '../db/sql.js';

/** Event types of pull-path dead letters (src/ingest/dead-letter.ts); they are replayed by the sync engine, not here. */
const PULL_PATH_PREFIX = 'dead-letter:';

export interface DeadLetterEntry {
  id: string;
  instance: string;
  eventId: string;
  eventType: string | null;
  /** `webhook` for inbox events; `pull` for objects dead-lettered by a sync or import. */
  origin: 'webhook' | 'pull';
  attempts: number;
  lastError: string | null;
  receivedAt: Date;
  payload: unknown;
}

export type ReplayOutcome =
  | { replayed: true; id: string }
  | { replayed: false; id: string; reason: 'not_found' | 'not_dead' | 'pull_path' };

/** The dead-letter list and replay, for the CLI and for GraphQL (`listDeadLetters`, `replayDeadLetter`). */
export class DeadLetterService {
  constructor(private readonly ds: DataSource) {}

  /** Dead events, newest first; optionally one instance's. */
  async listDeadLetters(options: { instance?: string; limit?: number } = {}): Promise<DeadLetterEntry[]> {
    const rows = await sqlOf(this.ds)<Omit<DeadLetterEntry, 'origin'> & { eventType: string | null }>(
      `SELECT id, connector_instance AS instance, event_id AS "eventId", event_type AS "eventType", attempts,
              last_error AS "lastError", received_at AS "receivedAt", payload
         FROM inbox_event
        WHERE status = 'dead' AND ($1::text IS NULL OR connector_instance = $1)
        ORDER BY received_at DESC, id DESC
        LIMIT $2`,
      [options.instance ?? null, Math.min(Math.max(options.limit ?? 100, 1), 1000)],
    );
    return rows.map((r) => ({
      ...r,
      origin: r.eventType?.startsWith(PULL_PATH_PREFIX) ? 'pull' : 'webhook',
    }));
  }

  /**
   * Puts a dead webhook event back to pending with a fresh attempt count; the worker applies it
   * as if just received. Pull-path dead letters are refused here (they need the sync engine's map).
   */
  async replayDeadLetter(id: string): Promise<ReplayOutcome> {
    if (!/^\d{1,19}$/.test(id)) return { replayed: false, id, reason: 'not_found' };
    const sql = sqlOf(this.ds);
    // A CTE so the driver hands back rows (TypeORM returns [rows, count] for a bare UPDATE).
    const updated = await sql<{ id: string }>(
      `WITH u AS (
         UPDATE inbox_event SET status = 'pending', attempts = 0
          WHERE id = $1 AND status = 'dead' AND (event_type IS NULL OR event_type NOT LIKE '${PULL_PATH_PREFIX}%')
          RETURNING id)
       SELECT id FROM u`,
      [id],
    );
    if (updated.length) {
      await sql(`SELECT pg_notify('touchpoint_inbox', 'replay')`);
      return { replayed: true, id };
    }
    const [row] = await sql<{ status: string; eventType: string | null }>(
      `SELECT status, event_type AS "eventType" FROM inbox_event WHERE id = $1`,
      [id],
    );
    if (!row) return { replayed: false, id, reason: 'not_found' };
    if (row.status !== 'dead') return { replayed: false, id, reason: 'not_dead' };
    return { replayed: false, id, reason: 'pull_path' };
  }
}
