import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Ingest } from '../../ingest/ingest.runtime.js';
import { runSync } from '../../ingest/sync-runner.js';
import { DeadLetterService } from '../../jobs/dead-letter.service.js';
import type { RequestContext } from '../context.js';
import { BadUserInputError, HubError } from '../errors.js';
import { ConnectorHealth, DeadLetter, RecordInteractionInput, SyncRun } from '../types/operations.type.js';
import { Interaction } from '../types/interaction.type.js';
import { checkPageSize } from './customer.resolver.js';

function ingestOf(ctx: RequestContext): Ingest {
  if (!ctx.services.ingest) throw new HubError('NOT_FOUND', 'this hub process runs no ingest engine');
  return ctx.services.ingest;
}

const DIRECTIONS = new Set(['inbound', 'outbound', 'internal']);

@Resolver()
export class OperationsResolver {
  @Query(() => [ConnectorHealth], { description: 'Every configured connector instance: health, last sync, lag, last error' })
  async connectors(@Ctx() ctx: RequestContext): Promise<ConnectorHealth[]> {
    if (!ctx.services.ingest) return [];
    const list = await ctx.services.ingest.status.list();
    return list.map((c) => {
      const successes = c.streams.map((s) => s.lastSuccessAt);
      const lags = c.streams.map((s) => s.lagSeconds).filter((l): l is number => l !== null);
      const errors = c.streams.filter((s) => s.lastError).sort((a, b) => (b.lastErrorAt?.getTime() ?? 0) - (a.lastErrorAt?.getTime() ?? 0));
      return {
        id: c.id,
        connector: c.connector,
        displayName: c.displayName,
        category: c.category,
        status: c.status,
        lastSyncAt: successes.some((d) => !d) ? null : successes.reduce<Date | null>((min, d) => (!min || (d && d < min) ? d : min), null),
        lagSeconds: lags.length ? Math.max(...lags) : null,
        lastError: errors[0]?.lastError ?? null,
        deadLetters: c.deadLetters,
        streams: c.streams,
      };
    });
  }

  @Mutation(() => [SyncRun], { description: 'Runs an incremental sync now (full: a backfill from the beginning)' })
  async triggerSync(
    @Arg('instance') instance: string,
    @Arg('stream', () => String, { nullable: true }) stream: string | null,
    @Arg('full', { defaultValue: false }) full: boolean,
    @Ctx() ctx: RequestContext,
  ): Promise<SyncRun[]> {
    const ingest = ingestOf(ctx);
    const rt = ingest.runtime(instance);
    if (!rt) throw new BadUserInputError('instance', `no connector instance "${instance}" (known: ${ingest.instances.map((i) => i.id).join(', ') || 'none'})`);
    if (stream && !rt.instance.connector.streams.some((s) => s.name === stream)) {
      throw new BadUserInputError('stream', `connector instance "${instance}" has no stream "${stream}" (it has: ${rt.instance.connector.streams.map((s) => s.name).join(', ')})`);
    }
    const results = await runSync({ ds: ctx.services.dataSource, apply: ingest.apply, instance: rt.instance, ctx: rt.ctx, ...(stream ? { stream } : {}), full, log: ctx.log });
    return results.map((r) => ({ ...r, error: r.error ?? null }));
  }

  @Query(() => [DeadLetter], { description: 'Events and objects that failed every retry, newest first' })
  async deadLetters(
    @Arg('instance', () => String, { nullable: true }) instance: string | null,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Ctx() ctx: RequestContext,
  ): Promise<DeadLetter[]> {
    checkPageSize(first);
    const list = await new DeadLetterService(ctx.services.dataSource).listDeadLetters({ ...(instance ? { instance } : {}), limit: first });
    return list.map(({ payload: _payload, ...entry }) => entry);
  }

  @Mutation(() => Boolean, { description: 'Puts a dead webhook event back in the queue; the worker applies it again' })
  async replayDeadLetter(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    const outcome = await new DeadLetterService(ctx.services.dataSource).replayDeadLetter(id);
    if (outcome.replayed) return true;
    const why = { not_found: `no dead letter ${id}`, not_dead: `event ${id} is not dead-lettered`, pull_path: `dead letter ${id} came from a sync or import: run triggerSync instead` }[outcome.reason];
    throw new HubError(outcome.reason === 'not_found' ? 'NOT_FOUND' : 'CONFLICT', why);
  }

  @Mutation(() => Interaction, { description: 'Records a touch from an app that is itself a touch point, through the same apply path as connectors' })
  async recordInteraction(@Arg('input', () => RecordInteractionInput) input: RecordInteractionInput, @Ctx() ctx: RequestContext): Promise<Interaction> {
    const ingest = ingestOf(ctx);
    if (!DIRECTIONS.has(input.direction)) throw new BadUserInputError('input.direction', `direction must be inbound, outbound or internal (got "${input.direction}")`);
    if (!input.system.trim() || !input.externalId.trim()) throw new BadUserInputError('input.externalId', 'system and externalId must not be empty');
    let identifiers: { kind: 'email' | 'phone' | 'social' | 'external'; namespace?: string; value: string }[] = [];
    if (input.customerId) {
      const row = await ctx.loaders.customer.load(input.customerId);
      if (!row) throw new BadUserInputError('input.customerId', `customer ${input.customerId} does not exist`);
      const ids = await ctx.services.customers.identitiesOf([row.id]);
      const first = ids.get(row.id)?.find((i) => i.kind === 'email' || i.kind === 'phone') ?? ids.get(row.id)?.[0];
      if (!first) throw new BadUserInputError('input.customerId', `customer ${input.customerId} has no identifier to attach the interaction to`);
      identifiers = [{ kind: first.kind as 'email', namespace: first.namespace, value: first.value }];
    } else if (input.identifierKind && input.identifierValue) {
      if (!['email', 'phone', 'social', 'external'].includes(input.identifierKind)) {
        throw new BadUserInputError('input.identifierKind', `identifierKind must be email, phone, social or external (got "${input.identifierKind}")`);
      }
      identifiers = [{ kind: input.identifierKind as 'email', ...(input.identifierNamespace ? { namespace: input.identifierNamespace } : {}), value: input.identifierValue }];
    } else {
      throw new BadUserInputError('input.customerId', 'give customerId, or identifierKind and identifierValue');
    }
    const outcome = await ingest.apply.applyBatch(input.system, {
      interactions: [
        {
          externalId: input.externalId,
          occurredAt: input.occurredAt,
          channel: input.channel,
          direction: input.direction as 'inbound',
          kind: input.kind,
          summary: input.summary ?? null,
          person: { identifiers },
          ...(input.handledByEmail ? { handledBy: { email: input.handledByEmail } } : {}),
          ...(input.attributes ? { attributes: input.attributes } : {}),
        },
      ],
    });
    if (outcome.problems.length) throw new BadUserInputError('input', outcome.problems.join('; '));
    const [row] = await ctx.services.dataSource.query(`SELECT id FROM interaction WHERE system = $1 AND external_id = $2`, [input.system, input.externalId]);
    if (!row) throw new HubError('CONFLICT', 'the interaction was not recorded (the person may have been erased)');
    const [interaction] = await ctx.services.customers.interactionsById([row.id]);
    return interaction!;
  }
}
