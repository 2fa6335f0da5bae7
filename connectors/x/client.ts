import type { ApiDescription } from '../../src/connector-kit/index.js';

/** X API v2 as data (CONVENTIONS 2). Paths and parameters follow X's OpenAPI document (v2.167). */
export const X_API = {
  baseUrl: 'https://api.x.com',
  auth: 'oauth2',
  paging: 'page_token',
  rateLimitHeaders: ['x-rate-limit-limit', 'x-rate-limit-remaining', 'x-rate-limit-reset'],
  docs: 'https://docs.x.com/x-api',
} as const satisfies ApiDescription;

export const X_PATHS = {
  mentions: (userId: string) => `/2/users/${encodeURIComponent(userId)}/mentions`,
  dmEvents: '/2/dm_events',
  token: '/2/oauth2/token',
} as const;

/** User fields we ask for with every page, so authors arrive with their posts (`expansions`). */
export const X_USER_FIELDS = ['id', 'name', 'username', 'location', 'created_at'] as const;
/** The document names tweets "posts": `post.fields`, not the older `tweet.fields`. */
export const X_POST_FIELDS = ['id', 'text', 'created_at', 'conversation_id', 'lang'] as const;
// author_id is not a post field in the document: it arrives with `expansions=author_id`.
export const X_DM_EVENT_FIELDS = ['id', 'text', 'event_type', 'created_at', 'dm_conversation_id'] as const;

export interface XUser {
  id: string;
  username: string;
  name?: string;
  location?: string;
  created_at?: string;
}

export interface XPost {
  id: string;
  text: string;
  author_id?: string;
  created_at?: string;
  conversation_id?: string;
  in_reply_to_user_id?: string;
  lang?: string;
}

export interface XDmEvent {
  id: string;
  event_type: string;
  text?: string;
  created_at?: string;
  dm_conversation_id?: string;
  /** present with `expansions=sender_id` */
  sender_id?: string;
  participant_ids?: string[];
}

export interface XListResponse<T> {
  data?: T[];
  includes?: { users?: XUser[] };
  meta?: { result_count?: number; next_token?: string; newest_id?: string; oldest_id?: string };
  errors?: unknown[];
}

/** Query parameters for one mentions page (arrays are comma-joined: `style: form, explode: false`). */
export function mentionsParams(opts: {
  maxResults: number;
  sinceId?: string | undefined;
  token?: string | undefined;
}) {
  return {
    max_results: opts.maxResults,
    expansions: 'author_id',
    'user.fields': X_USER_FIELDS.join(','),
    'post.fields': X_POST_FIELDS.join(','),
    ...(opts.sinceId ? { since_id: opts.sinceId } : {}),
    ...(opts.token ? { pagination_token: opts.token } : {}),
  };
}

/** Query parameters for one page of `/2/dm_events` (no `since_id` there: newest first, stop at the last seen id). */
export function dmEventsParams(opts: { maxResults: number; token?: string | undefined }) {
  return {
    max_results: opts.maxResults,
    event_types: 'MessageCreate',
    'dm_event.fields': X_DM_EVENT_FIELDS.join(','),
    expansions: 'sender_id,participant_ids',
    'user.fields': X_USER_FIELDS.join(','),
    ...(opts.token ? { pagination_token: opts.token } : {}),
  };
}

/** X ids are 64-bit snowflakes: compare them as integers, never as strings of different lengths. */
export function compareIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function maxId(...ids: (string | undefined | null)[]): string | undefined {
  let best: string | undefined;
  for (const id of ids) if (id && (best === undefined || compareIds(id, best) > 0)) best = id;
  return best;
}

/** A 1:1 DM conversation id as X forms it: the two user ids, lower first, joined by `-`. */
export function oneToOneConversationId(a: string, b: string): string {
  return compareIds(a, b) <= 0 ? `${a}-${b}` : `${b}-${a}`;
}
