import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import {
  createHttpClient,
  InMemoryTokenStore,
  signTwilio,
  WebhookVerificationError,
  type CanonicalInteraction,
  type ConnectorContext,
  type HttpClient,
  type WebhookRequest,
} from '../../src/connector-kit/index.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import twilio from './index.js';
import type { TwilioCallsCursor } from './calls.stream.js';
import type { TwilioCall, TwilioConfig } from './client.js';
import { mapCall } from './mapping.js';
import { checkRequest, type OpenApiDocument } from './openapi.check.js';
import { startSimulator, type TwilioSimulator } from './simulator.js';

const SPEC = new URL('../../../shared/specs/twilio/twilio_api_v2010.json', import.meta.url);
const population = generatePopulation({ seed: 'twilio-test', people: 150, employees: 12 });
const stream = twilio.streams[0]!;
let instance = 0;

function contextFor(
  sim: TwilioSimulator,
  config: Partial<TwilioConfig> = {},
): ConnectorContext<TwilioConfig> & { http: HttpClient } {
  const parsed = twilio.configSchema.parse({ ...sim.config, pageSize: 20, ...config });
  const instanceId = `twilio-test-${++instance}`;
  const http = createHttpClient({
    connectorId: 'twilio',
    instanceId,
    baseURL: sim.url,
    auth: twilio.auth({
      config: parsed,
      credentials: sim.credentials,
      tokenStore: new InMemoryTokenStore(),
      instanceId,
    }),
    ...(twilio.classify ? { classify: twilio.classify } : {}),
    backoff: { baseMs: 20, capMs: 100 },
    timeoutMs: 10_000,
  });
  return { instanceId, http, log: pino({ level: 'silent' }), config: parsed, credentials: sim.credentials };
}

async function syncAll(ctx: ConnectorContext<TwilioConfig>, cursor: TwilioCallsCursor | null) {
  const items: TwilioCall[] = [];
  let pages = 0;
  for (;;) {
    const page = await stream.fetchPage(ctx, cursor);
    pages++;
    items.push(...(page.items as TwilioCall[]));
    cursor = page.nextCursor as TwilioCallsCursor | null;
    if (page.done) return { items, cursor, pages };
  }
}

const interactionsOf = (calls: TwilioCall[]): CanonicalInteraction[] =>
  calls.flatMap((c) => stream.map(c, undefined as never).interactions ?? []);

