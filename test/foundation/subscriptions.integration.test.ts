import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type Client } from 'graphql-ws';
import { publishEvent } from '../../src/events/hub-events.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let api: TestApi;
let other: TestApi;
let client: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
  // A second API process on the same database: subscribers there must see what the first publishes.
  other = await startTestApi(db);
  client = createClient({ url: other.server.graphqlUrl.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
});

afterAll(async () => {
  await client?.dispose();
  await api?.stop();
  await other?.stop();
  await db?.drop();
});

function subscribe(query: string, variables: Record<string, unknown>) {
  const received: any[] = [];
  let error: unknown = null;
  let resolveFirst: (() => void) | null = null;
  const first = new Promise<void>((r) => (resolveFirst = r));
  const unsubscribe = client.subscribe(
    { query, variables },
    {
      next: (v) => {
        received.push(v);
        resolveFirst?.();
      },
      error: (e) => {
        error = e;
        resolveFirst?.();
      },
      complete: () => undefined,
    },
  );
  return { received, first, unsubscribe, error: () => error };
}

const settle = () => new Promise((r) => setTimeout(r, 300));

describe('subscriptions over graphql-ws, delivered through Postgres LISTEN/NOTIFY', () => {
  it('customerTimeline delivers interactions applied by another process, and only this customer’s', async () => {
    const a = await api.services.identity.applyPerson('hubspot', { objectType: 'contact', externalId: 'S1', identifiers: [{ kind: 'email', value: 's1@example.com' }] });
    const b = await api.services.identity.applyPerson('hubspot', { objectType: 'contact', externalId: 'S2', identifiers: [{ kind: 'email', value: 's2@example.com' }] });
    const sub = subscribe(`subscription($id: ID!) { customerTimeline(customerId: $id) { externalId channel summary } }`, { id: a.customerId });
    await settle();
    for (const [customerId, ext] of [[b.customerId, 'OTHER'], [a.customerId, 'MINE']] as const) {
      await db.dataSource.transaction(async (m) => {
        const [row] = await m.query(
          `INSERT INTO interaction (system, external_id, customer_id, occurred_at, channel, direction, kind, summary) VALUES ('x', $1, $2, now(), 'social_public', 'inbound', 'post', 'hello') RETURNING id`,
          [ext, customerId],
        );
        await publishEvent((t, p) => m.query(t, p), { type: 'interaction.applied', customerId: customerId!, interactionId: row.id });
      });
    }
    await sub.first;
    await settle();
    sub.unsubscribe();
    expect(sub.error()).toBeNull();
    expect(sub.received).toEqual([{ data: { customerTimeline: { externalId: 'MINE', channel: 'social_public', summary: 'hello' } } }]);
  });

  it('customerChanged reports a merge to a subscriber of the retired id', async () => {
    const a = await api.services.identity.applyPerson('hubspot', { objectType: 'contact', externalId: 'M1', identifiers: [{ kind: 'email', value: 'm1@example.com' }] });
    const b = await api.services.identity.applyPerson('stripe', { objectType: 'customer', externalId: 'cus_m2', identifiers: [{ kind: 'phone', value: '+44 20 7946 0555' }] });
    const sub = subscribe(`subscription($id: ID) { customerChanged(customerId: $id) { type customerId retiredIds } }`, { id: b.customerId });
    await settle();
    await api.services.identity.applyPerson('stripe', {
      objectType: 'customer',
      externalId: 'cus_m3',
      identifiers: [{ kind: 'email', value: 'm1@example.com' }, { kind: 'phone', value: '+44 20 7946 0555' }],
    });
    await sub.first;
    sub.unsubscribe();
    expect(sub.received[0]).toEqual({ data: { customerChanged: { type: 'MERGED', customerId: a.customerId, retiredIds: [b.customerId] } } });
  });

  it('a subscription to a missing customer is refused at subscribe time', async () => {
    const sub = subscribe(`subscription { customerTimeline(customerId: "00000000-0000-4000-8000-000000000000") { id } }`, {});
    await sub.first;
    const err = sub.error() ?? sub.received[0];
    expect(JSON.stringify(err)).toContain('does not exist');
  });
});
