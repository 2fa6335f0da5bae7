import {
  verifyHubSpot,
  WebhookVerificationError,
  type CanonicalBatch,
  type WebhookDefinition,
  type WebhookEvent,
} from '../../src/connector-kit/index.js';
import { getObject, type HubspotConfig } from './client.js';
import { mapContact, mapTicket } from './mapping.js';

/** One entry of a HubSpot webhook POST (the body is a JSON array of these). */
export interface HubspotWebhookEvent {
  eventId: number;
  subscriptionId: number;
  portalId: number;
  appId: number;
  occurredAt: number;
  subscriptionType: string;
  attemptNumber: number;
  objectId: number;
  propertyName?: string;
  propertyValue?: string;
  changeSource?: string;
}

export const hubspotWebhooks: WebhookDefinition<HubspotConfig> = {
  verify(req, { credentials, nowMs }) {
    const secret = credentials['clientSecret'];
    if (!secret)
      throw new WebhookVerificationError(
        'missing_signature',
        'hubspot: no clientSecret credential to verify with',
      );
    verifyHubSpot({
      payload: req.rawBody,
      headers: req.headers,
      secret,
      method: req.method,
      uri: req.url,
      nowMs,
    });
  },
  parse(req) {
    const body: unknown = JSON.parse(req.rawBody.toString('utf8'));
    if (!Array.isArray(body)) throw new Error('hubspot webhook body is not an array of events');
    return body.map((raw): WebhookEvent => {
      const e = raw as Partial<HubspotWebhookEvent>;
      if (typeof e.eventId !== 'number' || typeof e.subscriptionType !== 'string' || e.objectId === undefined)
        throw new Error('hubspot webhook event lacks eventId, subscriptionType or objectId');
      // retries repeat the eventId; portal + subscription make it unique across apps
      return {
        id: `${e.portalId ?? 0}:${e.subscriptionId ?? 0}:${e.eventId}`,
        type: e.subscriptionType,
        payload: e,
      };
    });
  },
  async map(event, ctx): Promise<CanonicalBatch> {
    const e = event.payload as HubspotWebhookEvent;
    const id = String(e.objectId);
    const [object, action] = event.type.split('.');
    if (object === 'contact') {
      if (action === 'deletion' || action === 'privacyDeletion')
        return {
          people: [
            {
              objectType: 'contact',
              externalId: id,
              deleted: true,
              identifiers: [{ kind: 'external', namespace: 'hubspot:contact', value: id }],
              updatedAt: new Date(e.occurredAt),
            },
          ],
        };
      // events carry one property at most: read the whole contact
      return { people: [mapContact(await getObject(ctx, 'contacts', id), ctx.config.xHandleProperty)] };
    }
    if (object === 'ticket') {
      if (action === 'deletion')
        return {
          interactions: [
            {
              externalId: `ticket:${id}`,
              occurredAt: new Date(e.occurredAt),
              channel: 'crm',
              direction: 'inbound',
              kind: 'ticket',
              deleted: true,
            },
          ],
        };
      return { interactions: [mapTicket(await getObject(ctx, 'tickets', id))] };
    }
    return {};
  },
};
