import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signStripe, verifyStripe, WebhookVerificationError } from '../connector-kit/webhooks/index.js';
import { startSimulator, type RunningSimulator } from './simulator.server.js';
import { apiKey, basic, bearer } from './auth.middleware.js';
import { pageByCursor, pageStartingAfter, linkHeader, withQuery, parseLinkHeader } from './paging.util.js';
import { MemoryStore } from './memory.store.js';
import { sendWebhook } from './webhook.sender.js';

const TOKEN_A = 'tok_alpha';
const TOKEN_B = 'tok_beta';

describe('simulator kit over real HTTP', () => {
  let sim: RunningSimulator;
  let clockMs = 1_700_000_000_000;
  const items = new MemoryStore<{ name: string }>({ idPrefix: 'it_', now: () => clockMs });
  for (let i = 0; i < 12; i++) items.create({ name: `item ${i}` });

  beforeAll(async () => {
    sim = await startSimulator({
      name: 'widgets',
      auth: {
        schemes: bearer([TOKEN_A, TOKEN_B]),
        except: ['/oauth/token'],
        unauthorized: ({ res, reason }) =>
          res.status(401).json([{ errorCode: 'INVALID_SESSION_ID', reason }]),
      },
      throttle: {
        capacity: 5,
        refillPerSecond: 1,
        now: () => clockMs,
        headers: (s) => ({ 'X-RateLimit-Remaining': String(s.remaining) }),
        respond: (ctx) =>
          ctx.res
            .status(ctx.forced ? 429 : 403)
            .set('Retry-After', String(Math.ceil(ctx.retryAfterSeconds)))
            .json([{ errorCode: 'REQUEST_LIMIT_EXCEEDED', forced: ctx.forced }]),
      },
      routes: (app, kit) => {
        app.post('/oauth/token', (_req, res) => {
          res.json({ access_token: TOKEN_A });
        });
        app.get('/v1/items', (req, res) => {
          const page = pageStartingAfter(items.list(), {
            limit: Number(req.query['limit'] ?? 5),
            startingAfter:
              typeof req.query['starting_after'] === 'string' ? req.query['starting_after'] : undefined,
          });
          const last = page.data.at(-1);
          if (page.has_more && last)
            res.set(
              'Link',
              linkHeader({ next: withQuery(`${kit.url}${req.originalUrl}`, { starting_after: last.id }) }),
            );
          res.json({ object: 'list', ...page });
        });
        app.get('/v1/items/:id', (req, res) => {
          const row = items.get(req.params.id);
          if (!row) res.status(404).json({ error: 'no such item' });
          else res.json(row);
        });
      },
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  const get = (path: string, token: string | null = TOKEN_A): Promise<Response> =>
    fetch(`${sim.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const fresh = (): void => {
    clockMs += 60_000; // refills every bucket
    sim.throttle.reset();
    sim.faults.clear();
    sim.stats.reset();
  };

  it('refuses missing and wrong credentials with the vendor-shaped 401, and leaves public paths open', async () => {
    fresh();
    const missing = await get('/v1/items', null);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual([{ errorCode: 'INVALID_SESSION_ID', reason: 'missing' }]);
    const wrong = await get('/v1/items', 'tok_wrong');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual([{ errorCode: 'INVALID_SESSION_ID', reason: 'invalid' }]);
    const token = await fetch(`${sim.url}/oauth/token`, { method: 'POST' });
    expect(await token.json()).toEqual({ access_token: TOKEN_A });
    expect(sim.stats.count({ credential: 'tok_wrong' })).toBe(1);
  });

  it('pages to the end following Link headers', async () => {
    fresh();
    const ids: string[] = [];
    let url: string | undefined = `${sim.url}/v1/items?limit=5`;
    while (url) {
      const res: Response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN_A}` } });
      const body = (await res.json()) as { data: { id: string }[] };
      ids.push(...body.data.map((d) => d.id));
      url = parseLinkHeader(res.headers.get('link')).next;
    }
    expect(ids).toEqual(items.list().map((i) => i.id));
    expect(sim.stats.count({ route: '/v1/items' })).toBe(3);
    expect(sim.stats.byRoute()).toEqual({ 'GET /v1/items': 3 });
  });

  it('throttles per credential with the vendor hook, and refills with time', async () => {
    fresh();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await get('/v1/items/it_000001')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 403]);
    const refused = await get('/v1/items/it_000001');
    expect(await refused.json()).toEqual([{ errorCode: 'REQUEST_LIMIT_EXCEEDED', forced: false }]);
    expect(refused.headers.get('retry-after')).toBe('1');
    // another credential has its own bucket
    const other = await get('/v1/items/it_000001', TOKEN_B);
    expect(other.status).toBe(200);
    expect(other.headers.get('x-ratelimit-remaining')).toBe('4');
    clockMs += 2_000;
    expect((await get('/v1/items/it_000001')).status).toBe(200);
    expect(sim.stats.byCredential()).toEqual({ [TOKEN_A]: 8, [TOKEN_B]: 1 });
  });

  it('throttleNext answers a burst through the same hook with the given Retry-After', async () => {
    fresh();
    sim.faults.throttleNext(2, { retryAfterSeconds: 7 });
    const a = await get('/v1/items');
    const b = await get('/v1/items');
    const c = await get('/v1/items');
    expect([a.status, b.status, c.status]).toEqual([429, 429, 200]);
    expect(a.headers.get('retry-after')).toBe('7');
    expect(await a.json()).toEqual([{ errorCode: 'REQUEST_LIMIT_EXCEEDED', forced: true }]);
  });

  it('fails only the matching path, then recovers', async () => {
    fresh();
    sim.faults.failNext(2, 503, { path: '/v1/items/:id' });
    expect((await get('/v1/items')).status).toBe(200);
    expect((await get('/v1/items/it_000002')).status).toBe(503);
    expect((await get('/v1/items/it_000002')).status).toBe(503);
    const ok = await get('/v1/items/it_000002');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { name: string }).name).toBe('item 1');
    expect(sim.faults.pending()).toBe(0);
    expect(sim.stats.filter({ path: '/v1/items/:id' }).map((r) => [r.status, r.fault])).toEqual([
      [503, 'fail'],
      [503, 'fail'],
      [200, null],
    ]);
  });

  it('serves a malformed body, and a delayed request still answers', async () => {
    fresh();
    sim.faults.malformedNext(1).delayNext(1, 20);
    const bad = await get('/v1/items/it_000003');
    expect(bad.status).toBe(200);
    const text = await bad.text();
    expect(() => JSON.parse(text)).toThrow();
    const slow = await get('/v1/items/it_000003');
    expect(slow.status).toBe(200);
    expect(await slow.json()).toMatchObject({ id: 'it_000003' });
    expect(sim.stats.requests.map((r) => r.fault)).toEqual(['malformed', 'delay']);
  });

  it('holds a latency answer until its time from arrival, and answers in full', async () => {
    fresh();
    sim.faults.latencyNext(1, 80);
    const t = performance.now();
    const slow = await get('/v1/items/it_000004');
    const elapsed = performance.now() - t;
    expect(slow.status).toBe(200);
    expect(await slow.json()).toMatchObject({ id: 'it_000004' });
    expect(elapsed).toBeGreaterThanOrEqual(79);
    // only the next request: the one after is answered at once
    const t2 = performance.now();
    expect((await get('/v1/items/it_000004')).status).toBe(200);
    expect(performance.now() - t2).toBeLessThan(79);
    expect(sim.stats.requests.map((r) => r.fault)).toEqual(['latency', null]);
  });

  it('answers unknown paths with a JSON 404', async () => {
    fresh();
    const res = await get('/v9/nothing');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found' });
  });
});

