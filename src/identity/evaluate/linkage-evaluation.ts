import crypto from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../db/data-source.js';
import type { IdentityConfig } from '../identity.config.js';
import { IdentityResolver } from '../identity-resolver.service.js';
import { connectedComponents, evaluateClusters, type ClusterEvaluation } from '../matching/index.js';
import type { LabelledRecord } from './labelled-csv.js';

export const EVALUATION_SYSTEM = 'evaluation';

export interface LinkageReport {
  records: number;
  trueClusters: number;
  /** Pairwise figures of the customers the resolver formed (auto-links only). */
  precision: number;
  recall: number;
  f1: number;
  clusters: number;
  /** The same with every pending suggestion counted as a link. */
  precision_with_suggestions: number;
  recall_with_suggestions: number;
  f1_with_suggestions: number;
  clusters_with_suggestions: number;
  pendingSuggestions: number;
  skipped: number;
  seconds: number;
}

/**
 * Applies labelled records through IdentityResolver.applyPerson (the production write path) on
 * an empty, migrated database and compares the resulting customers with the truth.
 */
export async function evaluateLinkage(
  ds: DataSource,
  records: readonly LabelledRecord[],
  config: Partial<IdentityConfig> = {},
): Promise<LinkageReport> {
  const started = process.hrtime.bigint();
  const resolver = new IdentityResolver(ds, config);
  let skipped = 0;
  for (const r of records) {
    const res = await resolver.applyPerson(EVALUATION_SYSTEM, r.person);
    if (res.skipped) skipped++;
  }
  const rows: { id: string; externalId: string; customerId: string }[] = await ds.query(
    `SELECT id, external_id AS "externalId", customer_id AS "customerId" FROM source_record WHERE system = $1`,
    [EVALUATION_SYSTEM],
  );
  const suggestions: { a: string; b: string }[] = await ds.query(
    `SELECT record_a AS a, record_b AS b FROM match_suggestion WHERE status = 'pending'`,
  );
  const truth = new Map(records.map((r) => [r.person.externalId, r.truth]));
  const auto = evaluateClusters(new Map(rows.map((r) => [r.externalId, r.customerId])), truth);

  // Suggestions as extra edges on top of the customers: components over both.
  const index = new Map(rows.map((r, i) => [r.id, i]));
  const edges: Array<[number, number]> = [];
  const firstOfCustomer = new Map<string, number>();
  rows.forEach((r, i) => {
    const f = firstOfCustomer.get(r.customerId);
    if (f === undefined) firstOfCustomer.set(r.customerId, i);
    else edges.push([f, i]);
  });
  for (const s of suggestions) {
    const a = index.get(s.a);
    const b = index.get(s.b);
    if (a !== undefined && b !== undefined) edges.push([a, b]);
  }
  const comp = connectedComponents(rows.length, edges);
  const withSuggestions = evaluateClusters(new Map(rows.map((r, i) => [r.externalId, comp[i]])), truth);
  return report(
    auto,
    withSuggestions,
    suggestions.length,
    skipped,
    Number(process.hrtime.bigint() - started) / 1e9,
  );
}

function report(
  auto: ClusterEvaluation,
  all: ClusterEvaluation,
  pending: number,
  skipped: number,
  seconds: number,
): LinkageReport {
  const r4 = (x: number) => Math.round(x * 10000) / 10000;
  return {
    records: auto.records,
    trueClusters: auto.trueClusters,
    precision: r4(auto.precision),
    recall: r4(auto.recall),
    f1: r4(auto.f1),
    clusters: auto.predictedClusters,
    precision_with_suggestions: r4(all.precision),
    recall_with_suggestions: r4(all.recall),
    f1_with_suggestions: r4(all.f1),
    clusters_with_suggestions: all.predictedClusters,
    pendingSuggestions: pending,
    skipped,
    seconds: Math.round(seconds * 10) / 10,
  };
}

/**
 * Runs `work` on a new database created on the server of `serverUrl`, with the real migrations,
 * and drops it afterwards (also on failure).
 */
export async function withScratchDatabase<T>(
  serverUrl: string,
  work: (ds: DataSource) => Promise<T>,
  options: { poolMax?: number } = {},
): Promise<T> {
  const name = `tp_scratch_${crypto.randomBytes(6).toString('hex')}`;
  const admin = async (text: string) => {
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const ds = createDataSource({
    url: url.toString(),
    poolMax: options.poolMax ?? 4,
    applicationName: 'touchpoint-scratch',
  });
  try {
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    return await work(ds);
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}
