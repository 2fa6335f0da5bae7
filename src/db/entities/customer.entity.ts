import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type CustomerStatus = 'active' | 'erased';

/** A connected component of linked source records. Its id never changes while it lives. */
@Entity({ name: 'customer' })
export class CustomerEntity {
  @PrimaryColumn({ type: 'uuid', default: () => 'touchpoint_uuid_v7()' })
  id!: string;

  @Column({ type: 'text', default: 'active' })
  status!: CustomerStatus;

  /** Golden record: trait name → { value, source, observedAt, rule }. Derived from source records. */
  @Column({ type: 'jsonb', default: {} })
  traits!: Record<string, unknown>;

  @Column({ name: 'record_count', type: 'integer', default: 0 })
  recordCount!: number;

  @Index('idx_customer_created_at')
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** A retired customer id (merged away) that still answers by pointing at its survivor. */
@Entity({ name: 'customer_redirect' })
export class CustomerRedirectEntity {
  @PrimaryColumn({ name: 'retired_id', type: 'uuid' })
  retiredId!: string;

  @Index('idx_customer_redirect_customer')
  @Column({ name: 'customer_id', type: 'uuid' })
  customerId!: string;

  @Column({ type: 'text' })
  reason!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
