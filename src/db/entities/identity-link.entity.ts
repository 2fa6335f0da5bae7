import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Evidence for a link: why two records are the same person. */
export interface LinkEvidence {
  /** Identifier values matched, as `kind:namespace:value` keys (normalised). */
  matched?: string[];
  /** For probabilistic links: per-field comparison levels and weights. */
  comparisons?: { field: string; level: string; weight: number }[];
  source?: string;
  note?: string;
  suggestionId?: string;
}

/** An edge between two source records. Never deleted by merges: unmerge retracts it. */
@Entity({ name: 'identity_link' })
@Index('idx_identity_link_from_live', ['fromRecordId'], { where: 'retracted_at IS NULL' })
@Index('idx_identity_link_to_live', ['toRecordId'], { where: 'retracted_at IS NULL' })
export class IdentityLinkEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'from_record_id', type: 'uuid' })
  fromRecordId!: string;

  @Column({ name: 'to_record_id', type: 'uuid' })
  toRecordId!: string;

  /** e.g. exact_email, exact_phone, same_social_account, cross_reference, manual_merge, suggestion_accepted */
  @Column({ type: 'text' })
  rule!: string;

  @Index('idx_identity_link_identifier')
  @Column({ name: 'identifier_id', type: 'bigint', nullable: true })
  identifierId!: string | null;

  @Column({ type: 'double precision', nullable: true })
  score!: number | null;

  /** Written once and read whole: `json` keeps the text as written (cheaper to write than jsonb). */
  @Column({ type: 'json', default: {} })
  evidence!: LinkEvidence;

  /** `rule:<name>`, `user:<id>` or `suggestion:<id>`. */
  @Column({ type: 'text' })
  actor!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'retracted_at', type: 'timestamptz', nullable: true })
  retractedAt!: Date | null;

  @Column({ name: 'retracted_by', type: 'text', nullable: true })
  retractedBy!: string | null;

  @Column({ name: 'retract_reason', type: 'text', nullable: true })
  retractReason!: string | null;
}
