import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient } from 'graphql-ws';
import { PgEventHub } from '../../src/events/event-hub.js';
import { createServices, type AppServices } from '../../src/graphql/context.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log/logger.js';
import { createApiKey } from '../../src/security/api-keys.js';
import { createSecurity } from '../../src/security/security.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createCustomer } from '../support/factories.js';

let db: TestDatabase;
let events: PgEventHub;
let services: AppServices;
let server: RunningHttpServer;
let customerId: string;
const keys: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDatabase();
  const log = createLogger('silent');
  events = new PgEventHub(db.url, log);
  await events.start();
  services = createServices(db.dataSource, log, '0.0.0', 'GB', events);
  const security = createSecurity({ services, dataSource: db.dataSource, log, production: false, demo: false, rateLimit: false });
  server = await startHttpServer({ services, host: '127.0.0.1', port: 0, production: false, security });
  for (const role of ['agent', 'analyst'] as const) keys[role] = (await createApiKey(db.dataSource, { name: `ws-${role}`, role })).key;
  customerId = await createCustomer(db.dataSource);
});

afterAll(async () => {
  await server?.stop(1000);
  await events?.stop();
  await db?.drop();
});

/** Subscribes and reports the first thing that happens: data, an error, or the socket closing. */
function firstOutcome(connectionParams: Record<string, unknown> | undefined, query: string): Promise<{ kind: string; detail: string }> {
  return new Promise((resolve) => {
    const client = createClient({
      url: server.graphqlUrl.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      ...(connectionParams ? { connectionParams } : {}),
      on: { closed: (e) => resolve({ kind: 'closed', detail: String((e as CloseEvent).code) }) },
    });
    client.subscribe(
      { query },
      {
        next: (v) => resolve({ kind: 'next', detail: JSON.stringify(v) }),
        error: (e) => resolve({ kind: 'error', detail: JSON.stringify(e) }),
        complete: () => resolve({ kind: 'complete', detail: '' }),
      },
    );
    // A subscription that is accepted stays silent: report that after a moment.
    setTimeout(() => resolve({ kind: 'open', detail: '' }), 1500);
  }).then((r) => r as { kind: string; detail: string });
}

describe('subscriptions over graphql-ws are authenticated and authorised', () => {
  const q = () => `subscription { customerTimeline(customerId: "${customerId}") { id } }`;

  it('a connection with a bad credential is closed', async () => {
    const r = await firstOutcome({ authorization: 'Bearer not-a-key' }, q());
    expect(r.kind === 'closed' || r.kind === 'error').toBe(true);
    expect(r.detail).not.toContain('customerTimeline');
  });

  it('an anonymous connection may not subscribe to customer data', async () => {
    const r = await firstOutcome(undefined, q());
    expect(r.kind === 'error' || r.kind === 'closed').toBe(true);
  });

  it('a role the policy denies is refused; a role it allows stays subscribed', async () => {
    const denied = await firstOutcome({ authorization: `Bearer ${keys.analyst}` }, q());
    expect(denied.kind).toBe('error');
    const allowed = await firstOutcome({ authorization: `Bearer ${keys.agent}` }, q());
    expect(allowed.kind).toBe('open');
  });
});
