import crypto from 'node:crypto';
import type { DataSource } from 'typeorm';
import { appendAudit } from '../audit/audit-log.js';
import type { CanonicalPerson } from '../connector-kit/canonical.js';
import { inTransaction, type Sql } from '../db/sql.js';
import { publishEvent } from '../events/hub-events.js';
import { goldenRecord } from './golden-record.js';
import { DEFAULT_IDENTITY_CONFIG, type IdentityConfig } from './identity.config.js';
import { blockingKeys, jaroWinkler, scorePair, type PersonFeatures } from './matching/index.js';
import { isRoleAddress, normaliseIdentifier, type NormalisedIdentifier } from './normalise/identifier.normaliser.js';

export interface ApplyPersonResult {
  sourceRecordId: string | null;
  customerId: string | null;
  /** `suppressed`: the person was erased; `stale`: an older version than the one stored. */
  skipped?: 'suppressed' | 'stale';
  createdCustomer: boolean;
  /** Customer ids retired by merges this record caused. */
  retiredIds: string[];
  suggestions: number;
  /** Identifiers that could not be normalised (the rest of the record is applied). */
  problems: string[];
}

export interface LinkStep {
  linkId: string;
  fromRecordId: string;
  toRecordId: string;
  rule: string;
  score: number | null;
  evidence: Record<string, unknown>;
  actor: string;
  createdAt: Date;
}

export interface ErasureResult {
  customerId: string;
  /** The source systems that hold the person, to notify (GDPR Art. 19). */
  notify: { system: string; objectType: string; externalId: string }[];
  removed: { sourceRecords: number; interactions: number; identifiers: number; conversations: number };
}

/** Fields whose agreement says more than a shared name (namesakes share names and towns; households, caught by the name guard, share addresses). */
export const PERSONAL_FIELDS = new Set(['dob', 'email', 'phone']);
export const ADDRESS_FIELDS = new Set(['address', 'postcode']);

export const keyOf = (i: { kind: string; namespace: string; value: string }) => `${i.kind}:${i.namespace}:${i.value}`;

/**
 * Advisory-lock key of the whole identity graph: every incremental apply holds it shared, a bulk
 * import holds it exclusively (the bulk path resolves a whole file at once and must not interleave
 * with record-by-record applies).
 */
export const IDENTITY_GRAPH_LOCK = 7_301_002;

/** A stable 64-bit advisory-lock key for a string. */
export function lockKey(text: string): string {
  return crypto.createHash('sha256').update(text).digest().readBigInt64BE(0).toString();
}

/** Hash stored in `suppression` for an erased identifier or source key (no personal data kept). */
export function suppressionHash(text: string): string {
  return crypto.createHash('sha256').update(`touchpoint-suppression:${text}`).digest('hex');
}

/**
 * TypeORM answers UPDATE/DELETE ... RETURNING with `[rows, rowCount]` instead of the rows; this
 * gives the rows in every case so `.length` and `.map` mean what they say.
 */
function rowsOnly(sql: Sql): Sql {
  return async <T>(text: string, params?: unknown[]) => {
    const r: unknown = await sql<T>(text, params);
    if (Array.isArray(r) && r.length === 2 && Array.isArray(r[0]) && typeof r[1] === 'number') return r[0] as T[];
    return r as T[];
  };
}

function toDate(v: Date | string | null | undefined): Date | null {
  if (v === null || v === undefined || v === '') return null;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

interface Holder {
  identifierId: string;
  recordId: string;
  customerId: string;
  firstName: string | null;
}

/** Two first names that cannot be the same person's (a shared household phone, not a shared person). */
export function namesConflict(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || !a.trim() || !b.trim()) return false;
  const x = a.trim().toLowerCase();
  const y = b.trim().toLowerCase();
  if (x.startsWith(y) || y.startsWith(x)) return false; // Rob / Robert
  return jaroWinkler(x, y) < 0.85;
}

/**
 * The identity graph: deterministic resolution on write, guards against over-merging,
 * merge/unmerge with stable ids, explain, golden record, suggestions and erasure.
 * Every write runs in one transaction with advisory locks on the touched identifiers and
 * customers, so concurrent applies give the same partition as serial ones.
 */
export class IdentityResolver {
  readonly config: IdentityConfig;

  constructor(
    private readonly ds: DataSource,
    config: Partial<IdentityConfig> = {},
  ) {
    this.config = { ...DEFAULT_IDENTITY_CONFIG, ...config };
  }

  /** Applies one person record of `system` in its own transaction. */
  applyPerson(system: string, person: CanonicalPerson, actor = 'rule'): Promise<ApplyPersonResult> {
    return inTransaction(this.ds, (sql) => this.applyPersonIn(sql, system, person, actor));
  }