describe('hangNext and close', () => {
  it('never answers a hung request, and close() drops it', async () => {
    const sim = await startSimulator({
      name: 'hang',
      routes: (app) => app.get('/ping', (_req, res) => res.json({ ok: true })),
    });
    sim.faults.hangNext(1, { path: '/ping' });
    const pending = fetch(`${sim.url}/ping`).then(
      (r) => `answered ${r.status}`,
      () => 'dropped',
    );
    // wait until the server has the request, then check it is still open
    while (sim.stats.count() === 0) await new Promise((r) => setImmediate(r));
    expect(sim.stats.requests[0]?.status).toBeNull();
    expect(sim.stats.requests[0]?.credential).toBe('anonymous');
    await sim.close();
    expect(await pending).toBe('dropped');
  });
});

describe('sendWebhook', () => {
  it('delivers a signed event whose exact bytes verify on the receiving side', async () => {
    const secret = 'whsec_sim';
    const received: string[] = [];
    const hub = await startSimulator({
      name: 'hub',
      routes: (app) =>
        app.post('/webhooks/stripe', (req, res) => {
          try {
            verifyStripe({ payload: req.rawBody ?? '', headers: req.headers, secret });
            received.push((req.body as { id: string }).id);
            res.json({ received: true });
          } catch (e) {
            res.status(400).json({ reason: e instanceof WebhookVerificationError ? e.reason : 'unknown' });
          }
        }),
    });
    try {
      const good = await sendWebhook({
        url: `${hub.url}/webhooks/stripe`,
        body: { id: 'evt_1', type: 'customer.created', data: { object: { name: 'Zoë' } } },
        sign: (raw) => signStripe({ payload: raw, secret }),
      });
      expect(good.status).toBe(200);
      const forged = await sendWebhook({
        url: `${hub.url}/webhooks/stripe`,
        body: { id: 'evt_2' },
        sign: (raw) => signStripe({ payload: raw, secret: 'whsec_wrong' }),
      });
      expect(forged.status).toBe(400);
      expect(JSON.parse(forged.text)).toEqual({ reason: 'bad_signature' });
      expect(received).toEqual(['evt_1']);
    } finally {
      await hub.close();
    }
  });
});

