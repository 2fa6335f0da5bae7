import { Ctx, Query, Resolver } from 'type-graphql';
import { databaseReady } from '../../db/database.js';
import type { RequestContext } from '../context.js';
import { Health } from '../types/health.type.js';

@Resolver()
export class HealthResolver {
  @Query(() => Health, { description: 'Is this hub able to serve: process, database and migrations' })
  async health(@Ctx() ctx: RequestContext): Promise<Health> {
    const ready = await databaseReady(ctx.services.dataSource);
    const database = !ready.reachable ? 'down' : ready.pending.length ? 'migrations-pending' : 'up';
    return { status: database === 'up' ? 'ok' : 'degraded', database, version: ctx.services.version };
  }
}
