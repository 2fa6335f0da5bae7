import type { MigrationInterface, QueryRunner } from 'typeorm';

export class LiveFieldCache1795628146701 implements MigrationInterface {
  name = 'LiveFieldCache1795628146701';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"live_field_cache\" (\"connector_instance\" text NOT NULL, \"field\" text NOT NULL, \"external_id\" text NOT NULL, \"value\" jsonb NOT NULL, \"fetched_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"PK_2901f80d1003995dcc8a1135109\" PRIMARY KEY (\"connector_instance\", \"field\", \"external_id\"))");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP TABLE \"live_field_cache\"");
  }
}
