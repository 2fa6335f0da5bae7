import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { ApplyService } from '../../src/ingest/apply.service.js';
import { createInstanceRuntime, parseInstances } from '../../src/ingest/instances.js';
import { runSync } from '../../src/ingest/sync-runner.js';
import { instanceForSimulator } from '../simulators.js';
import { createLogger } from '../../src/log/logger.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import zendesk from './index.js';
import { startSimulator, type ZendeskSimulator } from './simulator.js';

let db: TestDatabase;
let sim: ZendeskSimulator;
const log = createLogger('silent');

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator({
    population: generatePopulation({ seed: 'zendesk-e2e', people: 100, employees: 30 }),
    incrementalRequestsPerMinute: 6_000,
    exportLagMs: 0,
  });
});
afterAll(async () => {
  await sim.close();
  await db.drop();
});

test('syncing Zendesk into the hub stores end-users, tickets, comments and conversations, then only the changes', async () => {
  const apply = new ApplyService(
    db.dataSource,
    new IdentityResolver(db.dataSource, { defaultRegion: 'GB' }),
    log,
  );
  // API-token auth (email + token), not the simulator's OAuth token: the Basic scheme is the one tested here
  const { email, apiToken } = sim.credentials;
  const { entry, env } = instanceForSimulator(
    'zendesk-1',
    'zendesk',
    { ...sim, credentials: { email, apiToken } },
    { config: { perPage: 30 } },
  );
  const [instance] = parseInstances([entry], { zendesk }, { env });
  const rt = createInstanceRuntime(instance!, { ds: db.dataSource, log });
  try {
    const results = await runSync({ ds: db.dataSource, apply, instance: instance!, ctx: rt.ctx });
    expect(results.map((r) => [r.stream, r.status, r.deadLettered])).toEqual([
      ['users', 'succeeded', 0],
      ['tickets', 'succeeded', 0],
    ]);
    const people = (await db.dataSource.query(
      `SELECT external_id FROM source_record WHERE system = 'zendesk-1' AND object_type = 'user' AND NOT deleted`,
    )) as { external_id: string }[];
    expect(people.map((r) => r.external_id).sort()).toEqual(
      sim
        .users()
        .filter((u) => u.role === 'end-user')
        .map((u) => String(u.id))
        .sort(),
    );
    const interactions = (await db.dataSource.query(
      `SELECT external_id, kind, direction, sentiment FROM interaction WHERE system = 'zendesk-1'`,
    )) as { external_id: string; kind: string; direction: string; sentiment: number | null }[];
    const expected = sim
      .tickets()
      .flatMap((t) => [`ticket:${t.id}`, ...sim.comments(t.id).map((c) => `comment:${c.id}`)]);
    expect(interactions.map((r) => r.external_id).sort()).toEqual(expected.sort());
    for (const r of interactions.filter((x) => x.kind === 'comment'))
      expect(r.sentiment === null).toBe(r.direction !== 'inbound');
    const conversations = (await db.dataSource.query(
      `SELECT external_id, status FROM conversation WHERE system = 'zendesk-1'`,
    )) as { external_id: string; status: string }[];
    expect(new Map(conversations.map((c) => [c.external_id, c.status]))).toEqual(
      new Map(sim.tickets().map((t) => [String(t.id), t.status])),
    );

    const ticket = sim.tickets().find((t) => t.status === 'open')!;
    sim.addComment(ticket.id, { authorId: ticket.requester_id, body: 'Thanks, that fixed it!' });
    sim.updateTicket(ticket.id, { status: 'solved' });
    const again = await runSync({
      ds: db.dataSource,
      apply,
      instance: instance!,
      ctx: rt.ctx,
      stream: 'tickets',
    });
    expect(again[0]).toMatchObject({ status: 'succeeded', records: 1 });
    const [conv] = (await db.dataSource.query(
      `SELECT status FROM conversation WHERE system = 'zendesk-1' AND external_id = $1`,
      [String(ticket.id)],
    )) as { status: string }[];
    expect(conv?.status).toBe('solved');
  } finally {
    rt.close();
  }
});
