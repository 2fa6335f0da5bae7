import pg from 'pg';
import { EVENTS_CHANNEL } from '../../src/events/hub-events.js';

/**
 * Listens on the hub's event channel of the database at `url` (its own connection, LISTEN): `events`
 * fills with each event published from now on, in order; end() closes the connection.
 */
export async function listenToHubEvents<T>(url: string): Promise<{ events: T[]; end(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const events: T[] = [];
  client.on('notification', (n) => events.push(JSON.parse(n.payload ?? '{}') as T));
  await client.query(`LISTEN ${EVENTS_CHANNEL}`);
  return { events, end: () => client.end() };
}
