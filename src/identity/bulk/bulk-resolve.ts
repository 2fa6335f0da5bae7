import type { DataSource } from 'typeorm';
import { appendAudit } from '../../audit/audit-log.js';
import type { CanonicalPerson } from '../../connector-kit/canonical.js';
import { copyField, copyIn, copyWriter } from '../../db/copy.js';
import { orderedUuids } from '../../db/ordered-uuids.js';
import { inTransaction, pgClientOf, type Sql } from '../../db/sql.js';
import { publishEvent } from '../../events/hub-events.js';
import { goldenRecord } from '../golden-record.js';
import {
  ADDRESS_FIELDS,
  IDENTITY_GRAPH_LOCK,
  IdentityResolver,
  PERSONAL_FIELDS,
  featuresOf,
  keyOf,
  namesConflict,
  suppressionHash,
} from '../identity-resolver.service.js';
import { DEFAULT_IDENTITY_CONFIG, type IdentityConfig } from '../identity.config.js';
import {
  CodeScores,
  COMPARED_FIELDS,
  decodeLevels,
  levelWeights,
  MAX_BLOCK_SIZE,
  prepareFeatures,
  scoreLevels,
  type PreparedPerson,
} from '../matching/index.js';
import type { NormalisedIdentifier } from '../normalise/identifier.normaliser.js';
import { PhoneBatch, withKnownPhones } from '../normalise/phone.normaliser.js';
import { BlockLists, Int32List, StringTable, TripleIds, withRoom } from './block-index.js';
import { CANDIDATE_WORKER_FROM, CandidateLists } from './candidate-lists.js';
import { featureInput, guardStatus, RecordFeatures } from './record-features.js';
import { OldestFirstUnionFind } from './union-find.js';

/**
 * Set-based bulk resolution of many person records at once (an initial load, a big CSV).
 *
 * It holds the identity-graph advisory lock exclusively (every incremental apply holds it
 * shared) for one transaction, so the graph it reads cannot change under it. The records are
 * resolved in memory by replaying, in input order, the same decisions the incremental path
 * (IdentityResolver.applyPersonIn) makes for one record at a time: exact links through shared
 * active identifiers, role addresses and blocked values as suggestions, the frequency trip-wire,
 * the household phone guard, unique namespaces and separations as vetoes, and Fellegi-Sunter
 * scoring over the same blocking keys with the same thresholds and corroboration rule. Only the
 * decisions are made in memory (union-find over customers, oldest first); the new rows are then
 * streamed with COPY ... FROM STDIN on the transaction's connection (src/db/copy.ts), the few
 * updates of existing rows with multi-row statements.
 *
 * Differences from applying the records one by one, all documented in the README:
 * - records already in the graph (same system, object type and external id) are applied through
 *   the incremental path first, in the same transaction (an update can retract links and split
 *   customers, which the incremental path already knows how to do);
 * - a record key given twice keeps its newest version only (by updatedAt, the later one on ties);
 * - probabilistic candidates come from blocks of at most MAX_BLOCK_SIZE records (the batch
 *   matcher's rule) instead of the first 200 records the database returns for the keys;
 * - customers whose records are all new get their final id directly: customers the incremental
 *   path would create and retire within the run are never created, so there are no redirects
 *   for ids nobody saw. Redirects and `customer.merged` events are made for existing customers
 *   the run merges; the oldest existing customer of a component keeps its id. A new record's
 *   origin customer is the customer it lands in.
 * - one audit event per run (`identity.bulk_import`) with the counts and the merges of existing
 *   customers, instead of one per merge;
 * - a probabilistic suggestion between new records names its evidence, stored once per distinct
 *   evidence in match_evidence, instead of carrying a copy (readers get the same JSON).
 * Like the incremental path, a record queues at most `maxSuggestionsPerRecord` probabilistic
 * suggestions, its best-scored candidates first (candidates of equal score: block order).
 */

export interface BulkRecord {
  system: string;
  person: CanonicalPerson;
}

export interface BulkOptions {
  /** Actor prefix of the links and suggestions' provenance; default `bulk`. */
  actor?: string;
  config?: Partial<IdentityConfig>;
  /** Rows per INSERT statement. */
  chunkSize?: number;
  /**
   * Imports of at least this many records into an empty graph drop the identity tables' indexes
   * first and build them after the load (default DEFER_INDEXES_FROM; Infinity: never).
   */
  deferIndexesFrom?: number;
  /** Called as each phase of the import ends, with its name (the bulk bench reads CPU use per phase). */
  onPhase?: (name: string) => void;
  /**
   * Who searches an initial load's blocks for probabilistic candidates (see CandidateLists):
   * 'worker' (the default) a worker thread, ahead of the resolve loop, for initial loads of at
   * least CANDIDATE_WORKER_FROM records; 'in-process' the same lists, worked out by this thread
   * (tests); 'loop' the resolve loop, record by record. All three give the same result.
   */
  candidateSearch?: 'worker' | 'in-process' | 'loop';
}

/** Records per chunk of the candidate worker's input (see the identifier loop). */
const FEATURE_INPUT_CHUNK = 8192;

/** See BulkOptions.deferIndexesFrom: below this, index maintenance costs less than the DDL. */
export const DEFER_INDEXES_FROM = 1000;

/** The tables a bulk import fills (all of them are empty on an initial load). */
const LOADED_TABLES = [
  'customer',
  'identifier',
  'source_record',
  'record_identifier',
  'identity_link',
  'match_suggestion',
  'record_block_key',
] as const;

/** The indexes of the loaded tables, dropped for an initial load and built after it. */
interface DeferredIndexes {
  /**
   * Sends the statements that build the indexes of `table` (all its rows are in) without waiting:
   * Postgres builds them while the import computes. Statements sent later wait behind them.
   * `oneProcess`: without parallel workers, for builds beside a phase that keeps this process busy
   * (a build in three processes on two cores slowed the import's own thread by more than it saved).
   */
  start(table: LoadedTable, options?: { oneProcess?: boolean }): void;
  /** Builds the other indexes, once the ones started are built (a failed build throws here). */
  rebuild(): Promise<void>;
  /** How many indexes were dropped (and are built again). */
  count: number;
}

type LoadedTable = (typeof LOADED_TABLES)[number];

/**
 * When every table a bulk import fills is empty: drops their indexes (primary keys and unique
 * constraints included) and returns what builds them again, each from the definition Postgres
 * gave for it (pg_get_indexdef / pg_get_constraintdef), so the schema after the import is the one
 * the migrations made. Building an index from sorted rows once costs a fraction of inserting the
 * same rows into it one at a time (record ids are random UUIDs: every insert lands on a random
 * page). A duplicate the import let through would fail the unique rebuild, and with it the whole
 * transaction.
 *
 * The tables' ACCESS EXCLUSIVE locks are held until the import commits: on an initial load
 * readers of the (empty) identity tables wait for the import instead of reading nothing. With
 * some table not empty: null, nothing changes (or, if a row was committed between the first check
 * and the lock, only the locks are held).
 */
async function deferIndexes(sql: Sql, callerSql: Sql): Promise<DeferredIndexes | null> {
  const allEmpty = async () => {
    const [{ empty } = { empty: false }] = await sql<{ empty: boolean }>(
      `SELECT ${LOADED_TABLES.map((t) => `NOT EXISTS (SELECT 1 FROM ${t})`).join(' AND ')} AS empty`,
    );
    return empty;
  };
  if (!(await allEmpty())) return null;
  // Empty still once no one else can write them (a row committed between the two checks is seen by
  // the second): the DROPs below would take these locks anyway.
  await sql(`LOCK TABLE ${LOADED_TABLES.join(', ')} IN ACCESS EXCLUSIVE MODE`);
  if (!(await allEmpty())) return null;
  // New, empty files for the tables: on a server with wal_level = minimal (the embedded one, which
  // has no standby to feed) Postgres then writes no WAL for the import's rows and index builds,
  // and syncs the files at commit instead (a rollback just drops them). Elsewhere this changes
  // nothing: the tables are empty, and held exclusively.
  await sql(`TRUNCATE ${LOADED_TABLES.join(', ')}`);
  const indexes = await sql<{
    tbl: string;
    idx: string;
    def: string;
    con: string | null;
    condef: string | null;
  }>(
    `SELECT x.indrelid::regclass::text AS tbl, x.indexrelid::regclass::text AS idx,
            pg_get_indexdef(x.indexrelid) AS def,
            quote_ident(c.conname) AS con, pg_get_constraintdef(c.oid) AS condef
       FROM pg_index x
       LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u', 'x')
      WHERE x.indrelid = ANY($1::regclass[])
      ORDER BY x.indrelid::regclass::text, x.indexrelid::regclass::text`,
    [[...LOADED_TABLES]],
  );
  for (const i of indexes) {
    if (i.con) await sql(`ALTER TABLE ${i.tbl} DROP CONSTRAINT ${i.con}`);
    else await sql(`DROP INDEX ${i.idx}`);
  }
  // Sorts in memory up to this size (the block keys of 1M records are ~0.5 GB), and two workers
  // share a big build.
  await sql(`SET LOCAL maintenance_work_mem = '1GB'`);
  const statement = (i: (typeof indexes)[number]) =>
    i.con ? `ALTER TABLE ${i.tbl} ADD CONSTRAINT ${i.con} ${i.condef}` : i.def;
  const client = pgClientOf(callerSql) as { query(text: string): Promise<unknown> } | undefined;
  let early: Promise<unknown> = Promise.resolve();
  const built = new Set<string>();
  return {
    count: indexes.length,
    start(table, options = {}) {
      const mine = indexes.filter((i) => i.tbl === table);
      if (!client || !mine.length) return;
      for (const i of mine) built.add(i.idx);
      const statements = mine.map(statement);
      // Without parallel workers the builds take one core, and leave the other to this process;
      // the setting the transaction had is put back after them.
      if (options.oneProcess) {
        statements.unshift(
          `SELECT set_config('touchpoint.parallel_maintenance_workers', current_setting('max_parallel_maintenance_workers'), true)`,
          'SET LOCAL max_parallel_maintenance_workers = 0',
        );
        statements.push(
          `SELECT set_config('max_parallel_maintenance_workers', current_setting('touchpoint.parallel_maintenance_workers'), true)`,
        );
      }
      // One simple-protocol query, written to the socket now (the connection is idle between the
      // import's statements); the next statement waits behind it.
      early = Promise.all([early, client.query(statements.join(';\n'))]);
      early.catch(() => {}); // observed by rebuild(); kept from being an unhandled rejection meanwhile
    },
    async rebuild() {
      await early;
      for (const i of indexes) if (!built.has(i.idx)) await sql(statement(i));
    },
  };
}

