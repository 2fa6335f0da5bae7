import crypto from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ConnectorContext, StreamDefinition } from '../connector-kit/contract.js';
import { inTransaction, type Sql } from '../db/sql.js';
import type { Logger } from '../log/logger.js';
import { reasonOf, type ApplyService, type PageItem } from './apply.service.js';
import { streamInterval, type ConnectorInstance, type InstanceRuntime } from './instances.js';

export interface RunSyncOptions {
  ds: DataSource;
  apply: ApplyService;
  instance: ConnectorInstance;
  /** The connector context; built from the instance by createInstanceRuntime. */
  ctx: ConnectorContext<any>;
  /** One stream only (default: every stream of the connector). */
  stream?: string;
  /** Backfill: start from a null cursor instead of the saved one. */
  full?: boolean;
  log?: Logger;
  /** Stop after this many pages (the next run resumes from the saved cursor). */
  maxPages?: number;
  /** Checked between pages: true stops the run after the page in hand (shutdown). */
  shouldStop?: () => boolean;
}

export interface StreamRunResult {
  stream: string;
  /** `busy`: another process holds this stream's lock. */
  status: 'succeeded' | 'failed' | 'busy';
  pages: number;
  records: number;
  deadLettered: number;
  error?: string;
}

/** A stable 64-bit advisory-lock key per instance and stream. */
export function syncLockKey(instanceId: string, stream: string): string {
  return crypto
    .createHash('sha256')
    .update(`touchpoint-sync:${instanceId}:${stream}`)
    .digest()
    .readBigInt64BE(0)
    .toString();
}

/** Thrown for a stream name the connector does not have. */
export class UnknownStreamError extends Error {
  override name = 'UnknownStreamError';
}

function streamsOf(instance: ConnectorInstance, only?: string): StreamDefinition<any>[] {
  const all = instance.connector.streams;
  if (only === undefined) return all;
  const s = all.find((x) => x.name === only);
  if (!s)
    throw new UnknownStreamError(
      `connector instance "${instance.id}" has no stream "${only}" (streams: ${all.map((x) => x.name).join(', ')})`,
    );
  return [s];
}

/**
 * Runs the instance's streams. Each page is applied in ONE transaction together with its new
 * cursor, so the saved cursor is always that of the last applied page: a crash resumes there,
 * and a page is applied again only if its transaction never committed (at-least-once, and the
 * apply path is idempotent).
 */
export async function runSync(options: RunSyncOptions): Promise<StreamRunResult[]> {
  const results: StreamRunResult[] = [];
  for (const stream of streamsOf(options.instance, options.stream))
    results.push(await runStream(options, stream));
  return results;
}

