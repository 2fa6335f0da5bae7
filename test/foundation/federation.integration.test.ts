import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { serverAudits } from 'graphql-http';
import { printHubSchema } from '../../src/graphql/schema.js';
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

describe('Apollo Federation 2 subgraph', () => {
  it('composes with a second subgraph that extends Customer by its key', async () => {
    const orders = parse(`
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
      type Customer @key(fields: "id") { id: ID! orders: [Order!]! }
      type Order { id: ID! total: Float! }
      type Query { order(id: ID!): Order }
    `);
    const result = composeServices([
      { name: 'touchpoint', typeDefs: parse(await printHubSchema()), url: 'http://touchpoint.local/graphql' },
      { name: 'orders', typeDefs: orders, url: 'http://orders.local/graphql' },
    ]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.supergraphSdl).toContain('orders: [Order!]!');
  });

  it('serves _service and resolves _entities through the customer loader (a retired id resolves too)', async () => {
    const p = await api.services.identity.applyPerson('hubspot', { objectType: 'contact', externalId: 'F1', identifiers: [{ kind: 'email', value: 'fed@example.com' }] });
    const sdl = await api.gql(`{ _service { sdl } }`);
    expect(sdl.data._service.sdl).toContain('@key(fields: "id")');
    const res = await api.gql(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id recordCount } } }`, {
      r: [{ __typename: 'Customer', id: p.customerId }, { __typename: 'Customer', id: '00000000-0000-4000-8000-000000000000' }],
    });
    expect(res.errors).toBeUndefined();
    expect(res.data._entities).toEqual([{ id: p.customerId, recordCount: 1 }, null]);
  });
});

describe('GraphQL over HTTP', () => {
  it('passes every MUST of the graphql-http server audit', async () => {
    const audits = serverAudits({ url: api.server.graphqlUrl, fetchFn: fetch });
    const failures: string[] = [];
    for (const audit of audits) {
      if (!audit.name.startsWith('MUST')) continue;
      const result = await audit.fn();
      if (result.status !== 'ok') failures.push(`${audit.name}: ${result.reason}`);
    }
    expect(failures).toEqual([]);
  });
});
