import { connectors } from '../../connectors/index.js';
import type { LoadedConfig } from '../config/config.js';
import { openDatabase, type Database } from '../db/database.js';
import { startDemo, type Demo } from '../demo/demo.js';
import { PgEventHub } from '../events/event-hub.js';
import { createServices, type AppServices } from '../graphql/context.js';
import { startHttpServer, type RunningHttpServer } from '../http/server.js';
import { createIngest, parseInstances, type Ingest } from '../ingest/index.js';
import { webhookWorkerStarter } from '../jobs/inbox-worker.starter.js';
import { webhookInstancesFrom } from '../webhooks/ingest-instances.adapter.js';
import { createWebhookRouter } from '../webhooks/webhook.router.js';
import type { Logger } from '../log/logger.js';
import { securityFromConfig } from '../security/security.js';
import { VERSION } from '../version.js';

export interface Hub {
  database: Database;
  services: AppServices;
  http: RunningHttpServer;
  ingest: Ingest;
  demo: Demo | null;
  /** Graceful stop: no new requests, in-flight ones finish, workers stop, pool closed, embedded Postgres stopped. */
  stop(): Promise<void>;
}

/** Thrown when the API port cannot be bound; worded for the operator. */
export class ListenError extends Error {
  override name = 'ListenError';
}

function listenError(err: unknown, config: LoadedConfig): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new ListenError(`PORT ${config.port} is already in use on ${config.host}: choose another PORT`);
  if (code === 'EACCES') return new ListenError(`PORT ${config.port} needs privileges this process lacks: choose a PORT above 1023`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new ListenError(`HOST ${config.host} is not an address of this machine`);
  return err;
}

/**
 * Starts everything `touchpoint serve` runs: database (+ migrations), event listener, ingest engine
 * (connector instances from the config file, plus the demo's simulators with `--demo`), the
 * in-process worker unless WORKER=false, and the HTTP API.
 */
export async function startHub(config: LoadedConfig, log: Logger): Promise<Hub> {
  // Connector instances are checked before anything starts: a bad one is a one-line ConfigError.
  parseInstances(config.file.connectors, connectors);
  const cleanup: (() => Promise<void> | void)[] = [];
  const unwind = async () => {
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(() => undefined);
    cleanup.length = 0;
  };
  try {
    const database = await openDatabase(config, log, { migrate: true, applicationName: 'touchpoint-serve' });
    cleanup.push(() => database.close());
    const events = new PgEventHub(database.url, log);
    await events.start();
    cleanup.push(() => events.stop());
    const services = createServices(database.dataSource, log, VERSION, config.defaultPhoneRegion, events);

    const demo = config.demo ? await startDemo(log) : null;
    if (demo) cleanup.push(() => demo.stop());
    const configured = Array.isArray(config.file.connectors) ? (config.file.connectors as unknown[]) : [];
    const ingest = createIngest({
      ds: database.dataSource,
      config: demo ? { ...config, file: { ...config.file, connectors: [...configured, ...demo.instances] } } : config,
      registry: connectors,
      identity: services.identity,
      log,
      env: { ...process.env, ...(demo?.env ?? {}) },
    });
    cleanup.push(() => ingest.close());
    services.ingest = ingest;
    let wake: (() => void) | undefined;
    if (config.worker) {
      const scheduler = ingest.startScheduler();
      cleanup.push(() => scheduler.stop());
      const stopInbox = await webhookWorkerStarter()({ database, apply: ingest.apply, instances: ingest.instances, log });
      cleanup.push(() => stopInbox());
      wake = () => stopInbox.worker.wake();
    }
    const webhookInstances = webhookInstancesFrom(ingest.instances, { ds: database.dataSource, log });
    cleanup.push(() => webhookInstances.close());

    let http: RunningHttpServer;
    try {
      http = await startHttpServer({
        services,
        host: config.host,
        port: config.port,
        production: config.environment === 'production',
        security: securityFromConfig(config, services),
        mount: (app) =>
          app.use(
            createWebhookRouter({
              dataSource: database.dataSource,
              instances: webhookInstances,
              log,
              publicUrl: config.publicUrl,
              bodyLimit: '1mb',
              onStored: () => wake?.(),
            }),
          ),
      });
    } catch (err) {
      throw listenError(err, config);
    }
    let stopping: Promise<void> | undefined;
    return {
      database,
      services,
      http,
      ingest,
      demo,
      stop() {
        stopping ??= (async () => {
          await http.stop(config.shutdownTimeoutMs);
          await unwind();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}