export interface BulkReport {
  records: number;
  /** New records written by the set-based path. */
  inserted: number;
  /** Records already in the graph, applied through the incremental path. */
  updated: number;
  /** Erased people (suppression) and versions older than the stored or given one. */
  skipped: number;
  /** Records not applied because they are invalid (index into the input). */
  rejected: { index: number; message: string }[];
  /** Identifiers that could not be normalised and were dropped (the rest of the record is applied). */
  problems: { index: number; message: string }[];
  customersCreated: number;
  /** Existing customers that received records or were merged. */
  customersTouched: number;
  existingMerged: number;
  links: number;
  suggestions: number;
  quarantined: number;
  /** Records whose probabilistic candidates came from CandidateLists (a worker thread's, usually). */
  candidatesListed: number;
  /**
   * Indexes of the identity tables dropped before the rows went in and built after them (an
   * initial load of at least deferIndexesFrom records), else 0.
   */
  indexesRebuilt: number;
  /** Seconds per phase. */
  timings: Record<string, number>;
}

type Status = 'active' | 'blocked' | 'quarantined';

interface Ident {
  kind: string;
  namespace: string;
  value: string;
  dbId: string | null;
  /** Order of creation for new identifiers (their ids are reserved in this order). */
  ordinal: number;
  status: Status;
  reason: string | null;
  statusChanged: boolean;
  /** In one of the configured unique namespaces (kind:namespace). */
  unique: boolean;
}

interface Rec {
  id: string;
  existing: boolean;
  node: number;
  firstName: unknown;
  lastName: unknown;
  traits: Record<string, unknown>;
  /** New records: live identifiers in the person's order (ident indexes). */
  idents: number[];
  raw: NormalisedIdentifier[];
  input: number;
  system: string;
}

interface ExistingRow {
  id: string;
  customerId: string;
  firstName: string | null;
  lastName: string | null;
  traits: Record<string, unknown> | null;
}

const now = () => performance.now() / 1000;

