import http from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { defaultFieldResolver, isObjectType, type GraphQLFieldResolver } from 'graphql';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey as JoseKey } from 'jose';
import { PgEventHub } from '../../src/events/event-hub.js';
import { createRequestContext, createServices, type AppServices } from '../../src/graphql/context.js';
import { buildHubSchema } from '../../src/graphql/schema.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log/logger.js';
import { createApiKey, revokeApiKey } from '../../src/security/api-keys.js';
import type { Role } from '../../src/security/policy.js';
import { BAD_CREDENTIAL, createSecurity, type SecurityOptions } from '../../src/security/security.js';
import { sha256 } from '../../src/security/trusted-documents.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createCustomer, createInteraction, createSourceRecord } from '../support/factories.js';

let db: TestDatabase;
let events: PgEventHub;
let services: AppServices;
const servers: RunningHttpServer[] = [];
const keys = {} as Record<Role, string>;
let customerId: string;
let secured: RunningHttpServer;

// Spy on every resolver of the real schema (the server uses the same schema object).
let resolverCalls = 0;

// A tiny OIDC issuer: JWKS on loopback with a key pair made by jose.
let jwks: http.Server;
let issuer: string;
let signingKey: JoseKey;
let otherKey: JoseKey;

async function jwt(
  claims: Record<string, unknown>,
  opts: { key?: JoseKey; exp?: string | number; aud?: string } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(issuer)
    .setAudience(opts.aud ?? 'touchpoint')
    .setSubject('user-42')
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .sign(opts.key ?? signingKey);
}

async function start(options: Partial<SecurityOptions>, production = false): Promise<RunningHttpServer> {
  const security = createSecurity({
    services,
    dataSource: db.dataSource,
    log: services.log,
    production,
    demo: false,
    rateLimit: false,
    ...options,
  });
  const server = await startHttpServer({ services, host: '127.0.0.1', port: 0, production, security });
  servers.push(server);
  return server;
}

async function post(server: RunningHttpServer, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = { text };
  }
  return { status: res.status, headers: res.headers, body: json as { data?: any; errors?: any } };
}

const as = (role: Role, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${keys[role]}`,
  ...extra,
});

const CUSTOMER_Q = `query C($id: ID!) { customer(id: $id) { id traits { name value } identities { kind value rawValue } timeline(first: 5) { edges { node { id summary } } } } }`;

beforeAll(async () => {
  db = await createTestDatabase();
  const log = createLogger('silent');
  events = new PgEventHub(db.url, log);
  await events.start();
  services = createServices(db.dataSource, log, '1.0.0', 'GB', events);

  const schema = await buildHubSchema();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const inner = (field.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, unknown>;
      if ((inner as { spied?: boolean }).spied) continue;
      const spy: GraphQLFieldResolver<unknown, unknown> & { spied?: boolean } = (...args) => {
        resolverCalls += 1;
        return inner(...args);
      };
      spy.spied = true;
      field.resolve = spy;
    }
  }

  customerId = await createCustomer(db.dataSource, {
    traits: {
      firstName: { value: 'Ada', source: 'crm', rule: 'source_priority' },
      email: { value: 'ada.lovelace@example.com', source: 'crm', rule: 'source_priority' },
      phone: { value: '+447700900123', source: 'crm', rule: 'source_priority' },
    },
  });
  await createSourceRecord(db.dataSource, {
    customerId,
    system: 'crm',
    externalId: 'crm-1001',
    identifiers: [
      { kind: 'email', value: 'ada.lovelace@example.com', raw: 'Ada.Lovelace@Example.com' },
      { kind: 'phone', value: '+447700900123', raw: '07700 900123' },
    ],
  });
  await createInteraction(db.dataSource, {
    customerId,
    system: 'crm',
    externalId: 'i-1',
    occurredAt: new Date('2026-01-01T10:00:00Z'),
    summary: 'Ada asked about invoice 42',
  });
  for (const role of ['agent', 'supervisor', 'analyst', 'integrator', 'admin'] as Role[])
    keys[role] = (await createApiKey(db.dataSource, { name: `${role} test`, role })).key;

  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwks = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  const port = (jwks.address() as { port: number }).port;
  issuer = `http://127.0.0.1:${port}`;

  secured = await start({ oidc: { issuer, audience: 'touchpoint', jwksUrl: `${issuer}/jwks.json` } });
});

