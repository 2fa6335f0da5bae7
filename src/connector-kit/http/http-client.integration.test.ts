import { afterEach, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startFlakyUpstream, type FakeHandler, type FlakyUpstream } from './flaky-upstream.server.js';
import {
  basic,
  bearer,
  createHttpClient,
  getHttpMetrics,
  InMemoryTokenStore,
  oauth2,
  UpstreamError,
  type HttpClient,
  type HttpClientOptions,
} from './index.js';

const servers: FlakyUpstream[] = [];
const clients: HttpClient[] = [];
let seq = 0;

async function upstream(handler: FakeHandler): Promise<FlakyUpstream> {
  const s = await startFlakyUpstream(handler);
  servers.push(s);
  return s;
}

function client(server: FlakyUpstream, opts: Partial<HttpClientOptions> = {}): HttpClient {
  const c = createHttpClient({
    connectorId: 'acme',
    instanceId: `acme-${++seq}`,
    baseURL: server.url,
    backoff: { baseMs: 20, capMs: 100 },
    ...opts,
  });
  clients.push(c);
  return c;
}

async function failure(p: Promise<unknown>): Promise<UpstreamError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(UpstreamError);
    return err as UpstreamError;
  }
  throw new Error('expected the call to fail');
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('retries', () => {
  it('retries 5xx and returns the success that follows', async () => {
    const s = await upstream((_r, hit) =>
      hit < 3 ? { status: hit === 1 ? 502 : 503 } : { body: { ok: true } },
    );
    const c = client(s);
    const res = await c.get<{ ok: boolean }>('/things');
    expect(res.data).toEqual({ ok: true });
    expect(res.attempts).toBe(3);
    expect(s.requests).toHaveLength(3);
    expect(c.metrics()).toMatchObject({ requests: 1, attempts: 3, retries: 2, failures: {} });
  });

  it('never makes more than 3 attempts, whatever maxAttempts says', async () => {
    const s = await upstream(() => ({ status: 503 }));
    const err = await failure(
      client(s, { maxAttempts: 10, breaker: { volumeThreshold: 1000 } }).get('/always-down'),
    );
    expect(s.requests).toHaveLength(3);
    expect(err.code).toBe('UPSTREAM_HTTP_ERROR');
    expect(err.http).toEqual({ status: 503 });
    expect(err.message).toContain('acme/acme-');
    expect(err.message).toContain('GET /always-down');
  });

  it('does not retry a POST without an idempotency key', async () => {
    const s = await upstream(() => ({ status: 503 }));
    const err = await failure(client(s).post('/charges', { amount: 1 }));
    expect(s.requests).toHaveLength(1);
    expect(err.code).toBe('UPSTREAM_HTTP_ERROR');
  });

  it('retries a POST with an idempotency key, sending the same key each time', async () => {
    const s = await upstream((_r, hit) =>
      hit === 1 ? { status: 503 } : { status: 201, body: { id: 'ch_1' } },
    );
    const res = await client(s).post('/charges', { amount: 1 }, { idempotencyKey: 'key-123' });
    expect(res.status).toBe(201);
    expect(s.requests.map((r) => r.headers['idempotency-key'])).toEqual(['key-123', 'key-123']);
  });

  it('does not retry a 500 on a POST even with an idempotency key, but does on a GET', async () => {
    const s = await upstream((_r, hit) => (hit === 1 || hit === 2 ? { status: 500 } : { body: {} }));
    const c = client(s);
    expect((await failure(c.post('/x', {}, { idempotencyKey: 'k' }))).http).toEqual({ status: 500 });
    expect(s.requests).toHaveLength(1);
    await c.get('/x');
    expect(s.requests).toHaveLength(3);
  });

  it('does not retry other 4xx', async () => {
    const s = await upstream(() => ({ status: 404, body: { message: 'not found' } }));
    const err = await failure(client(s).get('/contacts/42'));
    expect(s.requests).toHaveLength(1);
    expect(err.code).toBe('UPSTREAM_HTTP_ERROR');
    expect(err.http?.status).toBe(404);
  });

  it('does not follow a redirect: the call fails naming the Location, which is never called', async () => {
    const s = await upstream((req) =>
      req.path === '/moved' ? { status: 302, headers: { location: '/elsewhere' } } : { body: { leaked: true } },
    );
    const err = await failure(client(s).get('/moved'));
    expect(err.code).toBe('UPSTREAM_HTTP_ERROR');
    expect(err.http?.status).toBe(302);
    expect(err.message).toMatch(/redirected \(HTTP 302\) to \/elsewhere; redirects are not followed/);
    expect(s.requests.map((r) => r.path)).toEqual(['/moved']);
  });

  it('reports a 403 as UPSTREAM_AUTH', async () => {
    const s = await upstream(() => ({ status: 403, body: [{ errorCode: 'INSUFFICIENT_ACCESS' }] }));
    expect((await failure(client(s).get('/secret'))).code).toBe('UPSTREAM_AUTH');
    expect(s.requests).toHaveLength(1);
  });
});

