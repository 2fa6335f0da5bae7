import {
  verifyX,
  WebhookVerificationError,
  xCrcResponseToken,
  type CanonicalBatch,
  type WebhookDefinition,
  type WebhookEvent,
  type WebhookRequest,
} from '../../src/connector-kit/index.js';
import { oneToOneConversationId, type XUser } from './client.js';
import { mapDm, mapMention } from './mapping.js';
import type { XConfig } from './config.js';

/** Account Activity API payloads are v1.1-shaped objects, not v2 ones. */
export interface AaaUser {
  id_str?: string;
  id?: string;
  screen_name: string;
  name?: string;
  location?: string | null;
}

export interface AaaTweet {
  id_str: string;
  text?: string;
  full_text?: string;
  extended_tweet?: { full_text?: string };
  created_at: string;
  timestamp_ms?: string;
  user: AaaUser;
  in_reply_to_user_id_str?: string | null;
  lang?: string;
  entities?: { user_mentions?: { id_str: string; screen_name?: string }[] };
}

export interface AaaDirectMessage {
  type: string;
  id: string;
  created_timestamp: string;
  message_create?: {
    target: { recipient_id: string };
    sender_id: string;
    message_data?: { text?: string };
  };
}

export interface AaaPayload {
  for_user_id?: string;
  tweet_create_events?: AaaTweet[];
  direct_message_events?: AaaDirectMessage[];
  users?: Record<string, AaaUser>;
}

export type XWebhookEvent =
  | { id: string; type: 'mention'; payload: { forUserId: string; tweet: AaaTweet } }
  | {
      id: string;
      type: 'direct_message';
      payload: { forUserId: string; dm: AaaDirectMessage; users: XUser[] };
    };

function parseBody(raw: Buffer, asVerification: boolean): AaaPayload {
  try {
    const body = JSON.parse(raw.toString('utf8')) as unknown;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object');
    return body as AaaPayload;
  } catch (err) {
    const message = `X webhook body is not a JSON object (${(err as Error).message})`;
    if (asVerification) throw new WebhookVerificationError('malformed', message);
    throw new Error(message);
  }
}

function eventTimesMs(body: AaaPayload): number[] {
  const times: number[] = [];
  for (const t of body.tweet_create_events ?? []) {
    const ms = t.timestamp_ms ? Number(t.timestamp_ms) : Date.parse(t.created_at);
    times.push(ms);
  }
  for (const d of body.direct_message_events ?? []) times.push(Number(d.created_timestamp));
  return times;
}

const toV2User = (u: AaaUser): XUser => {
  const user: XUser = { id: u.id_str ?? u.id ?? '', username: u.screen_name };
  if (u.name) user.name = u.name;
  if (u.location) user.location = u.location;
  return user;
};

/**
 * Account Activity webhooks: GET CRC challenge, POSTs signed with `x-twitter-webhooks-signature`.
 * X signs no timestamp, so the replay window is checked on the signed events' own times.
 */
export const xWebhooks: WebhookDefinition<XConfig> = {
  handshake(req: WebhookRequest, { credentials }) {
    if (req.method.toUpperCase() !== 'GET') return null;
    const crc = req.query['crc_token'];
    if (!crc) return { status: 400, body: { error: 'crc_token is required' } };
    const secret = credentials['consumerSecret'];
    if (!secret) return { status: 500, body: { error: 'consumerSecret is not configured' } };
    return { status: 200, body: { response_token: xCrcResponseToken(crc, secret) } };
  },

  verify(req, { config, credentials, nowMs }) {
    const secret = credentials['consumerSecret'];
    if (!secret) throw new WebhookVerificationError('bad_signature', 'consumerSecret is not configured');
    verifyX({ payload: req.rawBody, headers: req.headers, consumerSecret: secret });
    const windowMs = config.webhookReplayWindowSeconds * 1000;
    for (const at of eventTimesMs(parseBody(req.rawBody, true))) {
      if (!Number.isFinite(at))
        throw new WebhookVerificationError('malformed', 'X event without a usable timestamp');
      // a little clock skew ahead is tolerated; an old delivery replayed is not
      if (at < nowMs - windowMs || at > nowMs + 300_000)
        throw new WebhookVerificationError(
          'stale',
          `X event time ${new Date(at).toISOString()} is outside the replay window`,
        );
    }
  },

  parse(req): WebhookEvent[] {
    const body = parseBody(req.rawBody, false);
    const forUserId = body.for_user_id;
    if (!forUserId) throw new Error('X webhook body lacks for_user_id');
    const events: XWebhookEvent[] = [];
    for (const tweet of body.tweet_create_events ?? []) {
      // tweet_create_events also carries the account's own posts and retweets; only others' mentions count
      const mentioned = tweet.entities?.user_mentions?.some((m) => m.id_str === forUserId) ?? false;
      if (tweet.user.id_str === forUserId || !mentioned) continue;
      events.push({ id: `post:${tweet.id_str}`, type: 'mention', payload: { forUserId, tweet } });
    }
    const users = Object.values(body.users ?? {}).map(toV2User);
    for (const dm of body.direct_message_events ?? []) {
      if (dm.type !== 'message_create' || !dm.message_create) continue;
      events.push({ id: `dm:${dm.id}`, type: 'direct_message', payload: { forUserId, dm, users } });
    }
    return events;
  },

  map(event): CanonicalBatch {
    const e = event as XWebhookEvent;
    if (e.type === 'mention') {
      const t = e.payload.tweet;
      const author = toV2User(t.user);
      const post = {
        id: t.id_str,
        text: t.extended_tweet?.full_text ?? t.full_text ?? t.text ?? '',
        author_id: author.id,
        created_at: new Date(
          t.timestamp_ms ? Number(t.timestamp_ms) : Date.parse(t.created_at),
        ).toISOString(),
        ...(t.in_reply_to_user_id_str ? { in_reply_to_user_id: t.in_reply_to_user_id_str } : {}),
        ...(t.lang ? { lang: t.lang } : {}),
      };
      return mapMention({ post, author });
    }
    if (e.type === 'direct_message') {
      const { dm, users, forUserId } = e.payload;
      const mc = dm.message_create!;
      const participants = [mc.sender_id, mc.target.recipient_id];
      return mapDm(
        {
          event: {
            id: dm.id,
            event_type: 'MessageCreate',
            text: mc.message_data?.text ?? '',
            created_at: new Date(Number(dm.created_timestamp)).toISOString(),
            sender_id: mc.sender_id,
            participant_ids: participants,
            dm_conversation_id: oneToOneConversationId(mc.sender_id, mc.target.recipient_id),
          },
          users,
        },
        forUserId,
      );
    }
    return {};
  },
};
