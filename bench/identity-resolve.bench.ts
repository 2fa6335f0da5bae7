/**
 * Identity resolution throughput and latency, through IdentityResolver.applyPerson (the
 * production path) on a scratch database of real Postgres (DATABASE_URL's server, or an embedded
 * one in a temp dir).
 *
 *   npm run build && node dist/bench/identity-resolve.bench.js [records=5000] [streamed=300] [concurrency=8] [base=0] [--compare-cap=N]
 *
 * `--compare-cap=N`: the streamed records alternate between the default config and one with
 * maxSuggestionsPerRecord = N, each reported on its own (same graph, same machine state).
 *
 * `base` > 0 first loads that many records of another seed through the bulk path (src/identity/bulk),
 * so the record-by-record figures are measured on a graph of realistic size (the issue's streamed
 * target is on top of 1,000,000 records), then vacuums, checkpoints and prewarms it (a settled
 * graph). Postgres runs with SIZED_SERVER's settings and SERVER_MALLOC's environment
 * (bench/bench-postgres.ts; PG_DEFAULTS=1 for the defaults), Node with SERVE_NODE_FLAGS
 * (bench/identity-stream.support.ts).
 * The streamed records follow `records` applied at `concurrency` (also a warm-up: optimised code,
 * pools filled).
 *
 * Records: people spread over five systems with realistic overlap (a person is in 1–5 systems;
 * systems share the email or the phone, sometimes only one of them; some records carry a second,
 * personal email; names with small variations), so most applies link to an existing customer.
 */
import os from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { generateRecords } from '../src/identity/bulk/generate-records.js';
import { withScratchDatabase } from '../src/identity/evaluate/linkage-evaluation.js';
import { IdentityResolver } from '../src/identity/identity-resolver.service.js';
import { createLogger } from '../src/log/logger.js';
import {
  SERVER_MALLOC,
  SIZED_SERVER,
  benchPostgres,
  gcKind,
  prewarm,
  nodeFlags,
  runBench,
  withNodeFlags,
} from './bench-postgres.js';
import { collectGarbage, loadBaseGraph, quantile, SERVE_NODE_FLAGS } from './identity-stream.support.js';

