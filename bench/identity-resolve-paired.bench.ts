/**
 * A change to the streamed apply, measured against the code before it, record by record: the same
 * base graph is bulk-loaded into two scratch databases (same seed, same decisions), and each
 * streamed record is applied by the baseline build on one and by this build on the other, the two
 * applies back to back in alternating order. Each record's two times are a pair: what the record
 * does (how many candidates, whether it merges) and what the machine is doing at that moment are
 * the same for both, so the median of the differences shows changes of a few hundredths of a
 * millisecond, where two separate runs of identity-resolve.bench.js differ by a millisecond or more
 * at p50 on a shared 2-core machine.
 *
 *   npm run build
 *   git worktree add /tmp/before <commit> && ln -s "$PWD/node_modules" /tmp/before/node_modules
 *   (cd /tmp/before && npx tsc -p tsconfig.build.json)
 *   BASELINE=/tmp/before node_modules/.bin/node dist/bench/identity-resolve-paired.bench.js [base=300000] [streamed=1500]
 *
 * BASELINE is the root of the other build (its dist/src/identity/identity-resolver.service.js is
 * loaded beside this one; the scratch databases get this build's migrations, so the two must
 * share a schema). BASELINE_SQL, if set, runs on the baseline's database after the base graph is
 * loaded, to take back there a change of this build's migrations that the baseline's code works
 * with (a column default, say: `ALTER TABLE ... SET DEFAULT ...`). `base` records are bulk-loaded
 * by this build into each database, which is then vacuumed, checkpointed and prewarmed; both sides
 * get the same 1000 warm-up records at concurrency 8 before the measured ones. Round trips are counted per apply (pg's
 * Client.prototype.query calls). After the timed records, each side in turn applies 500 more from a
 * checkpoint on, and the WAL they wrote per apply (pg_stat_wal: bytes, full-page images) is printed:
 * the first change to a page after a checkpoint logs the whole page, which a short timed run, with
 * its checkpoint before the warm-up, mostly does not show. Postgres and Node run as in
 * identity-resolve.bench.js.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import type { CanonicalPerson } from '../src/connector-kit/canonical.js';
import { generateRecords } from '../src/identity/bulk/generate-records.js';
import { withScratchDatabase } from '../src/identity/evaluate/linkage-evaluation.js';
import { IdentityResolver, type ApplyPersonResult } from '../src/identity/identity-resolver.service.js';
import { createLogger } from '../src/log/logger.js';
import {
  SERVER_MALLOC,
  SIZED_SERVER,
  benchPostgres,
  nodeFlags,
  prewarm,
  runBench,
  withNodeFlags,
} from './bench-postgres.js';
import {
  baseGraphRecords,
  collectGarbage,
  loadBaseGraph,
  quantile,
  SERVE_NODE_FLAGS,
} from './identity-stream.support.js';

interface Applier {
  applyPerson(system: string, person: CanonicalPerson): Promise<ApplyPersonResult>;
}

interface Timed {
  ms: number;
  roundTrips: number;
  kind: 'new customer' | 'joined one' | 'merged';
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

function summary(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return {
    n: s.length,
    mean: round(mean),
    p50: round(quantile(s, 0.5)),
    p90: round(quantile(s, 0.9)),
    p99: round(quantile(s, 0.99)),
  };
}

async function main(): Promise<void> {
  if (withNodeFlags(SERVE_NODE_FLAGS)) return;
  const baseline = process.env.BASELINE;
  if (!baseline)
    throw new Error(
      'BASELINE must be the root of the build to compare with (a built worktree of the other commit)',
    );
  const module = path.resolve(baseline, 'dist/src/identity/identity-resolver.service.js');
  const { IdentityResolver: Before } = (await import(pathToFileURL(module).href)) as {
    IdentityResolver: new (ds: DataSource) => Applier;
  };
  const [base = 300_000, streamed = 1500] = process.argv
    .slice(2)
    .filter((a) => !a.startsWith('--'))
    .map(Number);
  const server = await benchPostgres(createLogger('warn'), SIZED_SERVER, SERVER_MALLOC);
  const records = generateRecords(1000 + streamed + WAL_PROBE);
  const warmUp = records.slice(0, 1000);
  const measured = records.slice(1000, 1000 + streamed);
  const walProbe = records.slice(1000 + streamed);
  const baseRecords = baseGraphRecords(base);
  // Round trips of each apply: every statement is one Client.query call (pool and TypeORM alike).
  let queries = 0;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    queries += 1;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    await withScratchDatabase(
      server.url,
      (before) =>
        withScratchDatabase(
          server.url,
          async (after) => {
            for (const ds of [before, after]) await loadBaseGraph(ds, base, baseRecords);
            // Takes back, on the baseline's side, a schema change that the baseline predates.
            if (process.env.BASELINE_SQL) await before.query(process.env.BASELINE_SQL);
            for (const ds of [before, after]) await prewarm((q) => ds.query(q));
            collectGarbage();
            const sides: Applier[] = [new Before(before), new IdentityResolver(after)];
            for (const side of sides) {
              let next = 0;
              await Promise.all(
                Array.from({ length: 8 }, async () => {
                  while (next < warmUp.length) {
                    const r = warmUp[next++]!;
                    await side.applyPerson(r.system, r.person);
                  }
                }),
              );
            }
            const timed: [Timed[], Timed[]] = [[], []];
            for (const [k, r] of measured.entries()) {
              for (const side of k % 2 === 0 ? [0, 1] : [1, 0]) {
                const q0 = queries;
                const t0 = performance.now();
                const res = await sides[side]!.applyPerson(r.system, r.person);
                timed[side]!.push({
                  ms: performance.now() - t0,
                  roundTrips: queries - q0,
                  kind: res.createdCustomer
                    ? 'new customer'
                    : res.retiredIds.length
                      ? 'merged'
                      : 'joined one',
                });
              }
            }
            // WAL per apply from a checkpoint on: each side in turn applies the same records, so the
            // server's counters are that side's alone.
            const wal: WalUse[] = [];
            for (const [side, ds] of [before, after].entries()) {
              await ds.query('CHECKPOINT');
              const w0 = await walCounters(ds);
              for (const r of walProbe) await sides[side]!.applyPerson(r.system, r.person);
              const w1 = await walCounters(ds);
              wal.push({
                kbPerApply: round((w1.bytes - w0.bytes) / 1024 / walProbe.length, 1),
                fullPageImagesPerApply: round((w1.fpi - w0.fpi) / walProbe.length),
              });
            }
            report(timed, wal as [WalUse, WalUse], base, streamed);
          },
          { poolMax: 8 },
        ),
      { poolMax: 8 },
    );
  } finally {
    pg.Client.prototype.query = query;
    await server.stop();
  }
}

/** Records applied by each side after the timed ones, each side from a checkpoint, for its WAL. */
const WAL_PROBE = 500;