describe('twilio connector against its simulator', () => {
  let sim: TwilioSimulator;
  let ctx: ReturnType<typeof contextFor>;
  beforeEach(async () => {
    sim = await startSimulator({ population });
    ctx = contextFor(sim);
  });
  afterEach(async () => {
    ctx.http.close();
    await sim.close();
  });

  it('full sync pages through every call and maps each to one voice interaction', async () => {
    const { items, pages } = await syncAll(ctx, null);
    expect(pages).toBeGreaterThan(2);
    expect(new Set(items.map((c) => c.sid))).toEqual(new Set(sim.calls().map((c) => c.sid)));
    expect(items).toHaveLength(sim.calls().length);
    const mapped = interactionsOf(items);
    expect(mapped.map((i) => i.externalId).sort()).toEqual(
      sim
        .calls()
        .map((c) => c.sid)
        .sort(),
    );
    for (const i of mapped) {
      expect(i.channel).toBe('voice');
      expect(i.kind).toBe('call');
    }
    // every call with a customer number is tied to that phone
    const inbound = sim.calls().find((c) => c.direction === 'inbound' && c.from !== '+266696687')!;
    const m = mapped.find((i) => i.externalId === inbound.sid)!;
    expect(m.person).toEqual({ identifiers: [{ kind: 'phone', value: inbound.from }] });
  });

  it('resumes from the saved cursor: calls that started earlier and ended since, and new calls, exactly', async () => {
    const first = await syncAll(ctx, null);
    const open = sim.calls().filter((c) => c.status === 'in-progress' || c.status === 'ringing');
    expect(open.length).toBeGreaterThan(0);
    // a newer finished call exists, so the window must reach back to the open one
    const older = open.at(-1)!;
    expect(sim.calls().findIndex((c) => c.sid === older.sid)).toBeGreaterThan(0);

    const nothing = await syncAll(ctx, first.cursor);
    expect(nothing.items).toEqual([]);

    sim.updateCall(older.sid, 'completed', 125);
    const fresh = sim.startCall({ customer: '+447700900777', direction: 'outbound-api' });
    const second = await syncAll(ctx, nothing.cursor);
    expect(second.items.map((c) => c.sid).sort()).toEqual([older.sid, fresh.sid].sort());
    const [done] = interactionsOf(second.items.filter((c) => c.sid === older.sid));
    expect(done?.attributes).toMatchObject({ status: 'completed', duration: 125 });
    expect(done?.summary).toBe('Inbound call, completed, 2m 5s');

    // the new call ringing then answered is one more change, and only that
    sim.updateCall(fresh.sid, 'in-progress');
    const third = await syncAll(ctx, second.cursor);
    expect(third.items.map((c) => [c.sid, c.status])).toEqual([[fresh.sid, 'in-progress']]);
    const fourth = await syncAll(ctx, third.cursor);
    expect(fourth.items).toEqual([]);
  });

  it('survives a burst of 429 / 20429 in the middle of a sync', async () => {
    const page1 = await stream.fetchPage(ctx, null);
    sim.sim.faults.throttleNext(2, { retryAfterSeconds: 0 });
    const rest = await syncAll(ctx, page1.nextCursor as TwilioCallsCursor);
    expect(page1.items.length + rest.items.length).toBe(sim.calls().length);
    expect(sim.sim.stats.count({ status: 429 })).toBe(2);
  });

  it('reports rate limiting as UPSTREAM_RATE_LIMITED when the throttle does not relent', async () => {
    sim.sim.faults.throttleNext(3, { retryAfterSeconds: 0 });
    await expect(stream.fetchPage(ctx, null)).rejects.toMatchObject({ code: 'UPSTREAM_RATE_LIMITED' });
  });

  it('refuses wrong credentials with Twilio 20003', async () => {
    const bad = contextFor({
      ...sim,
      credentials: { ...sim.credentials, authToken: 'nope' },
    } as TwilioSimulator);
    await expect(stream.fetchPage(bad, null)).rejects.toMatchObject({ code: 'UPSTREAM_AUTH' });
    bad.http.close();
  });

  it('sends only requests the Twilio OpenAPI document accepts', async () => {
    const doc = JSON.parse(readFileSync(SPEC, 'utf8')) as OpenApiDocument;
    const first = await syncAll(ctx, null);
    await syncAll(ctx, first.cursor);
    const backfill = contextFor(sim, { backfillDays: 7 });
    await syncAll(backfill, null);
    backfill.http.close();
    const call = sim.calls()[0]!;
    await twilio.webhooks!.map(
      { id: 'x', type: 'call.completed', payload: { CallSid: call.sid, CallStatus: call.status } },
      ctx,
    );
    expect(sim.requests.length).toBeGreaterThan(5);
    expect(sim.requests.some((r) => 'StartTime>' in r.query)).toBe(true);
    expect(sim.requests.some((r) => 'PageToken' in r.query)).toBe(true);
    const problems = sim.requests.flatMap((r) =>
      checkRequest(doc, r).map((p) => `${r.method} ${r.path}: ${p}`),
    );
    expect(problems).toEqual([]);
    // the check itself refuses what the document does not allow
    expect(checkRequest(doc, { method: 'GET', path: call.uri!, query: { PageSize: '5000' } })).not.toEqual(
      [],
    );
    expect(
      checkRequest(doc, {
        method: 'GET',
        path: sim.requests[0]!.path,
        query: { 'StartTime>': '2026-01-01' },
      }),
    ).not.toEqual([]);
    expect(
      checkRequest(doc, { method: 'GET', path: sim.requests[0]!.path, query: { Since: 'x' } }),
    ).not.toEqual([]);
  });
});

