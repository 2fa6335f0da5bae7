import type { DataSource } from 'typeorm';
import type { WebhookEvent } from '../connector-kit/contract.js';
import { sqlOf } from '../db/sql.js';

/** Channel the store notifies on commit, so idle workers wake without waiting for their poll. */
export const INBOX_CHANNEL = 'touchpoint_inbox';

export interface StoreResult {
  /** Events stored now (their rows are the jobs: status 'pending'). */
  stored: number;
  /** Events already in the inbox under the same (instance, event id): acknowledged, not stored again. */
  duplicates: number;
}

/**
 * Stores a verified delivery's events in `inbox_event` in ONE transaction (one statement). The pending row is the
 * job itself (the worker claims pending rows with FOR UPDATE SKIP LOCKED), so "event and job in
 * one transaction" holds by construction: there is no second queue that could disagree.
 * Duplicates by (instance, event id) are skipped by the unique key, never stored twice.
 */
export async function storeInboxEvents(
  ds: DataSource,
  instanceId: string,
  events: readonly WebhookEvent[],
): Promise<StoreResult> {
  if (events.length === 0) return { stored: 0, duplicates: 0 };
  // The same id twice in one delivery counts once.
  const unique = new Map<string, WebhookEvent>();
  for (const e of events) if (!unique.has(e.id)) unique.set(e.id, e);
  const list = [...unique.values()];
  // One statement is one transaction: the rows (the jobs) and the wake-up NOTIFY commit together,
  // in a single round trip (this is on the acknowledgement's critical path).
  const [row] = await sqlOf(ds)<{ stored: number }>(
    `WITH ins AS (
       INSERT INTO inbox_event (connector_instance, event_id, event_type, payload)
       SELECT $1, e.id, e.type, e.payload
         FROM unnest($2::text[], $3::text[], $4::jsonb[]) AS e(id, type, payload)
       ON CONFLICT (connector_instance, event_id) DO NOTHING
       RETURNING id),
     n AS (SELECT count(*)::int AS stored FROM ins)
     SELECT stored, CASE WHEN stored > 0 THEN pg_notify($5, $1) END AS notified FROM n`,
    [
      instanceId,
      list.map((e) => e.id),
      list.map((e) => e.type),
      list.map((e) => JSON.stringify(e.payload ?? null)),
      INBOX_CHANNEL,
    ],
  );
  const inserted = row?.stored ?? 0;
  return { stored: inserted, duplicates: events.length - inserted };
}
