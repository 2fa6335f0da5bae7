import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ScreenPopIndexes1795641000000 implements MigrationInterface {
  name = 'ScreenPopIndexes1795641000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE INDEX \"idx_interaction_customer_handled\" ON \"interaction\"  (\"customer_id\", \"occurred_at\") WHERE \"handled_by_employee_id\" IS NOT NULL");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"idx_interaction_customer_handled\"");
  }
}
