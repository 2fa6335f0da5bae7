/**
 * Bulk identity resolution throughput: the set-based path (src/identity/bulk) on the identity
 * bench's generated records (five systems, realistic overlap), on a scratch database of real
 * Postgres (DATABASE_URL's server, or an embedded one in a temp dir).
 *
 *   npm run build && node_modules/.bin/node dist/bench/identity-bulk.bench.js [records=50000] [onTop=0] [compare=0]
 *
 * The target size of the issue (needs a bigger heap):
 *   NODE_OPTIONS=--max-old-space-size=10000 node_modules/.bin/node dist/bench/identity-bulk.bench.js 1000000
 * The embedded server (not one given by DATABASE_URL) runs with PG_SETTINGS below, as a server
 * meant for loads of this size would be configured (the defaults, 128 MB of shared buffers and
 * 1 GB of WAL between checkpoints, are sized for a laptop); PG_DEFAULTS=1 runs it with the
 * defaults. The settings are printed with the figures.
 * The bench runs Node with NODE_FLAGS below (it starts itself again with them when they are
 * missing), as a process meant for imports of this size would be started: the import builds
 * gigabytes of objects that nearly all survive, and V8's default young generation collected them
 * in many small, expensive scavenges (GC was about a third of the 1M import's Node CPU; scavenges
 * alone 4.6 s of a 200k run, 1.5 s with these flags). The old generation starts at 4 GB: below
 * that V8 starts no full collection to keep the heap small, and the 1M import (2.7 GB at its
 * peak; 3.5 GB with the third flag below) otherwise had it mark the whole growing heap again and
 * again (1M: 180–184 s against 203–210 s without, the two alternated). Buffers and typed arrays
 * count against the heap's own limit (--external-memory-accounted-in-global-limit): by default
 * every 64 MB of them allocated since the last full collection starts another one, and the import
 * allocates gigabytes of COPY buffers, so a mostly live 2.2 GB heap was marked again every 10 to
 * 20 s (8 times at 1M, ~4.5 s of the main thread each). NODE_DEFAULTS=1 runs it with Node's
 * defaults. The flags are printed with the figures.
 * The import's phase timings (report.timings) follow one another: on an initial load the
 * identifiers are written in "write identifiers early" and their indexes built, by one Postgres
 * process, beside "features and blocks"; the blocking keys in "write block keys early", their
 * indexes built (one process) beside "resolve, streaming suggestions"; the suggestions' indexes
 * while the import works out the customers (in "customers", and "reserve ids" waits for what is
 * left of them); the other indexes in "build indexes".
 * CANDIDATE_SEARCH=worker|in-process|loop chooses who searches the blocks for candidates
 * (BulkOptions.candidateSearch; default: a worker thread from CANDIDATE_WORKER_FROM records): one
 * build compares the worker with the loop's own search.
 * PROFILE=dir writes a CPU profile of the measured import to dir/identity-bulk.cpuprofile.
 * `onTop` > 0 first bulk-loads that many extra records of another seed, so the measured run
 * resolves against an existing graph. `compare` > 0 also applies the first `compare` records one
 * by one through IdentityResolver.applyPerson in another scratch database and prints both rates
 * and their ratio (same machine, same moment: the fair comparison on a shared machine).
 */
import os from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { bulkResolve, type BulkOptions } from '../src/identity/bulk/bulk-resolve.js';
import { generateRecords } from '../src/identity/bulk/generate-records.js';
import { IdentityResolver } from '../src/identity/identity-resolver.service.js';
import { withScratchDatabase } from '../src/identity/evaluate/linkage-evaluation.js';
import { createLogger } from '../src/log/logger.js';
import { benchPostgres, gcKind, hostCheck, nodeFlags, runBench, withNodeFlags } from './bench-postgres.js';
import { profiled } from './profile.js';

const PG_SETTINGS: Record<string, string> =
  process.env.PG_DEFAULTS === '1' ? {} : { shared_buffers: '1GB', max_wal_size: '8GB' };


