import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { isUpstreamError } from '../connector-kit/http/index.js';
import type { Ingest } from '../ingest/ingest.runtime.js';
import type { Logger } from '../log/logger.js';

export interface LiveValue {
  value: unknown;
  source: string;
  asOf: Date;
  /** True when the source failed or was late and the stored value is served instead. */
  stale: boolean;
}

/** What a request learnt about its live fields: served stale values and the source errors behind them. */
export interface LiveReport {
  stale: { source: string; field: string; asOf: string | null }[];
  errors: { message: string; code: string; connector: string; field: string }[];
}

export const DEFAULT_LIVE_DEADLINE_MS = 1000;

class DeadlineError extends Error {
  override name = 'DeadlineError';
}

function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

interface PendingWrite {
  instanceId: string;
  done: Promise<void>;
}

/** Cache writes still under way, per database (shared by every request's LiveFields). */
const PENDING = new WeakMap<DataSource, Set<PendingWrite>>();

function pendingWrites(ds: DataSource): Set<PendingWrite> {
  let set = PENDING.get(ds);
  if (!set) PENDING.set(ds, (set = new Set()));
  return set;
}

interface CacheRow {
  instanceId: string;
  field: string;
  externalId: string;
  /** The value as JSON text. */
  value: string;
  fetchedAt: Date;
}

/** How long fresh values wait for company before they are written to the stale-fallback cache. */
const CACHE_WRITE_WINDOW_MS = 20;

/**
 * Writes fresh live values to `live_field_cache` (the stale fallback) off the response path: rows
 * from every source and request of the last CACHE_WRITE_WINDOW_MS go into ONE upsert, committed
 * without waiting for the WAL flush (a cache row lost to a database crash only means an older
 * fallback). A row is never older than the one stored (the upsert keeps the later fetched_at).
 */
class LiveCacheWriter {
  private rows: CacheRow[] = [];
  private waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ds: DataSource) {}

  write(rows: CacheRow[]): Promise<void> {
    this.rows.push(...rows);
    this.timer ??= setTimeout(() => void this.flush(), CACHE_WRITE_WINDOW_MS);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private async flush(): Promise<void> {
    const waiters = this.waiters;
    const latest = new Map<string, CacheRow>();
    for (const r of this.rows) {
      const key = `${r.instanceId}\u0000${r.field}\u0000${r.externalId}`;
      const seen = latest.get(key);
      if (!seen || seen.fetchedAt <= r.fetchedAt) latest.set(key, r);
    }
    this.rows = [];
    this.waiters = [];
    this.timer = undefined;
    const rows = [...latest.values()];
    try {
      await this.ds.query(
        `WITH async AS (SELECT set_config('synchronous_commit', 'off', true))
         INSERT INTO live_field_cache (connector_instance, field, external_id, value, fetched_at)
         SELECT r.i, r.f, r.e, r.v, r.at
           FROM async, unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[]) AS r(i, f, e, v, at)
         ON CONFLICT (connector_instance, field, external_id) DO UPDATE SET value = EXCLUDED.value, fetched_at = EXCLUDED.fetched_at
         WHERE live_field_cache.fetched_at <= EXCLUDED.fetched_at`,
        [
          rows.map((r) => r.instanceId),
          rows.map((r) => r.field),
          rows.map((r) => r.externalId),
          rows.map((r) => r.value),
          rows.map((r) => r.fetchedAt),
        ],
      );
      for (const w of waiters) w.resolve();
    } catch (err) {
      for (const w of waiters) w.reject(err);
    }
  }
}

const CACHE_WRITERS = new WeakMap<DataSource, LiveCacheWriter>();

function cacheWriter(ds: DataSource): LiveCacheWriter {
  let writer = CACHE_WRITERS.get(ds);
  if (!writer) CACHE_WRITERS.set(ds, (writer = new LiveCacheWriter(ds)));
  return writer;
}

/**
 * Live fields of one request: one DataLoader per connector instance and field, so every customer
 * in the request costs one batched call per source, all sources in parallel, each under its
 * deadline. A failed or late source serves the last stored value, marked stale in the report.
 */
export class LiveFields {
  readonly report: LiveReport = { stale: [], errors: [] };
  private readonly loaders = new Map<string, DataLoader<string, LiveValue | null>>();
  private readonly records = new Map<string, DataLoader<string, { system: string; externalId: string }[]>>();

  constructor(
    private readonly ds: DataSource,
    private readonly ingest: Ingest | undefined,
    private readonly log: Logger,
  ) {}

  /** Connector instances offering a live field by this name. */
  instancesWith(field: string): string[] {
    return (this.ingest?.instances ?? []).filter((i) => i.enabled && i.connector.fetch?.some((f) => f.name === field)).map((i) => i.id);
  }

  /** Connector instances offering any live field (their source records feed `recordsOf`). */
  liveInstances(): string[] {
    return (this.ingest?.instances ?? []).filter((i) => i.enabled && i.connector.fetch?.length).map((i) => i.id);
  }

  /**
   * The source records of customers in the instances offering `field`, batched across the request,
   * so every resolver asks its sources in the same tick and each source gets one batched call.
   */
  recordsOf(customerId: string, field: string): Promise<{ system: string; externalId: string }[]> {
    return this.recordsLoader(field).load(customerId);
  }

