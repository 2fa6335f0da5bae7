import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';

export type IdentifierStatus = 'active' | 'blocked' | 'quarantined';

/**
 * A normalised identifier value: (kind, namespace, value) is unique; records point to it. The three
 * compare byte by byte (COLLATE "C", see migration IdentityKeysCCollation); the unique index leads
 * with the value, the most varied of the three (migration IdentityKeysValueFirst).
 */
@Entity({ name: 'identifier' })
@Unique('uq_identifier_key', ['value', 'kind', 'namespace'])
export class IdentifierEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  /** email | phone | social | external */
  @Column({ type: 'text', collation: 'C' })
  kind!: string;

  /** '' for email and phone; platform[:scope] for social; system:object for external. */
  @Column({ type: 'text', default: '', collation: 'C' })
  namespace!: string;

  @Column({ type: 'text', collation: 'C' })
  value!: string;

  /** active links; blocked (configured or role address) and quarantined (trip-wire) never auto-link. */
  @Column({ type: 'text', default: 'active' })
  status!: IdentifierStatus;

  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** The edge record → identifier, keeping the raw value as the source wrote it. */
@Entity({ name: 'record_identifier' })
export class RecordIdentifierEntity {
  @PrimaryColumn({ name: 'source_record_id', type: 'uuid' })
  sourceRecordId!: string;

  @Index('idx_record_identifier_identifier')
  @PrimaryColumn({ name: 'identifier_id', type: 'bigint' })
  identifierId!: string;

  @Column({ name: 'raw_value', type: 'text' })
  rawValue!: string;

  @Column({ name: 'normaliser_version', type: 'integer' })
  normaliserVersion!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
