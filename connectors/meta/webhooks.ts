import {
  metaVerifyChallenge,
  verifyMeta,
  WebhookVerificationError,
  type CanonicalBatch,
  type WebhookDefinition,
  type WebhookEvent,
} from '../../src/connector-kit/index.js';
import type { GraphMessage, MetaPlatform } from './client.js';
import type { MetaConfig } from './config.js';
import { mapConversation } from './mapping.js';

export interface MessagingEntry {
  sender: { id: string };
  recipient: { id: string };
  timestamp: number;
  message?: { mid: string; text?: string; is_echo?: boolean };
}

export interface MetaPayload {
  object?: string;
  entry?: { id: string; time: number; messaging?: MessagingEntry[] }[];
}

export interface MetaMessageEvent {
  id: string;
  type: 'message';
  payload: { platform: MetaPlatform; scopeId: string; messaging: MessagingEntry };
}

function parseBody(raw: Buffer, asVerification: boolean): MetaPayload {
  try {
    const body = JSON.parse(raw.toString('utf8')) as unknown;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object');
    return body as MetaPayload;
  } catch (err) {
    const message = `Meta webhook body is not a JSON object (${(err as Error).message})`;
    if (asVerification) throw new WebhookVerificationError('malformed', message);
    throw new Error(message);
  }
}

/**
 * Messenger / Instagram messaging webhooks: GET `hub.*` subscription handshake, POSTs signed with
 * `X-Hub-Signature-256` (hex HMAC-SHA256 of the raw body, app secret). No signed timestamp header:
 * the entries' own times bound replays.
 */
export const metaWebhooks: WebhookDefinition<MetaConfig> = {
  handshake(req, { credentials }) {
    if (req.method.toUpperCase() !== 'GET') return null;
    const challenge = metaVerifyChallenge(req.query, credentials['verifyToken'] ?? '');
    if (challenge === null || !credentials['verifyToken'])
      return { status: 403, body: 'Forbidden', contentType: 'text/plain' };
    return { status: 200, body: challenge, contentType: 'text/plain' };
  },

  verify(req, { config, credentials, nowMs }) {
    const appSecret = credentials['appSecret'];
    if (!appSecret) throw new WebhookVerificationError('bad_signature', 'appSecret is not configured');
    verifyMeta({ payload: req.rawBody, headers: req.headers, appSecret });
    const windowMs = config.webhookReplayWindowSeconds * 1000;
    for (const entry of parseBody(req.rawBody, true).entry ?? []) {
      const at = Number(entry.time);
      if (!Number.isFinite(at)) throw new WebhookVerificationError('malformed', 'Meta entry without a time');
      if (at < nowMs - windowMs || at > nowMs + 300_000)
        throw new WebhookVerificationError(
          'stale',
          `Meta entry time ${new Date(at).toISOString()} is outside the replay window`,
        );
    }
  },

  parse(req): WebhookEvent[] {
    const body = parseBody(req.rawBody, false);
    if (body.object !== 'page' && body.object !== 'instagram')
      throw new Error(`unexpected Meta webhook object ${String(body.object)}`);
    const platform: MetaPlatform = body.object === 'page' ? 'messenger' : 'instagram';
    const events: MetaMessageEvent[] = [];
    for (const entry of body.entry ?? []) {
      for (const messaging of entry.messaging ?? []) {
        // reads, deliveries and reactions carry no message: not touches
        if (!messaging.message?.mid) continue;
        events.push({
          id: messaging.message.mid,
          type: 'message',
          payload: { platform, scopeId: entry.id, messaging },
        });
      }
    }
    return events;
  },

  map(event): CanonicalBatch {
    const { platform, scopeId, messaging } = (event as MetaMessageEvent).payload;
    const echo = messaging.message?.is_echo === true || messaging.sender.id === scopeId;
    const userId = echo ? messaging.recipient.id : messaging.sender.id;
    const created = new Date(messaging.timestamp).toISOString();
    const message: GraphMessage = {
      id: messaging.message!.mid,
      message: messaging.message?.text ?? '',
      from: { id: messaging.sender.id },
      created_time: created,
    };
    // the same mapping as polling, on a one-message conversation: same ids, same conversation key
    return mapConversation({
      platform,
      scopeId,
      conversation: {
        id: '',
        updated_time: created,
        participants: { data: [{ id: userId }, { id: scopeId }] },
      },
      messages: [message],
    });
  },
};
