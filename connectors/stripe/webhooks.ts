import {
  verifyStripe,
  WebhookVerificationError,
  type CanonicalBatch,
  type WebhookDefinition,
} from '../../src/connector-kit/index.js';
import type { StripeConfig, StripeEvent } from './client.js';
import { mapCharge, mapCustomer, mapInvoice } from './mapping.js';

export const stripeWebhooks: WebhookDefinition<StripeConfig> = {
  verify(req, { credentials, nowMs }) {
    const secret = credentials['webhookSecret'];
    if (!secret)
      throw new WebhookVerificationError(
        'missing_signature',
        'stripe: no webhookSecret credential to verify with',
      );
    verifyStripe({ payload: req.rawBody, headers: req.headers, secret, nowMs });
  },
  parse(req) {
    const e = JSON.parse(req.rawBody.toString('utf8')) as Partial<StripeEvent>;
    if (
      e.object !== 'event' ||
      typeof e.id !== 'string' ||
      typeof e.type !== 'string' ||
      typeof e.data?.object !== 'object'
    )
      throw new Error('stripe webhook body is not an event');
    // Stripe retries deliver the same event id: the hub's idempotency key
    return [{ id: e.id, type: e.type, payload: e }];
  },
  map(event, ctx): CanonicalBatch {
    const e = event.payload as StripeEvent;
    const o = e.data.object;
    const deleted = e.type.endsWith('.deleted');
    switch (o.object) {
      case 'customer':
        return {
          people: [mapCustomer(deleted ? { ...o, deleted: true } : o, ctx.config.metadataIdentifiers)],
        };
      case 'invoice':
        return typeof o.id === 'string'
          ? { interactions: [mapInvoice(deleted ? { ...o, deleted: true } : o)] }
          : {};
      case 'charge':
        return { interactions: [mapCharge(o)] };
      default:
        return {};
    }
  },
};
