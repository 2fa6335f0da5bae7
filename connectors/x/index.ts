import { bearer, defineConnector, oauth2, type StreamDefinition } from '../../src/connector-kit/index.js';
import {
  dmEventsParams,
  maxId,
  compareIds,
  mentionsParams,
  X_API,
  X_PATHS,
  type XDmEvent,
  type XListResponse,
  type XPost,
} from './client.js';
import { xConfigSchema, type XConfig } from './config.js';
import { mapDm, mapMention, type XDmItem, type XMentionItem } from './mapping.js';
import { xWebhooks } from './webhooks.js';

/** Mentions resume from `since_id` (the newest id seen); within a run, `pagination_token` walks back in time. */
export interface XMentionsCursor {
  sinceId?: string;
  token?: string;
  /** newest id seen in this run, promoted to `sinceId` when the run ends */
  newestId?: string;
}

/** dm_events has no since_id: pages run newest first and a run stops at the newest id of the previous run. */
export interface XDmCursor {
  stopAtId?: string;
  token?: string;
  newestId?: string;
}

const mentions: StreamDefinition<XConfig, XMentionItem, XMentionsCursor> = {
  name: 'mentions',
  description: 'Posts mentioning the account, with their authors (GET /2/users/{id}/mentions)',
  everySeconds: 60,
  async fetchPage(ctx, cursor) {
    const res = await ctx.http.get<XListResponse<XPost>>(X_PATHS.mentions(ctx.config.userId), {
      params: mentionsParams({
        maxResults: ctx.config.maxResults,
        sinceId: cursor?.sinceId,
        token: cursor?.token,
      }),
    });
    const users = new Map((res.data.includes?.users ?? []).map((u) => [u.id, u]));
    const items = (res.data.data ?? []).map((post) => ({
      post,
      author: (post.author_id ? users.get(post.author_id) : undefined) ?? null,
    }));
    const newestId = maxId(cursor?.newestId, res.data.meta?.newest_id, ...items.map((i) => i.post.id));
    const next = res.data.meta?.next_token;
    if (next) {
      const nextCursor: XMentionsCursor = { token: next };
      if (cursor?.sinceId) nextCursor.sinceId = cursor.sinceId;
      if (newestId) nextCursor.newestId = newestId;
      return { items, nextCursor, done: false };
    }
    const sinceId = newestId ?? cursor?.sinceId;
    return { items, nextCursor: sinceId ? { sinceId } : null, done: true };
  },
  map: (item) => mapMention(item),
};

const directMessages: StreamDefinition<XConfig, XDmItem, XDmCursor> = {
  name: 'direct_messages',
  description: 'DM events of the account (GET /2/dm_events; needs an OAuth2 user token with dm.read)',
  everySeconds: 60,
  async fetchPage(ctx, cursor) {
    if (!ctx.credentials['refreshToken']) {
      // an app-only bearer token is refused by /2/dm_events: nothing to read without a user token
      ctx.log.warn(
        { connector: 'x', instance: ctx.instanceId },
        'x: direct_messages needs an OAuth2 user token (refreshToken); skipped',
      );
      return { items: [], nextCursor: cursor, done: true };
    }
    const res = await ctx.http.get<XListResponse<XDmEvent>>(X_PATHS.dmEvents, {
      params: dmEventsParams({ maxResults: ctx.config.maxResults, token: cursor?.token }),
    });
    const users = res.data.includes?.users ?? [];
    const stopAt = cursor?.stopAtId;
    const events = res.data.data ?? [];
    const fresh = events.filter((e) => stopAt === undefined || compareIds(e.id, stopAt) > 0);
    const items = fresh.map((event) => ({
      event,
      users: users.filter((u) => u.id === event.sender_id || (event.participant_ids ?? []).includes(u.id)),
    }));
    const newestId = maxId(cursor?.newestId, ...fresh.map((e) => e.id));
    const next = res.data.meta?.next_token;
    if (next && fresh.length === events.length) {
      const nextCursor: XDmCursor = { token: next };
      if (stopAt) nextCursor.stopAtId = stopAt;
      if (newestId) nextCursor.newestId = newestId;
      return { items, nextCursor, done: false };
    }
    const stopAtId = newestId ?? stopAt;
    return { items, nextCursor: stopAtId ? { stopAtId } : null, done: true };
  },
  map: (item, ctx) => mapDm(item, ctx.config.userId),
};

export default defineConnector<XConfig>({
  id: 'x',
  category: 'social',
  displayName: 'X (Twitter) API v2',
  api: X_API,
  configSchema: xConfigSchema,
  credentials: {
    bearerToken: { description: 'App-only bearer token (mentions only)', optional: true },
    clientId: { description: 'OAuth 2.0 client id (user-context token for DMs)', optional: true },
    clientSecret: { description: 'OAuth 2.0 client secret (confidential client)', optional: true },
    refreshToken: { description: 'OAuth 2.0 refresh token from the offline.access grant', optional: true },
    consumerSecret: { description: 'API key secret: CRC challenge and webhook signatures', optional: true },
  },
  auth({ config, credentials, tokenStore }) {
    const baseUrl = config.baseUrl ?? X_API.baseUrl;
    if (credentials['refreshToken'] && credentials['clientId']) {
      return oauth2({
        tokenUrl: `${baseUrl}${X_PATHS.token}`,
        clientId: credentials['clientId'],
        clientSecret: credentials['clientSecret'] ?? '',
        refreshToken: credentials['refreshToken'],
        store: tokenStore,
        clientAuth: credentials['clientSecret'] ? 'basic' : 'body',
      });
    }
    const token = credentials['bearerToken'];
    if (!token) throw new Error('x: set either bearerToken or clientId + refreshToken');
    return bearer(token);
  },
  // 429 with x-rate-limit-reset (epoch seconds) is the kit's default reading
  streams: [mentions, directMessages],
  webhooks: xWebhooks,
});
