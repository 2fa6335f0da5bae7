import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import {
  createHttpClient,
  InMemoryTokenStore,
  WebhookVerificationError,
  xCrcResponseToken,
  type CanonicalBatch,
  type ConnectorContext,
  type HttpClient,
  type StreamDefinition,
  type WebhookRequest,
} from '../../src/connector-kit/index.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import x from './index.js';
import { xConfigSchema, type XConfig } from './config.js';
import { startSimulator, type XSimulator } from './simulator.js';

const population = generatePopulation({ seed: 'x-tests', people: 150, employees: 10 });
let sim: XSimulator;
let http: HttpClient;
let ctx: ConnectorContext<XConfig>;
let n = 0;

function makeCtx(): ConnectorContext<XConfig> {
  // small pages so every sync crosses several pagination tokens
  const config = xConfigSchema.parse({ ...sim.config, maxResults: 10 });
  const instanceId = `x-test-${++n}`;
  http = createHttpClient({
    connectorId: 'x',
    instanceId,
    baseURL: sim.url,
    auth: x.auth({ config, credentials: sim.credentials, tokenStore: new InMemoryTokenStore(), instanceId }),
    ...(x.classify ? { classify: x.classify } : {}),
    backoff: { baseMs: 10, capMs: 50 },
  });
  return { instanceId, http, log: pino({ level: 'silent' }), config, credentials: sim.credentials };
}

async function drain<C>(stream: StreamDefinition<XConfig, unknown, C>, cursor: C | null) {
  const batches: CanonicalBatch[] = [];
  let pages = 0;
  for (;;) {
    const page = await stream.fetchPage(ctx, cursor);
    pages++;
    for (const item of page.items) batches.push(stream.map(item, ctx));
    cursor = page.nextCursor;
    if (page.done) return { batches, cursor, pages };
  }
}
const stream = (name: string) => x.streams.find((s) => s.name === name)!;
const interactionIds = (bs: CanonicalBatch[]) =>
  bs
    .flatMap((b) => b.interactions ?? [])
    .map((i) => i.externalId)
    .sort();

beforeEach(async () => {
  sim = await startSimulator({ population });
  ctx = makeCtx();
});
afterEach(async () => {
  http.close();
  await sim.close();
});

