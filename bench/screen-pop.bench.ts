/**
 * screenPop from the stored graph, and timeline paging, over real HTTP against the real API
 * (Express 5 + Apollo + type-graphql, demo security), with a bare Apollo Server answering
 * `{ __typename }` measured in the same run as the reference.
 *
 *   npm run build && node dist/bench/screen-pop.bench.js [customers=100000] [interactionsPerCustomer=10] [seconds=10]
 *
 * Data is generated in Postgres with generate_series (customers, one source record and phone per
 * customer, N interactions each, plus one customer with 10,000 interactions for paging).
 * Loads: a steady 200 requests/s (open loop, latency from the scheduled time), then the maximum
 * throughput with 16 concurrent clients, for screenPop and for the bare server.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { PgEventHub } from '../src/events/event-hub.js';
import { createServices } from '../src/graphql/context.js';
import { startHttpServer } from '../src/http/server.js';
import { withScratchDatabase } from '../src/identity/evaluate/linkage-evaluation.js';
import { createLogger } from '../src/log/logger.js';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function post(url: string, body: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.text();
  if (res.status !== 200 || text.includes('"errors"')) throw new Error(`bad answer ${res.status}: ${text.slice(0, 200)}`);
}

/** Open loop at `rate` req/s for `seconds`: latency counted from each request's scheduled time. */
async function steady(url: string, bodies: () => string, rate: number, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const start = performance.now();
  const total = rate * seconds;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const at = start + (i * 1000) / rate;
    const wait = at - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(post(url, bodies()).then(() => void latencies.push(performance.now() - at)));
  }
  await Promise.all(inflight);
  return latencies;
}

/** Closed loop: `clients` concurrent clients for `seconds`; requests per second. */
async function maxThroughput(url: string, bodies: () => string, clients: number, seconds: number): Promise<number> {
  let done = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        await post(url, bodies());
        done++;
      }
    }),
  );
  return done / seconds;
}

