import type { DataSource } from 'typeorm';
import type { WebhookEvent } from '../connector-kit/contract.js';
import { sqlOf } from '../db/sql.js';
import { INBOX_CHANNEL, storeInboxEvents, type StoreResult } from './inbox.store.js';

/**
 * Group commit for webhook acknowledgements: deliveries that arrive while an earlier group is
 * being committed are stored together by ONE multi-row INSERT (one statement, so one transaction
 * and one WAL flush), and each delivery's promise resolves only after the commit that holds its
 * rows. Durability is unchanged: nothing is answered before its rows are committed.
 */
export interface InboxBatchingOptions {
  /**
   * How long the first delivery of a group may wait for company before the group is written.
   * Default 0: a group is written as soon as a writer slot is free, so batches form only from
   * deliveries that arrived while earlier groups were committing (no added latency when idle).
   */
  windowMs?: number;
  /** Most events in one statement. Default 500. */
  maxRows?: number;
  /** Group statements running at once (each on its own pooled connection). Default 2. */
  maxInFlight?: number;
}

/** A delivery's event that cannot be stored (a NUL or lone surrogate in its text): answer 400. */
export class InboxEventInvalidError extends Error {
  override readonly name = 'InboxEventInvalidError';
  constructor(
    readonly eventId: string,
    readonly field: 'id' | 'type' | 'payload',
  ) {
    super(
      `event "${eventId.replace(/\0/g, '\\u0000').slice(0, 200)}": ${field} contains ${field === 'payload' ? 'a NUL character or an unpaired surrogate' : 'a NUL character'}, which cannot be stored`,
    );
  }
}

export interface InboxBatcher {
  /** Stores one verified delivery's events; resolves after the commit that holds them. */
  store(instanceId: string, events: readonly WebhookEvent[]): Promise<StoreResult>;
  /** Groups written so far and the events in them (for benchmarks and tests). */
  readonly stats: { groups: number; events: number; fallbacks: number };
  /** Writes what is queued and waits for every group in flight. */
  drain(): Promise<void>;
}

interface Row {
  instance: string;
  id: string;
  type: string;
  payload: string;
}

interface Pending {
  instanceId: string;
  events: readonly WebhookEvent[];
  /** When it was queued (performance.now()). */
  at: number;
  /** This delivery's distinct events, payloads already serialised. */
  rows: Row[];
  resolve(r: StoreResult): void;
  reject(err: unknown): void;
}

// In JSON.stringify output, a `\u0000` or `\udXXX` escape preceded by an even number of
// backslashes: jsonb refuses both (a lone surrogate is the only one JSON.stringify escapes).
const UNSTORABLE_JSON = /(?:^|[^\\])(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;
// Text columns refuse NUL (an unpaired surrogate in text is sent as U+FFFD by the driver).
const unstorableText = (s: string) => s.includes('\0');

/**
 * Validates and serialises a delivery's distinct events before it may join a group; throws
 * InboxEventInvalidError naming the event and field the database would refuse.
 */
export function storableRows(instanceId: string, events: readonly WebhookEvent[]): Row[] {
  const seen = new Set<string>();
  const rows: Row[] = [];
  for (const e of events) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    if (unstorableText(e.id)) throw new InboxEventInvalidError(e.id, 'id');
    if (unstorableText(e.type)) throw new InboxEventInvalidError(e.id, 'type');
    const payload = JSON.stringify(e.payload ?? null);
    if (UNSTORABLE_JSON.test(payload)) throw new InboxEventInvalidError(e.id, 'payload');
    rows.push({ instance: instanceId, id: e.id, type: e.type, payload });
  }
  return rows;
}

const keyOf = (instance: string, id: string) => `${instance}\u0000${id}`;

/**
 * One statement for a whole group: the rows (the jobs) and one NOTIFY per instance that got new
 * rows commit together. Rows go in arrival order (their ids, hence the worker's apply order within
 * the group, follow it). Two groups sharing two keys in opposite orders (a vendor retrying while
 * its first attempts are still in flight) could deadlock: Postgres then fails one of them and
 * its deliveries are stored one by one. Returns the keys inserted; the others were already there.
 */
