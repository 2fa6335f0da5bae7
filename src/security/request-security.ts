import type { Path } from 'graphql/jsutils/Path.js';
import type { DataSource } from 'typeorm';
import { appendAuditBatch, type AuditInput } from '../audit/audit-log.js';
import { poolQuery, type Sql } from '../db/sql.js';
import type { RequestContext } from '../graphql/context.js';
import { isRole, type Principal } from './policy.js';

/** What the security layer keeps per request, beside the request context (never shared). */
export interface RequestSecurity {
  /** Why the caller reads personal data (`x-purpose` header), for the audit log. */
  purpose: string | null;
  /** How the caller authenticated: api-key, oidc, demo or anonymous. */
  method: 'api-key' | 'oidc' | 'demo' | 'anonymous' | 'open';
  /** Whose token bucket pays for this request's cost (the key or user; the address when anonymous). */
  rateKey: string | null;
  /** Customer id → personal fields read (and which of them were masked). */
  reads: Map<string, { fields: Set<string>; masked: Set<string> }>;
  /**
   * Response path of an object → the customers it belongs to (filled as resolvers run). Keyed by
   * graphql-js's Path object of that object: its fields share it, so no key string is built per field.
   */
  owners: Map<Path, string[]>;
}

/**
 * Kept on the context under a symbol, not in a WeakMap keyed by it: Apollo Server hands resolvers a
 * shallow copy of the context object, and a copy keeps its symbol properties.
 */
const STATE = Symbol.for('touchpoint.requestSecurity');
type WithState = { [STATE]?: RequestSecurity };

export function attachRequestSecurity(
  ctx: object,
  init: Pick<RequestSecurity, 'purpose' | 'method'> & { rateKey?: string },
): RequestSecurity {
  const state: RequestSecurity = {
    purpose: init.purpose,
    method: init.method,
    rateKey: init.rateKey ?? null,
    reads: new Map(),
    owners: new Map(),
  };
  Object.defineProperty(ctx, STATE, { value: state, enumerable: true, configurable: true, writable: true });
  return state;
}

const MODES = new WeakMap<object, 'open' | 'secured'>();

/** Remembers whether the hub serving these services is open (the demo) or secured. */
export function bindSecurityMode(services: object, mode: 'open' | 'secured'): void {
  MODES.set(services, mode);
}

/**
 * The request's security state. A context that did not come through the HTTP security handlers
 * (a graphql-ws connection, a script) is anonymous, unless the hub is open (the demo), where every
 * caller acts as admin.
 */
export function requestSecurity(ctx: object): RequestSecurity {
  let state = (ctx as WithState)[STATE];
  if (!state) {
    const c = ctx as { services?: object; role?: string | null; actor?: string };
    const open = c.services !== undefined && MODES.get(c.services) === 'open' && !isRole(c.role);
    if (open) {
      c.role = 'admin';
      c.actor = 'demo';
    }
    state = attachRequestSecurity(ctx, { purpose: null, method: open ? 'open' : 'anonymous' });
  }
  return state;
}

export function principalOf(ctx: { role?: string | null } | undefined): Principal {
  return isRole(ctx?.role) ? ctx.role : 'anonymous';
}

export function pathKey(path: Path | undefined): string {
  const keys: (string | number)[] = [];
  for (let p = path; p; p = p.prev) keys.push(p.key);
  return keys.reverse().join('.');
}

/** Remembers that the object at `path` belongs to these customers. */
export function registerOwner(
  state: RequestSecurity,
  path: Path | undefined,
  ids: (string | null | undefined)[],
): void {
  if (!path || state.owners.has(path)) return;
  const clean = ids.filter((id): id is string => typeof id === 'string' && id.length > 0);
  if (clean.length) state.owners.set(path, clean);
}

/** Records a read of a personal field under the nearest object known to belong to a customer. */
export function recordRead(state: RequestSecurity, path: Path, field: string, masked: boolean): void {
  for (let p: Path | undefined = path.prev; p; p = p.prev) {
    const owners = state.owners.get(p);
    if (!owners) continue;
    for (const id of owners) {
      let entry = state.reads.get(id);
      if (!entry) state.reads.set(id, (entry = { fields: new Set(), masked: new Set() }));
      entry.fields.add(field);
      if (masked) entry.masked.add(field);
    }
    return;
  }
}