async function main(): Promise<void> {
  const [customers = 100_000, perCustomer = 10, seconds = 10] = process.argv.slice(2).map(Number);
  const log = createLogger('warn');
  let serverUrl = process.env.DATABASE_URL;
  let embedded: { stop(): Promise<void> } | undefined;
  if (!serverUrl) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-bench-'));
    fs.chmodSync(dir, 0o755);
    embedded = await startEmbeddedPostgres(dir, log);
    serverUrl = (embedded as unknown as { url: string }).url;
  }
  try {
    await withScratchDatabase(
      serverUrl,
      async (ds) => {
        const t0 = performance.now();
        await ds.query(`INSERT INTO customer (id, record_count, traits)
          SELECT md5('c' || g)::uuid, 1, jsonb_build_object('firstName', jsonb_build_object('value', 'Person ' || g, 'source', 'bench', 'rule', 'most_recent'))
            FROM generate_series(1, $1) g`, [customers]);
        await ds.query(`INSERT INTO source_record (id, system, object_type, external_id, customer_id, origin_customer_id)
          SELECT md5('r' || g)::uuid, 'twilio', 'caller', 'C' || g, md5('c' || g)::uuid, md5('c' || g)::uuid FROM generate_series(1, $1) g`, [customers]);
        await ds.query(`INSERT INTO identifier (id, kind, namespace, value) SELECT g, 'phone', '', '+4420' || lpad(g::text, 8, '0') FROM generate_series(1, $1) g`, [customers]);
        await ds.query(`INSERT INTO record_identifier (source_record_id, identifier_id, raw_value, normaliser_version)
          SELECT md5('r' || g)::uuid, g, '020' || lpad(g::text, 8, '0'), 1 FROM generate_series(1, $1) g`, [customers]);
        await ds.query(`INSERT INTO interaction (system, external_id, customer_id, source_record_id, occurred_at, channel, direction, kind, summary, sentiment)
          SELECT 'bench', c || ':' || i, md5('c' || c)::uuid, md5('r' || c)::uuid, now() - (i || ' minutes')::interval,
                 (ARRAY['voice','email','social_public','social_private'])[1 + i % 4], 'inbound', 'message', 'interaction ' || i, 0.1
            FROM generate_series(1, $1) c, generate_series(1, $2) i`, [customers, perCustomer]);
        await ds.query(`INSERT INTO interaction (system, external_id, customer_id, occurred_at, channel, direction, kind, summary)
          SELECT 'bench-long', 'L' || i, md5('c1')::uuid, now() - (i || ' seconds')::interval, 'email', 'inbound', 'message', 'long ' || i
            FROM generate_series(1, 10000) i`);
        await ds.query('ANALYZE');
        const loadSeconds = (performance.now() - t0) / 1000;

        const events = new PgEventHub((ds.options as { url: string }).url, log);
        const services = createServices(ds, log, 'bench', 'GB', events);
        const hub = await startHttpServer({ services, host: '127.0.0.1', port: 0, production: false });

        const bare = new ApolloServer({ typeDefs: 'type Query { ok: Boolean }', resolvers: { Query: { ok: () => true } } });
        await bare.start();
        const app = express();
        app.use('/graphql', express.json(), expressMiddleware(bare));
        const bareServer = http.createServer(app);
        await new Promise<void>((r) => bareServer.listen(0, '127.0.0.1', r));
        const bareUrl = `http://127.0.0.1:${(bareServer.address() as { port: number }).port}/graphql`;

        const pop = () => {
          const n = 1 + Math.floor(Math.random() * customers);
          return JSON.stringify({
            query: `query($p: String!) { screenPop(phone: $p, last: 10) { customer { id traits { name value } } recentInteractions { occurredAt channel summary sentiment } openConversations { id } lastEmployee { displayName } } }`,
            variables: { p: `020${String(n).padStart(8, '0')}` },
          });
        };
        const typename = () => JSON.stringify({ query: '{ __typename }' });
        for (let i = 0; i < 200; i++) await post(hub.graphqlUrl, pop()); // warm-up

        const popSteady = await steady(hub.graphqlUrl, pop, 200, seconds);
        const popMax = await maxThroughput(hub.graphqlUrl, pop, 16, seconds);
        const bareMax = await maxThroughput(bareUrl, typename, 16, seconds);
        // Page through the 10,000-interaction customer once to learn every cursor, then ask for random pages.
        const [c1] = await ds.query(`SELECT md5('c1')::uuid AS id`);
        const pageQuery = `query($after: String) { timeline(customerId: "${c1.id}", first: 50, after: $after) { edges { node { occurredAt channel summary } } pageInfo { endCursor hasNextPage } } }`;
        const cursors: (string | null)[] = [null];
        for (;;) {
          const res = await fetch(hub.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: pageQuery, variables: { after: cursors.at(-1) } }) });
          const body = (await res.json()) as { data: { timeline: { pageInfo: { endCursor: string; hasNextPage: boolean } } } };
          if (!body.data.timeline.pageInfo.hasNextPage) break;
          cursors.push(body.data.timeline.pageInfo.endCursor);
        }
        const pageBody = () => JSON.stringify({ query: pageQuery, variables: { after: cursors[Math.floor(Math.random() * cursors.length)] } });
        const pageSteady = await steady(hub.graphqlUrl, pageBody, 100, seconds);

        const result = {
          customers,
          interactions: customers * perCustomer + 10000,
          loadSeconds: Number(loadSeconds.toFixed(1)),
          screenPop_steady200: { p50: pct(popSteady, 50), p99: pct(popSteady, 99) },
          screenPop_max_rps: Math.round(popMax),
          bare_apollo_max_rps: Math.round(bareMax),
          ratio_to_bare: Number((popMax / bareMax).toFixed(3)),
          timeline_pages: cursors.length,
          timelinePage_steady100: { p50: pct(pageSteady, 50), p99: pct(pageSteady, 99) },
        };
        console.log(JSON.stringify(result, (_, v) => (typeof v === 'number' ? Number(v.toFixed(2)) : v)));
        await hub.stop(1000);
        await events.stop();
        await bare.stop();
        bareServer.close();
      },
      { poolMax: 20 },
    );
  } finally {
    await embedded?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
