import 'reflect-metadata';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { lexicographicSortSchema, parse, type GraphQLSchema } from 'graphql';
import { buildSchema, createResolversMap, getMetadataStorage } from 'type-graphql';
import type { RequestContext } from './context.js';
import { CustomerResolver } from './resolvers/customer.resolver.js';
import { HealthResolver } from './resolvers/health.resolver.js';
import { IdentityResolverGql } from './resolvers/identity.resolver.js';
import { OperationsResolver } from './resolvers/operations.resolver.js';
import { SubscriptionResolver } from './resolvers/subscription.resolver.js';
import { TouchResolver } from './resolvers/touch.resolver.js';
import { AccessResolver } from '../security/access.resolver.js';
import { applyFieldPolicy } from '../security/field-policy.js';
import { toCustomer } from './resolvers/customer.resolver.js';

export const RESOLVERS = [HealthResolver, CustomerResolver, IdentityResolverGql, TouchResolver, SubscriptionResolver, OperationsResolver, AccessResolver] as const;

/** Federation 2 directives this subgraph uses. */
const FEDERATION_LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';

let cached: Promise<GraphQLSchema> | undefined;

/**
 * Every object type is declared `simpleResolvers: true`: a plain field is then read by graphql-js's
 * own default resolver instead of a type-graphql wrapper that allocates and awaits per field (a
 * screenPop answers 60-odd of them). This hub uses no type-graphql middleware or @Authorized: field
 * access is applied to the built schema (applyFieldPolicy), which wraps the fields it governs.
 */
function assertSimpleResolvers(): void {
  const plain = getMetadataStorage().objectTypes.filter((t) => t.simpleResolvers !== true);
  if (plain.length)
    throw new Error(
      `object types must be declared @ObjectType({ simpleResolvers: true }): ${plain.map((t) => t.name).join(', ')}`,
    );
}

function buildTypeGraphqlSchema(): Promise<GraphQLSchema> {
  assertSimpleResolvers();
  return buildSchema({
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
}

/**
 * The executable schema (built once per process): the type-graphql schema served as an Apollo
 * Federation 2 subgraph, so `Customer @key(fields: "id")` can be joined into a supergraph;
 * `_entities` loads customers through the same per-request DataLoader as `customer(id)`.
 */
export function buildHubSchema(): Promise<GraphQLSchema> {
  cached ??= (async () => {
    const schema = await buildTypeGraphqlSchema();
    const resolvers = createResolversMap(schema) as Record<string, Record<string, unknown>>;
    resolvers.Customer = {
      ...(resolvers.Customer ?? {}),
      async __resolveReference(ref: { id: string }, ctx: RequestContext) {
        const row = await ctx.loaders.customer.load(ref.id);
        return row ? toCustomer(row) : null;
      },
    };
    // Field-level access by role (src/security/policy.ts) on every field, present and future.
    return applyFieldPolicy(
      buildSubgraphSchema({
        typeDefs: parse(`${FEDERATION_LINK}\n${printSchemaWithDirectives(schema)}`),
        resolvers: resolvers as never,
      }),
    );
  })();
  return cached;
}

/** The subgraph SDL committed as schema.graphql: sorted so the file only changes when the schema does. */
export async function printHubSchema(): Promise<string> {
  const schema = await buildTypeGraphqlSchema();
  return `${FEDERATION_LINK}\n\n${printSchemaWithDirectives(lexicographicSortSchema(schema))}\n`;
}
