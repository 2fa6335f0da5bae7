import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { poolQuery } from '../db/sql.js';

export interface CustomerRow {
  id: string;
  status: string;
  traits: Record<string, unknown>;
  recordCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface IdentityRow {
  customerId: string;
  kind: string;
  namespace: string;
  value: string;
  rawValue: string;
  sourceRecordId: string;
  system: string;
  objectType: string;
  externalId: string;
  sourceUpdatedAt: Date | null;
  deleted: boolean;
}

export interface InteractionRow {
  id: string;
  system: string;
  externalId: string;
  customerId: string | null;
  occurredAt: Date;
  channel: string;
  direction: string;
  kind: string;
  summary: string | null;
  sentiment: number | null;
  attributes: Record<string, unknown>;
  handledByEmployeeId: string | null;
  conversationId: string | null;
}

export interface TimelineFilter {
  channels?: string[];
  systems?: string[];
  kinds?: string[];
  from?: Date;
  to?: Date;
}

/** Everything screenPop shows, read in one statement. Conversation and employee rows as stored. */
export interface ScreenPopRows {
  customer: CustomerRow;
  recent: InteractionRow[];
  open: ConversationRow[];
  lastEmployee: { id: string; displayName: string; department: string | null; title: string | null } | null;
  /** The customer's live source records in the systems asked for (to prime live-field lookups). */
  liveRecords: { system: string; externalId: string }[];
}

export interface ConversationRow {
  id: string;
  system: string;
  externalId: string;
  channel: string;
  status: string;
  subject: string | null;
  openedAt: Date;
  replyWindowEndsAt: Date | null;
  slaDueAt: Date | null;
  assigneeId: string | null;
  assigneeName: string | null;
  assigneeDepartment: string | null;
  assigneeTitle: string | null;
}

export const OPEN_CONVERSATION_STATUSES = ['open', 'pending', 'new'];

export interface TimelinePage {
  rows: InteractionRow[];
  hasNextPage: boolean;
}

/** Keyset cursor of a timeline row: its time and id. Opaque to clients. */
export function encodeTimelineCursor(row: { occurredAt: Date; id: string }): string {
  return Buffer.from(`${row.occurredAt.toISOString()}|${row.id}`).toString('base64url');
}

export function decodeTimelineCursor(cursor: string): { occurredAt: Date; id: string } | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const [iso, id] = text.split('|');
  const at = iso ? new Date(iso) : null;
  if (!at || Number.isNaN(at.getTime()) || !id || !/^[0-9a-f-]{36}$/i.test(id)) return null;
  return { occurredAt: at, id };
}

const INTERACTION_COLUMNS = `id, system, external_id AS "externalId", customer_id AS "customerId",
  occurred_at AS "occurredAt", channel, direction, kind, summary, sentiment, attributes,
  handled_by_employee_id AS "handledByEmployeeId", conversation_id AS "conversationId"`;

/**
 * The screenPop statement for a batch of callers (one constant text, so its prepared-statement name
 * is found without rehashing it): `$1` the normalised phones, `$2` how many interactions each wants,
 * one row per caller found, numbered `n` from 1 in the order asked.
 */
