import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Security: hashed API keys, per-key rate-limit buckets, and an append-only audit log (a trigger
 * refuses UPDATE, DELETE and TRUNCATE on audit_event for everyone, and the application role
 * `touchpoint_app`, where it exists, loses those privileges as well).
 */
export class Security1795625844531 implements MigrationInterface {
  name = 'Security1795625844531';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "api_key" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "role" text NOT NULL, "key_hash" text NOT NULL, "key_hint" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "uq_api_key_hash" UNIQUE ("key_hash"), CONSTRAINT "PK_api_key" PRIMARY KEY ("id"), CONSTRAINT "chk_api_key_role" CHECK ("role" IN ('agent', 'supervisor', 'analyst', 'integrator', 'admin')))`);
    await queryRunner.query(`CREATE TABLE "rate_limit_bucket" ("key" text NOT NULL, "tokens" double precision NOT NULL, "last_ok" boolean NOT NULL DEFAULT true, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_rate_limit_bucket" PRIMARY KEY ("key"))`);
    await queryRunner.query(`CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$`);
    await queryRunner.query(`CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON "audit_event" FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()`);
    await queryRunner.query(`CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON "audit_event" FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()`);
    await queryRunner.query(`REVOKE UPDATE, DELETE, TRUNCATE ON "audit_event" FROM PUBLIC`);
    await queryRunner.query(`DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'touchpoint_app') THEN
    REVOKE UPDATE, DELETE, TRUNCATE ON "audit_event" FROM touchpoint_app;
  END IF;
END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER IF EXISTS audit_event_no_truncate ON "audit_event"`);
    await queryRunner.query(`DROP TRIGGER IF EXISTS audit_event_no_update_delete ON "audit_event"`);
    await queryRunner.query(`DROP FUNCTION IF EXISTS audit_event_append_only()`);
    await queryRunner.query(`DROP TABLE "rate_limit_bucket"`);
    await queryRunner.query(`DROP TABLE "api_key"`);
  }
}
