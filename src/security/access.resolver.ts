import { Ctx, FieldResolver, Resolver } from 'type-graphql';
import type { RequestContext } from '../graphql/context.js';
import { Health } from '../graphql/types/health.type.js';
import { requestSecurity } from './request-security.js';

/** Adds `Health.access`: whether this hub is open (the demo) or needs a credential, and who you are. */
@Resolver(() => Health)
export class AccessResolver {
  @FieldResolver(() => String, {
    description:
      'open (demo: no credential needed, every caller is admin) or secured; with the role this request acts as',
  })
  access(@Ctx() ctx: RequestContext): string {
    const { method } = requestSecurity(ctx);
    if (method === 'demo' || method === 'open')
      return 'open (DEMO: no authentication, every caller acts as admin; never use with real data)';
    return ctx.role
      ? `secured (authenticated as ${ctx.role} by ${method})`
      : 'secured (anonymous: only health; send Authorization: Bearer <key or token>)';
  }
}
