import { bearer, defineConnector, type StreamDefinition } from '../../src/connector-kit/index.js';
import { createHmac } from 'node:crypto';
import {
  CONVERSATION_FIELDS,
  graphTime,
  MESSAGE_FIELDS,
  META_API,
  metaClassify,
  type GraphConversation,
  type GraphList,
  type GraphMessage,
  type MetaPlatform,
} from './client.js';
import { metaConfigSchema, type MetaConfig } from './config.js';
import { mapConversation, type MetaConversationItem } from './mapping.js';
import { metaWebhooks } from './webhooks.js';

/**
 * Conversations come newest-updated first and the edge has no "since": a run walks `after`
 * cursors until it meets a conversation not updated since the previous run's newest one.
 */
export interface MetaConversationsCursor {
  after?: string;
  /** newest updated_time of the previous run (ISO) */
  watermark?: string;
  /** newest updated_time seen in this run, promoted to watermark at the end */
  newest?: string;
}

function appsecretProof(token: string, appSecret: string | undefined): Record<string, string> {
  // with "Require App Secret" on, Graph refuses calls without appsecret_proof = HMAC-SHA256(token, app secret)
  return appSecret ? { appsecret_proof: createHmac('sha256', appSecret).update(token).digest('hex') } : {};
}

function conversationsStream(
  platform: MetaPlatform,
): StreamDefinition<MetaConfig, MetaConversationItem, MetaConversationsCursor> {
  return {
    name: platform === 'messenger' ? 'messenger_conversations' : 'instagram_conversations',
    description: `GET /{page-id}/conversations?platform=${platform} with messages`,
    everySeconds: 60,
    async fetchPage(ctx, cursor) {
      const scopeId = platform === 'messenger' ? ctx.config.pageId : ctx.config.instagramBusinessId;
      if (!scopeId) return { items: [], nextCursor: cursor, done: true };
      const token = ctx.credentials['pageAccessToken'] ?? '';
      const proof = appsecretProof(token, ctx.credentials['appSecret']);
      const res = await ctx.http.get<GraphList<GraphConversation>>(
        `/${ctx.config.graphVersion}/${ctx.config.pageId}/conversations`,
        {
          params: {
            platform,
            fields: CONVERSATION_FIELDS,
            limit: ctx.config.pageSize,
            ...(cursor?.after ? { after: cursor.after } : {}),
            ...proof,
          },
        },
      );
      const watermark = cursor?.watermark ? Date.parse(cursor.watermark) : undefined;
      const fresh = res.data.data.filter(
        (c) => watermark === undefined || Date.parse(graphTime(c.updated_time)) > watermark,
      );
      const items: MetaConversationItem[] = [];
      for (const conversation of fresh) {
        const messages = [...(conversation.messages?.data ?? [])];
        let next = conversation.messages?.paging?.next;
        while (next) {
          // nested edges page on their own: follow them so long threads arrive whole
          const more = await ctx.http.get<GraphList<GraphMessage>>(
            `/${ctx.config.graphVersion}/${conversation.id}/messages`,
            {
              params: {
                fields: MESSAGE_FIELDS,
                limit: 100,
                after: new URL(next).searchParams.get('after') ?? '',
                ...proof,
              },
            },
          );
          messages.push(...more.data.data);
          next = more.data.paging?.next;
        }
        items.push({ platform, scopeId, conversation, messages });
      }
      const newestMs = Math.max(
        cursor?.newest ? Date.parse(cursor.newest) : -Infinity,
        ...fresh.map((c) => Date.parse(graphTime(c.updated_time))),
      );
      const newest = Number.isFinite(newestMs) ? new Date(newestMs).toISOString() : undefined;
      const after = res.data.paging?.cursors?.after;
      if (res.data.paging?.next && after && fresh.length === res.data.data.length) {
        const nextCursor: MetaConversationsCursor = { after };
        if (cursor?.watermark) nextCursor.watermark = cursor.watermark;
        if (newest) nextCursor.newest = newest;
        return { items, nextCursor, done: false };
      }
      const mark = newest ?? cursor?.watermark;
      return { items, nextCursor: mark ? { watermark: mark } : null, done: true };
    },
    map: (item) => mapConversation(item),
  };
}

export default defineConnector<MetaConfig>({
  id: 'meta',
  category: 'social',
  displayName: 'Meta (Facebook Page and Instagram messaging)',
  api: META_API,
  configSchema: metaConfigSchema,
  credentials: {
    pageAccessToken: {
      description: 'Page access token with pages_messaging (and instagram_manage_messages)',
    },
    appSecret: { description: 'App secret: X-Hub-Signature-256 and appsecret_proof', optional: true },
    verifyToken: {
      description: 'Verify token you chose for the webhook subscription handshake',
      optional: true,
    },
  },
  auth: ({ credentials }) => {
    const token = credentials['pageAccessToken'];
    if (!token) throw new Error('meta: pageAccessToken is required');
    return bearer(token);
  },
  classify: metaClassify,
  streams: [conversationsStream('messenger'), conversationsStream('instagram')],
  webhooks: metaWebhooks,
});