const SCREEN_POP_SQL = `WITH q AS (SELECT phone, last, n::int AS n FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS q(phone, last, n)),
       hit AS (
         SELECT q.n, q.last, (SELECT sr.customer_id
                                FROM identifier i
                                JOIN record_identifier ri ON ri.identifier_id = i.id
                                JOIN source_record sr ON sr.id = ri.source_record_id
                               WHERE i.kind = 'phone' AND i.namespace = '' AND i.value = q.phone
                                 AND sr.customer_id IS NOT NULL AND NOT sr.deleted
                               ORDER BY sr.created_at
                               LIMIT 1) AS id
           FROM q)
       SELECT hit.n, c.id, c.status, c.traits, c.record_count AS "recordCount", c.created_at AS "createdAt", c.updated_at AS "updatedAt",
              (SELECT coalesce(json_agg(x ORDER BY x."occurredAt" DESC, x.id DESC), '[]') FROM (
                 SELECT ${INTERACTION_COLUMNS} FROM interaction
                  WHERE customer_id = c.id ORDER BY occurred_at DESC, id DESC LIMIT hit.last) x) AS recent,
              (SELECT coalesce(json_agg(x ORDER BY x."openedAt" DESC), '[]') FROM (
                 SELECT v.id, v.system, v.external_id AS "externalId", v.channel, v.status, v.subject, v.opened_at AS "openedAt",
                        v.reply_window_ends_at AS "replyWindowEndsAt", v.sla_due_at AS "slaDueAt",
                        e.id AS "assigneeId", e.display_name AS "assigneeName", e.department AS "assigneeDepartment", e.title AS "assigneeTitle"
                   FROM conversation v LEFT JOIN employee e ON e.id = v.assignee_employee_id
                  WHERE v.customer_id = c.id AND v.status = ANY($3::text[])
                  ORDER BY v.opened_at DESC LIMIT 20) x) AS open,
              (SELECT row_to_json(x) FROM (
                 SELECT e.id, e.display_name AS "displayName", e.department, e.title
                   FROM interaction li JOIN employee e ON e.id = li.handled_by_employee_id
                  WHERE li.customer_id = c.id AND li.handled_by_employee_id IS NOT NULL
                  ORDER BY li.occurred_at DESC LIMIT 1) x) AS "lastEmployee",
              (SELECT coalesce(json_agg(json_build_object('system', s.system, 'externalId', s.external_id)), '[]')
                 FROM source_record s
                WHERE s.customer_id = c.id AND s.system = ANY($4::text[]) AND NOT s.deleted) AS "liveRecords"
         FROM hit
         LEFT JOIN customer_redirect r ON r.retired_id = hit.id
         JOIN customer c ON c.id = COALESCE(r.customer_id, hit.id)
        WHERE c.status = 'active'`;

/** One row of SCREEN_POP_SQL, before its JSON columns become rows. */
interface ScreenPopDbRow {
  n: number;
  id: string; status: string; traits: Record<string, unknown>; recordCount: number; createdAt: Date; updatedAt: Date;
  recent: (Omit<InteractionRow, 'occurredAt'> & { occurredAt: string })[];
  open: (Omit<ConversationRow, 'openedAt' | 'replyWindowEndsAt' | 'slaDueAt'> & { openedAt: string; replyWindowEndsAt: string | null; slaDueAt: string | null })[];
  lastEmployee: ScreenPopRows['lastEmployee'];
  liveRecords: ScreenPopRows['liveRecords'];
}

function toScreenPop(row: ScreenPopDbRow | undefined): ScreenPopRows | null {
  if (!row) return null;
  const { n: _n, recent, open, lastEmployee, liveRecords, ...customer } = row;
  const date = (v: string | null) => (v === null ? null : new Date(v));
  return {
    customer,
    recent: recent.map((i) => ({ ...i, occurredAt: new Date(i.occurredAt), attributes: i.attributes ?? {} })),
    open: open.map((c) => ({ ...c, openedAt: new Date(c.openedAt), replyWindowEndsAt: date(c.replyWindowEndsAt), slaDueAt: date(c.slaDueAt) })),
    lastEmployee,
    liveRecords,
  };
}

/** At most this many callers go into one screenPop statement. */
const MAX_SCREEN_POPS_PER_STATEMENT = 64;

/** Reads of the canonical tables for the API. Writes belong to the identity and ingest services. */
export class CustomerReadService {
  /** Process-wide screenPop batches, one loader per set of live systems asked for (see screenPop). */
  private readonly screenPops = new Map<string, DataLoader<{ phone: string; last: number }, ScreenPopRows | null>>();

  constructor(private readonly ds: DataSource) {}

  /**
   * A hot read as a named prepared statement on the pool under TypeORM: each connection plans it
   * once instead of on every call (planning the screenPop statement costs more than running it).
   */
  private prepared<T>(text: string, values: unknown[]): Promise<T[]> {
    return poolQuery<T>(this.ds, text, values);
  }

