import { PrimaryColumn, Column, CreateDateColumn, Entity, Index, Unique, UpdateDateColumn } from 'typeorm';

/** A thread on one channel (a ticket, a DM thread, a call with follow-ups). */
@Entity({ name: 'conversation' })
@Unique('uq_conversation_key', ['system', 'externalId'])
export class ConversationEntity {
  @PrimaryColumn({ type: 'uuid', default: () => 'touchpoint_uuid_v7()' })
  id!: string;

  @Column({ type: 'text' })
  system!: string;

  @Column({ name: 'external_id', type: 'text' })
  externalId!: string;

  @Index('idx_conversation_customer')
  @Column({ name: 'customer_id', type: 'uuid', nullable: true })
  customerId!: string | null;

  @Column({ name: 'source_record_id', type: 'uuid', nullable: true })
  sourceRecordId!: string | null;

  @Column({ type: 'text' })
  channel!: string;

  /** open | pending | solved | closed */
  @Column({ type: 'text', default: 'open' })
  status!: string;

  @Column({ type: 'text', nullable: true })
  subject!: string | null;

  @Column({ name: 'assignee_employee_id', type: 'uuid', nullable: true })
  assigneeEmployeeId!: string | null;

  @Column({ name: 'opened_at', type: 'timestamptz' })
  openedAt!: Date;

  @Column({ name: 'first_response_at', type: 'timestamptz', nullable: true })
  firstResponseAt!: Date | null;

  @Column({ name: 'last_inbound_at', type: 'timestamptz', nullable: true })
  lastInboundAt!: Date | null;

  /** When the platform's reply window closes (e.g. Meta: 24 h standard, 7 days human-agent tag). */
  @Column({ name: 'reply_window_ends_at', type: 'timestamptz', nullable: true })
  replyWindowEndsAt!: Date | null;

  @Column({ name: 'sla_due_at', type: 'timestamptz', nullable: true })
  slaDueAt!: Date | null;

  @Column({ name: 'source_updated_at', type: 'timestamptz', nullable: true })
  sourceUpdatedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
