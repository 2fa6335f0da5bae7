import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunningHttpServer } from '../../src/http/server.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createCustomer, createInteraction, createSourceRecord } from '../support/factories.js';

let db: TestDatabase;
let server: RunningHttpServer;
let api: TestApi;

async function gql<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<{ data?: T; errors?: any[] }> {
  const res = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: T; errors?: any[] };
}

beforeAll(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db, { version: '9.9.9' });
  server = api.server;
});

afterAll(async () => {
  await api?.stop();
  await db?.drop();
});

describe('HTTP probes', () => {
  it('/healthz answers while the process is up and /readyz once migrations are applied', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'up', pendingMigrations: [] });
  });

  it('/readyz answers 503 and names the migration when one is not applied', async () => {
    const [last] = await db.dataSource.query(`SELECT id, timestamp, name FROM typeorm_migrations ORDER BY id DESC LIMIT 1`);
    await db.dataSource.query(`DELETE FROM typeorm_migrations WHERE id = $1`, [last.id]);
    try {
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { pendingMigrations: string[] };
      expect(body.pendingMigrations).toEqual([last.name]);
      const { data } = await gql(`{ health { status database } }`);
      expect(data.health).toEqual({ status: 'degraded', database: 'migrations-pending' });
    } finally {
      await db.dataSource.query(`INSERT INTO typeorm_migrations (timestamp, name) VALUES ($1, $2)`, [last.timestamp, last.name]);
    }
  });
});

describe('GraphQL foundation queries', () => {
  it('health reports status, database and version', async () => {
    const { data, errors } = await gql(`{ health { status database version } }`);
    expect(errors).toBeUndefined();
    expect(data).toEqual({ health: { status: 'ok', database: 'up', version: '9.9.9' } });
  });

  it('customer(id) reads the canonical tables with identities; a retired id answers with the survivor', async () => {
    const id = await createCustomer(db.dataSource, {
      traits: { firstName: { value: 'Ada', source: 'hubspot', observedAt: '2026-01-02T03:04:05.000Z', rule: 'source_priority' } },
    });
    await createSourceRecord(db.dataSource, {
      customerId: id,
      system: 'hubspot',
      externalId: '101',
      identifiers: [{ kind: 'email', value: 'ada@example.com', raw: 'Ada@Example.com' }],
    });
    const retired = await createCustomer(db.dataSource);
    await db.dataSource.query(`UPDATE customer SET status = 'active' WHERE id = $1`, [retired]);
    await db.dataSource.query(`DELETE FROM customer WHERE id = $1`, [retired]);
    await db.dataSource.query(`INSERT INTO customer_redirect (retired_id, customer_id, reason) VALUES ($1, $2, 'merged')`, [retired, id]);

    const q = `query($id: ID!) { customer(id: $id) { id recordCount traits { name value source observedAt rule }
      identities { kind namespace value rawValue sourceRecord { system objectType externalId } } } }`;
    const direct = await gql(q, { id });
    expect(direct.errors).toBeUndefined();
    expect(direct.data.customer).toEqual({
      id,
      recordCount: 1,
      traits: [{ name: 'firstName', value: 'Ada', source: 'hubspot', observedAt: '2026-01-02T03:04:05.000Z', rule: 'source_priority' }],
      identities: [
        { kind: 'EMAIL', namespace: '', value: 'ada@example.com', rawValue: 'Ada@Example.com', sourceRecord: { system: 'hubspot', objectType: 'contact', externalId: '101' } },
      ],
    });
    const viaRetired = await gql(q, { id: retired });
    expect(viaRetired.data.customer.id).toBe(id);
  });

  it('an unknown or malformed id gives null with no error', async () => {
    const unknown = await gql(`{ customer(id: "00000000-0000-4000-8000-000000000000") { id } }`);
    expect(unknown).toEqual({ data: { customer: null } });
    const malformed = await gql(`{ customer(id: "not-an-id") { id } }`);
    expect(malformed).toEqual({ data: { customer: null } });
  });

  it('customerByIdentifier normalises the value the way ingest does', async () => {
    const id = await createCustomer(db.dataSource);
    await createSourceRecord(db.dataSource, {
      customerId: id,
      system: 'twilio',
      objectType: 'caller',
      externalId: 'CA1',
      identifiers: [{ kind: 'phone', value: '+442079460958', raw: '020 7946 0958' }],
    });
    const q = `query($v: String!) { customerByIdentifier(kind: PHONE, value: $v) { id } }`;
    for (const v of ['+44 20 7946 0958', '020 7946 0958', '0044 20 7946 0958']) {
      const res = await gql(q, { v });
      expect(res).toEqual({ data: { customerByIdentifier: { id } } });
    }
    expect(await gql(q, { v: '+44 20 7946 0000' })).toEqual({ data: { customerByIdentifier: null } });
  });

  it('a malformed phone or email is a BAD_USER_INPUT error naming the argument', async () => {
    const res = await gql(`{ customerByIdentifier(kind: PHONE, value: "12ab") { id } }`);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'value' });
    expect(res.errors?.[0]?.message).toMatch(/12ab/);
    const email = await gql(`{ customerByIdentifier(kind: EMAIL, value: "not-an-email") { id } }`);
    expect(email.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'value' });
  });

  it('timeline pages through interactions in time order with Relay cursors, and refuses first above the maximum', async () => {
    const id = await createCustomer(db.dataSource);
    const base = Date.parse('2026-03-01T00:00:00Z');
    for (let i = 0; i < 7; i++) {
      await createInteraction(db.dataSource, { customerId: id, system: 'twilio', externalId: `CALL${i}`, occurredAt: new Date(base + i * 60000) });
    }
    const q = `query($id: ID!, $after: String, $order: TimelineOrder!) { customer(id: $id) {
      timeline(first: 3, after: $after, order: $order) { edges { cursor node { externalId occurredAt } } pageInfo { hasNextPage endCursor } } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res: any = await gql(q, { id, after, order: 'OLDEST_FIRST' });
      expect(res.errors).toBeUndefined();
      const t = res.data.customer.timeline;
      seen.push(...t.edges.map((e: any) => e.node.externalId));
      if (!t.pageInfo.hasNextPage) break;
      after = t.pageInfo.endCursor;
    }
    expect(seen).toEqual(['CALL0', 'CALL1', 'CALL2', 'CALL3', 'CALL4', 'CALL5', 'CALL6']);
    const newest: any = await gql(q, { id, after: null, order: 'NEWEST_FIRST' });
    expect(newest.data.customer.timeline.edges.map((e: any) => e.node.externalId)).toEqual(['CALL6', 'CALL5', 'CALL4']);

    const tooMany = await gql(`query($id: ID!) { customer(id: $id) { timeline(first: 1000) { edges { cursor } } } }`, { id });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(tooMany.errors?.[0]?.message).toContain('100');
  });
});