  /** Customers by id, in key order; a retired id answers with its survivor, an unknown one with null. */
  async getMany(ids: readonly string[]): Promise<(CustomerRow | null)[]> {
    const valid = ids.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
    if (!valid.length) return ids.map(() => null);
    const rows: (CustomerRow & { requested: string })[] = await this.ds.query(
      `SELECT q.requested, c.id, c.status, c.traits, c.record_count AS "recordCount",
              c.created_at AS "createdAt", c.updated_at AS "updatedAt"
         FROM unnest($1::uuid[]) AS q(requested)
         LEFT JOIN customer_redirect r ON r.retired_id = q.requested
         JOIN customer c ON c.id = COALESCE(r.customer_id, q.requested)
        WHERE c.status = 'active'`,
      [valid],
    );
    const byRequested = new Map(rows.map((r) => [r.requested, r]));
    return ids.map((id) => {
      const row = byRequested.get(id.toLowerCase());
      if (!row) return null;
      const { requested: _requested, ...customer } = row;
      return customer;
    });
  }

  /** The customer holding a normalised identifier, or null. */
  async findIdByIdentifier(kind: string, namespace: string, value: string): Promise<string | null> {
    const rows: { customerId: string }[] = await this.ds.query(
      `SELECT sr.customer_id AS "customerId"
         FROM identifier i
         JOIN record_identifier ri ON ri.identifier_id = i.id
         JOIN source_record sr ON sr.id = ri.source_record_id
        WHERE i.kind = $1 AND i.namespace = $2 AND i.value = $3
          AND sr.customer_id IS NOT NULL AND NOT sr.deleted
        ORDER BY sr.created_at
        LIMIT 1`,
      [kind, namespace, value],
    );
    return rows[0]?.customerId ?? null;
  }

  /**
   * screenPop in ONE round trip: the customer holding a normalised phone (a retired id follows its
   * redirect), its `last` newest interactions, its open conversations (at most 20, with assignee)
   * and the last employee who handled one of its interactions. Null when no active customer holds it.
   *
   * Callers asking in the same turn of the event loop share the statement (up to 64 a statement):
   * under load a call centre's screen pops arrive together, and one statement for many of them
   * costs Postgres and the pool far less than one each. A lone call waits for nothing but the end
   * of the current turn.
   */
  screenPop(phone: string, last: number, liveSystems: readonly string[] = []): Promise<ScreenPopRows | null> {
    const key = liveSystems.join('\n');
    let loader = this.screenPops.get(key);
    if (!loader) {
      const systems = [...liveSystems];
      loader = new DataLoader(
        async (asks) => {
          const rows = await this.prepared<ScreenPopDbRow>(SCREEN_POP_SQL, [
            asks.map((a) => a.phone),
            asks.map((a) => a.last),
            OPEN_CONVERSATION_STATUSES,
            systems,
          ]);
          const byN = new Map(rows.map((r) => [r.n, r]));
          return asks.map((_, k) => toScreenPop(byN.get(k + 1)));
        },
        // Across requests, so nothing is cached; a batch closes at the end of the event loop's turn.
        { cache: false, maxBatchSize: MAX_SCREEN_POPS_PER_STATEMENT, batchScheduleFn: (run) => setImmediate(run) },
      );
      this.screenPops.set(key, loader);
    }
    return loader.load({ phone, last });
  }

  /** Identities of many customers at once (one query), grouped by customer. */
  async identitiesOf(customerIds: readonly string[]): Promise<Map<string, IdentityRow[]>> {
    const rows: IdentityRow[] = await this.ds.query(
      `SELECT sr.customer_id AS "customerId", i.kind, i.namespace, i.value, ri.raw_value AS "rawValue",
              sr.id AS "sourceRecordId", sr.system, sr.object_type AS "objectType",
              sr.external_id AS "externalId", sr.source_updated_at AS "sourceUpdatedAt", sr.deleted
         FROM source_record sr
         JOIN record_identifier ri ON ri.source_record_id = sr.id
         JOIN identifier i ON i.id = ri.identifier_id
        WHERE sr.customer_id = ANY($1::uuid[])
        ORDER BY sr.created_at, i.kind, i.namespace, i.value`,
      [customerIds],
    );
    const out = new Map<string, IdentityRow[]>(customerIds.map((id) => [id, []]));
    for (const row of rows) out.get(row.customerId)?.push(row);
    return out;
  }