describe('twilio status callbacks', () => {
  const authToken = '12345678901234567890123456789012';
  const url = 'https://hub.example/webhooks/twilio/voice?instance=main';
  const credentials = { accountSid: 'ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', authToken };
  const raw = readFileSync(new URL('./fixtures/status-callback-completed.form', import.meta.url));
  const params = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  const request = (body: Buffer, headers: Record<string, string>, at = url): WebhookRequest => ({
    method: 'POST',
    url: at,
    path: '/webhooks/twilio/voice',
    headers,
    query: {},
    rawBody: body,
  });
  const verify = (req: WebhookRequest) =>
    twilio.webhooks!.verify(req, { config: {} as TwilioConfig, credentials, nowMs: Date.now() });

  it('accepts a callback signed over the URL and the sorted form parameters', () => {
    expect(() => verify(request(raw, signTwilio({ authToken, url, params })))).not.toThrow();
  });

  it('refuses tampered parameters, another URL, a missing header and another token', () => {
    const headers = signTwilio({ authToken, url, params });
    const tampered = Buffer.from(raw.toString('utf8').replace('CallDuration=15', 'CallDuration=16'));
    expect(() => verify(request(tampered, headers))).toThrow(WebhookVerificationError);
    expect(() => verify(request(raw, headers, 'https://hub.example/webhooks/twilio/voice'))).toThrow(
      WebhookVerificationError,
    );
    expect(() => verify(request(raw, {}))).toThrow(WebhookVerificationError);
    const other = signTwilio({ authToken: 'x'.repeat(32), url, params });
    expect(() => verify(request(raw, other))).toThrow(WebhookVerificationError);
  });

  it('gives a replayed callback the same event id, and a new status a new one', () => {
    const req = request(raw, signTwilio({ authToken, url, params }));
    const [a] = twilio.webhooks!.parse(req, { config: {} as TwilioConfig });
    const [b] = twilio.webhooks!.parse(req, { config: {} as TwilioConfig });
    expect(a).toEqual(b);
    expect(a?.id).toBe('CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:completed');
    const ringing = Buffer.from(raw.toString('utf8').replace('CallStatus=completed', 'CallStatus=ringing'));
    const [c] = twilio.webhooks!.parse(request(ringing, {}), { config: {} as TwilioConfig });
    expect(c?.id).toBe('CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:ringing');
    expect(() =>
      twilio.webhooks!.parse(request(Buffer.from('CallStatus=completed'), {}), {
        config: {} as TwilioConfig,
      }),
    ).toThrow();
  });

  it('a simulator-sent callback verifies at the URL it was sent to and maps through the API', async () => {
    const sim = await startSimulator({ population });
    const ctx = contextFor(sim);
    const express = (await import('express')).default;
    const received: WebhookRequest[] = [];
    const app = express();
    app.use(express.raw({ type: '*/*' }));
    app.post('/hook', (req, res) => {
      received.push(request(req.body as Buffer, req.headers as Record<string, string>, `${hookUrl}`));
      res.status(204).end();
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const hookUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
    try {
      const call = sim.calls().find((c) => c.status === 'in-progress')!;
      sim.updateCall(call.sid, 'completed', 61);
      await sim.sendStatusCallback(call.sid, hookUrl);
      const req = received[0]!;
      expect(() =>
        twilio.webhooks!.verify(req, { config: ctx.config, credentials: sim.credentials, nowMs: Date.now() }),
      ).not.toThrow();
      const [event] = twilio.webhooks!.parse(req, { config: ctx.config });
      expect(event?.id).toBe(`${call.sid}:completed`);
      const batch = await twilio.webhooks!.map(event!, ctx);
      expect(batch.interactions?.[0]).toMatchObject({
        externalId: call.sid,
        attributes: { status: 'completed', duration: 61 },
      });
    } finally {
      server.close();
      ctx.http.close();
      await sim.close();
    }
  });
});

describe('twilio call mapping (fixtures)', () => {
  const fixture = (name: string) =>
    JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as TwilioCall;

  it('maps an inbound completed call to the caller with duration and status', () => {
    const [i] = mapCall(fixture('call-inbound-completed')).interactions!;
    expect(i).toEqual({
      externalId: 'CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      occurredAt: new Date('2010-08-31T20:36:29Z'),
      channel: 'voice',
      direction: 'inbound',
      kind: 'call',
      summary: 'Inbound call, completed, 15s',
      updatedAt: new Date('2010-08-31T20:36:44Z'),
      person: { identifiers: [{ kind: 'phone', value: '+14155550199' }] },
      attributes: {
        status: 'completed',
        duration: 15,
        twilioDirection: 'inbound',
        from: '+14155550199',
        to: '+448081570000',
        endedAt: '2010-08-31T20:36:44.000Z',
      },
    });
  });

  it('maps an outbound-api call to the callee', () => {
    const [i] = mapCall(fixture('call-outbound-api-no-answer')).interactions!;
    expect(i).toMatchObject({
      direction: 'outbound',
      summary: 'Outbound call, no-answer, 0s',
      person: { identifiers: [{ kind: 'phone', value: '+447700900123' }] },
      attributes: { status: 'no-answer', duration: 0 },
    });
  });

  it('leaves a withheld caller id without a person, and an open call without a duration', () => {
    const [i] = mapCall(fixture('call-inbound-withheld')).interactions!;
    expect(i?.person).toBeUndefined();
    expect(i?.summary).toBe('Inbound call, in-progress');
    expect(i?.attributes).toMatchObject({ duration: null, endedAt: null });
  });
});
