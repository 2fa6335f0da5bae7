import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import pg from 'pg';
import { startInboxWorker, type InboxWorker } from '../../src/jobs/inbox.worker.js';
import { createLogger } from '../../src/log/logger.js';
import {
  signedEchoDelivery,
  echoInstance,
  type EchoEvent,
} from '../../src/webhooks/testing/echo.connector.js';
import { recordingApply } from '../../src/webhooks/testing/recording.applier.js';
import { instanceLookupOf } from '../../src/webhooks/webhook-instance.js';
import { INBOX_CHANNEL } from '../../src/webhooks/inbox.store.js';
import { createWebhookRouter } from '../../src/webhooks/webhook.router.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

// Group commit of acknowledgements (src/webhooks/inbox.batcher.ts) seen from the vendor's side:
// bursts of concurrent deliveries through the real router into a real Postgres.
const SECRET = 'whsec_group_commit';
const log = createLogger('silent');
let db: TestDatabase;
let server: http.Server;
let base: string;
/** Other sessions: what they see is committed. */
let observer: pg.Pool;
const instances = instanceLookupOf(
  ['burst', 'dups', 'mixed', 'held', 'notify', 'applied'].map((id) => echoInstance(id, SECRET, log)),
);

interface Answer {
  status: number;
  json: { received?: number; stored?: number; duplicates?: number; error?: string; message?: string };
  /** Rows with this delivery's event ids that another session saw when the answer arrived. */
  visible: number;
}

