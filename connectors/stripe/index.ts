import { z } from 'zod';
import { bearer, defineConnector } from '../../src/connector-kit/index.js';
import { billingFetch } from './billing.fetch.js';
import { stripeClassify, type StripeConfig } from './client.js';
import { CHARGE_EVENTS, CUSTOMER_EVENTS, eventsStream, INVOICE_EVENTS } from './events.stream.js';
import { DEFAULT_METADATA_IDENTIFIERS, mapCharge, mapCustomer, mapInvoice } from './mapping.js';
import { stripeWebhooks } from './webhooks.js';

const configSchema: z.ZodType<StripeConfig> = z.object({
  baseUrl: z.string().url().optional(),
  metadataIdentifiers: z.record(z.string(), z.string()).default(DEFAULT_METADATA_IDENTIFIERS),
}) as unknown as z.ZodType<StripeConfig>;

export default defineConnector<StripeConfig>({
  id: 'stripe',
  category: 'billing',
  displayName: 'Stripe',
  api: {
    baseUrl: 'https://api.stripe.com',
    auth: 'bearer',
    paging: 'starting_after',
    rateLimitHeaders: ['Stripe-Should-Retry'],
    docs: 'https://docs.stripe.com/api',
  },
  configSchema,
  credentials: {
    secretKey: {
      description:
        'Secret or restricted key (sk_live_... / rk_live_...), read access to customers, invoices, charges, events',
    },
    webhookSecret: { description: 'Signing secret of the webhook endpoint (whsec_...)', optional: true },
  },
  auth: ({ credentials }) => {
    const key = credentials['secretKey'];
    if (!key) throw new Error('stripe: the secretKey credential is not set');
    return bearer(key);
  },
  classify: stripeClassify,
  // Stripe allows 100 read requests/s live (25 in test mode); a small pool stays well inside
  http: { concurrency: 4 },
  streams: [
    eventsStream('customers', '/v1/customers', 'customer', CUSTOMER_EVENTS, (o, ctx) => ({
      people: [mapCustomer(o, ctx.config.metadataIdentifiers)],
    })),
    eventsStream('invoices', '/v1/invoices', 'invoice', INVOICE_EVENTS, (o) => ({
      interactions: [mapInvoice(o)],
    })),
    eventsStream('charges', '/v1/charges', 'charge', CHARGE_EVENTS, (o) => ({
      interactions: [mapCharge(o)],
    })),
  ],
  webhooks: stripeWebhooks,
  fetch: [billingFetch],
});
