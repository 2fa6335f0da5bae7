import type { Command } from 'commander';
import { ConfigError, loadConfig, type LoadedConfig } from '../config/config.js';
import { openDatabase, type Database } from '../db/database.js';
import { IdentityResolver } from '../identity/identity-resolver.service.js';
import type { IdentityConfig } from '../identity/identity.config.js';
import { createLogger, type Logger } from '../log/logger.js';
import { ApplyService } from './apply.service.js';
import { ConnectorStatusService, type ConnectorInstanceStatus } from './connector-status.service.js';
import { ImportFileError, importCsv } from './csv-import.js';
import {
  createInstanceRuntime,
  findInstance,
  parseInstances,
  type ConnectorInstance,
  type ConnectorRegistry,
} from './instances.js';
import { runSync, startScheduler, UnknownStreamError } from './sync-runner.js';

export interface IngestCommandDeps {
  /** The static registry from connectors/index.ts. */
  registry: ConnectorRegistry;
  /** Defaults to loadConfig() (environment, TOUCHPOINT_CONFIG file). */
  config?: () => LoadedConfig;
  /** Extra work for `touchpoint worker` besides the scheduler (the webhook job worker); returns its stop function. */
  startWorkers?: (ctx: {
    database: Database;
    apply: ApplyService;
    instances: ConnectorInstance[];
    log: Logger;
  }) => Promise<() => Promise<void>>;
}

/** Connector instances of the config file, validated: a bad one throws a one-line ConfigError. */
export function loadInstances(cfg: LoadedConfig, registry: ConnectorRegistry): ConnectorInstance[] {
  return parseInstances(cfg.file.connectors, registry);
}

function createApply(database: Database, cfg: LoadedConfig, log: Logger): ApplyService {
  const identity = new IdentityResolver(database.dataSource, {
    defaultRegion: cfg.defaultPhoneRegion as IdentityConfig['defaultRegion'],
  });
  return new ApplyService(database.dataSource, identity, log);
}

const ago = (d: Date | null, now: number) => {
  if (!d) return '-';
  const s = Math.max(0, Math.round((now - d.getTime()) / 1000));
  return s < 120
    ? `${s}s ago`
    : s < 7200
      ? `${Math.round(s / 60)}m ago`
      : s < 172800
        ? `${Math.round(s / 3600)}h ago`
        : `${Math.round(s / 86400)}d ago`;
};
const lag = (s: number | null) =>
  s === null ? '-' : s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;

