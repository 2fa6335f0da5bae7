import type { DataSource } from 'typeorm';
import type {
  CanonicalBatch,
  CanonicalConversation,
  CanonicalEmployee,
  CanonicalInteraction,
  CanonicalPerson,
  EmployeeRef,
  PersonRef,
} from '../connector-kit/canonical.js';
import { inTransaction, preparedQuery, type Sql } from '../db/sql.js';
import { EVENTS_CHANNEL } from '../events/hub-events.js';
import type { IdentityResolver } from '../identity/identity-resolver.service.js';
import type { Logger } from '../log/logger.js';
import { recordDeadLetterIn } from './dead-letter.js';

/** Invalid canonical data (no external id, a date that is not a date...): the object is dead-lettered. */
export class ApplyValidationError extends Error {
  override name = 'ApplyValidationError';
}

/** resolvePerson's answer for a person who was erased (suppressed). */
export const SUPPRESSED = Symbol('suppressed');

export interface ApplyOutcome {
  people: { applied: number; skipped: number };
  employees: { applied: number; unchanged: number };
  interactions: { applied: number; unchanged: number; deleted: number };
  conversations: { applied: number; unchanged: number };
  /** Customers touched by this batch. */
  customerIds: string[];
  /** Non-fatal problems (an identifier that could not be normalised...); the rest was applied. */
  problems: string[];
  /** Objects sent to the dead-letter list (applyPageIn only). */
  deadLettered: number;
  /** The newest source time among applied objects (sync lag). */
  highWaterMark: Date | null;
}

/** One vendor object of a page: its canonical records, or the error its mapping threw. */
export interface PageItem {
  raw: unknown;
  batch?: CanonicalBatch;
  error?: unknown;
}

export function emptyOutcome(): ApplyOutcome {
  return {
    people: { applied: 0, skipped: 0 },
    employees: { applied: 0, unchanged: 0 },
    interactions: { applied: 0, unchanged: 0, deleted: 0 },
    conversations: { applied: 0, unchanged: 0 },
    customerIds: [],
    problems: [],
    deadLettered: 0,
    highWaterMark: null,
  };
}

/** Adds `b` into `a` (page totals from per-object outcomes). */
export function addOutcome(a: ApplyOutcome, b: ApplyOutcome): ApplyOutcome {
  a.people.applied += b.people.applied;
  a.people.skipped += b.people.skipped;
  a.employees.applied += b.employees.applied;
  a.employees.unchanged += b.employees.unchanged;
  a.interactions.applied += b.interactions.applied;
  a.interactions.unchanged += b.interactions.unchanged;
  a.interactions.deleted += b.interactions.deleted;
  a.conversations.applied += b.conversations.applied;
  a.conversations.unchanged += b.conversations.unchanged;
  a.customerIds = [...new Set([...a.customerIds, ...b.customerIds])];
  a.problems.push(...b.problems);
  a.deadLettered += b.deadLettered;
  a.highWaterMark = maxDate(a.highWaterMark, b.highWaterMark);
  return a;
}

function maxDate(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}

function toDate(v: Date | string | null | undefined, what: string, required: true): Date;
function toDate(v: Date | string | null | undefined, what: string, required?: false): Date | null;
function toDate(v: Date | string | null | undefined, what: string, required = false): Date | null {
  if (v === null || v === undefined || v === '') {
    if (required) throw new ApplyValidationError(`${what} is missing`);
    return null;
  }
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime()))
    throw new ApplyValidationError(`${what} is not a valid date (got ${JSON.stringify(v)})`);
  return d;
}

function requireText(v: unknown, what: string): string {
  if (typeof v !== 'string' || !v.trim())
    throw new ApplyValidationError(`${what} must be a non-empty string`);
  return v;
}

const DIRECTIONS = new Set(['inbound', 'outbound', 'internal']);

/** The newer-wins rule shared by every upsert: an older (or undated over dated) version never overwrites. */
const NEWER_WINS = (table: string) =>
  `(${table}.source_updated_at IS NULL OR (EXCLUDED.source_updated_at IS NOT NULL AND EXCLUDED.source_updated_at >= ${table}.source_updated_at))`;

/**
 * The conflict rule of both interaction inserts (one event, and a batch's independent ones): a
 * re-delivered interaction replaces the stored row only when it is newer and differs, so a
 * re-delivery neither rewrites the row nor announces it again.
 */