async function runStream(options: RunSyncOptions, stream: StreamDefinition<any>): Promise<StreamRunResult> {
  const { ds, apply, instance, ctx } = options;
  const log = (options.log ?? ctx.log).child({ stream: stream.name });
  const result: StreamRunResult = {
    stream: stream.name,
    status: 'succeeded',
    pages: 0,
    records: 0,
    deadLettered: 0,
  };
  // A session advisory lock on a dedicated connection: two processes never run the same stream.
  const runner = ds.createQueryRunner();
  await runner.connect();
  const key = syncLockKey(instance.id, stream.name);
  try {
    const [lock] = (await runner.query(`SELECT pg_try_advisory_lock($1::bigint) AS ok`, [key])) as {
      ok: boolean;
    }[];
    if (!lock?.ok) return { ...result, status: 'busy' };
    try {
      const [state] = await ds.query(
        `INSERT INTO sync_state (connector_instance, stream, status, last_started_at) VALUES ($1, $2, 'running', now())
         ON CONFLICT (connector_instance, stream) DO UPDATE SET status = 'running', last_started_at = now()
         RETURNING cursor`,
        [instance.id, stream.name],
      );
      let cursor: unknown = options.full
        ? null
        : ((state as { cursor: unknown } | undefined)?.cursor ?? null);
      for (;;) {
        const page = await stream.fetchPage(ctx, cursor);
        const items: PageItem[] = page.items.map((raw) => {
          try {
            return { raw, batch: stream.map(raw, ctx) };
          } catch (error) {
            return { raw, error };
          }
        });
        const outcome = await inTransaction(ds, async (sql: Sql) => {
          const o = await apply.applyPageIn(sql, instance.id, `stream:${stream.name}`, items);
          await sql(
            `UPDATE sync_state SET cursor = $3::jsonb, records_synced = records_synced + $4,
                    high_water_mark = GREATEST(high_water_mark, $5::timestamptz)
              WHERE connector_instance = $1 AND stream = $2`,
            [
              instance.id,
              stream.name,
              JSON.stringify(page.nextCursor ?? null),
              items.length - o.deadLettered,
              o.highWaterMark,
            ],
          );
          return o;
        });
        result.pages++;
        result.records += items.length - outcome.deadLettered;
        result.deadLettered += outcome.deadLettered;
        cursor = page.nextCursor ?? null;
        if (page.done) break;
        if (page.nextCursor === null || page.nextCursor === undefined) {
          throw new Error(
            `stream ${stream.name} returned a page that is not the last one without a cursor to continue from`,
          );
        }
        if (options.maxPages !== undefined && result.pages >= options.maxPages) break;
        if (options.shouldStop?.()) break;
      }
      await ds.query(
        `UPDATE sync_state SET status = 'succeeded', last_success_at = now() WHERE connector_instance = $1 AND stream = $2`,
        [instance.id, stream.name],
      );
      log.info(
        { pages: result.pages, records: result.records, deadLettered: result.deadLettered },
        'stream synced',
      );
      return result;
    } catch (err) {
      const message = reasonOf(err);
      await ds.query(
        `UPDATE sync_state SET status = 'failed', last_error = $3, last_error_at = now() WHERE connector_instance = $1 AND stream = $2`,
        [instance.id, stream.name, message.slice(0, 2000)],
      );
      log.warn(
        { err: message, pages: result.pages },
        'stream sync failed; the next run resumes from the last applied page',
      );
      return { ...result, status: 'failed', error: message };
    } finally {
      await runner.query(`SELECT pg_advisory_unlock($1::bigint)`, [key]);
    }
  } finally {
    await runner.release();
  }
}

export interface Scheduler {
  /** Stops scheduling and lets runs in progress finish their current page, and waits for them. */
  stop(): Promise<void>;
}

/**
 * Runs every enabled instance's streams every `everySeconds`: the next run of a stream is
 * scheduled when the previous one ends (no overlap in this process), and the advisory lock in
 * runSync keeps two processes off the same stream.
 */
export function startScheduler(options: {
  ds: DataSource;
  apply: ApplyService;
  runtimes: InstanceRuntime[];
  log: Logger;
  initialDelayMs?: number;
  /**
   * Stream runs at once in this process. Each run holds a pooled connection for its advisory
   * lock and takes another per page, so this must stay below half the pool (DB_POOL_MAX).
   */
  maxConcurrent?: number;
}): Scheduler {
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<unknown>>();
  let stopped = false;
  const limit = Math.max(1, options.maxConcurrent ?? 2);
  let active = 0;
  const waiting: (() => void)[] = [];
  const acquire = () =>
    active < limit ? (active++, Promise.resolve()) : new Promise<void>((resolve) => waiting.push(() => (active++, resolve())));
  const release = () => {
    active--;
    waiting.shift()?.();
  };
  const schedule = (rt: InstanceRuntime, stream: StreamDefinition<any>, delayMs: number) => {
    if (stopped) return;
    const t = setTimeout(() => {
      timers.delete(t);
      const run = acquire()
        .then(() =>
          stopped
            ? undefined
            : runSync({
                ds: options.ds,
                apply: options.apply,
                instance: rt.instance,
                ctx: rt.ctx,
                stream: stream.name,
                log: options.log,
                shouldStop: () => stopped,
              }).finally(release),
        )
        .catch((err: unknown) =>
          options.log.error(
            { instance: rt.instance.id, stream: stream.name, err: reasonOf(err) },
            'scheduled sync crashed',
          ),
        )
        .finally(() => {
          running.delete(run);
          schedule(rt, stream, streamInterval(rt.instance, stream) * 1000);
        });
      running.add(run);
    }, delayMs);
    timers.add(t);
  };
  for (const rt of options.runtimes) {
    if (!rt.instance.enabled) continue;
    for (const stream of rt.instance.connector.streams) schedule(rt, stream, options.initialDelayMs ?? 0);
  }
  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      // Runs still waiting for a slot see `stopped` and end without syncing.
      while (waiting.length) waiting.shift()!();
      await Promise.allSettled([...running]);
    },
  };
}
