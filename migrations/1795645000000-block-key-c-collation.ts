import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Blocking keys compare byte by byte (COLLATE "C"): they are only ever matched for equality, which
 * every deterministic collation answers the same way, but sorting them under the database's
 * linguistic collation (strcoll, without abbreviated keys) made the two indexes led or ended by
 * the key the slowest part of building a bulk import's indexes. Only the indexes are rebuilt; the
 * rows stay as they are.
 */
export class BlockKeyCCollation1795645000000 implements MigrationInterface {
  name = 'BlockKeyCCollation1795645000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "record_block_key" ALTER COLUMN "key" TYPE text COLLATE "C"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "record_block_key" ALTER COLUMN "key" TYPE text COLLATE "default"`);
  }
}
