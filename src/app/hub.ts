import type { LoadedConfig } from '../config/config.js';
import { openDatabase, type Database } from '../db/database.js';
import { PgEventHub } from '../events/event-hub.js';
import { createServices, type AppServices } from '../graphql/context.js';
import { startHttpServer, type RunningHttpServer } from '../http/server.js';
import type { Logger } from '../log/logger.js';
import { VERSION } from '../version.js';

export interface Hub {
  database: Database;
  services: AppServices;
  http: RunningHttpServer;
  /** Graceful stop: no new requests, in-flight ones finish, pool closed, embedded Postgres stopped. */
  stop(): Promise<void>;
}

/** Thrown when the API port cannot be bound; worded for the operator. */
export class ListenError extends Error {
  override name = 'ListenError';
}

export async function startHub(config: LoadedConfig, log: Logger): Promise<Hub> {
  const database = await openDatabase(config, log, { migrate: true, applicationName: 'touchpoint-serve' });
  const events = new PgEventHub(database.url, log);
  await events.start();
  const services = createServices(database.dataSource, log, VERSION, config.defaultPhoneRegion, events);
  let http: RunningHttpServer;
  try {
    http = await startHttpServer({
      services,
      host: config.host,
      port: config.port,
      production: config.environment === 'production',
    });
  } catch (err) {
    await events.stop();
    await database.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new ListenError(`PORT ${config.port} is already in use on ${config.host}: choose another PORT`);
    if (code === 'EACCES') throw new ListenError(`PORT ${config.port} needs privileges this process lacks: choose a PORT above 1023`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new ListenError(`HOST ${config.host} is not an address of this machine`);
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    database,
    services,
    http,
    stop() {
      stopping ??= (async () => {
        await http.stop(config.shutdownTimeoutMs);
        await events.stop();
        await database.close();
      })();
      return stopping;
    },
  };
}
