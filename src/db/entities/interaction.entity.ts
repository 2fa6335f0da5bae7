import { PrimaryColumn, Column, CreateDateColumn, Entity, Index, Unique } from 'typeorm';

export type InteractionDirection = 'inbound' | 'outbound' | 'internal';

/** One touch in any system: a call, a ticket comment, a post, a DM, an invoice, a payment, a note. */
@Entity({ name: 'interaction' })
@Unique('uq_interaction_key', ['system', 'externalId'])
@Index('idx_interaction_customer_time', ['customerId', 'occurredAt', 'id'])
/** screenPop's last employee: the newest handled interaction of a customer, without walking unhandled ones. */
@Index('idx_interaction_customer_handled', ['customerId', 'occurredAt'], { where: '"handled_by_employee_id" IS NOT NULL' })
export class InteractionEntity {
  @PrimaryColumn({ type: 'uuid', default: () => 'touchpoint_uuid_v7()' })
  id!: string;

  @Column({ type: 'text' })
  system!: string;

  @Column({ name: 'external_id', type: 'text' })
  externalId!: string;

  @Column({ name: 'customer_id', type: 'uuid', nullable: true })
  customerId!: string | null;

  /** The source record of the person this touch belongs to (the customer follows the record). */
  @Index('idx_interaction_source_record')
  @Column({ name: 'source_record_id', type: 'uuid', nullable: true })
  sourceRecordId!: string | null;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  /** voice | email | chat | sms | social_public | social_private | web | billing | crm */
  @Column({ type: 'text' })
  channel!: string;

  @Column({ type: 'text' })
  direction!: InteractionDirection;

  /** call | ticket | comment | post | message | invoice | payment | note | deal ... */
  @Column({ type: 'text' })
  kind!: string;

  @Column({ type: 'text', nullable: true })
  summary!: string | null;

  /** -1 (negative) .. 1 (positive), where the channel carries text. */
  @Column({ type: 'real', nullable: true })
  sentiment!: number | null;

  @Index('idx_interaction_handled_by')
  @Column({ name: 'handled_by_employee_id', type: 'uuid', nullable: true })
  handledByEmployeeId!: string | null;

  @Index('idx_interaction_conversation')
  @Column({ name: 'conversation_id', type: 'uuid', nullable: true })
  conversationId!: string | null;

  /** Source-specific attributes worth keeping (status, amount, duration...). */
  @Column({ type: 'jsonb', default: {} })
  attributes!: Record<string, unknown>;

  @Column({ name: 'source_updated_at', type: 'timestamptz', nullable: true })
  sourceUpdatedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
