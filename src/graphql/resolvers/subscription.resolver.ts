import { Arg, Field, ID, ObjectType, Root, Subscription, registerEnumType } from 'type-graphql';
import type { HubEvent } from '../../events/hub-events.js';
import type { RequestContext } from '../context.js';
import { HubError } from '../errors.js';
import { Interaction } from '../types/interaction.type.js';

export enum CustomerChangeType {
  MERGED = 'MERGED',
  SPLIT = 'SPLIT',
  ERASED = 'ERASED',
}
registerEnumType(CustomerChangeType, { name: 'CustomerChangeType' });

@ObjectType({ simpleResolvers: true, description: 'A change of a customer identity: merged with others, split, or erased' })
export class CustomerChange {
  @Field(() => CustomerChangeType)
  type!: CustomerChangeType;

  @Field(() => ID, { description: 'The surviving (or split, or erased) customer id' })
  customerId!: string;

  @Field(() => [ID], { description: 'Ids merged into customerId (MERGED)' })
  retiredIds!: string[];

  @Field(() => [ID], { description: 'Ids of the customers split off (SPLIT)' })
  newCustomerIds!: string[];
}

type Applied = Extract<HubEvent, { type: 'interaction.applied' }>;

async function* mapAsync<T, U>(source: AsyncIterableIterator<T>, fn: (t: T) => Promise<U | null>): AsyncGenerator<U> {
  try {
    for await (const item of source) {
      const out = await fn(item);
      if (out !== null) yield out;
    }
  } finally {
    await source.return?.();
  }
}

export class SubscriptionResolver {
  @Subscription(() => Interaction, {
    description: 'New interactions of a customer as they are applied (from any hub process)',
    subscribe: async ({ args, context }) => {
      const ctx = context as RequestContext;
      const id = await ctx.services.identity.resolveId((t, p) => ctx.services.dataSource.query(t, p), String(args.customerId));
      if (!id) throw new HubError('NOT_FOUND', `customer ${String(args.customerId)} does not exist`);
      const events = ctx.services.events.subscribe((e): e is Applied => e.type === 'interaction.applied');
      return mapAsync(events, async (e) => {
        // A merge may have moved the subscribed customer: follow its id.
        const current = await ctx.services.identity.resolveId((t, p) => ctx.services.dataSource.query(t, p), id);
        if (e.customerId !== current && e.customerId !== id) return null;
        const rows = await ctx.services.customers.interactionsById([e.interactionId]);
        return rows[0] ?? null;
      });
    },
  })
  customerTimeline(@Arg('customerId', () => ID) _customerId: string, @Root() interaction: Interaction): Interaction {
    return interaction;
  }

  @Subscription(() => CustomerChange, {
    description: 'Merges, splits and erasures; only those touching customerId when it is given',
    subscribe: ({ args, context }) => {
      const ctx = context as RequestContext;
      const wanted = args.customerId ? String(args.customerId) : null;
      const events = ctx.services.events.subscribe((e) => {
        if (e.type === 'interaction.applied') return false;
        if (!wanted) return true;
        if (e.customerId === wanted) return true;
        if (e.type === 'customer.merged') return e.retiredIds.includes(wanted);
        if (e.type === 'customer.split') return e.newCustomerIds.includes(wanted);
        return false;
      });
      return mapAsync(events, async (e) => toChange(e));
    },
  })
  customerChanged(@Arg('customerId', () => ID, { nullable: true }) _customerId: string | null, @Root() change: CustomerChange): CustomerChange {
    return change;
  }
}

function toChange(e: HubEvent): CustomerChange | null {
  switch (e.type) {
    case 'customer.merged':
      return { type: CustomerChangeType.MERGED, customerId: e.customerId, retiredIds: e.retiredIds, newCustomerIds: [] };
    case 'customer.split':
      return { type: CustomerChangeType.SPLIT, customerId: e.customerId, retiredIds: [], newCustomerIds: e.newCustomerIds };
    case 'customer.erased':
      return { type: CustomerChangeType.ERASED, customerId: e.customerId, retiredIds: [], newCustomerIds: [] };
    default:
      return null;
  }
}