  /** Normalises identifiers; invalid ones become problems and the rest is kept. */
  normalise(person: CanonicalPerson): { identifiers: NormalisedIdentifier[]; problems: string[] } {
    const identifiers: NormalisedIdentifier[] = [];
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const raw of person.identifiers) {
      const r = normaliseIdentifier(
        { kind: raw.kind, ...(raw.namespace !== undefined ? { namespace: raw.namespace } : {}), value: raw.value },
        { defaultRegion: this.config.defaultRegion },
      );
      if (!r.ok) {
        problems.push(r.error);
        continue;
      }
      const k = keyOf(r.identifier);
      if (seen.has(k)) continue;
      seen.add(k);
      identifiers.push(r.identifier);
    }
    return { identifiers, problems };
  }

  /** The same as applyPerson, inside the caller's transaction (the ingest engine batches pages). */
  async applyPersonIn(callerSql: Sql, system: string, person: CanonicalPerson, actor = 'rule'): Promise<ApplyPersonResult> {
    const sql = rowsOnly(callerSql);
    const result: ApplyPersonResult = { sourceRecordId: null, customerId: null, createdCustomer: false, retiredIds: [], suggestions: 0, problems: [] };
    const recordKey = `${system}:${person.objectType}:${person.externalId}`;
    const { identifiers, problems } = this.normalise(person);
    result.problems = problems;

    // Erased people stay erased: their source keys and identifiers are suppressed.
    const hashes = [suppressionHash(`source:${recordKey}`), ...identifiers.filter((i) => i.kind !== 'external').map((i) => suppressionHash(`id:${keyOf(i)}`))];
    const suppressed = await sql(`SELECT 1 FROM suppression WHERE hash = ANY($1::text[]) LIMIT 1`, [hashes]);
    if (suppressed.length) return { ...result, skipped: 'suppressed' };

    await sql(`SELECT pg_advisory_xact_lock_shared($1)`, [IDENTITY_GRAPH_LOCK]);
    await this.lock(sql, [`record:${recordKey}`, ...identifiers.map((i) => `id:${keyOf(i)}`)]);

    const updatedAt = toDate(person.updatedAt);
    const [rec] = await sql<{ id: string; customerId: string | null }>(
      `INSERT INTO source_record (system, object_type, external_id, payload, traits, source_updated_at, deleted)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (system, object_type, external_id) DO UPDATE
          SET payload = EXCLUDED.payload, traits = EXCLUDED.traits, source_updated_at = EXCLUDED.source_updated_at,
              deleted = EXCLUDED.deleted, updated_at = now()
        WHERE source_record.source_updated_at IS NULL OR EXCLUDED.source_updated_at IS NULL
           OR EXCLUDED.source_updated_at >= source_record.source_updated_at
       RETURNING id, customer_id AS "customerId"`,
      [system, person.objectType, person.externalId, JSON.stringify(person.payload ?? {}), JSON.stringify(person.traits ?? {}), updatedAt, Boolean(person.deleted)],
    );
    if (!rec) return { ...result, skipped: 'stale' };
    result.sourceRecordId = rec.id;
    const live = person.deleted ? [] : identifiers;

    // Identifier nodes, with their guard status decided on first sight.
    const idRows = live.length
      ? await sql<{ id: string; kind: string; namespace: string; value: string; status: string }>(
          `INSERT INTO identifier (kind, namespace, value, status, status_reason)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
           ON CONFLICT (kind, namespace, value) DO UPDATE SET kind = EXCLUDED.kind
           RETURNING id, kind, namespace, value, status`,
          [
            live.map((i) => i.kind),
            live.map((i) => i.namespace),
            live.map((i) => i.value),
            live.map((i) => this.guardStatus(i).status),
            live.map((i) => this.guardStatus(i).reason),
          ],
        )
      : [];
    const rawByKey = new Map(live.map((i) => [keyOf(i), i]));

    // Edges record → identifier: drop those the source no longer states, add the new ones.
    const removed = await sql<{ identifierId: string }>(
      `DELETE FROM record_identifier WHERE source_record_id = $1 AND NOT (identifier_id = ANY($2::bigint[]))
       RETURNING identifier_id AS "identifierId"`,
      [rec.id, idRows.map((r) => r.id)],
    );
    if (idRows.length) {
      await sql(
        `INSERT INTO record_identifier (source_record_id, identifier_id, raw_value, normaliser_version)
         SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::int[])
         ON CONFLICT (source_record_id, identifier_id) DO UPDATE SET raw_value = EXCLUDED.raw_value, normaliser_version = EXCLUDED.normaliser_version`,
        [rec.id, idRows.map((r) => r.id), idRows.map((r) => rawByKey.get(keyOf(r))!.raw), idRows.map((r) => rawByKey.get(keyOf(r))!.version)],
      );
    }
    const touched = new Set<string>();
    if (removed.length || person.deleted) {
      const retracted = await sql<{ id: string }>(
        `UPDATE identity_link SET retracted_at = now(), retracted_by = 'rule:source_changed', retract_reason = 'identifier no longer stated by the source'
          WHERE retracted_at IS NULL AND (from_record_id = $1 OR to_record_id = $1)
            AND ($2::boolean OR identifier_id = ANY($3::bigint[]))
          RETURNING id`,
        [rec.id, Boolean(person.deleted), removed.map((r) => r.identifierId)],
      );
      if (retracted.length && rec.customerId) touched.add(rec.customerId);
    }

    // This record's customer: existing, or a new one.
    let customerId = rec.customerId;
    if (!customerId) {
      const [c] = await sql<{ id: string }>(`INSERT INTO customer DEFAULT VALUES RETURNING id`);
      customerId = c!.id;
      result.createdCustomer = true;
      await sql(`UPDATE source_record SET customer_id = $1, origin_customer_id = $1 WHERE id = $2`, [customerId, rec.id]);
    }

    // Deterministic links through identifiers shared with other records.
    const linkable = idRows.filter((r) => r.status === 'active');
    const guarded = idRows.filter((r) => r.status !== 'active');
    if (linkable.length) {
      customerId = await this.linkThroughIdentifiers(sql, rec.id, customerId, linkable, system, actor, result, person.traits?.firstName);
    }
    if (guarded.length) result.suggestions += await this.suggestForGuarded(sql, rec.id, customerId, guarded);
    if (this.config.probabilistic && !person.deleted) {
      // Guarded values (role addresses, quarantined numbers) are no evidence for scoring either.
      const evidence = live.filter((i) => idRows.some((r) => r.status === 'active' && keyOf(r) === keyOf(i)));
      customerId = await this.matchProbabilistically(sql, rec.id, customerId, person, evidence, actor, result);
    }

    for (const id of touched) await this.recomputeComponents(sql, id, 'rule:source_changed');
    const [current] = await sql<{ customerId: string }>(`SELECT customer_id AS "customerId" FROM source_record WHERE id = $1`, [rec.id]);
    result.customerId = current?.customerId ?? customerId;
    await this.refreshGolden(sql, [result.customerId]);
    return result;
  }

  private guardStatus(i: NormalisedIdentifier): { status: string; reason: string | null } {
    if (this.config.blockedValues.includes(keyOf(i)) || this.config.blockedValues.includes(i.value)) return { status: 'blocked', reason: 'configured blocked value' };
    if (i.kind === 'email' && isRoleAddress(i.value)) return { status: 'blocked', reason: 'role address' };
    return { status: 'active', reason: null };
  }

  private async lock(sql: Sql, keys: string[]): Promise<void> {
    const sorted = [...new Set(keys.map(lockKey))].sort();
    if (!sorted.length) return;
    await sql(`SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT k FROM unnest($1::bigint[]) AS k ORDER BY k) s`, [sorted]);
  }

  private async lockCustomers(sql: Sql, ids: string[]): Promise<void> {
    await this.lock(sql, ids.map((id) => `customer:${id}`));
  }

  private async linkThroughIdentifiers(
    sql: Sql,
    recordId: string,
    customerId: string,
    linkable: { id: string; kind: string; namespace: string; value: string }[],
    system: string,
    actor: string,
    result: ApplyPersonResult,
    firstName: unknown,
  ): Promise<string> {
    const holders = await sql<Holder>(
      `SELECT ri.identifier_id AS "identifierId", sr.id AS "recordId", sr.customer_id AS "customerId",
              sr.traits->>'firstName' AS "firstName"
         FROM record_identifier ri JOIN source_record sr ON sr.id = ri.source_record_id
        WHERE ri.identifier_id = ANY($1::bigint[]) AND sr.id <> $2 AND NOT sr.deleted AND sr.customer_id IS NOT NULL
        ORDER BY ri.identifier_id, sr.created_at, sr.id`,
      [linkable.map((l) => l.id), recordId],
    );
    // Frequency trip-wire: a value on too many unrelated customers is quarantined, not linked.
    // (Postgres has no count(DISTINCT) OVER: customers per identifier are counted here.)
    const customersOf = new Map<string, Set<string>>();
    for (const h of holders) {
      const set = customersOf.get(h.identifierId) ?? new Set([customerId]);
      set.add(h.customerId);
      customersOf.set(h.identifierId, set);
    }
    const quarantine = new Set<string>();
    for (const [identifierId, set] of customersOf) if (set.size > this.config.tripWire) quarantine.add(identifierId);
    if (quarantine.size) {
      await sql(`UPDATE identifier SET status = 'quarantined', status_reason = $2 WHERE id = ANY($1::bigint[])`, [
        [...quarantine],
        `held by more than ${this.config.tripWire} customers`,
      ]);
    }
    let current = customerId;
    const byIdentifier = new Map<string, Holder[]>();
    for (const h of holders) {
      if (quarantine.has(h.identifierId)) continue;
      const list = byIdentifier.get(h.identifierId) ?? [];
      list.push(h);
      byIdentifier.set(h.identifierId, list);
    }
    for (const [identifierId, list] of byIdentifier) {
      const identifier = linkable.find((l) => l.id === identifierId)!;
      // One link per other customer: to its oldest record holding the value.
      const seenCustomers = new Set<string>();
      for (const h of list) {
        if (seenCustomers.has(h.customerId)) continue;
        seenCustomers.add(h.customerId);
        const [live] = await sql<{ customerId: string }>(`SELECT customer_id AS "customerId" FROM source_record WHERE id = $1`, [h.recordId]);
        const other = live?.customerId ?? h.customerId;
        if (other === current) {
          continue;
        }
        // A shared phone between different first names is a household, not a person.
        const veto = identifier.kind === 'phone' && namesConflict(firstName, h.firstName) ? 'guard:name_conflict' : await this.mergeVeto(sql, current, other);
        if (veto) {
          result.suggestions += await this.suggest(sql, recordId, h.recordId, veto, null, { matched: [keyOf(identifier)] });
          continue;
        }
        await this.insertLink(sql, recordId, h.recordId, `exact_${identifier.kind}`, identifierId, null, { matched: [keyOf(identifier)], source: system }, `${actor}:exact_${identifier.kind}`);
        const merged = await this.mergeCustomers(sql, [current, other], { actor: `${actor}:exact_${identifier.kind}`, recordId });
        result.retiredIds.push(...merged.retired);
        current = merged.survivor;
      }
    }
    return current;
  }

  /**
   * Why two customers must not be merged automatically, or null: a person split them before,
   * or together they would hold two different ids of a namespace marked unique (two HR ids).
   */
  async mergeVeto(sql: Sql, a: string, b: string): Promise<string | null> {
    const [x, y] = a < b ? [a, b] : [b, a];
    const sep = await sql(`SELECT 1 FROM identity_separation WHERE customer_a = $1 AND customer_b = $2`, [x, y]);
    if (sep.length) return 'guard:separated';
    if (!this.config.uniqueNamespaces.length) return null;
    const conflicts = await sql(
      `SELECT i.kind, i.namespace
         FROM source_record sr JOIN record_identifier ri ON ri.source_record_id = sr.id JOIN identifier i ON i.id = ri.identifier_id
        WHERE sr.customer_id = ANY($1::uuid[]) AND NOT sr.deleted AND (i.kind || ':' || i.namespace) = ANY($2::text[])
        GROUP BY i.kind, i.namespace HAVING count(DISTINCT i.value) > 1 LIMIT 1`,
      [[a, b], this.config.uniqueNamespaces],
    );
    return conflicts.length ? 'guard:cardinality' : null;
  }

  private async suggestForGuarded(sql: Sql, recordId: string, customerId: string, guarded: { id: string; kind: string; namespace: string; value: string; status: string }[]): Promise<number> {
    let made = 0;
    for (const g of guarded) {
      if (g.status === 'quarantined') continue; // too common to be evidence of anything
      const others = await sql<{ recordId: string }>(
        `SELECT sr.id AS "recordId" FROM record_identifier ri JOIN source_record sr ON sr.id = ri.source_record_id
          WHERE ri.identifier_id = $1 AND sr.id <> $2 AND sr.customer_id <> $3 AND NOT sr.deleted
          ORDER BY sr.created_at LIMIT 5`,
        [g.id, recordId, customerId],
      );
      for (const o of others) made += await this.suggest(sql, recordId, o.recordId, g.kind === 'email' ? 'guard:role_address' : 'guard:blocked_value', null, { matched: [keyOf(g)] });
    }
    return made;
  }

  /** Queues a suggestion for a person (no-op if the pair already has one). Returns 1 when new. */
  async suggest(sql: Sql, a: string, b: string, reason: string, score: number | null, evidence: Record<string, unknown>): Promise<number> {
    const [x, y] = a < b ? [a, b] : [b, a];
    const rows = await sql(
      `INSERT INTO match_suggestion (record_a, record_b, reason, score, evidence) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (record_a, record_b) DO NOTHING RETURNING id`,
      [x, y, reason, score, JSON.stringify(evidence)],
    );
    return rows.length;
  }

  private async insertLink(sql: Sql, from: string, to: string, rule: string, identifierId: string | null, score: number | null, evidence: Record<string, unknown>, actor: string): Promise<string> {
    const [row] = await sql<{ id: string }>(
      `INSERT INTO identity_link (from_record_id, to_record_id, rule, identifier_id, score, evidence, actor)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [from, to, rule, identifierId, score, JSON.stringify(evidence), actor],
    );
    return row!.id;
  }

  /** Probabilistic matching against records in the same blocks: link above the auto-accept weight, suggest above the suggest weight. */
  private async matchProbabilistically(sql: Sql, recordId: string, customerId: string, person: CanonicalPerson, identifiers: NormalisedIdentifier[], actor: string, result: ApplyPersonResult): Promise<string> {
    const features = featuresOf(person.traits ?? {}, identifiers);
    const keys = blockingKeys(features);
    await sql(`DELETE FROM record_block_key WHERE source_record_id = $1`, [recordId]);
    if (!keys.length) return customerId;
    await sql(`INSERT INTO record_block_key (source_record_id, key) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, [recordId, keys]);
    const candidates = await sql<{ recordId: string; customerId: string; traits: Record<string, unknown>; emails: string[] | null; phones: string[] | null }>(
      `WITH c AS (
         SELECT DISTINCT bk.source_record_id FROM record_block_key bk
          WHERE bk.key = ANY($1::text[]) AND bk.source_record_id <> $2 LIMIT 200)
       SELECT sr.id AS "recordId", sr.customer_id AS "customerId", sr.traits,
              array_agg(i.value) FILTER (WHERE i.kind = 'email' AND i.status = 'active') AS emails,
              array_agg(i.value) FILTER (WHERE i.kind = 'phone' AND i.status = 'active') AS phones
         FROM c JOIN source_record sr ON sr.id = c.source_record_id
         LEFT JOIN record_identifier ri ON ri.source_record_id = sr.id
         LEFT JOIN identifier i ON i.id = ri.identifier_id
        WHERE sr.customer_id <> $3 AND NOT sr.deleted
        GROUP BY sr.id`,
      [keys, recordId, customerId],
    );
    let current = customerId;
    const scored = candidates
      .map((c) => ({ c, s: scorePair(features, featuresOf(c.traits, [...(c.emails ?? []).map((v) => ({ kind: 'email', value: v })), ...(c.phones ?? []).map((v) => ({ kind: 'phone', value: v }))])) }))
      .filter((x) => x.s.score >= this.config.suggestWeight)
      .sort((a, b) => b.s.score - a.s.score);
    for (const { c, s } of scored) {
      const [live] = await sql<{ customerId: string }>(`SELECT customer_id AS "customerId" FROM source_record WHERE id = $1`, [c.recordId]);
      const other = live?.customerId ?? c.customerId;
      if (other === current) continue;
      const evidence = { comparisons: s.comparisons, probability: s.probability };
      // Different first names on one phone are a household: the same guard as the exact-phone rule.
      // Two first names that cannot be one person's, on a shared surname and address or phone, are
      // a household: the same guard as the exact-phone rule, whatever else agrees.
      const household = namesConflict(person.traits?.firstName, c.traits.firstName);
      // Names and a town alone are not enough to merge on their own (namesakes): something
      // personal (date of birth, email, phone, address) must agree too.
      // An address is shared by a household: it corroborates only when the surnames agree too.
      const sameSurname = !namesConflict(person.traits?.lastName, c.traits.lastName);
      const corroborated = s.comparisons.some(
        (x) => x.weight > 0 && (PERSONAL_FIELDS.has(x.field) || (ADDRESS_FIELDS.has(x.field) && sameSurname)),
      );
      const veto =
        s.score < this.config.autoAcceptWeight
          ? 'probabilistic'
          : household
            ? 'guard:name_conflict'
            : !corroborated
              ? 'guard:names_only'
              : await this.mergeVeto(sql, current, other);
      if (veto) {
        result.suggestions += await this.suggest(sql, recordId, c.recordId, veto === 'probabilistic' ? veto : `probabilistic+${veto}`, s.score, evidence);
        continue;
      }
      await this.lockCustomers(sql, [current, other]);
      await this.insertLink(sql, recordId, c.recordId, 'probabilistic', null, s.score, evidence, `${actor}:probabilistic`);
      const merged = await this.mergeCustomers(sql, [current, other], { actor: `${actor}:probabilistic`, recordId });
      result.retiredIds.push(...merged.retired);
      current = merged.survivor;
    }
    return current;
  }

  /**
   * Merges customers into the oldest, which keeps its id; the others become redirects.
   * Their records, interactions and conversations move to the survivor.
   */
  async mergeCustomers(sql: Sql, ids: string[], why: { actor: string; recordId?: string; role?: string | null }): Promise<{ survivor: string; retired: string[] }> {
    let distinct = [...new Set(ids)];
    await this.lockCustomers(sql, distinct);
    // A concurrent merge may have retired one of these while we waited for its lock: follow the
    // redirects (and lock what they lead to), or the link just made would join two live customers.
    const locked = new Set(distinct);
    for (let round = 0; round < 5; round++) {
      const live = await sql<{ id: string }>(
        `SELECT DISTINCT COALESCE(r.customer_id, x) AS id FROM unnest($1::uuid[]) AS x LEFT JOIN customer_redirect r ON r.retired_id = x`,
        [distinct],
      );
      distinct = live.map((r) => r.id);
      const fresh = distinct.filter((id) => !locked.has(id));
      if (!fresh.length) break;
      await this.lockCustomers(sql, fresh);
      fresh.forEach((id) => locked.add(id));
    }
    const rows = await sql<{ id: string }>(`SELECT id FROM customer WHERE id = ANY($1::uuid[]) AND status = 'active' ORDER BY created_at, id`, [distinct]);
    if (rows.length < 2) return { survivor: rows[0]?.id ?? distinct[0]!, retired: [] };
    const survivor = rows[0]!.id;
    const retired = rows.slice(1).map((r) => r.id);
    await sql(`UPDATE source_record SET customer_id = $1 WHERE customer_id = ANY($2::uuid[])`, [survivor, retired]);
    await sql(`UPDATE interaction SET customer_id = $1 WHERE customer_id = ANY($2::uuid[])`, [survivor, retired]);
    await sql(`UPDATE conversation SET customer_id = $1 WHERE customer_id = ANY($2::uuid[])`, [survivor, retired]);
    await sql(`UPDATE customer SET status = 'merged', updated_at = now() WHERE id = ANY($1::uuid[])`, [retired]);
    await sql(`UPDATE customer_redirect SET customer_id = $1 WHERE customer_id = ANY($2::uuid[])`, [survivor, retired]);
    await sql(
      `INSERT INTO customer_redirect (retired_id, customer_id, reason) SELECT unnest($1::uuid[]), $2, 'merged'
       ON CONFLICT (retired_id) DO UPDATE SET customer_id = EXCLUDED.customer_id, reason = 'merged'`,
      [retired, survivor],
    );
    await appendAudit(sql, { actor: why.actor, role: why.role ?? null, action: 'customer.merged', customerId: survivor, details: { retiredIds: retired, ...(why.recordId ? { recordId: why.recordId } : {}) } });
    await publishEvent(sql, { type: 'customer.merged', customerId: survivor, retiredIds: retired });
    return { survivor, retired };
  }

  /** A person merges two customers: a manual link between their oldest records. */
  async manualMerge(a: string, b: string, actor: string, role: string | null = null, note?: string): Promise<{ survivor: string; retired: string[] }> {
    return inTransaction(this.ds, async (tsql) => {
      const sql = rowsOnly(tsql);
      const [ra, rb] = await Promise.all([this.resolveId(sql, a), this.resolveId(sql, b)]);
      if (!ra || !rb) throw new IdentityError('NOT_FOUND', `customer ${!ra ? a : b} does not exist`);
      if (ra === rb) return { survivor: ra, retired: [] };
      await this.lockCustomers(sql, [ra, rb]);
      const recs = await sql<{ customerId: string; id: string }>(
        `SELECT DISTINCT ON (customer_id) customer_id AS "customerId", id FROM source_record WHERE customer_id = ANY($1::uuid[]) ORDER BY customer_id, created_at`,
        [[ra, rb]],
      );
      const fa = recs.find((r) => r.customerId === ra);
      const fb = recs.find((r) => r.customerId === rb);
      if (!fa || !fb) throw new IdentityError('CONFLICT', 'both customers need at least one source record to be merged');
      const [x, y] = ra < rb ? [ra, rb] : [rb, ra];
      await sql(`DELETE FROM identity_separation WHERE customer_a = $1 AND customer_b = $2`, [x, y]);
      await this.insertLink(sql, fa.id, fb.id, 'manual_merge', null, null, note ? { note } : {}, actor);
      const merged = await this.mergeCustomers(sql, [ra, rb], { actor, role });
      await this.refreshGolden(sql, [merged.survivor]);
      return merged;
    });
  }

  /**
   * Splits records away from their customer: retracts the live links between `recordIds` and the
   * rest of the customer, then recomputes the components. Each component gets back the id its
   * records first had (ids stay stable); the two sides are marked separated so rules do not
   * re-merge them.
   */
  async unmerge(customerId: string, recordIds: string[], actor: string, role: string | null = null): Promise<{ customerIds: string[] }> {
    return inTransaction(this.ds, async (tsql) => {
      const sql = rowsOnly(tsql);
      const id = await this.resolveId(sql, customerId);
      if (!id) throw new IdentityError('NOT_FOUND', `customer ${customerId} does not exist`);
      await this.lockCustomers(sql, [id]);
      const members = await sql<{ id: string }>(`SELECT id FROM source_record WHERE customer_id = $1`, [id]);
      const memberSet = new Set(members.map((m) => m.id));
      const moving = recordIds.filter((r) => memberSet.has(r));
      if (!moving.length) throw new IdentityError('BAD_USER_INPUT', `none of the records ${recordIds.join(', ')} belongs to customer ${id}`);
      if (moving.length === memberSet.size) throw new IdentityError('BAD_USER_INPUT', 'unmerge must leave at least one record with the customer');
      const retracted = await sql<{ id: string }>(
        `UPDATE identity_link SET retracted_at = now(), retracted_by = $3, retract_reason = 'unmerge'
          WHERE retracted_at IS NULL
            AND ((from_record_id = ANY($1::uuid[]) AND to_record_id = ANY($2::uuid[]) AND NOT (to_record_id = ANY($1::uuid[])))
              OR (to_record_id = ANY($1::uuid[]) AND from_record_id = ANY($2::uuid[]) AND NOT (from_record_id = ANY($1::uuid[]))))
          RETURNING id`,
        [moving, [...memberSet], actor],
      );
      const ids = await this.recomputeComponents(sql, id, actor, role);
      for (let i = 0; i < ids.length; i++) {
        for (let j = i + 1; j < ids.length; j++) {
          const [x, y] = ids[i]! < ids[j]! ? [ids[i]!, ids[j]!] : [ids[j]!, ids[i]!];
          await sql(`INSERT INTO identity_separation (customer_a, customer_b, actor) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [x, y, actor]);
        }
      }
      await appendAudit(sql, { actor, role, action: 'customer.unmerged', customerId: id, details: { recordIds: moving, retractedLinks: retracted.map((r) => r.id), customerIds: ids } });
      return { customerIds: ids };
    });
  }

  /**
   * Recomputes the connected components of a customer's records over live links. The component
   * holding the records whose origin is this customer keeps its id; others get back their
   * origin id (revived from a redirect) or a new id.
   */
  async recomputeComponents(callerSql: Sql, customerId: string, actor: string, role: string | null = null): Promise<string[]> {
    const sql = rowsOnly(callerSql);
    const records = await sql<{ id: string; origin: string | null; createdAt: Date }>(
      `SELECT id, origin_customer_id AS origin, created_at AS "createdAt" FROM source_record WHERE customer_id = $1 ORDER BY created_at, id`,
      [customerId],
    );
    if (records.length <= 1) return [customerId];
    const links = await sql<{ a: string; b: string }>(
      `SELECT from_record_id AS a, to_record_id AS b FROM identity_link
        WHERE retracted_at IS NULL AND from_record_id = ANY($1::uuid[]) AND to_record_id = ANY($1::uuid[])`,
      [records.map((r) => r.id)],
    );
    const parent = new Map(records.map((r) => [r.id, r.id]));
    const find = (x: string): string => {
      let r = x;
      while (parent.get(r) !== r) r = parent.get(r)!;
      parent.set(x, r);
      return r;
    };
    for (const l of links) {
      const ra = find(l.a);
      const rb = find(l.b);
      if (ra !== rb) parent.set(ra, rb);
    }
    const components = new Map<string, typeof records>();
    for (const r of records) {
      const root = find(r.id);
      components.set(root, [...(components.get(root) ?? []), r]);
    }
    if (components.size === 1) return [customerId];
    const groups = [...components.values()];
    // The component that keeps the id: the one holding a record born in this customer, else the oldest.
    groups.sort((a, b) => Number(b.some((r) => r.origin === customerId)) - Number(a.some((r) => r.origin === customerId)) || a[0]!.createdAt.getTime() - b[0]!.createdAt.getTime());
    const result = [customerId];
    const used = new Set([customerId]);
    for (const group of groups.slice(1)) {
      const origins = group.map((r) => r.origin).filter((o): o is string => Boolean(o) && !used.has(o!));
      let target: string | null = null;
      for (const o of origins) {
        const revived = await sql(`UPDATE customer SET status = 'active', updated_at = now() WHERE id = $1 AND status = 'merged' RETURNING id`, [o]);
        if (revived.length) {
          await sql(`DELETE FROM customer_redirect WHERE retired_id = $1`, [o]);
          target = o;
          break;
        }
      }
      if (!target) {
        const [c] = await sql<{ id: string }>(`INSERT INTO customer DEFAULT VALUES RETURNING id`);
        target = c!.id;
      }
      used.add(target);
      const ids = group.map((r) => r.id);
      await sql(`UPDATE source_record SET customer_id = $1 WHERE id = ANY($2::uuid[])`, [target, ids]);
      await sql(`UPDATE interaction SET customer_id = $1 WHERE source_record_id = ANY($2::uuid[])`, [target, ids]);
      await sql(`UPDATE conversation SET customer_id = $1 WHERE source_record_id = ANY($2::uuid[])`, [target, ids]);
      result.push(target);
    }
    await appendAudit(sql, { actor, role, action: 'customer.split', customerId, details: { customerIds: result } });
    await publishEvent(sql, { type: 'customer.split', customerId, newCustomerIds: result.slice(1) });
    await this.refreshGolden(sql, result);
    return result;
  }

  /** The live customer id for an id (following a redirect), or null. */
  async resolveId(sql: Sql, id: string): Promise<string | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const rows = await sql<{ id: string }>(
      `SELECT c.id FROM customer c WHERE c.status = 'active' AND c.id = COALESCE((SELECT customer_id FROM customer_redirect WHERE retired_id = $1), $1)`,
      [id],
    );
    return rows[0]?.id ?? null;
  }

  /** For two records of one customer: the shortest path of live links between them, with evidence. */
  async explain(recordA: string, recordB: string): Promise<LinkStep[] | null> {
    const sql: Sql = (t, p) => this.ds.query(t, p);
    const recs = await sql<{ id: string; customerId: string }>(`SELECT id, customer_id AS "customerId" FROM source_record WHERE id = ANY($1::uuid[])`, [[recordA, recordB]]);
    if (recs.length !== (recordA === recordB ? 1 : 2) || new Set(recs.map((r) => r.customerId)).size !== 1) return null;
    if (recordA === recordB) return [];
    const links = await sql<LinkStep>(
      `SELECT l.id AS "linkId", l.from_record_id AS "fromRecordId", l.to_record_id AS "toRecordId", l.rule, l.score, l.evidence, l.actor, l.created_at AS "createdAt"
         FROM identity_link l JOIN source_record s ON s.id = l.from_record_id
        WHERE l.retracted_at IS NULL AND s.customer_id = $1`,
      [recs[0]!.customerId],
    );
    const adjacent = new Map<string, LinkStep[]>();
    for (const l of links) {
      adjacent.set(l.fromRecordId, [...(adjacent.get(l.fromRecordId) ?? []), l]);
      adjacent.set(l.toRecordId, [...(adjacent.get(l.toRecordId) ?? []), l]);
    }
    const via = new Map<string, LinkStep | null>([[recordA, null]]);
    const queue = [recordA];
    while (queue.length) {
      const at = queue.shift()!;
      if (at === recordB) break;
      for (const l of adjacent.get(at) ?? []) {
        const next = l.fromRecordId === at ? l.toRecordId : l.fromRecordId;
        if (!via.has(next)) {
          via.set(next, l);
          queue.push(next);
        }
      }
    }
    if (!via.has(recordB)) return null;
    const path: LinkStep[] = [];
    for (let at = recordB; at !== recordA; ) {
      const l = via.get(at)!;
      path.unshift(l);
      at = l.fromRecordId === at ? l.toRecordId : l.fromRecordId;
    }
    return path;
  }

  /** Accepts a suggestion: a link with the suggestion as evidence, then a merge. */
  async acceptSuggestion(id: string, actor: string, role: string | null = null): Promise<{ survivor: string; retired: string[] }> {
    return inTransaction(this.ds, async (tsql) => {
      const sql = rowsOnly(tsql);
      const [s] = await sql<{ recordA: string; recordB: string; status: string; score: number | null; evidence: Record<string, unknown>; reason: string }>(
        `SELECT record_a AS "recordA", record_b AS "recordB", status, score, evidence, reason FROM match_suggestion WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (!s) throw new IdentityError('NOT_FOUND', `suggestion ${id} does not exist`);
      if (s.status !== 'pending') throw new IdentityError('CONFLICT', `suggestion ${id} is already ${s.status}`);
      const recs = await sql<{ id: string; customerId: string }>(`SELECT id, customer_id AS "customerId" FROM source_record WHERE id = ANY($1::uuid[])`, [[s.recordA, s.recordB]]);
      if (recs.length !== 2) throw new IdentityError('CONFLICT', `a record of suggestion ${id} no longer exists`);
      await sql(`UPDATE match_suggestion SET status = 'accepted', decided_at = now(), decided_by = $2 WHERE id = $1`, [id, actor]);
      const [a, b] = [recs[0]!.customerId, recs[1]!.customerId];
      const [x, y] = a < b ? [a, b] : [b, a];
      await sql(`DELETE FROM identity_separation WHERE customer_a = $1 AND customer_b = $2`, [x, y]);
      await this.insertLink(sql, s.recordA, s.recordB, 'suggestion_accepted', null, s.score, { ...s.evidence, suggestionId: id, reason: s.reason }, actor);
      const merged = await this.mergeCustomers(sql, [a, b], { actor, role });
      await this.refreshGolden(sql, [merged.survivor]);
      return merged;
    });
  }

  async rejectSuggestion(id: string, actor: string): Promise<void> {
    const rows = await rowsOnly((t, p) => this.ds.query(t, p))(
      `UPDATE match_suggestion SET status = 'rejected', decided_at = now(), decided_by = $2 WHERE id = $1 AND status = 'pending' RETURNING id`,
      [id, actor],
    );
    if (!rows.length) throw new IdentityError('NOT_FOUND', `no pending suggestion ${id}`);
  }

  /**
   * Erases a customer: every linked record, identifier, interaction, conversation and link goes,
   * suppression hashes stop a later sync or webhook from bringing the person back, and the result
   * lists the source systems to notify.
   */
  async erase(customerId: string, actor: string, role: string | null = null): Promise<ErasureResult> {
    return inTransaction(this.ds, async (tsql) => {
      const sql = rowsOnly(tsql);
      const id = await this.resolveId(sql, customerId);
      if (!id) throw new IdentityError('NOT_FOUND', `customer ${customerId} does not exist`);
      await this.lockCustomers(sql, [id]);
      const records = await sql<{ id: string; system: string; objectType: string; externalId: string }>(
        `SELECT id, system, object_type AS "objectType", external_id AS "externalId" FROM source_record WHERE customer_id = $1`,
        [id],
      );
      const recordIds = records.map((r) => r.id);
      const idents = await sql<{ id: string; kind: string; namespace: string; value: string }>(
        `SELECT DISTINCT i.id, i.kind, i.namespace, i.value FROM record_identifier ri JOIN identifier i ON i.id = ri.identifier_id WHERE ri.source_record_id = ANY($1::uuid[])`,
        [recordIds],
      );
      const interactions = await sql(`DELETE FROM interaction WHERE customer_id = $1 OR source_record_id = ANY($2::uuid[]) RETURNING id`, [id, recordIds]);
      const conversations = await sql(`DELETE FROM conversation WHERE customer_id = $1 OR source_record_id = ANY($2::uuid[]) RETURNING id`, [id, recordIds]);
      await sql(`DELETE FROM identity_link WHERE from_record_id = ANY($1::uuid[]) OR to_record_id = ANY($1::uuid[])`, [recordIds]);
      await sql(`DELETE FROM match_suggestion WHERE record_a = ANY($1::uuid[]) OR record_b = ANY($1::uuid[])`, [recordIds]);
      await sql(`DELETE FROM record_block_key WHERE source_record_id = ANY($1::uuid[])`, [recordIds]);
      await sql(`DELETE FROM record_identifier WHERE source_record_id = ANY($1::uuid[])`, [recordIds]);
      // Identifiers no other record holds are personal data of this person alone.
      const removedIdentifiers = await sql(
        `DELETE FROM identifier i WHERE i.id = ANY($1::bigint[]) AND NOT EXISTS (SELECT 1 FROM record_identifier ri WHERE ri.identifier_id = i.id) RETURNING id`,
        [idents.map((i) => i.id)],
      );
      // Suppress the source keys and the identifiers that left with the person; a value others still
      // hold (a shared info@ address) is not this person's, and suppressing it would block them.
      const removedIds = new Set(removedIdentifiers.map((r) => String((r as { id: string }).id)));
      const hashes = [
        ...records.map((r) => suppressionHash(`source:${r.system}:${r.objectType}:${r.externalId}`)),
        ...idents.filter((i) => i.kind !== 'external' && removedIds.has(String(i.id))).map((i) => suppressionHash(`id:${keyOf(i)}`)),
      ];
      await sql(`INSERT INTO suppression (hash, kind, reason) SELECT unnest($1::text[]), 'erasure', 'erased customer' ON CONFLICT DO NOTHING`, [hashes]);
      await sql(`DELETE FROM source_record WHERE id = ANY($1::uuid[])`, [recordIds]);
      const retired = await sql<{ retiredId: string }>(`DELETE FROM customer_redirect WHERE customer_id = $1 RETURNING retired_id AS "retiredId"`, [id]);
      await sql(`DELETE FROM identity_separation WHERE customer_a = ANY($1::uuid[]) OR customer_b = ANY($1::uuid[])`, [[id, ...retired.map((r) => r.retiredId)]]);
      await sql(`DELETE FROM customer WHERE id = ANY($1::uuid[])`, [[id, ...retired.map((r) => r.retiredId)]]);
      const notify = records.map(({ system, objectType, externalId }) => ({ system, objectType, externalId }));
      await appendAudit(sql, {
        actor,
        role,
        action: 'customer.erased',
        customerId: id,
        details: { systems: [...new Set(records.map((r) => r.system))].sort(), sourceRecords: records.length, interactions: interactions.length },
      });
      await publishEvent(sql, { type: 'customer.erased', customerId: id });
      return {
        customerId: id,
        notify,
        removed: { sourceRecords: records.length, interactions: interactions.length, identifiers: removedIdentifiers.length, conversations: conversations.length },
      };
    });
  }

  /** Recomputes the golden record and record count of customers from their source records. */
  async refreshGolden(sql: Sql, customerIds: string[]): Promise<void> {
    for (const id of new Set(customerIds)) {
      const sources = await sql<{ system: string; traits: Record<string, unknown>; sourceUpdatedAt: Date | null; emails: string[] | null; phones: string[] | null }>(
        `SELECT sr.system, sr.traits, sr.source_updated_at AS "sourceUpdatedAt",
                array_agg(i.value ORDER BY i.value) FILTER (WHERE i.kind = 'email' AND i.status = 'active') AS emails,
                array_agg(i.value ORDER BY i.value) FILTER (WHERE i.kind = 'phone') AS phones
           FROM source_record sr LEFT JOIN record_identifier ri ON ri.source_record_id = sr.id LEFT JOIN identifier i ON i.id = ri.identifier_id
          WHERE sr.customer_id = $1 AND NOT sr.deleted GROUP BY sr.id`,
        [id],
      );
      const golden = goldenRecord(
        sources.map((s) => ({ system: s.system, sourceUpdatedAt: s.sourceUpdatedAt, traits: { ...s.traits, email: s.emails?.[0] ?? null, phone: s.phones?.[0] ?? null } })),
        this.config,
      );
      await sql(`UPDATE customer SET traits = $2, record_count = (SELECT count(*) FROM source_record WHERE customer_id = $1), updated_at = now() WHERE id = $1`, [id, JSON.stringify(golden)]);
    }
  }
}

export type IdentityErrorCode = 'NOT_FOUND' | 'CONFLICT' | 'BAD_USER_INPUT';

/** A refused identity operation; the API maps `code` to its error table. */
export class IdentityError extends Error {
  override name = 'IdentityError';
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Matching features from traits and normalised identifiers. */
export function featuresOf(traits: Record<string, unknown>, identifiers: { kind: string; value: string }[]): PersonFeatures {
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const f: PersonFeatures = {};
  const set = <K extends keyof PersonFeatures>(k: K, v: PersonFeatures[K] | undefined) => {
    if (v !== undefined) f[k] = v;
  };
  set('firstName', str(traits.firstName));
  set('lastName', str(traits.lastName));
  set('dob', str(traits.dob));
  set('city', str(traits.city));
  set('address', str(traits.address));
  set('postcode', str(traits.postcode));
  set('email', identifiers.find((i) => i.kind === 'email')?.value);
  set('phone', identifiers.find((i) => i.kind === 'phone')?.value);
  return f;
}
