import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';

export type InboxStatus = 'pending' | 'applied' | 'failed' | 'dead' | 'suppressed';

/** A webhook event as received, stored with its job in one transaction before the 2xx. */
@Entity({ name: 'inbox_event' })
@Unique('uq_inbox_event_key', ['connectorInstance', 'eventId'])
@Index('idx_inbox_event_status', ['status', 'receivedAt'])
// The worker's claim (due rows in arrival order, LIMIT): an index scan that stops at the limit,
// whatever the backlog or the number of settled rows.
@Index('idx_inbox_event_due', ['receivedAt', 'id'], { where: `"status" IN ('pending', 'failed')` })
export class InboxEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'connector_instance', type: 'text' })
  connectorInstance!: string;

  @Column({ name: 'event_id', type: 'text' })
  eventId!: string;

  @Column({ name: 'event_type', type: 'text', nullable: true })
  eventType!: string | null;

  @Column({ type: 'jsonb' })
  payload!: unknown;

  @Column({ type: 'text', default: 'pending' })
  status!: InboxStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;

  @Column({ name: 'applied_at', type: 'timestamptz', nullable: true })
  appliedAt!: Date | null;
}

/** Per connector instance and stream: the saved cursor and the health of the last runs. */
@Entity({ name: 'sync_state' })
export class SyncStateEntity {
  @PrimaryColumn({ name: 'connector_instance', type: 'text' })
  connectorInstance!: string;

  @PrimaryColumn({ type: 'text' })
  stream!: string;

  @Column({ type: 'jsonb', nullable: true })
  cursor!: unknown;

  @Column({ type: 'text', default: 'idle' })
  status!: string;

  @Column({ name: 'records_synced', type: 'bigint', default: 0 })
  recordsSynced!: string;

  @Column({ name: 'last_started_at', type: 'timestamptz', nullable: true })
  lastStartedAt!: Date | null;

  @Column({ name: 'last_success_at', type: 'timestamptz', nullable: true })
  lastSuccessAt!: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'last_error_at', type: 'timestamptz', nullable: true })
  lastErrorAt!: Date | null;

  /** Source time of the newest object applied: lag = now - this. */
  @Column({ name: 'high_water_mark', type: 'timestamptz', nullable: true })
  highWaterMark!: Date | null;
}

/** OAuth2 tokens per connector instance; refreshed under a row lock so only one process refreshes. */
@Entity({ name: 'connector_token' })
export class ConnectorTokenEntity {
  @PrimaryColumn({ name: 'instance_id', type: 'text' })
  instanceId!: string;

  @Column({ name: 'access_token', type: 'text', nullable: true })
  accessToken!: string | null;

  @Column({ name: 'refresh_token', type: 'text', nullable: true })
  refreshToken!: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
