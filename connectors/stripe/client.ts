import { defaultClassify, type ClassifyHook, type ConnectorContext } from '../../src/connector-kit/index.js';

/** Stripe API calls and shapes the streams and the live fetch use. */

export interface StripeConfig {
  baseUrl?: string | undefined;
  /** metadata key → external namespace of the system whose id it holds (CRM cross-references) */
  metadataIdentifiers: Record<string, string>;
}

export type StripeObject = Record<string, unknown> & { id: string; object: string; deleted?: boolean };

export interface StripeList<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

export interface StripeEvent {
  id: string;
  object: 'event';
  type: string;
  created: number;
  data: { object: StripeObject; previous_attributes?: Record<string, unknown> };
}

/**
 * `Stripe-Should-Retry` overrides the status: `false` means repeating cannot help, `true` makes
 * even a 409 (idempotency lock conflict) worth retrying. Stripe's 429 usually carries no
 * Retry-After (then: back off with jitter); when one is there (a proxy, a future API), it is obeyed.
 */
export const stripeClassify: ClassifyHook = (res) => {
  const should = res.headers['stripe-should-retry'];
  if (res.status === 429) return should === 'false' ? { kind: 'fatal' } : defaultClassify(res);
  if (res.status >= 400 && should === 'false') return { kind: 'fatal' };
  if (res.status >= 400 && should === 'true') return { kind: 'retryable' };
  return undefined;
};

export async function listPage<T>(
  ctx: ConnectorContext<StripeConfig>,
  path: string,
  params: Record<string, unknown>,
): Promise<StripeList<T>> {
  const res = await ctx.http.get<StripeList<T>>(path, { params: { limit: 100, ...params } });
  return res.data;
}
