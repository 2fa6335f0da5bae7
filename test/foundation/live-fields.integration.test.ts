import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectors } from '../../connectors/index.js';
import { instanceForSimulator } from '../../connectors/simulators.js';
import { startSimulator, type StripeSimulator } from '../../connectors/stripe/simulator.js';
import { loadConfig } from '../../src/config/config.js';
import { createIngest, runSync, type Ingest } from '../../src/ingest/index.js';
import { createLogger } from '../../src/log/logger.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let api: TestApi;
let sim: StripeSimulator;
let ingest: Ingest;

beforeAll(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
  sim = await startSimulator({ population: generatePopulation({ seed: 7, people: 40, employees: 3 }) });
  const wired = instanceForSimulator('stripe', 'stripe', sim);
  ingest = createIngest({
    ds: db.dataSource,
    config: { ...loadConfig({ env: {} }), file: { connectors: [wired.entry] } },
    registry: connectors,
    identity: api.services.identity,
    log: createLogger('silent'),
    env: wired.env,
  });
  api.services.ingest = ingest;
  const rt = ingest.runtime('stripe')!;
  await runSync({ ds: db.dataSource, apply: ingest.apply, instance: rt.instance, ctx: rt.ctx });
});

afterAll(async () => {
  ingest?.close();
  await sim?.close();
  await api?.stop();
  await db?.drop();
});



async function customersWithStripe(n: number): Promise<string[]> {
  const rows: { id: string }[] = await db.dataSource.query(
    `SELECT DISTINCT customer_id AS id FROM source_record WHERE system = 'stripe' AND object_type = 'customer' AND NOT deleted ORDER BY 1 LIMIT $1`,
    [n],
  );
  return rows.map((r) => r.id);
}

function billingQuery(ids: string[]): string {
  return `{ ${ids.map((id, i) => `c${i}: customer(id: "${id}") { id billing { openBalance currency overdueInvoices sources stale } }`).join(' ')} }`;
}

describe('live fields through DataLoader with stale fallback', () => {
  it('fetches billing for many customers with one batched pass per source per request', async () => {
    const ids = await customersWithStripe(5);
    expect(ids.length).toBe(5);
    sim.server.stats.reset();
    const res = await api.gql(billingQuery(ids));
    expect(res.errors).toBeUndefined();
    for (let i = 0; i < ids.length; i++) {
      expect(res.data[`c${i}`].billing).toMatchObject({ sources: ['stripe'], stale: false });
      expect(typeof res.data[`c${i}`].billing.openBalance).toBe('number');
    }
    // One batch for the five customers: one search for their invoices, not one call per customer.
    expect(sim.server.stats.count({ path: '/v1/invoices/search' })).toBe(1);
    expect(sim.server.stats.count({ path: '/v1/invoices' })).toBe(0);
  });

  it('screenPop asks the live source of the caller it found, with the records it read in its own statement', async () => {
    const [row] = await db.dataSource.query(
      `SELECT i.value AS phone, sr.customer_id AS id FROM identifier i
         JOIN record_identifier ri ON ri.identifier_id = i.id
         JOIN source_record sr ON sr.id = ri.source_record_id
        WHERE i.kind = 'phone' AND sr.system = 'stripe' AND NOT sr.deleted
          AND (SELECT count(DISTINCT s2.customer_id) FROM record_identifier r2 JOIN source_record s2 ON s2.id = r2.source_record_id WHERE r2.identifier_id = i.id) = 1
        ORDER BY 1 LIMIT 1`,
    );
    expect(row).toBeDefined();
    sim.server.stats.reset();
    const res = await api.gql(`query($p: String!) { screenPop(phone: $p) { customer { id billing { sources stale } } } }`, { p: row.phone });
    expect(res.errors).toBeUndefined();
    expect(res.data.screenPop.customer).toEqual({ id: row.id, billing: { sources: ['stripe'], stale: false } });
    expect(sim.server.stats.count({ path: '/v1/invoices' })).toBe(1);
  });

  it('serves the stored value, marked stale with its source and age, when the source fails', async () => {
    const ids = await customersWithStripe(2);
    const fresh = await api.gql(billingQuery(ids));
    expect(fresh.errors).toBeUndefined();
    sim.server.faults.failNext(50, 503);
    const res = await api.gql(billingQuery(ids));
    sim.server.faults.clear();
    expect(res.data.c0.billing).toEqual({ ...fresh.data.c0.billing, stale: true });
    expect(res.data.c1.billing).toEqual({ ...fresh.data.c1.billing, stale: true });
    expect((res as any).extensions.stale).toEqual([{ source: 'stripe', field: 'billing', asOf: expect.any(String) }]);
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0].message).toMatch(/connector stripe/);
    expect(res.errors![0].extensions).toMatchObject({ connector: 'stripe', code: expect.stringMatching(/^UPSTREAM_/) });
  });

  it('a source that hangs costs no more than its deadline', async () => {
    const ids = await customersWithStripe(1);
    sim.server.faults.hangNext(20);
    const started = Date.now();
    const res = await api.gql(billingQuery(ids));
    const elapsed = Date.now() - started;
    sim.server.faults.clear();
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', connector: 'stripe' });
    expect(res.data.c0.billing.stale).toBe(true);
    // The deadline is 1 s; a generous bound, because this is behaviour (no waiting for the hang), not a benchmark.
    expect(elapsed).toBeLessThan(5000);
  });
});

