import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { signStripe } from '../../src/connector-kit/webhooks/index.js';
import { DeadLetterService } from '../../src/jobs/dead-letter.service.js';
import { startInboxWorker, type InboxApply, type InboxWorker } from '../../src/jobs/inbox.worker.js';
import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { createLogger } from '../../src/log/logger.js';
import { echoInstance, signedEchoDelivery } from '../../src/webhooks/testing/echo.connector.js';
import { recordingApply } from '../../src/webhooks/testing/recording.applier.js';
import { instanceLookupOf } from '../../src/webhooks/webhook-instance.js';
import { createWebhookRouter } from '../../src/webhooks/webhook.router.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const SECRET = 'whsec_echo_test';
const log = createLogger('silent');
let db: TestDatabase;
let server: http.Server;
let base: string;
let worker: InboxWorker | undefined;
const failing = new Set<string>();

async function post(instance: string, body: string, headers: Record<string, string>) {
  const res = await fetch(`${base}/webhooks/${instance}`, { method: 'POST', body, headers });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const inboxCount = async () =>
  Number((await db.dataSource.query(`SELECT count(*)::int AS n FROM inbox_event`))[0].n);

async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

const statusOf = async (eventId: string) =>
  (
    await db.dataSource.query(
      `SELECT status, attempts, last_error AS "lastError", id FROM inbox_event WHERE event_id = $1`,
      [eventId],
    )
  )[0] as { status: string; attempts: number; lastError: string | null; id: string } | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  const resolver = new IdentityResolver(db.dataSource);
  const recording = recordingApply(resolver);
  const apply: InboxApply = async (sql, system, batch) => {
    for (const i of batch.interactions ?? [])
      if (failing.has(i.externalId)) throw new Error(`downstream refused ${i.externalId}`);
    return recording(sql, system, batch);
  };
  const instances = instanceLookupOf([echoInstance('echo-1', SECRET, log)]);
  worker = startInboxWorker({
    ds: db.dataSource,
    apply,
    instances,
    log,
    baseDelayMs: 30,
    maxAttempts: 3,
    pollIntervalMs: 20,
  });
  const app = express();
  app.use(
    createWebhookRouter({
      dataSource: db.dataSource,
      instances,
      log,
      bodyLimit: 2048,
      onStored: () => worker?.wake(),
    }),
  );
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await worker?.stop();
  await new Promise((r) => server.close(r));
  await db.drop();
});