const INTERACTION_UPSERT = `ON CONFLICT (system, external_id) DO UPDATE
          SET customer_id = EXCLUDED.customer_id, source_record_id = EXCLUDED.source_record_id, occurred_at = EXCLUDED.occurred_at,
              channel = EXCLUDED.channel, direction = EXCLUDED.direction, kind = EXCLUDED.kind, summary = EXCLUDED.summary,
              sentiment = EXCLUDED.sentiment, handled_by_employee_id = EXCLUDED.handled_by_employee_id,
              conversation_id = EXCLUDED.conversation_id, attributes = EXCLUDED.attributes, source_updated_at = EXCLUDED.source_updated_at
        WHERE ${NEWER_WINS('interaction')}
          AND (interaction.customer_id, interaction.source_record_id, interaction.occurred_at, interaction.channel, interaction.direction,
               interaction.kind, interaction.summary, interaction.sentiment, interaction.handled_by_employee_id, interaction.conversation_id,
               interaction.attributes, interaction.source_updated_at)
              IS DISTINCT FROM
              (EXCLUDED.customer_id, EXCLUDED.source_record_id, EXCLUDED.occurred_at, EXCLUDED.channel, EXCLUDED.direction,
               EXCLUDED.kind, EXCLUDED.summary, EXCLUDED.sentiment, EXCLUDED.handled_by_employee_id, EXCLUDED.conversation_id,
               EXCLUDED.attributes, EXCLUDED.source_updated_at)`;

interface ResolvedPerson {
  sourceRecordId: string;
  customerId: string | null;
}

/** The person an apply resolved last in a batch, while no other identity apply has run since. */
interface LastPerson {
  person: (ResolvedPerson & { objectType: string; externalId: string }) | null;
}

interface ConversationRow {
  id: string;
  sourceRecordId: string | null;
  customerId: string | null;
}

/**
 * The single write path from canonical records to the database, shared by pull sync, webhooks
 * and CSV import: people through the identity resolver, then employees, conversations and
 * interactions with newer-wins upserts. Applying the same batch twice changes nothing.
 */
export class ApplyService {
  constructor(
    private readonly ds: DataSource,
    readonly identity: IdentityResolver,
    private readonly log: Logger,
  ) {}

  /**
   * Before applying many batches in the caller's transaction (a worker's claimed events): takes
   * their people's identity locks and suppression check in one statement (IdentityResolver.prepareBatch).
   */
  async prepareIn(sql: Sql, items: { system: string; batch: CanonicalBatch }[]): Promise<void> {
    await this.identity.prepareBatch(
      sql,
      items.flatMap(({ system, batch }) =>
        (batch.people ?? [])
          .filter((p) => typeof p.objectType === 'string' && typeof p.externalId === 'string' && Array.isArray(p.identifiers))
          .map((person) => ({ system, person })),
      ),
    );
  }

  /** Applies a batch of `system` (a connector instance id) atomically in its own transaction. */
  applyBatch(system: string, batch: CanonicalBatch): Promise<ApplyOutcome> {
    return inTransaction(this.ds, (sql) => this.applyBatchIn(sql, system, batch));
  }

  /** The same, inside the caller's transaction (the sync runner saves its cursor alongside). */
  async applyBatchIn(sql: Sql, system: string, batch: CanonicalBatch): Promise<ApplyOutcome> {
    const out = emptyOutcome();
    const customers = new Set<string>();
    // The person applied last, as the identity apply left it: an interaction of the same event
    // names it by key, and nothing has moved it since (any later identity apply forgets it).
    const last: LastPerson = { person: null };
    // Employees first: interactions in the same batch may be handled by them.
    for (const e of batch.employees ?? []) {
      const changed = await this.applyEmployee(sql, system, e);
      if (changed) out.employees.applied++;
      else out.employees.unchanged++;
      out.highWaterMark = maxDate(
        out.highWaterMark,
        toDate(e.updatedAt, `employee ${e.externalId} updatedAt`),
      );
    }
    for (const p of batch.people ?? []) {
      this.validatePerson(p);
      const r = await this.identity.applyPersonIn(sql, system, p);
      last.person =
        r.sourceRecordId && !r.skipped
          ? { objectType: p.objectType, externalId: p.externalId, sourceRecordId: r.sourceRecordId, customerId: r.customerId }
          : null;
      if (r.skipped) out.people.skipped++;
      else out.people.applied++;
      if (r.customerId) customers.add(r.customerId);
      out.problems.push(...r.problems.map((m) => `${p.objectType} ${p.externalId}: ${m}`));
      out.highWaterMark = maxDate(
        out.highWaterMark,
        toDate(p.updatedAt, `${p.objectType} ${p.externalId} updatedAt`),
      );
    }
    for (const i of batch.interactions ?? []) {
      await this.applyInteraction(sql, system, i, out, customers, last);
      out.highWaterMark = maxDate(
        out.highWaterMark,
        toDate(i.updatedAt, `interaction ${i.externalId} updatedAt`) ?? toDate(i.occurredAt, 'occurredAt'),
      );
    }
    out.customerIds = [...customers];
    return out;
  }

