import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { ApplyService } from '../../src/ingest/apply.service.js';
import { createInstanceRuntime, parseInstances } from '../../src/ingest/instances.js';
import { instanceForSimulator } from '../simulators.js';
import { runSync } from '../../src/ingest/sync-runner.js';
import { createLogger } from '../../src/log/logger.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import hubspot from './index.js';
import { startSimulator, type HubspotSimulator } from './simulator.js';

let db: TestDatabase;
let sim: HubspotSimulator;
const log = createLogger('silent');

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator({
    population: generatePopulation({ seed: 'hubspot-e2e', people: 150, employees: 5 }),
    searchResultCap: 50,
    rateLimit: { max: 1000, intervalMs: 200 },
  });
});
afterAll(async () => {
  await sim.close();
  await db.drop();
});

test('syncing HubSpot into the hub stores every contact, call and ticket, and a second run applies only the changes', async () => {
  const apply = new ApplyService(
    db.dataSource,
    new IdentityResolver(db.dataSource, { defaultRegion: 'GB' }),
    log,
  );
  const { entry, env } = instanceForSimulator('hubspot-1', 'hubspot', sim, { config: { pageSize: 20 } });
  const [instance] = parseInstances([entry], { hubspot }, { env });
  const rt = createInstanceRuntime(instance!, { ds: db.dataSource, log });
  try {
    const results = await runSync({ ds: db.dataSource, apply, instance: instance!, ctx: rt.ctx });
    expect(results.map((r) => [r.stream, r.status, r.deadLettered])).toEqual([
      ['contacts', 'succeeded', 0],
      ['calls', 'succeeded', 0],
      ['tickets', 'succeeded', 0],
    ]);
    const people = (await db.dataSource.query(
      `SELECT external_id FROM source_record WHERE system = 'hubspot-1' AND NOT deleted`,
    )) as { external_id: string }[];
    expect(people.map((r) => r.external_id).sort()).toEqual(
      sim.stores.contacts
        .list()
        .map((r) => r.id)
        .sort(),
    );
    const interactions = (await db.dataSource.query(
      `SELECT external_id FROM interaction WHERE system = 'hubspot-1'`,
    )) as { external_id: string }[];
    expect(interactions.map((r) => r.external_id).sort()).toEqual(
      [
        ...sim.stores.calls.list().map((r) => `call:${r.id}`),
        ...sim.stores.tickets.list().map((r) => `ticket:${r.id}`),
      ].sort(),
    );

    const target = sim.stores.contacts.list()[0]!;
    sim.updateContact(target.id, { city: 'Leeds' });
    const again = await runSync({
      ds: db.dataSource,
      apply,
      instance: instance!,
      ctx: rt.ctx,
      stream: 'contacts',
    });
    expect(again[0]).toMatchObject({ stream: 'contacts', status: 'succeeded' });
    expect(again[0]!.records).toBe(1);
  } finally {
    rt.close();
  }
});
