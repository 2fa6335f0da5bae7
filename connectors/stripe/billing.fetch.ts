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

/** Most clauses Stripe's search takes in one query. */
const SEARCH_CLAUSES = 10;

/** Stripe ids are letters, digits and underscores: anything else is not one (and is never put in a query). */
const STRIPE_ID = /^[A-Za-z0-9_]{1,255}$/;

interface SearchResult<T> {
  object: 'search_result';
  data: T[];
  has_more: boolean;
  next_page: string | null;
}

/** The open invoices of one customer: the list filtered by customer and status (exact, at once). */
async function openInvoicesOf(ctx: ConnectorContext<StripeConfig>, customer: string): Promise<StripeObject[]> {
  const out: StripeObject[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await listPage<StripeObject>(ctx, '/v1/invoices', {
      customer,
      status: 'open',
      ...(after ? { starting_after: after } : {}),
    });
    out.push(...page.data);
    after = page.data.at(-1)?.id;
    if (!page.has_more || !after) return out;
  }
}

/** The open invoices of up to 10 customers in one search (`customer:'a' OR customer:'b' ...`). */
async function openInvoicesOfMany(ctx: ConnectorContext<StripeConfig>, customers: readonly string[]): Promise<StripeObject[]> {
  const query = customers.map((c) => `customer:'${c}'`).join(' OR ');
  const out: StripeObject[] = [];
  let page: string | undefined;
  for (;;) {
    const res = await ctx.http.get<SearchResult<StripeObject>>('/v1/invoices/search', {
      params: { query, limit: 100, ...(page ? { page } : {}) },
    });
    // AND and OR cannot be mixed in one query: the status is filtered here.
    out.push(...res.data.data.filter((i) => i['status'] === 'open'));
    if (!res.data.has_more || !res.data.next_page) return out;
    page = res.data.next_page;
  }
}

/**
 * Open balances for a batch of customers, asking only for their invoices: one customer (a screen
 * pop) is one list call filtered by customer and status, exact at once; a bigger batch is one
 * search call per 10 customers, in parallel (Stripe's search may lag writes by up to a minute,
 * which a billing summary can afford). Only customers with no open invoice are then looked up one
 * by one, to tell "owes nothing" from "unknown or deleted". An id that is not a Stripe id gets an
 * Error without a call.
 */
export const billingFetch: FetchDefinition<StripeConfig, BillingSummary> = {
  name: 'billing',
  deadlineMs: 3_000,
  async fetchMany(ctx: ConnectorContext<StripeConfig>, externalIds: readonly string[]) {
    const wanted = [...new Set(externalIds)].filter((id) => STRIPE_ID.test(id));
    const open = new Map<string, StripeObject[]>();
    const chunks: string[][] = [];
    for (let i = 0; i < wanted.length; i += SEARCH_CLAUSES) chunks.push(wanted.slice(i, i + SEARCH_CLAUSES));
    const found = await Promise.all(
      chunks.map((ids) => (ids.length === 1 ? openInvoicesOf(ctx, ids[0]!) : openInvoicesOfMany(ctx, ids))),
    );
    const asked = new Set(wanted);
    for (const inv of found.flat()) {
      const customer =
        typeof inv['customer'] === 'string' ? inv['customer'] : (inv['customer'] as { id?: string } | null)?.id;
      if (customer && asked.has(customer)) open.set(customer, [...(open.get(customer) ?? []), inv]);
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
      wanted
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
    return externalIds.map(
      (id) => known.get(id) ?? new Error(STRIPE_ID.test(id) ? `no stripe customer ${id}` : `"${id.slice(0, 60)}" is not a Stripe customer id`),
    );
  },
};
