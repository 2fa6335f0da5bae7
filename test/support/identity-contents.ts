import type { TestDatabase } from './db.js';

/**
 * What the identity tables hold, by natural keys (no generated ids): two graphs resolved from the
 * same records by two paths compare equal exactly when both paths decided the same.
 */
export async function identityContents(db: TestDatabase) {
  const q = async (text: string) => ((await db.dataSource.query(text)) as { r: string }[]).map((x) => x.r);
  const key = (alias: string) => `${alias}.system || ':' || ${alias}.external_id`;
  return {
    customers: await q(
      `SELECT (SELECT string_agg(${key('sr')}, ' ' ORDER BY sr.system, sr.external_id) FROM source_record sr WHERE sr.customer_id = c.id)
              || '|' || c.status || '|' || c.record_count || '|' || c.traits::text AS r
         FROM customer c ORDER BY 1`,
    ),
    identifiers: await q(
      `SELECT concat_ws('|', kind, namespace, value, status, status_reason) AS r FROM identifier ORDER BY 1`,
    ),
    edges: await q(
      `SELECT concat_ws('|', ${key('sr')}, i.kind, i.value, ri.raw_value, ri.normaliser_version) AS r
         FROM record_identifier ri JOIN source_record sr ON sr.id = ri.source_record_id JOIN identifier i ON i.id = ri.identifier_id
        ORDER BY 1`,
    ),
    blockKeys: await q(
      `SELECT ${key('sr')} || '|' || bk.key AS r FROM record_block_key bk JOIN source_record sr ON sr.id = bk.source_record_id ORDER BY 1`,
    ),
    // With the evidence a reader gets: the suggestion's own, or the shared one it names.
    suggestions: await q(
      `SELECT concat_ws('|', ${key('a')}, ${key('b')}, s.reason, s.score, coalesce(e.evidence, s.evidence)::text) AS r
         FROM match_suggestion s JOIN source_record a ON a.id = s.record_a JOIN source_record b ON b.id = s.record_b
         LEFT JOIN match_evidence e ON e.id = s.evidence_id ORDER BY 1`,
    ),
    links: await q(
      `SELECT concat_ws('|', ${key('a')}, ${key('b')}, l.rule, i.value, l.score) AS r
         FROM identity_link l JOIN source_record a ON a.id = l.from_record_id JOIN source_record b ON b.id = l.to_record_id
         LEFT JOIN identifier i ON i.id = l.identifier_id ORDER BY 1`,
    ),
  };
}
