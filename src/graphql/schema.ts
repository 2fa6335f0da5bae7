import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { CustomerResolver } from './resolvers/customer.resolver.js';
import { HealthResolver } from './resolvers/health.resolver.js';
import { IdentityResolverGql } from './resolvers/identity.resolver.js';
import { TouchResolver } from './resolvers/touch.resolver.js';

export const RESOLVERS = [HealthResolver, CustomerResolver, IdentityResolverGql, TouchResolver] as const;

let cached: Promise<GraphQLSchema> | undefined;

/** The executable schema (built once per process). */
export function buildHubSchema(): Promise<GraphQLSchema> {
  cached ??= buildSchema({
    resolvers: [...RESOLVERS],
    validate: false,
    emitSchemaFile: false,
  });
  return cached;
}

/** The SDL committed as schema.graphql: sorted so the file only changes when the schema does. */
export async function printHubSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildHubSchema()))}\n`;
}
