import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { ApplyService } from '../../src/ingest/apply.service.js';
import { createInstanceRuntime, parseInstances } from '../../src/ingest/instances.js';
import { instanceForSimulator } from '../simulators.js';
import { runSync } from '../../src/ingest/sync-runner.js';
import { createLogger } from '../../src/log/logger.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import x from './index.js';
import { startSimulator, type XSimulator } from './simulator.js';

let db: TestDatabase;
let sim: XSimulator;
const log = createLogger('silent');

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator({
    population: generatePopulation({ seed: 'x-e2e', people: 120, employees: 5 }),
  });
});
afterAll(async () => {
  await sim.close();
  await db.drop();
});

test('syncing X into the hub stores every mention and DM, one record per X user id, and resumes with only the new ones', async () => {
  const apply = new ApplyService(
    db.dataSource,
    new IdentityResolver(db.dataSource, { defaultRegion: 'GB' }),
    log,
  );
  // credentials come from the environment as in production: { name: { env: VAR } }
  const { entry, env } = instanceForSimulator('x-1', 'x', sim, { config: { maxResults: 20 } });
  const [instance] = parseInstances([entry], { x }, { env });
  const rt = createInstanceRuntime(instance!, { ds: db.dataSource, log });
  try {
    const results = await runSync({ ds: db.dataSource, apply, instance: instance!, ctx: rt.ctx });
    expect(results.map((r) => [r.stream, r.status, r.deadLettered])).toEqual([
      ['mentions', 'succeeded', 0],
      ['direct_messages', 'succeeded', 0],
    ]);
    const rows = (await db.dataSource.query(`SELECT external_id FROM interaction WHERE system = 'x-1'`)) as {
      external_id: string;
    }[];
    const expected = [
      ...sim.mentions().map((p) => `post:${p.id}`),
      ...sim.dmEvents().map((e) => `dm:${e.id}`),
    ].sort();
    expect(rows.map((r) => r.external_id).sort()).toEqual(expected);
    const people = (await db.dataSource.query(
      `SELECT external_id, traits FROM source_record WHERE system = 'x-1'`,
    )) as { external_id: string; traits: { xHandle?: string } }[];
    const authorIds = new Set([
      ...sim.mentions().map((p) => p.author_id!),
      ...sim.dmEvents().flatMap((e) => e.participant_ids!),
    ]);
    authorIds.delete(String(sim.config['userId']));
    expect(people.map((p) => p.external_id).sort()).toEqual([...authorIds].sort());
    for (const p of people) expect(p.traits.xHandle).toBe(sim.users.get(p.external_id)!.username);

    const someone = people[0]!.external_id;
    const fresh = sim.addMention(someone, '@TouchpointDemo thanks!');
    const again = await runSync({ ds: db.dataSource, apply, instance: instance!, ctx: rt.ctx });
    expect(again.map((r) => r.records)).toEqual([1, 0]);
    const [row] = (await db.dataSource.query(
      `SELECT channel, direction, kind, sentiment FROM interaction WHERE system = 'x-1' AND external_id = $1`,
      [`post:${fresh.id}`],
    )) as { sentiment: number }[];
    expect(row).toMatchObject({ channel: 'social_public', direction: 'inbound', kind: 'post' });
    expect(row!.sentiment).toBeGreaterThan(0);
  } finally {
    rt.close();
  }
});
