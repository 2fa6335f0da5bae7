import type { Sql } from '../db/sql.js';

/** The Postgres channel every hub event goes through, so subscribers on any API process see it. */
export const EVENTS_CHANNEL = 'touchpoint_events';

export type HubEvent =
  | { type: 'customer.merged'; customerId: string; retiredIds: string[] }
  | { type: 'customer.split'; customerId: string; newCustomerIds: string[] }
  | { type: 'customer.erased'; customerId: string }
  | { type: 'interaction.applied'; customerId: string; interactionId: string };

/** Publishes an event when the caller's transaction commits (NOTIFY is transactional). */
export async function publishEvent(sql: Sql, event: HubEvent): Promise<void> {
  await sql(`SELECT pg_notify($1, $2)`, [EVENTS_CHANNEL, JSON.stringify(event)]);
}
