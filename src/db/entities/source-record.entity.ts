import { PrimaryColumn, Column, CreateDateColumn, Entity, Index, Unique, UpdateDateColumn } from 'typeorm';

/**
 * One object in one system (a HubSpot contact, a Stripe customer, an X user...). Never overwritten by
 * merges. Its key (system, object type, external id) compares byte by byte (COLLATE "C"); its unique
 * index leads with the external id, the most varied of the three (migration IdentityKeysValueFirst).
 */
@Entity({ name: 'source_record' })
@Unique('uq_source_record_key', ['externalId', 'system', 'objectType'])
export class SourceRecordEntity {
  @PrimaryColumn({ type: 'uuid', default: () => 'touchpoint_uuid_v7()' })
  id!: string;

  /** Connector instance id, e.g. `hubspot` or `zendesk-eu`. */
  @Column({ type: 'text', collation: 'C' })
  system!: string;

  @Column({ name: 'object_type', type: 'text', collation: 'C' })
  objectType!: string;

  @Column({ name: 'external_id', type: 'text', collation: 'C' })
  externalId!: string;

  @Index('idx_source_record_customer')
  @Column({ name: 'customer_id', type: 'uuid', nullable: true })
  customerId!: string | null;

  /** The customer this record first belonged to: unmerge gives the id back to its component. */
  @Column({ name: 'origin_customer_id', type: 'uuid', nullable: true })
  originCustomerId!: string | null;

  @Column({ type: 'jsonb', default: {} })
  payload!: Record<string, unknown>;

  /** Mapped traits (firstName, lastName, dob, city...) as this source states them. */
  @Column({ type: 'jsonb', default: {} })
  traits!: Record<string, unknown>;

  /** The source's own modification time: older updates never overwrite newer ones. */
  @Column({ name: 'source_updated_at', type: 'timestamptz', nullable: true })
  sourceUpdatedAt!: Date | null;

  @Column({ type: 'boolean', default: false })
  deleted!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