/**
 * Writes ONE hash-chained audit event per customer whose personal data this request read: actor,
 * role, purpose, customer, fields (and which were masked), time. The response waits until they are
 * committed. Concurrent requests share a commit (see ReadAuditWriter): the chain's lock is taken
 * once per batch instead of once per request, in one statement.
 *
 * `commit` (READ_AUDIT_COMMIT): `durable` waits for the WAL flush, so an audit row survives even a
 * database crash the moment after the answer left; `async` commits without waiting for it
 * (`synchronous_commit = off` for that transaction only): the row is still written, chained and
 * visible before the answer leaves, but a crash of the database server (not of the hub) in the
 * next ~0.6 s (3 x wal_writer_delay) can lose the last read audits, never a part of the chain. It
 * takes the disk's flush (16 to 50 ms at p99 on the 2-core bench machine) out of every read.
 */
export async function flushReadAudit(
  ctx: RequestContext,
  operationName: string | null,
  commit: ReadAuditCommit = 'durable',
): Promise<number> {
  const state = (ctx as WithState)[STATE];
  if (!state || !state.reads.size) return 0;
  const reads = [...state.reads.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  state.reads = new Map();
  const events: AuditInput[] = reads.map(([customerId, r]) => ({
    actor: ctx.actor,
    role: ctx.role,
    action: 'customer.read',
    customerId,
    purpose: state.purpose,
    details: {
      fields: [...r.fields].sort(),
      masked: [...r.masked].sort(),
      requestId: ctx.requestId,
      ...(operationName ? { operation: operationName } : {}),
    },
  }));
  await readAuditWriter(ctx.services.dataSource, commit).write(events);
  return reads.length;
}

/** How read audits commit (setting READ_AUDIT_COMMIT); see flushReadAudit. */
export type ReadAuditCommit = 'durable' | 'async';

/** At most this many requests' events go into one audit transaction. */
const MAX_REQUESTS_PER_BATCH = 64;

/**
 * Group commit of read-audit events for one database: while a batch is being written, the events of
 * requests that finish meanwhile queue up and go into the next transaction together. Every request
 * still gets its own events (one per customer read) in the hash chain, appended through
 * `appendAuditBatch` (one statement per batch), and its response still waits for the commit. A failed batch is retried one
 * request per transaction, so one bad event never fails another request's audit.
 */
export class ReadAuditWriter {
  private queue: { events: AuditInput[]; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private writing = false;
  /** Straight on the pool, prepared once per connection: no TypeORM query runner per batch. */
  private readonly sql: Sql;

  constructor(
    ds: DataSource,
    private readonly commitMode: ReadAuditCommit = 'durable',
  ) {
    this.sql = <T>(text: string, params?: unknown[]) => poolQuery<T>(ds, text, params ?? []);
  }

  write(events: AuditInput[]): Promise<void> {
    if (!events.length) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ events, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, MAX_REQUESTS_PER_BATCH);
        try {
          await this.commit(batch.flatMap((b) => b.events));
          for (const b of batch) b.resolve();
        } catch (err) {
          if (batch.length === 1) batch[0]!.reject(err);
          else {
            for (const b of batch) await this.commit(b.events).then(b.resolve, b.reject);
          }
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private commit(events: AuditInput[]): Promise<void> {
    return appendAuditBatch(this.sql, events, { async: this.commitMode === 'async' });
  }
}

const WRITERS: Record<ReadAuditCommit, WeakMap<DataSource, ReadAuditWriter>> = {
  durable: new WeakMap(),
  async: new WeakMap(),
};

function readAuditWriter(ds: DataSource, commit: ReadAuditCommit): ReadAuditWriter {
  let writer = WRITERS[commit].get(ds);
  if (!writer) WRITERS[commit].set(ds, (writer = new ReadAuditWriter(ds, commit)));
  return writer;
}
