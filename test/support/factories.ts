import type { DataSource } from 'typeorm';

/** Typed seeders that write canonical rows directly (the identity service has its own tests). */
export async function createCustomer(ds: DataSource, overrides: { traits?: Record<string, unknown>; createdAt?: Date } = {}): Promise<string> {
  const rows: { id: string }[] = await ds.query(
    `INSERT INTO customer (traits, created_at, record_count) VALUES ($1, COALESCE($2, now()), 1) RETURNING id`,
    [JSON.stringify(overrides.traits ?? {}), overrides.createdAt ?? null],
  );
  return rows[0]!.id;
}

export async function createSourceRecord(
  ds: DataSource,
  input: { customerId: string; system: string; objectType?: string; externalId: string; identifiers?: { kind: string; namespace?: string; value: string; raw?: string }[] },
): Promise<string> {
  const rows: { id: string }[] = await ds.query(
    `INSERT INTO source_record (system, object_type, external_id, customer_id) VALUES ($1, $2, $3, $4) RETURNING id`,
    [input.system, input.objectType ?? 'contact', input.externalId, input.customerId],
  );
  const recordId = rows[0]!.id;
  for (const idf of input.identifiers ?? []) {
    const ids: { id: string }[] = await ds.query(
      `INSERT INTO identifier (kind, namespace, value) VALUES ($1, $2, $3)
       ON CONFLICT (kind, namespace, value) DO UPDATE SET kind = EXCLUDED.kind RETURNING id`,
      [idf.kind, idf.namespace ?? '', idf.value],
    );
    await ds.query(
      `INSERT INTO record_identifier (source_record_id, identifier_id, raw_value, normaliser_version) VALUES ($1, $2, $3, 1)`,
      [recordId, ids[0]!.id, idf.raw ?? idf.value],
    );
  }
  return recordId;
}

export async function createInteraction(
  ds: DataSource,
  input: { customerId: string; system: string; externalId: string; occurredAt: Date; channel?: string; kind?: string; summary?: string },
): Promise<string> {
  const rows: { id: string }[] = await ds.query(
    `INSERT INTO interaction (system, external_id, customer_id, occurred_at, channel, direction, kind, summary)
     VALUES ($1, $2, $3, $4, $5, 'inbound', $6, $7) RETURNING id`,
    [input.system, input.externalId, input.customerId, input.occurredAt, input.channel ?? 'voice', input.kind ?? 'call', input.summary ?? null],
  );
  return rows[0]!.id;
}
