import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { ApplyService } from '../../src/ingest/apply.service.js';
import { createInstanceRuntime, parseInstances } from '../../src/ingest/instances.js';
import { instanceForSimulator } from '../simulators.js';
import { runSync } from '../../src/ingest/sync-runner.js';
import { createLogger } from '../../src/log/logger.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import meta from './index.js';
import { startSimulator, type MetaSimulator } from './simulator.js';

let db: TestDatabase;
let sim: MetaSimulator;
const log = createLogger('silent');

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator({
    population: generatePopulation({ seed: 'meta-e2e', people: 120, employees: 5 }),
  });
});
afterAll(async () => {
  await sim.close();
  await db.drop();
});

test('syncing Meta into the hub stores every message, scoped people and conversations with their 24 h reply window', async () => {
  const apply = new ApplyService(
    db.dataSource,
    new IdentityResolver(db.dataSource, { defaultRegion: 'GB' }),
    log,
  );
  const { entry, env } = instanceForSimulator('meta-1', 'meta', sim);
  const [instance] = parseInstances([entry], { meta }, { env });
  const rt = createInstanceRuntime(instance!, { ds: db.dataSource, log });
  try {
    const results = await runSync({ ds: db.dataSource, apply, instance: instance!, ctx: rt.ctx });
    expect(results.map((r) => [r.stream, r.status, r.deadLettered])).toEqual([
      ['messenger_conversations', 'succeeded', 0],
      ['instagram_conversations', 'succeeded', 0],
    ]);
    const all = [...sim.conversations('messenger'), ...sim.conversations('instagram')];
    const rows = (await db.dataSource.query(
      `SELECT external_id FROM interaction WHERE system = 'meta-1'`,
    )) as { external_id: string }[];
    expect(rows.map((r) => r.external_id).sort()).toEqual(
      all.flatMap((c) => c.messages.map((m) => m.id)).sort(),
    );
    const convs = (await db.dataSource.query(
      `SELECT external_id, last_inbound_at, reply_window_ends_at FROM conversation WHERE system = 'meta-1'`,
    )) as { external_id: string; last_inbound_at: Date; reply_window_ends_at: Date }[];
    expect(convs).toHaveLength(all.length);
    for (const c of convs)
      expect(c.reply_window_ends_at.getTime() - c.last_inbound_at.getTime()).toBe(86_400_000);
    const people = (await db.dataSource.query(
      `SELECT object_type, external_id FROM source_record WHERE system = 'meta-1'`,
    )) as { object_type: string; external_id: string }[];
    expect(people).toHaveLength(all.length); // one thread per scoped user
  } finally {
    rt.close();
  }
});
