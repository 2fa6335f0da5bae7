import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Command } from 'commander';
import csv from '../../connectors/csv/index.js';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { registerIngestCommands } from '../../src/ingest/ingest.commands.js';
import { createIngest } from '../../src/ingest/ingest.runtime.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let dir: string;
const MAP = 'Id=externalId,E-mail=email';

beforeAll(async () => {
  db = await createTestDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-cli-'));
  fs.writeFileSync(path.join(dir, 'a.csv'), 'Id,E-mail\na1,a1@example.com\na2,a2@example.com\n');
});
afterAll(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function cli(
  args: string[],
  connectors: unknown,
): Promise<{ out: string; err: string; error?: unknown }> {
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify({ connectors }));
  const out: string[] = [];
  const err: string[] = [];
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  const program = new Command('touchpoint').exitOverride();
  registerIngestCommands(program, {
    registry: { csv },
    config: () => loadConfig({ env: { DATABASE_URL: db.url, LOG_LEVEL: 'silent', TOUCHPOINT_CONFIG: file } }),
  });
  let error: unknown;
  try {
    await program.parseAsync(['node', 'touchpoint', ...args]);
  } catch (x) {
    error = x;
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  return { out: out.join(''), err: err.join(''), error };
}

describe('touchpoint sync / connectors', () => {
  const instances = [
    { id: 'legacy-a', connector: 'csv', config: { path: path.join(os.tmpdir(), 'placeholder'), map: MAP } },
    { id: 'legacy-off', connector: 'csv', config: { path: '/nonexistent.csv', map: MAP }, enabled: false },
  ];

  it('syncs an instance and lists it with its stream state', async () => {
    instances[0]!.config.path = path.join(dir, 'a.csv');
    const sync = await cli(['sync', 'legacy-a'], instances);
    expect(sync.error).toBeUndefined();
    expect(sync.out).toBe('legacy-a/rows: succeeded, 1 page(s), 2 record(s) applied, 0 dead-lettered\n');
    const list = await cli(['connectors'], instances);
    const lines = list.out.trim().split('\n');
    expect(lines[0]).toMatch(
      /^INSTANCE\s+CONNECTOR\s+STATUS\s+STREAM\s+LAST SUCCESS\s+LAG\s+RECORDS\s+DEAD\s+LAST ERROR$/,
    );
    expect(lines[1]).toMatch(/^legacy-a\s+csv\s+ok\s+rows \(succeeded\)\s+\d+s ago\s+-\s+2\s+0\s+-$/);
    expect(lines[2]).toMatch(/^legacy-off\s+csv\s+disabled\s+rows \(never_run\)/);
  });

  it('reports a failed run with the error and keeps it in the listing', async () => {
    const broken = [
      { id: 'legacy-b', connector: 'csv', config: { path: path.join(dir, 'missing.csv'), map: MAP } },
    ];
    const sync = await cli(['sync', 'legacy-b'], broken);
    expect(sync.err).toBe(
      `legacy-b/rows: failed, 0 page(s), 0 record(s) applied, 0 dead-lettered: Error: cannot read ${path.join(dir, 'missing.csv')} (ENOENT)\n`,
    );
    expect(process.exitCode).toBe(1);
    process.exitCode = 0;
    const list = await cli(['connectors', '--json'], broken);
    expect(JSON.parse(list.out)[0]).toMatchObject({
      id: 'legacy-b',
      status: 'failing',
      streams: [{ name: 'rows', status: 'failed' }],
    });
  });

  it('refuses an unknown instance or stream and a bad instance config with a ConfigError', async () => {
    expect((await cli(['sync', 'nope'], instances)).error).toEqual(
      new ConfigError(
        'no connector instance "nope" in the config file\'s connectors section (configured: legacy-a, legacy-off)',
      ),
    );
    expect((await cli(['sync', 'legacy-a', '--stream', 'x'], instances)).error).toEqual(
      new ConfigError('connector instance "legacy-a" has no stream "x" (streams: rows)'),
    );
    expect(
      (await cli(['connectors'], [{ id: 'legacy-c', connector: 'csv', config: { map: MAP } }])).error,
    ).toEqual(
      new ConfigError('connector instance "legacy-c": config.path: path is required: the CSV file to read'),
    );
  });
});

describe('startScheduler', () => {
  it('runs each enabled instance on its schedule and stops cleanly', async () => {
    const file = path.join(dir, 'sched.csv');
    fs.writeFileSync(file, 'Id,E-mail\ns1,s1@example.com\n');
    const configFile = path.join(dir, 'sched.json');
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        connectors: [
          {
            id: 'sched-on',
            connector: 'csv',
            config: { path: file, map: MAP },
            schedule: { everySeconds: 1 },
          },
          { id: 'sched-off', connector: 'csv', config: { path: file, map: MAP }, enabled: false },
        ],
      }),
    );
    const log = createLogger('silent');
    const ingest = createIngest({
      ds: db.dataSource,
      config: loadConfig({ env: { DATABASE_URL: db.url, TOUCHPOINT_CONFIG: configFile } }),
      registry: { csv },
      identity: new IdentityResolver(db.dataSource, { defaultRegion: 'GB' }),
      log,
    });
    expect(ingest.instances.map((i) => [i.id, i.enabled])).toEqual([
      ['sched-on', true],
      ['sched-off', false],
    ]);
    const scheduler = ingest.startScheduler();
    const count = async () =>
      (await db.dataSource.query(`SELECT count(*)::int AS n FROM source_record WHERE system = 'sched-on'`))[0]
        .n as number;
    try {
      for (let i = 0; i < 100 && (await count()) < 1; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await count()).toBe(1);
      // A row appended later is picked up by a later scheduled run.
      fs.appendFileSync(file, 's2,s2@example.com\n');
      for (let i = 0; i < 100 && (await count()) < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await count()).toBe(2);
    } finally {
      await scheduler.stop();
      ingest.close();
    }
    expect(
      await db.dataSource.query(`SELECT 1 FROM sync_state WHERE connector_instance = 'sched-off'`),
    ).toHaveLength(0);
  });
});
