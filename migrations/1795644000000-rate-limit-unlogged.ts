import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rate-limit buckets are UNLOGGED: every request of a key updates its bucket, and a logged update
 * made each request wait for a WAL flush (16 to 50 ms at p99 on the 2-core bench machine). A bucket
 * is worth nothing after a crash of the database server: Postgres empties an unlogged table then,
 * which only gives every key a full bucket again.
 */
export class RateLimitUnlogged1795644000000 implements MigrationInterface {
  name = 'RateLimitUnlogged1795644000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "rate_limit_bucket" SET UNLOGGED`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "rate_limit_bucket" SET LOGGED`);
  }
}