  /**
   * Applies many batches (a worker's claimed events, after prepareIn) inside the caller's
   * transaction, with the outcome of each, as applyBatchIn on each in turn would. Batches that
   * share nothing with any other of the call (no record, identifier value, blocking key or
   * interaction key) and hold at most one person who is new and joins nobody, or is stored exactly
   * as given, are applied set-based: one statement for all their people
   * (IdentityResolver.applyIndependentIn) and one for all their interactions. Such a batch cannot
   * see the others' writes, so applying it out of turn gives the same result; every other batch
   * goes through applyBatchIn, in order. A failure fails the whole call (the caller's transaction
   * is then unusable): the worker redoes the batch event by event.
   */
  async applyManyIn(sql: Sql, items: { system: string; batch: CanonicalBatch }[]): Promise<ApplyOutcome[]> {
    const deferred = this.independentOf(items);
    const people = items.map((it, k) => (deferred[k] ? it.batch.people?.[0] : undefined));
    for (const [k, it] of items.entries()) {
      if (!deferred[k]) continue;
      // Validation as applyBatchIn does it, before anything is written.
      for (const p of it.batch.people ?? []) this.validatePerson(p);
      for (const i of it.batch.interactions ?? []) {
        interactionTimes(i);
        checkInteractionFields(i);
      }
    }
    const withPerson = items.flatMap((it, k) => (people[k] ? [{ k, system: it.system, person: people[k] }] : []));
    const resolved = withPerson.length
      ? await this.identity.applyIndependentIn(sql, withPerson.map(({ system, person }) => ({ system, person })))
      : [];
    const byItem = new Map(withPerson.map((w, n) => [w.k, resolved[n] ?? null]));
    // A person the set statement did not take: the whole batch goes the usual way, in turn.
    for (const [k, r] of byItem) if (!r) deferred[k] = false;
    const outcomes: ApplyOutcome[] = [];
    for (const [k, it] of items.entries()) {
      outcomes.push(deferred[k] ? emptyOutcome() : await this.applyBatchIn(sql, it.system, it.batch));
    }
    const rows: { k: number; i: CanonicalInteraction; occurredAt: Date; updatedAt: Date | null; recordId: string | null }[] = [];
    for (const [k, it] of items.entries()) {
      if (!deferred[k]) continue;
      const out = outcomes[k]!;
      const r = byItem.get(k);
      if (r) {
        const p = it.batch.people![0]!;
        out.people.applied++;
        if (r.customerId) out.customerIds.push(r.customerId);
        out.problems.push(...r.problems.map((m) => `${p.objectType} ${p.externalId}: ${m}`));
        out.highWaterMark = maxDate(out.highWaterMark, toDate(p.updatedAt, `${p.objectType} ${p.externalId} updatedAt`));
      }
      for (const i of it.batch.interactions ?? []) {
        const { occurredAt, updatedAt } = interactionTimes(i);
        rows.push({ k, i, occurredAt, updatedAt, recordId: i.person && r ? r.sourceRecordId : null });
        out.highWaterMark = maxDate(out.highWaterMark, updatedAt ?? occurredAt);
      }
    }
    if (rows.length) {
      // The customer is read now: a merge made by a batch applied in turn may have moved it.
      const applied = await preparedQuery<{ ord: string; customerId: string | null }>(
        sql,
        `WITH x AS (
           SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[],
                                $9::real[], $10::text[], $11::timestamptz[])
                    WITH ORDINALITY AS t(system, external_id, source_record_id, occurred_at, channel, direction, kind, summary,
                                         sentiment, attributes, source_updated_at, ord)),
         ins AS (
         INSERT INTO interaction (system, external_id, customer_id, source_record_id, occurred_at, channel, direction, kind, summary,
                                  sentiment, handled_by_employee_id, conversation_id, attributes, source_updated_at)
         SELECT x.system, x.external_id, sr.customer_id, x.source_record_id, x.occurred_at, x.channel, x.direction, x.kind, x.summary,
                x.sentiment, NULL::uuid, NULL::uuid, x.attributes::jsonb, x.source_updated_at
           FROM x LEFT JOIN source_record sr ON sr.id = x.source_record_id ORDER BY x.ord
         ${INTERACTION_UPSERT}
         RETURNING id, system, external_id, customer_id)
         SELECT x.ord::text AS ord, ins.customer_id AS "customerId",
                CASE WHEN ins.customer_id IS NOT NULL THEN pg_notify($12, json_build_object('type', 'interaction.applied', 'customerId', ins.customer_id::text, 'interactionId', ins.id::text)::text) END AS notified
           FROM ins JOIN x ON x.system = ins.system AND x.external_id = ins.external_id
          ORDER BY x.ord`,
        [
          rows.map((r) => items[r.k]!.system),
          rows.map((r) => r.i.externalId),
          rows.map((r) => r.recordId),
          rows.map((r) => r.occurredAt),
          rows.map((r) => r.i.channel),
          rows.map((r) => r.i.direction),
          rows.map((r) => r.i.kind),
          rows.map((r) => r.i.summary ?? null),
          rows.map((r) => r.i.sentiment ?? null),
          rows.map((r) => JSON.stringify(r.i.attributes ?? {})),
          rows.map((r) => r.updatedAt),
          EVENTS_CHANNEL,
        ],
      );
      const done = new Set<number>();
      for (const a of applied) {
        const r = rows[Number(a.ord) - 1]!;
        done.add(Number(a.ord) - 1);
        const out = outcomes[r.k]!;
        out.interactions.applied++;
        if (a.customerId && !out.customerIds.includes(a.customerId)) out.customerIds.push(a.customerId);
      }
      for (const [n, r] of rows.entries()) if (!done.has(n)) outcomes[r.k]!.interactions.unchanged++;
    }
    return outcomes;
  }

