import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { ApplyService } from '../../src/ingest/apply.service.js';
import type { ConnectorInstance } from '../../src/ingest/instances.js';
import { webhookWorkerStarter } from '../../src/jobs/inbox-worker.starter.js';
import { createLogger } from '../../src/log/logger.js';
import { storeInboxEvents } from '../../src/webhooks/inbox.store.js';
import { echoConnector } from '../../src/webhooks/testing/echo.connector.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

// The inbox worker on the real apply path (ApplyService + identity resolver), wired as
// `touchpoint worker` wires it through IngestCommandDeps.startWorkers.
const log = createLogger('silent');
let db: TestDatabase;
let stop: (() => Promise<void>) | undefined;
const instance: ConnectorInstance = {
  id: 'echo-live',
  connectorId: 'echo',
  connector: echoConnector,
  baseUrl: 'http://127.0.0.1:9',
  config: {},
  credentials: { webhookSecret: 's' },
  everySeconds: null,
  enabled: true,
};

async function settled(eventId: string, timeoutMs = 20000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const [row] = (await db.dataSource.query(
      `SELECT id, status, attempts, last_error AS "lastError" FROM inbox_event WHERE event_id = $1`,
      [eventId],
    )) as {
      id: string;
      status: string;
      attempts: number;
      lastError: string | null;
    }[];
    if ((row && row.status !== 'pending' && row.status !== 'failed') || Date.now() > until) return row;
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  const identity = new IdentityResolver(db.dataSource);
  const apply = new ApplyService(db.dataSource, identity, log);
  stop = await webhookWorkerStarter({ pollIntervalMs: 20, baseDelayMs: 20, maxAttempts: 3 })({
    database: { dataSource: db.dataSource, url: db.url, embedded: false, close: async () => undefined },
    apply,
    instances: [instance],
    log,
  });
});

afterAll(async () => {
  await stop?.();
  await db.drop();
});

describe('inbox worker on ApplyService', () => {
  it('applies a stored event into the canonical tables, linked to the person by email', async () => {
    await storeInboxEvents(db.dataSource, 'echo-live', [
      {
        id: 'a1',
        type: 'message.created',
        payload: {
          id: 'a1',
          type: 'message.created',
          text: 'hello',
          email: 'Ann@Example.org',
          occurredAt: '2026-01-02T03:04:05Z',
        },
      },
    ]);
    expect(await settled('a1')).toMatchObject({ status: 'applied', attempts: 1, lastError: null });
    const [row] = await db.dataSource.query(
      `SELECT i.system, i.summary, i.customer_id IS NOT NULL AS linked, sr.object_type AS "objectType"
         FROM interaction i LEFT JOIN source_record sr ON sr.id = i.source_record_id WHERE i.external_id = 'a1'`,
    );
    expect(row).toEqual({ system: 'echo-live', summary: 'hello', linked: true, objectType: 'user' });
  });

  it('dead-letters at once an event whose data no retry can fix, with the reason', async () => {
    await storeInboxEvents(db.dataSource, 'echo-live', [
      { id: 'bad1', type: 'message.created', payload: { id: 'bad1', text: 'x', occurredAt: 'not a date' } },
    ]);
    const row = await settled('bad1');
    expect(row).toMatchObject({ status: 'dead', attempts: 1 });
    expect(row?.lastError).toMatch(/ApplyValidationError: .*not a valid date/);
    expect(
      (await db.dataSource.query(`SELECT count(*)::int AS n FROM interaction WHERE external_id = 'bad1'`))[0]
        .n,
    ).toBe(0);
  });

  it('does not fail an event about an erased person and does not bring the person back', async () => {
    const identity = new IdentityResolver(db.dataSource);
    const p = await identity.applyPerson('crm', {
      objectType: 'contact',
      externalId: 'c9',
      identifiers: [{ kind: 'email', value: 'erased@example.org' }],
    });
    await identity.erase(p.customerId!, 'test');
    await storeInboxEvents(db.dataSource, 'echo-live', [
      {
        id: 'e1',
        type: 'message.created',
        payload: {
          id: 'e1',
          text: 'back again',
          email: 'erased@example.org',
          occurredAt: '2026-01-03T00:00:00Z',
        },
      },
    ]);
    const row = await settled('e1');
    expect(['applied', 'suppressed']).toContain(row?.status);
    expect(row?.lastError).toBeNull();
    expect(
      (
        await db.dataSource.query(
          `SELECT count(*)::int AS n FROM source_record WHERE system = 'echo-live' AND external_id = 'u:erased@example.org'`,
        )
      )[0].n,
    ).toBe(0);
    const touches = await db.dataSource.query(
      `SELECT customer_id AS "customerId" FROM interaction WHERE external_id = 'e1'`,
    );
    expect(touches.every((t: { customerId: string | null }) => t.customerId === null)).toBe(true);
  });
});