async function insertGroup(ds: DataSource, rows: Row[]): Promise<Set<string>> {
  const inserted = await sqlOf(ds)<{ instance: string; eventId: string }>(
    `WITH ins AS (
       INSERT INTO inbox_event (connector_instance, event_id, event_type, payload)
       SELECT e.instance, e.id, e.type, e.payload
         FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[]) WITH ORDINALITY AS e(instance, id, type, payload, n)
        ORDER BY e.n
       ON CONFLICT (connector_instance, event_id) DO NOTHING
       RETURNING connector_instance, event_id),
     notified AS (
       SELECT pg_notify($5, d.connector_instance) FROM (SELECT DISTINCT connector_instance FROM ins) d)
     SELECT connector_instance AS instance, event_id AS "eventId", (SELECT count(*) FROM notified) AS notified
       FROM ins`,
    [
      rows.map((r) => r.instance),
      rows.map((r) => r.id),
      rows.map((r) => r.type),
      rows.map((r) => r.payload),
      INBOX_CHANNEL,
    ],
  );
  return new Set(inserted.map((r) => keyOf(r.instance, r.eventId)));
}

export function createInboxBatcher(ds: DataSource, options: InboxBatchingOptions = {}): InboxBatcher {
  const windowMs = Math.max(0, options.windowMs ?? 0);
  const maxRows = Math.max(1, options.maxRows ?? 500);
  const maxInFlight = Math.max(1, options.maxInFlight ?? 2);
  const stats = { groups: 0, events: 0, fallbacks: 0 };
  let queue: Pending[] = [];
  let queuedRows = 0;
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const idleWaiters: (() => void)[] = [];

  /** Decides when the queue is written: now, on the next turn, or when the window closes. */
  function schedule(): void {
    if (queue.length === 0) {
      if (inFlight === 0) for (const w of idleWaiters.splice(0)) w();
      return;
    }
    if (inFlight >= maxInFlight) return; // the group in flight reschedules when it commits
    const waited = performance.now() - queue[0]!.at;
    if (queuedRows >= maxRows || waited >= windowMs) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      // On the next turn: deliveries parsed in the same I/O phase join this group.
      immediate ??= setImmediate(() => {
        immediate = undefined;
        flush();
      });
      return;
    }
    timer ??= setTimeout(() => {
      timer = undefined;
      flush();
    }, windowMs - waited);
  }

  function take(): Pending[] {
    const group: Pending[] = [];
    let rows = 0;
    while (queue.length > 0) {
      const next = queue[0]!;
      if (group.length > 0 && rows + next.rows.length > maxRows) break;
      queue.shift();
      group.push(next);
      rows += next.rows.length;
    }
    queuedRows -= rows;
    return group;
  }

  function flush(): void {
    if (inFlight >= maxInFlight || queue.length === 0) {
      schedule();
      return;
    }
    const group = take();
    inFlight++;
    void writeGroup(group).finally(() => {
      inFlight--;
      schedule();
    });
    // More than one group's worth queued and a slot free: keep writing.
    schedule();
  }

  async function writeGroup(group: Pending[]): Promise<void> {
    // The first delivery holding a key owns it; a later one in the group counts it a duplicate.
    const owned = new Map<string, Pending>();
    const rows: Row[] = [];
    for (const p of group)
      for (const r of p.rows) {
        const k = keyOf(r.instance, r.id);
        if (owned.has(k)) continue;
        owned.set(k, p);
        rows.push(r);
      }
    let inserted: Set<string>;
    try {
      inserted = await insertGroup(ds, rows);
    } catch (err) {
      if (group.length === 1) {
        group[0]!.reject(err);
        return;
      }
      // One delivery the database refuses must not fail the others: each on its own, so each
      // gets its own answer (stored, duplicate, or its own error).
      stats.fallbacks++;
      await Promise.all(
        group.map((p) => storeInboxEvents(ds, p.instanceId, p.events).then(p.resolve, p.reject)),
      );
      return;
    }
    stats.groups++;
    stats.events += rows.length;
    const stored = new Map<Pending, number>();
    for (const k of inserted) {
      const p = owned.get(k);
      if (p) stored.set(p, (stored.get(p) ?? 0) + 1);
    }
    for (const p of group) {
      const n = stored.get(p) ?? 0;
      p.resolve({ stored: n, duplicates: p.events.length - n });
    }
  }

  return {
    stats,
    store(instanceId, events) {
      if (events.length === 0) return Promise.resolve({ stored: 0, duplicates: 0 });
      let rows: Row[];
      try {
        rows = storableRows(instanceId, events);
      } catch (err) {
        return Promise.reject(err);
      }
      return new Promise<StoreResult>((resolve, reject) => {
        queue.push({ instanceId, events, at: performance.now(), rows, resolve, reject });
        queuedRows += rows.length;
        schedule();
      });
    },
    drain() {
      if (queue.length === 0 && inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        if (timer) {
          clearTimeout(timer);
          timer = undefined;
          flush();
        }
      });
    },
  };
}