describe('POST /webhooks/:instance refuses what it must not store', () => {
  it('answers 401 to an unsigned delivery and stores nothing', async () => {
    const res = await post('echo-1', JSON.stringify({ events: [{ id: 'u1', text: 'hi' }] }), {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(401);
    expect(res.json.reason).toBe('missing_signature');
    expect(await inboxCount()).toBe(0);
  });

  it('answers 401 to a tampered body and stores nothing', async () => {
    const { body, headers } = signedEchoDelivery([{ id: 't1', text: 'pay 10' }], SECRET);
    const res = await post('echo-1', body.replace('pay 10', 'pay 99'), headers);
    expect(res.status).toBe(401);
    expect(res.json.reason).toBe('bad_signature');
    expect(await inboxCount()).toBe(0);
  });

  it('answers 401 to a correctly signed but stale delivery (replay) and stores nothing', async () => {
    const { body, headers } = signedEchoDelivery(
      [{ id: 's1' }],
      SECRET,
      Math.floor(Date.now() / 1000) - 3600,
    );
    const res = await post('echo-1', body, headers);
    expect(res.status).toBe(401);
    expect(res.json.reason).toBe('stale');
    expect(await inboxCount()).toBe(0);
  });

  it('answers 404 for an unknown instance', async () => {
    const { body, headers } = signedEchoDelivery([{ id: 'x1' }], SECRET);
    const res = await post('nobody', body, headers);
    expect(res.status).toBe(404);
    expect(await inboxCount()).toBe(0);
  });

  it('answers 400 to signed but malformed JSON and stores nothing', async () => {
    // Correctly signed bytes, so only the content is wrong.
    const body = '{"events": [ {"id": "m1", ';
    const res = await post('echo-1', body, {
      'content-type': 'application/json',
      ...signStripe({ payload: body, secret: SECRET }),
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('malformed');
    expect(await inboxCount()).toBe(0);
  });

  it('answers 413 to a body over the configured limit and stores nothing', async () => {
    const { body, headers } = signedEchoDelivery([{ id: 'big', text: 'x'.repeat(4096) }], SECRET);
    const res = await post('echo-1', body, headers);
    expect(res.status).toBe(413);
    expect(await inboxCount()).toBe(0);
  });
});

describe('GET /webhooks/:instance handshakes', () => {
  it('echoes the challenge for the right verify token and refuses a wrong one', async () => {
    const ok = await fetch(
      `${base}/webhooks/echo-1?hub.mode=subscribe&hub.verify_token=${SECRET}&hub.challenge=abc123`,
    );
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('abc123');
    const bad = await fetch(
      `${base}/webhooks/echo-1?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=abc123`,
    );
    expect(bad.status).toBe(403);
  });
});

describe('inbox worker', () => {
  it('applies an acknowledged event once even when it is delivered twice', async () => {
    const delivery = signedEchoDelivery([{ id: 'd1', text: 'hello' }], SECRET);
    const first = await post('echo-1', delivery.body, delivery.headers);
    expect(first).toEqual({ status: 200, json: { received: 1, stored: 1, duplicates: 0 } });
    await waitFor(
      () => statusOf('d1'),
      (r) => r?.status === 'applied',
    );
    const again = signedEchoDelivery([{ id: 'd1', text: 'hello' }], SECRET);
    const second = await post('echo-1', again.body, again.headers);
    expect(second).toEqual({ status: 200, json: { received: 1, stored: 0, duplicates: 1 } });
    await new Promise((r) => setTimeout(r, 200));
    const rows = await db.dataSource.query(
      `SELECT attributes FROM interaction WHERE system = 'echo' AND external_id = 'd1'`,
    );
    expect(rows).toEqual([{ attributes: { applyCount: 1 } }]);
    expect(
      (await db.dataSource.query(`SELECT count(*)::int AS n FROM inbox_event WHERE event_id = 'd1'`))[0].n,
    ).toBe(1);
  });

  it('retries a failing event with backoff, dead-letters it, and applies it after a replay', async () => {
    failing.add('r1');
    const delivery = signedEchoDelivery([{ id: 'r1', text: 'will fail' }], SECRET);
    expect((await post('echo-1', delivery.body, delivery.headers)).status).toBe(200);
    const dead = await waitFor(
      () => statusOf('r1'),
      (r) => r?.status === 'dead',
    );
    expect(dead).toMatchObject({ status: 'dead', attempts: 3 });
    expect(dead?.lastError).toContain('downstream refused r1');
    expect(
      (await db.dataSource.query(`SELECT count(*)::int AS n FROM interaction WHERE external_id = 'r1'`))[0].n,
    ).toBe(0);

    const service = new DeadLetterService(db.dataSource);
    const list = await service.listDeadLetters({ instance: 'echo-1' });
    expect(list.map((d) => [d.eventId, d.origin])).toEqual([['r1', 'webhook']]);
    expect(await service.replayDeadLetter('999999')).toEqual({
      replayed: false,
      id: '999999',
      reason: 'not_found',
    });

    failing.delete('r1');
    expect(await service.replayDeadLetter(dead!.id)).toEqual({ replayed: true, id: dead!.id });
    const applied = await waitFor(
      () => statusOf('r1'),
      (r) => r?.status === 'applied',
    );
    expect(applied).toMatchObject({ status: 'applied', lastError: null });
    expect(await service.listDeadLetters({ instance: 'echo-1' })).toEqual([]);
    expect(await service.replayDeadLetter(dead!.id)).toEqual({
      replayed: false,
      id: dead!.id,
      reason: 'not_dead',
    });
    const rows = await db.dataSource.query(`SELECT attributes FROM interaction WHERE external_id = 'r1'`);
    expect(rows).toEqual([{ attributes: { applyCount: 1 } }]);
  });

  it('marks an event about an erased person suppressed, not failed, and writes nothing', async () => {
    const resolver = new IdentityResolver(db.dataSource);
    const person = await resolver.applyPerson('crm', {
      objectType: 'contact',
      externalId: 'c-erase',
      identifiers: [{ kind: 'email', value: 'gone@example.org' }],
    });
    await resolver.erase(person.customerId!, 'test');
    const delivery = signedEchoDelivery([{ id: 'p1', text: 'I am back', email: 'gone@example.org' }], SECRET);
    expect((await post('echo-1', delivery.body, delivery.headers)).status).toBe(200);
    const row = await waitFor(
      () => statusOf('p1'),
      (r) => r?.status !== 'pending',
    );
    expect(row?.status).toBe('suppressed');
    expect(
      (await db.dataSource.query(`SELECT count(*)::int AS n FROM interaction WHERE external_id = 'p1'`))[0].n,
    ).toBe(0);
    expect(
      (await db.dataSource.query(`SELECT count(*)::int AS n FROM source_record WHERE system = 'echo'`))[0].n,
    ).toBe(0);
  });
});
