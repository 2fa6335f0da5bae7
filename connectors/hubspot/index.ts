import { z } from 'zod';
import { bearer, defineConnector, oauth2 } from '../../src/connector-kit/index.js';
import type { HubspotConfig } from './client.js';
import { mapCall, mapContact, mapTicket } from './mapping.js';
import { searchStream } from './search.stream.js';
import { hubspotWebhooks } from './webhooks.js';

const configSchema: z.ZodType<HubspotConfig> = z.object({
  baseUrl: z.string().url().optional(),
  searchResultCap: z.number().int().positive().default(10_000),
  pageSize: z.number().int().min(1).max(200).default(100),
  xHandleProperty: z.string().min(1).default('twitterhandle'),
}) as unknown as z.ZodType<HubspotConfig>;

export default defineConnector<HubspotConfig>({
  id: 'hubspot',
  category: 'crm',
  displayName: 'HubSpot CRM',
  api: {
    baseUrl: 'https://api.hubapi.com',
    auth: 'bearer',
    paging: 'cursor',
    rateLimitHeaders: [
      'X-HubSpot-RateLimit-Max',
      'X-HubSpot-RateLimit-Remaining',
      'X-HubSpot-RateLimit-Interval-Milliseconds',
      'X-HubSpot-RateLimit-Secondly',
      'X-HubSpot-RateLimit-Secondly-Remaining',
    ],
    docs: 'https://developers.hubspot.com/docs/api/crm/search',
  },
  configSchema,
  credentials: {
    accessToken: { description: 'Private app access token (pat-...)', optional: true },
    clientSecret: { description: 'App client secret: verifies X-HubSpot-Signature-v3, and OAuth refresh' },
    clientId: { description: 'OAuth app client id (OAuth installs only)', optional: true },
    refreshToken: { description: 'OAuth refresh token (OAuth installs only)', optional: true },
  },
  auth({ config, credentials, tokenStore }) {
    if (credentials['accessToken']) return bearer(credentials['accessToken']);
    const { clientId, clientSecret, refreshToken } = credentials;
    if (!clientId || !clientSecret || !refreshToken)
      throw new Error('hubspot: set accessToken, or clientId + clientSecret + refreshToken for OAuth');
    return oauth2({
      tokenUrl: `${config.baseUrl ?? 'https://api.hubapi.com'}/oauth/v1/token`,
      clientId,
      clientSecret,
      refreshToken,
      store: tokenStore,
    });
  },
  http: { concurrency: 4 },
  streams: [
    searchStream('contacts', 'contacts', (o, ctx) => ({
      people: [mapContact(o, ctx.config.xHandleProperty)],
    })),
    searchStream('calls', 'calls', (o) => ({ interactions: [mapCall(o)] })),
    searchStream('tickets', 'tickets', (o) => ({ interactions: [mapTicket(o)] })),
  ],
  webhooks: hubspotWebhooks,
});
