import crypto from 'node:crypto';
import type { DataSource } from 'typeorm';
import { appendAudit, appendAuditBatch, type AuditInput } from '../audit/audit-log.js';
import type { CanonicalPerson } from '../connector-kit/canonical.js';
import { orderedUuids } from '../db/ordered-uuids.js';
import { inTransaction, preparedQuery, type Sql } from '../db/sql.js';
import { EVENTS_CHANNEL, publishEvent, type HubEvent } from '../events/hub-events.js';
import { goldenRecord } from './golden-record.js';
import { DEFAULT_IDENTITY_CONFIG, type IdentityConfig } from './identity.config.js';
import { blockingKeys, featuresOf, jaroWinkler, MAX_BLOCK_SIZE, scorePair, type PersonFeatures } from './matching/index.js';
import { isRoleAddress, keyOf, normaliseIdentifier, type NormalisedIdentifier } from './normalise/identifier.normaliser.js';

export interface ApplyPersonResult {
  sourceRecordId: string | null;
  customerId: string | null;
  /** `suppressed`: the person was erased; `stale`: an older version than the one stored. */
  skipped?: 'suppressed' | 'stale';
  /**
   * The record was already stored exactly as given (same payload, traits, source time, deleted
   * flag and identifiers with their raw values) and has a customer: nothing was written, as the
   * bulk path skips such records (a webhook re-delivering a person, a sync re-reading a page).
   */
  unchanged?: boolean;
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

export { featuresOf } from './matching/index.js';
export { keyOf } from './normalise/identifier.normaliser.js';

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
    // Named prepared statements on the transaction's connection: planning these statements cost
    // about as much as running them (every text here is one of a fixed set).
    const r: unknown = await preparedQuery<T>(sql, text, params ?? []);
    if (Array.isArray(r) && r.length === 2 && Array.isArray(r[0]) && typeof r[1] === 'number') return r[0] as T[];
    return r as T[];
  };
}

