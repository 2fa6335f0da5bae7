import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { ApplyService } from '../../src/ingest/apply.service.js';
import { createInstanceRuntime, parseInstances } from '../../src/ingest/instances.js';
import { instanceForSimulator } from '../simulators.js';
import { runSync } from '../../src/ingest/sync-runner.js';
import { createLogger } from '../../src/log/logger.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import salesforce from './index.js';
import { startSimulator, type SalesforceSimulator } from './simulator.js';

let db: TestDatabase;
let sim: SalesforceSimulator;
const log = createLogger('silent');

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator({
    population: generatePopulation({ seed: 'sf-e2e', people: 150, employees: 20 }),
    minBatchSize: 1,
  });
});
afterAll(async () => {
  await sim.close();
  await db.drop();
});

test('syncing Salesforce stores every contact, lead, case and task, marks deletions, and resumes with only the changes', async () => {
  const apply = new ApplyService(
    db.dataSource,
    new IdentityResolver(db.dataSource, { defaultRegion: 'GB' }),
    log,
  );
  const { entry, env } = instanceForSimulator('sf-1', 'salesforce', sim, { config: { batchSize: 40 } });
  const [instance] = parseInstances([entry], { salesforce }, { env });
  // the token store is the hub's Postgres one: refreshes survive restarts
  const rt = createInstanceRuntime(instance!, { ds: db.dataSource, log });
  try {
    const results = await runSync({ ds: db.dataSource, apply, instance: instance!, ctx: rt.ctx });
    expect(results.map((r) => [r.stream, r.status, r.deadLettered])).toEqual([
      ['contacts', 'succeeded', 0],
      ['leads', 'succeeded', 0],
      ['cases', 'succeeded', 0],
      ['tasks', 'succeeded', 0],
    ]);
    const people = (await db.dataSource.query(
      `SELECT object_type, external_id FROM source_record WHERE system = 'sf-1'`,
    )) as {
      object_type: string;
      external_id: string;
    }[];
    const expectedPeople = [
      ...sim.stores.Contact.list().map((r) => `contact:${r.id}`),
      ...sim.stores.Lead.list().map((r) => `lead:${r.id}`),
    ].sort();
    expect(people.map((p) => `${p.object_type}:${p.external_id}`).sort()).toEqual(expectedPeople);
    const interactions = (await db.dataSource.query(
      `SELECT external_id, kind, customer_id FROM interaction WHERE system = 'sf-1'`,
    )) as {
      external_id: string;
      kind: string;
      customer_id: string | null;
    }[];
    expect(interactions.map((i) => i.external_id).sort()).toEqual(
      [...sim.stores.Case.list(), ...sim.stores.Task.list()].map((r) => r.id).sort(),
    );
    // every case and task hangs off the customer of its contact or lead
    expect(interactions.filter((i) => i.customer_id === null)).toEqual([]);

    const contact = sim.stores.Contact.list()[0]!;
    const lead = sim.stores.Lead.list()[0]!;
    sim.stores.Contact.update(contact.id, { LastName: 'Renamed' });
    sim.stores.Lead.remove(lead.id);
    const again = await runSync({ ds: db.dataSource, apply, instance: instance!, ctx: rt.ctx });
    expect(again.map((r) => r.records)).toEqual([1, 1, 0, 0]);
    const [renamed] = (await db.dataSource.query(
      `SELECT traits->>'lastName' AS last FROM source_record WHERE system = 'sf-1' AND external_id = $1`,
      [contact.id],
    )) as { last: string }[];
    expect(renamed?.last).toBe('Renamed');
    const [gone] = (await db.dataSource.query(
      `SELECT deleted FROM source_record WHERE system = 'sf-1' AND external_id = $1`,
      [lead.id],
    )) as { deleted: boolean }[];
    expect(gone?.deleted).toBe(true);
    expect(sim.tokensIssued).toBe(1);
  } finally {
    rt.close();
  }
});
