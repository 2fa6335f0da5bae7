import type { MiddlewareFn } from 'type-graphql';
import type { RequestContext } from '../graphql/context.js';
import { HubError } from '../graphql/errors.js';
import { erasureTerms, scrubErasedPayloads } from './erasure-scrub.js';
import { maskJson } from './mask.js';
import { accessFor, CUSTOMER_OF, POLICY } from './policy.js';
import { principalOf, recordRead, registerOwner, requestSecurity } from './request-security.js';

/**
 * Schema-wide middleware (type-graphql `globalMiddlewares`): runs on EVERY field, so a resolver
 * added later is covered without a decorator. Looks up `Type.field` in POLICY: deny throws
 * FORBIDDEN on that field only (the rest of the query answers), mask replaces the value, and a
 * personal value that is returned is recorded for the read audit of its customer.
 */
export const fieldPolicyMiddleware: MiddlewareFn<RequestContext> = async (
  { root, args, context, info },
  next,
) => {
  const type = info.parentType.name;
  const field = info.fieldName;
  const state = requestSecurity(context);
  const principal = principalOf(context);
  const access = accessFor(type, field, principal);
  const ownerOf = CUSTOMER_OF[type];
  if (ownerOf && root && typeof root === 'object')
    registerOwner(state, info.path.prev, ownerOf(root as Record<string, unknown>));
  if (access === 'deny') {
    if (principal === 'anonymous')
      throw new HubError('UNAUTHENTICATED', `Authentication is required to read ${type}.${field}`);
    throw new HubError('FORBIDDEN', `The ${principal} role may not read ${type}.${field}`, {
      field: `${type}.${field}`,
    });
  }
  if (type === 'Mutation' && field === 'eraseCustomer')
    return eraseAndScrub(context, String(args.customerId), next);
  const value: unknown = await next();
  const row = POLICY[`${type}.${field}`];
  if (!row?.personal || value === null || value === undefined) return value;
  recordRead(state, info.path, `${type}.${field}`, access === 'mask');
  if (access !== 'mask') return value;
  return row.mask ? row.mask(value, (root ?? {}) as Record<string, unknown>) : maskJson(value);
};

/**
 * Erasure also scrubs the person's identifiers out of inbox and dead-letter payloads. The terms are
 * read before the erasure runs, because it deletes the identifiers they come from.
 */
async function eraseAndScrub(
  ctx: RequestContext,
  customerId: string,
  next: () => Promise<unknown>,
): Promise<unknown> {
  const terms = await erasureTerms(ctx.services.dataSource, customerId);
  const result = await next();
  const scrubbed = await scrubErasedPayloads(ctx.services.dataSource, terms);
  ctx.log.info({ scrubbedInboxEvents: scrubbed }, 'erasure: inbox and dead-letter payloads scrubbed');
  return result;
}