/** The parameters of VETOED_CTE, in order. */
function vetoedParams(join: JoinState, vetoed: VetoedCandidate[]): unknown[] {
  return [
    vetoed.map((v) => v.recordId),
    vetoed.map((v) => v.customerId),
    vetoed.map((v) => v.reason),
    vetoed.map((v) => v.score),
    vetoed.map((v) => JSON.stringify(v.evidence)),
    join.recordId,
    join.current,
  ];
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

/** An identifier node of the record being applied (ids are bigint, kept as text). */
interface IdentifierRow {
  id: string;
  kind: string;
  namespace: string;
  value: string;
  status: string;
}

/** Where one apply stands: its record, the record's customer (null until it joins or gets one), merges made. */
interface JoinState {
  recordId: string;
  current: string | null;
  /** Customers this apply merged away, to the customer they went into. */
  aliases: Map<string, string>;
  /** Joins made so far (what was read of the customer before one is stale after it). */
  joins: number;
  /**
   * Audit events of merges made here, appended at the end of the apply: the audit chain's lock is
   * then held from the append to COMMIT, not across the rest of the apply (under concurrency every
   * other merge waited for it).
   */
  audit: AuditInput[];
  /** This apply quarantined a value (the trip-wire). */
  quarantined: boolean;
  /**
   * The golden-record sources of the record's customer as its last join read them (after `joins`
   * joins): an attach reads the customer's other records (`withOwn`: this record's source is added),
   * a merge every record of the two customers.
   */
  golden?: { joins: number; rows: RawGoldenSource[]; withOwn: boolean };
}

interface LinkInput {
  to: string;
  rule: string;
  identifierId: string | null;
  score: number | null;
  evidence: Record<string, unknown>;
  actor: string;
}

interface Candidate {
  recordId: string;
  customerId: string;
  traits: Record<string, unknown>;
  emails: string[] | null;
  phones: string[] | null;
}

interface VetoedCandidate {
  recordId: string;
  customerId: string;
  reason: string;
  score: number;
  evidence: Record<string, unknown>;
}

interface GoldenSource {
  system: string;
  traits: Record<string, unknown>;
  sourceUpdatedAt: Date | null;
  emails: string[] | null;
  phones: string[] | null;
}

/** A golden source as JSON gives it (the time as text). */
type RawGoldenSource = Omit<GoldenSource, 'sourceUpdatedAt'> & { sourceUpdatedAt: string | null };
const goldenSourceOf = (g: RawGoldenSource): GoldenSource => ({ ...g, sourceUpdatedAt: toDate(g.sourceUpdatedAt) });

/**
 * CTEs `c` and `candidates`: the records sharing a blocking key in `keys` with the record `self`,
 * outside the customer `own`, with what the scorer needs. A block of MAX_BLOCK_SIZE records or
 * more is skipped (the batch matcher's rule), which also bounds the work per apply. Statements
 * read them with CANDIDATES_JSON.
 */
const CANDIDATES_CTE = (keys: string, self: string, own: string) => `c AS (
         SELECT DISTINCT m.source_record_id
           FROM unnest(${keys}) AS k(key)
           CROSS JOIN LATERAL (
             SELECT array_agg(b.source_record_id) AS ids
               FROM (SELECT bk.source_record_id FROM record_block_key bk
                      WHERE bk.key = k.key AND bk.source_record_id IS DISTINCT FROM ${self} LIMIT ${MAX_BLOCK_SIZE}) b) blk
           CROSS JOIN LATERAL unnest(blk.ids) AS m(source_record_id)
          WHERE cardinality(blk.ids) < ${MAX_BLOCK_SIZE}),
       candidates AS (
         SELECT sr.id AS "recordId", sr.customer_id AS "customerId", sr.traits, sr.created_at AS "createdAt",
                array_agg(i.value) FILTER (WHERE i.kind = 'email' AND i.status = 'active') AS emails,
                array_agg(i.value) FILTER (WHERE i.kind = 'phone' AND i.status = 'active') AS phones
           FROM c JOIN source_record sr ON sr.id = c.source_record_id
           LEFT JOIN record_identifier ri ON ri.source_record_id = sr.id
           LEFT JOIN identifier i ON i.id = ri.identifier_id
          WHERE sr.customer_id IS NOT NULL AND sr.customer_id IS DISTINCT FROM ${own} AND NOT sr.deleted
          GROUP BY sr.id)`;

/**
 * The `candidates` CTE as one JSON array, oldest first ("createdAt", then id): candidates with equal
 * scores keep that order through the scorer's stable sort, so which of them a full suggestion
 * budget leaves out does not depend on random ids or on the plan's row order.
 */
const CANDIDATES_JSON = `coalesce(json_agg(candidates ORDER BY "createdAt", "recordId"), '[]')`;

/** The golden record's inputs: each live record of `where` with its active emails and its phones. */
const GOLDEN_SOURCES_SQL = (where: string) =>
  `SELECT sr.system, sr.traits, sr.source_updated_at AS "sourceUpdatedAt",
          array_agg(i.value ORDER BY i.value) FILTER (WHERE i.kind = 'email' AND i.status = 'active') AS emails,
          array_agg(i.value ORDER BY i.value) FILTER (WHERE i.kind = 'phone') AS phones
     FROM source_record sr LEFT JOIN record_identifier ri ON ri.source_record_id = sr.id LEFT JOIN identifier i ON i.id = ri.identifier_id
    WHERE ${where} AND NOT sr.deleted GROUP BY sr.id`;

/**
 * A CTE `vetoed` that queues suggestions for candidates a rule refused to link, from seven
 * parameters starting at $p: their record ids, customer ids, reasons, scores, evidence (JSON text),
 * the record applied and its customer now. Each candidate's customer is re-read first: one that is
 * the record's own by now needs no suggestion.
 */
const VETOED_CTE = (p: number) => `vetoed AS (
         INSERT INTO match_suggestion (record_a, record_b, reason, score, evidence)
         SELECT LEAST($${p + 5}::uuid, c.record_id), GREATEST($${p + 5}::uuid, c.record_id), c.reason, c.score, c.evidence::json
           FROM unnest($${p}::uuid[], $${p + 1}::uuid[], $${p + 2}::text[], $${p + 3}::float8[], $${p + 4}::text[])
                  WITH ORDINALITY AS c(record_id, customer_id, reason, score, evidence, ord)
          WHERE COALESCE((SELECT customer_id FROM source_record WHERE id = c.record_id), c.customer_id) IS DISTINCT FROM $${p + 6}::uuid
          ORDER BY c.ord
         ON CONFLICT (record_a, record_b) DO NOTHING RETURNING id)`;

/** lockKey in SQL, for a text expression: the first 8 bytes of its SHA-256 as a signed bigint. */
export const sqlLockKey = (textExpr: string) => `('x' || left(encode(sha256(convert_to(${textExpr}, 'UTF8')), 'hex'), 16))::bit(64)::bigint`;

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
  /**
   * Per transaction (its Sql): the lock keys prepareBatch took and the suppression hashes it found
   * clear, so the applies of that batch skip their own gate statement.
   */
  private readonly gates = new WeakMap<Sql, { locks: Set<string>; clear: Set<string> }>();

  constructor(
    private readonly ds: DataSource,
    config: Partial<IdentityConfig> = {},
  ) {
    this.config = { ...DEFAULT_IDENTITY_CONFIG, ...config };
    const cap = this.config.maxSuggestionsPerRecord;
    if (!Number.isInteger(cap) || cap < 0) throw new Error(`identity config maxSuggestionsPerRecord must be a non-negative integer, got ${String(cap)}`);
  }

  /** Applies one person record of `system` in its own transaction. */
  applyPerson(system: string, person: CanonicalPerson, actor = 'rule'): Promise<ApplyPersonResult> {
    return inTransaction(this.ds, (sql) => this.applyPersonIn(sql, system, person, actor));
  }

  /** What the gate of applyPersonIn checks and locks for a record: suppression hashes, lock keys. */
  private gateKeys(system: string, person: CanonicalPerson, identifiers: NormalisedIdentifier[]): { hashes: string[]; lockKeys: string[] } {
    const recordKey = `${system}:${person.objectType}:${person.externalId}`;
    return {
      hashes: [suppressionHash(`source:${recordKey}`), ...identifiers.filter((i) => i.kind !== 'external').map((i) => suppressionHash(`id:${keyOf(i)}`))],
      lockKeys: [...new Set([`record:${recordKey}`, ...identifiers.map((i) => `id:${keyOf(i)}`)].map(lockKey))],
    };
  }

  /**
   * Before applying many person records in one transaction (a worker's claimed batch): one
   * statement takes the graph lock (shared) and every record's and identifier's lock in key order,
   * and finds which suppression hashes are clear. The applies of those records in this transaction
   * then skip their own gate statement (one round trip each). Call it outside any savepoint that
   * may be rolled back (locks taken in a rolled-back savepoint are released).
   */
  async prepareBatch(callerSql: Sql, people: { system: string; person: CanonicalPerson }[]): Promise<void> {
    const locks = new Set<string>();
    const hashes = new Set<string>();
    for (const { system, person } of people) {
      const keys = this.gateKeys(system, person, this.normalise(person).identifiers);
      keys.lockKeys.forEach((k) => locks.add(k));
      keys.hashes.forEach((h) => hashes.add(h));
    }
    if (!locks.size) return;
    const [row] = await rowsOnly(callerSql)<{ suppressed: string[] }>(
      `SELECT ARRAY(SELECT hash FROM suppression WHERE hash = ANY($1::text[])) AS suppressed,
              set_config('plan_cache_mode', 'force_generic_plan', true) AS plans,
              (SELECT count(CASE WHEN l.shared THEN pg_advisory_xact_lock_shared(l.k) ELSE pg_advisory_xact_lock(l.k) END)
                 FROM (SELECT $2::bigint AS k, true AS shared, 0 AS ord
                       UNION ALL SELECT k, false, 1 FROM unnest($3::bigint[]) AS k
                       ORDER BY ord, k) l) AS locks`,
      [[...hashes], IDENTITY_GRAPH_LOCK, [...locks]],
    );
    const suppressed = new Set(row!.suppressed);
    const held = this.gates.get(callerSql) ?? { locks: new Set<string>(), clear: new Set<string>() };
    locks.forEach((k) => held.locks.add(k));
    hashes.forEach((h) => {
      if (!suppressed.has(h)) held.clear.add(h);
    });
    this.gates.set(callerSql, held);
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

  /**
   * What the record statement needs from a person: its live identifiers with their guard status on
   * first sight, its blocking keys (from the values not guarded on first sight) and, when the
   * record may be one that joins nobody, the golden record of the record alone.
   */
  private recordInputs(system: string, person: CanonicalPerson, identifiers: NormalisedIdentifier[]) {
    const updatedAt = toDate(person.updatedAt);
    const live = person.deleted ? [] : identifiers;
    const guards = live.map((i) => this.guardStatus(i));
    // Blocking keys and candidates are read in the same statement, from the values this record
    // states that are not guarded on first sight. If one of them turns out guarded already
    // (quarantined by the trip-wire), the candidates are read again from the right ones below.
    const matching = this.config.probabilistic && !person.deleted;
    const assumed = live.filter((_, k) => guards[k]!.status === 'active');
    const features = featuresOf(person.traits ?? {}, assumed);
    const keys = matching ? blockingKeys(features) : [];
    // A new record whose values are all new and that shares no block with any record joins nobody:
    // its customer is then created by the same statement, with the golden record of the record
    // alone (made here, when the order of its emails and phones cannot matter).
    const soloEmails = live.filter((i, k) => i.kind === 'email' && guards[k]!.status === 'active').map((i) => i.value);
    const soloPhones = live.filter((i) => i.kind === 'phone').map((i) => i.value);
    const soloGolden =
      matching && soloEmails.length <= 1 && soloPhones.length <= 1
        ? JSON.stringify(
            this.golden([
              {
                system,
                traits: JSON.parse(JSON.stringify(person.traits ?? {})) as Record<string, unknown>,
                sourceUpdatedAt: updatedAt,
                emails: soloEmails.length ? soloEmails : null,
                phones: soloPhones.length ? soloPhones : null,
              },
            ]),
          )
        : null;
    return { updatedAt, live, guards, matching, assumed, keys, soloGolden };
  }

  /**
   * What can make the apply of this person depend on another person of the same batch: its record
   * key, its identifier values and every blocking key it may be filed under. Two people of a batch
   * with no token in common cannot see each other's records (as holder, candidate or record).
   */
  dependencyTokens(system: string, person: CanonicalPerson): string[] {
    const { identifiers } = this.normalise(person);
    const traits = person.traits ?? {};
    const tokens = new Set([`record:${system}:${person.objectType}:${person.externalId}`, ...identifiers.map((i) => `id:${keyOf(i)}`)]);
    const contact = identifiers.filter((i) => i.kind === 'email' || i.kind === 'phone');
    // Under whichever of its emails and phones the record ends up filed (guards decide which count).
    for (const ids of [[], contact, ...contact.map((i) => [i])]) for (const k of blockingKeys(featuresOf(traits, ids))) tokens.add(`key:${k}`);
    return [...tokens];
  }

  /**
   * Set-based apply of people of a claimed batch that share no dependency token with any other
   * person of the batch (the caller checks that, and has called prepareBatch): in one statement,
   * each one that is new with only new values and no candidate in its blocks gets its record and a
   * customer of its own (the record statement's solo case), and each one stored exactly as given is
   * reported unchanged. Independent of the rest of the batch, these give what record-by-record
   * gives in any order. The others (null) go through applyPersonIn, in batch order.
   */
  async applyIndependentIn(callerSql: Sql, people: { system: string; person: CanonicalPerson }[]): Promise<(ApplyPersonResult | null)[]> {
    const held = this.gates.get(callerSql);
    const rows: { k: number; system: string; person: CanonicalPerson; problems: string[]; inputs: ReturnType<IdentityResolver['recordInputs']> }[] = [];
    for (const [k, { system, person }] of people.entries()) {
      if (person.deleted || !held) continue;
      const { identifiers, problems } = this.normalise(person);
      const { hashes, lockKeys } = this.gateKeys(system, person, identifiers);
      if (!lockKeys.every((l) => held.locks.has(l)) || !hashes.every((h) => held.clear.has(h))) continue;
      rows.push({ k, system, person, problems, inputs: this.recordInputs(system, person, identifiers) });
    }
    const results: (ApplyPersonResult | null)[] = people.map(() => null);
    if (!rows.length) return results;
    const newId = orderedUuids();
    const cids = rows.map(() => newId());
    const idOf = rows.flatMap((r, n) => r.inputs.live.map(() => n + 1));
    const keyOfRow = rows.flatMap((r, n) => r.inputs.keys.map(() => n + 1));
    const answer = await rowsOnly(callerSql)<{ n: number; kind: 'solo' | 'unchanged' | null; id: string | null; customerId: string | null }>(
      `WITH p AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::uuid[])
                  WITH ORDINALITY AS t(system, object_type, external_id, payload, traits, updated_at, golden, cid, n)),
       input AS (
         SELECT * FROM unnest($9::int[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::int[])
                  WITH ORDINALITY AS t(n, kind, namespace, value, status, reason, raw, version, ord)),
       bk AS (SELECT * FROM unnest($17::int[], $18::text[]) AS t(n, key)),
       prev AS MATERIALIZED (
         SELECT p.n, sr.id, sr.customer_id,
                (sr.customer_id IS NOT NULL AND sr.payload = p.payload::jsonb AND sr.traits = p.traits::jsonb
                 AND sr.source_updated_at IS NOT DISTINCT FROM p.updated_at AND NOT sr.deleted
                 AND ARRAY(SELECT ROW(i.kind, i.namespace, i.value, ri.raw_value, ri.normaliser_version)
                             FROM record_identifier ri JOIN identifier i ON i.id = ri.identifier_id
                            WHERE ri.source_record_id = sr.id ORDER BY i.kind, i.namespace, i.value)
                   = ARRAY(SELECT ROW(x.kind COLLATE "C", x.namespace COLLATE "C", x.value COLLATE "C", x.raw, x.version)
                             FROM input x WHERE x.n = p.n ORDER BY x.kind COLLATE "C", x.namespace COLLATE "C", x.value COLLATE "C")) AS same
           FROM p JOIN source_record sr ON sr.system = p.system AND sr.object_type = p.object_type AND sr.external_id = p.external_id),
       solo AS MATERIALIZED (
         SELECT p.* FROM p
          WHERE p.golden IS NOT NULL AND NOT EXISTS (SELECT 1 FROM prev WHERE prev.n = p.n)
            AND NOT EXISTS (SELECT 1 FROM identifier i JOIN input x USING (kind, namespace, value) WHERE x.n = p.n)
            AND NOT EXISTS (
              SELECT 1 FROM bk
               CROSS JOIN LATERAL (
                 SELECT array_agg(b.source_record_id) AS ids
                   FROM (SELECT m.source_record_id FROM record_block_key m WHERE m.key = bk.key LIMIT ${MAX_BLOCK_SIZE}) b) blk
              WHERE bk.n = p.n AND cardinality(blk.ids) < ${MAX_BLOCK_SIZE}
                AND EXISTS (SELECT 1 FROM source_record sr WHERE sr.id = ANY(blk.ids) AND sr.customer_id IS NOT NULL AND NOT sr.deleted))),
       newc AS (INSERT INTO customer (id, traits, record_count) SELECT cid, golden::jsonb, 1 FROM solo ORDER BY n),
       rec AS (
         INSERT INTO source_record (system, object_type, external_id, payload, traits, source_updated_at, deleted, customer_id, origin_customer_id)
         SELECT system, object_type, external_id, payload::jsonb, traits::jsonb, updated_at, false, cid, cid FROM solo ORDER BY n
         RETURNING id, customer_id),
       fresh_ids AS (
         INSERT INTO identifier (kind, namespace, value, status, status_reason)
         SELECT x.kind, x.namespace, x.value, x.status, x.reason FROM input x JOIN solo USING (n) ORDER BY x.ord
         RETURNING id, kind, namespace, value),
       edges AS (
         INSERT INTO record_identifier (source_record_id, identifier_id, raw_value, normaliser_version)
         SELECT rec.id, f.id, x.raw, x.version
           FROM fresh_ids f JOIN input x USING (kind, namespace, value) JOIN p ON p.n = x.n JOIN rec ON rec.customer_id = p.cid
          ORDER BY x.ord),
       bins AS (
         INSERT INTO record_block_key (source_record_id, key)
         SELECT rec.id, bk.key FROM bk JOIN p ON p.n = bk.n JOIN rec ON rec.customer_id = p.cid
         ON CONFLICT DO NOTHING)
       SELECT p.n::int AS n, CASE WHEN solo.n IS NOT NULL THEN 'solo' WHEN prev.same THEN 'unchanged' END AS kind,
              coalesce(rec.id, prev.id) AS id, coalesce(rec.customer_id, prev.customer_id) AS "customerId"
         FROM p LEFT JOIN solo ON solo.n = p.n LEFT JOIN prev ON prev.n = p.n LEFT JOIN rec ON rec.customer_id = p.cid
        ORDER BY p.n`,
      [
        rows.map((r) => r.system),
        rows.map((r) => r.person.objectType),
        rows.map((r) => r.person.externalId),
        rows.map((r) => JSON.stringify(r.person.payload ?? {})),
        rows.map((r) => JSON.stringify(r.person.traits ?? {})),
        rows.map((r) => r.inputs.updatedAt),
        rows.map((r) => r.inputs.soloGolden),
        cids,
        idOf,
        rows.flatMap((r) => r.inputs.live.map((i) => i.kind)),
        rows.flatMap((r) => r.inputs.live.map((i) => i.namespace)),
        rows.flatMap((r) => r.inputs.live.map((i) => i.value)),
        rows.flatMap((r) => r.inputs.guards.map((g) => g.status)),
        rows.flatMap((r) => r.inputs.guards.map((g) => g.reason)),
        rows.flatMap((r) => r.inputs.live.map((i) => i.raw)),
        rows.flatMap((r) => r.inputs.live.map((i) => i.version)),
        keyOfRow,
        rows.flatMap((r) => r.inputs.keys),
      ],
    );
    for (const a of answer) {
      const r = rows[a.n - 1]!;
      if (!a.kind || !a.id || !a.customerId) continue;
      results[r.k] = {
        sourceRecordId: a.id,
        customerId: a.customerId,
        createdCustomer: a.kind === 'solo',
        ...(a.kind === 'unchanged' ? { unchanged: true } : {}),
        retiredIds: [],
        suggestions: 0,
        problems: r.problems,
      };
    }
    return results;
  }

  /**
   * The same as applyPerson, inside the caller's transaction (the ingest engine batches pages).
   *
   * A few round trips per record: one statement checks suppression and takes the locks, one writes
   * the record, its identifiers and edges and reads the other holders of those identifiers, one per
   * customer it may join (re-read, guards and locks), one for blocking keys and candidates, and the
   * golden record. A new record that joins an existing customer is attached to it directly; it gets
   * a customer of its own only when it joins none (a merge happens only when two customers join).
   */
  async applyPersonIn(callerSql: Sql, system: string, person: CanonicalPerson, actor = 'rule'): Promise<ApplyPersonResult> {
    const sql = rowsOnly(callerSql);
    const result: ApplyPersonResult = { sourceRecordId: null, customerId: null, createdCustomer: false, retiredIds: [], suggestions: 0, problems: [] };
    const { identifiers, problems } = this.normalise(person);
    result.problems = problems;

    // Erased people stay erased: their source keys and identifiers are suppressed. Otherwise the
    // graph lock (shared, first) and the record's and identifiers' locks (in key order).
    const { hashes, lockKeys } = this.gateKeys(system, person, identifiers);
    const held = this.gates.get(callerSql);
    const passed = held !== undefined && lockKeys.every((k) => held.locks.has(k)) && hashes.every((h) => held.clear.has(h));
    // For the rest of the transaction the prepared statements keep one generic plan: with custom
    // plans Postgres re-planned the record statement on most calls, and under concurrency planning
    // it cost as much as running it (19 ms of CPU per apply at concurrency 8 on 2 cores).
    const [gate] = passed ? [{ suppressed: false }] : await sql<{ suppressed: boolean }>(
      `WITH s AS MATERIALIZED (SELECT EXISTS (SELECT 1 FROM suppression WHERE hash = ANY($1::text[])) AS suppressed)
       SELECT s.suppressed, set_config('plan_cache_mode', 'force_generic_plan', true) AS plans,
              CASE WHEN s.suppressed THEN 0 ELSE (
                SELECT count(CASE WHEN l.shared THEN pg_advisory_xact_lock_shared(l.k) ELSE pg_advisory_xact_lock(l.k) END)
                  FROM (SELECT $2::bigint AS k, true AS shared, 0 AS ord
                        UNION ALL SELECT k, false, 1 FROM unnest($3::bigint[]) AS k
                        ORDER BY ord, k) l) END AS locks
         FROM s`,
      [hashes, IDENTITY_GRAPH_LOCK, lockKeys],
    );
    if (gate?.suppressed) return { ...result, skipped: 'suppressed' };

    // The record (unless stale), its identifier nodes (guard status decided on first sight), its
    // edges (those the source no longer states dropped) and the other records holding its values.
    const { updatedAt, live, guards, matching, assumed, keys, soloGolden } = this.recordInputs(system, person, identifiers);
    const [rec] = await sql<{
      id: string | null;
      customerId: string | null;
      unchanged: boolean;
      created: boolean;
      ids: IdentifierRow[];
      removed: string[];
      holders: Holder[];
      candidates: Candidate[];
      others: RawGoldenSource[] | null;
      emails: string[] | null;
      phones: string[] | null;
    }>(
      `WITH input AS (
         SELECT * FROM unnest($8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::int[])
                  WITH ORDINALITY AS t(kind, namespace, value, status, reason, raw, version, ord)),
       prev AS MATERIALIZED (
         SELECT sr.id, sr.customer_id,
                (sr.customer_id IS NOT NULL AND sr.payload = $4::jsonb AND sr.traits = $5::jsonb
                 AND sr.source_updated_at IS NOT DISTINCT FROM $6::timestamptz AND sr.deleted = $7::boolean
                 AND ARRAY(SELECT ROW(i.kind, i.namespace, i.value, ri.raw_value, ri.normaliser_version)
                             FROM record_identifier ri JOIN identifier i ON i.id = ri.identifier_id
                            WHERE ri.source_record_id = sr.id ORDER BY i.kind, i.namespace, i.value)
                   = ARRAY(SELECT ROW(kind COLLATE "C", namespace COLLATE "C", value COLLATE "C", raw, version)
                             FROM input ORDER BY kind COLLATE "C", namespace COLLATE "C", value COLLATE "C")) AS same
           FROM source_record sr WHERE sr.system = $1 AND sr.object_type = $2 AND sr.external_id = $3),
       ${CANDIDATES_CTE('$15::text[]', '(SELECT id FROM prev)', '(SELECT customer_id FROM prev)')},
       solo AS MATERIALIZED (
         SELECT $17::jsonb IS NOT NULL AND NOT EXISTS (SELECT 1 FROM prev)
                AND NOT EXISTS (SELECT 1 FROM identifier i JOIN input USING (kind, namespace, value))
                AND NOT EXISTS (SELECT 1 FROM candidates) AS yes),
       newc AS (INSERT INTO customer (traits, record_count) SELECT $17::jsonb, 1 FROM solo WHERE yes RETURNING id),
       rec AS (
         INSERT INTO source_record (system, object_type, external_id, payload, traits, source_updated_at, deleted, customer_id, origin_customer_id)
         SELECT $1, $2, $3, $4, $5, $6, $7, (SELECT id FROM newc), (SELECT id FROM newc) WHERE NOT coalesce((SELECT same FROM prev), false)
         ON CONFLICT (system, object_type, external_id) DO UPDATE
            SET payload = EXCLUDED.payload, traits = EXCLUDED.traits, source_updated_at = EXCLUDED.source_updated_at,
                deleted = EXCLUDED.deleted, updated_at = now()
          WHERE source_record.source_updated_at IS NULL OR EXCLUDED.source_updated_at IS NULL
             OR EXCLUDED.source_updated_at >= source_record.source_updated_at
         RETURNING id, customer_id),
       fresh_ids AS (
         INSERT INTO identifier (kind, namespace, value, status, status_reason)
         SELECT kind, namespace, value, status, reason FROM input WHERE EXISTS (SELECT 1 FROM rec) ORDER BY ord
         ON CONFLICT (kind, namespace, value) DO NOTHING
         RETURNING id, kind, namespace, value, status),
       -- Known values are read, not rewritten (no new row version per apply). No other apply can
       -- insert one of them meanwhile: each is under its advisory lock since the gate.
       ids AS (
         SELECT * FROM fresh_ids
         UNION ALL
         SELECT i.id, i.kind, i.namespace, i.value, i.status
           FROM identifier i JOIN input USING (kind, namespace, value) WHERE EXISTS (SELECT 1 FROM rec)),
       removed AS (
         DELETE FROM record_identifier ri
          WHERE ri.source_record_id = (SELECT id FROM rec) AND NOT EXISTS (SELECT 1 FROM ids WHERE ids.id = ri.identifier_id)
         RETURNING ri.identifier_id),
       edges AS (
         INSERT INTO record_identifier (source_record_id, identifier_id, raw_value, normaliser_version)
         SELECT rec.id, ids.id, input.raw, input.version FROM rec, ids JOIN input USING (kind, namespace, value) ORDER BY input.ord
         ON CONFLICT (source_record_id, identifier_id) DO UPDATE SET raw_value = EXCLUDED.raw_value, normaliser_version = EXCLUDED.normaliser_version),
       holders AS (
         SELECT ri.identifier_id, sr.id, sr.customer_id, sr.traits->>'firstName' AS first_name, sr.created_at
           FROM record_identifier ri JOIN source_record sr ON sr.id = ri.source_record_id
          WHERE ri.identifier_id IN (SELECT id FROM ids WHERE status = 'active') AND sr.id <> (SELECT id FROM rec)
            AND NOT sr.deleted AND sr.customer_id IS NOT NULL),
       bdel AS (
         DELETE FROM record_block_key WHERE $16::boolean AND source_record_id = (SELECT id FROM rec) AND NOT (key = ANY($15::text[]))),
       bins AS (
         INSERT INTO record_block_key (source_record_id, key) SELECT rec.id, k FROM rec, unnest($15::text[]) AS k WHERE $16::boolean
         ON CONFLICT DO NOTHING)
       SELECT coalesce(rec.id, prev.id) AS id, coalesce(rec.customer_id, prev.customer_id) AS "customerId",
              coalesce(prev.same, false) AS unchanged, EXISTS (SELECT 1 FROM newc) AS created,
              (SELECT coalesce(json_agg(json_build_object('id', ids.id::text, 'kind', ids.kind, 'namespace', ids.namespace, 'value', ids.value, 'status', ids.status)
                                 ORDER BY input.ord), '[]')
                 FROM ids JOIN input USING (kind, namespace, value)) AS ids,
              (SELECT coalesce(json_agg(removed.identifier_id::text), '[]') FROM removed) AS removed,
              (SELECT coalesce(json_agg(json_build_object('identifierId', identifier_id::text, 'recordId', id, 'customerId', customer_id, 'firstName', first_name)
                                 ORDER BY identifier_id, created_at, id), '[]')
                 FROM holders) AS holders,
              (SELECT ${CANDIDATES_JSON} FROM candidates WHERE $16::boolean AND rec.id IS NOT NULL) AS candidates,
              (SELECT json_agg(g) FROM (${GOLDEN_SOURCES_SQL('sr.customer_id = prev.customer_id AND sr.id <> prev.id')}) g
                WHERE $16::boolean AND rec.id IS NOT NULL) AS others,
              (SELECT array_agg(value ORDER BY value) FROM ids WHERE kind = 'email' AND status = 'active') AS emails,
              (SELECT array_agg(value ORDER BY value) FROM ids WHERE kind = 'phone') AS phones
         FROM (SELECT 1) AS one LEFT JOIN prev ON true LEFT JOIN rec ON true
        WHERE rec.id IS NOT NULL OR prev.same`,
      [
        system,
        person.objectType,
        person.externalId,
        JSON.stringify(person.payload ?? {}),
        JSON.stringify(person.traits ?? {}),
        updatedAt,
        Boolean(person.deleted),
        live.map((i) => i.kind),
        live.map((i) => i.namespace),
        live.map((i) => i.value),
        guards.map((g) => g.status),
        guards.map((g) => g.reason),
        live.map((i) => i.raw),
        live.map((i) => i.version),
        keys,
        matching,
        soloGolden,
      ],
    );
    if (!rec?.id) return { ...result, skipped: 'stale' };
    result.sourceRecordId = rec.id;
    if (rec.unchanged) return { ...result, customerId: rec.customerId, unchanged: true };
    // Nothing to link, suggest or match (no value of it is known, no block is shared): done.
    if (rec.created) return { ...result, customerId: rec.customerId, createdCustomer: true };
    const idRows = rec.ids;

    const touched = new Set<string>();
    if (rec.removed.length || person.deleted) {
      const retracted = await sql<{ id: string }>(
        `UPDATE identity_link SET retracted_at = now(), retracted_by = 'rule:source_changed', retract_reason = 'identifier no longer stated by the source'
          WHERE retracted_at IS NULL AND (from_record_id = $1 OR to_record_id = $1)
            AND ($2::boolean OR identifier_id = ANY($3::bigint[]))
          RETURNING id`,
        [rec.id, Boolean(person.deleted), rec.removed],
      );
      if (retracted.length && rec.customerId) touched.add(rec.customerId);
    }

    // The record's customer: its existing one, or none yet (a new record joins the customer it
    // links to; one of its own is created only if it joins none).
    const join: JoinState = { recordId: rec.id, current: rec.customerId, aliases: new Map(), joins: 0, audit: [], quarantined: false };

    // Deterministic links through identifiers shared with other records.
    const linkable = idRows.filter((r) => r.status === 'active');
    const guarded = idRows.filter((r) => r.status !== 'active');
    if (linkable.length && rec.holders.length) {
      await this.linkThroughIdentifiers(sql, join, linkable, rec.holders, system, actor, result, person.traits?.firstName);
    }
    if (guarded.length) result.suggestions += await this.suggestForGuarded(sql, rec.id, join.current, guarded);
    // The golden record's sources, when read with the candidates and nothing joined since.
    let sources: { joins: number; rows: GoldenSource[]; vetoed: VetoedCandidate[] } | null = null;
    // The record's own golden source, as it is now (the statement saw it as it was before).
    const own: GoldenSource = { system, traits: JSON.parse(JSON.stringify(person.traits ?? {})) as Record<string, unknown>, sourceUpdatedAt: updatedAt, emails: rec.emails, phones: rec.phones };
    if (matching) {
      // Guarded values (role addresses, quarantined numbers) are no evidence for scoring either.
      const evidence = live.filter((i) => idRows.some((r) => r.status === 'active' && keyOf(r) === keyOf(i)));
      const assumedSet = new Set(assumed);
      // Read again if a value the record states was guarded before, or was quarantined here.
      const asRead = !join.quarantined && evidence.length === assumed.length && evidence.every((i) => assumedSet.has(i));
      const read = asRead ? { candidates: rec.candidates, sources: [...(rec.customerId ? (rec.others ?? []) : []).map(goldenSourceOf), own] } : null;
      sources = await this.matchProbabilistically(sql, join, person, evidence, actor, result, read);
    }
    // Else, as the last join read them: after an attach, the customer's other records and this one
    // (its emails and phones as the record statement left them, unless the trip-wire quarantined
    // one since); after a merge, the records of both customers.
    const g = join.golden;
    const joined = g !== undefined && g.joins === join.joins && !person.deleted && !(g.withOwn && join.quarantined) ? [...g.rows.map(goldenSourceOf), ...(g.withOwn ? [own] : [])] : null;
    const fresh = (sources !== null && sources.joins === join.joins ? sources.rows : null) ?? joined;
    // Suggestions for refused candidates, queued with the last write below.
    const vetoed = sources?.vetoed ?? [];

    if (join.current === null) {
      // It joined nobody: a customer of its own, whose golden record is this record's.
      const golden = this.golden(fresh ?? (await sql<GoldenSource>(GOLDEN_SOURCES_SQL('sr.id = $1'), [rec.id])));
      const [created] = await sql<{ id: string; suggested: number }>(
        `WITH c AS (INSERT INTO customer (traits, record_count) VALUES ($2, 1) RETURNING id),
              u AS (UPDATE source_record SET customer_id = c.id, origin_customer_id = c.id FROM c WHERE source_record.id = $1),
              ${VETOED_CTE(3)}
         SELECT id, (SELECT count(*) FROM vetoed)::int AS suggested FROM c`,
        [rec.id, JSON.stringify(golden), ...vetoedParams(join, vetoed)],
      );
      result.suggestions += created!.suggested;
      result.createdCustomer = true;
      result.customerId = created!.id;
      await appendAuditBatch(sql, join.audit);
      return result;
    }
    if (touched.size && vetoed.length) result.suggestions += await this.suggestVetoed(sql, join, vetoed.splice(0));
    for (const id of touched) await this.recomputeComponents(sql, id, 'rule:source_changed');
    if (touched.size) {
      const [current] = await sql<{ customerId: string }>(`SELECT customer_id AS "customerId" FROM source_record WHERE id = $1`, [rec.id]);
      result.customerId = current?.customerId ?? join.current;
      await this.refreshGolden(sql, [result.customerId]);
    } else {
      result.customerId = join.current;
      const rows = fresh ?? (await sql<GoldenSource>(GOLDEN_SOURCES_SQL('sr.customer_id = $1'), [result.customerId]));
      const [written] = await sql<{ suggested: number }>(
        `WITH ${VETOED_CTE(3)},
              g AS (UPDATE customer SET traits = $2, record_count = (SELECT count(*) FROM source_record WHERE customer_id = $1), updated_at = now() WHERE id = $1)
         SELECT (SELECT count(*) FROM vetoed)::int AS suggested`,
        [result.customerId, JSON.stringify(this.golden(rows)), ...vetoedParams(join, vetoed)],
      );
      result.suggestions += written!.suggested;
    }
    await appendAuditBatch(sql, join.audit);
    return result;
  }

  private guardStatus(i: NormalisedIdentifier): { status: string; reason: string | null } {
    if (this.config.blockedValues.includes(keyOf(i)) || this.config.blockedValues.includes(i.value)) return { status: 'blocked', reason: 'configured blocked value' };
    if (i.kind === 'email' && isRoleAddress(i.value)) return { status: 'blocked', reason: 'role address' };
    return { status: 'active', reason: null };
  }

  /**
   * Customer/identifier locks, after the identity graph lock held shared: merge, unmerge, accepting
   * a suggestion and erasure wait while a bulk import holds the graph exclusively (it decides from
   * a snapshot of the whole graph), as every apply does. Re-taking the shared lock inside an apply
   * that already holds it is free.
   */
  private async lock(sql: Sql, keys: string[]): Promise<void> {
    const sorted = [...new Set(keys.map(lockKey))].sort();
    if (!sorted.length) return;
    await sql(
      `SELECT pg_advisory_xact_lock_shared($2::bigint),
              (SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT k FROM unnest($1::bigint[]) AS k ORDER BY k) s)`,
      [sorted, IDENTITY_GRAPH_LOCK],
    );
  }

  private async lockCustomers(sql: Sql, ids: string[]): Promise<void> {
    await this.lock(sql, ids.map((id) => `customer:${id}`));
  }

  /** The live customer a customer id stands for after the merges this apply made. */
  private known(join: JoinState, id: string): string {
    let at = id;
    for (let next = join.aliases.get(at); next !== undefined; next = join.aliases.get(at)) at = next;
    return at;
  }

  private async linkThroughIdentifiers(
    sql: Sql,
    join: JoinState,
    linkable: IdentifierRow[],
    holders: Holder[],
    system: string,
    actor: string,
    result: ApplyPersonResult,
    firstName: unknown,
  ): Promise<void> {
    // Frequency trip-wire: a value on too many unrelated customers is quarantined, not linked.
    // (Postgres has no count(DISTINCT) OVER: customers per identifier are counted here.) The
    // record's own customer counts as one, whether it exists yet or not.
    const own = join.current ?? '';
    const customersOf = new Map<string, Set<string>>();
    for (const h of holders) {
      const set = customersOf.get(h.identifierId) ?? new Set([own]);
      set.add(h.customerId);
      customersOf.set(h.identifierId, set);
    }
    const quarantine = new Set<string>();
    for (const [identifierId, set] of customersOf) if (set.size > this.config.tripWire) quarantine.add(identifierId);
    if (quarantine.size) {
      // What was read with the record (candidates' values, its own emails) no longer holds.
      join.joins += 1;
      join.quarantined = true;
      await sql(`UPDATE identifier SET status = 'quarantined', status_reason = $2 WHERE id = ANY($1::bigint[])`, [
        [...quarantine],
        `held by more than ${this.config.tripWire} customers`,
      ]);
    }
    const byIdentifier = new Map<string, Holder[]>();
    for (const h of holders) {
      if (quarantine.has(h.identifierId)) continue;
      const list = byIdentifier.get(h.identifierId) ?? [];
      list.push(h);
      byIdentifier.set(h.identifierId, list);
    }
    for (const [identifierId, list] of byIdentifier) {
      const identifier = linkable.find((l) => l.id === identifierId)!;
      const matched = { matched: [keyOf(identifier)] };
      // One link per other customer: to its oldest record holding the value.
      const seenCustomers = new Set<string>();
      for (const h of list) {
        if (seenCustomers.has(h.customerId)) continue;
        seenCustomers.add(h.customerId);
        // Already joined by a merge of this apply (its customer is locked by us: nothing moved it).
        if (join.current !== null && this.known(join, h.customerId) === join.current) continue;
        // A shared phone between different first names is a household, not a person.
        const preset = identifier.kind === 'phone' && namesConflict(firstName, h.firstName) ? 'guard:name_conflict' : null;
        const check = await this.checkJoin(sql, join, h, preset, { reasonPrefix: '', score: null, evidence: matched });
        result.suggestions += check.suggested;
        if (check.other === join.current || check.veto) continue;
        await this.join(sql, join, check.other, result, {
          to: h.recordId,
          rule: `exact_${identifier.kind}`,
          identifierId,
          score: null,
          evidence: { ...matched, source: system },
          actor: `${actor}:exact_${identifier.kind}`,
        });
      }
    }
  }

  /**
   * One round trip before joining the customer of another record: re-reads that record's customer
   * (a merge earlier in this apply, or a concurrent one, may have moved it), then, unless `preset`
   * already says why not, the guards of mergeVeto. A veto becomes a suggestion in the same
   * statement; no veto takes the locks of both customers (sorted) for the join that follows.
   */
  private async checkJoin(
    sql: Sql,
    join: JoinState,
    other: { recordId: string; customerId: string },
    preset: string | null,
    suggestion: { reasonPrefix: string; score: number | null; evidence: Record<string, unknown> },
  ): Promise<{ other: string; veto: string | null; suggested: number }> {
    const [a, b] = join.recordId < other.recordId ? [join.recordId, other.recordId] : [other.recordId, join.recordId];
    const [row] = await sql<{ other: string; veto: string | null; suggested: number }>(
      `WITH o AS MATERIALIZED (
         SELECT COALESCE((SELECT customer_id FROM source_record WHERE id = $1::uuid), $2::uuid) AS id),
       f AS MATERIALIZED (
         SELECT o.id AS other,
                CASE WHEN o.id IS NOT DISTINCT FROM $3::uuid THEN NULL
                     WHEN $4::text IS NOT NULL THEN $4::text
                     WHEN $3::uuid IS NOT NULL AND EXISTS (
                            SELECT 1 FROM identity_separation s
                             WHERE s.customer_a = LEAST(o.id, $3::uuid) AND s.customer_b = GREATEST(o.id, $3::uuid)) THEN 'guard:separated'
                     WHEN cardinality($6::text[]) > 0 AND EXISTS (
                            SELECT 1 FROM source_record sr JOIN record_identifier ri ON ri.source_record_id = sr.id JOIN identifier i ON i.id = ri.identifier_id
                             WHERE (sr.customer_id = ANY(ARRAY[o.id, $3::uuid]) OR sr.id = $5::uuid) AND NOT sr.deleted
                               AND (i.kind || ':' || i.namespace) = ANY($6::text[])
                             GROUP BY i.kind, i.namespace HAVING count(DISTINCT i.value) > 1) THEN 'guard:cardinality'
                END AS veto
           FROM o),
       s AS (
         INSERT INTO match_suggestion (record_a, record_b, reason, score, evidence)
         SELECT $8::uuid, $9::uuid, CASE WHEN f.veto = 'probabilistic' THEN f.veto ELSE $10::text || f.veto END, $11::float8, $12::json
           FROM f WHERE f.veto IS NOT NULL
         ON CONFLICT (record_a, record_b) DO NOTHING RETURNING id)
       SELECT f.other, f.veto, (SELECT count(*) FROM s)::int AS suggested,
              CASE WHEN f.veto IS NULL AND f.other IS DISTINCT FROM $3::uuid THEN (
                SELECT count(pg_advisory_xact_lock(l.k))
                  FROM (SELECT DISTINCT k FROM unnest(ARRAY[$7::bigint, ${sqlLockKey(`'customer:' || f.other::text`)}]) AS k
                         WHERE k IS NOT NULL ORDER BY k) l) END AS locked
         FROM f`,
      [
        other.recordId,
        other.customerId,
        join.current,
        preset,
        join.recordId,
        this.config.uniqueNamespaces,
        join.current === null ? null : lockKey(`customer:${join.current}`),
        a,
        b,
        suggestion.reasonPrefix,
        suggestion.score,
        JSON.stringify(suggestion.evidence),
      ],
    );
    return row!;
  }

  /**
   * Joins the record to another customer (locked by checkJoin) through a new link: a record
   * without a customer is attached to it; one with a customer merges the two (the oldest survives).
   */
  private async join(sql: Sql, join: JoinState, other: string, result: ApplyPersonResult, link: LinkInput): Promise<void> {
    join.joins += 1;
    if (join.current === null) {
      const { customer, others } = await this.attach(sql, join.recordId, other, link);
      join.current = customer;
      if (customer !== null && others !== null) join.golden = { joins: join.joins, rows: others, withOwn: true };
      return;
    }
    const merged = await this.mergeCustomers(
      sql,
      [join.current, other],
      { actor: link.actor, recordId: join.recordId },
      { locked: [join.current, other], link: { from: join.recordId, ...link }, audit: join.audit, sources: true },
    );
    if (merged.sources) join.golden = { joins: join.joins, rows: merged.sources, withOwn: false };
    for (const r of merged.retired) join.aliases.set(r, merged.survivor);
    result.retiredIds.push(...merged.retired);
    join.current = merged.survivor;
  }

  /**
   * Attaches a record that has no customer yet to a locked customer, with the link that says why;
   * follows the customer's redirect if a concurrent merge retired it before we locked it. Returns
   * the customer, or null if it no longer exists (the record then keeps to itself). On the first
   * try it also reads the golden-record sources of the customer's other records (locked: none can
   * join or leave meanwhile), so the golden record needs no read of its own.
   */
  private async attach(sql: Sql, recordId: string, customerId: string, link: LinkInput): Promise<{ customer: string | null; others: RawGoldenSource[] | null }> {
    let target = customerId;
    for (let round = 0; round < 5; round++) {
      const withLink = round === 0;
      const [r] = await sql<{ live: string; attached: number; others: RawGoldenSource[] | null }>(
        `WITH live AS MATERIALIZED (
           SELECT COALESCE((SELECT customer_id FROM customer_redirect WHERE retired_id = $1::uuid), $1::uuid) AS id),
         ok AS MATERIALIZED (SELECT c.id FROM customer c JOIN live ON live.id = c.id WHERE c.id = $1::uuid AND c.status = 'active'),
         upd AS (UPDATE source_record sr SET customer_id = ok.id FROM ok WHERE sr.id = $2::uuid RETURNING sr.id)
         ${withLink ? `, link AS (INSERT INTO identity_link (from_record_id, to_record_id, rule, identifier_id, score, evidence, actor) VALUES ($2, $3, $4, $5, $6, $7, $8))` : ''}
         SELECT (SELECT id FROM live) AS live, (SELECT count(*) FROM upd)::int AS attached
                ${withLink ? `, (SELECT coalesce(json_agg(g), '[]') FROM (${GOLDEN_SOURCES_SQL('sr.customer_id = (SELECT id FROM ok) AND sr.id <> $2::uuid')}) g) AS others` : ''}`,
        withLink
          ? [target, recordId, link.to, link.rule, link.identifierId, link.score, JSON.stringify(link.evidence), link.actor]
          : [target, recordId],
      );
      if (r!.attached) return { customer: target, others: r!.others ?? null };
      if (r!.live === target) return { customer: null, others: null };
      target = r!.live;
      await this.lockCustomers(sql, [target]);
    }
    return { customer: null, others: null };
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

  private async suggestForGuarded(sql: Sql, recordId: string, customerId: string | null, guarded: IdentifierRow[]): Promise<number> {
    let made = 0;
    for (const g of guarded) {
      if (g.status === 'quarantined') continue; // too common to be evidence of anything
      const rows = await sql(
        `INSERT INTO match_suggestion (record_a, record_b, reason, score, evidence)
         SELECT LEAST($2::uuid, o.id), GREATEST($2::uuid, o.id), $4, NULL, $5
           FROM (SELECT sr.id FROM record_identifier ri JOIN source_record sr ON sr.id = ri.source_record_id
                  WHERE ri.identifier_id = $1 AND sr.id <> $2 AND sr.customer_id IS NOT NULL AND ($3::uuid IS NULL OR sr.customer_id <> $3::uuid) AND NOT sr.deleted
                  ORDER BY sr.created_at LIMIT 5) o
         ON CONFLICT (record_a, record_b) DO NOTHING RETURNING id`,
        [g.id, recordId, customerId, g.kind === 'email' ? 'guard:role_address' : 'guard:blocked_value', JSON.stringify({ matched: [keyOf(g)] })],
      );
      made += rows.length;
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

  /**
   * Files the record under its blocking keys and reads the records sharing one (the candidates),
   * with the golden-record sources of the record's customer (or of the record alone).
   */
  private async readCandidates(sql: Sql, join: JoinState, features: PersonFeatures): Promise<{ joinsBefore: number; candidates: Candidate[]; sources: GoldenSource[] }> {
    const keys = blockingKeys(features);
    const joinsBefore = join.joins;
    // The SELECT sees the keys as they were, and skips this record anyway.
    const [row] = await sql<{ candidates: Candidate[]; sources: RawGoldenSource[] | null }>(
      `WITH del AS (DELETE FROM record_block_key WHERE source_record_id = $2 AND NOT (key = ANY($1::text[]))),
       ins AS (INSERT INTO record_block_key (source_record_id, key) SELECT $2, unnest($1::text[]) ON CONFLICT DO NOTHING),
       ${CANDIDATES_CTE('$1::text[]', '$2::uuid', '$3::uuid')}
       SELECT (SELECT ${CANDIDATES_JSON} FROM candidates) AS candidates,
              (SELECT json_agg(g) FROM (${GOLDEN_SOURCES_SQL(join.current === null ? 'sr.id = $2' : 'sr.customer_id = $3::uuid')}) g) AS sources`,
      [keys, join.recordId, join.current],
    );
    return { joinsBefore, candidates: row!.candidates, sources: (row!.sources ?? []).map(goldenSourceOf) };
  }

  /**
   * Probabilistic matching against records in the same blocks: link above the auto-accept weight,
   * suggest above the suggest weight. A block holding MAX_BLOCK_SIZE records or more is too common
   * to tell people apart and is skipped (the batch matcher's rule), which also bounds the work per
   * apply however large the graph grows. Returns the golden-record sources of the record's customer
   * (or of the record alone, if it has none yet) as they were before any join made here.
   */
  private async matchProbabilistically(
    sql: Sql,
    join: JoinState,
    person: CanonicalPerson,
    identifiers: NormalisedIdentifier[],
    actor: string,
    result: ApplyPersonResult,
    read: { candidates: Candidate[]; sources: GoldenSource[] } | null = null,
  ): Promise<{ joins: number; rows: GoldenSource[]; vetoed: VetoedCandidate[] }> {
    const features = featuresOf(person.traits ?? {}, identifiers);
    // Read with the record (before any join of this apply): the record's customer then.
    const { joinsBefore, candidates, sources } = read ? { joinsBefore: 0, ...read } : await this.readCandidates(sql, join, features);
    const scored = candidates
      .map((c) => ({ c, s: scorePair(features, featuresOf(c.traits, [...(c.emails ?? []).map((v) => ({ kind: 'email', value: v })), ...(c.phones ?? []).map((v) => ({ kind: 'phone', value: v }))])) }))
      .filter((x) => x.s.score >= this.config.suggestWeight)
      .sort((a, b) => b.s.score - a.s.score);
    // Candidates that cannot be linked become suggestions, in one statement per run of them
    // (nothing joins in between, so the record's customer is the same for the whole run).
    const vetoed: VetoedCandidate[] = [];
    const flush = async () => {
      if (vetoed.length) result.suggestions += await this.suggestVetoed(sql, join, vetoed.splice(0));
    };
    // At most maxSuggestionsPerRecord suggestions per apply: the candidates come best-scored first.
    let budget = this.config.maxSuggestionsPerRecord;
    for (const { c, s } of scored) {
      if (join.current !== null && this.known(join, c.customerId) === join.current) continue;
      const evidence = { comparisons: s.comparisons, probability: s.probability };
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
      const preset = s.score < this.config.autoAcceptWeight ? 'probabilistic' : household ? 'guard:name_conflict' : !corroborated ? 'guard:names_only' : null;
      if (preset) {
        if (budget > 0) {
          budget -= 1;
          vetoed.push({ recordId: c.recordId, customerId: c.customerId, reason: preset === 'probabilistic' ? preset : `probabilistic+${preset}`, score: s.score, evidence });
        }
        continue;
      }
      await flush();
      const check = await this.checkJoin(sql, join, c, null, { reasonPrefix: 'probabilistic+', score: s.score, evidence });
      result.suggestions += check.suggested;
      budget -= check.suggested;
      if (check.other === join.current || check.veto) continue;
      await this.join(sql, join, check.other, result, { to: c.recordId, rule: 'probabilistic', identifierId: null, score: s.score, evidence, actor: `${actor}:probabilistic` });
    }
    // The rest are queued by the apply's last statement (nothing joins after them).
    return { joins: joinsBefore, rows: sources, vetoed };
  }

  /**
   * Suggestions for candidates whose link a rule refused, in one statement: each candidate's
   * customer is re-read first, and one that is the record's own by now needs no suggestion.
   */
  private async suggestVetoed(sql: Sql, join: JoinState, vetoed: VetoedCandidate[]): Promise<number> {
    const [row] = await sql<{ suggested: number }>(`WITH ${VETOED_CTE(1)} SELECT (SELECT count(*) FROM vetoed)::int AS suggested`, vetoedParams(join, vetoed));
    return row!.suggested;
  }

  /**
   * Merges customers into the oldest, which keeps its id; the others become redirects.
   * Their records, interactions and conversations move to the survivor. `locked`: customers whose
   * locks the caller already holds; `link`: the link that causes the merge, written with it.
   */
  async mergeCustomers(
    sql: Sql,
    ids: string[],
    why: { actor: string; recordId?: string; role?: string | null },
    opts: { locked?: string[]; link?: LinkInput & { from: string }; audit?: AuditInput[]; sources?: boolean } = {},
  ): Promise<{ survivor: string; retired: string[]; sources?: RawGoldenSource[] }> {
    let distinct = [...new Set(ids)];
    const locked = new Set(opts.locked ?? []);
    // A concurrent merge may have retired one of these while we waited for its lock: follow the
    // redirects (and lock what they lead to), or the link just made would join two live customers.
    let rows: { id: string; active: boolean | null }[] = [];
    for (let round = 0; round < 6; round++) {
      const fresh = distinct.filter((id) => !locked.has(id));
      if (fresh.length) {
        await this.lockCustomers(sql, fresh);
        fresh.forEach((id) => locked.add(id));
      }
      rows = await sql<{ id: string; active: boolean | null }>(
        `WITH live AS (SELECT DISTINCT COALESCE(r.customer_id, x) AS id FROM unnest($1::uuid[]) AS x LEFT JOIN customer_redirect r ON r.retired_id = x)
         SELECT live.id, c.status = 'active' AS active FROM live LEFT JOIN customer c ON c.id = live.id ORDER BY c.created_at, c.id`,
        [distinct],
      );
      distinct = rows.map((r) => r.id);
      if (distinct.every((id) => locked.has(id))) break;
    }
    const active = rows.filter((r) => r.active);
    const link = opts.link;
    if (active.length < 2) {
      if (link) await this.insertLink(sql, link.from, link.to, link.rule, link.identifierId, link.score, link.evidence, link.actor);
      return { survivor: active[0]?.id ?? distinct[0]!, retired: [] };
    }
    const survivor = active[0]!.id;
    const retired = active.slice(1).map((r) => r.id);
    const event: HubEvent = { type: 'customer.merged', customerId: survivor, retiredIds: retired };
    // `opts.sources`: the golden-record sources of the merged customer, read before the moves (the
    // records of the survivor and of the retired customers, all locked).
    const [moved] = await sql<{ sources: RawGoldenSource[] | null }>(
      `WITH s AS (UPDATE source_record SET customer_id = $1 WHERE customer_id = ANY($2::uuid[])),
       i AS (UPDATE interaction SET customer_id = $1 WHERE customer_id = ANY($2::uuid[])),
       v AS (UPDATE conversation SET customer_id = $1 WHERE customer_id = ANY($2::uuid[])),
       c AS (UPDATE customer SET status = 'merged', updated_at = now() WHERE id = ANY($2::uuid[])),
       r AS (UPDATE customer_redirect SET customer_id = $1 WHERE customer_id = ANY($2::uuid[])),
       n AS (INSERT INTO customer_redirect (retired_id, customer_id, reason) SELECT unnest($2::uuid[]), $1, 'merged'
             ON CONFLICT (retired_id) DO UPDATE SET customer_id = EXCLUDED.customer_id, reason = 'merged')
       ${link ? `, l AS (INSERT INTO identity_link (from_record_id, to_record_id, rule, identifier_id, score, evidence, actor) VALUES ($5, $6, $7, $8, $9, $10, $11))` : ''}
       SELECT pg_notify($3, $4)
              ${opts.sources ? `, (SELECT coalesce(json_agg(g), '[]') FROM (${GOLDEN_SOURCES_SQL(`sr.customer_id = ANY(ARRAY[$1::uuid] || $2::uuid[])`)}) g) AS sources` : ''}`,
      [
        survivor,
        retired,
        EVENTS_CHANNEL,
        JSON.stringify(event),
        ...(link ? [link.from, link.to, link.rule, link.identifierId, link.score, JSON.stringify(link.evidence), link.actor] : []),
      ],
    );
    const audit: AuditInput = { actor: why.actor, role: why.role ?? null, action: 'customer.merged', customerId: survivor, details: { retiredIds: retired, ...(why.recordId ? { recordId: why.recordId } : {}) } };
    // `opts.audit`: the caller appends it later in the same transaction.
    if (opts.audit) opts.audit.push(audit);
    else await appendAudit(sql, audit);
    return { survivor, retired, ...(moved?.sources ? { sources: moved.sources } : {}) };
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
      // A record that joined a customer on first sight has no origin: this is its first own customer.
      await sql(`UPDATE source_record SET customer_id = $1, origin_customer_id = COALESCE(origin_customer_id, $1) WHERE id = ANY($2::uuid[])`, [target, ids]);
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
        `SELECT s.record_a AS "recordA", s.record_b AS "recordB", s.status, s.score, coalesce(e.evidence, s.evidence) AS evidence, s.reason
           FROM match_suggestion s LEFT JOIN match_evidence e ON e.id = s.evidence_id WHERE s.id = $1 FOR UPDATE OF s`,
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
      const sources = await sql<GoldenSource>(GOLDEN_SOURCES_SQL('sr.customer_id = $1'), [id]);
      await this.writeGolden(sql, id, sources);
    }
  }

  private golden(sources: GoldenSource[]): Record<string, unknown> {
    return goldenRecord(
      sources.map((s) => ({ system: s.system, sourceUpdatedAt: s.sourceUpdatedAt, traits: { ...s.traits, email: s.emails?.[0] ?? null, phone: s.phones?.[0] ?? null } })),
      this.config,
    );
  }

  private async writeGolden(sql: Sql, id: string, sources: GoldenSource[]): Promise<void> {
    const golden = this.golden(sources);
    await sql(`UPDATE customer SET traits = $2, record_count = (SELECT count(*) FROM source_record WHERE customer_id = $1), updated_at = now() WHERE id = $1`, [id, JSON.stringify(golden)]);
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

