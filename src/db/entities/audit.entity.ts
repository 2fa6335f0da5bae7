import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** Every change to the graph and every read of personal data; hash-chained (prev_hash → hash). */
@Entity({ name: 'audit_event' })
@Index('idx_audit_event_customer', ['customerId', 'seq'])
export class AuditEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq!: string;

  @CreateDateColumn({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ type: 'text' })
  actor!: string;

  @Column({ type: 'text', nullable: true })
  role!: string | null;

  /** e.g. customer.merged, customer.unmerged, customer.erased, customer.read */
  @Column({ type: 'text' })
  action!: string;

  @Column({ name: 'customer_id', type: 'uuid', nullable: true })
  customerId!: string | null;

  @Column({ type: 'text', nullable: true })
  purpose!: string | null;

  @Column({ type: 'jsonb', default: {} })
  details!: Record<string, unknown>;

  @Column({ name: 'prev_hash', type: 'text', nullable: true })
  prevHash!: string | null;

  @Column({ type: 'text', nullable: true })
  hash!: string | null;
}

/** Hashes of erased identifiers and source keys: a later sync or webhook must not bring the person back. */
@Entity({ name: 'suppression' })
export class SuppressionEntity {
  @PrimaryColumn({ type: 'text' })
  hash!: string;

  /** identifier | source_record */
  @Column({ type: 'text' })
  kind!: string;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
