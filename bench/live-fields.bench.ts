/**
 * screenPop with live fields from five sources: five Stripe connector instances (the real
 * connector, its billing fetch and HTTP client), each pointed at its own Stripe simulator on
 * loopback that answers every request `delay` ms after it reaches it (`latencyNext`: its own
 * handling falls inside those ms, as a remote system's does inside its response time; before
 * 2026-11-26 the simulators waited `delay` ms and then handled, answering 1-3 ms later). Each
 * simulator runs in a child process of its own (bench/live-sources.child.ts), as five remote
 * systems on machines of their own would: the hub's process pays only
 * its own work, and one source's request handling does not queue behind another's. The caller is one customer known to all
 * five (synced through the real apply path), so `customer { billing }` asks five sources, one
 * batched call each, in parallel.
 *
 *   npm run build && node_modules/.bin/node dist/bench/live-fields.bench.js [requests=60] [delayMs=50] [hangSamples=3]
 *
 * Prints screenPop p50/p99 without and with the live field (sequential requests: latency, not
 * throughput), where a live request's time goes inside the hub (livePhases: to the first call, the
 * calls' spread, the wait, the responses' spread, last response to the answer's end; p50 each),
 * and, with one source hanging, the time past that source's deadline. PROFILE=dir
 * writes a CPU profile of the hub's process during the live requests.
 */
import { connectors } from '../connectors/index.js';
import { instanceForSimulator } from '../connectors/simulators.js';
import { fork, type ChildProcess } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/config.js';
import { PgEventHub } from '../src/events/event-hub.js';
import { createServices } from '../src/graphql/context.js';
import { startHttpServer } from '../src/http/server.js';
import { withScratchDatabase } from '../src/identity/evaluate/linkage-evaluation.js';
import { createIngest, runSync } from '../src/ingest/index.js';
import { DEFAULT_LIVE_DEADLINE_MS } from '../src/live/live-fields.service.js';
import { createLogger } from '../src/log/logger.js';
import { benchPostgres, runBench } from './bench-postgres.js';
import { profiled } from './profile.js';
import { callerPhone, type SourcesCommand, type SourcesReady } from './live-sources.child.js';

const SOURCES = 5;
const CALLERS = 10;

