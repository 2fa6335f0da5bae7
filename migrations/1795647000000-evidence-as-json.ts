import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The evidence of links and suggestions is kept as `json` (the text as written, checked to be JSON)
 * instead of `jsonb`. It is written once, read whole (explain, the suggestions queue, accepting a
 * suggestion) and never searched inside or compared, so jsonb's parsed form bought nothing, and
 * building it was most of the cost of writing these rows: copying 1M suggestions' evidence (~0.5 KB
 * each) into an unlogged table took 12.5–14.0 s as jsonb and 4.2–5.0 s as json on Postgres 15 here.
 * Existing values are converted (`jsonb::json` prints them as jsonb stored them).
 */
export class EvidenceAsJson1795647000000 implements MigrationInterface {
  name = 'EvidenceAsJson1795647000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await evidenceType(queryRunner, ['identity_link', 'match_suggestion'], 'json');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await evidenceType(queryRunner, ['match_suggestion', 'identity_link'], 'jsonb');
  }
}

/** Sets the evidence column of `tables` to `type`, converting the values and keeping the default. */
async function evidenceType(
  queryRunner: QueryRunner,
  tables: string[],
  type: 'json' | 'jsonb',
): Promise<void> {
  for (const table of tables) {
    await queryRunner.query(`ALTER TABLE "${table}" ALTER COLUMN "evidence" DROP DEFAULT`);
    await queryRunner.query(
      `ALTER TABLE "${table}" ALTER COLUMN "evidence" TYPE ${type} USING "evidence"::${type}`,
    );
    await queryRunner.query(`ALTER TABLE "${table}" ALTER COLUMN "evidence" SET DEFAULT '{}'`);
  }
}
