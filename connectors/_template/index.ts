import { z } from 'zod';
import {
  bearer,
  defineConnector,
  type FetchDefinition,
  type StreamDefinition,
} from '../../src/connector-kit/index.js';
import {
  VENDORX_API,
  type VendorxConfig,
  type VendorxContact,
  type VendorxContactPage,
  type VendorxContactsCursor,
} from './client.js';
import { mapVendorxContact } from './mapping.js';
import { vendorxWebhooks } from './webhooks.js';

const configSchema = z.object({
  pageSize: z.number().int().min(1).max(100).default(50),
}) as unknown as z.ZodType<VendorxConfig>;

const contacts: StreamDefinition<VendorxConfig, VendorxContact, VendorxContactsCursor> = {
  name: 'contacts',
  description: 'Contacts, oldest first, by opaque cursor',
  everySeconds: 300,
  async fetchPage(ctx, cursor) {
    const res = await ctx.http.get<VendorxContactPage>('/v1/contacts', {
      params: { limit: ctx.config.pageSize, ...(cursor ? { cursor: cursor.cursor } : {}) },
    });
    const next = res.data.next_cursor;
    // The last page's cursor is saved too: the next run starts after the last object, not before it.
    return { items: res.data.data, nextCursor: next ? { cursor: next } : cursor, done: !res.data.has_more };
  },
  map: (contact) => mapVendorxContact(contact),
};

/** Live lookups by id: one request per batch, values in key order, an Error per unknown id. */
const contactLookup: FetchDefinition<VendorxConfig, VendorxContact> = {
  name: 'contacts',
  deadlineMs: 2000,
  async fetchMany(ctx, ids) {
    if (!ids.length) return [];
    const res = await ctx.http.get<{ data: VendorxContact[] }>('/v1/contacts/batch', {
      params: { ids: ids.join(',') },
    });
    const byId = new Map(res.data.data.map((c) => [c.id, c]));
    return ids.map((id) => byId.get(id) ?? new Error(`vendorx contact ${id} not found`));
  },
};

export default defineConnector<VendorxConfig>({
  id: 'vendorx',
  category: 'crm',
  displayName: 'Vendorx',
  api: VENDORX_API,
  configSchema,
  credentials: {
    apiToken: { description: 'Vendorx API token (Settings → API)' },
    webhookSecret: { description: 'Vendorx webhook signing secret', optional: true },
  },
  auth: ({ credentials }) => bearer(credentials.apiToken!),
  streams: [contacts],
  webhooks: vendorxWebhooks,
  fetch: [contactLookup],
});
