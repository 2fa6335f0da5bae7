import type { DataSource } from 'typeorm';
import type { WebhookEvent } from '../connector-kit/contract.js';
import { inTransaction } from '../db/sql.js';

/** Channel the store notifies on commit, so idle workers wake without waiting for their poll. */
export const INBOX_CHANNEL = 'touchpoint_inbox';

export interface StoreResult {
  /** Events stored now (their rows are the jobs: status 'pending'). */
  stored: number;
  /** Events already in the inbox under the same (instance, event id): acknowledged, not stored again. */
  duplicates: number;
}

/**
 * Stores a verified delivery's events in `inbox_event` in ONE transaction. The pending row is the
 * job itself (the worker claims pending rows with FOR UPDATE SKIP LOCKED), so "event and job in
 * one transaction" holds by construction: there is no second queue that could disagree.
 * Duplicates by (instance, event id) are skipped by the unique key, never stored twice.
 */
export async function storeInboxEvents(ds: DataSource, instanceId: string, events: readonly WebhookEvent[]): Promise<StoreResult> {
  if (events.length === 0) return { stored: 0, duplicates: 0 };
  // The same id twice in one delivery counts once.
  const unique = new Map<string, WebhookEvent>();
  for (const e of events) if (!unique.has(e.id)) unique.set(e.id, e);
  const list = [...unique.values()];
  const inserted = await inTransaction(ds, async (sql) => {
    const rows = await sql<{ id: string }>(
      `INSERT INTO inbox_event (connector_instance, event_id, event_type, payload)
       SELECT $1, e.id, e.type, e.payload
         FROM unnest($2::text[], $3::text[], $4::jsonb[]) AS e(id, type, payload)
       ON CONFLICT (connector_instance, event_id) DO NOTHING
       RETURNING id`,
      [instanceId, list.map((e) => e.id), list.map((e) => e.type), list.map((e) => JSON.stringify(e.payload ?? null))],
    );
    if (rows.length > 0) await sql(`SELECT pg_notify($1, $2)`, [INBOX_CHANNEL, instanceId]);
    return rows.length;
  });
  return { stored: inserted, duplicates: events.length - inserted };
}
