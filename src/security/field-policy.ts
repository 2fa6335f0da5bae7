import {
  defaultFieldResolver,
  getNamedType,
  isCompositeType,
  isObjectType,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql';
import type { RequestContext } from '../graphql/context.js';
import { HubError } from '../graphql/errors.js';
import { erasureTerms, scrubErasedPayloads } from './erasure-scrub.js';
import { maskJson } from './mask.js';
import { accessFor, CUSTOMER_OF, POLICY, ROOT_TYPES } from './policy.js';
import { principalOf, recordRead, registerOwner, requestSecurity } from './request-security.js';

/**
 * Field-level access by role (src/security/policy.ts), applied to the executable schema once it is
 * built: every field of every object type is looked at, so a resolver added later is covered
 * without a decorator. A field is wrapped when the policy can change its answer or must see it:
 *
 * - a root field (Query/Mutation/Subscription): one missing from the table is admin-only;
 * - a field with a row in POLICY: deny throws FORBIDDEN on that field only (the rest of the query
 *   answers), mask replaces the value, and a personal value that is returned is recorded for the
 *   read audit of its customer;
 * - a field of a type that belongs to a customer (CUSTOMER_OF) that leads to other objects: it
 *   registers the customer, so personal fields below are audited as reads of that customer.
 *
 * Every other field (a scalar of a type with no row, e.g. `Interaction.channel`) is allowed for
 * every principal and holds no personal data: it keeps its resolver unwrapped, which is what makes
 * a screenPop's 60-odd plain fields cost no more than graphql-js itself.
 */
export function applyFieldPolicy(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const ownerOf = CUSTOMER_OF[type.name];
    for (const field of Object.values(type.getFields())) {
      const key = `${type.name}.${field.name}`;
      const leadsToObjects = isCompositeType(getNamedType(field.type));
      if (!ROOT_TYPES.has(type.name) && !POLICY[key] && !(ownerOf && leadsToObjects)) continue;
      field.resolve = policed(field.resolve ?? defaultFieldResolver, type.name, field.name);
    }
  }
  return schema;
}

function policed(
  resolve: GraphQLFieldResolver<unknown, RequestContext>,
  type: string,
  field: string,
): GraphQLFieldResolver<unknown, RequestContext> {
  const key = `${type}.${field}`;
  const row = POLICY[key];
  const ownerOf = CUSTOMER_OF[type];
  return (root, args, context, info) => {
    const state = requestSecurity(context);
    const principal = principalOf(context);
    const access = accessFor(type, field, principal);
    if (ownerOf && root && typeof root === 'object')
      registerOwner(state, info.path.prev, ownerOf(root as Record<string, unknown>));
    if (access === 'deny') {
      if (principal === 'anonymous')
        throw new HubError('UNAUTHENTICATED', `Authentication is required to read ${key}`);
      throw new HubError('FORBIDDEN', `The ${principal} role may not read ${key}`, { field: key });
    }
    if (key === 'Mutation.eraseCustomer')
      return eraseAndScrub(context, String(args.customerId), () => resolve(root, args, context, info));
    const value: unknown = resolve(root, args, context, info);
    if (!row?.personal) return value;
    const finish = (v: unknown): unknown => {
      if (v === null || v === undefined) return v;
      recordRead(state, info.path, key, access === 'mask');
      if (access !== 'mask') return v;
      return row.mask ? row.mask(v, (root ?? {}) as Record<string, unknown>) : maskJson(v);
    };
    return value instanceof Promise ? value.then(finish) : finish(value);
  };
}

/**
 * Erasure also scrubs the person's identifiers out of inbox and dead-letter payloads. The terms are
 * read before the erasure runs, because it deletes the identifiers they come from.
 */
async function eraseAndScrub(
  ctx: RequestContext,
  customerId: string,
  next: () => unknown,
): Promise<unknown> {
  const terms = await erasureTerms(ctx.services.dataSource, customerId);
  const result = await next();
  const scrubbed = await scrubErasedPayloads(ctx.services.dataSource, terms);
  ctx.log.info({ scrubbedInboxEvents: scrubbed }, 'erasure: inbox and dead-letter payloads scrubbed');
  return result;
}