  /**
   * Which batches of `items` the set-based apply may take (see applyManyIn): set-shaped, and
   * sharing no record, identifier value, blocking key or interaction with any other batch of the call.
   */
  private independentOf(items: { system: string; batch: CanonicalBatch }[]): boolean[] {
    const tokensOf = items.map(({ system, batch }) => {
      try {
        const tokens = new Set<string>();
        for (const p of batch.people ?? []) this.identity.dependencyTokens(system, p).forEach((t) => tokens.add(t));
        for (const e of batch.employees ?? []) tokens.add(`employee:${system}:${String(e.externalId)}`);
        for (const i of batch.interactions ?? []) {
          tokens.add(`interaction:${system}:${String(i.externalId)}`);
          if (i.conversation) tokens.add(`conversation:${system}:${String(i.conversation.externalId)}`);
          const ref = i.person;
          if (!ref) continue;
          if (ref.objectType && ref.externalId) tokens.add(`record:${system}:${ref.objectType}:${ref.externalId}`);
          if ('identifiers' in ref && Array.isArray(ref.identifiers)) {
            // The person resolvePerson may create for the reference, under any key.
            const person = { objectType: ref.objectType ?? 'caller', externalId: ref.externalId ?? '', identifiers: ref.identifiers };
            this.identity.dependencyTokens(system, person).forEach((t) => tokens.add(t));
          }
        }
        return tokens;
      } catch {
        return null; // bad data: that batch goes the usual way (and its error is raised there)
      }
    });
    // A batch whose tokens cannot be told shares, for all we know, with every other.
    if (tokensOf.some((t) => t === null)) return items.map(() => false);
    const uses = new Map<string, number>();
    for (const t of tokensOf) for (const x of t!) uses.set(x, (uses.get(x) ?? 0) + 1);
    return items.map((it, k) => setShaped(it.batch) && [...tokensOf[k]!].every((x) => uses.get(x) === 1));
  }

