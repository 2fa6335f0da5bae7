import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startFlakyUpstream, type FlakyUpstream } from './flaky-upstream.server.js';
import { createHttpClient, oauth2, PgTokenStore } from './index.js';

const adminUrl = process.env.TEST_ADMIN_DATABASE_URL ?? '';
const dbName = `tk_${randomBytes(6).toString('hex')}`;
let dbUrl: string;
let admin: pg.Client;
const pools: pg.Pool[] = [];
let upstream: FlakyUpstream;
let issued = 0;

function pool(): pg.Pool {
  const p = new pg.Pool({ connectionString: dbUrl, max: 4 });
  pools.push(p);
  return p;
}

async function seedExpired(instanceId: string): Promise<void> {
  await pools[0]!.query(
    `INSERT INTO connector_token (instance_id, access_token, refresh_token, expires_at) VALUES ($1, 'stale', 'r-0', now() - interval '1 minute')`,
    [instanceId],
  );
}

const refreshes = () => upstream.requests.filter((r) => r.path === '/oauth/token').length;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  dbUrl = u.toString();
  // The lead's migration will own this table; the test creates the same shape in its scratch database.
  await pool().query(`CREATE TABLE connector_token (
    instance_id text PRIMARY KEY, access_token text, refresh_token text, expires_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now())`);
  upstream = await startFlakyUpstream((r) => {
    if (r.path === '/oauth/token') {
      issued++;
      // Slow on purpose, so that every other caller is queued behind the refresh.
      return {
        delayMs: 300,
        body: { access_token: `fresh-${issued}`, refresh_token: `r-${issued}`, expires_in: 3600 },
      };
    }
    const auth = r.headers.authorization ?? '';
    return auth.startsWith('Bearer fresh-') ? { body: { token: auth.slice(7) } } : { status: 401 };
  });
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await upstream?.close();
  // pool.end() resolves before the sockets close; a forced drop would then kill backends whose
  // clients no longer have an error listener. Wait for them to go first.
  for (let i = 0; i < 50; i++) {
    const { rows } = await admin.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
      [dbName],
    );
    if (rows[0]?.n === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
});

describe('PgTokenStore', () => {
  it('returns null for an unknown instance and reads what a refresh stored', async () => {
    const store = new PgTokenStore(pool());
    expect(await store.read('nobody')).toBeNull();
    const t = await store.refreshLocked('first-start', async (current) => {
      expect(current).toBeNull();
      return { accessToken: 'a', refreshToken: 'r', expiresAt: new Date('2030-01-01T00:00:00Z') };
    });
    expect(t.accessToken).toBe('a');
    expect(await store.read('first-start')).toEqual({
      accessToken: 'a',
      refreshToken: 'r',
      expiresAt: new Date('2030-01-01T00:00:00Z'),
    });
  });

  it('rolls back when the refresh fails, keeping the old token', async () => {
    const p = pool();
    const store = new PgTokenStore(p);
    await seedExpired('failing');
    await expect(
      store.refreshLocked('failing', async () => Promise.reject(new Error('vendor down'))),
    ).rejects.toThrow('vendor down');
    expect((await store.read('failing'))?.accessToken).toBe('stale');
  });

  it('20 concurrent callers on two pools and two clients in one process: exactly one refresh', async () => {
    const id = 'same-process';
    await seedExpired(id);
    const before = refreshes();
    const make = () =>
      createHttpClient({
        connectorId: 'acme',
        instanceId: id,
        baseURL: upstream.url,
        concurrency: 20,
        auth: oauth2({
          tokenUrl: `${upstream.url}/oauth/token`,
          clientId: 'cid',
          clientSecret: 'shh',
          store: new PgTokenStore(pool()),
        }),
      });
    const a = make();
    const b = make();
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).get<{ token: string }>('/me')),
      );
      expect(refreshes() - before).toBe(1);
      expect(new Set(results.map((r) => r.data.token)).size).toBe(1);
    } finally {
      a.close();
      b.close();
    }
  });

  it('20 concurrent callers across two OS processes: exactly one refresh, and both use its token', async () => {
    const id = 'two-processes';
    await seedExpired(id);
    const before = refreshes();
    const child = fork(fileURLToPath(new URL('./pg-token-refresh.child.mjs', import.meta.url)), [], {
      execPath: process.execPath,
      execArgv: ['--no-warnings'],
      env: { ...process.env, DATABASE_URL: dbUrl, UPSTREAM_URL: upstream.url, INSTANCE_ID: id, CALLS: '10' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const messages: unknown[] = [];
    const waitFor = (pred: (m: unknown) => boolean) =>
      new Promise<unknown>((resolve, reject) => {
        const found = messages.find(pred);
        if (found !== undefined) return resolve(found);
        const onMessage = (m: unknown) => pred(m) && (child.off('message', onMessage), resolve(m));
        child.on('message', onMessage);
        child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
      });
    child.on('message', (m) => messages.push(m));
    await waitFor((m) => m === 'ready');

    const http = createHttpClient({
      connectorId: 'acme',
      instanceId: id,
      baseURL: upstream.url,
      concurrency: 20,
      auth: oauth2({
        tokenUrl: `${upstream.url}/oauth/token`,
        clientId: 'cid',
        clientSecret: 'shh',
        store: new PgTokenStore(pool()),
      }),
    });
    try {
      child.send('go');
      const [mine, theirs] = await Promise.all([
        Promise.all(Array.from({ length: 10 }, () => http.get<{ token: string }>('/me'))),
        waitFor((m) => typeof m === 'object' && m !== null) as Promise<{ tokens?: string[]; error?: string }>,
      ]);
      expect(theirs.error).toBeUndefined();
      expect(refreshes() - before).toBe(1);
      const tokens = new Set([...mine.map((r) => r.data.token), ...(theirs.tokens ?? [])]);
      expect(tokens.size).toBe(1);
      expect(theirs.tokens).toHaveLength(10);
      const row = await pools[0]!.query(
        'SELECT access_token, refresh_token FROM connector_token WHERE instance_id = $1',
        [id],
      );
      expect(row.rows[0]).toEqual({ access_token: [...tokens][0], refresh_token: `r-${issued}` });
    } finally {
      http.close();
      child.kill();
    }
  });
});
