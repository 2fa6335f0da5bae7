import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectors } from '../../connectors/index.js';
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
  const config = loadConfig({ env: {} });
  ingest = createIngest({
    ds: db.dataSource,
    config: {
      ...config,
      file: {
        connectors: [
          {
            id: 'stripe',
            connector: 'stripe',
            baseUrl: sim.url,
            config: sim.config,
            credentials: Object.fromEntries(Object.keys(sim.credentials).map((k) => [k, { env: `T_STRIPE_${k.toUpperCase()}` }])),
          },
        ],
      },
    },
    registry: connectors,
    identity: api.services.identity,
    log: createLogger('silent'),
    env: Object.fromEntries(Object.entries(sim.credentials).map(([k, v]) => [`T_STRIPE_${k.toUpperCase()}`, v])),
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
    // One batch for the five customers: the invoice list is read once (per page), not once per customer.
    expect(sim.server.stats.count({ path: '/v1/invoices' })).toBeLessThanOrEqual(2);
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