  /**
   * Applies a page object by object inside the caller's transaction: each object under its own
   * savepoint, so a mapping error or invalid data sends that one object to the dead-letter
   * list and the rest of the page is applied.
   */
  async applyPageIn(sql: Sql, system: string, source: string, items: PageItem[]): Promise<ApplyOutcome> {
    const total = emptyOutcome();
    for (const item of items) {
      if (item.error !== undefined || !item.batch) {
        await recordDeadLetterIn(sql, {
          instance: system,
          source,
          payload: item.raw,
          reason: reasonOf(item.error ?? new Error('mapping returned nothing')),
        });
        total.deadLettered++;
        continue;
      }
      await sql('SAVEPOINT apply_item');
      try {
        const o = await this.applyBatchIn(sql, system, item.batch);
        await sql('RELEASE SAVEPOINT apply_item');
        addOutcome(total, o);
      } catch (err) {
        await sql('ROLLBACK TO SAVEPOINT apply_item');
        if (isRetryableDbError(err)) throw err;
        this.log.warn({ system, source, err: reasonOf(err) }, 'object dead-lettered');
        await recordDeadLetterIn(sql, { instance: system, source, payload: item.raw, reason: reasonOf(err) });
        total.deadLettered++;
      }
    }
    return total;
  }

  private validatePerson(p: CanonicalPerson): void {
    requireText(p.objectType, 'person objectType');
    requireText(p.externalId, `${p.objectType} externalId`);
    if (!Array.isArray(p.identifiers))
      throw new ApplyValidationError(`${p.objectType} ${p.externalId}: identifiers must be a list`);
    toDate(p.updatedAt, `${p.objectType} ${p.externalId} updatedAt`);
  }

  private async applyEmployee(sql: Sql, system: string, e: CanonicalEmployee): Promise<boolean> {
    requireText(e.externalId, 'employee externalId');
    requireText(e.displayName, `employee ${e.externalId} displayName`);
    const updatedAt = toDate(e.updatedAt, `employee ${e.externalId} updatedAt`);
    const emails = [
      ...new Set((e.workEmails ?? []).map((m) => m.trim().toLowerCase()).filter(Boolean)),
    ].sort();
    const rows = await sql<{ id: string }>(
      `INSERT INTO employee (system, external_id, display_name, title, department, manager_external_id, work_emails, handles, status, source_updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::text[], $8::jsonb, $9, $10)
       ON CONFLICT (system, external_id) DO UPDATE
          SET display_name = EXCLUDED.display_name, title = EXCLUDED.title, department = EXCLUDED.department,
              manager_external_id = EXCLUDED.manager_external_id, work_emails = EXCLUDED.work_emails, handles = EXCLUDED.handles,
              status = EXCLUDED.status, source_updated_at = EXCLUDED.source_updated_at, updated_at = now()
        WHERE ${NEWER_WINS('employee')}
          AND (employee.display_name, employee.title, employee.department, employee.manager_external_id, employee.work_emails,
               employee.handles, employee.status, employee.source_updated_at)
              IS DISTINCT FROM
              (EXCLUDED.display_name, EXCLUDED.title, EXCLUDED.department, EXCLUDED.manager_external_id, EXCLUDED.work_emails,
               EXCLUDED.handles, EXCLUDED.status, EXCLUDED.source_updated_at)
       RETURNING id`,
      [
        system,
        e.externalId,
        e.displayName,
        e.title ?? null,
        e.department ?? null,
        e.managerExternalId ?? null,
        emails,
        JSON.stringify(e.handles ?? {}),
        e.status ?? 'active',
        updatedAt,
      ],
    );
    return rows.length > 0;
  }

  /** An employee by HR id (of `ref.system`, default this system), work email, or platform handle. */
  async resolveEmployee(sql: Sql, system: string, ref: EmployeeRef | undefined): Promise<string | null> {
    if (!ref) return null;
    if (ref.externalId) {
      const [r] = await sql<{ id: string }>(
        `SELECT id FROM employee WHERE system = $1 AND external_id = $2`,
        [ref.system ?? system, ref.externalId],
      );
      if (r) return r.id;
      if (!ref.system) {
        // The agent's id in this system, as HR records it among the employee's handles (`{ zendesk: '998' }`).
        const [h] = await sql<{ id: string }>(
          `SELECT id FROM employee WHERE handles ->> $1 = $2 OR handles ->> split_part($1, '-', 1) = $2 ORDER BY created_at, id LIMIT 1`,
          [system, ref.externalId],
        );
        if (h) return h.id;
      }
    }
    if (ref.email) {
      const [r] = await sql<{ id: string }>(
        `SELECT id FROM employee WHERE $1 = ANY(work_emails) ORDER BY created_at, id LIMIT 1`,
        [ref.email.trim().toLowerCase()],
      );
      if (r) return r.id;
    }
    if (ref.handle) {
      const [r] = await sql<{ id: string }>(
        `SELECT id FROM employee WHERE lower(handles ->> $1) = lower($2) ORDER BY created_at, id LIMIT 1`,
        [ref.handle.platform, ref.handle.value.replace(/^@/, '')],
      );
      if (r) return r.id;
    }
    return null;
  }