const NODE_FLAGS =
  process.env.NODE_DEFAULTS === '1'
    ? []
    : [
        '--max-semi-space-size=128',
        '--initial-old-space-size=4096',
        '--external-memory-accounted-in-global-limit',
      ];

async function main(): Promise<void> {
  if (withNodeFlags(NODE_FLAGS)) return;
  const [records = 50_000, onTop = 0, compare = 0] = process.argv.slice(2).map(Number);
  const log = createLogger('warn');
  const host = hostCheck();
  const server = await benchPostgres(log, PG_SETTINGS);
  try {
    await withScratchDatabase(server.url, async (ds) => {
      if (onTop > 0) {
        const base = generateRecords(onTop, 7).map((r) => ({
          system: r.system,
          person: { ...r.person, externalId: `base-${r.person.externalId}` },
        }));
        await bulkResolve(ds, base);
      }
      const g0 = process.hrtime.bigint();
      const input = generateRecords(records);
      const generateSeconds = Number(process.hrtime.bigint() - g0) / 1e9;
      let peakHeap = 0;
      const sampler = setInterval(() => {
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      }, 500);
      // The main thread's GC pauses during the import, by kind (V8 marks concurrently on helper
      // threads as well: that shows in nodeCpuSeconds, not here).
      const gc: Record<string, { n: number; ms: number; maxMs: number }> = {};
      const gcObserver = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          const kind = gcKind(e);
          const k = (gc[kind] ??= { n: 0, ms: 0, maxMs: 0 });
          k.n++;
          k.ms += e.duration;
          k.maxMs = Math.max(k.maxMs, e.duration);
        }
      });
      gcObserver.observe({ entryTypes: ['gc'] });
      const [{ lsn: lsn0 }] = (await ds.query(`SELECT pg_current_wal_lsn()::text AS lsn`)) as [{ lsn: string }];
      const cpu0 = process.cpuUsage();
      const pg0 = server.cpuMs();
      const faults0 = { node: process.resourceUsage().minorPageFault, pg: server.minorFaults() };
      const t0 = process.hrtime.bigint();
      // CPU seconds of this process and of Postgres in each phase: who works while the other waits.
      const phaseCpu: Record<string, { node: number; pg: number | null }> = {};
      // Thousands of minor page faults of each in each phase (see processTreeUsage).
      const phaseFaults: Record<string, { node: number; pg: number | null }> = {};
      let lastCpu = process.cpuUsage();
      let lastPg = pg0;
      let lastFaults = faults0;
      const kilo = (a: number | null, b: number | null) =>
        a === null || b === null ? null : Math.round((a - b) / 1000);
      const onPhase = (name: string) => {
        const c = process.cpuUsage(lastCpu);
        const p = server.cpuMs();
        const faults = { node: process.resourceUsage().minorPageFault, pg: server.minorFaults() };
        phaseCpu[name] = {
          node: Math.round((c.user + c.system) / 1e5) / 10,
          pg: p === null || lastPg === null ? null : Math.round((p - lastPg) / 100) / 10,
        };
        phaseFaults[name] = { node: kilo(faults.node, lastFaults.node)!, pg: kilo(faults.pg, lastFaults.pg) };
        lastCpu = process.cpuUsage();
        lastPg = p;
        lastFaults = faults;
      };
      const search = process.env.CANDIDATE_SEARCH as BulkOptions['candidateSearch'] | undefined;
      const report = await profiled('identity-bulk', () =>
        bulkResolve(ds, input, { onPhase, ...(search ? { candidateSearch: search } : {}) }),
      );
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      const pg1 = server.cpuMs();
      const faults1 = { node: process.resourceUsage().minorPageFault, pg: server.minorFaults() };
      clearInterval(sampler);
      gcObserver.disconnect();
      const [{ customers }] = (await ds.query(
        `SELECT count(*)::int AS customers FROM customer WHERE status = 'active'`,
      )) as [{ customers: number }];
      // What the import wrote: WAL, and each table's heap (with TOAST) and indexes, in MB.
      const [{ walMB }] = (await ds.query(
        `SELECT round(pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn) / 1048576)::int AS "walMB"`,
        [lsn0],
      )) as [{ walMB: number }];
      const tableMB = Object.fromEntries(
        (
          (await ds.query(
            `SELECT c.relname AS name, round(pg_table_size(c.oid) / 1048576.0)::int AS heap, round(pg_indexes_size(c.oid) / 1048576.0)::int AS indexes
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = current_schema() AND c.relkind = 'r' AND pg_table_size(c.oid) > 1048576
              ORDER BY pg_table_size(c.oid) DESC`,
          )) as { name: string; heap: number; indexes: number }[]
        ).map((r) => [r.name, { heap: r.heap, indexes: r.indexes }]),
      );
      const result = {
        records,
        onTop,
        seconds: Math.round(seconds * 10) / 10,
        recordsPerSecond: Math.round(records / seconds),
        generateSeconds: Math.round(generateSeconds * 10) / 10,
        customers,
        links: report.links,
        suggestions: report.suggestions,
        candidateSearch: search ?? 'default',
        candidatesListed: report.candidatesListed,
        timings: report.timings,
        phaseCpu,
        // CPU seconds this process and the embedded Postgres used during the import: on a shared
        // machine they move less with the other load than the elapsed time does.
        nodeCpuSeconds: Math.round((cpu.user + cpu.system) / 1e5) / 10,
        pgCpuSeconds: pg0 === null || pg1 === null ? null : Math.round((pg1 - pg0) / 100) / 10,
        walMB,
        tableMB,
        // Thousands of minor page faults during the import, in all and by phase.
        kiloFaults: { node: kilo(faults1.node, faults0.node), pg: kilo(faults1.pg, faults0.pg) },
        phaseKiloFaults: phaseFaults,
        gcPauses: Object.fromEntries(
          Object.entries(gc).map(([kind, k]) => [kind, { n: k.n, seconds: Math.round(k.ms / 100) / 10, maxMs: Math.round(k.maxMs) }]),
        ),
        // Sampled every 0.5 s during the import; peak RSS of the whole process.
        peakHeapMB: Math.round(peakHeap / 2 ** 20),
        peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
        pgSettings: process.env.DATABASE_URL ? 'DATABASE_URL server' : PG_SETTINGS,
        nodeFlags: nodeFlags(),
        load: os.loadavg().map((l) => Math.round(l * 100) / 100),
        host,
        cpus: os.cpus().length,
        node: process.version,
        date: new Date().toISOString(),
      };
      process.stdout.write(
        `bulk resolve: ${records} records in ${result.seconds}s = ${result.recordsPerSecond} records/s (${customers} customers, load ${result.load.join(' ')})\n`,
      );
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });
    if (compare > 0) {
      const sample = generateRecords(records).slice(0, compare);
      const timed = async (work: (ds: DataSource) => Promise<unknown>) =>
        withScratchDatabase(server.url, async (ds) => {
          const t0 = process.hrtime.bigint();
          await work(ds);
          return Number(process.hrtime.bigint() - t0) / 1e9;
        });
      const incremental = await timed(async (ds) => {
        const resolver = new IdentityResolver(ds);
        for (const r of sample) await resolver.applyPerson(r.system, r.person);
      });
      const bulk = await timed((ds) => bulkResolve(ds, sample));
      const rate = (s: number) => Math.round(compare / s);
      process.stdout.write(
        `same ${compare} records: one by one ${rate(incremental)} records/s, bulk ${rate(bulk)} records/s, ratio ${Math.round((incremental / bulk) * 10) / 10}x (load ${os
          .loadavg()
          .map((l) => Math.round(l * 100) / 100)
          .join(' ')})\n`,
      );
    }
  } finally {
    await server.stop();
  }
}

runBench('identity-bulk', main);
