import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { defineConnector, MappingError, type ConnectorContext } from '../../src/connector-kit/index.js';
import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { ApplyService } from '../../src/ingest/apply.service.js';
import { ConnectorStatusService } from '../../src/ingest/connector-status.service.js';
import { createInstanceRuntime, parseInstances } from '../../src/ingest/instances.js';
import { runSync, syncLockKey } from '../../src/ingest/sync-runner.js';
import { formatConnectorTable } from '../../src/ingest/ingest.commands.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let apply: ApplyService;
const log = createLogger('silent');

interface Call {
  sid: string;
  from: string;
  at: string;
}

/** A fake vendor: 7 calls, pages of 2, cursor = index; can be told to fail once at a given cursor. */
function makeConnector() {
  const calls: Call[] = Array.from({ length: 7 }, (_, i) => ({
    sid: `CA${i}`,
    from: i === 5 ? 'garbage' : `+4479111234${10 + i}`,
    at: `2026-01-0${i + 1}T00:00:00Z`,
  }));
  const state = { failAt: null as number | null, requested: [] as (number | null)[] };
  const connector = defineConnector<{ pageSize: number }>({
    id: 'fakevoice',
    category: 'contact_centre',
    displayName: 'Fake Voice',
    api: { baseUrl: 'http://127.0.0.1:9/', auth: 'bearer', paging: 'offset' },
    configSchema: z.object({ pageSize: z.number().int().default(2) }) as unknown as z.ZodType<{
      pageSize: number;
    }>,
    credentials: {},
    auth: () => ({ kind: 'none', headers: async () => ({}) }),
    streams: [
      {
        name: 'calls',
        async fetchPage(ctx: ConnectorContext<{ pageSize: number }>, cursor: { i: number } | null) {
          const i = cursor?.i ?? 0;
          state.requested.push(cursor?.i ?? null);
          if (state.failAt === i) {
            state.failAt = null;
            throw new Error('connection reset by vendor');
          }
          const items = calls.slice(i, i + ctx.config.pageSize);
          const next = i + items.length;
          return { items, nextCursor: { i: next }, done: next >= calls.length };
        },
        map(c: Call) {
          if (c.from === 'garbage') throw new MappingError('from is not a phone number', 'from');
          return {
            interactions: [
              {
                externalId: c.sid,
                occurredAt: c.at,
                channel: 'voice',
                direction: 'inbound' as const,
                kind: 'call',
                person: { identifiers: [{ kind: 'phone' as const, value: c.from }] },
              },
            ],
          };
        },
      },
    ],
  });
  return { connector, state };
}

beforeAll(async () => {
  db = await createTestDatabase();
  apply = new ApplyService(db.dataSource, new IdentityResolver(db.dataSource, { defaultRegion: 'GB' }), log);
});
afterAll(async () => {
  await db.drop();
});