/** The `touchpoint connectors` table: one line per stream. */
export function formatConnectorTable(list: ConnectorInstanceStatus[], now = Date.now()): string {
  if (!list.length)
    return 'no connector instances configured (add a "connectors" section to the TOUCHPOINT_CONFIG file)\n';
  const rows: string[][] = [
    ['INSTANCE', 'CONNECTOR', 'STATUS', 'STREAM', 'LAST SUCCESS', 'LAG', 'RECORDS', 'DEAD', 'LAST ERROR'],
  ];
  for (const i of list) {
    const streams = i.streams.length ? i.streams : [null];
    streams.forEach((s, n) => {
      rows.push([
        n === 0 ? i.id : '',
        n === 0 ? i.connector : '',
        n === 0 ? i.status : '',
        s ? `${s.name} (${s.status})` : '-',
        s ? ago(s.lastSuccessAt, now) : '-',
        s ? lag(s.lagSeconds) : '-',
        s ? String(s.recordsSynced) : '-',
        n === 0 ? String(i.deadLetters) : '',
        s?.lastError ? `${ago(s.lastErrorAt, now)}: ${s.lastError.replace(/\s+/g, ' ').slice(0, 80)}` : '-',
      ]);
    });
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c]!)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** Runs `work` with the database open, closing it afterwards. */
async function withDatabase<T>(
  cfg: LoadedConfig,
  log: Logger,
  name: string,
  work: (db: Database) => Promise<T>,
): Promise<T> {
  const db = await openDatabase(cfg, log, { migrate: true, applicationName: `touchpoint-${name}` });
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

/**
 * Registers `connectors`, `sync`, `worker` and `import` on the CLI.
 * @example
 * registerIngestCommands(program, { registry: connectors });
 */
export function registerIngestCommands(program: Command, deps: IngestCommandDeps): void {
  const config = deps.config ?? (() => loadConfig());
  const quietLogger = (cfg: LoadedConfig) => createLogger(cfg.logLevel === 'info' ? 'warn' : cfg.logLevel);

  program
    .command('connectors')
    .description('List the configured connector instances: status, streams, last success, lag, last error')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { json?: boolean }) => {
      const cfg = config();
      const instances = loadInstances(cfg, deps.registry);
      const log = quietLogger(cfg);
      const list = await withDatabase(cfg, log, 'connectors', (db) =>
        new ConnectorStatusService(db.dataSource, instances).list(),
      );
      process.stdout.write(opts.json ? `${JSON.stringify(list, null, 2)}\n` : formatConnectorTable(list));
    });

  program
    .command('sync')
    .description('Run one connector instance now (incremental from the saved cursor, or --full backfill)')
    .argument('<instance>', 'connector instance id from the config file')
    .option('--stream <name>', 'only this stream')
    .option('--full', 'backfill: start from the beginning instead of the saved cursor')
    .action(async (id: string, opts: { stream?: string; full?: boolean }) => {
      const cfg = config();
      const instance = findInstance(loadInstances(cfg, deps.registry), id);
      if (opts.stream !== undefined && !instance.connector.streams.some((s) => s.name === opts.stream)) {
        throw new ConfigError(
          `connector instance "${id}" has no stream "${opts.stream}" (streams: ${instance.connector.streams.map((s) => s.name).join(', ')})`,
        );
      }
      const log = createLogger(cfg.logLevel);
      await withDatabase(cfg, log, 'sync', async (db) => {
        const rt = createInstanceRuntime(instance, { ds: db.dataSource, log });
        try {
          const results = await runSync({
            ds: db.dataSource,
            apply: createApply(db, cfg, log),
            instance,
            ctx: rt.ctx,
            ...(opts.stream !== undefined ? { stream: opts.stream } : {}),
            ...(opts.full ? { full: true } : {}),
          });
          for (const r of results) {
            const line =
              r.status === 'busy'
                ? `${id}/${r.stream}: skipped, another process is syncing this stream`
                : `${id}/${r.stream}: ${r.status}, ${r.pages} page(s), ${r.records} record(s) applied, ${r.deadLettered} dead-lettered${r.error ? `: ${r.error}` : ''}`;
            (r.status === 'failed' ? process.stderr : process.stdout).write(`${line}\n`);
          }
          if (results.some((r) => r.status === 'failed')) process.exitCode = 1;
        } catch (err) {
          if (err instanceof UnknownStreamError) throw new ConfigError(err.message);
          throw err;
        } finally {
          rt.close();
        }
      });
    });

  program
    .command('worker')
    .description('Run the sync scheduler (every enabled instance and stream on its schedule) until stopped')
    .action(async () => {
      const cfg = config();
      const instances = loadInstances(cfg, deps.registry);
      const log = createLogger(cfg.logLevel);
      const db = await openDatabase(cfg, log, { migrate: true, applicationName: 'touchpoint-worker' });
      const apply = createApply(db, cfg, log);
      const runtimes = instances
        .filter((i) => i.enabled)
        .map((i) => createInstanceRuntime(i, { ds: db.dataSource, log }));
      const scheduler = startScheduler({ ds: db.dataSource, apply, runtimes, log });
      const stopOthers = deps.startWorkers
        ? await deps.startWorkers({ database: db, apply, instances, log })
        : async () => undefined;
      log.info({ instances: runtimes.map((r) => r.instance.id) }, 'worker started');
      // The action resolves only on a signal, so the CLI's exit-after-command waits for a clean stop.
      await new Promise<void>((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
        let stopping = false;
        const stop = (signal: NodeJS.Signals) => {
          if (stopping) process.exit(1);
          stopping = true;
          log.info({ signal }, 'worker stopping: finishing the pages in hand');
          void Promise.allSettled([scheduler.stop(), stopOthers()])
            .then(() => {
              for (const rt of runtimes) rt.close();
              return db.close();
            })
            .finally(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        process.on('SIGHUP', stop);
      });
    });

  program
    .command('import')
    .description('Import people from a CSV file through the same apply path as the connectors')
    .argument('<file>', 'CSV file with a header row')
    .requiredOption('--system <name>', 'the source system the rows belong to, e.g. legacy-crm')
    .requiredOption(
      '--map <column=field,...>',
      'columns to fields, e.g. "Id=externalId,E-mail=email,Mobile=phone,First=firstName"',
    )
    .option('--object-type <type>', 'object type of the source records', 'contact')
    .option('--delimiter <char>', 'field delimiter', ',')
    .option(
      '--bulk',
      'resolve the whole file at once with the set-based bulk path (one transaction; incremental applies wait)',
    )
    .action(
      async (
        file: string,
        opts: { system: string; map: string; objectType: string; delimiter: string; bulk?: boolean },
      ) => {
        const cfg = config();
        const log = quietLogger(cfg);
        await withDatabase(cfg, log, 'import', async (db) => {
          try {
            const report = await importCsv({
              apply: createApply(db, cfg, log),
              system: opts.system,
              file,
              map: opts.map,
              objectType: opts.objectType,
              delimiter: opts.delimiter,
              ...(opts.bulk ? { bulk: { dataSource: db.dataSource } } : {}),
            });
            for (const p of report.problems) process.stderr.write(`${p}\n`);
            process.stdout.write(
              `imported ${report.applied} of ${report.rows} row(s) into ${opts.system}${report.unchanged ? `, ${report.unchanged} unchanged` : ''}${report.rejected ? `, ${report.rejected} rejected` : ''}\n`,
            );
            if (report.rejected) process.exitCode = 1;
          } catch (err) {
            if (!(err instanceof ImportFileError)) throw err;
            process.stderr.write(`touchpoint: ${err.message}\n`);
            process.exitCode = 1;
          }
        });
      },
    );
}