function toDate(v: Date | string | null | undefined): Date | null {
  if (v === null || v === undefined || v === '') return null;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** TypeORM gives `[rows, count]` for some statements; rows in every case. */
function rowsOnly(sql: Sql): Sql {
  return async <T>(text: string, params?: unknown[]) => {
    const r: unknown = await sql<T>(text, params);
    if (Array.isArray(r) && r.length === 2 && Array.isArray(r[0]) && typeof r[1] === 'number')
      return r[0] as T[];
    return r as T[];
  };
}

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** Bulk-resolves records in one transaction on `ds`. */
export async function bulkResolve(
  ds: DataSource,
  records: readonly BulkRecord[],
  options: BulkOptions = {},
): Promise<BulkReport> {
  const resolver = new IdentityResolver(ds, options.config ?? {});
  return inTransaction(ds, (sql) => bulkResolveIn(sql, resolver, records, options));
}

/** The same, inside the caller's transaction; `resolver` applies records that already exist. */
export async function bulkResolveIn(
  callerSql: Sql,
  resolver: IdentityResolver,
  records: readonly BulkRecord[],
  options: BulkOptions = {},
): Promise<BulkReport> {
  // What the import started that must end with it, whether it succeeds or fails (a worker thread).
  const cleanups: (() => Promise<void>)[] = [];
  try {
    return await resolveBulk(callerSql, resolver, records, options, cleanups);
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
}

async function resolveBulk(
  callerSql: Sql,
  resolver: IdentityResolver,
  records: readonly BulkRecord[],
  options: BulkOptions,
  cleanups: (() => Promise<void>)[],
): Promise<BulkReport> {
  const sql = rowsOnly(callerSql);
  const config: IdentityConfig = {
    ...DEFAULT_IDENTITY_CONFIG,
    ...resolver.config,
    ...(options.config ?? {}),
  };
  const cap = config.maxSuggestionsPerRecord;
  if (!Number.isInteger(cap) || cap < 0)
    throw new Error(
      `identity config maxSuggestionsPerRecord must be a non-negative integer, got ${String(cap)}`,
    );
  const actor = options.actor ?? 'bulk';
  const chunkSize = options.chunkSize ?? 10_000;
  const timings: Record<string, number> = {};
  let t = now();
  const phase = (name: string) => {
    const n = now();
    timings[name] = Math.round((n - t) * 1000) / 1000;
    t = n;
    options.onPhase?.(name);
  };
  const report: BulkReport = {
    records: records.length,
    inserted: 0,
    updated: 0,
    skipped: 0,
    rejected: [],
    problems: [],
    customersCreated: 0,
    customersTouched: 0,
    existingMerged: 0,
    links: 0,
    suggestions: 0,
    quarantined: 0,
    candidatesListed: 0,
    indexesRebuilt: 0,
    timings,
  };

  await sql(`SELECT pg_advisory_xact_lock($1)`, [IDENTITY_GRAPH_LOCK]);
  // The first id of the evidence this import shares between suggestions (see "resolve"), taken
  // now: later the connection is busy copying.
  const [{ from: evidenceFrom } = { from: '1' }] = await sql<{ from: string }>(
    `SELECT nextval(pg_get_serial_sequence('match_evidence', 'id'))::text AS from`,
  );
  const sharedEvidenceFrom = BigInt(evidenceFrom);
  phase('lock');

  // An initial load into an empty graph builds the tables' indexes once, after the rows are in,
  // instead of maintaining them row by row (see deferIndexes).
  const rebuildIndexes =
    records.length >= (options.deferIndexesFrom ?? DEFER_INDEXES_FROM)
      ? await deferIndexes(sql, callerSql)
      : null;
  phase('defer indexes');

  // ---- 1. Validate, normalise, keep the newest version of each record key. ----
  interface Prepared {
    index: number;
    system: string;
    person: CanonicalPerson;
    key: string;
    identifiers: NormalisedIdentifier[];
    updatedAt: Date | null;
  }
  const byKey = new Map<string, Prepared>();
  // Phone numbers are parsed by this thread and a worker together (PhoneBatch), in the order
  // records first hold them: a record is normalised once its phones are parsed, while the worker
  // parses ahead.
  const rawPhones = new Set<string>();
  // How many of the distinct phones, in that order, records up to this one hold.
  const phonesUpTo = new Int32Array(records.length);
  for (let index = 0; index < records.length; index++) {
    const { person } = records[index]!;
    if (Array.isArray(person?.identifiers))
      for (const i of person.identifiers)
        if (i?.kind === 'phone' && typeof i.value === 'string') rawPhones.add(i.value);
    phonesUpTo[index] = rawPhones.size;
  }
  const phones = new PhoneBatch([...rawPhones], resolver.config.defaultRegion);
  rawPhones.clear();
  try {
    withKnownPhones(phones.results, () => {
      for (let index = 0; index < records.length; index++) {
        phones.upTo(phonesUpTo[index]!);
        const { system, person } = records[index]!;
        const bad = validate(system, person);
        if (bad) {
          report.rejected.push({ index, message: bad });
          continue;
        }
        const { identifiers, problems } = resolver.normalise(person);
        for (const p of problems)
          report.problems.push({ index, message: `${person.objectType} ${person.externalId}: ${p}` });
        const key = `${system}:${person.objectType}:${person.externalId}`;
        const prepared: Prepared = {
          index,
          system,
          person,
          key,
          identifiers,
          updatedAt: toDate(person.updatedAt),
        };
        const before = byKey.get(key);
        if (before) {
          const stale = before.updatedAt && prepared.updatedAt && prepared.updatedAt < before.updatedAt;
          report.skipped++;
          if (stale) continue;
          byKey.delete(key); // re-inserted below: the record takes the later position
        }
        byKey.set(key, prepared);
      }
    });
  } finally {
    await phones.close();
  }
  phones.results.clear();
  let work = [...byKey.values()].sort((a, b) => a.index - b.index);
  phase('normalise');

  // ---- 2. Erased people stay erased. ----
  const [{ any: anySuppression } = { any: false }] = await sql<{ any: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM suppression) AS any`,
  );
  if (anySuppression) {
    const hashesOf = (p: Prepared) => [
      suppressionHash(`source:${p.key}`),
      ...p.identifiers.filter((i) => i.kind !== 'external').map((i) => suppressionHash(`id:${keyOf(i)}`)),
    ];
    const all = [...new Set(work.flatMap(hashesOf))];
    const hit = new Set<string>();
    for (const part of chunks(all, 50_000)) {
      for (const r of await sql<{ hash: string }>(
        `SELECT hash FROM suppression WHERE hash = ANY($1::text[])`,
        [part],
      ))
        hit.add(r.hash);
    }
    if (hit.size) {
      const before = work.length;
      work = work.filter((p) => !hashesOf(p).some((h) => hit.has(h)));
      report.skipped += before - work.length;
    }
  }
  phase('suppression');

  // ---- 3. Records already in the graph go through the incremental path. ----
  const [{ any: anyRecords } = { any: false }] = await sql<{ any: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM source_record) AS any`,
  );
  if (anyRecords) {
    // Records stored exactly as given (a re-run of a committed import) are unchanged and skipped;
    // the others are updates, applied by the incremental path.
    const known = new Set<string>();
    const same = new Set<string>();
    for (const part of chunks(work, 10_000)) {
      const doc = JSON.stringify(
        part.map((p) => ({
          sy: p.system,
          ot: p.person.objectType,
          ex: p.person.externalId,
          tr: p.person.traits ?? {},
          pl: p.person.payload ?? {},
          u: p.updatedAt?.toISOString() ?? null,
          d: Boolean(p.person.deleted),
          ids: p.person.deleted ? [] : p.identifiers.map((i) => keyOf(i)).sort(),
        })),
      );
      const rows = await sql<{ k: string; same: boolean }>(
        `SELECT s.system || ':' || s.object_type || ':' || s.external_id AS k,
                (s.traits = k.tr AND s.payload = k.pl AND s.deleted = k.d
                 AND s.source_updated_at IS NOT DISTINCT FROM k.u
                 AND k.ids = ARRAY(SELECT i.kind || ':' || i.namespace || ':' || i.value
                                     FROM record_identifier ri JOIN identifier i ON i.id = ri.identifier_id
                                    WHERE ri.source_record_id = s.id ORDER BY (i.kind || ':' || i.namespace || ':' || i.value) COLLATE "C")) AS same
           FROM json_to_recordset($1::json) AS k(sy text, ot text, ex text, tr jsonb, pl jsonb, u timestamptz, d boolean, ids text[])
           JOIN source_record s ON s.system = k.sy AND s.object_type = k.ot AND s.external_id = k.ex`,
        [doc],
      );
      for (const r of rows) {
        known.add(r.k);
        if (r.same) same.add(r.k);
      }
    }
    if (known.size) {
      for (const p of work.filter((w) => known.has(w.key))) {
        if (same.has(p.key)) {
          report.skipped++;
          continue;
        }
        const r = await resolver.applyPersonIn(sql, p.system, p.person, actor);
        if (r.skipped) report.skipped++;
        else report.updated++;
      }
      work = work.filter((w) => !known.has(w.key));
    }
  }
  phase('existing records');

  // An initial load's matching features and probabilistic candidates: worked out by a worker
  // thread (CandidateLists) while this one loads the identifiers, and read by the resolve loop.
  // The graph is empty (no existing records): new record n is record and slot n.
  const search = options.candidateSearch ?? (work.length >= CANDIDATE_WORKER_FROM ? 'worker' : 'loop');
  const weights = levelWeights();
  const candidateLists =
    config.probabilistic && rebuildIndexes !== null && search !== 'loop'
      ? new CandidateLists(
          work.length,
          { blockedValues: config.blockedValues, weights, threshold: config.suggestWeight },
          search,
        )
      : null;
  if (candidateLists) cleanups.push(() => candidateLists.close());

  // ---- 4. Identifier nodes: existing ones with their status and holders, new ones with their guard status. ----
  const idents: Ident[] = [];
  // Identifier indexes by kind, namespace and value (no key string per identifier), with whether
  // the namespace is one of the unique ones.
  const identIndex = new Map<string, Map<string, { unique: boolean; values: StringTable }>>();
  const namespaceOf = (kind: string, namespace: string) => {
    let byNs = identIndex.get(kind);
    if (!byNs) identIndex.set(kind, (byNs = new Map()));
    let ns = byNs.get(namespace);
    if (!ns)
      byNs.set(namespace, (ns = { unique: uniqueNs.has(`${kind}:${namespace}`), values: new StringTable() }));
    return ns;
  };
  // Records holding each identifier (live, non-deleted), oldest first, by identifier index.
  const holderLists = new BlockLists();
  const holdersOf = (i: number): number[] => {
    const out: number[] = [];
    for (let e = holderLists.first(i); e >= 0; e = holderLists.nextOf(e)) out.push(holderLists.memberOf(e));
    return out;
  };
  const recs: Rec[] = [];
  const newRecs: Rec[] = [];
  const uniqueNs = new Set(config.uniqueNamespaces);
  let newIdentCount = 0;
  const newId = orderedUuids();
  // The candidate worker gets the records' feature input in chunks as this loop reads them (the
  // records are in cache here), and works their features out meanwhile.
  let inputFrom = 0;
  for (let w = 0; w < work.length; w++) {
    const p = work[w]!;
    // Arrays of their final length (an array grown by push keeps room for 16): a million records.
    const live = p.person.deleted ? [] : p.identifiers;
    const rec: Rec = {
      id: newId(),
      existing: false,
      node: -1,
      firstName: p.person.traits?.firstName,
      lastName: p.person.traits?.lastName,
      traits: (p.person.traits ?? {}) as Record<string, unknown>,
      idents: new Array<number>(live.length),
      raw: live,
      input: p.index,
      system: p.system,
    };
    for (let j = 0; j < live.length; j++) {
      const i = live[j]!;
      const ns = namespaceOf(i.kind, i.namespace);
      const at = ns.values.getOrAdd(i.value, idents.length);
      if (at === idents.length) {
        const g = guardStatus(i, config.blockedValues);
        idents.push({
          kind: i.kind,
          namespace: i.namespace,
          value: i.value,
          dbId: null,
          ordinal: newIdentCount++,
          status: g.status,
          reason: g.reason,
          statusChanged: false,
          unique: ns.unique,
        });
      }
      rec.idents[j] = at;
    }
    newRecs.push(rec);
    if (candidateLists && (w + 1 - inputFrom === FEATURE_INPUT_CHUNK || w + 1 === work.length)) {
      candidateLists.add(featureInput(work, inputFrom, w + 1));
      inputFrom = w + 1;
    }
  }
  holderLists.ensure(idents.length);
  const [{ any: anyIdentifiers } = { any: false }] = await sql<{ any: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM identifier) AS any`,
  );
  const existingRecs = new Map<string, number>();
  const existingCustomers = new Set<string>();
  const registerExisting = (row: ExistingRow): number => {
    let at = existingRecs.get(row.id);
    if (at === undefined) {
      at = recs.length;
      recs.push({
        id: row.id,
        existing: true,
        node: -1,
        firstName: row.firstName ?? row.traits?.firstName,
        lastName: row.lastName ?? row.traits?.lastName,
        traits: row.traits ?? {},
        idents: [],
        raw: [],
        input: -1,
        system: '',
      });
      existingRecs.set(row.id, at);
      existingCustomers.add(row.customerId);
    }
    return at;
  };
  const existingCustomerOf = new Map<number, string>();
  if (anyIdentifiers && idents.length) {
    const dbIds: string[] = [];
    for (const part of chunks(idents, 20_000)) {
      const rows = await sql<{
        id: string;
        kind: string;
        namespace: string;
        value: string;
        status: Status;
        reason: string | null;
      }>(
        `SELECT i.id::text AS id, i.kind, i.namespace, i.value, i.status, i.status_reason AS reason
           FROM identifier i JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(kind, ns, val)
             ON i.kind = k.kind AND i.namespace = k.ns AND i.value = k.val`,
        [part.map((i) => i.kind), part.map((i) => i.namespace), part.map((i) => i.value)],
      );
      for (const r of rows) {
        const at = namespaceOf(r.kind, r.namespace).values.get(r.value);
        const ident = idents[at]!;
        ident.dbId = r.id;
        ident.status = r.status;
        ident.reason = r.reason;
        dbIds.push(r.id);
      }
    }
    // Renumber the new identifiers' ordinals so only new ones count.
    let ord = 0;
    for (const i of idents) i.ordinal = i.dbId === null ? ord++ : -1;
    newIdentCount = ord;
    const identByDbId = new Map<string, number>();
    idents.forEach((i, at) => i.dbId !== null && identByDbId.set(i.dbId, at));
    for (const part of chunks(dbIds, 20_000)) {
      const holders = await sql<ExistingRow & { identifierId: string }>(
        `SELECT ri.identifier_id::text AS "identifierId", sr.id, sr.customer_id AS "customerId",
                sr.traits->>'firstName' AS "firstName", sr.traits->>'lastName' AS "lastName", NULL::jsonb AS traits
           FROM record_identifier ri JOIN source_record sr ON sr.id = ri.source_record_id
          WHERE ri.identifier_id = ANY($1::bigint[]) AND NOT sr.deleted AND sr.customer_id IS NOT NULL
          ORDER BY ri.identifier_id, sr.created_at, sr.id`,
        [part],
      );
      for (const h of holders) {
        const at = registerExisting(h);
        existingCustomerOf.set(at, h.customerId);
        holderLists.add(identByDbId.get(h.identifierId)!, at);
      }
    }
  }
  phase('load identifiers');

  /**
   * Reserves ids for the identifiers not in the database yet, in first-appearance order, and
   * returns them in that order.
   */
  const reserveIdentifierIds = async (): Promise<Ident[]> => {
    const newIdentList = idents.filter((i) => i.dbId === null).sort((a, b) => a.ordinal - b.ordinal);
    if (!newIdentList.length) return newIdentList;
    // Usually one contiguous range (only its ends are read); values interleaved with another
    // session's nextval are read one by one. On an initial load the import holds the identifier
    // table exclusively (deferIndexes), so no other session can draw from its sequence: the range
    // is taken with one setval instead of one nextval per identifier.
    const [range] = rebuildIndexes
      ? await sql<{ lo: string; hi: string }>(
          `SELECT lo::text, setval(pg_get_serial_sequence('identifier', 'id'), lo + $1::bigint - 1)::text AS hi
             FROM (SELECT nextval(pg_get_serial_sequence('identifier', 'id')) AS lo) s`,
          [newIdentList.length],
        )
      : await sql<{ lo: string; hi: string }>(
          `SELECT min(v)::text AS lo, max(v)::text AS hi
             FROM (SELECT nextval(pg_get_serial_sequence('identifier', 'id')) AS v FROM generate_series(1, $1::int)) s`,
          [newIdentList.length],
        );
    let ids: bigint[];
    if (range && BigInt(range.hi) - BigInt(range.lo) + 1n === BigInt(newIdentList.length)) {
      const lo = BigInt(range.lo);
      ids = newIdentList.map((_, k) => lo + BigInt(k));
    } else {
      const reserved = await sql<{ id: string }>(
        `SELECT nextval(pg_get_serial_sequence('identifier', 'id'))::text AS id FROM generate_series(1, $1::int)`,
        [newIdentList.length],
      );
      ids = reserved.map((r) => BigInt(r.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    }
    newIdentList.forEach((i, k) => (i.dbId = ids[k]!.toString()));
    return newIdentList;
  };
  const copyIdentifiers = (list: readonly Ident[]) =>
    copyIn(
      callerSql,
      'identifier',
      ['id', 'kind', 'namespace', 'value', 'status', 'status_reason'],
      (function* () {
        for (const i of list)
          yield `${i.dbId}\t${copyField(i.kind)}\t${copyField(i.namespace)}\t${copyField(i.value)}\t${i.status}\t${copyField(i.reason)}\n`;
      })(),
    );
  // On an initial load every identifier is new and known by now: they go in here, and their indexes
  // build (by one Postgres process) while the features and blocks are worked out, with Postgres
  // otherwise idle. A status the trip-wire changes while resolving is written over theirs in
  // "write identifiers".
  if (rebuildIndexes && idents.length) {
    await copyIdentifiers(await reserveIdentifierIds());
    rebuildIndexes.start('identifier', { oneProcess: true });
    phase('write identifiers early');
  }

  // ---- 5. Matching features and blocking keys; existing members of the blocks. ----
  // A record's matching features: its traits and its active emails and phones, in order.
  const evidenceFeatures = (r: Rec): PreparedPerson => {
    const active: Ident[] = [];
    for (const i of r.idents) {
      const ident = idents[i]!;
      if ((ident.kind === 'email' || ident.kind === 'phone') && ident.status === 'active') active.push(ident);
    }
    return prepareFeatures(featuresOf(r.traits, active));
  };
  // A record's identifiers whose status resolving changed (the trip-wire): its features and keys,
  // worked out before with the old statuses, are worked out again.
  const evidenceChanged = (r: Rec): boolean =>
    r.idents.some((i) => {
      const ident = idents[i]!;
      return (ident.kind === 'email' || ident.kind === 'phone') && ident.statusChanged;
    });
  // Names, dates and places repeat: each distinct pair of values is compared once. The cache holds
  // each person's features as interned ids in a slot: new record n in slot n, the existing record
  // numbered `at` in slot nNew + at (see slotOf, once the records are numbered). Blocking keys are
  // numbered by their parts (see RecordFeatures). An initial load's come from CandidateLists.
  const nNew = newRecs.length;
  let features: RecordFeatures;
  if (candidateLists) features = await candidateLists.features();
  else {
    features = new RecordFeatures(nNew, records.length);
    if (config.probabilistic) {
      for (let n = 0; n < nNew; n++)
        features.add(work[n]!.person.deleted ? null : evidenceFeatures(newRecs[n]!));
      features.finish();
    }
  }
  const { levelCache, keyIds, recKeys, recKeyStart, blockCount } = features;
  const keyName = (id: number) => features.keyName(id);
  const addKeys = (f: PreparedPerson, to: Int32List) => features.addKeys(f, to);
  // Keys worked out again in the resolve loop (the record's evidence changed status), by record.
  const keyOverride = new Map<number, Int32Array>();
  const keysOf = (n: number): Int32Array =>
    keyOverride.get(n) ?? recKeys.data.subarray(recKeyStart[n]!, recKeyStart[n + 1]!);
  // Members of each block (record indexes); a block over MAX_BLOCK_SIZE is closed, never read.
  // Each open block gets room for its members (new records and existing ones) in one run, so
  // reading a block reads consecutive memory.
  const blocks = new BlockLists();
  blocks.ensure(keyIds.size);
  // On an initial load the table is empty (and a query would wait behind the identifiers' indexes).
  const [{ any: anyKeys } = { any: false }] = rebuildIndexes
    ? []
    : await sql<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM record_block_key) AS any`);
  // Keys the graph already has members for (their counts are added to the blocks' counts first).
  const wanted: string[] = [];
  const keyIdOf = new Map<string, number>();
  if (config.probabilistic && anyKeys && keyIds.size) {
    const keys = Array.from({ length: keyIds.size }, (_, id) => keyName(id));
    keys.forEach((k, id) => keyIdOf.set(k, id));
    for (const part of chunks(keys, 50_000)) {
      const counts = await sql<{ key: string; n: number }>(
        `SELECT key, count(*)::int AS n FROM record_block_key WHERE key = ANY($1::text[]) GROUP BY key`,
        [part],
      );
      for (const c of counts) {
        const id = keyIdOf.get(c.key)!;
        const total = c.n + blockCount.data[id]!;
        blockCount.data[id] = total;
        if (total <= MAX_BLOCK_SIZE) wanted.push(c.key);
      }
    }
  }
  for (let id = 0; id < blockCount.length; id++) {
    const count = blockCount.data[id]!;
    if (count <= MAX_BLOCK_SIZE) blocks.reserve(id, count);
    else blocks.close(id);
  }
  blocks.seal();
  for (const part of chunks(wanted, 20_000)) {
    const members = await sql<
      ExistingRow & { key: string; emails: string[] | null; phones: string[] | null }
    >(
      `SELECT bk.key, sr.id, sr.customer_id AS "customerId", NULL AS "firstName", NULL AS "lastName", sr.traits,
              (SELECT array_agg(i.value) FROM record_identifier ri JOIN identifier i ON i.id = ri.identifier_id
                WHERE ri.source_record_id = sr.id AND i.kind = 'email' AND i.status = 'active') AS emails,
              (SELECT array_agg(i.value) FROM record_identifier ri JOIN identifier i ON i.id = ri.identifier_id
                WHERE ri.source_record_id = sr.id AND i.kind = 'phone' AND i.status = 'active') AS phones
         FROM record_block_key bk JOIN source_record sr ON sr.id = bk.source_record_id
        WHERE bk.key = ANY($1::text[]) AND NOT sr.deleted AND sr.customer_id IS NOT NULL
        ORDER BY sr.created_at, sr.id`,
      [part],
    );
    for (const m of members) {
      const at = registerExisting(m);
      existingCustomerOf.set(at, m.customerId);
      if (m.traits) recs[at]!.traits = m.traits;
      recs[at]!.firstName = m.traits?.firstName;
      recs[at]!.lastName = m.traits?.lastName;
      // Existing records are numbered already: their features go into their slot.
      if (!levelCache.has(nNew + at)) {
        levelCache.set(
          nNew + at,
          prepareFeatures(
            featuresOf(m.traits ?? {}, [
              ...(m.emails ?? []).map((v) => ({ kind: 'email', value: v })),
              ...(m.phones ?? []).map((v) => ({ kind: 'phone', value: v })),
            ]),
          ),
        );
      }
      blocks.add(keyIdOf.get(m.key)!, at);
    }
  }
  phase('features and blocks');

  // On an initial load the records' blocking keys are known now (resolving works a few of them
  // out again, replaced in "write block keys"): they go in here, and their indexes build, by one
  // Postgres process, while the records resolve. The suggestions streamed meanwhile wait in
  // memory until the builds are done (suggestionBacklog).
  const blockKeysEarly = rebuildIndexes !== null;
  if (blockKeysEarly) {
    await copyIn(
      callerSql,
      'record_block_key',
      ['source_record_id', 'key'],
      (function* () {
        // Each key's text once (a key is on 3.4 records on average).
        const keyText = new Array<string | undefined>(keyIds.size);
        for (let n = 0; n < nNew; n++) {
          if (work[n]!.person.deleted) continue;
          const id = newRecs[n]!.id;
          for (const k of keysOf(n)) yield `${id}\t${(keyText[k] ??= copyField(keyName(k)))}\n`;
        }
      })(),
    );
    rebuildIndexes.start('record_block_key', { oneProcess: true });
    phase('write block keys early');
  }

  // ---- 6. Existing customers: age order, unique-namespace values, separations. ----
  const uf = new OldestFirstUnionFind(existingCustomers.size + newRecs.length);
  const nodeOfCustomer = new Map<string, number>();
  const customerOfNode: string[] = [];
  const uniqueValues = new Map<number, Map<string, Set<string>>>();
  const separations = new Set<string>();
  if (existingCustomers.size) {
    const ids = [...existingCustomers];
    // Age order (created_at, id) across chunks, as the incremental merge picks its survivor.
    const ages = new Map<string, number>();
    for (const part of chunks(ids, 20_000)) {
      for (const r of await sql<{ id: string; at: string }>(
        `SELECT id, (extract(epoch FROM created_at) * 1000000)::bigint::text AS at FROM customer WHERE id = ANY($1::uuid[])`,
        [part],
      ))
        ages.set(r.id, Number(r.at));
    }
    const ordered = [...ages.keys()].sort(
      (a, b) => ages.get(a)! - ages.get(b)! || (a < b ? -1 : a > b ? 1 : 0),
    );
    for (const id of ordered) {
      const n = uf.add();
      nodeOfCustomer.set(id, n);
      customerOfNode[n] = id;
    }
    for (const [at, customerId] of existingCustomerOf) recs[at]!.node = nodeOfCustomer.get(customerId)!;
    if (uniqueNs.size) {
      for (const part of chunks(ordered, 20_000)) {
        const vals = await sql<{ customerId: string; ns: string; value: string }>(
          `SELECT DISTINCT sr.customer_id AS "customerId", i.kind || ':' || i.namespace AS ns, i.value
             FROM source_record sr JOIN record_identifier ri ON ri.source_record_id = sr.id JOIN identifier i ON i.id = ri.identifier_id
            WHERE sr.customer_id = ANY($1::uuid[]) AND NOT sr.deleted AND (i.kind || ':' || i.namespace) = ANY($2::text[])`,
          [part, [...uniqueNs]],
        );
        for (const v of vals) addUnique(uniqueValues, nodeOfCustomer.get(v.customerId)!, v.ns, v.value);
      }
    }
    for (const part of chunks(ordered, 20_000)) {
      const seps = await sql<{ a: string; b: string }>(
        `SELECT customer_a AS a, customer_b AS b FROM identity_separation WHERE customer_a = ANY($1::uuid[]) OR customer_b = ANY($1::uuid[])`,
        [part],
      );
      for (const s of seps) separations.add(`${s.a}|${s.b}`);
    }
  }
  const existingNodeCount = customerOfNode.length;
  const firstNew = recs.length;
  const slotOf = (at: number): number => (at >= firstNew ? at - firstNew : nNew + at);
  for (const r of newRecs) {
    r.node = uf.add();
    recs.push(r);
  }
  // Each record's customer node, read in the hot loops without touching the record object.
  const nodeOf = new Int32Array(recs.length);
  for (let i = 0; i < recs.length; i++) nodeOf[i] = recs[i]!.node;
  phase('load customers');

  // ---- 7. Resolve in input order, the incremental path's decisions in memory. ----
  const links: {
    from: string;
    to: string;
    rule: string;
    ident: number;
    score: number | null;
    evidence: number;
    actor: string;
  }[] = [];
  // Rule and actor of an exact link by identifier kind, made once.
  const exactRules = new Map<string, { rule: string; actor: string }>();
  const exactRule = (kind: string) => {
    let rule = exactRules.get(kind);
    if (rule === undefined)
      exactRules.set(kind, (rule = { rule: `exact_${kind}`, actor: `${actor}:exact_${kind}` }));
    return rule;
  };
  const probabilisticActor = `${actor}:probabilistic`;
  // Evidence JSON interned by a short key (probabilistic evidence depends only on the levels).
  const evidenceIds = new Map<string, number>();
  const evidenceJson: string[] = [];
  // Shared evidence (it names no value): its place among the shared ones, else -1. A suggestion
  // between new records points at it (match_evidence id sharedEvidenceFrom + place).
  const sharedPlace: number[] = [];
  const shared: number[] = [];
  const intern = (key: string, make: () => Record<string, unknown>, share = false): number => {
    let id = evidenceIds.get(key);
    if (id === undefined) {
      id = evidenceJson.length;
      evidenceJson.push(JSON.stringify(make()));
      evidenceIds.set(key, id);
      sharedPlace.push(share ? shared.push(id) - 1 : -1);
    }
    return id;
  };
  // A pair's levels (and names-swapped flag) as one number: its score, corroboration and evidence
  // depend on nothing else, so they are worked out once per distinct code.
  const levels = new Int8Array(COMPARED_FIELDS.length);
  const levelsOf = (code: number): boolean => decodeLevels(code, levels);
  const codeScores = new CodeScores(weights);
  const scoreOf = (code: number): number => codeScores.score(code);
  const detailByCode = new Map<number, { personal: boolean; address: boolean; evidence: number }>();
  const detailOf = (code: number) => {
    let d = detailByCode.get(code);
    if (d === undefined) {
      const s = scoreLevels(levels, levelsOf(code));
      d = {
        personal: s.comparisons.some((x) => x.weight > 0 && PERSONAL_FIELDS.has(x.field)),
        address: s.comparisons.some((x) => x.weight > 0 && ADDRESS_FIELDS.has(x.field)),
        evidence: intern(
          `p|${code}`,
          () => ({ comparisons: s.comparisons, probability: s.probability }),
          true,
        ),
      };
      detailByCode.set(code, d);
    }
    return d;
  };
  // namesConflict per distinct pair of raw values.
  const rawIds = new StringTable();
  const rawId = (v: string) => rawIds.getOrAdd(v, rawIds.size);
  // Pairs numbered in a typed hash table (a Map of number keys this big boxes every key), the
  // answers by pair id; started again when it holds 4M pairs.
  let conflictPairs = new TripleIds();
  let conflictAnswers = new Uint8Array(1 << 16);
  const conflict = (a: unknown, b: unknown): boolean => {
    if (typeof a !== 'string' || typeof b !== 'string') return namesConflict(a, b);
    const seen = conflictPairs.size;
    const id = conflictPairs.id(0, rawId(a), rawId(b));
    if (id < seen) return conflictAnswers[id] === 1;
    const c = namesConflict(a, b);
    conflictAnswers = withRoom(conflictAnswers, id + 1);
    conflictAnswers[id] = c ? 1 : 0;
    if (conflictPairs.size >= 4_000_000) {
      conflictPairs = new TripleIds();
      conflictAnswers = new Uint8Array(1 << 16);
    }
    return c;
  };
  // Suggestions by record index pair (lower index first); written with the lower record id first.
  // Pairs seen, numbered in a typed hash table: suggestion k is the pair numbered k.
  const suggestionSeen = new TripleIds();
  const sugA: number[] = [];
  const sugB: number[] = [];
  const sugReason: string[] = [];
  // Scores as doubles (NaN: none), not boxed numbers in an array.
  let sugScores = new Float64Array(1 << 16);
  const sugScore = (k: number): number | null => (Number.isNaN(sugScores[k]!) ? null : sugScores[k]!);
  const sugEvidence: number[] = [];
  const suggest = (a: number, b: number, reason: string, score: number | null, evidence: () => number) => {
    const k = sugA.length;
    if (suggestionSeen.id(0, a < b ? a : b, a < b ? b : a) < k) return;
    sugA.push(a);
    sugB.push(b);
    sugReason.push(reason);
    sugScores = withRoom(sugScores, k + 1);
    sugScores[k] = score ?? NaN;
    sugEvidence.push(evidence());
  };
  const mergeVeto = (a: number, b: number): string | null => {
    const ca = a < existingNodeCount ? customerOfNode[a]! : null;
    const cb = b < existingNodeCount ? customerOfNode[b]! : null;
    if (ca && cb && separations.has(ca < cb ? `${ca}|${cb}` : `${cb}|${ca}`)) return 'guard:separated';
    const ua = uniqueValues.get(a);
    const ub = uniqueValues.get(b);
    if (ua && ub) {
      for (const [ns, values] of ua) {
        const other = ub.get(ns);
        if (other && [...new Set([...values, ...other])].length > 1) return 'guard:cardinality';
      }
    }
    if (ua) for (const values of ua.values()) if (values.size > 1) return 'guard:cardinality';
    if (ub) for (const values of ub.values()) if (values.size > 1) return 'guard:cardinality';
    return null;
  };
  const merge = (a: number, b: number) => {
    const [keep, gone] = uf.union(a, b);
    if (keep === gone) return;
    const ug = uniqueValues.get(gone);
    if (ug) {
      for (const [ns, values] of ug) for (const v of values) addUnique(uniqueValues, keep, ns, v);
      uniqueValues.delete(gone);
    }
  };
  // A record's features in the level cache; a new record's are worked out again when its
  // identifiers' statuses changed (its slot emptied then).
  const featuresFor = (at: number): boolean => {
    if (levelCache.has(slotOf(at))) return true;
    if (at < firstNew) return false;
    levelCache.set(slotOf(at), evidenceFeatures(recs[at]!));
    return true;
  };
  const seenStamp = new Int32Array(recs.length).fill(-1);
  const tripWireReason = `held by more than ${config.tripWire} customers`;

  // Suggestions between two new records cannot exist yet: they are streamed into one COPY while
  // the records are resolved, so Postgres stores them (the biggest table of an import) meanwhile.
  const f = copyField;
  const evidenceTextOf: string[] = [];
  const evidenceText = (e: number) => (evidenceTextOf[e] ??= f(evidenceJson[e]!));
  const withExistingOf = (k: number) => recs[sugA[k]!]!.existing || recs[sugB[k]!]!.existing;
  const orderedPair = (k: number): [string, string] => {
    const a = recs[sugA[k]!]!.id;
    const b = recs[sugB[k]!]!.id;
    return a < b ? [a, b] : [b, a];
  };
  // Room for the suggestions of the seconds the blocking keys' indexes take to build (~0.5 KB each).
  const suggestionBacklog = blockKeysEarly ? 1 << 29 : undefined;
  const suggestionWriter = copyWriter(
    callerSql,
    'match_suggestion',
    ['record_a', 'record_b', 'reason', 'score', 'evidence', 'evidence_id'],
    suggestionBacklog,
  );
  // A probabilistic evidence is on thousands of suggestions: it is written once, in match_evidence,
  // and each suggestion names it (see the migration SharedSuggestionEvidence).
  const sharedIdText: string[] = [];
  const evidenceColumns = (e: number) => {
    const place = sharedPlace[e]!;
    if (place < 0) return `${evidenceText(e)}\t\\N`;
    return `{}\t${(sharedIdText[place] ??= String(sharedEvidenceFrom + BigInt(place)))}`;
  };
  let streamed = 0;
  const streamSuggestions = () => {
    const from = streamed;
    const to = sugA.length;
    streamed = to;
    return suggestionWriter.write(
      (function* () {
        for (let k = from; k < to; k++) {
          if (withExistingOf(k)) continue;
          const [a, b] = orderedPair(k);
          yield `${a}\t${b}\t${f(sugReason[k])}\t${sugScore(k) ?? '\\N'}\t${evidenceColumns(sugEvidence[k]!)}\n`;
        }
      })(),
    );
  };

  try {
    for (let n = 0; n < newRecs.length; n++) {
      // In batches of about a megabyte of rows (each write fills buffers of that size).
      if (sugA.length - streamed >= 2048) await streamSuggestions();
      const r = newRecs[n]!;
      const at = firstNew + n;
      const deleted = Boolean(work[n]!.person.deleted);
      for (let j = 0; j < r.idents.length; j++) {
        const ident = idents[r.idents[j]!]!;
        if (ident.unique)
          addUnique(uniqueValues, uf.find(r.node), `${ident.kind}:${ident.namespace}`, ident.value);
      }
      if (deleted) continue;
      // The statuses this record sees on arrival (before its own trip-wire).
      const arrival = r.idents.map((i) => idents[i]!.status);
      if (config.probabilistic && evidenceChanged(r)) {
        // The candidate lists were made from the features before (the trip-wire stopped them).
        candidateLists?.stop();
        const f = evidenceFeatures(r);
        levelCache.set(slotOf(at), f);
        const again = new Int32List(8);
        addKeys(f, again);
        keyOverride.set(n, again.data.slice(0, again.length));
        blocks.ensure(keyIds.size);
      }
      const ownFeatures = levelCache.has(slotOf(at));
      const linkable = r.idents
        .filter((_, j) => arrival[j] === 'active')
        .sort((x, y) => identOrder(idents[x]!) - identOrder(idents[y]!));
      const guarded = r.idents.filter((_, j) => arrival[j] !== 'active');

      if (linkable.length) {
        // Snapshot of the holders' customers, as the incremental path's one query sees them.
        const snapshot = new Map<number, { holders: number[]; roots: number[] }>();
        const quarantine = new Set<number>();
        for (const li of linkable) {
          if (holderLists.first(li) < 0) continue;
          const holders = holdersOf(li);
          const roots = holders.map((h) => uf.find(nodeOf[h]!));
          snapshot.set(li, { holders, roots });
          // This record and the holders are at most holders + 1 customers: counted only when that
          // could pass the trip-wire.
          if (
            holders.length + 1 > config.tripWire &&
            new Set([uf.find(r.node), ...roots]).size > config.tripWire
          )
            quarantine.add(li);
        }
        for (const q of quarantine) {
          const ident = idents[q]!;
          ident.status = 'quarantined';
          ident.reason = tripWireReason;
          ident.statusChanged = true;
          report.quarantined++;
          // The holders' features change: the candidate lists no longer hold.
          candidateLists?.stop();
          for (const h of snapshot.get(q)!.holders) if (h >= firstNew) levelCache.delete(slotOf(h));
        }
        for (const li of linkable) {
          const held = snapshot.get(li);
          if (!held || quarantine.has(li)) continue;
          const ident = idents[li]!;
          const { holders, roots } = held;
          const seenCustomers = holders.length > 1 ? new Set<number>() : null;
          for (let h = 0; h < holders.length; h++) {
            if (seenCustomers) {
              if (seenCustomers.has(roots[h]!)) continue;
              seenCustomers.add(roots[h]!);
            }
            const holder = recs[holders[h]!]!;
            const current = uf.find(r.node);
            const other = uf.find(holder.node);
            if (other === current) continue;
            const veto =
              ident.kind === 'phone' && conflict(r.firstName, holder.firstName)
                ? 'guard:name_conflict'
                : mergeVeto(current, other);
            if (veto) {
              suggest(at, holders[h]!, veto, null, () =>
                intern(`m|${li}`, () => ({ matched: [keyOf(ident)] })),
              );
              continue;
            }
            links.push({
              from: r.id,
              to: holder.id,
              rule: exactRule(ident.kind).rule,
              ident: li,
              score: null,
              evidence: intern(`x|${r.system}|${li}`, () => ({
                matched: [keyOf(ident)],
                source: r.system,
              })),
              actor: exactRule(ident.kind).actor,
            });
            merge(current, other);
          }
        }
      }
      for (const gi of guarded) {
        const g = idents[gi]!;
        if (arrival[r.idents.indexOf(gi)] === 'quarantined') continue; // too common to be evidence of anything
        const current = uf.find(r.node);
        let made = 0;
        for (let e = holderLists.first(gi); e >= 0; e = holderLists.nextOf(e)) {
          const h = holderLists.memberOf(e);
          if (made >= 5) break;
          if (uf.find(nodeOf[h]!) === current) continue;
          suggest(at, h, g.kind === 'email' ? 'guard:role_address' : 'guard:blocked_value', null, () =>
            intern(`m|${gi}`, () => ({ matched: [keyOf(g)] })),
          );
          made++;
        }
      }
      // This record now holds its identifiers (every status: record_identifier rows exist for all).
      for (const i of r.idents) holderLists.add(i, at);

      if (config.probabilistic && ownFeatures) {
        const current0 = uf.find(r.node);
        const candidates: { at: number; score: number; code: number }[] = [];
        const keys = keysOf(n);
        const slot = slotOf(at);
        const listed = candidateLists?.of(n) ?? null;
        if (listed) {
          // Worked out ahead (on an initial load record n is record at); the pairs already in one
          // customer are dropped here, as below.
          const { members, codes, offsets } = listed;
          for (let j = offsets[n - listed.from]!, end = offsets[n - listed.from + 1]!; j < end; j++) {
            const m = members[j]!;
            if (uf.find(nodeOf[m]!) === current0) continue;
            candidates.push({ at: m, score: scoreOf(codes[j]!), code: codes[j]! });
          }
        } else {
          const consider = (m: number) => {
            if (seenStamp[m] === n) return;
            seenStamp[m] = n;
            if (uf.find(nodeOf[m]!) === current0) return;
            if (!featuresFor(m)) return;
            const code = levelCache.code(slot, slotOf(m));
            const score = scoreOf(code);
            if (score >= config.suggestWeight) candidates.push({ at: m, score, code });
          };
          for (const k of keys) {
            if (blocks.closed(k)) continue;
            const runs = blocks.runs;
            for (let e = blocks.runStart(k), end = blocks.runEnd(k); e < end; e++) consider(runs[e]!);
            for (let e = blocks.first(k); e >= 0; e = blocks.nextOf(e)) consider(blocks.memberOf(e));
          }
        }
        candidates.sort((a, b) => b.score - a.score);
        // At most maxSuggestionsPerRecord probabilistic suggestions per record, best-scored first,
        // counted as the record-by-record path counts them (a guard's refusal of a linkable pair
        // is always queued and uses up the budget too).
        let budget = config.maxSuggestionsPerRecord;
        for (const c of candidates) {
          const cand = recs[c.at]!;
          const current = uf.find(r.node);
          const other = uf.find(cand.node);
          if (other === current) continue;
          const s = detailOf(c.code);
          const household = conflict(r.firstName, cand.firstName);
          const sameSurname = !conflict(r.lastName, cand.lastName);
          const corroborated = s.personal || (s.address && sameSurname);
          const preset =
            c.score < config.autoAcceptWeight
              ? 'probabilistic'
              : household
                ? 'guard:name_conflict'
                : !corroborated
                  ? 'guard:names_only'
                  : null;
          if (preset && budget <= 0) continue;
          const veto = preset ?? mergeVeto(current, other);
          if (veto) {
            budget--;
            suggest(
              at,
              c.at,
              veto === 'probabilistic' ? veto : `probabilistic+${veto}`,
              c.score,
              () => s.evidence,
            );
            continue;
          }
          links.push({
            from: r.id,
            to: cand.id,
            rule: 'probabilistic',
            ident: -1,
            score: c.score,
            evidence: s.evidence,
            actor: probabilisticActor,
          });
          merge(current, other);
        }
        for (const k of keys) if (!blocks.closed(k)) blocks.add(k, at);
      }
      // Candidates seen later read this record's identifiers with their statuses then.
      if (r.idents.some((i, j) => idents[i]!.status !== arrival[j])) {
        levelCache.delete(slotOf(at));
        candidateLists?.stop();
      }
    }
    await streamSuggestions();
    await suggestionWriter.end();
    if (shared.length) {
      // The ids from sharedEvidenceFrom on are this import's: only a bulk import writes this table,
      // and it holds the identity-graph lock exclusively.
      await sql(`SELECT setval(pg_get_serial_sequence('match_evidence', 'id'), $1::bigint)`, [
        (sharedEvidenceFrom + BigInt(shared.length) - 1n).toString(),
      ]);
      await copyIn(
        callerSql,
        'match_evidence',
        ['id', 'evidence'],
        (function* () {
          for (let k = 0; k < shared.length; k++)
            yield `${sharedEvidenceFrom + BigInt(k)}\t${evidenceText(shared[k]!)}\n`;
        })(),
      );
    }
  } catch (err) {
    suggestionWriter.abort(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
  report.candidatesListed = candidateLists?.listed ?? 0;
  await candidateLists?.close();
  report.links = links.length;
  report.suggestions = sugA.length;
  phase('resolve, streaming suggestions');
  // All suggestions are in: their indexes build while the customers are worked out.
  rebuildIndexes?.start('match_suggestion');

  // ---- 8. Final customers. ----
  const newCustomers: { id: string; ordinal: number; records: Rec[] }[] = [];
  const touchedExisting = new Set<string>();
  // A new customer per new root, in order of its first record (index into newCustomers; -1: none yet).
  const newCustomerOfRoot = new Int32Array(existingNodeCount + newRecs.length).fill(-1);
  const recordCustomer: string[] = new Array<string>(newRecs.length);
  for (let n = 0; n < newRecs.length; n++) {
    const r = newRecs[n]!;
    const root = uf.find(r.node);
    if (root < existingNodeCount) {
      const id = customerOfNode[root]!;
      recordCustomer[n] = id;
      touchedExisting.add(id);
      continue;
    }
    let ci = newCustomerOfRoot[root]!;
    if (ci < 0) {
      ci = newCustomers.length;
      newCustomers.push({ id: newId(), ordinal: ci, records: [] });
      newCustomerOfRoot[root] = ci;
    }
    const c = newCustomers[ci]!;
    recordCustomer[n] = c.id;
    c.records.push(r);
  }
  const retired = new Map<string, string[]>();
  for (let node = 0; node < existingNodeCount; node++) {
    const root = uf.find(node);
    if (root === node) continue;
    const survivor = customerOfNode[root]!;
    retired.set(survivor, [...(retired.get(survivor) ?? []), customerOfNode[node]!]);
    touchedExisting.add(survivor);
  }
  report.customersCreated = newCustomers.length;
  report.customersTouched = touchedExisting.size;
  report.existingMerged = [...retired.values()].reduce((s, l) => s + l.length, 0);
  phase('customers');

  // ---- 9. Writes. ----
  const [{ micros } = { micros: '0' }] = await sql<{ micros: string }>(
    `SELECT (extract(epoch FROM now()) * 1000000)::bigint::text AS micros`,
  );
  // Distinct created_at values in input order, so "oldest" keeps meaning arrival order later.
  const baseMicros = BigInt(micros);
  // 1,000 ordinals share a millisecond: its ISO text is made once.
  let stampMs = -1;
  let stampHead = '';
  const stamp = (ordinal: number) => {
    const micros = baseMicros + BigInt(ordinal);
    const ms = Number(micros / 1000n);
    const us = Number(micros % 1000n);
    if (ms !== stampMs) {
      stampMs = ms;
      stampHead = new Date(ms).toISOString().slice(0, -1);
    }
    return `${stampHead}${String(us).padStart(3, '0')}Z`;
  };

  const newIdentList = await reserveIdentifierIds();
  phase('reserve ids');

  // Golden records of the new customers, from their records in memory.
  // A new record's input: newRecs[n] (node existingNodeCount + n) came from work[n].
  const workOf = (r: Rec) => work[r.node - existingNodeCount]!;
  const updatedAtOf = (r: Rec) => workOf(r).updatedAt;
  const deletedOf = (r: Rec) => Boolean(workOf(r).person.deleted);
  const goldenFast = (rs: Rec[]) =>
    goldenRecord(
      rs
        .filter((r) => !deletedOf(r))
        .map((r) => {
          const emails = r.idents
            .filter((i) => idents[i]!.kind === 'email' && idents[i]!.status === 'active')
            .map((i) => idents[i]!.value)
            .sort();
          const phones = r.idents
            .filter((i) => idents[i]!.kind === 'phone')
            .map((i) => idents[i]!.value)
            .sort();
          return {
            system: r.system,
            sourceUpdatedAt: updatedAtOf(r),
            traits: { ...r.traits, email: emails[0] ?? null, phone: phones[0] ?? null },
          };
        }),
      config,
    );

  const q = JSON.stringify;
  await copyIn(
    callerSql,
    'customer',
    ['id', 'status', 'traits', 'record_count', 'created_at'],
    (function* () {
      for (const c of newCustomers)
        yield `${c.id}\tactive\t${f(q(goldenFast(c.records)))}\t${c.records.length}\t${stamp(c.ordinal)}\n`;
    })(),
  );
  phase('write customers');

  if (newIdentList.length) await copyIdentifiers(newIdentList);
  // Identifiers written before (an initial load's, at load identifiers) or stored before the run,
  // whose status the run changed.
  const newSet = new Set(newIdentList);
  const changed = idents.filter((i) => i.statusChanged && !newSet.has(i));
  for (const part of chunks(changed, chunkSize)) {
    await sql(
      `UPDATE identifier SET status = 'quarantined', status_reason = $2 WHERE id = ANY($1::bigint[])`,
      [part.map((i) => i.dbId), tripWireReason],
    );
  }
  phase('write identifiers');

  await copyIn(
    callerSql,
    'source_record',
    [
      'id',
      'system',
      'object_type',
      'external_id',
      'customer_id',
      'origin_customer_id',
      'payload',
      'traits',
      'source_updated_at',
      'deleted',
      'created_at',
    ],
    (function* () {
      for (let k = 0; k < newRecs.length; k++) {
        const r = newRecs[k]!;
        const w = work[k]!;
        const c = recordCustomer[k];
        yield `${r.id}\t${f(w.system)}\t${f(w.person.objectType)}\t${f(w.person.externalId)}\t${c}\t${c}\t${f(q(w.person.payload ?? {}))}\t${f(q(w.person.traits ?? {}))}\t${w.updatedAt ? w.updatedAt.toISOString() : '\\N'}\t${Boolean(w.person.deleted)}\t${stamp(k)}\n`;
      }
    })(),
  );
  report.inserted = newRecs.length;
  phase('write source records');

  await copyIn(
    callerSql,
    'record_identifier',
    ['source_record_id', 'identifier_id', 'raw_value', 'normaliser_version'],
    (function* () {
      for (const r of newRecs)
        for (let j = 0; j < r.idents.length; j++)
          yield `${r.id}\t${idents[r.idents[j]!]!.dbId}\t${f(r.raw[j]!.raw)}\t${r.raw[j]!.version}\n`;
    })(),
  );
  phase('write record identifiers');

  await copyIn(
    callerSql,
    'identity_link',
    ['from_record_id', 'to_record_id', 'rule', 'identifier_id', 'score', 'evidence', 'actor'],
    (function* () {
      for (const l of links)
        yield `${l.from}\t${l.to}\t${f(l.rule)}\t${l.ident >= 0 ? idents[l.ident]!.dbId : '\\N'}\t${l.score ?? '\\N'}\t${evidenceText(l.evidence)}\t${f(l.actor)}\n`;
    })(),
  );
  // Pairs of two new records cannot be there already; only pairs with an existing record need ON CONFLICT.
  phase('write links');
  // Pairs with an existing record may be there already.
  const withExisting: number[] = [];
  for (let k = 0; k < sugA.length; k++) if (withExistingOf(k)) withExisting.push(k);
  for (const part of chunks(withExisting, chunkSize)) {
    const pairs = part.map(orderedPair);
    await sql(
      `INSERT INTO match_suggestion (record_a, record_b, reason, score, evidence)
       SELECT x.a, x.b, x.reason, x.score, x.e::json
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::float8[], $5::text[]) AS x(a, b, reason, score, e)
       ON CONFLICT (record_a, record_b) DO NOTHING`,
      [
        pairs.map((p) => p[0]),
        pairs.map((p) => p[1]),
        part.map((k) => sugReason[k]),
        part.map((k) => sugScore(k)),
        part.map((k) => evidenceJson[sugEvidence[k]!]),
      ],
    );
  }
  phase('write suggestions');

  if (blockKeysEarly) {
    // Written early: only the records whose keys resolving worked out again are written again.
    const rewritten = [...keyOverride.keys()].filter((n) => !work[n]!.person.deleted);
    for (const part of chunks(rewritten, chunkSize))
      await sql(`DELETE FROM record_block_key WHERE source_record_id = ANY($1::uuid[])`, [
        part.map((n) => newRecs[n]!.id),
      ]);
    if (rewritten.length)
      await copyIn(
        callerSql,
        'record_block_key',
        ['source_record_id', 'key'],
        (function* () {
          for (const n of rewritten) for (const k of keysOf(n)) yield `${newRecs[n]!.id}\t${f(keyName(k))}\n`;
        })(),
      );
  } else {
    await copyIn(
      callerSql,
      'record_block_key',
      ['source_record_id', 'key'],
      (function* () {
        // Keys are distinct per record and the records are new: no conflict possible. Rows go in
        // key order, so the two indexes led by the key grow at their right edge instead of at
        // random pages.
        const byKey = new Map<number, number[]>();
        for (let n = 0; n < newRecs.length; n++) {
          const r = newRecs[n]!;
          if (deletedOf(r)) continue;
          for (const k of keysOf(n)) {
            const list = byKey.get(k);
            if (list) list.push(n);
            else byKey.set(k, [n]);
          }
        }
        const names = new Map([...byKey.keys()].map((k) => [k, keyName(k)]));
        const keys = [...byKey.keys()].sort((a, b) =>
          names.get(a)! < names.get(b)! ? -1 : names.get(a)! > names.get(b)! ? 1 : 0,
        );
        for (const k of keys) {
          const key = f(names.get(k));
          for (const n of byKey.get(k)!) yield `${newRecs[n]!.id}\t${key}\n`;
        }
      })(),
    );
  }
  phase('write block keys');

  // Existing customers merged by the run: the oldest survives, the others become redirects.
  const merges = [...retired.entries()].map(([survivor, ids]) => ({ survivor, retired: ids }));
  if (merges.length) {
    const from = merges.flatMap((m) => m.retired);
    const to = merges.flatMap((m) => m.retired.map(() => m.survivor));
    for (const table of ['source_record', 'interaction', 'conversation']) {
      await sql(
        `UPDATE ${table} x SET customer_id = m.survivor FROM unnest($1::uuid[], $2::uuid[]) AS m(retired, survivor) WHERE x.customer_id = m.retired`,
        [from, to],
      );
    }
    await sql(`UPDATE customer SET status = 'merged', updated_at = now() WHERE id = ANY($1::uuid[])`, [from]);
    await sql(
      `UPDATE customer_redirect x SET customer_id = m.survivor FROM unnest($1::uuid[], $2::uuid[]) AS m(retired, survivor) WHERE x.customer_id = m.retired`,
      [from, to],
    );
    await sql(
      `INSERT INTO customer_redirect (retired_id, customer_id, reason) SELECT * , 'merged' FROM unnest($1::uuid[], $2::uuid[])
       ON CONFLICT (retired_id) DO UPDATE SET customer_id = EXCLUDED.customer_id, reason = 'merged'`,
      [from, to],
    );
  }
  // Golden records of the existing customers that changed, recomputed from all their records.
  if (touchedExisting.size) await refreshGoldenSet(sql, [...touchedExisting], config);
  phase('write existing customers');

  await appendAudit(sql, {
    actor,
    action: 'identity.bulk_import',
    details: {
      records: report.records,
      inserted: report.inserted,
      updated: report.updated,
      skipped: report.skipped,
      customersCreated: report.customersCreated,
      customersTouched: report.customersTouched,
      links: report.links,
      suggestions: report.suggestions,
      quarantined: report.quarantined,
      systems: [...new Set(newRecs.map((r) => r.system))].sort(),
      merges: merges.slice(0, 1000),
      ...(merges.length > 1000 ? { mergesOmitted: merges.length - 1000 } : {}),
    },
  });
  for (const m of merges)
    await publishEvent(sql, { type: 'customer.merged', customerId: m.survivor, retiredIds: m.retired });
  phase('audit and events');

  await rebuildIndexes?.rebuild();
  report.indexesRebuilt = rebuildIndexes?.count ?? 0;
  phase('build indexes');

  // Fresh statistics for the tables just filled: without them the planner takes a big table for an
  // empty one, and the next import's block query ran 57 s instead of 0.2 s on top of 5k records.
  // The JSON columns (traits, payload, evidence) are left to autovacuum: no statement filters on
  // them, and sorting their sample was most of the time (match_suggestion.evidence alone 2.2 of
  // 4.9 s at 100k records).
  if (report.inserted >= 1000) {
    const columns = await sql<{ tbl: string; cols: string }>(
      `SELECT attrelid::regclass::text AS tbl, string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS cols
         FROM pg_attribute
        WHERE attrelid = ANY($1::regclass[]) AND attnum > 0 AND NOT attisdropped
          AND atttypid NOT IN ('json'::regtype, 'jsonb'::regtype)
        GROUP BY attrelid ORDER BY attrelid::regclass::text`,
      [[...LOADED_TABLES]],
    );
    await sql(`ANALYZE ${columns.map((c) => `${c.tbl} (${c.cols})`).join(', ')}`);
  }
  phase('analyze');
  return report;
}

function identOrder(i: Ident): number {
  return i.dbId !== null ? Number(i.dbId) : 1e15 + i.ordinal;
}

function addUnique(
  map: Map<number, Map<string, Set<string>>>,
  node: number,
  ns: string,
  value: string,
): void {
  let m = map.get(node);
  if (!m) map.set(node, (m = new Map()));
  let s = m.get(ns);
  if (!s) m.set(ns, (s = new Set()));
  s.add(value);
}

function validate(system: string, p: CanonicalPerson): string | null {
  if (typeof system !== 'string' || !system.trim()) return 'system must be a non-empty string';
  if (typeof p?.objectType !== 'string' || !p.objectType.trim())
    return 'person objectType must be a non-empty string';
  if (typeof p.externalId !== 'string' || !p.externalId.trim())
    return `${p.objectType} externalId must be a non-empty string`;
  if (!Array.isArray(p.identifiers)) return `${p.objectType} ${p.externalId}: identifiers must be a list`;
  if (p.updatedAt !== undefined && p.updatedAt !== null && p.updatedAt !== '' && toDate(p.updatedAt) === null)
    return `${p.objectType} ${p.externalId}: updatedAt is not a date`;
  return null;
}

/** The incremental refreshGolden, set-based: one query for the sources, one UPDATE per chunk. */
async function refreshGoldenSet(sql: Sql, customerIds: string[], config: IdentityConfig): Promise<void> {
  for (const part of chunks(customerIds, 5_000)) {
    const rows = await sql<{
      customerId: string;
      system: string | null;
      traits: Record<string, unknown> | null;
      sourceUpdatedAt: Date | null;
      deleted: boolean | null;
      emails: string[] | null;
      phones: string[] | null;
    }>(
      `SELECT sr.customer_id AS "customerId", sr.system, sr.traits, sr.source_updated_at AS "sourceUpdatedAt", sr.deleted,
              array_agg(i.value ORDER BY i.value) FILTER (WHERE i.kind = 'email' AND i.status = 'active') AS emails,
              array_agg(i.value ORDER BY i.value) FILTER (WHERE i.kind = 'phone') AS phones
         FROM source_record sr LEFT JOIN record_identifier ri ON ri.source_record_id = sr.id LEFT JOIN identifier i ON i.id = ri.identifier_id
        WHERE sr.customer_id = ANY($1::uuid[]) GROUP BY sr.id`,
      [part],
    );
    const byCustomer = new Map<string, typeof rows>();
    for (const r of rows) byCustomer.set(r.customerId, [...(byCustomer.get(r.customerId) ?? []), r]);
    const ids = part;
    const golden = ids.map((id) => {
      const sources = (byCustomer.get(id) ?? []).filter((s) => !s.deleted);
      return JSON.stringify(
        goldenRecord(
          sources.map((s) => ({
            system: s.system ?? '',
            sourceUpdatedAt: s.sourceUpdatedAt,
            traits: { ...(s.traits ?? {}), email: s.emails?.[0] ?? null, phone: s.phones?.[0] ?? null },
          })),
          config,
        ),
      );
    });
    const counts = ids.map((id) => byCustomer.get(id)?.length ?? 0);
    await sql(
      `UPDATE customer c SET traits = x.traits::jsonb, record_count = x.n, updated_at = now() FROM unnest($1::uuid[], $2::text[], $3::int[]) AS x(id, traits, n) WHERE c.id = x.id`,
      [ids, golden, counts],
    );
  }
}