  /**
   * The source record a touch belongs to: the record named by key, else the record holding one of
   * the identifiers (this system's first), else a minimal record created through the identity
   * path so the caller becomes a customer.
   */
  async resolvePerson(
    sql: Sql,
    system: string,
    ref: PersonRef,
    out: ApplyOutcome,
    last: LastPerson = { person: null },
  ): Promise<ResolvedPerson | null | typeof SUPPRESSED> {
    const objectType = ref.objectType;
    const externalId = ref.externalId;
    if (objectType && externalId) {
      const known = last.person;
      if (known && known.objectType === objectType && known.externalId === externalId)
        return { sourceRecordId: known.sourceRecordId, customerId: known.customerId };
      const [r] = await preparedQuery<ResolvedPerson>(sql, 
        `SELECT id AS "sourceRecordId", customer_id AS "customerId" FROM source_record WHERE system = $1 AND object_type = $2 AND external_id = $3`,
        [system, objectType, externalId],
      );
      if (r) return r;
    }
    const rawIds = 'identifiers' in ref ? ref.identifiers : [];
    const { identifiers, problems } = this.identity.normalise({
      objectType: objectType ?? 'caller',
      externalId: externalId ?? '',
      identifiers: rawIds,
    });
    out.problems.push(...problems.map((m) => `person of interaction: ${m}`));
    if (identifiers.length && !(objectType && externalId)) {
      const [r] = await sql<ResolvedPerson>(
        `SELECT sr.id AS "sourceRecordId", sr.customer_id AS "customerId"
           FROM identifier i
           JOIN record_identifier ri ON ri.identifier_id = i.id
           JOIN source_record sr ON sr.id = ri.source_record_id
          WHERE (i.kind, i.namespace, i.value) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
            AND i.status = 'active' AND NOT sr.deleted AND sr.customer_id IS NOT NULL
          ORDER BY (sr.system = $4) DESC, sr.created_at, sr.id
          LIMIT 1`,
        [
          identifiers.map((i) => i.kind),
          identifiers.map((i) => i.namespace),
          identifiers.map((i) => i.value),
          system,
        ],
      );
      if (r) return r;
    }
    if (!(objectType && externalId) && !identifiers.length) return null;
    const first = identifiers[0];
    const person: CanonicalPerson = {
      objectType: objectType ?? 'caller',
      externalId:
        externalId ?? `${first!.kind}:${first!.namespace ? `${first!.namespace}:` : ''}${first!.value}`,
      identifiers: rawIds,
    };
    last.person = null;
    const r = await this.identity.applyPersonIn(sql, system, person);
    if (r.skipped === 'suppressed') return SUPPRESSED; // an erased person: their touches are not stored
    if (!r.sourceRecordId) return null;
    return { sourceRecordId: r.sourceRecordId, customerId: r.customerId };
  }

