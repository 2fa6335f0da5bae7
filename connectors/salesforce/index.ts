import { z } from 'zod';
import type { CanonicalBatch, StreamDefinition } from '../../src/connector-kit/index.js';
import { defineConnector, oauth2 } from '../../src/connector-kit/index.js';
import {
  classifySalesforce,
  DEFAULT_API_VERSION,
  fetchSoqlPage,
  tokenUrlOf,
  type SalesforceConfig,
  type SoqlCursor,
  type SoqlRecord,
} from './client.js';
import {
  CASE_FIELDS,
  CONTACT_FIELDS,
  LEAD_FIELDS,
  mapCase,
  mapContact,
  mapLead,
  mapTask,
  TASK_FIELDS,
} from './mapping.js';

/** One SOQL-backed stream: the same incremental logic for every object, its own fields and mapping. */
function soqlStream(
  name: string,
  object: string,
  fields: readonly string[],
  map: (r: SoqlRecord) => CanonicalBatch,
): StreamDefinition<SalesforceConfig, SoqlRecord, SoqlCursor> {
  return {
    name,
    description: `${object} records by SystemModstamp (queryAll after the first backfill, for deletions)`,
    everySeconds: 120,
    async fetchPage(ctx, cursor) {
      const page = await fetchSoqlPage(ctx, object, fields, cursor);
      return { items: page.records, nextCursor: page.nextCursor, done: page.done };
    },
    map: (r) => map(r),
  };
}

export const contactsStream = soqlStream('contacts', 'Contact', CONTACT_FIELDS, mapContact);
export const leadsStream = soqlStream('leads', 'Lead', LEAD_FIELDS, mapLead);
export const casesStream = soqlStream('cases', 'Case', CASE_FIELDS, mapCase);
export const tasksStream = soqlStream('tasks', 'Task', TASK_FIELDS, mapTask);

export default defineConnector<SalesforceConfig>({
  id: 'salesforce',
  category: 'crm',
  displayName: 'Salesforce',
  api: {
    baseUrl: 'https://{instance}.my.salesforce.com',
    auth: 'oauth2',
    paging: 'next_url',
    rateLimitHeaders: ['Sforce-Limit-Info'],
    docs: 'https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/',
  },
  configSchema: z.object({
    instanceUrl: z.string().url(),
    loginUrl: z.string().url().optional(),
    clientId: z.string().min(1, 'salesforce: config.clientId (the connected app consumer key) is required'),
    apiVersion: z
      .string()
      .regex(/^v\d+\.\d$/)
      .default(DEFAULT_API_VERSION)
      .optional(),
    batchSize: z.number().int().min(1).max(2000).optional(),
  }) as unknown as z.ZodType<SalesforceConfig>,
  credentials: {
    clientSecret: { description: 'Connected app consumer secret' },
    refreshToken: { description: 'Refresh token from the OAuth web-server flow (offline access)' },
  },
  // Salesforce's token answer has no expires_in: a token is used until a 401 INVALID_SESSION_ID.
  auth: ({ config, credentials, tokenStore }) =>
    oauth2({
      tokenUrl: tokenUrlOf(config),
      clientId: config.clientId,
      clientSecret: credentials.clientSecret ?? '',
      store: tokenStore,
      ...(credentials.refreshToken ? { refreshToken: credentials.refreshToken } : {}),
    }),
  classify: classifySalesforce,
  http: { concurrency: 4 },
  streams: [contactsStream, leadsStream, casesStream, tasksStream],
});
