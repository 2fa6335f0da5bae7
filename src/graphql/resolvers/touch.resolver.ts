import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { normaliseLookup } from '../../identity/lookup.js';
import type { RequestContext } from '../context.js';
import { BadUserInputError } from '../errors.js';
import { Customer } from '../types/customer.type.js';
import { BillingStatus, Conversation, ScreenPop, TouchPoint } from '../types/screen-pop.type.js';
import { checkPageSize } from './customer.resolver.js';

const CONVERSATION_SQL = `SELECT c.id, c.system, c.external_id AS "externalId", c.channel, c.status, c.subject, c.opened_at AS "openedAt",
  c.reply_window_ends_at AS "replyWindowEndsAt", c.sla_due_at AS "slaDueAt",
  e.id AS "assigneeId", e.display_name AS "assigneeName", e.department AS "assigneeDepartment", e.title AS "assigneeTitle"
  FROM conversation c LEFT JOIN employee e ON e.id = c.assignee_employee_id`;

function toConversation(r: any): Conversation {
  return {
    id: r.id,
    system: r.system,
    externalId: r.externalId,
    channel: r.channel,
    status: r.status,
    subject: r.subject,
    openedAt: r.openedAt,
    replyWindowEndsAt: r.replyWindowEndsAt,
    slaDueAt: r.slaDueAt,
    assignee: r.assigneeId ? { id: r.assigneeId, displayName: r.assigneeName, department: r.assigneeDepartment, title: r.assigneeTitle } : null,
  };
}

@Resolver(() => Customer)
export class TouchResolver {
  @Query(() => ScreenPop, { nullable: true, description: 'Who is calling: the customer holding this phone, recent touches, open conversations, last employee' })
  async screenPop(@Arg('phone') phone: string, @Arg('last', () => Int, { defaultValue: 10 }) last: number, @Ctx() ctx: RequestContext): Promise<ScreenPop | null> {
    checkPageSize(last);
    const key = normaliseLookup('phone', '', phone, ctx.services.defaultPhoneRegion);
    if (!key.ok) throw new BadUserInputError('phone', key.error);
    // One round trip for the whole screen (identifier -> customer, recent touches, open conversations, last employee).
    // The live sources' records of the customer come in the same statement, so a live field
    // (customer { billing }) calls its sources without another round trip first.
    const pop = await ctx.services.customers.screenPop(key.value, last, ctx.live.liveInstances());
    if (!pop) return null;
    const row = pop.customer;
    // Later fields of this request (customer { identities, billing }) reuse the row instead of reading it again.
    ctx.loaders.customer.prime(row.id, row);
    ctx.live.primeRecords(row.id, pop.liveRecords);
    const openConversations = pop.open.map(toConversation);
    const now = Date.now();
    return {
      customer: { id: row.id, status: row.status, recordCount: row.recordCount, createdAt: row.createdAt, updatedAt: row.updatedAt, traitMap: row.traits },
      recentInteractions: pop.recent,
      openConversations,
      openReplyWindows: openConversations.filter((c) => c.replyWindowEndsAt && c.replyWindowEndsAt.getTime() > now),
      lastEmployee: pop.lastEmployee,
    };
  }

  @Query(() => [Customer], { description: 'Customers whose name, email or phone matches the text' })
  async searchCustomers(@Arg('text') text: string, @Arg('first', () => Int, { defaultValue: 20 }) first: number, @Ctx() ctx: RequestContext): Promise<Customer[]> {
    checkPageSize(first);
    const q = text.trim().toLowerCase();
    if (q.length < 2) throw new BadUserInputError('text', 'text must have at least 2 characters');
    const ids: { id: string }[] = await ctx.services.dataSource.query(
      `SELECT DISTINCT c.id, c.created_at FROM customer c
         LEFT JOIN source_record sr ON sr.customer_id = c.id
         LEFT JOIN record_identifier ri ON ri.source_record_id = sr.id
         LEFT JOIN identifier i ON i.id = ri.identifier_id
        WHERE c.status = 'active' AND (lower(c.traits->'firstName'->>'value' || ' ' || coalesce(c.traits->'lastName'->>'value', '')) LIKE $1
           OR (i.kind IN ('email', 'phone') AND i.value LIKE $1))
        ORDER BY c.created_at LIMIT $2`,
      [`%${q.replace(/[%_\\]/g, (m) => `\\${m}`)}%`, first],
    );
    const rows = await Promise.all(ids.map((r) => ctx.loaders.customer.load(r.id)));
    return rows.filter((r) => r !== null).map((r) => ({ id: r.id, status: r.status, recordCount: r.recordCount, createdAt: r.createdAt, updatedAt: r.updatedAt, traitMap: r.traits }));
  }

  @FieldResolver(() => [Conversation], { description: 'Threads with this customer on every channel' })
  async conversations(@Root() customer: Customer, @Ctx() ctx: RequestContext): Promise<Conversation[]> {
    const rows = await ctx.services.dataSource.query(`${CONVERSATION_SQL} WHERE c.customer_id = $1 ORDER BY c.opened_at DESC LIMIT 100`, [customer.id]);
    return (rows as any[]).map(toConversation);
  }

  @FieldResolver(() => [TouchPoint], { description: 'Employees (and their departments) who dealt with this customer, by channel and when last' })
  async touchPoints(@Root() customer: Customer, @Ctx() ctx: RequestContext): Promise<TouchPoint[]> {
    const rows: any[] = await ctx.services.dataSource.query(
      `SELECT e.id, e.display_name AS "displayName", e.department, e.title,
              array_agg(DISTINCT i.channel ORDER BY i.channel) AS channels, max(i.occurred_at) AS "lastAt", count(*)::int AS n
         FROM interaction i JOIN employee e ON e.id = i.handled_by_employee_id
        WHERE i.customer_id = $1 GROUP BY e.id ORDER BY max(i.occurred_at) DESC`,
      [customer.id],
    );
    return rows.map((r) => ({ employee: { id: r.id, displayName: r.displayName, department: r.department, title: r.title }, channels: r.channels, lastAt: r.lastAt, interactions: r.n }));
  }

  @FieldResolver(() => BillingStatus, {
    nullable: true,
    description: 'Open balance and overdue invoices, live from the billing systems (one batched call per source per request)',
  })
  async billing(@Root() customer: Customer, @Ctx() ctx: RequestContext): Promise<BillingStatus | null> {
    if (!ctx.live.instancesWith('billing').length) return null;
    const records = await ctx.live.recordsOf(customer.id, 'billing');
    if (!records.length) return null;
    const values = (await Promise.all(records.map((r) => ctx.live.load(r.system, 'billing', r.externalId)))).filter((v) => v !== null);
    if (!values.length) return null;
    let openBalance = 0;
    let overdueInvoices = 0;
    let currency: string | null = null;
    for (const v of values) {
      const b = v.value as { openBalance?: number; currency?: string | null; overdueInvoices?: number };
      openBalance += b.openBalance ?? 0;
      overdueInvoices += b.overdueInvoices ?? 0;
      currency ??= b.currency ?? null;
    }
    return {
      openBalance,
      currency,
      overdueInvoices,
      sources: [...new Set(values.map((v) => v.source))],
      asOf: new Date(Math.min(...values.map((v) => v.asOf.getTime()))),
      stale: values.some((v) => v.stale),
    };
  }
}