  /** Interactions by id, in key order (missing ids are left out). */
  async interactionsById(ids: readonly string[]): Promise<InteractionRow[]> {
    const rows: InteractionRow[] = await this.ds.query(`SELECT ${INTERACTION_COLUMNS} FROM interaction WHERE id = ANY($1::uuid[])`, [ids]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id)).filter((r): r is InteractionRow => Boolean(r));
  }

  /** One page of a customer's interactions in time order, by keyset (stable under inserts). */
  async timeline(
    customerId: string,
    options: { first: number; after?: string | null; newestFirst: boolean; filter?: TimelineFilter },
  ): Promise<TimelinePage> {
    const { text, params } = timelineSql('$1::uuid', [customerId], options);
    const rows: InteractionRow[] = await this.ds.query(text, params);
    const hasNextPage = rows.length > options.first;
    return { rows: hasNextPage ? rows.slice(0, options.first) : rows, hasNextPage };
  }

  /**
   * The `timeline(customerId)` query in one statement: the customer (a retired id follows its
   * redirect; null when unknown or not active) and one page of its interactions.
   */
  async timelineOf(
    requestedId: string,
    options: { first: number; after?: string | null; newestFirst: boolean; filter?: TimelineFilter },
  ): Promise<{ customerId: string; page: TimelinePage } | null> {
    if (!/^[0-9a-f-]{36}$/i.test(requestedId)) return null;
    const page = timelineSql('c.id', [requestedId], options);
    const rows: (InteractionRow & { resolvedId: string })[] = await this.prepared(
      `SELECT c.id AS "resolvedId", p.*
         FROM customer c
         LEFT JOIN LATERAL (${page.text}) p ON true
        WHERE c.id = COALESCE((SELECT r.customer_id FROM customer_redirect r WHERE r.retired_id = $1::uuid), $1::uuid)
          AND c.status = 'active'
        ORDER BY p."occurredAt" ${options.newestFirst ? 'DESC' : 'ASC'}, p.id ${options.newestFirst ? 'DESC' : 'ASC'}`,
      page.params,
    );
    const first = rows[0];
    if (!first) return null;
    const found = rows.filter((r) => r.id !== null).map(({ resolvedId: _resolvedId, ...row }) => row as InteractionRow);
    const hasNextPage = found.length > options.first;
    return { customerId: first.resolvedId, page: { rows: hasNextPage ? found.slice(0, options.first) : found, hasNextPage } };
  }
}

/** The page statement of a timeline: `customer` is the SQL for the customer id; params start with `params`. */
function timelineSql(
  customer: string,
  initial: unknown[],
  options: { first: number; after?: string | null; newestFirst: boolean; filter?: TimelineFilter },
): { text: string; params: unknown[] } {
  const params: unknown[] = [...initial];
  const where = [`customer_id = ${customer}`];
  const f = options.filter ?? {};
  if (f.channels?.length) where.push(`channel = ANY($${params.push(f.channels)}::text[])`);
  if (f.systems?.length) where.push(`system = ANY($${params.push(f.systems)}::text[])`);
  if (f.kinds?.length) where.push(`kind = ANY($${params.push(f.kinds)}::text[])`);
  if (f.from) where.push(`occurred_at >= $${params.push(f.from)}`);
  if (f.to) where.push(`occurred_at < $${params.push(f.to)}`);
  const cmp = options.newestFirst ? '<' : '>';
  if (options.after) {
    const c = decodeTimelineCursor(options.after);
    if (c) where.push(`(occurred_at, id) ${cmp} ($${params.push(c.occurredAt)}::timestamptz, $${params.push(c.id)}::uuid)`);
  }
  const dir = options.newestFirst ? 'DESC' : 'ASC';
  return {
    text: `SELECT ${INTERACTION_COLUMNS} FROM interaction WHERE ${where.join(' AND ')}
        ORDER BY occurred_at ${dir}, id ${dir} LIMIT $${params.push(options.first + 1)}::int`,
    params,
  };
}