describe('x connector against the simulator', () => {
  test('a full sync of mentions and DMs maps exactly the simulator data, authors and senders included', async () => {
    const m = await drain(stream('mentions'), null);
    expect(m.pages).toBeGreaterThan(2);
    expect(interactionIds(m.batches)).toEqual(
      sim
        .mentions()
        .map((p) => `post:${p.id}`)
        .sort(),
    );
    const mention = m.batches[0]!.interactions![0]!;
    expect(mention).toMatchObject({ channel: 'social_public', kind: 'post', direction: 'inbound' });
    expect(mention.sentiment).toBeGreaterThanOrEqual(-1);
    const author = m.batches[0]!.people![0]!;
    expect(author.identifiers).toEqual([
      { kind: 'social', namespace: 'x', value: author.externalId },
      { kind: 'social', namespace: 'x:handle', value: sim.users.get(author.externalId)!.username },
    ]);
    expect(author.traits?.xHandle).toBe(sim.users.get(author.externalId)!.username);

    const d = await drain(stream('direct_messages'), null);
    expect(interactionIds(d.batches)).toEqual(
      sim
        .dmEvents()
        .map((e) => `dm:${e.id}`)
        .sort(),
    );
    const all = d.batches.flatMap((b) => b.interactions ?? []);
    const brand = String(sim.config['userId']);
    for (const i of all) {
      const ev = sim.dmEvents().find((e) => `dm:${e.id}` === i.externalId)!;
      expect(i.direction).toBe(ev.sender_id === brand ? 'outbound' : 'inbound');
      expect(i.conversation?.externalId).toBe(ev.dm_conversation_id);
      expect((i.person as { externalId: string }).externalId).not.toBe(brand);
      expect(i.sentiment === null).toBe(i.direction === 'outbound');
    }
  });

  test('resuming from the saved cursors brings exactly the new mentions and DMs (since_id / stop at last id)', async () => {
    const m1 = await drain(stream('mentions'), null);
    const d1 = await drain(stream('direct_messages'), null);
    const someone = [...sim.users.values()].find((u) => u.id !== sim.config['userId'])!;
    sim.renameUser(someone.id, 'renamed_handle');
    const old = sim.mentions()[0]!;
    sim.deleteMention(old.id); // X gives no deletion signal on this endpoint: nothing comes through
    const p1 = sim.addMention(someone.id, '@TouchpointDemo great, thanks!');
    const p2 = sim.addMention(someone.id, '@TouchpointDemo this is awful');
    const dm = sim.addDm(someone.id, String(sim.config['userId']), 'hello there');
    const m2 = await drain(stream('mentions'), m1.cursor);
    expect(interactionIds(m2.batches)).toEqual([`post:${p1.id}`, `post:${p2.id}`].sort());
    expect(m2.batches[0]!.people![0]!.traits?.xHandle).toBe('renamed_handle');
    expect(m2.batches[0]!.people![0]!.externalId).toBe(someone.id);
    const sentiments = Object.fromEntries(
      m2.batches.map((b) => [b.interactions![0]!.externalId, b.interactions![0]!.sentiment!]),
    );
    expect(sentiments[`post:${p1.id}`]).toBeGreaterThan(0);
    expect(sentiments[`post:${p2.id}`]).toBeLessThan(0);
    const d2 = await drain(stream('direct_messages'), d1.cursor);
    expect(interactionIds(d2.batches)).toEqual([`dm:${dm.id}`]);
    // and nothing more on the run after
    expect((await drain(stream('mentions'), m2.cursor)).batches).toEqual([]);
    expect((await drain(stream('direct_messages'), d2.cursor)).batches).toEqual([]);
    const since = sim.requests.filter((r) => r.path.endsWith('/mentions')).at(-1)!.query['since_id'];
    expect(since).toBe(p2.id);
  });

  test('a 429 with x-rate-limit-reset in the middle of a sync is waited out and the sync completes', async () => {
    sim.kit.faults.throttleNext(1, { path: '/2/users/:id/mentions', retryAfterSeconds: 1 });
    const m = await drain(stream('mentions'), null);
    expect(interactionIds(m.batches)).toEqual(
      sim
        .mentions()
        .map((p) => `post:${p.id}`)
        .sort(),
    );
    expect(sim.kit.stats.count({ status: 429 })).toBe(1);
    expect(http.metrics().rateLimitWaits).toBeGreaterThanOrEqual(1);
  });

  test('an expired user token is refreshed once (rotated refresh token) and the DM page still arrives', async () => {
    await stream('direct_messages').fetchPage(ctx, null);
    sim.expireAccessTokens();
    const page = await stream('direct_messages').fetchPage(ctx, null);
    expect(page.items.length).toBeGreaterThan(0);
    expect(sim.kit.stats.count({ path: '/2/oauth2/token', status: 200 })).toBe(2);
  });

  test('DMs are refused to an app-only bearer token, as X does; the connector then skips the stream', async () => {
    const creds = { ...sim.credentials };
    delete (creds as Record<string, string>)['refreshToken'];
    const config = xConfigSchema.parse(sim.config);
    const appHttp = createHttpClient({
      connectorId: 'x',
      instanceId: 'x-app-only',
      baseURL: sim.url,
      auth: x.auth({
        config,
        credentials: creds,
        tokenStore: new InMemoryTokenStore(),
        instanceId: 'x-app-only',
      }),
    });
    await expect(appHttp.get('/2/dm_events')).rejects.toMatchObject({ http: { status: 403 } });
    const page = await stream('direct_messages').fetchPage(
      { ...ctx, http: appHttp, credentials: creds },
      null,
    );
    expect(page).toEqual({ items: [], nextCursor: null, done: true });
    const m = await stream('mentions').fetchPage({ ...ctx, http: appHttp, credentials: creds }, null);
    expect(m.items.length).toBeGreaterThan(0);
    appHttp.close();
  });

  test("every request the connector made exists in X's OpenAPI document, with declared query params and enum values", async () => {
    await drain(stream('mentions'), null);
    await drain(stream('direct_messages'), null);
    const spec = JSON.parse(readFileSync('/work/shared/specs/x/openapi.json', 'utf8')) as {
      paths: Record<string, Record<string, { parameters?: ({ $ref: string } | Param)[] }>>;
      components: { parameters: Record<string, Param> };
    };
    interface Param {
      name: string;
      in: string;
      schema?: { type?: string; items?: { enum?: string[] }; minimum?: number; maximum?: number };
    }
    const apiCalls = sim.requests.filter((r) => r.path.startsWith('/2/') && r.path !== '/2/oauth2/token');
    expect(apiCalls.length).toBeGreaterThan(2);
    for (const call of apiCalls) {
      const template = Object.keys(spec.paths).find((t) =>
        new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(call.path),
      );
      expect(template).toBeDefined();
      const op = spec.paths[template!]![call.method.toLowerCase()];
      expect(op).toBeDefined();
      const params = (op!.parameters ?? [])
        .map((p) => ('$ref' in p ? spec.components.parameters[p.$ref.split('/').pop()!]! : p))
        .filter((p) => p.in === 'query');
      for (const [name, value] of Object.entries(call.query)) {
        const declared = params.find((p) => p.name === name);
        expect({ name, declared: declared !== undefined }).toEqual({ name, declared: true });
        const allowed = declared!.schema?.items?.enum;
        if (declared!.schema?.type === 'array' && allowed)
          for (const v of value.split(',')) expect(allowed).toContain(v);
        if (declared!.schema?.type === 'integer') {
          expect(Number(value)).toBeGreaterThanOrEqual(declared!.schema.minimum ?? -Infinity);
          expect(Number(value)).toBeLessThanOrEqual(declared!.schema.maximum ?? Infinity);
        }
      }
    }
  });
});

