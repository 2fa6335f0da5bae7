import { z } from 'zod';
import { basic, bearer, defineConnector } from '../../src/connector-kit/index.js';
import type { ZendeskConfig } from './client.js';
import { ticketsStream, usersStream } from './streams.js';
import { zendeskWebhooks } from './webhooks.js';

const configSchema = z.object({
  startTime: z.number().int().min(0).default(0),
  perPage: z.number().int().min(1).max(1000).default(1000),
  commentsPageSize: z.number().int().min(1).max(100).default(100),
  externalIdNamespace: z.string().min(1).default('zendesk:external_id'),
  webhookToleranceSeconds: z.number().int().positive().default(300),
});

export default defineConnector<ZendeskConfig>({
  id: 'zendesk',
  category: 'contact_centre',
  displayName: 'Zendesk Support',
  api: {
    // set the instance's baseUrl to https://<subdomain>.zendesk.com
    baseUrl: 'https://{subdomain}.zendesk.com',
    auth: 'basic',
    paging: 'cursor',
    rateLimitHeaders: ['retry-after', 'x-rate-limit', 'x-rate-limit-remaining'],
    docs: 'https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/',
  },
  configSchema: configSchema as unknown as z.ZodType<ZendeskConfig>,
  credentials: {
    email: { description: 'Agent e-mail for API-token auth ({email}/token:{apiToken})', optional: true },
    apiToken: {
      description: 'API token (Admin Center → Apps and integrations → Zendesk API)',
      optional: true,
    },
    oauthToken: {
      description: 'OAuth access token (Bearer); used instead of email + apiToken',
      optional: true,
    },
    webhookSecret: { description: "The webhook's signing secret", optional: true },
  },
  auth: ({ credentials }) => {
    if (credentials.oauthToken) return bearer(credentials.oauthToken);
    if (!credentials.email || !credentials.apiToken)
      throw new Error('zendesk: set credentials oauthToken, or email and apiToken');
    return basic(`${credentials.email}/token`, credentials.apiToken);
  },
  streams: [usersStream, ticketsStream],
  webhooks: zendeskWebhooks,
});
