import { PrimaryColumn, Column, CreateDateColumn, Entity, Index, Unique, UpdateDateColumn } from 'typeorm';

/** A member of staff from HR: every employee is a touch point. */
@Entity({ name: 'employee' })
@Unique('uq_employee_key', ['system', 'externalId'])
export class EmployeeEntity {
  @PrimaryColumn({ type: 'uuid', default: () => 'touchpoint_uuid_v7()' })
  id!: string;

  @Column({ type: 'text' })
  system!: string;

  @Column({ name: 'external_id', type: 'text' })
  externalId!: string;

  @Column({ name: 'display_name', type: 'text' })
  displayName!: string;

  @Column({ type: 'text', nullable: true })
  title!: string | null;

  @Index('idx_employee_department')
  @Column({ type: 'text', nullable: true })
  department!: string | null;

  @Column({ name: 'manager_external_id', type: 'text', nullable: true })
  managerExternalId!: string | null;

  /** Normalised work email addresses. */
  @Column({ name: 'work_emails', type: 'text', array: true, default: () => "'{}'" })
  workEmails!: string[];

  /** platform → handle or user id, e.g. { x: '12345', zendesk: '998' }. */
  @Column({ type: 'jsonb', default: {} })
  handles!: Record<string, string>;

  @Column({ type: 'text', default: 'active' })
  status!: string;

  @Column({ name: 'source_updated_at', type: 'timestamptz', nullable: true })
  sourceUpdatedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
