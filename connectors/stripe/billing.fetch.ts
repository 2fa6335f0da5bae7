import {
  isUpstreamError,
  type ConnectorContext,
  type FetchDefinition,
} from '../../src/connector-kit/index.js';
import { listPage, type StripeConfig, type StripeObject } from './client.js';

export interface BillingSummary {
  /** sum of `amount_remaining` over open invoices, in minor units (pence, cents) as Stripe gives them */
  openBalance: number;
  currency: string | null;
  /** open invoices whose due date has passed */
  overdueInvoices: number;
}

/**
 * Open balances for a batch of customers: the open invoices are listed once for the whole
 * batch (100 a page) and grouped; only customers with none are then looked up one by one,
 * to tell "owes nothing" from "unknown or deleted".
 */
export const billingFetch: FetchDefinition<StripeConfig, BillingSummary> = {
  name: 'billing',
  deadlineMs: 3_000,
  async fetchMany(ctx: ConnectorContext<StripeConfig>, externalIds: readonly string[]) {
    const wanted = new Set(externalIds);
    const open = new Map<string, StripeObject[]>();
    let after: string | undefined;
    for (;;) {
      const page = await listPage<StripeObject>(ctx, '/v1/invoices', {
        status: 'open',
        ...(after ? { starting_after: after } : {}),
      });
      for (const inv of page.data) {
        const customer =
          typeof inv['customer'] === 'string'
            ? inv['customer']
            : (inv['customer'] as { id?: string } | null)?.id;
        if (customer && wanted.has(customer)) open.set(customer, [...(open.get(customer) ?? []), inv]);
      }
      after = page.data.at(-1)?.id;
      if (!page.has_more || !after) break;
    }
    const nowSeconds = Date.now() / 1000;
    const known = new Map<string, BillingSummary | Error>();
    for (const [customer, invoices] of open) {
      known.set(customer, {
        openBalance: invoices.reduce(
          (sum, i) => sum + (typeof i['amount_remaining'] === 'number' ? i['amount_remaining'] : 0),
          0,
        ),
        currency: typeof invoices[0]?.['currency'] === 'string' ? invoices[0]['currency'] : null,
        overdueInvoices: invoices.filter(
          (i) => typeof i['due_date'] === 'number' && i['due_date'] < nowSeconds,
        ).length,
      });
    }
    await Promise.all(
      [...wanted]
        .filter((id) => !known.has(id))
        .map(async (id) => {
          try {
            const res = await ctx.http.get<StripeObject>(`/v1/customers/${encodeURIComponent(id)}`);
            if (res.data.deleted === true) known.set(id, new Error(`stripe customer ${id} is deleted`));
            else
              known.set(id, {
                openBalance: 0,
                currency: typeof res.data['currency'] === 'string' ? res.data['currency'] : null,
                overdueInvoices: 0,
              });
          } catch (err) {
            if (isUpstreamError(err) && err.http?.status === 404)
              known.set(id, new Error(`no stripe customer ${id}`));
            else throw err;
          }
        }),
    );
    return externalIds.map((id) => known.get(id) ?? new Error(`no stripe customer ${id}`));
  },
};
