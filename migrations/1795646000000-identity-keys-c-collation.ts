import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Identifier keys (kind, namespace, value) and source-record keys (system, object type, external id)
 * compare byte by byte (COLLATE "C"), as the blocking keys do since BlockKeyCCollation. They are
 * matched for equality, which every deterministic collation answers alike; ordered, byte order is
 * code-point order, which is what a database created with the C.UTF-8 locale gave already and what
 * the bulk import's own sorting gives. Under a linguistic collation every comparison goes through
 * strcoll without abbreviated keys: building the unique index on identifiers was the slowest index
 * of a bulk import (7.1 s of 27 at 1M records), and every lookup pays it too. The ALTERs rebuild
 * the indexes on these columns; the rows stay as they are.
 */
export class IdentityKeysCCollation1795646000000 implements MigrationInterface {
  name = 'IdentityKeysCCollation1795646000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "identifier" ALTER COLUMN "kind" TYPE text COLLATE "C", ALTER COLUMN "namespace" TYPE text COLLATE "C", ALTER COLUMN "value" TYPE text COLLATE "C"`,
    );
    await queryRunner.query(
      `ALTER TABLE "source_record" ALTER COLUMN "system" TYPE text COLLATE "C", ALTER COLUMN "object_type" TYPE text COLLATE "C", ALTER COLUMN "external_id" TYPE text COLLATE "C"`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "source_record" ALTER COLUMN "system" TYPE text COLLATE "default", ALTER COLUMN "object_type" TYPE text COLLATE "default", ALTER COLUMN "external_id" TYPE text COLLATE "default"`,
    );
    await queryRunner.query(
      `ALTER TABLE "identifier" ALTER COLUMN "kind" TYPE text COLLATE "default", ALTER COLUMN "namespace" TYPE text COLLATE "default", ALTER COLUMN "value" TYPE text COLLATE "default"`,
    );
  }
}
