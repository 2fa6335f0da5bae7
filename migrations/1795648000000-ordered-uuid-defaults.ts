import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables whose uuid primary key Postgres fills in when a row is inserted without one. */
const TABLES = ['customer', 'source_record', 'interaction', 'conversation', 'employee'];

/**
 * New customers, source records, interactions, conversations and employees get UUIDs in the
 * version 7 layout (RFC 9562: 48 bits of the clock in milliseconds, then random bits) from
 * `touchpoint_uuid_v7()`, instead of `gen_random_uuid()`'s version 4. Ids made later sort later, so
 * the indexes that start with these ids (primary keys, record identifiers, blocking keys, a
 * customer's records) take new rows at their right edge: one warm page instead of a random page
 * per row, and after each checkpoint one full-page image in the WAL instead of one per row touched.
 * The bulk import already made its ids this way (bulk-resolve.ts, orderedUuids). Ids stay opaque
 * and unguessable (74 random bits); they show when the row was made, as created_at does.
 * Existing ids are kept.
 */
export class OrderedUuidDefaults1795648000000 implements MigrationInterface {
  name = 'OrderedUuidDefaults1795648000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A version 4 UUID with its first 48 bits replaced by the clock and its version nibble made 7.
    await queryRunner.query(`CREATE FUNCTION touchpoint_uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
      SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
               PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6),
             52, 1), 53, 1), 'hex')::uuid
    $$`);
    for (const table of TABLES)
      await queryRunner.query(`ALTER TABLE "${table}" ALTER COLUMN "id" SET DEFAULT touchpoint_uuid_v7()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of TABLES)
      await queryRunner.query(`ALTER TABLE "${table}" ALTER COLUMN "id" SET DEFAULT gen_random_uuid()`);
    await queryRunner.query(`DROP FUNCTION touchpoint_uuid_v7()`);
  }
}
