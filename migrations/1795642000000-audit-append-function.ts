import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `audit_append(events, async)`: appends a batch of audit events to the hash chain in ONE statement
 * (one round trip) instead of a transaction of five. It takes the chain's advisory lock, reads the
 * head in a fresh snapshot (a volatile function sees what committed before the lock was granted),
 * and writes each row with the same SHA-256 hash the app's verify recomputes (`auditHash`): the app
 * sends each event's canonical JSON in three parts around its `occurredAt` and `seq`, which only the
 * database knows. With `async` true the transaction commits without waiting for its WAL flush
 * (`synchronous_commit = off` for that transaction only): used for read audits when
 * READ_AUDIT_COMMIT=async.
 */
export class AuditAppendFunction1795642000000 implements MigrationInterface {
  name = 'AuditAppendFunction1795642000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE FUNCTION audit_append(p_events jsonb, p_async boolean) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  prev text;
  at timestamptz;
  iso text;
  e jsonb;
  s bigint;
  h text;
  n integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(7301001);
  IF p_async THEN
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
  SELECT hash INTO prev FROM audit_event ORDER BY seq DESC LIMIT 1;
  at := date_trunc('milliseconds', clock_timestamp());
  iso := to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
  FOR e IN SELECT value FROM jsonb_array_elements(p_events) LOOP
    s := nextval(pg_get_serial_sequence('audit_event', 'seq'));
    h := encode(sha256(convert_to(coalesce(prev, 'genesis') || E'\\n' || (e->>'p0') || '"' || iso || '"' || (e->>'p1') || '"' || s::text || '"' || (e->>'p2'), 'UTF8')), 'hex');
    INSERT INTO audit_event (seq, occurred_at, actor, role, action, customer_id, purpose, details, prev_hash, hash)
    VALUES (s, at, e->>'actor', e->>'role', e->>'action', (e->>'customerId')::uuid, e->>'purpose', coalesce(e->'details', '{}'::jsonb), prev, h);
    prev := h;
    n := n + 1;
  END LOOP;
  RETURN n;
END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION IF EXISTS audit_append(jsonb, boolean)`);
  }
}