async function deliver(instance: string, events: EchoEvent[]): Promise<Answer> {
  const { body, headers } = signedEchoDelivery(events, SECRET);
  const res = await fetch(`${base}/webhooks/${instance}`, { method: 'POST', body, headers });
  const json = (await res.json()) as Answer['json'];
  const { rows } = await observer.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM inbox_event WHERE connector_instance = $1 AND event_id = ANY($2::text[])`,
    [instance, events.map((e) => e.id)],
  );
  return { status: res.status, json, visible: rows[0]!.n };
}

const rowsOf = async (instance: string) =>
  (await db.dataSource.query(
    `SELECT event_id AS "eventId", xmin::text AS tx FROM inbox_event WHERE connector_instance = $1 ORDER BY event_id`,
    [instance],
  )) as { eventId: string; tx: string }[];

beforeAll(async () => {
  db = await createTestDatabase();
  // The database refuses some rows outright (a real constraint), as it might refuse any one row.
  await db.dataSource.query(
    `ALTER TABLE inbox_event ADD CONSTRAINT test_refuses_poison CHECK (event_id NOT LIKE 'poison-%')`,
  );
  observer = new pg.Pool({ connectionString: db.url, max: 2 });
  const app = express();
  app.use(
    createWebhookRouter({
      dataSource: db.dataSource,
      instances,
      log,
    }),
  );
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await observer.end();
  await new Promise((r) => server.close(r));
  await db.drop();
});

describe('webhook acknowledgements under a burst (group commit)', () => {
  it('acknowledges 200 concurrent deliveries, each only once its row is committed, storing each once in fewer commits', async () => {
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => deliver('burst', [{ id: `b-${i}`, text: `burst ${i}` }])),
    );
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.json).toEqual({ received: 1, stored: 1, duplicates: 0 });
      // Answered after the commit: another session already sees the row.
      expect(a.visible).toBe(1);
    }
    const rows = await rowsOf('burst');
    expect(rows).toHaveLength(200);
    expect(new Set(rows.map((r) => r.eventId)).size).toBe(200);
    // Several deliveries shared a transaction (xmin): the commits were grouped.
    expect(new Set(rows.map((r) => r.tx)).size).toBeLessThan(200);
  });

  it('answers no delivery of a burst before the commit holding its row', async () => {
    // Another session blocks every insert into the inbox until it lets go.
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE inbox_event IN SHARE MODE');
      let answered = 0;
      const pending = Array.from({ length: 30 }, (_, i) =>
        deliver('held', [{ id: `h-${i}`, text: `held ${i}` }]).then((a) => {
          answered++;
          return a;
        }),
      );
      await new Promise((r) => setTimeout(r, 500));
      expect(answered).toBe(0);
      await blocker.query('COMMIT');
      const answers = await Promise.all(pending);
      for (const a of answers) {
        expect(a.status).toBe(200);
        expect(a.visible).toBe(1);
      }
      expect(await rowsOf('held')).toHaveLength(30);
    } finally {
      await blocker.end();
    }
  });

  it('stores an event delivered many times in one burst once, and says so to exactly one delivery', async () => {
    const answers = await Promise.all([
      ...Array.from({ length: 30 }, () => deliver('dups', [{ id: 'same', text: 'retried by the vendor' }])),
      // Two deliveries sharing one of their two events, and a delivery repeating its own event.
      deliver('dups', [
        { id: 'pair-1', text: 'a' },
        { id: 'shared', text: 's' },
      ]),
      deliver('dups', [
        { id: 'pair-2', text: 'b' },
        { id: 'shared', text: 's' },
      ]),
      deliver('dups', [
        { id: 'twice', text: 't' },
        { id: 'twice', text: 't' },
      ]),
    ]);
    for (const a of answers) expect(a.status).toBe(200);
    const same = answers.slice(0, 30).map((a) => a.json);
    expect(same.filter((j) => j.stored === 1)).toHaveLength(1);
    expect(same.filter((j) => j.stored === 0 && j.duplicates === 1)).toHaveLength(29);
    const [p1, p2, twice] = answers.slice(30).map((a) => a.json);
    // 'shared' is stored by exactly one of the two deliveries.
    expect([p1!.stored, p2!.stored].sort()).toEqual([1, 2]);
    expect(p1!.stored! + p1!.duplicates!).toBe(2);
    expect(p2!.stored! + p2!.duplicates!).toBe(2);
    expect(twice).toEqual({ received: 2, stored: 1, duplicates: 1 });
    expect((await rowsOf('dups')).map((r) => r.eventId)).toEqual([
      'pair-1',
      'pair-2',
      'same',
      'shared',
      'twice',
    ]);

    // Delivered again in a later burst: duplicates, nothing stored twice.
    const again = await Promise.all(
      ['same', 'shared', 'twice'].map((id) => deliver('dups', [{ id, text: 'again' }])),
    );
    for (const a of again) expect(a.json).toEqual({ received: 1, stored: 0, duplicates: 1 });
    expect(await rowsOf('dups')).toHaveLength(5);
  });

  it('answers a delivery the database refuses, or one it could not store, on its own: the rest of the burst is stored', async () => {
    const answers = await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => deliver('mixed', [{ id: `ok-${i}`, text: `fine ${i}` }])),
      deliver('mixed', [{ id: 'poison-1', text: 'the database refuses this row' }]),
      deliver('mixed', [{ id: 'nul-1', text: 'a NUL \u0000 jsonb cannot hold' }]),
      ...Array.from({ length: 40 }, (_, i) =>
        deliver('mixed', [{ id: `ok-${40 + i}`, text: `fine ${40 + i}` }]),
      ),
    ]);
    const ok = [...answers.slice(0, 40), ...answers.slice(42)];
    for (const a of ok) {
      expect(a.status).toBe(200);
      expect(a.json).toEqual({ received: 1, stored: 1, duplicates: 0 });
      expect(a.visible).toBe(1);
    }
    const [poison, nul] = answers.slice(40, 42);
    // Not stored, not acknowledged: 5xx, so the vendor retries.
    expect(poison!.status).toBe(503);
    expect(poison!.visible).toBe(0);
    // Content that can never be stored is refused with the event and field named.
    expect(nul!.status).toBe(400);
    expect(nul!.json.error).toBe('malformed');
    expect(nul!.json.message).toContain('event "nul-1": payload contains a NUL character');
    expect(nul!.visible).toBe(0);
    const rows = await rowsOf('mixed');
    expect(rows).toHaveLength(80);
    expect(rows.every((r) => r.eventId.startsWith('ok-'))).toBe(true);
  });

  it('notifies listening workers (in other processes) of each commit that stored rows, naming the instance', async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    try {
      const heard: string[] = [];
      listener.on('notification', (n) => heard.push(n.payload ?? ''));
      await listener.query(`LISTEN ${INBOX_CHANNEL}`);
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => deliver('notify', [{ id: `n-${i}`, text: 'wake up' }])),
      );
      expect(answers.every((a) => a.status === 200)).toBe(true);
      const commits = new Set((await rowsOf('notify')).map((r) => r.tx)).size;
      const until = Date.now() + 5000;
      while (heard.length < commits && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(heard).toEqual(Array.from({ length: commits }, () => 'notify'));
      // A burst of duplicates stores nothing and wakes nobody.
      await Promise.all([0, 1, 2].map((i) => deliver('notify', [{ id: `n-${i}`, text: 'again' }])));
      await listener.query('SELECT 1');
      expect(heard).toHaveLength(commits);
    } finally {
      await listener.end();
    }
  });

  it('hands a worker every acknowledged event of a burst, applied exactly once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        deliver('applied', [
          {
            id: `a-${i % 120}`,
            text: `event ${i % 120}`,
            occurredAt: new Date(1_700_000_000_000 + i).toISOString(),
          },
        ]),
      ),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.reduce((n, a) => n + (a.json.stored ?? 0), 0)).toBe(120);
    let worker: InboxWorker | undefined;
    try {
      worker = startInboxWorker({
        ds: db.dataSource,
        apply: recordingApply(),
        instances,
        log,
        pollIntervalMs: 20,
      });
      const until = Date.now() + 20000;
      for (;;) {
        const [r] = await db.dataSource.query(
          `SELECT count(*)::int AS n FROM inbox_event WHERE connector_instance = 'applied' AND status = 'applied'`,
        );
        if (r.n === 120 || Date.now() > until) break;
        await new Promise((res) => setTimeout(res, 25));
      }
    } finally {
      await worker?.stop();
    }
    const counts = (await db.dataSource.query(
      `SELECT (attributes->>'applyCount')::int AS n, count(*)::int AS interactions
         FROM interaction WHERE system = 'echo' AND external_id LIKE 'a-%' GROUP BY 1`,
    )) as { n: number; interactions: number }[];
    expect(counts).toEqual([{ n: 1, interactions: 120 }]);
  });
});