  /**
   * Records of a customer already read with the request's first statement (screenPop reads them
   * for `liveInstances()`): every live field's source lookup for that customer then starts without
   * a round trip of its own.
   */
  primeRecords(customerId: string, records: { system: string; externalId: string }[]): void {
    const fields = new Set(
      (this.ingest?.instances ?? []).filter((i) => i.enabled).flatMap((i) => (i.connector.fetch ?? []).map((f) => f.name)),
    );
    for (const field of fields) {
      const instances = new Set(this.instancesWith(field));
      this.recordsLoader(field).prime(
        customerId,
        records.filter((r) => instances.has(r.system)).map(({ system, externalId }) => ({ system, externalId })),
      );
    }
  }

  private recordsLoader(field: string): DataLoader<string, { system: string; externalId: string }[]> {
    let loader = this.records.get(field);
    if (!loader) {
      const instances = this.instancesWith(field);
      loader = new DataLoader(async (ids: readonly string[]) => {
        const rows: { customerId: string; system: string; externalId: string }[] = await this.ds.query(
          `SELECT customer_id AS "customerId", system, external_id AS "externalId" FROM source_record
            WHERE customer_id = ANY($1::uuid[]) AND system = ANY($2::text[]) AND NOT deleted`,
          [ids, instances],
        );
        return ids.map((id) => rows.filter((r) => r.customerId === id).map(({ system, externalId }) => ({ system, externalId })));
      });
      this.records.set(field, loader);
    }
    return loader;
  }

  private remember(instanceId: string, write: Promise<unknown>): void {
    const set = pendingWrites(this.ds);
    const entry: PendingWrite = {
      instanceId,
      done: write.then(
        () => undefined,
        (err: unknown) => this.log.warn({ connector: instanceId, err: (err as Error).message }, 'live field cache write failed'),
      ),
    };
    set.add(entry);
    void entry.done.finally(() => set.delete(entry));
  }

  load(instanceId: string, field: string, externalId: string): Promise<LiveValue | null> {
    const key = `${instanceId}\u0000${field}`;
    let loader = this.loaders.get(key);
    if (!loader) {
      loader = new DataLoader((ids) => this.batch(instanceId, field, ids), { cache: true });
      this.loaders.set(key, loader);
    }
    return loader.load(externalId);
  }

  private async batch(instanceId: string, field: string, ids: readonly string[]): Promise<(LiveValue | null)[]> {
    const rt = this.ingest?.runtime(instanceId);
    const def = rt?.instance.connector.fetch?.find((f) => f.name === field);
    if (!rt || !def) return ids.map(() => null);
    try {
      const values = await withDeadline(def.fetchMany(rt.ctx, ids), def.deadlineMs ?? DEFAULT_LIVE_DEADLINE_MS, `${instanceId} (${field})`);
      const asOf = new Date();
      const fresh = ids.map((id, i) => ({ id, v: values[i] })).filter((x) => x.v !== undefined && !(x.v instanceof Error));
      // The cache write (for the stale fallback) is not on the response path: the fresh values are
      // returned now and written with others shortly; a later fallback of the same source waits for
      // writes still under way.
      if (fresh.length) {
        this.remember(
          instanceId,
          cacheWriter(this.ds).write(
            fresh.map((x) => ({ instanceId, field, externalId: x.id, value: JSON.stringify(x.v), fetchedAt: asOf })),
          ),
        );
      }
      return ids.map((_, i) => {
        const v = values[i];
        return v === undefined || v instanceof Error ? null : { value: v, source: instanceId, asOf, stale: false };
      });
    } catch (err) {
      const code = err instanceof DeadlineError ? 'UPSTREAM_TIMEOUT' : isUpstreamError(err) ? err.code : 'UPSTREAM_UNAVAILABLE';
      const message = `live field ${field} from connector ${instanceId} failed (${code}): ${(err as Error).message || 'no message'}; the stored value is served`;
      this.log.warn({ connector: instanceId, field, code }, 'live field source failed; serving the stored value');
      this.report.errors.push({ message, code, connector: instanceId, field });
      await Promise.all([...pendingWrites(this.ds)].filter((w) => w.instanceId === instanceId).map((w) => w.done));
      const rows: { externalId: string; value: unknown; fetchedAt: Date }[] = await this.ds.query(
        `SELECT external_id AS "externalId", value, fetched_at AS "fetchedAt" FROM live_field_cache
          WHERE connector_instance = $1 AND field = $2 AND external_id = ANY($3::text[])`,
        [instanceId, field, ids],
      );
      const byId = new Map(rows.map((r) => [r.externalId, r]));
      const asOfs = rows.map((r) => r.fetchedAt.getTime());
      this.report.stale.push({ source: instanceId, field, asOf: asOfs.length ? new Date(Math.min(...asOfs)).toISOString() : null });
      return ids.map((id) => {
        const r = byId.get(id);
        return r ? { value: r.value, source: instanceId, asOf: r.fetchedAt, stale: true } : null;
      });
    }
  }
}
