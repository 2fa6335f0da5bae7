import pg from 'pg';
import type { DataSource } from 'typeorm';
import type { CanonicalBatch } from '../connector-kit/canonical.js';
import type { WebhookEvent } from '../connector-kit/contract.js';
import { inTransaction, type Sql } from '../db/sql.js';
import type { Logger } from '../log/logger.js';
import { INBOX_CHANNEL } from '../webhooks/inbox.store.js';
import type { WebhookInstanceLookup } from '../webhooks/webhook-instance.js';

/** What applying one event's records reported; `suppressed`: the person was erased and nothing was written. */
export interface InboxApplyOutcome {
  suppressed?: boolean;
}

/**
 * Applies canonical records INSIDE the caller's transaction (the worker marks the inbox row in
 * the same one: that is what makes the effect exactly-once). Wire it to
 * `ApplyService.applyBatch` run on `sql`.
 */
export type InboxApply = ((
  sql: Sql,
  system: string,
  batch: CanonicalBatch,
) => Promise<InboxApplyOutcome | void>) & {
  /**
   * Optional: called once per claimed batch, before its events are applied and outside their
   * savepoints, with every event that mapped (the real apply takes the people's locks here in one
   * statement instead of one per person).
   */
  prepare?: (sql: Sql, items: { system: string; batch: CanonicalBatch }[]) => Promise<void>;
  /**
   * Optional: applies every event of a claimed batch at once (after `prepare`), with the outcome of
   * each in order, as the apply on each in turn would. Used on the optimistic path when every event
   * mapped; a failure redoes the batch event by event under savepoints.
   */
  many?: (
    sql: Sql,
    items: { system: string; batch: CanonicalBatch }[],
  ) => Promise<(InboxApplyOutcome | void)[]>;
};

export interface InboxWorkerOptions {
  ds: DataSource;
  apply: InboxApply;
  instances: WebhookInstanceLookup;
  log: Logger;
  /** Claim loops in this process, each with its own connection. Default 1. */
  concurrency?: number;
  /** Events claimed per transaction. Default 50. */
  batchSize?: number;
  /** Attempts before an event is dead-lettered. Default 5. */
  maxAttempts?: number;
  /** First retry delay; each next one doubles. Default 1000 ms. */
  baseDelayMs?: number;
  /** Idle poll interval (a NOTIFY from the intake wakes the worker sooner). Default 250 ms. */
  pollIntervalMs?: number;
  /**
   * Errors no retry can fix (bad vendor data): the event is dead-lettered at once. Default: a
   * MappingError, ApplyValidationError or ZodError.
   */
  isPermanent?: (err: unknown) => boolean;
  /** LISTEN for intake notifications on this URL (a dedicated connection). Omit to poll only. */
  listenUrl?: string;
}

export interface InboxWorker {
  /** Wake idle loops now (the in-process webhook router calls this after storing). */
  wake(): void;
  /** Events this process has settled (applied, suppressed, failed or dead) since start. */
  readonly stats: { applied: number; suppressed: number; failed: number; dead: number };
  /** Finish the current transactions and stop. */
  stop(): Promise<void>;
}

interface ClaimedRow {
  id: string;
  instance: string;
  eventId: string;
  type: string | null;
  payload: unknown;
  attempts: number;
}

const PERMANENT = new Set(['MappingError', 'ApplyValidationError', 'ZodError']);
const defaultIsPermanent = (err: unknown) => err instanceof Error && PERMANENT.has(err.name);

/** An event failed on the optimistic path: roll the batch back and redo it with savepoints. */
class FastPathAborted extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function errorText(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.slice(0, 2000);
}

/**
 * The inbox worker. The queue is `inbox_event` itself: a transaction claims due rows with
 * `FOR UPDATE SKIP LOCKED`, runs each event's webhook `map` and the apply path under a savepoint,
 * and marks the rows applied / suppressed / failed / dead before COMMIT. A worker that dies
 * mid-batch commits nothing; its locks go with its connection and another worker (or the restart)
 * takes the same rows: nothing is lost and nothing is applied twice.
 *
 * Retries: a failed event is due again at `received_at + base * (2^attempts - 1)` (exponential,
 * anchored at receipt since the table has no next-attempt column), dead after `maxAttempts`, or at
 * once for errors no retry can fix (`isPermanent`).
 */
