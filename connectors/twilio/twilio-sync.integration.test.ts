import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { ApplyService } from '../../src/ingest/apply.service.js';
import { createInstanceRuntime, parseInstances } from '../../src/ingest/instances.js';
import { runSync } from '../../src/ingest/sync-runner.js';
import { instanceForSimulator } from '../simulators.js';
import { createLogger } from '../../src/log/logger.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import twilio from './index.js';
import { startSimulator, type TwilioSimulator } from './simulator.js';

let db: TestDatabase;
let sim: TwilioSimulator;
const log = createLogger('silent');

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator({
    population: generatePopulation({ seed: 'twilio-e2e', people: 120, employees: 5 }),
  });
});
afterAll(async () => {
  await sim.close();
  await db.drop();
});

test('syncing Twilio into the hub stores every call as a voice interaction, then only the changes', async () => {
  const apply = new ApplyService(
    db.dataSource,
    new IdentityResolver(db.dataSource, { defaultRegion: 'GB' }),
    log,
  );
  const { entry, env } = instanceForSimulator('twilio-1', 'twilio', sim, { config: { pageSize: 25 } });
  const [instance] = parseInstances([entry], { twilio }, { env });
  const rt = createInstanceRuntime(instance!, { ds: db.dataSource, log });
  try {
    const results = await runSync({ ds: db.dataSource, apply, instance: instance!, ctx: rt.ctx });
    expect(results.map((r) => [r.stream, r.status, r.deadLettered])).toEqual([['calls', 'succeeded', 0]]);
    const rows = (await db.dataSource.query(
      `SELECT external_id, channel, kind, attributes->>'status' AS status FROM interaction WHERE system = 'twilio-1'`,
    )) as { external_id: string; channel: string; kind: string; status: string }[];
    expect(rows.map((r) => r.external_id).sort()).toEqual(
      sim
        .calls()
        .map((c) => c.sid)
        .sort(),
    );
    expect(new Set(rows.map((r) => `${r.channel}/${r.kind}`))).toEqual(new Set(['voice/call']));

    const open = sim.calls().find((c) => c.status === 'in-progress')!;
    sim.updateCall(open.sid, 'completed', 42);
    const again = await runSync({ ds: db.dataSource, apply, instance: instance!, ctx: rt.ctx });
    expect(again[0]).toMatchObject({ status: 'succeeded', records: 1 });
    const [row] = (await db.dataSource.query(
      `SELECT attributes->>'status' AS status, (attributes->>'duration')::int AS duration FROM interaction WHERE system = 'twilio-1' AND external_id = $1`,
      [open.sid],
    )) as { status: string; duration: number }[];
    expect(row).toEqual({ status: 'completed', duration: 42 });
  } finally {
    rt.close();
  }
});