describe('timeouts and network errors', () => {
  it('reports a slow upstream as UPSTREAM_TIMEOUT within the call deadline', async () => {
    const s = await upstream(() => ({ delayMs: 1_500, body: {} }));
    const err = await failure(client(s, { timeoutMs: 300 }).get('/slow'));
    expect(err.code).toBe('UPSTREAM_TIMEOUT');
    expect(err.message).toMatch(/acme\/acme-\d+: GET \/slow timed out/);
  });

  it('retries an attempt that timed out when the deadline leaves room', async () => {
    const s = await upstream((_r, hit) =>
      hit === 1 ? { delayMs: 1_000, body: { late: true } } : { body: { late: false } },
    );
    const res = await client(s, { timeoutMs: 3_000, attemptTimeoutMs: 200 }).get<{ late: boolean }>(
      '/sometimes-slow',
    );
    expect(res.data.late).toBe(false);
    expect(res.attempts).toBe(2);
  });

  it('reports a refused connection as UPSTREAM_NETWORK', async () => {
    const s = await upstream(() => ({}));
    const c = client(s, { maxAttempts: 1 });
    await s.close();
    servers.splice(servers.indexOf(s), 1);
    expect((await failure(c.get('/gone'))).code).toBe('UPSTREAM_NETWORK');
  });
});

describe('rate limits', () => {
  it('after a 429 with Retry-After: 2 sends nothing to the instance for 2 s, for any caller', async () => {
    const s = await upstream((_r, hit) =>
      hit === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { body: { ok: true } },
    );
    const c = client(s);
    const first = c.get('/a');
    // Wait until the 429 has reached the client, then start other callers on the same instance.
    while (c.metrics().attempts < 1 || s.requests.length < 1) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    const others = [c.get('/b'), c.get('/c'), c.post('/d', {})];
    await Promise.all([first, ...others]);
    const limitedAt = s.requests[0]!.at;
    const later = s.requests.slice(1);
    expect(later).toHaveLength(4);
    for (const r of later) expect(r.at - limitedAt).toBeGreaterThanOrEqual(2_000);
    expect(c.metrics().rateLimitWaits).toBeGreaterThanOrEqual(1);
  });

  it('fails fast, saying when the limit resets, when the wait is longer than the deadline', async () => {
    const s = await upstream(() => ({ status: 429, headers: { 'retry-after': '30' } }));
    const c = client(s, { timeoutMs: 2_000 });
    const err = await failure(c.get('/a'));
    expect(err.code).toBe('UPSTREAM_RATE_LIMITED');
    expect(err.retryAfterMs).toBeGreaterThan(25_000);
    expect(err.message).toMatch(/resets at \d{4}-\d{2}-\d{2}T/);
    // The instance stays blocked: a second call fails without touching the network.
    const again = await failure(c.get('/b'));
    expect(again.code).toBe('UPSTREAM_RATE_LIMITED');
    expect(s.requests).toHaveLength(1);
  });

  it("treats Salesforce's 403 REQUEST_LIMIT_EXCEEDED as a rate limit", async () => {
    const s = await upstream(() => ({
      status: 403,
      body: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
    }));
    const err = await failure(client(s, { maxAttempts: 1 }).get('/services/data/v62.0/query'));
    expect(err.code).toBe('UPSTREAM_RATE_LIMITED');
    expect(err.http).toEqual({ status: 403 });
  });

  it('honours X-Rate-Limit-Reset (epoch seconds, as X sends it)', async () => {
    let resetAt = 0;
    const s = await upstream((_r, hit) => {
      if (hit > 1) return { body: {} };
      resetAt = Math.ceil(Date.now() / 1000) + 1;
      return { status: 429, headers: { 'x-rate-limit-reset': String(resetAt) } };
    });
    await client(s).get('/2/users/1/mentions');
    expect(s.requests[1]!.at).toBeGreaterThanOrEqual(resetAt * 1000);
  });

  it("lets a connector declare body-level limits: BambooHR's 200 carrying a 429 and Meta's code 4", async () => {
    const s = await upstream((r, hit) => {
      if (r.path === '/bamboo')
        return hit === 1 ? { status: 200, body: { status: 429 } } : { body: { employees: [] } };
      return { status: 400, body: { error: { code: 4, message: 'Application request limit reached' } } };
    });
    const c = client(s, {
      maxAttempts: 3,
      classify: (res) => {
        const body = res.data as { status?: number; error?: { code?: number } } | null;
        if (body?.status === 429) return { kind: 'rate_limited', retryAfterMs: 300 };
        if ([4, 17, 32, 613].includes(body?.error?.code ?? -1))
          return { kind: 'rate_limited', retryAfterMs: 60_000 };
        return undefined;
      },
      timeoutMs: 5_000,
    });
    const res = await c.get<{ employees: unknown[] }>('/bamboo');
    expect(res.data).toEqual({ employees: [] });
    expect(s.requests[1]!.at - s.requests[0]!.at).toBeGreaterThanOrEqual(300);
    const err = await failure(c.get('/meta'));
    expect(err.code).toBe('UPSTREAM_RATE_LIMITED');
    expect(err.retryAfterMs).toBeGreaterThan(50_000);
  });
});

