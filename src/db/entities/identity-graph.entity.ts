import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** Two customers a person split apart: automatic rules will not merge them again (only a person can). */
@Entity({ name: 'identity_separation' })
export class IdentitySeparationEntity {
  @PrimaryColumn({ name: 'customer_a', type: 'uuid' })
  customerA!: string;

  @PrimaryColumn({ name: 'customer_b', type: 'uuid' })
  customerB!: string;

  @Column({ type: 'text' })
  actor!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

export type SuggestionStatus = 'pending' | 'accepted' | 'rejected';

/**
 * Evidence many suggestions share, stored once: a bulk import's probabilistic evidence (the compared
 * fields' levels and weights, no values; a few thousand distinct ones on a million suggestions).
 * Evidence that names a value stays on its suggestion, so that erasing the suggestion erases it;
 * rows here name no person and stay. No foreign key points here: it would check each of an
 * import's million suggestion rows, written in the same transaction as the evidence they name.
 */
@Entity({ name: 'match_evidence' })
export class MatchEvidenceEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'json' })
  evidence!: Record<string, unknown>;
}

/** A possible match a rule or guard would not merge on its own: a person accepts or rejects it. */
@Entity({ name: 'match_suggestion' })
@Index('uq_match_suggestion_pair', ['recordA', 'recordB'], { unique: true })
@Index('idx_match_suggestion_status', ['status', 'score'])
export class MatchSuggestionEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'record_a', type: 'uuid' })
  recordA!: string;

  @Column({ name: 'record_b', type: 'uuid' })
  recordB!: string;

  /** probabilistic, guard:role_address, guard:blocked_value, guard:cardinality, guard:separated ... */
  @Column({ type: 'text' })
  reason!: string;

  @Column({ type: 'double precision', nullable: true })
  score!: number | null;

  /**
   * Written once and read whole: `json` keeps the text as written (cheaper to write than jsonb).
   * `{}` when the evidence is shared (evidenceId).
   */
  @Column({ type: 'json', default: {} })
  evidence!: Record<string, unknown>;

  /**
   * The shared evidence (MatchEvidenceEntity) this suggestion has instead of its own, or null.
   * Readers take the shared evidence when there is one, else `evidence`.
   */
  @Column({ name: 'evidence_id', type: 'bigint', nullable: true })
  evidenceId!: string | null;

  @Column({ type: 'text', default: 'pending' })
  status!: SuggestionStatus;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;

  @Column({ name: 'decided_by', type: 'text', nullable: true })
  decidedBy!: string | null;
}

/**
 * Blocking keys of a record's traits: candidates for probabilistic matching share a key. The
 * (key, record) index answers "the records of a block" from the index alone.
 */
@Entity({ name: 'record_block_key' })
@Index('idx_record_block_key_key_record', ['key', 'sourceRecordId'])
export class RecordBlockKeyEntity {
  @PrimaryColumn({ name: 'source_record_id', type: 'uuid' })
  sourceRecordId!: string;

  /** Compared byte by byte (equality only): see migration BlockKeyCCollation. */
  @PrimaryColumn({ type: 'text', collation: 'C' })
  key!: string;
}