/** Sends a command to the sources' process and waits for its answer. */
function command(child: ChildProcess, cmd: SourcesCommand): Promise<void> {
  return new Promise((resolve) => {
    child.once('message', () => resolve());
    child.send(cmd);
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

interface Answer {
  data?: { screenPop: { customer: { id: string; billing?: { sources: string[]; stale: boolean } | null } } | null };
  errors?: { message: string; extensions?: { code?: string; connector?: string } }[];
}

async function gql(url: string, query: string, variables: Record<string, unknown>): Promise<{ ms: number; body: Answer }> {
  const t = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as Answer;
  return { ms: performance.now() - t, body };
}

async function main(): Promise<void> {
  const [requests = 60, delayMs = 50, hangSamples = 3] = process.argv.slice(2).map(Number);
  const log = createLogger('silent');
  const server = await benchPostgres(log);
  const children = Array.from({ length: SOURCES }, () =>
    // At the default priority: raised, their wake-ups preempted the hub while it issued its five
    // calls (measured 61.3 vs 60.2 ms p50, same machine state); lowered, they answered late.
    fork(fileURLToPath(new URL('./live-sources.child.js', import.meta.url)), ['1', String(CALLERS)], { stdio: 'inherit' }),
  );
  /** A command to every source's process (or to source k only for hangOne, which each process numbers 0). */
  const all = (cmd: SourcesCommand) => Promise.all(children.map((c) => command(c, cmd)));
  try {
    const ready: SourcesReady = {
      sources: (
        await Promise.all(
          children.map(
            (child) =>
              new Promise<SourcesReady>((resolve, reject) => {
                child.once('message', (m) => resolve(m as SourcesReady));
                child.once('exit', (code) => reject(new Error(`a source's process exited (${code}) before it was ready`)));
              }),
          ),
        )
      ).flatMap((r) => r.sources),
    };
    await withScratchDatabase(
      server.url,
      async (ds) => {
        // The callers: in every source, the same person (email, phone) with one open invoice, so one
        // invoice list answers a source (the population's own phones are in a range no caller rings from).
        const wired = ready.sources.map((sim, k) => instanceForSimulator(`billing-${k + 1}`, 'stripe', sim));
        const events = new PgEventHub((ds.options as { url: string }).url, log);
        const services = createServices(ds, log, 'bench', 'GB', events);
        const ingest = createIngest({
          ds,
          config: { ...loadConfig({ env: {} }), file: { connectors: wired.map((w) => w.entry) } },
          registry: connectors,
          identity: services.identity,
          log,
          env: Object.assign({}, ...wired.map((w) => w.env)) as Record<string, string>,
        });
        services.ingest = ingest;
        for (const w of wired) {
          const rt = ingest.runtime(w.entry.id as string)!;
          await runSync({ ds, apply: ingest.apply, instance: rt.instance, ctx: rt.ctx, stream: 'customers' });
        }
        const hub = await startHttpServer({ services, host: '127.0.0.1', port: 0, production: false });
        const deadlineMs = connectors.stripe!.fetch?.find((f) => f.name === 'billing')?.deadlineMs ?? DEFAULT_LIVE_DEADLINE_MS;

        const plain = `query($p: String!) { screenPop(phone: $p, last: 10) { customer { id traits { name value } } recentInteractions { occurredAt channel summary } openConversations { id } lastEmployee { displayName } } }`;
        const live = `query($p: String!) { screenPop(phone: $p, last: 10) { customer { id traits { name value } billing { openBalance currency overdueInvoices sources stale } } recentInteractions { occurredAt channel summary } openConversations { id } lastEmployee { displayName } } }`;
        const callers: string[] = [];
        for (let k = 0; k < CALLERS; k++) {
          const { body } = await gql(hub.graphqlUrl, live, { p: callerPhone(k) });
          if (body.data?.screenPop?.customer.billing?.sources.length === SOURCES && !body.errors) callers.push(callerPhone(k));
        }
        if (callers.length < CALLERS)
          throw new Error(`only ${callers.length} of ${CALLERS} callers are one customer known to all ${SOURCES} billing sources`);

        await all({ op: 'delay', ms: delayMs });
        const run = async (query: string, n: number) => {
          const ms: number[] = [];
          for (let i = 0; i < n; i++) {
            const { ms: t, body } = await gql(hub.graphqlUrl, query, { p: callers[i % callers.length] });
            if (body.errors || !body.data?.screenPop) throw new Error(`bad answer: ${JSON.stringify(body).slice(0, 300)}`);
            if (query === live && (body.data.screenPop.customer.billing?.sources.length !== SOURCES || body.data.screenPop.customer.billing.stale))
              throw new Error(`billing did not come fresh from all ${SOURCES} sources: ${JSON.stringify(body.data.screenPop.customer.billing)}`);
            ms.push(t);
          }
          return ms;
        };
        await run(live, 5); // warm-up (connections to the five sources)
        const plainMs = await run(plain, requests);
        // Where a live request's time goes, from the hub's side (requests are sequential, so each
        // event belongs to the request in flight): its arrival, the first and last of the five calls
        // to the sources leaving, the first and last of their responses arriving, its answer's end.
        const marks: { arrive: number; sends: number[]; responses: number[]; end?: number }[] = [];
        const onServerStart = () => void marks.push({ arrive: performance.now(), sends: [], responses: [] });
        const onClientStart = () => void marks.at(-1)?.sends.push(performance.now());
        const onClientResponse = () => void marks.at(-1)?.responses.push(performance.now());
        const onServerFinish = () => {
          const m = marks.at(-1);
          if (m) m.end = performance.now();
        };
        diagnostics.subscribe('http.server.request.start', onServerStart);
        diagnostics.subscribe('http.client.request.start', onClientStart);
        diagnostics.subscribe('http.client.response.finish', onClientResponse);
        diagnostics.subscribe('http.server.response.finish', onServerFinish);
        const liveMs = await profiled('live-fields', () => run(live, requests));
        diagnostics.unsubscribe('http.server.request.start', onServerStart);
        diagnostics.unsubscribe('http.client.request.start', onClientStart);
        diagnostics.unsubscribe('http.client.response.finish', onClientResponse);
        diagnostics.unsubscribe('http.server.response.finish', onServerFinish);
        const complete = marks.filter((m) => m.sends.length === SOURCES && m.responses.length === SOURCES && m.end !== undefined);
        const phase = (f: (m: (typeof complete)[number]) => number) => pct(complete.map(f), 50);
        const livePhases = {
          requests: complete.length,
          toFirstCall: phase((m) => m.sends[0]! - m.arrive),
          callsSpread: phase((m) => m.sends.at(-1)! - m.sends[0]!),
          lastCallToFirstResponse: phase((m) => m.responses[0]! - m.sends.at(-1)!),
          responsesSpread: phase((m) => m.responses.at(-1)! - m.responses[0]!),
          lastResponseToEnd: phase((m) => m.end! - m.responses.at(-1)!),
          inServer: phase((m) => m.end! - m.arrive),
        };

        // One source hangs: the request must come back at its deadline with the stored value, marked stale.
        const hangMs: number[] = [];
        for (let i = 0; i < hangSamples; i++) {
          await command(children[2]!, { op: 'hangOne', k: 0, ms: delayMs });
          const { ms, body } = await gql(hub.graphqlUrl, live, { p: callers[i % callers.length] });
          const timeout = body.errors?.find((e) => e.extensions?.code === 'UPSTREAM_TIMEOUT');
          if (!timeout || !body.data?.screenPop?.customer.billing?.stale)
            throw new Error(`a hanging source did not give a stale answer with UPSTREAM_TIMEOUT: ${JSON.stringify(body).slice(0, 300)}`);
          hangMs.push(ms);
        }
        const plainP50 = pct(plainMs, 50);
        console.log(
          JSON.stringify(
            {
              sources: SOURCES,
              sourceDelayMs: delayMs,
              callers: callers.length,
              requests,
              screenPop_without_live: { p50: plainP50, p99: pct(plainMs, 99) },
              screenPop_with_live_5: { p50: pct(liveMs, 50), p99: pct(liveMs, 99) },
              live_p50_over_slowest_source: pct(liveMs, 50) - delayMs,
              /** p50 of each part of a live request, in the hub (ms). */
              livePhases,
              hang: {
                deadlineMs,
                samples: hangMs,
                maxPastDeadline: Math.max(...hangMs) - deadlineMs,
                maxPastDeadlineLessPlainP50: Math.max(...hangMs) - deadlineMs - plainP50,
              },
            },
            (_, v) => (typeof v === 'number' ? Number(v.toFixed(1)) : v),
          ),
        );
        await all({ op: 'clear' });
        ingest.close();
        await hub.stop(1000);
        await events.stop();
      },
      { poolMax: 20 },
    );
  } finally {
    await Promise.all(children.filter((c) => c.connected).map((c) => command(c, { op: 'close' })));
    for (const c of children) c.kill();
    await server.stop();
  }
}

runBench('live-fields', main);
