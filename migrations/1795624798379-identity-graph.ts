import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IdentityGraph1795624798379 implements MigrationInterface {
  name = 'IdentityGraph1795624798379';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"identity_separation\" (\"customer_a\" uuid NOT NULL, \"customer_b\" uuid NOT NULL, \"actor\" text NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_01144fedb4095f6d2d80e252231\" PRIMARY KEY (\"customer_a\", \"customer_b\"))");
    await queryRunner.query("CREATE TABLE \"match_suggestion\" (\"id\" BIGSERIAL NOT NULL, \"record_a\" uuid NOT NULL, \"record_b\" uuid NOT NULL, \"reason\" text NOT NULL, \"score\" double precision, \"evidence\" jsonb NOT NULL DEFAULT '{}', \"status\" text NOT NULL DEFAULT 'pending', \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"decided_at\" TIMESTAMP WITH TIME ZONE, \"decided_by\" text, CONSTRAINT \"PK_ab739f4c463ccfd183b57ff210a\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"idx_match_suggestion_status\" ON \"match_suggestion\"  (\"status\", \"score\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_match_suggestion_pair\" ON \"match_suggestion\"  (\"record_a\", \"record_b\") ");
    await queryRunner.query("CREATE TABLE \"record_block_key\" (\"source_record_id\" uuid NOT NULL, \"key\" text NOT NULL, CONSTRAINT \"PK_f6d56e3b8eedcd8cac3ffac94d8\" PRIMARY KEY (\"source_record_id\", \"key\"))");
    await queryRunner.query("CREATE INDEX \"idx_record_block_key_key\" ON \"record_block_key\"  (\"key\") ");
    await queryRunner.query("ALTER TABLE \"source_record\" ADD \"origin_customer_id\" uuid");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"source_record\" DROP COLUMN \"origin_customer_id\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_record_block_key_key\"");
    await queryRunner.query("DROP TABLE \"record_block_key\"");
    await queryRunner.query("DROP INDEX \"public\".\"uq_match_suggestion_pair\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_match_suggestion_status\"");
    await queryRunner.query("DROP TABLE \"match_suggestion\"");
    await queryRunner.query("DROP TABLE \"identity_separation\"");
  }
}
