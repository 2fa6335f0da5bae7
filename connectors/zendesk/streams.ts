import type { StreamDefinition } from '../../src/connector-kit/index.js';
import {
  bundleTickets,
  exportPage,
  type ZendeskConfig,
  type ZendeskExportCursor,
  type ZendeskTicketBundle,
  type ZendeskUser,
} from './client.js';
import { mapTicket, mapUser } from './mapping.js';

/**
 * Zendesk's cursor-based incremental export: `start_time` once, then `cursor=after_cursor`.
 * When `end_of_stream` is true the run is done and that page's `after_cursor` is where the
 * next run resumes (Zendesk leaves the last minute's changes for the next call).
 */
function nextOf(
  page: { after_cursor: string | null; end_of_stream: boolean },
  cursor: ZendeskExportCursor | null,
) {
  const nextCursor = page.after_cursor ? { afterCursor: page.after_cursor } : cursor;
  return { nextCursor, done: page.end_of_stream || !page.after_cursor };
}

export const usersStream: StreamDefinition<ZendeskConfig, ZendeskUser, ZendeskExportCursor> = {
  name: 'users',
  description: 'Users (incremental cursor export); end-users become people',
  everySeconds: 300,
  async fetchPage(ctx, cursor) {
    const page = await exportPage(ctx, 'users', cursor);
    return { items: page.users ?? [], ...nextOf(page, cursor) };
  },
  map: (user, ctx) => mapUser(user, ctx.config.externalIdNamespace),
};

export const ticketsStream: StreamDefinition<ZendeskConfig, ZendeskTicketBundle, ZendeskExportCursor> = {
  name: 'tickets',
  description: 'Tickets (incremental cursor export) with their comments',
  everySeconds: 120,
  async fetchPage(ctx, cursor) {
    const page = await exportPage(ctx, 'tickets', cursor);
    const items = await bundleTickets(ctx, page.tickets ?? [], page.users ?? []);
    return { items, ...nextOf(page, cursor) };
  },
  map: (bundle) => mapTicket(bundle),
};
