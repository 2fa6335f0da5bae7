import type { DataSource } from 'typeorm';
import { rowsOf } from './rows.js';

/**
 * The strings that identify a person in stored payloads: identifier values as normalised and as
 * the sources wrote them, and source-record external ids. Collected before erasure deletes them.
 */
export async function erasureTerms(ds: DataSource, customerId: string): Promise<string[]> {
  const rows: { term: string }[] = await ds.query(
    `WITH target AS (
       SELECT c.id FROM customer c WHERE c.id::text = $1
       UNION SELECT r.customer_id FROM customer_redirect r WHERE r.retired_id::text = $1)
     SELECT DISTINCT i.value AS term FROM source_record sr
       JOIN record_identifier ri ON ri.source_record_id = sr.id JOIN identifier i ON i.id = ri.identifier_id
      WHERE sr.customer_id IN (SELECT id FROM target)
     UNION SELECT DISTINCT ri.raw_value FROM source_record sr JOIN record_identifier ri ON ri.source_record_id = sr.id
      WHERE sr.customer_id IN (SELECT id FROM target)
     UNION SELECT DISTINCT sr.external_id FROM source_record sr WHERE sr.customer_id IN (SELECT id FROM target)`,
    [customerId],
  );
  // Very short terms (an external id "7") would match unrelated payloads: keep distinctive ones.
  return [...new Set(rows.map((r) => r.term).filter((t) => typeof t === 'string' && t.trim().length >= 4))];
}

/**
 * Scrubs inbox and dead-letter payloads that mention an erased person: the payload is replaced by
 * a marker and the error text cleared (it may quote the payload). Matching is on the JSON text,
 * case-insensitive, so a value nested anywhere in a vendor's payload is found.
 */
export async function scrubErasedPayloads(ds: DataSource, terms: string[]): Promise<number> {
  if (!terms.length) return 0;
  const patterns = terms.map((t) => `%${t.toLowerCase().replace(/[%_\\]/g, (m) => `\\${m}`)}%`);
  const rows = rowsOf(
    await ds.query(
      `UPDATE inbox_event SET payload = jsonb_build_object('erased', true), last_error = CASE WHEN last_error IS NULL THEN NULL ELSE 'scrubbed: the person was erased' END
      WHERE lower(payload::text) LIKE ANY($1::text[]) OR lower(coalesce(last_error, '')) LIKE ANY($1::text[])
      RETURNING id`,
      [patterns],
    ),
  );
  return rows.length;
}