describe('operations over GraphQL', () => {
  it('connectors lists the instance with its streams and last sync; triggerSync runs one now', async () => {
    const before = await api.gql(`{ connectors { id connector category status lastSyncAt streams { name status recordsSynced } } }`);
    expect(before.errors).toBeUndefined();
    expect(before.data.connectors).toHaveLength(1);
    expect(before.data.connectors[0]).toMatchObject({ id: 'stripe', connector: 'stripe', category: 'billing', status: 'ok' });
    expect(before.data.connectors[0].lastSyncAt).not.toBeNull();
    expect(before.data.connectors[0].streams.map((s: any) => s.name).sort()).toEqual(['charges', 'customers', 'invoices']);

    const run = await api.gql(`mutation { triggerSync(instance: "stripe", stream: "customers") { stream status error } }`);
    expect(run.errors).toBeUndefined();
    expect(run.data.triggerSync).toEqual([{ stream: 'customers', status: 'succeeded', error: null }]);
    const unknown = await api.gql(`mutation { triggerSync(instance: "nope") { stream } }`);
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'instance' });
    expect(unknown.errors?.[0]?.message).toContain('known: stripe');
  });

  it('recordInteraction puts an app’s own touch on the customer timeline through the apply path', async () => {
    // A customer and an email only that customer holds (not a role address, not a shared value).
    const [{ id, email }] = (await db.dataSource.query(
      `SELECT sr.customer_id AS id, i.value AS email
         FROM source_record sr JOIN record_identifier ri ON ri.source_record_id = sr.id JOIN identifier i ON i.id = ri.identifier_id
        WHERE sr.system = 'stripe' AND NOT sr.deleted AND i.kind = 'email' AND i.status = 'active'
          AND NOT EXISTS (SELECT 1 FROM record_identifier o JOIN source_record osr ON osr.id = o.source_record_id
                           WHERE o.identifier_id = i.id AND osr.customer_id <> sr.customer_id)
        ORDER BY i.value LIMIT 1`,
    )) as [{ id: string; email: string }];
    const res = await api.gql(`mutation($e: String!) { recordInteraction(input: { system: "kiosk", externalId: "v1", identifierKind: "email", identifierValue: $e,
      occurredAt: "2026-11-25T10:00:00Z", channel: "web", direction: "inbound", kind: "visit", summary: "Asked about a refund" }) { id kind summary } }`, { e: email });
    expect(res.errors).toBeUndefined();
    expect(res.data.recordInteraction).toMatchObject({ kind: 'visit', summary: 'Asked about a refund' });
    const tl = await api.gql(`query($id: ID!) { timeline(customerId: $id, first: 5, filter: { systems: ["kiosk"] }) { edges { node { summary } } } }`, { id });
    expect(tl.data.timeline.edges).toEqual([{ node: { summary: 'Asked about a refund' } }]);
    const bad = await api.gql(`mutation { recordInteraction(input: { system: "kiosk", externalId: "v2", identifierKind: "email", identifierValue: "x@example.com",
      occurredAt: "2026-11-25T10:00:00Z", channel: "web", direction: "sideways", kind: "visit" }) { id } }`);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.direction' });
  });

  it('deadLetters lists failed events and replayDeadLetter refuses unknown ids', async () => {
    const list = await api.gql(`{ deadLetters { id instance origin lastError } }`);
    expect(list.errors).toBeUndefined();
    expect(Array.isArray(list.data.deadLetters)).toBe(true);
    const replay = await api.gql(`mutation { replayDeadLetter(id: "999999") }`);
    expect(replay.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