  private async applyConversation(
    sql: Sql,
    system: string,
    c: CanonicalConversation,
    person: ResolvedPerson | null,
    fallbackOpenedAt: Date,
    out: ApplyOutcome,
  ): Promise<{ id: string; person: ResolvedPerson | null }> {
    requireText(c.externalId, 'conversation externalId');
    requireText(c.channel, `conversation ${c.externalId} channel`);
    const assignee = await this.resolveEmployee(sql, system, c.assignee);
    const what = `conversation ${c.externalId}`;
    const rows = await sql<ConversationRow>(
      `INSERT INTO conversation (system, external_id, customer_id, source_record_id, channel, status, subject, assignee_employee_id,
                                 opened_at, first_response_at, last_inbound_at, reply_window_ends_at, sla_due_at, source_updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (system, external_id) DO UPDATE
          SET customer_id = COALESCE(EXCLUDED.customer_id, conversation.customer_id),
              source_record_id = COALESCE(EXCLUDED.source_record_id, conversation.source_record_id),
              channel = EXCLUDED.channel, status = EXCLUDED.status, subject = COALESCE(EXCLUDED.subject, conversation.subject),
              assignee_employee_id = COALESCE(EXCLUDED.assignee_employee_id, conversation.assignee_employee_id),
              opened_at = LEAST(EXCLUDED.opened_at, conversation.opened_at),
              first_response_at = COALESCE(EXCLUDED.first_response_at, conversation.first_response_at),
              last_inbound_at = GREATEST(EXCLUDED.last_inbound_at, conversation.last_inbound_at),
              reply_window_ends_at = COALESCE(EXCLUDED.reply_window_ends_at, conversation.reply_window_ends_at),
              sla_due_at = COALESCE(EXCLUDED.sla_due_at, conversation.sla_due_at),
              source_updated_at = EXCLUDED.source_updated_at, updated_at = now()
        WHERE ${NEWER_WINS('conversation')}
          AND (conversation.customer_id, conversation.source_record_id, conversation.channel, conversation.status, conversation.subject,
               conversation.assignee_employee_id, conversation.opened_at, conversation.first_response_at, conversation.last_inbound_at,
               conversation.reply_window_ends_at, conversation.sla_due_at, conversation.source_updated_at)
              IS DISTINCT FROM
              (COALESCE(EXCLUDED.customer_id, conversation.customer_id), COALESCE(EXCLUDED.source_record_id, conversation.source_record_id),
               EXCLUDED.channel, EXCLUDED.status, COALESCE(EXCLUDED.subject, conversation.subject),
               COALESCE(EXCLUDED.assignee_employee_id, conversation.assignee_employee_id), LEAST(EXCLUDED.opened_at, conversation.opened_at),
               COALESCE(EXCLUDED.first_response_at, conversation.first_response_at), GREATEST(EXCLUDED.last_inbound_at, conversation.last_inbound_at),
               COALESCE(EXCLUDED.reply_window_ends_at, conversation.reply_window_ends_at), COALESCE(EXCLUDED.sla_due_at, conversation.sla_due_at),
               EXCLUDED.source_updated_at)
       RETURNING id, source_record_id AS "sourceRecordId", customer_id AS "customerId"`,
      [
        system,
        c.externalId,
        person?.customerId ?? null,
        person?.sourceRecordId ?? null,
        c.channel,
        c.status ?? 'open',
        c.subject ?? null,
        assignee,
        toDate(c.openedAt, `${what} openedAt`) ?? fallbackOpenedAt,
        toDate(c.firstResponseAt, `${what} firstResponseAt`),
        toDate(c.lastInboundAt, `${what} lastInboundAt`),
        toDate(c.replyWindowEndsAt, `${what} replyWindowEndsAt`),
        toDate(c.slaDueAt, `${what} slaDueAt`),
        toDate(c.updatedAt, `${what} updatedAt`),
      ],
    );
    let row = rows[0];
    if (row) out.conversations.applied++;
    else {
      out.conversations.unchanged++;
      [row] = await sql<ConversationRow>(
        `SELECT id, source_record_id AS "sourceRecordId", customer_id AS "customerId" FROM conversation WHERE system = $1 AND external_id = $2`,
        [system, c.externalId],
      );
    }
    return {
      id: row!.id,
      person: row!.sourceRecordId
        ? { sourceRecordId: row!.sourceRecordId, customerId: row!.customerId }
        : null,
    };
  }