describe('x Account Activity webhooks', () => {
  const req = (
    body: string,
    headers: Record<string, string>,
    method = 'POST',
    query: Record<string, string> = {},
  ): WebhookRequest => ({
    method,
    url: 'https://hub.example/webhooks/x',
    path: '/webhooks/x',
    headers,
    query,
    rawBody: Buffer.from(body),
  });
  const wctx = () => ({
    config: xConfigSchema.parse(sim.config),
    credentials: sim.credentials,
    nowMs: Date.now(),
  });

  test('the CRC challenge is answered with sha256= base64 HMAC of crc_token under the consumer secret', () => {
    const out = x.webhooks!.handshake!(req('', {}, 'GET', { crc_token: 'challenge-123' }), wctx());
    expect(out).toEqual({
      status: 200,
      body: { response_token: xCrcResponseToken('challenge-123', sim.credentials['consumerSecret']!) },
    });
    expect((out!.body as { response_token: string }).response_token).toMatch(/^sha256=[A-Za-z0-9+/]+=*$/);
    expect(x.webhooks!.handshake!(req('{}', {}, 'POST'), wctx())).toBeNull();
  });

  test('good deliveries verify and parse into stable ids that match the polled ids; tampered and stale ones are refused', async () => {
    const author = [...sim.users.values()].find((u) => u.id !== sim.config['userId'])!;
    const good = sim.accountActivity('mention', { authorId: author.id, text: '@TouchpointDemo love it' });
    expect(() => x.webhooks!.verify(req(good.body, good.headers), wctx())).not.toThrow();
    const events = x.webhooks!.parse(req(good.body, good.headers), { config: wctx().config });
    expect(events).toHaveLength(1);
    expect(events[0]!.id).toMatch(/^post:\d+$/);
    expect(x.webhooks!.parse(req(good.body, good.headers), { config: wctx().config })[0]!.id).toBe(
      events[0]!.id,
    );
    const mapped = await x.webhooks!.map(events[0]!, ctx);
    expect(mapped.interactions![0]).toMatchObject({
      externalId: events[0]!.id,
      channel: 'social_public',
      kind: 'post',
      direction: 'inbound',
    });
    expect(mapped.interactions![0]!.sentiment).toBeGreaterThan(0);
    expect(mapped.people![0]!.identifiers).toEqual([
      { kind: 'social', namespace: 'x', value: author.id },
      { kind: 'social', namespace: 'x:handle', value: author.username },
    ]);

    const tampered = good.body.replace('love it', 'hate it');
    expect(() => x.webhooks!.verify(req(tampered, good.headers), wctx())).toThrow(WebhookVerificationError);
    expect(() => x.webhooks!.verify(req(good.body, {}), wctx())).toThrow(
      expect.objectContaining({ reason: 'missing_signature' }),
    );
    const stale = sim.accountActivity('dm', {
      authorId: author.id,
      text: 'hi',
      at: new Date(Date.now() - 2 * 3600_000),
    });
    expect(() => x.webhooks!.verify(req(stale.body, stale.headers), wctx())).toThrow(
      expect.objectContaining({ reason: 'stale' }),
    );
  });

  test('a DM delivery maps to the same conversation id and direction as the polled DM', async () => {
    const author = [...sim.users.values()].find((u) => u.id !== sim.config['userId'])!;
    const dm = sim.accountActivity('dm', { authorId: author.id, text: 'where is my parcel?' });
    x.webhooks!.verify(req(dm.body, dm.headers), wctx());
    const [event] = x.webhooks!.parse(req(dm.body, dm.headers), { config: wctx().config });
    const mapped = await x.webhooks!.map(event!, ctx);
    const brand = String(sim.config['userId']);
    const expected = BigInt(author.id) < BigInt(brand) ? `${author.id}-${brand}` : `${brand}-${author.id}`;
    expect(mapped.interactions![0]).toMatchObject({
      externalId: event!.id,
      direction: 'inbound',
      channel: 'social_private',
      kind: 'message',
      conversation: { externalId: expected },
    });
    expect(mapped.interactions![0]!.person).toEqual({ objectType: 'user', externalId: author.id });
  });
});