afterAll(async () => {
  for (const s of servers) await s.stop(1000);
  await new Promise((r) => jwks?.close(r));
  await events?.stop();
  await db?.drop();
});

beforeEach(() => {
  resolverCalls = 0;
});

describe('authentication', () => {
  it('anonymous gets health (which says the hub is secured) and a 401 for anything else', async () => {
    const health = await post(secured, { query: '{ health { status access } }' });
    expect(health.status).toBe(200);
    expect(health.body.data.health.access).toMatch(/^secured \(anonymous/);
    const afterHealth = resolverCalls;
    const denied = await post(secured, { query: CUSTOMER_Q, variables: { id: customerId } });
    expect(denied.status).toBe(401);
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(denied.body.data).toBeUndefined();
    expect(resolverCalls).toBe(afterHealth); // not one resolver ran for the refused request
  });

  it('a wrong, revoked, wrongly signed, expired or wrong-audience credential gets 401 with one message', async () => {
    const revoked = await createApiKey(db.dataSource, { name: 'leaked', role: 'admin' });
    expect(
      (await post(secured, { query: '{ health { status } }' }, { authorization: `Bearer ${revoked.key}` }))
        .status,
    ).toBe(200);
    await revokeApiKey(db.dataSource, revoked.info.id);
    const beforeBad = resolverCalls;
    const bad = [
      `Bearer ${revoked.key}`,
      `Bearer tpk_${'x'.repeat(43)}`,
      'Bearer not-a-token',
      `Bearer ${await jwt({ roles: ['admin'] }, { key: otherKey })}`,
      `Bearer ${await jwt({ roles: ['admin'] }, { exp: Math.floor(Date.now() / 1000) - 3600 })}`,
      `Bearer ${await jwt({ roles: ['admin'] }, { aud: 'someone-else' })}`,
    ];
    for (const authorization of bad) {
      const r = await post(secured, { query: '{ health { status } }' }, { authorization });
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(r.body.errors).toEqual([{ message: BAD_CREDENTIAL, extensions: { code: 'UNAUTHENTICATED' } }]);
    }
    expect(resolverCalls).toBe(beforeBad);
  });

  it('an OIDC token verified against the JWKS maps its roles claim to a hub role', async () => {
    const token = await jwt({ roles: ['supervisor'] });
    const r = await post(secured, { query: '{ health { access } }' }, { authorization: `Bearer ${token}` });
    expect(r.body.data.health.access).toBe('secured (authenticated as supervisor by oidc)');
  });
});

describe('graphql-ws connections', () => {
  it('authenticate from connectionParams like HTTP requests do', async () => {
    const security = createSecurity({
      services,
      dataSource: db.dataSource,
      log: services.log,
      production: false,
      demo: false,
      rateLimit: false,
    });
    const ctx = createRequestContext(services, 'ws-1');
    expect(await security.applyToConnection(ctx, { authorization: `Bearer ${keys.analyst}` })).toBe(true);
    expect([ctx.role, ctx.actor.startsWith('key:')]).toEqual(['analyst', true]);
    expect(
      await security.applyToConnection(createRequestContext(services, 'ws-2'), {
        authorization: 'Bearer tpk_nope',
      }),
    ).toBe(false);
    const anon = createRequestContext(services, 'ws-3');
    expect(await security.applyToConnection(anon, {})).toBe(true);
    expect(anon.role).toBeNull();
  });
});

describe('field access by role', () => {
  it('an agent reads personal fields as stored', async () => {
    const r = await post(secured, { query: CUSTOMER_Q, variables: { id: customerId } }, as('agent'));
    expect(r.body.errors).toBeUndefined();
    const c = r.body.data.customer;
    expect(c.traits).toEqual(
      expect.arrayContaining([
        { name: 'email', value: 'ada.lovelace@example.com' },
        { name: 'phone', value: '+447700900123' },
      ]),
    );
    expect(c.identities).toEqual(
      expect.arrayContaining([{ kind: 'PHONE', value: '+447700900123', rawValue: '07700 900123' }]),
    );
    expect(c.timeline.edges[0].node.summary).toBe('Ada asked about invoice 42');
  });

  it('an analyst sees that values exist, masked', async () => {
    const r = await post(secured, { query: CUSTOMER_Q, variables: { id: customerId } }, as('analyst'));
    expect(r.body.errors).toBeUndefined();
    const c = r.body.data.customer;
    expect(c.traits).toEqual(
      expect.arrayContaining([
        { name: 'email', value: 'a•••@e•••.com' },
        { name: 'phone', value: '+44 •••• ••• 123' },
        { name: 'firstName', value: 'A•••' },
      ]),
    );
    expect(c.identities).toEqual(
      expect.arrayContaining([{ kind: 'EMAIL', value: 'a•••@e•••.com', rawValue: 'A•••@E•••.com' }]),
    );
    expect(c.timeline.edges[0].node.summary).toBe('A•••');
    expect(JSON.stringify(r.body)).not.toMatch(/lovelace|900123|invoice/);
  });

  it('a forbidden field gets FORBIDDEN on that field while the rest of the query answers', async () => {
    const r = await post(
      secured,
      { query: `{ health { status } customer(id: "${customerId}") { id traits { name value } } }` },
      as('integrator'),
    );
    expect(r.status).toBe(200);
    expect(r.body.data.health.status).toBe('ok');
    expect(r.body.data.customer.id).toBe(customerId);
    expect(
      r.body.data.customer.traits.every((t: { name: string; value: unknown }) => t.name && t.value === null),
    ).toBe(true);
    expect(r.body.errors.length).toBe(3);
    for (const e of r.body.errors) {
      expect(e.extensions.code).toBe('FORBIDDEN');
      expect(e.message).toBe('The integrator role may not read Trait.value');
    }
  });

  it('mutations by role: only admin erases, agents may not merge; no resolver runs for a refused mutation', async () => {
    const erase = await post(
      secured,
      { query: `mutation { eraseCustomer(customerId: "${customerId}") { customerId } }` },
      as('supervisor'),
    );
    expect(erase.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const merge = await post(
      secured,
      { query: `mutation { mergeCustomers(a: "${customerId}", b: "${customerId}") { customerId } }` },
      as('agent'),
    );
    expect(merge.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const count: { n: number }[] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM customer WHERE id = $1`,
      [customerId],
    );
    expect(count[0]!.n).toBe(1);
  });
});

describe('read audit', () => {
  it('writes one hash-chained event per customer per request with actor, role, purpose and fields', async () => {
    const before: { n: number }[] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_event WHERE action = 'customer.read'`,
    );
    // The same customer twice in one request (aliases): still one event.
    const q = `{ a: customer(id: "${customerId}") { traits { value } } b: customer(id: "${customerId}") { identities { value } } }`;
    await post(secured, { query: q }, as('agent', { 'x-purpose': 'ticket 5512' }));
    const rows: any[] = await db.dataSource.query(
      `SELECT actor, role, purpose, customer_id AS "customerId", details, hash FROM audit_event WHERE action = 'customer.read' ORDER BY seq`,
    );
    expect(rows.length).toBe(before[0]!.n + 1);
    const last = rows.at(-1);
    expect(last).toMatchObject({ role: 'agent', purpose: 'ticket 5512', customerId });
    expect(last.actor).toMatch(/^key:/);
    expect(last.details.fields).toEqual(['Identity.value', 'Trait.value']);
    expect(last.hash).toMatch(/^[0-9a-f]{64}$/);
    // No personal field read: no audit event.
    await post(secured, { query: `{ customer(id: "${customerId}") { id recordCount } }` }, as('agent'));
    const after: { n: number }[] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_event WHERE action = 'customer.read'`,
    );
    expect(after[0]!.n).toBe(rows.length);
  });
});

describe('query limits (refused at validation, zero resolver calls)', () => {
  it('too costly: pages multiply', async () => {
    const page = `timeline(first: 100) { edges { cursor node { id summary kind channel direction occurredAt system externalId sentiment attributes } } }`;
    const q = `{ ${[1, 2, 3, 4, 5].map((i) => `c${i}: customer(id: "${customerId}") { ${page} }`).join(' ')} }`;
    const r = await post(secured, { query: q }, as('admin'));
    expect(r.status).toBe(400);
    expect(r.body.errors[0].message).toMatch(/costs \d+; the limit is 5000/);
    expect(r.body.errors[0].extensions.limit).toBe('cost');
    expect(resolverCalls).toBe(0);
    const one = await post(secured, { query: `{ customer(id: "${customerId}") { ${page} } }` }, as('admin'));
    expect(one.body.errors).toBeUndefined();
  });

  it('too many aliases', async () => {
    const q = `{ ${Array.from({ length: 16 }, (_, i) => `h${i}: health { status }`).join(' ')} }`;
    const r = await post(secured, { query: q }, as('admin'));
    expect(r.status).toBe(400);
    expect(r.body.errors[0].message).toContain('uses 16 aliases; the limit is 15');
    expect(resolverCalls).toBe(0);
  });

  it('too deep (with a lower depth limit, since the schema itself has no cycles deeper than 8)', async () => {
    const shallow = await start({ limits: { maxDepth: 3 } });
    const r = await post(
      shallow,
      { query: `{ customer(id: "${customerId}") { timeline { edges { node { id } } } } }` },
      as('admin'),
    );
    expect(r.status).toBe(400);
    expect(r.body.errors[0].message).toContain('is nested 5 deep; the limit is 3');
    expect(resolverCalls).toBe(0);
  });

  it('too many tokens, and batched requests', async () => {
    const huge = `{ health { ${'status '.repeat(5000)} } }`;
    const r = await post(secured, { query: huge }, as('admin'));
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toMatch(/more th\w+ 4000 tokens/);
    const batch = await post(
      secured,
      [{ query: '{ health { status } }' }, { query: '{ health { status } }' }],
      as('admin'),
    );
    expect(batch.status).toBe(400);
    expect(resolverCalls).toBe(0);
  });
});

describe('CSRF prevention', () => {
  it('refuses a text/plain POST and a GET mutation without a preflight header', async () => {
    const plain = await fetch(secured.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', ...as('admin') },
      body: JSON.stringify({ query: '{ health { status } }' }),
    });
    expect(plain.status).toBe(400);
    expect(await plain.text()).toMatch(/CSRF|preflight/i);
    const url = `${secured.graphqlUrl}?query=${encodeURIComponent(`mutation { eraseCustomer(customerId: "${customerId}") { customerId } }`)}`;
    const get = await fetch(url, { headers: as('admin') });
    expect(get.status).toBe(400);
    expect(await get.text()).toMatch(/CSRF|preflight/i);
    const withHeader = await fetch(url, { headers: { ...as('admin'), 'apollo-require-preflight': 'true' } });
    expect(withHeader.status).toBe(405); // mutations are never run over GET
    expect(resolverCalls).toBe(0);
  });
});

describe('production', () => {
  const trusted = '{ health { status } }';
  let prod: RunningHttpServer;
  beforeAll(async () => {
    prod = await start({ trustedDocuments: new Map([[sha256(trusted), trusted]]) }, true);
  });

  it('answers trusted documents (by text or by hash) and refuses every other document before parsing', async () => {
    expect((await post(prod, { query: trusted }, as('agent'))).body.data.health.status).toBe('ok');
    const byHash = await post(
      prod,
      { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(trusted) } } },
      as('agent'),
    );
    expect(byHash.body.data.health.status).toBe('ok');
    resolverCalls = 0;
    for (const query of [
      '{ health { status database } }',
      `{ customer(id: "${customerId}") { id } }`,
      '{ __schema { types { name } } }',
    ]) {
      const r = await post(prod, { query }, as('admin'));
      expect(r.status).toBe(400);
      expect(r.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    }
    expect(
      (
        await post(
          prod,
          { extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } },
          as('admin'),
        )
      ).status,
    ).toBe(400);
    expect(resolverCalls).toBe(0);
  });

  it('hides introspection and field suggestions', async () => {
    const doc = '{ health { statuss } }';
    const withDoc = await start(
      {
        trustedDocuments: new Map([
          [sha256(doc), doc],
          [sha256('{ __schema { queryType { name } } }'), '{ __schema { queryType { name } } }'],
        ]),
      },
      true,
    );
    const r = await post(withDoc, { query: doc }, as('admin'));
    expect(JSON.stringify(r.body)).not.toMatch(/Did you mean/);
    const intro = await post(withDoc, { query: '{ __schema { queryType { name } } }' }, as('admin'));
    expect(intro.body.errors[0].message).toMatch(/introspection/i);
  });
});

describe('rate limit by query cost, shared through Postgres', () => {
  it('refuses with 429 and Retry-After once the key has spent its bucket, on every process', async () => {
    const a = await start({ rateLimit: { capacity: 60, refillPerSecond: 1 } });
    const b = await start({ rateLimit: { capacity: 60, refillPerSecond: 1 } });
    const { key } = await createApiKey(db.dataSource, { name: 'busy', role: 'agent' });
    const q = `{ customer(id: "${customerId}") { timeline(first: 10) { edges { node { id summary } } } } }`; // cost 1+1+10+10+20 = 42
    expect((await post(a, { query: q }, { authorization: `Bearer ${key}` })).status).toBe(200);
    const refused = await post(b, { query: q }, { authorization: `Bearer ${key}` });
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another key has its own bucket.
    expect((await post(b, { query: q }, as('agent'))).status).toBe(200);
  });

  it('keeps its buckets in an unlogged table, so taking from one never waits for a WAL flush', async () => {
    const [t] = await db.dataSource.query(`SELECT relpersistence FROM pg_class WHERE relname = 'rate_limit_bucket'`);
    expect(t).toEqual({ relpersistence: 'u' });
  });
});

describe('the demo', () => {
  it('is open to anonymous callers and says so in health', async () => {
    const demo = await start({ demo: true });
    const r = await post(demo, {
      query: `{ health { access } customer(id: "${customerId}") { traits { name value } } }`,
    });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.health.access).toMatch(/^open \(DEMO/);
    expect(r.body.data.customer.traits).toEqual(
      expect.arrayContaining([{ name: 'email', value: 'ada.lovelace@example.com' }]),
    );
  });
});

describe('erasure', () => {
  it('is admin-only, lists sources to notify, and scrubs inbox and dead-letter payloads that name the person', async () => {
    const victim = await createCustomer(db.dataSource, {
      traits: { email: { value: 'grace.hopper@example.org', source: 'crm', rule: 'x' } },
    });
    await createSourceRecord(db.dataSource, {
      customerId: victim,
      system: 'zendesk',
      externalId: 'zd-77',
      identifiers: [{ kind: 'email', value: 'grace.hopper@example.org' }],
    });
    await db.dataSource.query(
      `INSERT INTO inbox_event (connector_instance, event_id, payload, status, last_error) VALUES
        ('zendesk', 'e1', $1, 'dead', 'bad row for GRACE.HOPPER@example.org'), ('zendesk', 'e2', $2, 'applied', NULL), ('zendesk', 'e3', $3, 'pending', NULL)`,
      [
        JSON.stringify({ user: { email: 'Grace.Hopper@example.org' } }),
        JSON.stringify({ requester: 'zd-77' }),
        JSON.stringify({ user: { email: 'someone@else.org' } }),
      ],
    );
    const r = await post(
      secured,
      {
        query: `mutation { eraseCustomer(customerId: "${victim}") { customerId notify { system externalId } } }`,
      },
      as('admin'),
    );
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.eraseCustomer.notify).toEqual([{ system: 'zendesk', externalId: 'zd-77' }]);
    const inbox: { eventId: string; payload: unknown; lastError: string | null }[] =
      await db.dataSource.query(
        `SELECT event_id AS "eventId", payload, last_error AS "lastError" FROM inbox_event ORDER BY event_id`,
      );
    expect(inbox).toEqual([
      { eventId: 'e1', payload: { erased: true }, lastError: 'scrubbed: the person was erased' },
      { eventId: 'e2', payload: { erased: true }, lastError: null },
      { eventId: 'e3', payload: { user: { email: 'someone@else.org' } }, lastError: null },
    ]);
    const audit: { role: string }[] = await db.dataSource.query(
      `SELECT role FROM audit_event WHERE action = 'customer.erased' AND customer_id = $1`,
      [victim],
    );
    expect(audit).toEqual([{ role: 'admin' }]);
  });
});
