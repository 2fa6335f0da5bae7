import v8 from 'node:v8';
import vm from 'node:vm';
import type { DataSource } from 'typeorm';
import { bulkResolve } from '../src/identity/bulk/bulk-resolve.js';
import { generateRecords } from '../src/identity/bulk/generate-records.js';

/**
 * The Node flags the hub's API process runs with (package.json's start script, README
 * "Production"): a young generation of at most 8 MB per semi-space. With V8's default (up to 32 MB)
 * a scavenge during a streamed apply took 15 to 44 ms and was in most of the slowest applies; with
 * 8 MB they are more frequent but each under 10 ms. The streamed benches start themselves again
 * with them when they are missing; NODE_DEFAULTS=1 runs them with Node's defaults.
 */
export const SERVE_NODE_FLAGS = process.env.NODE_DEFAULTS === '1' ? [] : ['--max-semi-space-size=8'];

export const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** A full garbage collection, now (gc() without starting Node with --expose-gc). */
export function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

/**
 * Bulk-loads a base graph of `base` generated records (another seed than the streamed ones, their
 * external ids prefixed `base-`), then settles it, as a hub that streams records all day has it: the
 * bulk load's rows vacuumed (hint bits and visibility map set once, not by the first readers) and
 * checkpointed, not a database still digesting a million-row import. `records` lets a caller
 * load the same records into several databases. Answers the seconds the load took.
 */
export async function loadBaseGraph(
  ds: DataSource,
  base: number,
  records = baseGraphRecords(base),
): Promise<number> {
  const t0 = process.hrtime.bigint();
  await bulkResolve(ds, records);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await ds.query('VACUUM ANALYZE');
  await ds.query('CHECKPOINT');
  return seconds;
}

/** The records loadBaseGraph loads. */
export function baseGraphRecords(base: number) {
  return generateRecords(base, 7).map((r) => ({
    system: r.system,
    person: { ...r.person, externalId: `base-${r.person.externalId}` },
  }));
}
