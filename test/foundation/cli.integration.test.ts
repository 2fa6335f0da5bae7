import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createEmptyDatabase } from '../support/db.js';
import { runCli, startServe } from '../support/cli.js';

function expectOneLineError(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^touchpoint: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

async function graphql(url: string, query: string, key?: string): Promise<any> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) };
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query }) });
  return res.json();
}

/** Postgres server processes whose command line names the data directory. */
function postgresProcessesFor(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes('postgres') && cmd.includes(dir)) pids.push(Number(entry));
    } catch {
      /* process ended meanwhile */
    }
  }
  return pids;
}

describe('start-up errors: one clear line, exit 1, no stack trace', () => {
  it('a bad PORT', async () => {
    expectOneLineError(await runCli(['serve'], { PORT: 'abc' }), /PORT must be an integer from 0 to 65535 \(got "abc"\)/);
    expectOneLineError(await runCli(['serve'], { PORT: '70000' }), /PORT must be an integer from 0 to 65535/);
  });

  it('a malformed DATABASE_URL', async () => {
    expectOneLineError(await runCli(['serve'], { DATABASE_URL: 'not a url' }), /DATABASE_URL must be a URL like postgres:\/\//);
    expectOneLineError(await runCli(['serve'], { DATABASE_URL: 'mysql://root@localhost/db' }), /DATABASE_URL must use the postgres:\/\//);
  });

  it('an unreachable database', async () => {
    const r = await runCli(['serve'], { DATABASE_URL: 'postgres://touchpoint:secret@127.0.0.1:1/touchpoint' });
    expectOneLineError(r, /cannot reach the database at 127\.0\.0\.1:1 \(connection refused\)/);
    expect(r.stderr).not.toContain('secret');
  });

  it('a database that does not exist', async () => {
    const url = new URL(process.env.TEST_ADMIN_DATABASE_URL!);
    url.pathname = '/no_such_database_here';
    expectOneLineError(await runCli(['serve'], { DATABASE_URL: url.toString() }), /database "no_such_database_here", which does not exist/);
  });

  it('a malformed or unknown config file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-config-'));
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{ "port": 4000, ');
    expectOneLineError(await runCli(['serve'], { TOUCHPOINT_CONFIG: bad }), /config file .*bad\.json is not valid JSON/);
    const unknown = path.join(dir, 'unknown.json');
    fs.writeFileSync(unknown, JSON.stringify({ prot: 4000 }));
    expectOneLineError(await runCli(['serve'], { TOUCHPOINT_CONFIG: unknown }), /unknown setting "prot"/);
    const badValue = path.join(dir, 'value.json');
    fs.writeFileSync(badValue, JSON.stringify({ port: 'four' }));
    expectOneLineError(await runCli(['serve'], { TOUCHPOINT_CONFIG: badValue }), /PORT must be an integer/);
    expectOneLineError(await runCli(['serve'], { TOUCHPOINT_CONFIG: path.join(dir, 'missing.json') }), /cannot be read \(no such file\)/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('serve on DATABASE_URL', () => {
  let db: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    db = await createEmptyDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('migrates at start, answers health, and exits 0 on SIGTERM after closing the port', async () => {
    const serve = startServe([], { DATABASE_URL: db.url, PORT: '0' });
    const url = await serve.ready;
    expect(await graphql(url, '{ health { status database } }')).toEqual({ data: { health: { status: 'ok', database: 'up' } } });
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    await expect(fetch(url, { method: 'POST' })).rejects.toThrow();
    // `touchpoint migrate` on the same database finds nothing left to do
    const again = await runCli(['migrate'], { DATABASE_URL: db.url });
    expect(again).toMatchObject({ code: 0, stdout: 'migrations are up to date\n' });
  });

  it('refuses a port that is taken with one line', async () => {
    const first = startServe([], { DATABASE_URL: db.url, PORT: '0' });
    const url = await first.ready;
    const port = new URL(url).port;
    expectOneLineError(await runCli(['serve'], { DATABASE_URL: db.url, PORT: port }), new RegExp(`PORT ${port} is already in use`));
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
  });
});

describe('serve on an embedded Postgres', () => {
  it('keeps data across restarts and leaves no Postgres process behind after SIGINT or SIGTERM', async () => {
    const dataDir = path.join(os.tmpdir(), `tp-embedded-${process.pid}-${Date.now()}`);
    const env = { DATA_DIR: dataDir, PORT: '0' };
    const pgDir = path.join(dataDir, 'pg');
    const connect = async () => {
      const port = fs.readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[3];
      const password = fs.readFileSync(path.join(dataDir, 'pg-password'), 'utf8');
      const client = new pg.Client({ host: '127.0.0.1', port: Number(port), user: 'postgres', password, database: 'touchpoint' });
      await client.connect();
      return client;
    };
    try {
      const first = startServe([], env);
      const url = await first.ready;
      expect((await graphql(url, '{ health { status } }')).data.health.status).toBe('ok');
      const c1 = await connect();
      await c1.query(`INSERT INTO customer (id) VALUES ('11111111-1111-4111-8111-111111111111')`);
      await c1.end();
      first.child.kill('SIGINT');
      expect(await first.exited).toBe(0);
      expect(postgresProcessesFor(pgDir)).toEqual([]);

      // Outside the demo, customer data needs a credential: an API key made by the CLI.
      const created = await runCli(['keys', 'create', '--role', 'agent', '--name', 'restart-test'], { DATA_DIR: dataDir });
      expect(created.code).toBe(0);
      const key = created.stdout.split('\n')[1]!.trim();
      const second = startServe([], env);
      const url2 = await second.ready;
      const q = `{ customer(id: "11111111-1111-4111-8111-111111111111") { id } }`;
      expect((await graphql(url2, q)).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect((await graphql(url2, q, key)).data.customer).toEqual({ id: '11111111-1111-4111-8111-111111111111' });
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect(postgresProcessesFor(pgDir)).toEqual([]);
    } finally {
      for (const pid of postgresProcessesFor(pgDir)) process.kill(pid, 'SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