  private async applyInteraction(
    sql: Sql,
    system: string,
    i: CanonicalInteraction,
    out: ApplyOutcome,
    customers: Set<string>,
    last: LastPerson = { person: null },
  ): Promise<void> {
    const { occurredAt, updatedAt } = interactionTimes(i);
    if (i.deleted) {
      const gone = await sql(
        `DELETE FROM interaction WHERE system = $1 AND external_id = $2
            AND (source_updated_at IS NULL OR $3::timestamptz IS NULL OR source_updated_at <= $3) RETURNING id`,
        [system, i.externalId, updatedAt],
      );
      out.interactions.deleted += gone.length;
      return;
    }
    checkInteractionFields(i);

    const resolved = i.person ? await this.resolvePerson(sql, system, i.person, out, last) : null;
    if (resolved === SUPPRESSED) {
      // Erased people stay erased: nothing of this touch (summary, attributes, thread) is kept.
      out.people.skipped++;
      return;
    }
    let person = resolved;
    const handledBy = await this.resolveEmployee(sql, system, i.handledBy);
    const conversation = i.conversation
      ? await this.applyConversation(sql, system, i.conversation, person, occurredAt, out)
      : null;
    // An agent's reply names no person: it belongs to the conversation's customer.
    person ??= conversation?.person ?? null;
    const conversationId = conversation?.id ?? null;
    // The row and its `interaction.applied` event in one statement (NOTIFY is sent at COMMIT).
    const rows = await preparedQuery<{ id: string; customerId: string | null }>(
      sql,
      `WITH ins AS (
       INSERT INTO interaction (system, external_id, customer_id, source_record_id, occurred_at, channel, direction, kind, summary,
                                sentiment, handled_by_employee_id, conversation_id, attributes, source_updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14)
       ${INTERACTION_UPSERT}
       RETURNING id, customer_id)
       SELECT id, customer_id AS "customerId",
              CASE WHEN customer_id IS NOT NULL THEN pg_notify($15, json_build_object('type', 'interaction.applied', 'customerId', customer_id::text, 'interactionId', id::text)::text) END AS notified
         FROM ins`,
      [
        system,
        i.externalId,
        person?.customerId ?? null,
        person?.sourceRecordId ?? null,
        occurredAt,
        i.channel,
        i.direction,
        i.kind,
        i.summary ?? null,
        i.sentiment ?? null,
        handledBy,
        conversationId,
        JSON.stringify(i.attributes ?? {}),
        updatedAt,
        EVENTS_CHANNEL,
      ],
    );
    const row = rows[0];
    if (!row) {
      out.interactions.unchanged++;
      return;
    }
    out.interactions.applied++;
    if (row.customerId) customers.add(row.customerId);
  }
}

/** An interaction's key and times, validated (the first checks of every interaction apply). */
function interactionTimes(i: CanonicalInteraction): { occurredAt: Date; updatedAt: Date | null } {
  requireText(i.externalId, 'interaction externalId');
  const what = `interaction ${i.externalId}`;
  return { occurredAt: toDate(i.occurredAt, `${what} occurredAt`, true), updatedAt: toDate(i.updatedAt, `${what} updatedAt`) };
}

/** The fields a stored (not deleted) interaction must have right. */
function checkInteractionFields(i: CanonicalInteraction): void {
  const what = `interaction ${i.externalId}`;
  requireText(i.channel, `${what} channel`);
  requireText(i.kind, `${what} kind`);
  if (!DIRECTIONS.has(i.direction))
    throw new ApplyValidationError(
      `${what} direction must be inbound, outbound or internal (got ${JSON.stringify(i.direction)})`,
    );
  if (
    i.sentiment !== undefined &&
    i.sentiment !== null &&
    !(Number.isFinite(i.sentiment) && i.sentiment >= -1 && i.sentiment <= 1)
  ) {
    throw new ApplyValidationError(
      `${what} sentiment must be a number from -1 to 1 (got ${String(i.sentiment)})`,
    );
  }
}

/**
 * A batch the set-based apply can take: at most one person, and interactions that name no one or
 * that person by key, with no employee, conversation, handler or deletion to resolve.
 */
function setShaped(batch: CanonicalBatch): boolean {
  if (batch.employees?.length) return false;
  const people = batch.people ?? [];
  if (people.length > 1) return false;
  const p = people[0];
  const interactions = batch.interactions ?? [];
  // Two versions of one interaction in a batch are applied one after the other, not in one statement.
  if (new Set(interactions.map((i) => i.externalId)).size !== interactions.length) return false;
  return interactions.every(
    (i) =>
      !i.deleted &&
      !i.handledBy &&
      !i.conversation &&
      (i.person === undefined ||
        (p !== undefined && i.person.objectType === p.objectType && i.person.externalId === p.externalId)),
  );
}

export function reasonOf(err: unknown): string {
  if (err instanceof Error) {
    const field = (err as { field?: unknown }).field;
    const base = `${err.name}: ${err.message || 'no message'}`;
    return typeof field === 'string' && field ? `${base} (field ${field})` : base;
  }
  return String(err);
}

function isRetryableDbError(err: unknown): boolean {
  const code =
    (err as { code?: string; driverError?: { code?: string } }).driverError?.code ??
    (err as { code?: string }).code;
  return code === '40P01' || code === '40001';
}
