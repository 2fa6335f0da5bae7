import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { encodeTimelineCursor, decodeTimelineCursor } from '../../customers/customer-read.service.js';
import { normaliseLookup } from '../../identity/lookup.js';
import type { RequestContext } from '../context.js';
import { BadUserInputError } from '../errors.js';
import { Customer, IdentifierKind, Identity, Trait } from '../types/customer.type.js';
import { InteractionConnection, TimelineFilter, TimelineOrder } from '../types/interaction.type.js';
import type { TimelineFilter as TimelineFilterInput } from '../../customers/customer-read.service.js';

export const MAX_PAGE_SIZE = 100;

export function checkPageSize(first: number): void {
  if (first < 1 || first > MAX_PAGE_SIZE) {
    throw new BadUserInputError('first', `first must be between 1 and ${MAX_PAGE_SIZE} (the maximum page size); got ${first}`);
  }
}

export function toCustomer(row: NonNullable<Awaited<ReturnType<RequestContext['loaders']['customer']['load']>>>): Customer {
  return {
    id: row.id,
    status: row.status,
    recordCount: row.recordCount,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    traitMap: row.traits,
  };
}

@Resolver(() => Customer)
export class CustomerResolver {
  @Query(() => Customer, { nullable: true, description: 'A customer by id; a retired (merged) id answers with the survivor' })
  async customer(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<Customer | null> {
    const row = await ctx.loaders.customer.load(id);
    return row ? toCustomer(row) : null;
  }

  @Query(() => Customer, {
    nullable: true,
    description: 'The customer holding an identifier; the value is normalised the same way as on ingest',
  })
  async customerByIdentifier(
    @Arg('kind', () => IdentifierKind) kind: IdentifierKind,
    @Arg('value') value: string,
    @Arg('namespace', () => String, { nullable: true, description: 'Required for social and external' })
    namespace: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Customer | null> {
    const key = normaliseLookup(kind, namespace ?? '', value, ctx.services.defaultPhoneRegion);
    if (!key.ok) throw new BadUserInputError('value', key.error);
    const id = await ctx.services.customers.findIdByIdentifier(key.kind, key.namespace, key.value);
    if (!id) return null;
    const row = await ctx.loaders.customer.load(id);
    return row ? toCustomer(row) : null;
  }

  @FieldResolver(() => [Trait], { description: 'Golden-record traits, each with its source, age and rule' })
  traits(@Root() customer: Customer): Trait[] {
    return Object.entries(customer.traitMap ?? {}).map(([name, raw]) => {
      const t = (raw ?? {}) as { value?: unknown; source?: string; observedAt?: string | null; rule?: string };
      return {
        name,
        value: t.value ?? null,
        source: t.source ?? 'unknown',
        observedAt: t.observedAt ? new Date(t.observedAt) : null,
        rule: t.rule ?? 'unknown',
      };
    });
  }

  @FieldResolver(() => [Identity], { description: 'Every identifier of this customer with its source record' })
  async identities(@Root() customer: Customer, @Ctx() ctx: RequestContext): Promise<Identity[]> {
    const rows = await ctx.loaders.identities.load(customer.id);
    return rows.map((r) => ({
      kind: r.kind as IdentifierKind,
      namespace: r.namespace,
      value: r.value,
      rawValue: r.rawValue,
      sourceRecord: {
        id: r.sourceRecordId,
        system: r.system,
        objectType: r.objectType,
        externalId: r.externalId,
        sourceUpdatedAt: r.sourceUpdatedAt,
        deleted: r.deleted,
      },
    }));
  }

  @FieldResolver(() => InteractionConnection, { description: 'Interactions across all systems, in time order' })
  async timeline(
    @Root() customer: Customer,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('order', () => TimelineOrder, { defaultValue: TimelineOrder.NEWEST_FIRST }) order: TimelineOrder,
    @Arg('filter', () => TimelineFilter, { nullable: true }) filter: TimelineFilter | null,
    @Ctx() ctx: RequestContext,
  ): Promise<InteractionConnection> {
    return (await timelinePage(ctx, customer.id, first, after, order, filter))!;
  }

  @Query(() => InteractionConnection, {
    name: 'timeline',
    nullable: true,
    description: "A customer's timeline (null for an unknown customer); a retired id answers with the survivor's",
  })
  async timelineByCustomerId(
    @Arg('customerId', () => ID) customerId: string,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('order', () => TimelineOrder, { defaultValue: TimelineOrder.NEWEST_FIRST }) order: TimelineOrder,
    @Arg('filter', () => TimelineFilter, { nullable: true }) filter: TimelineFilter | null,
    @Ctx() ctx: RequestContext,
  ): Promise<InteractionConnection | null> {
    return timelinePage(ctx, customerId, first, after, order, filter, true);
  }
}

async function timelinePage(
  ctx: RequestContext,
  customerId: string,
  first: number,
  after: string | null,
  order: TimelineOrder,
  filter: TimelineFilter | null,
  /** The root query: `customerId` may be retired or unknown; resolved in the page's statement. */
  resolve = false,
): Promise<InteractionConnection | null> {
  checkPageSize(first);
  if (after && !decodeTimelineCursor(after)) {
    throw new BadUserInputError('after', 'after must be a cursor returned by an earlier page of this timeline');
  }
  if (filter?.from && filter.to && filter.from >= filter.to) {
    throw new BadUserInputError('filter', 'filter.from must be earlier than filter.to');
  }
  const f: TimelineFilterInput = {};
  if (filter?.channels?.length) f.channels = filter.channels;
  if (filter?.systems?.length) f.systems = filter.systems;
  if (filter?.kinds?.length) f.kinds = filter.kinds;
  if (filter?.from) f.from = filter.from;
  if (filter?.to) f.to = filter.to;
  const options = { first, after, newestFirst: order === TimelineOrder.NEWEST_FIRST, filter: f };
  let page;
  if (resolve) {
    const found = await ctx.services.customers.timelineOf(customerId, options);
    if (!found) return null;
    page = found.page;
  } else page = await ctx.services.customers.timeline(customerId, options);
  const edges = page.rows.map((row) => ({ cursor: encodeTimelineCursor(row), node: row }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: Boolean(after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
