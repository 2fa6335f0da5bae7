import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { ApplyService } from '../../src/ingest/apply.service.js';
import { createInstanceRuntime, parseInstances } from '../../src/ingest/instances.js';
import { instanceForSimulator } from '../simulators.js';
import { runSync } from '../../src/ingest/sync-runner.js';
import { createLogger } from '../../src/log/logger.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import stripe from './index.js';
import { startSimulator, type StripeSimulator } from './simulator.js';

let db: TestDatabase;
let sim: StripeSimulator;
const log = createLogger('silent');

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator({
    population: generatePopulation({ seed: 'stripe-e2e', people: 150, employees: 5 }),
    ratePerSecond: 1000,
  });
});
afterAll(async () => {
  await sim.close();
  await db.drop();
});

test('syncing Stripe into the hub stores every customer, invoice and charge, then follows events', async () => {
  const apply = new ApplyService(
    db.dataSource,
    new IdentityResolver(db.dataSource, { defaultRegion: 'GB' }),
    log,
  );
  const { entry, env } = instanceForSimulator('stripe-1', 'stripe', sim);
  const [instance] = parseInstances([entry], { stripe }, { env });
  const rt = createInstanceRuntime(instance!, { ds: db.dataSource, log });
  try {
    const results = await runSync({ ds: db.dataSource, apply, instance: instance!, ctx: rt.ctx });
    expect(results.map((r) => [r.stream, r.status, r.deadLettered])).toEqual([
      ['customers', 'succeeded', 0],
      ['invoices', 'succeeded', 0],
      ['charges', 'succeeded', 0],
    ]);
    const people = (await db.dataSource.query(
      `SELECT external_id FROM source_record WHERE system = 'stripe-1' AND NOT deleted`,
    )) as { external_id: string }[];
    expect(people.map((r) => r.external_id).sort()).toEqual(
      sim
        .all('customers')
        .map((c) => c.id)
        .sort(),
    );
    const interactions = (await db.dataSource.query(
      `SELECT external_id FROM interaction WHERE system = 'stripe-1'`,
    )) as { external_id: string }[];
    expect(interactions.map((r) => r.external_id).sort()).toEqual(
      [
        ...sim.all('invoices').map((r) => `invoice:${r.id}`),
        ...sim.all('charges').map((r) => `charge:${r.id}`),
      ].sort(),
    );

    const gone = sim.all('customers')[0]!;
    sim.deleteCustomer(gone.id);
    const again = await runSync({
      ds: db.dataSource,
      apply,
      instance: instance!,
      ctx: rt.ctx,
      stream: 'customers',
    });
    expect(again[0]).toMatchObject({ stream: 'customers', status: 'succeeded', records: 1 });
    const [row] = (await db.dataSource.query(
      `SELECT deleted FROM source_record WHERE system = 'stripe-1' AND external_id = $1`,
      [gone.id],
    )) as { deleted: boolean }[];
    expect(row?.deleted).toBe(true);
  } finally {
    rt.close();
  }
});
