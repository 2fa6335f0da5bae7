import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795624361245 implements MigrationInterface {
  name = 'Initial1795624361245';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"audit_event\" (\"seq\" BIGSERIAL NOT NULL, \"occurred_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"actor\" text NOT NULL, \"role\" text, \"action\" text NOT NULL, \"customer_id\" uuid, \"purpose\" text, \"details\" jsonb NOT NULL DEFAULT '{}', \"prev_hash\" text, \"hash\" text, CONSTRAINT \"PK_53300da00860bdf4dc3ef7daae6\" PRIMARY KEY (\"seq\"))");
    await queryRunner.query("CREATE INDEX \"idx_audit_event_customer\" ON \"audit_event\"  (\"customer_id\", \"seq\") ");
    await queryRunner.query("CREATE TABLE \"suppression\" (\"hash\" text NOT NULL, \"kind\" text NOT NULL, \"reason\" text, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_b95af2141ddfca02a94bbcf3831\" PRIMARY KEY (\"hash\"))");
    await queryRunner.query("CREATE TABLE \"conversation\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"system\" text NOT NULL, \"external_id\" text NOT NULL, \"customer_id\" uuid, \"source_record_id\" uuid, \"channel\" text NOT NULL, \"status\" text NOT NULL DEFAULT 'open', \"subject\" text, \"assignee_employee_id\" uuid, \"opened_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"first_response_at\" TIMESTAMP WITH TIME ZONE, \"last_inbound_at\" TIMESTAMP WITH TIME ZONE, \"reply_window_ends_at\" TIMESTAMP WITH TIME ZONE, \"sla_due_at\" TIMESTAMP WITH TIME ZONE, \"source_updated_at\" TIMESTAMP WITH TIME ZONE, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"uq_conversation_key\" UNIQUE (\"system\", \"external_id\"), CONSTRAINT \"PK_864528ec4274360a40f66c29845\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"idx_conversation_customer\" ON \"conversation\"  (\"customer_id\") ");
    await queryRunner.query("CREATE TABLE \"customer\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"status\" text NOT NULL DEFAULT 'active', \"traits\" jsonb NOT NULL DEFAULT '{}', \"record_count\" integer NOT NULL DEFAULT '0', \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_a7a13f4cacb744524e44dfdad32\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"idx_customer_created_at\" ON \"customer\"  (\"created_at\") ");
    await queryRunner.query("CREATE TABLE \"customer_redirect\" (\"retired_id\" uuid NOT NULL, \"customer_id\" uuid NOT NULL, \"reason\" text NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_57050102538166933daebdb810d\" PRIMARY KEY (\"retired_id\"))");
    await queryRunner.query("CREATE INDEX \"idx_customer_redirect_customer\" ON \"customer_redirect\"  (\"customer_id\") ");
    await queryRunner.query("CREATE TABLE \"employee\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"system\" text NOT NULL, \"external_id\" text NOT NULL, \"display_name\" text NOT NULL, \"title\" text, \"department\" text, \"manager_external_id\" text, \"work_emails\" text array NOT NULL DEFAULT '{}', \"handles\" jsonb NOT NULL DEFAULT '{}', \"status\" text NOT NULL DEFAULT 'active', \"source_updated_at\" TIMESTAMP WITH TIME ZONE, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"uq_employee_key\" UNIQUE (\"system\", \"external_id\"), CONSTRAINT \"PK_3c2bc72f03fd5abbbc5ac169498\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"idx_employee_department\" ON \"employee\"  (\"department\") ");
    await queryRunner.query("CREATE TABLE \"identifier\" (\"id\" BIGSERIAL NOT NULL, \"kind\" text NOT NULL, \"namespace\" text NOT NULL DEFAULT '', \"value\" text NOT NULL, \"status\" text NOT NULL DEFAULT 'active', \"status_reason\" text, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"uq_identifier_key\" UNIQUE (\"kind\", \"namespace\", \"value\"), CONSTRAINT \"PK_d3d2abb5833f4695e48610f5b6b\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE TABLE \"record_identifier\" (\"source_record_id\" uuid NOT NULL, \"identifier_id\" bigint NOT NULL, \"raw_value\" text NOT NULL, \"normaliser_version\" integer NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_df5eb79aba77a50ab386c714dac\" PRIMARY KEY (\"source_record_id\", \"identifier_id\"))");
    await queryRunner.query("CREATE INDEX \"idx_record_identifier_identifier\" ON \"record_identifier\"  (\"identifier_id\") ");
    await queryRunner.query("CREATE TABLE \"identity_link\" (\"id\" BIGSERIAL NOT NULL, \"from_record_id\" uuid NOT NULL, \"to_record_id\" uuid NOT NULL, \"rule\" text NOT NULL, \"identifier_id\" bigint, \"score\" double precision, \"evidence\" jsonb NOT NULL DEFAULT '{}', \"actor\" text NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"retracted_at\" TIMESTAMP WITH TIME ZONE, \"retracted_by\" text, \"retract_reason\" text, CONSTRAINT \"PK_a452f26a31dc6f61d13a5f4cbaa\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"idx_identity_link_identifier\" ON \"identity_link\"  (\"identifier_id\") ");
    await queryRunner.query("CREATE INDEX \"idx_identity_link_to_live\" ON \"identity_link\"  (\"to_record_id\") WHERE retracted_at IS NULL");
    await queryRunner.query("CREATE INDEX \"idx_identity_link_from_live\" ON \"identity_link\"  (\"from_record_id\") WHERE retracted_at IS NULL");
    await queryRunner.query("CREATE TABLE \"inbox_event\" (\"id\" BIGSERIAL NOT NULL, \"connector_instance\" text NOT NULL, \"event_id\" text NOT NULL, \"event_type\" text, \"payload\" jsonb NOT NULL, \"status\" text NOT NULL DEFAULT 'pending', \"attempts\" integer NOT NULL DEFAULT '0', \"last_error\" text, \"received_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"applied_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"uq_inbox_event_key\" UNIQUE (\"connector_instance\", \"event_id\"), CONSTRAINT \"PK_9b85eb4cab41c7c6023b1e579d0\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"idx_inbox_event_status\" ON \"inbox_event\"  (\"status\", \"received_at\") ");
    await queryRunner.query("CREATE TABLE \"sync_state\" (\"connector_instance\" text NOT NULL, \"stream\" text NOT NULL, \"cursor\" jsonb, \"status\" text NOT NULL DEFAULT 'idle', \"records_synced\" bigint NOT NULL DEFAULT '0', \"last_started_at\" TIMESTAMP WITH TIME ZONE, \"last_success_at\" TIMESTAMP WITH TIME ZONE, \"last_error\" text, \"last_error_at\" TIMESTAMP WITH TIME ZONE, \"high_water_mark\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"PK_cad624a062e090ae69c65155694\" PRIMARY KEY (\"connector_instance\", \"stream\"))");
    await queryRunner.query("CREATE TABLE \"connector_token\" (\"instance_id\" text NOT NULL, \"access_token\" text, \"refresh_token\" text, \"expires_at\" TIMESTAMP WITH TIME ZONE, \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_d0467bbf064466d534843f84adb\" PRIMARY KEY (\"instance_id\"))");
    await queryRunner.query("CREATE TABLE \"interaction\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"system\" text NOT NULL, \"external_id\" text NOT NULL, \"customer_id\" uuid, \"source_record_id\" uuid, \"occurred_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"channel\" text NOT NULL, \"direction\" text NOT NULL, \"kind\" text NOT NULL, \"summary\" text, \"sentiment\" real, \"handled_by_employee_id\" uuid, \"conversation_id\" uuid, \"attributes\" jsonb NOT NULL DEFAULT '{}', \"source_updated_at\" TIMESTAMP WITH TIME ZONE, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"uq_interaction_key\" UNIQUE (\"system\", \"external_id\"), CONSTRAINT \"PK_9204371ccb2c9dab5428b406413\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"idx_interaction_source_record\" ON \"interaction\"  (\"source_record_id\") ");
    await queryRunner.query("CREATE INDEX \"idx_interaction_handled_by\" ON \"interaction\"  (\"handled_by_employee_id\") ");
    await queryRunner.query("CREATE INDEX \"idx_interaction_conversation\" ON \"interaction\"  (\"conversation_id\") ");
    await queryRunner.query("CREATE INDEX \"idx_interaction_customer_time\" ON \"interaction\"  (\"customer_id\", \"occurred_at\", \"id\") ");
    await queryRunner.query("CREATE TABLE \"source_record\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"system\" text NOT NULL, \"object_type\" text NOT NULL, \"external_id\" text NOT NULL, \"customer_id\" uuid, \"payload\" jsonb NOT NULL DEFAULT '{}', \"traits\" jsonb NOT NULL DEFAULT '{}', \"source_updated_at\" TIMESTAMP WITH TIME ZONE, \"deleted\" boolean NOT NULL DEFAULT false, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"uq_source_record_key\" UNIQUE (\"system\", \"object_type\", \"external_id\"), CONSTRAINT \"PK_23f4fc80099215aaafd658cb88b\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"idx_source_record_customer\" ON \"source_record\"  (\"customer_id\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"idx_source_record_customer\"");
    await queryRunner.query("DROP TABLE \"source_record\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_interaction_customer_time\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_interaction_conversation\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_interaction_handled_by\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_interaction_source_record\"");
    await queryRunner.query("DROP TABLE \"interaction\"");
    await queryRunner.query("DROP TABLE \"connector_token\"");
    await queryRunner.query("DROP TABLE \"sync_state\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_inbox_event_status\"");
    await queryRunner.query("DROP TABLE \"inbox_event\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_identity_link_from_live\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_identity_link_to_live\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_identity_link_identifier\"");
    await queryRunner.query("DROP TABLE \"identity_link\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_record_identifier_identifier\"");
    await queryRunner.query("DROP TABLE \"record_identifier\"");
    await queryRunner.query("DROP TABLE \"identifier\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_employee_department\"");
    await queryRunner.query("DROP TABLE \"employee\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_customer_redirect_customer\"");
    await queryRunner.query("DROP TABLE \"customer_redirect\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_customer_created_at\"");
    await queryRunner.query("DROP TABLE \"customer\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_conversation_customer\"");
    await queryRunner.query("DROP TABLE \"conversation\"");
    await queryRunner.query("DROP TABLE \"suppression\"");
    await queryRunner.query("DROP INDEX \"public\".\"idx_audit_event_customer\"");
    await queryRunner.query("DROP TABLE \"audit_event\"");
  }
}