describe('basic and api-key schemes', () => {
  it('accepts either scheme, counts each credential, takes runtime-issued keys, and answers bad cursors with 400', async () => {
    const keys = new Set(['EAAB-page-token']);
    const sim = await startSimulator({
      name: 'multi-auth',
      auth: { schemes: [basic({ api_key_1: 'x' }), apiKey({ query: 'access_token', keys })] },
      routes: (app) =>
        app.get('/things', (req, res) => {
          const cursor = typeof req.query['cursor'] === 'string' ? req.query['cursor'] : undefined;
          res.json(pageByCursor([{ id: 'a' }, { id: 'b' }], { limit: 1, cursor }));
        }),
    });
    try {
      const basicHeader = (user: string, pass: string): Record<string, string> => ({
        authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
      });
      expect((await fetch(`${sim.url}/things`, { headers: basicHeader('api_key_1', 'x') })).status).toBe(200);
      const wrong = await fetch(`${sim.url}/things`, { headers: basicHeader('api_key_1', 'y') });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/);
      expect((await fetch(`${sim.url}/things?access_token=EAAB-page-token`)).status).toBe(200);
      expect((await fetch(`${sim.url}/things?access_token=EAAB-new`)).status).toBe(401);
      keys.add('EAAB-new');
      expect((await fetch(`${sim.url}/things?access_token=EAAB-new`)).status).toBe(200);
      const bad = await fetch(`${sim.url}/things?access_token=EAAB-new&cursor=!!garbage`);
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: 'invalid_request' });
      expect(sim.stats.byCredential()).toEqual({ api_key_1: 2, 'EAAB-page-token': 1, 'EAAB-new': 3 });
    } finally {
      await sim.close();
    }
  });
});