async function main(): Promise<void> {
  if (withNodeFlags(SERVE_NODE_FLAGS)) return;
  const [records = 5000, streamed = 300, concurrency = 8, base = 0] = process.argv
    .slice(2)
    .filter((a) => !a.startsWith('--'))
    .map(Number);
  const capArg = process.argv.find((a) => a.startsWith('--compare-cap='))?.slice('--compare-cap='.length);
  const compareCap = capArg === undefined ? null : Number(capArg);
  if (compareCap !== null && !(Number.isInteger(compareCap) && compareCap >= 0))
    throw new Error(`--compare-cap must be a non-negative integer, got ${capArg}`);
  const log = createLogger('warn');
  const server = await benchPostgres(log, SIZED_SERVER, SERVER_MALLOC);
  const all = generateRecords(records + streamed);
  const bulk = all.slice(0, records);
  const stream = all.slice(records);
  try {
    await withScratchDatabase(
      server.url,
      async (ds) => {
        const resolver = new IdentityResolver(ds);
        if (base > 0) {
          const b0 = process.hrtime.bigint();
          const s = await loadBaseGraph(ds, base);
          const prewarmedMB = await prewarm((q) => ds.query(q));
          process.stdout.write(`prewarmed ${prewarmedMB ?? 0} MB into shared buffers\n`);
          // This process settles too: the base load's gigabytes of garbage are collected now, not
          // by a full collection in the middle of the streamed records (a hub streaming all day
          // does not carry an import's heap).
          collectGarbage();
          const settled = Number(process.hrtime.bigint() - b0) / 1e9 - s;
          process.stdout.write(
            `base graph: ${base} records bulk-loaded in ${Math.round(s)}s, vacuumed and checkpointed in ${Math.round(settled)}s\n`,
          );
        }
        let next = 0;
        const t0 = process.hrtime.bigint();
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (next < bulk.length) {
              const r = bulk[next++]!;
              await resolver.applyPerson(r.system, r.person);
            }
          }),
        );
        const bulkSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
        const latencies: number[] = [];
        const other =
          compareCap === null ? null : new IdentityResolver(ds, { maxSuggestionsPerRecord: compareCap });
        const otherLatencies: number[] = [];
        const suggested = [0, 0];
        // Each default-config apply's start and milliseconds (performance.now(), the clock of the
        // gc entries) and what it did, to tell what the slowest ones were.
        const timed: { start: number; ms: number; merged: number; suggestions: number; created: boolean }[] =
          [];
        // Node's collections while the streamed records apply (their pauses are in the latencies).
        const gcs: { start: number; ms: number; kind: string }[] = [];
        const gcObserver = new PerformanceObserver((list) => {
          for (const e of list.getEntries())
            gcs.push({
              start: e.startTime,
              ms: e.duration,
              kind: gcKind(e),
            });
        });
        gcObserver.observe({ entryTypes: ['gc'] });
        for (const [k, r] of stream.entries()) {
          const alt = other !== null && k % 2 === 1;
          const started = performance.now();
          const res = await (alt ? other : resolver).applyPerson(r.system, r.person);
          const ms = performance.now() - started;
          (alt ? otherLatencies : latencies).push(ms);
          if (!alt)
            timed.push({
              start: started,
              ms,
              merged: res.retiredIds.length,
              suggestions: res.suggestions,
              created: res.createdCustomer,
            });
          suggested[alt ? 1 : 0]! += res.suggestions;
        }
        gcObserver.disconnect();
        latencies.sort((a, b) => a - b);
        otherLatencies.sort((a, b) => a - b);
        if (other)
          process.stdout.write(
            `streamed, alternate records: default cap ${resolver.config.maxSuggestionsPerRecord}: p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms, ${(suggested[0]! / latencies.length).toFixed(1)} suggestions/record; cap ${compareCap}: p50 ${quantile(otherLatencies, 0.5).toFixed(1)} ms, p99 ${quantile(otherLatencies, 0.99).toFixed(1)} ms, ${(suggested[1]! / otherLatencies.length).toFixed(1)} suggestions/record\n`,
          );
        const [{ customers }] = (await ds.query(
          `SELECT count(*)::int AS customers FROM customer WHERE status = 'active'`,
        )) as [{ customers: number }];
        // By what the apply did: a change to one kind (merges, say) shows there first, where the
        // p99 of all is moved by a few outliers.
        const kindOf = (t: (typeof timed)[number]) =>
          t.created ? 'new customer' : t.merged ? 'merged' : 'joined one';
        const byKind = Object.fromEntries(
          ['new customer', 'joined one', 'merged'].map((kind) => {
            const ms = timed
              .filter((t) => kindOf(t) === kind)
              .map((t) => t.ms)
              .sort((a, b) => a - b);
            const q = (p: number) => (ms.length ? Math.round(quantile(ms, p) * 10) / 10 : null);
            return [kind, { n: ms.length, p50: q(0.5), p90: q(0.9) }];
          }),
        );
        const result = {
          records,
          base,
          concurrency,
          bulkSeconds: Math.round(bulkSeconds * 10) / 10,
          bulkRecordsPerSecond: Math.round(records / bulkSeconds),
          streamed,
          streamedP50Ms: Math.round(quantile(latencies, 0.5) * 10) / 10,
          streamedP99Ms: Math.round(quantile(latencies, 0.99) * 10) / 10,
          streamedGc: { n: gcs.length, maxMs: Math.round(Math.max(0, ...gcs.map((g) => g.ms)) * 10) / 10 },
          streamedByKind: byKind,
          customers,
          cpus: os.cpus().length,
          pgSettings: SIZED_SERVER,
          pgEnvironment: SERVER_MALLOC,
          nodeFlags: nodeFlags(),
          node: process.version,
          date: new Date().toISOString(),
        };
        process.stdout.write(
          `bulk import: ${records} records in ${result.bulkSeconds}s = ${result.bulkRecordsPerSecond} records/s (concurrency ${concurrency})\n`,
        );
        process.stdout.write(
          `streamed apply (one at a time, on top): p50 ${result.streamedP50Ms} ms, p99 ${result.streamedP99Ms} ms over ${streamed} (Node collected garbage ${gcs.length} times meanwhile, longest pause ${result.streamedGc.maxMs} ms)\n`,
        );
        process.stdout.write(
          `streamed by kind: ${Object.entries(byKind)
            .map(([kind, k]) => `${kind} n=${k.n} p50 ${k.p50} ms p90 ${k.p90} ms`)
            .join('; ')}\n`,
        );
        const slowest = [...timed]
          .sort((a, b) => b.ms - a.ms)
          .slice(0, 5)
          .map((t) => {
            const inside = gcs.filter((g) => g.start < t.start + t.ms && g.start + g.ms > t.start);
            const did = kindOf(t) === 'merged' ? `merged ${t.merged + 1} customers` : kindOf(t);
            const gc = inside.map((g) => `, ${g.kind} GC ${g.ms.toFixed(1)} ms`).join('');
            return `${t.ms.toFixed(1)} ms (${did}, ${t.suggestions} suggestions${gc})`;
          });
        process.stdout.write(`slowest streamed applies: ${slowest.join('; ')}\n`);
        process.stdout.write(`${JSON.stringify(result)}\n`);
      },
      { poolMax: concurrency },
    );
  } finally {
    await server.stop();
  }
}

runBench('identity-resolve', main);
