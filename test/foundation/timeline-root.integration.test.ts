import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let api: TestApi;

beforeAll(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
});

afterAll(async () => {
  await api?.stop();
  await db?.drop();
});

const PAGE = `query($id: ID!, $after: String) { timeline(customerId: $id, first: 2, after: $after) {
  edges { node { externalId } } pageInfo { endCursor hasNextPage } } }`;

async function touch(customerId: string, externalId: string, minutesAgo: number): Promise<void> {
  await db.dataSource.query(
    `INSERT INTO interaction (system, external_id, customer_id, occurred_at, channel, direction, kind, summary)
     VALUES ('kiosk', $1, $2, now() - ($3 || ' minutes')::interval, 'web', 'inbound', 'visit', 'seen')`,
    [externalId, customerId, minutesAgo],
  );
}

describe('timeline(customerId) resolves the customer and the page in one statement', () => {
  it('pages in time order, follows a retired id to the survivor, answers null for an unknown id and [] for no touches', async () => {
    const a = await api.services.identity.applyPerson('hubspot', {
      objectType: 'contact',
      externalId: 'TL1',
      traits: { firstName: 'Ada', lastName: 'Lovelace' },
      identifiers: [{ kind: 'email', value: 'ada@timeline.example.com' }],
    });
    const b = await api.services.identity.applyPerson('zendesk', {
      objectType: 'user',
      externalId: 'TL2',
      traits: { firstName: 'Charles', lastName: 'Babbage' },
      identifiers: [{ kind: 'email', value: 'charles@timeline.example.com' }],
    });
    const empty = await api.gql(PAGE, { id: b.customerId });
    expect(empty.errors).toBeUndefined();
    expect(empty.data.timeline).toEqual({ edges: [], pageInfo: { endCursor: null, hasNextPage: false } });

    await touch(a.customerId!, 'V1', 30);
    await touch(a.customerId!, 'V2', 20);
    await touch(a.customerId!, 'V3', 10);
    const first = await api.gql(PAGE, { id: a.customerId });
    expect(first.data.timeline.edges.map((e: any) => e.node.externalId)).toEqual(['V3', 'V2']);
    expect(first.data.timeline.pageInfo.hasNextPage).toBe(true);
    const second = await api.gql(PAGE, { id: a.customerId, after: first.data.timeline.pageInfo.endCursor });
    expect(second.data.timeline.edges.map((e: any) => e.node.externalId)).toEqual(['V1']);
    expect(second.data.timeline.pageInfo.hasNextPage).toBe(false);

    const merged = await api.gql(`mutation($a: ID!, $b: ID!) { mergeCustomers(a: $a, b: $b) { customerId retiredIds } }`, {
      a: a.customerId,
      b: b.customerId,
    });
    expect(merged.errors).toBeUndefined();
    const [retired] = merged.data.mergeCustomers.retiredIds as string[];
    const viaRetired = await api.gql(PAGE, { id: retired });
    expect(viaRetired.errors).toBeUndefined();
    expect(viaRetired.data.timeline.edges.map((e: any) => e.node.externalId)).toEqual(['V3', 'V2']);

    const unknown = await api.gql(PAGE, { id: '00000000-0000-4000-8000-000000000000' });
    expect(unknown).toEqual({ data: { timeline: null } });
    const notAnId = await api.gql(PAGE, { id: 'not-a-uuid' });
    expect(notAnId).toEqual({ data: { timeline: null } });
  });
});
