import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InboxDueIndex1795640000000 implements MigrationInterface {
  name = 'InboxDueIndex1795640000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE INDEX "idx_inbox_event_due" ON "inbox_event"  ("received_at", "id") WHERE "status" IN (\'pending\', \'failed\')',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."idx_inbox_event_due"');
  }
}
