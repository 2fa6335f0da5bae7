import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The last value a live field fetched from its source: served, marked stale, when the source fails or is late. */
@Entity({ name: 'live_field_cache' })
export class LiveFieldCacheEntity {
  @PrimaryColumn({ name: 'connector_instance', type: 'text' })
  connectorInstance!: string;

  @PrimaryColumn({ type: 'text' })
  field!: string;

  @PrimaryColumn({ name: 'external_id', type: 'text' })
  externalId!: string;

  @Column({ type: 'jsonb' })
  value!: unknown;

  @Column({ name: 'fetched_at', type: 'timestamptz' })
  fetchedAt!: Date;
}
