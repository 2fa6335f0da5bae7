import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { CustomerResolver } from './resolvers/customer.resolver.js';
import { HealthResolver } from './resolvers/health.resolver.js';
import { IdentityResolverGql } from './resolvers/identity.resolver.js';
import { SubscriptionResolver } from './resolvers/subscription.resolver.js';
import { TouchResolver } from './resolvers/touch.resolver.js';

export const RESOLVERS = [HealthResolver, CustomerResolver, IdentityResolverGql, TouchResolver, SubscriptionResolver] as const;

let cached: Promise<GraphQLSchema> | undefined;

/** The executable schema (built once per process). */
export function buildHubSchema(): Promise<GraphQLSchema> {
  cached ??= buildSchema({
    resolvers: [...RESOLVERS],
    validate: false,
    emitSchemaFile: false,
    // Every subscription brings its own `subscribe` (events come from Postgres LISTEN through
    // PgEventHub); type-graphql still insists on a PubSub, so this one refuses to be used.
    pubSub: {
      publish() {
        throw new Error('publish hub events with publishEvent (Postgres NOTIFY), not type-graphql PubSub');
      },
      subscribe() {
        throw new Error('subscriptions in this hub declare their own subscribe function');
      },
    },
  });
  return cached;
}

/** The SDL committed as schema.graphql: sorted so the file only changes when the schema does. */
export async function printHubSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildHubSchema()))}\n`;
}
