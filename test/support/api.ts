import { PgEventHub } from '../../src/events/event-hub.js';
import { createServices, type AppServices } from '../../src/graphql/context.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log/logger.js';
import type { TestDatabase } from './db.js';

export interface TestApi {
  services: AppServices;
  server: RunningHttpServer;
  gql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ data?: any; errors?: any[] }>;
  stop(): Promise<void>;
}

/** The real HTTP API on a test database, on a free loopback port. */
export async function startTestApi(db: TestDatabase, options: { version?: string; production?: boolean } = {}): Promise<TestApi> {
  const log = createLogger('silent');
  const events = new PgEventHub(db.url, log);
  await events.start();
  const services = createServices(db.dataSource, log, options.version ?? '0.0.0', 'GB', events);
  const server = await startHttpServer({ services, host: '127.0.0.1', port: 0, production: options.production ?? false });
  return {
    services,
    server,
    async gql(query, variables = {}, headers = {}) {
      const res = await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as { data?: any; errors?: any[] };
    },
    async stop() {
      await server.stop(1000);
      await events.stop();
    },
  };
}
