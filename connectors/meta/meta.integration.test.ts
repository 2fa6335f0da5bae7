import { pino } from 'pino';
import {
  createHttpClient,
  InMemoryTokenStore,
  WebhookVerificationError,
  type CanonicalBatch,
  type ConnectorContext,
  type HttpClient,
  type StreamDefinition,
  type WebhookRequest,
} from '../../src/connector-kit/index.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import meta from './index.js';
import { metaConfigSchema, type MetaConfig } from './config.js';
import { startSimulator, type MetaSimulator } from './simulator.js';

const population = generatePopulation({ seed: 'meta-tests', people: 200, employees: 10 });
let sim: MetaSimulator;
let http: HttpClient;
let ctx: ConnectorContext<MetaConfig>;
let n = 0;

beforeEach(async () => {
  sim = await startSimulator({ population });
  const config = metaConfigSchema.parse({ ...sim.config, pageSize: 10 });
  const instanceId = `meta-test-${++n}`;
  http = createHttpClient({
    connectorId: 'meta',
    instanceId,
    baseURL: sim.url,
    auth: meta.auth({
      config,
      credentials: sim.credentials,
      tokenStore: new InMemoryTokenStore(),
      instanceId,
    }),
    classify: meta.classify!,
    backoff: { baseMs: 10, capMs: 50 },
  });
  ctx = { instanceId, http, log: pino({ level: 'silent' }), config, credentials: sim.credentials };
});
afterEach(async () => {
  http.close();
  await sim.close();
});

const stream = (name: string) =>
  meta.streams.find((s) => s.name === name)! as StreamDefinition<MetaConfig, unknown, unknown>;
async function drain(name: string, cursor: unknown) {
  const batches: CanonicalBatch[] = [];
  let pages = 0;
  for (;;) {
    const page = await stream(name).fetchPage(ctx, cursor);
    pages++;
    for (const item of page.items) batches.push(stream(name).map(item, ctx));
    cursor = page.nextCursor;
    if (page.done) return { batches, cursor, pages };
  }
}
const ids = (bs: CanonicalBatch[]) =>
  bs
    .flatMap((b) => b.interactions ?? [])
    .map((i) => i.externalId)
    .sort();

describe('meta connector against the simulator', () => {
  test('a full sync of Messenger and Instagram conversations maps every message, scoped ids and reply windows', async () => {
    for (const [name, platform] of [
      ['messenger_conversations', 'messenger'],
      ['instagram_conversations', 'instagram'],
    ] as const) {
      const run = await drain(name, null);
      expect(run.pages).toBeGreaterThan(1);
      expect(ids(run.batches)).toEqual(
        sim
          .conversations(platform)
          .flatMap((c) => c.messages.map((m) => m.id))
          .sort(),
      );
      const scope =
        platform === 'messenger'
          ? `facebook:page:${String(sim.config['pageId'])}`
          : `instagram:business:${String(sim.config['instagramBusinessId'])}`;
      for (const b of run.batches) {
        const person = b.people![0]!;
        expect(person.identifiers).toEqual([
          { kind: 'social', namespace: scope, value: person.externalId.split(':')[1] },
        ]);
        const inbound = b.interactions!.filter((i) => i.direction === 'inbound');
        const last = inbound
          .map((i) => Date.parse(String(i.occurredAt)))
          .sort((a, c) => a - c)
          .at(-1)!;
        const conv = b.interactions![0]!.conversation!;
        expect(conv.replyWindowEndsAt).toBe(new Date(last + 86_400_000).toISOString());
        expect(b.interactions![0]!.attributes!['humanAgentWindowEndsAt']).toBe(
          new Date(last + 7 * 86_400_000).toISOString(),
        );
        for (const i of inbound) expect(typeof i.sentiment).toBe('number');
      }
    }
    // long Instagram threads were fetched through the nested messages edge
    expect(sim.kit.stats.count({ route: '/:version/:conversationId/messages' })).toBeGreaterThan(0);
  });

  test('resuming from the watermark brings exactly the conversations that changed or were created', async () => {
    const first = await drain('messenger_conversations', null);
    const existing = sim.conversations('messenger')[3]!;
    const reply = sim.addMessage(existing.id, true, 'Still waiting, this is awful');
    const created = sim.addConversation(
      'messenger',
      { id: '7000000000000001', name: 'New Person' },
      'Hello, thanks!',
    );
    const second = await drain('messenger_conversations', first.cursor);
    const convs = second.batches
      .map((b) => String(b.interactions![0]!.attributes!['graphConversationId']))
      .sort();
    expect(convs).toEqual([existing.id, created.id].sort());
    expect(ids(second.batches)).toContain(reply.id);
    const replyOut = second.batches.flatMap((b) => b.interactions!).find((i) => i.externalId === reply.id)!;
    expect(replyOut.sentiment).toBeLessThan(0);
    expect(replyOut.conversation!.replyWindowEndsAt).toBe(
      new Date(Date.parse(String(replyOut.occurredAt)) + 86_400_000).toISOString(),
    );
    expect((await drain('messenger_conversations', second.cursor)).batches).toEqual([]);
  });

  test.each([613, 4, 32, 80006])(
    'a Graph throttle (code %i in a 400/403 body, X-App-Usage at 100) is backed off and retried',
    async (code) => {
      sim.throttleCode = code;
      sim.kit.faults.throttleNext(1, { path: '/:version/:pageId/conversations' });
      const run = await drain('messenger_conversations', null);
      expect(ids(run.batches)).toEqual(
        sim
          .conversations('messenger')
          .flatMap((c) => c.messages.map((m) => m.id))
          .sort(),
      );
      const refused = sim.kit.stats
        .filter({ path: '/:version/:pageId/conversations' })
        .filter((r) => r.fault === 'throttle');
      expect(refused).toHaveLength(1);
      expect([400, 403]).toContain(refused[0]!.status);
      expect(http.metrics().retries).toBeGreaterThanOrEqual(1);
    },
  );

  test('a wrong appsecret_proof or token is a fatal Graph error, not retried', async () => {
    await expect(
      stream('messenger_conversations').fetchPage(
        { ...ctx, credentials: { ...ctx.credentials, appSecret: 'wrong' } },
        null,
      ),
    ).rejects.toMatchObject({ http: { status: 400 } });
  });
});