describe('runSync', () => {
  it('resumes after a crash from the last applied page, applying nothing twice', async () => {
    const { connector, state } = makeConnector();
    const [instance] = parseInstances([{ id: 'voice-1', connector: 'fakevoice' }], { fakevoice: connector });
    const rt = createInstanceRuntime(instance!, { ds: db.dataSource, log });
    state.failAt = 4; // the third page
    const first = await runSync({ ds: db.dataSource, apply, instance: instance!, ctx: rt.ctx });
    expect(first[0]).toMatchObject({
      status: 'failed',
      pages: 2,
      records: 4,
      error: 'Error: connection reset by vendor',
    });
    const [afterCrash] = await db.dataSource.query(
      `SELECT cursor, status, records_synced, last_error FROM sync_state WHERE connector_instance = 'voice-1'`,
    );
    expect(afterCrash).toMatchObject({
      cursor: { i: 4 },
      status: 'failed',
      records_synced: '4',
      last_error: 'Error: connection reset by vendor',
    });
    const before = await db.dataSource.query(
      `SELECT external_id, xmin::text FROM interaction ORDER BY external_id`,
    );
    expect(before.map((r: { external_id: string }) => r.external_id)).toEqual(['CA0', 'CA1', 'CA2', 'CA3']);

    state.requested = [];
    const second = await runSync({ ds: db.dataSource, apply, instance: instance!, ctx: rt.ctx });
    expect(state.requested).toEqual([4, 6]);
    expect(second[0]).toMatchObject({ status: 'succeeded', pages: 2, records: 2, deadLettered: 1 });
    const after = await db.dataSource.query(
      `SELECT external_id, xmin::text FROM interaction ORDER BY external_id`,
    );
    expect(after.map((r: { external_id: string }) => r.external_id)).toEqual([
      'CA0',
      'CA1',
      'CA2',
      'CA3',
      'CA4',
      'CA6',
    ]);
    // The rows of the first run were not written again.
    expect(after.slice(0, 4)).toEqual(before);
    const [state2] = await db.dataSource.query(
      `SELECT cursor, status, records_synced, last_success_at, high_water_mark FROM sync_state WHERE connector_instance = 'voice-1'`,
    );
    expect(state2).toMatchObject({ cursor: { i: 7 }, status: 'succeeded', records_synced: '6' });
    expect(state2.high_water_mark.toISOString()).toBe('2026-01-07T00:00:00.000Z');

    const [dead] = await db.dataSource.query(
      `SELECT status, last_error, payload FROM inbox_event WHERE connector_instance = 'voice-1'`,
    );
    expect(dead).toMatchObject({
      status: 'dead',
      last_error: 'MappingError: from is not a phone number (field from)',
      payload: { sid: 'CA5' },
    });

    const status = await new ConnectorStatusService(db.dataSource, [instance!]).list(
      new Date('2026-01-08T00:00:00Z'),
    );
    expect(status[0]).toMatchObject({ id: 'voice-1', connector: 'fakevoice', status: 'ok', deadLetters: 1 });
    expect(status[0]!.streams[0]).toMatchObject({
      name: 'calls',
      status: 'succeeded',
      recordsSynced: 6,
      lagSeconds: 86400,
    });
    expect(formatConnectorTable(status)).toMatch(/voice-1\s+fakevoice\s+ok\s+calls \(succeeded\)/);
    rt.close();
  });

  it('--full backfills from a null cursor; the apply path keeps it idempotent', async () => {
    const { connector, state } = makeConnector();
    const [instance] = parseInstances([{ id: 'voice-2', connector: 'fakevoice' }], { fakevoice: connector });
    const rt = createInstanceRuntime(instance!, { ds: db.dataSource, log });
    await runSync({ ds: db.dataSource, apply, instance: instance!, ctx: rt.ctx });
    const before = await db.dataSource.query(
      `SELECT id, xmin::text FROM interaction WHERE system = 'voice-2' ORDER BY id`,
    );
    state.requested = [];
    const again = await runSync({ ds: db.dataSource, apply, instance: instance!, ctx: rt.ctx, full: true });
    expect(state.requested[0]).toBeNull();
    expect(again[0]!.status).toBe('succeeded');
    expect(
      await db.dataSource.query(
        `SELECT id, xmin::text FROM interaction WHERE system = 'voice-2' ORDER BY id`,
      ),
    ).toEqual(before);
    rt.close();
  });

  it('skips a stream another process is syncing (advisory lock)', async () => {
    const { connector, state } = makeConnector();
    const [instance] = parseInstances([{ id: 'voice-3', connector: 'fakevoice' }], { fakevoice: connector });
    const rt = createInstanceRuntime(instance!, { ds: db.dataSource, log });
    const holder = db.dataSource.createQueryRunner();
    await holder.connect();
    await holder.query(`SELECT pg_advisory_lock($1::bigint)`, [syncLockKey('voice-3', 'calls')]);
    const r = await runSync({ ds: db.dataSource, apply, instance: instance!, ctx: rt.ctx });
    expect(r[0]!.status).toBe('busy');
    expect(state.requested).toEqual([]);
    await holder.query(`SELECT pg_advisory_unlock($1::bigint)`, [syncLockKey('voice-3', 'calls')]);
    await holder.release();
    rt.close();
  });
});