interface WalUse {
  kbPerApply: number;
  fullPageImagesPerApply: number;
}

async function walCounters(ds: DataSource): Promise<{ bytes: number; fpi: number }> {
  const [w] = (await ds.query(
    `SELECT wal_bytes::float8 AS bytes, wal_fpi::float8 AS fpi FROM pg_stat_wal`,
  )) as [{ bytes: number; fpi: number }];
  return w;
}

function report(
  [before, after]: [Timed[], Timed[]],
  wal: [WalUse, WalUse],
  base: number,
  streamed: number,
): void {
  const sideOf = (xs: Timed[]) => ({
    ...summary(xs.map((x) => x.ms)),
    roundTrips: round(xs.reduce((a, x) => a + x.roundTrips, 0) / Math.max(1, xs.length)),
  });
  const pairs = before.map((b, i) => ({ b, a: after[i]! }));
  const differences = (ps: typeof pairs) => summary(ps.map((p) => p.a.ms - p.b.ms));
  const byKind = Object.fromEntries(
    (['new customer', 'joined one', 'merged'] as const).map((kind) => {
      // Pairs whose two applies did the same kind of thing (nearly all: the graphs are the same).
      const ps = pairs.filter((p) => p.b.kind === kind && p.a.kind === kind);
      return [
        kind,
        {
          before: sideOf(ps.map((p) => p.b)),
          after: sideOf(ps.map((p) => p.a)),
          difference: differences(ps),
        },
      ];
    }),
  );
  const result = {
    base,
    streamed,
    before: sideOf(before),
    after: sideOf(after),
    difference: differences(pairs),
    sameKind: pairs.filter((p) => p.a.kind === p.b.kind).length,
    byKind,
    wal: { probe: WAL_PROBE, before: wal[0], after: wal[1] },
    pgSettings: SIZED_SERVER,
    pgEnvironment: SERVER_MALLOC,
    nodeFlags: nodeFlags(),
    node: process.version,
    date: new Date().toISOString(),
  };
  const line = (name: string, s: ReturnType<typeof sideOf>) =>
    `${name}: mean ${s.mean} ms, p50 ${s.p50}, p90 ${s.p90}, p99 ${s.p99}, ${s.roundTrips} round trips`;
  process.stdout.write(`${line('before', result.before)}\n${line('after ', result.after)}\n`);
  process.stdout.write(
    `after - before, per record: median ${result.difference.p50} ms, mean ${result.difference.mean} ms (${result.sameKind} of ${pairs.length} records did the same on both)\n`,
  );
  for (const [kind, k] of Object.entries(byKind))
    process.stdout.write(
      `  ${kind} (n=${k.difference.n}): median difference ${k.difference.p50} ms; before p50 ${k.before.p50}, after p50 ${k.after.p50}; round trips ${k.before.roundTrips} -> ${k.after.roundTrips}\n`,
    );
  process.stdout.write(
    `WAL per apply over ${WAL_PROBE} more records from a checkpoint: before ${wal[0].kbPerApply} KB (${wal[0].fullPageImagesPerApply} full-page images), after ${wal[1].kbPerApply} KB (${wal[1].fullPageImagesPerApply})\n`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

runBench('identity-resolve-paired', main);