describe('meta webhooks', () => {
  const req = (
    body: string,
    headers: Record<string, string>,
    method = 'POST',
    query: Record<string, string> = {},
  ): WebhookRequest => ({
    method,
    url: 'https://hub.example/webhooks/meta',
    path: '/webhooks/meta',
    headers,
    query,
    rawBody: Buffer.from(body),
  });
  const wctx = () => ({
    config: metaConfigSchema.parse(sim.config),
    credentials: sim.credentials,
    nowMs: Date.now(),
  });

  test('the hub.challenge handshake echoes the challenge for the right verify token and answers 403 otherwise', () => {
    const q = {
      'hub.mode': 'subscribe',
      'hub.verify_token': 'sim-verify-token',
      'hub.challenge': '1158201444',
    };
    expect(meta.webhooks!.handshake!(req('', {}, 'GET', q), wctx())).toEqual({
      status: 200,
      body: '1158201444',
      contentType: 'text/plain',
    });
    expect(
      meta.webhooks!.handshake!(req('', {}, 'GET', { ...q, 'hub.verify_token': 'nope' }), wctx())!.status,
    ).toBe(403);
  });

  test('signed deliveries verify and map into the same conversation key as polling; tampered and stale are refused', async () => {
    const conv = sim.conversations('messenger')[0]!;
    const good = sim.messagingDelivery('messenger', conv.user.id, 'thank you, great');
    expect(() => meta.webhooks!.verify(req(good.body, good.headers), wctx())).not.toThrow();
    const events = meta.webhooks!.parse(req(good.body, good.headers), { config: wctx().config });
    expect(events.map((e) => e.id)).toEqual([JSON.parse(good.body).entry[0].messaging[0].message.mid]);
    const mapped = await meta.webhooks!.map(events[0]!, ctx);
    const polled = (await drain('messenger_conversations', null)).batches.find(
      (b) => b.interactions![0]!.attributes!['graphConversationId'] === conv.id,
    )!;
    expect(mapped.interactions![0]!.conversation!.externalId).toBe(
      polled.interactions![0]!.conversation!.externalId,
    );
    expect(mapped.interactions![0]).toMatchObject({
      direction: 'inbound',
      channel: 'social_private',
      kind: 'message',
    });
    expect(mapped.people![0]!.identifiers).toEqual(polled.people![0]!.identifiers);

    expect(() =>
      meta.webhooks!.verify(req(good.body.replace('great', 'awful'), good.headers), wctx()),
    ).toThrow(WebhookVerificationError);
    const stale = sim.messagingDelivery('instagram', '123', 'hi', new Date(Date.now() - 48 * 3600_000));
    expect(() => meta.webhooks!.verify(req(stale.body, stale.headers), wctx())).toThrow(
      expect.objectContaining({ reason: 'stale' }),
    );
  });
});
