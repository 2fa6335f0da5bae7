import crypto from 'node:crypto';
import type { Sql } from '../db/sql.js';

/**
 * Dead letters of the pull path share `inbox_event` with webhooks (status 'dead'), so one
 * list and one replay tool cover both. Their event type starts with `dead-letter:` and names
 * where the object came from (`dead-letter:stream:contacts`, `dead-letter:import:csv`).
 */
export const DEAD_LETTER_PREFIX = 'dead-letter:';

export interface DeadLetter {
  /** The connector instance (system) the object belongs to. */
  instance: string;
  /** `stream:<name>`, `import:csv`, `apply`... */
  source: string;
  /** The vendor object (or row) as received. */
  payload: unknown;
  reason: string;
  /** A stable key; default: a hash of the payload, so the same bad object is stored once. */
  key?: string;
}

function stableJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'null';
  } catch {
    return String(v);
  }
}

/** Stores (or refreshes) one dead-lettered object inside the caller's transaction. */
export async function recordDeadLetterIn(sql: Sql, dl: DeadLetter): Promise<void> {
  const body = stableJson(dl.payload);
  const key = dl.key ?? crypto.createHash('sha256').update(body).digest('hex').slice(0, 32);
  await sql(
    `INSERT INTO inbox_event (connector_instance, event_id, event_type, payload, status, attempts, last_error)
     VALUES ($1, $2, $3, $4::jsonb, 'dead', 1, $5)
     ON CONFLICT (connector_instance, event_id) DO UPDATE
        SET attempts = inbox_event.attempts + 1, last_error = EXCLUDED.last_error, status = 'dead', payload = EXCLUDED.payload`,
    [
      dl.instance,
      `${DEAD_LETTER_PREFIX}${dl.source}:${key}`,
      `${DEAD_LETTER_PREFIX}${dl.source}`,
      body === undefined ? 'null' : body,
      dl.reason.slice(0, 2000),
    ],
  );
}

export interface DeadLetterRow {
  id: string;
  instance: string;
  source: string;
  reason: string | null;
  attempts: number;
  receivedAt: Date;
  payload: unknown;
}

/** Dead letters of the pull path for one instance (or all), newest first. */
export async function listDeadLetters(sql: Sql, instance?: string, limit = 100): Promise<DeadLetterRow[]> {
  return sql<DeadLetterRow>(
    `SELECT id, connector_instance AS instance, substr(event_type, ${DEAD_LETTER_PREFIX.length + 1}) AS source,
            last_error AS reason, attempts, received_at AS "receivedAt", payload
       FROM inbox_event
      WHERE status = 'dead' AND event_type LIKE '${DEAD_LETTER_PREFIX}%' AND ($1::text IS NULL OR connector_instance = $1)
      ORDER BY received_at DESC, id DESC LIMIT $2`,
    [instance ?? null, limit],
  );
}
