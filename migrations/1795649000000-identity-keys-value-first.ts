import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The unique keys of identifiers and source records lead with their most varied column:
 * `identifier (value, kind, namespace)` instead of `(kind, namespace, value)`, and
 * `source_record (external_id, system, object_type)` instead of `(system, object_type, external_id)`.
 * Every query matches all three columns for equality (and ON CONFLICT names the same set), which an
 * index answers in any column order. Sorting for an index build compares the first column through an
 * 8-byte abbreviated key: with a kind ("email", "phone") or a system name first nearly every
 * comparison tied there and went on to full comparisons of all three. Building the identifier key
 * took 4.63 s of a 1M-record bulk import's 19.6 s of index builds; on 1.5M generated identifiers
 * on Postgres 15 here, 1.71 s the old way round and 0.77 s this way.
 */
export class IdentityKeysValueFirst1795649000000 implements MigrationInterface {
  name = 'IdentityKeysValueFirst1795649000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await rekey(queryRunner, 'identifier', 'uq_identifier_key', ['value', 'kind', 'namespace']);
    await rekey(queryRunner, 'source_record', 'uq_source_record_key', [
      'external_id',
      'system',
      'object_type',
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await rekey(queryRunner, 'source_record', 'uq_source_record_key', [
      'system',
      'object_type',
      'external_id',
    ]);
    await rekey(queryRunner, 'identifier', 'uq_identifier_key', ['kind', 'namespace', 'value']);
  }
}

/** Replaces the unique constraint `name` of `table` by one on `columns`, in one statement. */
async function rekey(
  queryRunner: QueryRunner,
  table: string,
  name: string,
  columns: string[],
): Promise<void> {
  await queryRunner.query(
    `ALTER TABLE "${table}" DROP CONSTRAINT "${name}", ADD CONSTRAINT "${name}" UNIQUE (${columns.map((c) => `"${c}"`).join(', ')})`,
  );
}