export function startInboxWorker(options: InboxWorkerOptions): InboxWorker {
  const concurrency = options.concurrency ?? 1;
  const batchSize = options.batchSize ?? 50;
  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const pollMs = options.pollIntervalMs ?? 250;
  const log = options.log;
  const isPermanent = options.isPermanent ?? defaultIsPermanent;
  const stats = { applied: 0, suppressed: 0, failed: 0, dead: 0 };
  let stopping = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  const idle = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, pollMs);
      waiters.add(done);
    });

  /**
   * Optimistic first: the whole batch without savepoints (half the round trips). The first event
   * that fails aborts that attempt; the batch is then rolled back and re-run `careful`, one
   * savepoint per event, so only the bad event is marked failed.
   */
  async function runBatch(careful = false): Promise<number> {
    let settled: {
      claimed: number;
      done: { id: string; status: 'applied' | 'suppressed' }[];
      failed: { id: string; status: 'failed' | 'dead'; error: string }[];
    };
    try {
      settled = await claimAndApply(careful);
    } catch (err) {
      if (err instanceof FastPathAborted) return runBatch(true);
      throw err;
    }
    // Counted only after COMMIT: a rolled-back batch is simply claimed again.
    for (const d of settled.done) stats[d.status] += 1;
    for (const f of settled.failed) stats[f.status] += 1;
    return settled.claimed;
  }

  function claimAndApply(careful: boolean) {
    return inTransaction(options.ds, async (sql) => {
      const rows = await sql<ClaimedRow>(
        `SELECT id, connector_instance AS instance, event_id AS "eventId", event_type AS type, payload, attempts
           FROM inbox_event
          WHERE status = 'pending'
             OR (status = 'failed' AND received_at + make_interval(secs => $2::double precision * (power(2, attempts) - 1) / 1000) <= now())
          ORDER BY received_at, id
          LIMIT $1
          FOR UPDATE SKIP LOCKED`,
        [batchSize, baseDelayMs],
      );
      const done: { id: string; status: 'applied' | 'suppressed' }[] = [];
      const failed: { id: string; status: 'failed' | 'dead'; error: string }[] = [];
      // Every event mapped first (mapping touches no database), so the apply can prepare the batch.
      const mapped: ({ system: string; batch: CanonicalBatch } | { error: unknown })[] = [];
      for (const row of rows) {
        try {
          const instance = options.instances(row.instance);
          const hooks = instance?.connector.webhooks;
          if (!instance || !hooks) throw new Error(`no configured webhook instance "${row.instance}"`);
          const event: WebhookEvent = { id: row.eventId, type: row.type ?? '', payload: row.payload };
          mapped.push({ system: instance.system, batch: await hooks.map(event, instance.context()) });
        } catch (err) {
          mapped.push({ error: err });
        }
      }
      const ok = mapped.filter((m): m is { system: string; batch: CanonicalBatch } => !('error' in m));
      if (options.apply.prepare && ok.length) await options.apply.prepare(sql, ok);
      const atOnce =
        !careful && options.apply.many !== undefined && ok.length === rows.length && rows.length > 0;
      if (atOnce) {
        let outcomes: (InboxApplyOutcome | void)[];
        try {
          outcomes = await options.apply.many!(sql, ok);
        } catch {
          throw new FastPathAborted();
        }
        if (outcomes.length !== rows.length)
          throw new Error(`apply.many gave ${outcomes.length} outcomes for ${rows.length} events`);
        for (const [k, row] of rows.entries())
          done.push({ id: row.id, status: outcomes[k]?.suppressed ? 'suppressed' : 'applied' });
      }
      for (const [k, row] of atOnce ? [] : rows.entries()) {
        if (careful) await sql('SAVEPOINT inbox_event');
        try {
          const m = mapped[k]!;
          if ('error' in m) throw m.error;
          const outcome = await options.apply(sql, m.system, m.batch);
          if (careful) await sql('RELEASE SAVEPOINT inbox_event');
          done.push({ id: row.id, status: outcome?.suppressed ? 'suppressed' : 'applied' });
        } catch (err) {
          if (!careful) throw new FastPathAborted();
          await sql('ROLLBACK TO SAVEPOINT inbox_event');
          const dead = row.attempts + 1 >= maxAttempts || isPermanent(err);
          failed.push({ id: row.id, status: dead ? 'dead' : 'failed', error: errorText(err) });
          log.warn(
            {
              inboxId: row.id,
              instance: row.instance,
              attempts: row.attempts + 1,
              dead,
              err: errorText(err),
            },
            'inbox event failed',
          );
        }
      }
      if (done.length) {
        await sql(
          `UPDATE inbox_event e SET status = d.status, applied_at = now(), attempts = e.attempts + 1, last_error = NULL
             FROM unnest($1::bigint[], $2::text[]) AS d(id, status) WHERE e.id = d.id`,
          [done.map((d) => d.id), done.map((d) => d.status)],
        );
      }
      if (failed.length) {
        await sql(
          `UPDATE inbox_event e SET status = f.status, attempts = e.attempts + 1, last_error = f.error
             FROM unnest($1::bigint[], $2::text[], $3::text[]) AS f(id, status, error) WHERE e.id = f.id`,
          [failed.map((f) => f.id), failed.map((f) => f.status), failed.map((f) => f.error)],
        );
      }
      return { claimed: rows.length, done, failed };
    });
  }

  async function loop(n: number): Promise<void> {
    while (!stopping) {
      let claimed = 0;
      try {
        claimed = await runBatch();
      } catch (err) {
        // The database is away or the batch hit an error outside any event: back off, try again.
        log.error({ loop: n, err: errorText(err) }, 'inbox batch failed; retrying');
        await sleep(Math.min(5000, pollMs * 4));
        continue;
      }
      if (claimed < batchSize && !stopping) await idle();
    }
  }

  let listener: pg.Client | undefined;
  if (options.listenUrl) {
    const client = new pg.Client({
      connectionString: options.listenUrl,
      application_name: 'touchpoint-inbox-listen',
    });
    listener = client;
    client.on('notification', wake);
    client.on('error', (err) =>
      log.warn({ err: errorText(err) }, 'inbox LISTEN connection lost; polling only'),
    );
    client
      .connect()
      .then(() => client.query(`LISTEN ${INBOX_CHANNEL}`))
      .catch((err: unknown) => log.warn({ err: errorText(err) }, 'inbox LISTEN unavailable; polling only'));
  }

  const loops = Array.from({ length: concurrency }, (_, i) => loop(i));
  log.info({ concurrency, batchSize, maxAttempts }, 'inbox worker started');
  let stopped: Promise<void> | undefined;
  return {
    wake,
    stats,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        wake();
        await Promise.all(loops);
        await listener?.end().catch(() => undefined);
      })();
      return stopped;
    },
  };
}
