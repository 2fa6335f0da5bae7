import type { CanonicalBatch } from '../../connector-kit/canonical.js';
import type { Sql } from '../../db/sql.js';
import type { IdentityResolver } from '../../identity/identity-resolver.service.js';
import type { InboxApplyOutcome } from '../../jobs/inbox.worker.js';

/**
 * A minimal apply path for tests and benchmarks of the inbox: people go through the real identity
 * resolver (so erased people come back `suppressed`); each interaction is upserted and its
 * `attributes.applyCount` incremented, so a second apply of one event is visible in the database.
 */
export function recordingApply(resolver?: IdentityResolver) {
  return async (sql: Sql, system: string, batch: CanonicalBatch): Promise<InboxApplyOutcome> => {
    const customerOf = new Map<string, string | null>();
    for (const person of batch.people ?? []) {
      if (!resolver) continue;
      const r = await resolver.applyPersonIn(sql, system, person);
      if (r.skipped === 'suppressed') return { suppressed: true };
      customerOf.set(`${person.objectType}:${person.externalId}`, r.customerId);
    }
    for (const i of batch.interactions ?? []) {
      const ref =
        i.person && 'externalId' in i.person && i.person.objectType
          ? `${i.person.objectType}:${i.person.externalId}`
          : undefined;
      await sql(
        `INSERT INTO interaction (system, external_id, customer_id, occurred_at, channel, direction, kind, summary, attributes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '{"applyCount": 1}')
         ON CONFLICT (system, external_id) DO UPDATE
           SET attributes = jsonb_set(interaction.attributes, '{applyCount}', to_jsonb(COALESCE((interaction.attributes->>'applyCount')::int, 0) + 1))`,
        [
          system,
          i.externalId,
          (ref && customerOf.get(ref)) ?? null,
          i.occurredAt,
          i.channel,
          i.direction,
          i.kind,
          i.summary ?? null,
        ],
      );
    }
    return {};
  };
}
