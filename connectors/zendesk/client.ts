import type { ConnectorContext } from '../../src/connector-kit/index.js';

export interface ZendeskConfig {
  /** first sync exports everything changed on or after this Unix time (seconds) */
  startTime: number;
  /** items per incremental export page (Zendesk allows up to 1000) */
  perPage: number;
  /** comments per page (Zendesk allows up to 100) */
  commentsPageSize: number;
  /** namespace for users' `external_id` (the customer's id in another system), e.g. `hubspot:contact` */
  externalIdNamespace: string;
  /** replay window for webhook timestamps (seconds) */
  webhookToleranceSeconds: number;
}

export type ZendeskRole = 'end-user' | 'agent' | 'admin';

export interface ZendeskUser {
  id: number;
  url?: string;
  name: string;
  email: string | null;
  phone: string | null;
  external_id: string | null;
  role: ZendeskRole;
  active: boolean;
  verified?: boolean;
  time_zone?: string | null;
  locale?: string | null;
  organization_id?: number | null;
  created_at: string;
  updated_at: string;
  [field: string]: unknown;
}

export type ZendeskTicketStatus = 'new' | 'open' | 'pending' | 'hold' | 'solved' | 'closed' | 'deleted';

export interface ZendeskTicket {
  id: number;
  url?: string;
  external_id: string | null;
  subject: string | null;
  description?: string | null;
  status: ZendeskTicketStatus;
  priority: string | null;
  type: string | null;
  requester_id: number;
  submitter_id: number | null;
  assignee_id: number | null;
  group_id?: number | null;
  organization_id?: number | null;
  tags?: string[];
  via?: { channel: string; [k: string]: unknown };
  created_at: string;
  updated_at: string;
  generated_timestamp?: number;
  [field: string]: unknown;
}

export interface ZendeskComment {
  id: number;
  type: 'Comment' | 'VoiceComment';
  author_id: number;
  body: string;
  html_body?: string;
  plain_body?: string;
  public: boolean;
  created_at: string;
  via?: { channel: string; [k: string]: unknown };
  [field: string]: unknown;
}

/** One ticket as the tickets stream yields it: the ticket, its comments, and the users they name. */
export interface ZendeskTicketBundle {
  ticket: ZendeskTicket;
  comments: ZendeskComment[];
  /** by user id: requester, submitter, assignee and comment authors, where Zendesk sideloaded them */
  users: Record<string, ZendeskUser>;
}

export interface IncrementalPage {
  after_cursor: string | null;
  after_url: string | null;
  before_cursor?: string | null;
  before_url?: string | null;
  end_of_stream: boolean;
  users?: ZendeskUser[];
  tickets?: ZendeskTicket[];
}

/** Where an incremental export resumes: Zendesk's own `after_cursor`, or a start time for the first run. */
export interface ZendeskExportCursor {
  afterCursor: string;
}

/** One page of `/api/v2/incremental/{tickets|users}/cursor.json`, from a start time or a cursor. */
export async function exportPage(
  ctx: ConnectorContext<ZendeskConfig>,
  resource: 'tickets' | 'users',
  cursor: ZendeskExportCursor | null,
): Promise<IncrementalPage> {
  const params: Record<string, unknown> = cursor
    ? { cursor: cursor.afterCursor, per_page: ctx.config.perPage }
    : { start_time: ctx.config.startTime, per_page: ctx.config.perPage };
  // tickets carry their requester/assignee as sideloaded users, so mapping needs no extra call
  if (resource === 'tickets') params.include = 'users';
  const res = await ctx.http.get<IncrementalPage>(`/api/v2/incremental/${resource}/cursor.json`, { params });
  return res.data;
}

interface CommentsPage {
  comments: ZendeskComment[];
  users?: ZendeskUser[];
  meta?: { has_more: boolean; after_cursor: string | null };
  links?: { next: string | null };
}

/** Every comment of a ticket, oldest first, with their authors sideloaded (`include=users`). */
export async function ticketComments(
  ctx: ConnectorContext<ZendeskConfig>,
  ticketId: number,
): Promise<{ comments: ZendeskComment[]; users: ZendeskUser[] }> {
  const comments: ZendeskComment[] = [];
  const users: ZendeskUser[] = [];
  let after: string | null = null;
  for (;;) {
    const params: Record<string, unknown> = { 'page[size]': ctx.config.commentsPageSize, include: 'users' };
    if (after) params['page[after]'] = after;
    const res = await ctx.http.get<CommentsPage>(`/api/v2/tickets/${ticketId}/comments.json`, { params });
    comments.push(...res.data.comments);
    users.push(...(res.data.users ?? []));
    if (!res.data.meta?.has_more || !res.data.meta.after_cursor) return { comments, users };
    after = res.data.meta.after_cursor;
  }
}

const byId = (users: readonly ZendeskUser[]): Record<string, ZendeskUser> =>
  Object.fromEntries(users.map((u) => [String(u.id), u]));

/** Completes tickets from an export page (or a webhook) with their comments and users. */
export async function bundleTickets(
  ctx: ConnectorContext<ZendeskConfig>,
  tickets: readonly ZendeskTicket[],
  sideloaded: readonly ZendeskUser[],
): Promise<ZendeskTicketBundle[]> {
  const known = byId(sideloaded);
  const out: ZendeskTicketBundle[] = [];
  for (const ticket of tickets) {
    // a deleted ticket's comments are gone (404): the ticket alone says it was deleted
    const { comments, users } =
      ticket.status === 'deleted' ? { comments: [], users: [] } : await ticketComments(ctx, ticket.id);
    const wanted = new Set([
      ticket.requester_id,
      ticket.submitter_id,
      ticket.assignee_id,
      ...comments.map((c) => c.author_id),
    ]);
    const all = { ...known, ...byId(users) };
    const picked: Record<string, ZendeskUser> = {};
    for (const id of wanted) if (id !== null && all[String(id)]) picked[String(id)] = all[String(id)]!;
    out.push({ ticket, comments, users: picked });
  }
  return out;
}

export async function showTicket(
  ctx: ConnectorContext<ZendeskConfig>,
  id: number,
): Promise<{ ticket: ZendeskTicket; users: ZendeskUser[] }> {
  const res = await ctx.http.get<{ ticket: ZendeskTicket; users?: ZendeskUser[] }>(
    `/api/v2/tickets/${id}.json`,
    {
      params: { include: 'users' },
    },
  );
  return { ticket: res.data.ticket, users: res.data.users ?? [] };
}

export async function showUser(ctx: ConnectorContext<ZendeskConfig>, id: number): Promise<ZendeskUser> {
  const res = await ctx.http.get<{ user: ZendeskUser }>(`/api/v2/users/${id}.json`);
  return res.data.user;
}
