import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The records of a block come from the index alone (an index-only scan), not one heap page per member. */
export class BlockKeyCoveringIndex1795643860345 implements MigrationInterface {
  name = 'BlockKeyCoveringIndex1795643860345';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"idx_record_block_key_key\"");
    await queryRunner.query("CREATE INDEX \"idx_record_block_key_key_record\" ON \"record_block_key\"  (\"key\", \"source_record_id\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"idx_record_block_key_key_record\"");
    await queryRunner.query("CREATE INDEX \"idx_record_block_key_key\" ON \"record_block_key\" USING btree (\"key\") ");
  }
}