describe('classify hook', () => {
  it('reports a throwing hook as an HTTP error, without retrying or tripping the breaker', async () => {
    const s = await upstream(() => ({ body: { weird: true } }));
    const c = client(s, {
      breaker: { volumeThreshold: 1 },
      classify: () => {
        throw new Error('bug in connector');
      },
    });
    for (let i = 0; i < 3; i++) expect((await failure(c.get('/x'))).code).toBe('UPSTREAM_HTTP_ERROR');
    expect(s.requests).toHaveLength(3);
    expect(c.metrics().breakerState).toBe('closed');
  });
});

describe('circuit breaker', () => {
  it('opens on an always-failing upstream, fails fast without calling it, then lets one probe through', async () => {
    let healthy = false;
    const s = await upstream(() => (healthy ? { body: { ok: true } } : { status: 503, delayMs: 100 }));
    const c = client(s, {
      maxAttempts: 1,
      breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeout: 700 },
    });
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) codes.push((await failure(c.get('/down'))).code);
    expect(codes.slice(0, 3)).toEqual(['UPSTREAM_HTTP_ERROR', 'UPSTREAM_HTTP_ERROR', 'UPSTREAM_HTTP_ERROR']);
    expect(codes.slice(3)).toEqual(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE']);
    expect(s.requests).toHaveLength(3);
    expect(c.metrics().breakerState).toBe('open');
    const open = await failure(c.get('/down'));
    expect(open.message).toContain('circuit open');

    await new Promise((r) => setTimeout(r, 800));
    // Half-open: of three concurrent calls only one reaches the upstream; it fails, so the circuit reopens.
    const probe = await Promise.allSettled([c.get('/down'), c.get('/down'), c.get('/down')]);
    expect(s.requests).toHaveLength(4);
    const probeCodes = probe
      .map((p) => (p.status === 'rejected' ? (p.reason as UpstreamError).code : 'ok'))
      .sort();
    expect(probeCodes).toEqual(['UPSTREAM_HTTP_ERROR', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE']);

    healthy = true;
    expect((await failure(c.get('/down'))).code).toBe('UPSTREAM_UNAVAILABLE');
    expect(s.requests).toHaveLength(4);
    await new Promise((r) => setTimeout(r, 800));
    expect((await c.get('/down')).status).toBe(200);
    expect(c.metrics().breakerState).toBe('closed');
    await c.get('/down');
    expect(s.requests).toHaveLength(6);
  });

  it('does not count 4xx answers against the breaker', async () => {
    const s = await upstream(() => ({ status: 404 }));
    const c = client(s, { breaker: { volumeThreshold: 2 } });
    for (let i = 0; i < 5; i++) expect((await failure(c.get('/missing'))).code).toBe('UPSTREAM_HTTP_ERROR');
    expect(s.requests).toHaveLength(5);
  });
});

describe('concurrency', () => {
  it('keeps at most `concurrency` requests in flight per instance', async () => {
    const s = await upstream(() => ({ delayMs: 80, body: {} }));
    const c = client(s, { concurrency: 2 });
    await Promise.all(Array.from({ length: 8 }, (_, i) => c.get(`/item/${i}`)));
    expect(s.requests).toHaveLength(8);
    expect(s.maxInFlight).toBe(2);
  });

  it('shares the cap between two clients of the same instance', async () => {
    const s = await upstream(() => ({ delayMs: 80, body: {} }));
    const a = client(s, { instanceId: 'shared-1', concurrency: 1 });
    const b = client(s, { instanceId: 'shared-1', concurrency: 1 });
    await Promise.all([a.get('/1'), b.get('/2'), a.get('/3'), b.get('/4')]);
    expect(s.maxInFlight).toBe(1);
  });
});

describe('auth', () => {
  it('sends bearer, basic and API-key credentials', async () => {
    const s = await upstream(() => ({ body: {} }));
    await client(s, { auth: bearer('tok-1') }).get('/a');
    await client(s, { auth: basic('user', 'pa:ss') }).get('/b');
    await client(s, { auth: (await import('./index.js')).apiKeyHeader('X-Api-Key', 'k-9') }).get('/c');
    expect(s.requests[0]!.headers.authorization).toBe('Bearer tok-1');
    expect(s.requests[1]!.headers.authorization).toBe(
      `Basic ${Buffer.from('user:pa:ss').toString('base64')}`,
    );
    expect(s.requests[2]!.headers['x-api-key']).toBe('k-9');
  });

  async function oauthUpstream(opts: { rejectToken?: string } = {}) {
    let issued = 0;
    const s = await upstream(async (r) => {
      if (r.path === '/oauth/token') {
        issued++;
        const form = new URLSearchParams(r.body);
        if (form.get('grant_type') !== 'refresh_token' || form.get('client_secret') !== 'shh')
          return { status: 400, body: { error: 'invalid_grant' } };
        return {
          delayMs: 150,
          body: { access_token: `fresh-${issued}`, refresh_token: `r-${issued}`, expires_in: 3600 },
        };
      }
      const auth = r.headers.authorization ?? '';
      if (!auth.startsWith('Bearer fresh-') || auth === `Bearer ${opts.rejectToken}`) return { status: 401 };
      return { body: { token: auth.slice(7) } };
    });
    const refreshes = () => s.requests.filter((r) => r.path === '/oauth/token').length;
    return { s, refreshes };
  }

  it('20 concurrent calls with an expired token cause exactly one refresh', async () => {
    const { s, refreshes } = await oauthUpstream();
    const store = new InMemoryTokenStore({
      'oauth-1': { accessToken: 'stale', refreshToken: 'r-0', expiresAt: new Date(Date.now() - 1_000) },
    });
    const c = client(s, {
      instanceId: 'oauth-1',
      concurrency: 20,
      auth: oauth2({ tokenUrl: `${s.url}/oauth/token`, clientId: 'cid', clientSecret: 'shh', store }),
    });
    const results = await Promise.all(Array.from({ length: 20 }, () => c.get<{ token: string }>('/me')));
    expect(refreshes()).toBe(1);
    expect(new Set(results.map((r) => r.data.token))).toEqual(new Set(['fresh-1']));
    expect((await store.read('oauth-1'))?.refreshToken).toBe('r-1');
  });

  it('a 401 triggers one refresh and one retry', async () => {
    const { s, refreshes } = await oauthUpstream({ rejectToken: 'fresh-0' });
    const store = new InMemoryTokenStore({
      'oauth-2': { accessToken: 'fresh-0', refreshToken: 'r-0', expiresAt: new Date(Date.now() + 3_600_000) },
    });
    const c = client(s, {
      instanceId: 'oauth-2',
      auth: oauth2({ tokenUrl: `${s.url}/oauth/token`, clientId: 'cid', clientSecret: 'shh', store }),
    });
    const res = await c.post<{ token: string }>('/notes', { text: 'hi' });
    expect(res.data.token).toBe('fresh-1');
    expect(refreshes()).toBe(1);
    expect(s.requests.filter((r) => r.path === '/notes')).toHaveLength(2);
  });

  it('retries a token endpoint that answers 503 or 429 (Retry-After waited out), never a refused grant', async () => {
    const answers = [
      { status: 503 },
      { status: 429, headers: { 'retry-after': '1' } },
      { body: { access_token: 'fresh-1', expires_in: 3600 } },
    ];
    const s = await upstream((r) =>
      r.path === '/oauth/token' ? answers.shift()! : { body: { token: r.headers.authorization } },
    );
    const auth = oauth2({
      tokenUrl: `${s.url}/oauth/token`,
      clientId: 'cid',
      clientSecret: 'shh',
      refreshToken: 'r-0',
      store: new InMemoryTokenStore(),
    });
    const res = await client(s, { auth }).get<{ token: string }>('/me');
    expect(res.data.token).toBe('Bearer fresh-1');
    const tokenCalls = s.requests.filter((r) => r.path === '/oauth/token');
    expect(tokenCalls).toHaveLength(3);
    expect(tokenCalls[2]!.at - tokenCalls[1]!.at).toBeGreaterThanOrEqual(950);

    const refused = await upstream(() => ({ status: 400, body: { error: 'invalid_grant' } }));
    const err = await failure(
      client(refused, {
        auth: oauth2({
          tokenUrl: `${refused.url}/oauth/token`,
          clientId: 'cid',
          clientSecret: 'shh',
          refreshToken: 'r-0',
          store: new InMemoryTokenStore(),
        }),
      }).get('/me'),
    );
    expect([err.code, refused.requests.length]).toEqual(['UPSTREAM_AUTH', 1]);
  });

  it('reports a refused refresh as UPSTREAM_AUTH without leaking the secret', async () => {
    const { s } = await oauthUpstream();
    const store = new InMemoryTokenStore({
      'oauth-3': { accessToken: '', refreshToken: 'r-0', expiresAt: null },
    });
    const c = client(s, {
      instanceId: 'oauth-3',
      auth: oauth2({
        tokenUrl: `${s.url}/oauth/token`,
        clientId: 'cid',
        clientSecret: 'wrong-secret',
        store,
      }),
    });
    const err = await failure(c.get('/me'));
    expect(err.code).toBe('UPSTREAM_AUTH');
    expect(err.message).toContain('oauth-3');
    expect(err.message).not.toContain('wrong-secret');
    expect(s.requests.filter((r) => r.path === '/me')).toHaveLength(0);
  });
});

describe('logs and metrics', () => {
  it('logs one line per attempt with the path but no query string, headers or token', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString('utf8').split('\n').filter(Boolean))
          lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const s = await upstream((_r, hit) => (hit === 1 ? { status: 503 } : { body: {} }));
    await client(s, { logger, auth: bearer('super-secret-token') }).get('/contacts', {
      params: { email: 'ann@example.com' },
    });
    await new Promise((r) => setImmediate(r));
    const attempts = lines.filter((l) => l.msg === 'upstream attempt');
    expect(attempts.map((l) => [l.path, l.status, l.attempt])).toEqual([
      ['/contacts', 503, 1],
      ['/contacts', 200, 2],
    ]);
    const raw = JSON.stringify(lines);
    expect(raw).not.toContain('ann@example.com');
    expect(raw).not.toContain('super-secret-token');
    expect(s.requests[0]!.query.get('email')).toBe('ann@example.com');
  });

  it('counts requests, retries, failures and latency per instance', async () => {
    const s = await upstream((r) => (r.path === '/bad' ? { status: 404 } : { body: {} }));
    const c = client(s, { instanceId: 'metrics-1' });
    await c.get('/good');
    await failure(c.get('/bad'));
    const m = getHttpMetrics('metrics-1');
    expect(m).toMatchObject({
      instanceId: 'metrics-1',
      connectorId: 'acme',
      requests: 2,
      attempts: 2,
      retries: 0,
      failures: { UPSTREAM_HTTP_ERROR: 1 },
      breakerState: 'closed',
    });
    expect(m?.latencyMs.samples).toBe(2);
    expect(m?.latencyMs.p99).not.toBeNull();
    expect(getHttpMetrics().some((x) => x.instanceId === 'metrics-1')).toBe(true);
  });
});
