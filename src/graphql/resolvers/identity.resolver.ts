import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { IdentityError } from '../../identity/identity-resolver.service.js';
import type { RequestContext } from '../context.js';
import { HubError } from '../errors.js';
import { AuditEntry, ErasureResult, LinkExplanation, MatchSuggestion, MergeResult, UnmergeResult } from '../types/identity.type.js';
import { checkPageSize } from './customer.resolver.js';

/** Maps identity-service refusals to the API's closed error table. */
async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof IdentityError) throw new HubError(err.code, err.message);
    throw err;
  }
}

@Resolver()
export class IdentityResolverGql {
  @Query(() => LinkExplanation, { nullable: true, description: 'For two source records of one customer: the path of links with their evidence; null when they are not one customer' })
  async explainLink(@Arg('a', () => ID) a: string, @Arg('b', () => ID) b: string, @Ctx() ctx: RequestContext): Promise<LinkExplanation | null> {
    const uuid = /^[0-9a-f-]{36}$/i;
    if (!uuid.test(a) || !uuid.test(b)) return null;
    const path = await ctx.services.identity.explain(a, b);
    if (!path) return null;
    const [rec] = (await ctx.services.dataSource.query(`SELECT customer_id AS "customerId" FROM source_record WHERE id = $1`, [a])) as { customerId: string }[];
    return {
      customerId: rec!.customerId,
      path: path.map((l) => ({ id: l.linkId, fromRecordId: l.fromRecordId, toRecordId: l.toRecordId, rule: l.rule, score: l.score, evidence: l.evidence, actor: l.actor, createdAt: l.createdAt })),
    };
  }

  @Query(() => [MatchSuggestion], { description: 'Suggestions waiting for a person, strongest first' })
  async suggestions(
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('status', () => String, { defaultValue: 'pending' }) status: string,
    @Ctx() ctx: RequestContext,
  ): Promise<MatchSuggestion[]> {
    checkPageSize(first);
    const rows: any[] = await ctx.services.dataSource.query(
      `SELECT s.id, s.reason, s.score, coalesce(e.evidence, s.evidence) AS evidence, s.status, s.created_at AS "createdAt",
              a.id AS a_id, a.system AS a_system, a.object_type AS a_object, a.external_id AS a_external, a.source_updated_at AS a_updated, a.deleted AS a_deleted, a.customer_id AS a_customer,
              b.id AS b_id, b.system AS b_system, b.object_type AS b_object, b.external_id AS b_external, b.source_updated_at AS b_updated, b.deleted AS b_deleted, b.customer_id AS b_customer
         FROM match_suggestion s JOIN source_record a ON a.id = s.record_a JOIN source_record b ON b.id = s.record_b
         LEFT JOIN match_evidence e ON e.id = s.evidence_id
        WHERE s.status = $1 ORDER BY s.score DESC NULLS LAST, s.id LIMIT $2`,
      [status, first],
    );
    return rows.map((r) => ({
      id: String(r.id),
      reason: r.reason,
      score: r.score,
      evidence: r.evidence,
      status: r.status,
      createdAt: r.createdAt,
      customerA: r.a_customer,
      customerB: r.b_customer,
      recordA: { id: r.a_id, system: r.a_system, objectType: r.a_object, externalId: r.a_external, sourceUpdatedAt: r.a_updated, deleted: r.a_deleted },
      recordB: { id: r.b_id, system: r.b_system, objectType: r.b_object, externalId: r.b_external, sourceUpdatedAt: r.b_updated, deleted: r.b_deleted },
    }));
  }

  @Query(() => [AuditEntry], { description: "Audit events about a customer, oldest first" })
  async auditTrail(@Arg('customerId', () => ID) customerId: string, @Arg('first', () => Int, { defaultValue: 50 }) first: number, @Ctx() ctx: RequestContext): Promise<AuditEntry[]> {
    checkPageSize(first);
    if (!/^[0-9a-f-]{36}$/i.test(customerId)) return [];
    return ctx.services.dataSource.query(
      `SELECT seq::text AS seq, occurred_at AS "occurredAt", actor, role, action, purpose, details, hash
         FROM audit_event WHERE customer_id = $1 OR details->'retiredIds' ? $1::text ORDER BY audit_event.seq LIMIT $2`,
      [customerId, first],
    );
  }

  @Mutation(() => MergeResult, { description: 'A person merges two customers; the oldest id survives and the other redirects to it' })
  async mergeCustomers(@Arg('a', () => ID) a: string, @Arg('b', () => ID) b: string, @Arg('note', () => String, { nullable: true }) note: string | null, @Ctx() ctx: RequestContext): Promise<MergeResult> {
    const r = await guarded(() => ctx.services.identity.manualMerge(a, b, ctx.actor, ctx.role, note ?? undefined));
    return { customerId: r.survivor, retiredIds: r.retired };
  }

  @Mutation(() => UnmergeResult, { description: 'Splits source records away from a customer; each part gets back the id it first had' })
  async unmergeCustomer(@Arg('customerId', () => ID) customerId: string, @Arg('recordIds', () => [ID]) recordIds: string[], @Ctx() ctx: RequestContext): Promise<UnmergeResult> {
    return guarded(() => ctx.services.identity.unmerge(customerId, recordIds, ctx.actor, ctx.role));
  }

  @Mutation(() => MergeResult)
  async acceptSuggestion(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<MergeResult> {
    const r = await guarded(() => ctx.services.identity.acceptSuggestion(id, ctx.actor, ctx.role));
    return { customerId: r.survivor, retiredIds: r.retired };
  }

  @Mutation(() => Boolean)
  async rejectSuggestion(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    await guarded(() => ctx.services.identity.rejectSuggestion(id, ctx.actor));
    return true;
  }

  @Mutation(() => ErasureResult, { description: 'Erases a person everywhere in the hub and blocks re-ingestion; lists the sources to notify' })
  async eraseCustomer(@Arg('customerId', () => ID) customerId: string, @Ctx() ctx: RequestContext): Promise<ErasureResult> {
    const r = await guarded(() => ctx.services.identity.erase(customerId, ctx.actor, ctx.role));
    return { customerId: r.customerId, notify: r.notify, sourceRecordsRemoved: r.removed.sourceRecords, interactionsRemoved: r.removed.interactions };
  }
}
