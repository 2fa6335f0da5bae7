import {
  assertEncoding,
  hmac,
  requireHeader,
  safeEqual,
  toBuffer,
  withinWindow,
  WebhookVerificationError,
  type HeaderBag,
  type RawPayload,
} from './signature.util.js';

export const ZENDESK_SIGNATURE_HEADER = 'X-Zendesk-Webhook-Signature';
export const ZENDESK_TIMESTAMP_HEADER = 'X-Zendesk-Webhook-Signature-Timestamp';
export const ZENDESK_DEFAULT_TOLERANCE_SECONDS = 300;

const sign = (secret: string, ts: string, payload: RawPayload): string =>
  hmac('sha256', secret, [Buffer.from(ts, 'utf8'), toBuffer(payload)], 'base64');

/**
 * Headers Zendesk would send: base64 HMAC-SHA256 of timestamp + body; the timestamp is ISO 8601.
 *
 * @example
 * signZendesk({ secret, payload: raw, timestamp: '2026-01-01T10:00:00Z' });
 */
export function signZendesk(input: {
  payload: RawPayload;
  secret: string;
  timestamp?: string;
}): Record<string, string> {
  const ts = input.timestamp ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    [ZENDESK_SIGNATURE_HEADER]: sign(input.secret, ts, input.payload),
    [ZENDESK_TIMESTAMP_HEADER]: ts,
  };
}

/**
 * Verifies a Zendesk webhook signature. Zendesk states no replay window, so ours is configurable (default 300 s).
 *
 * @example
 * verifyZendesk({ payload: raw, headers: req.headers, secret });
 */
export function verifyZendesk(input: {
  payload: RawPayload;
  headers: HeaderBag;
  secret: string;
  nowMs?: number;
  toleranceSeconds?: number;
}): { timestampMs: number } {
  const signature = requireHeader(input.headers, ZENDESK_SIGNATURE_HEADER);
  const ts = requireHeader(input.headers, ZENDESK_TIMESTAMP_HEADER);
  const ms = /^\d{1,12}$/.test(ts) ? Number(ts) * 1000 : Date.parse(ts);
  if (Number.isNaN(ms))
    throw new WebhookVerificationError('malformed', `${ZENDESK_TIMESTAMP_HEADER} is not a timestamp`);
  assertEncoding(signature, 'base64', ZENDESK_SIGNATURE_HEADER);
  if (!safeEqual(sign(input.secret, ts, input.payload), signature)) {
    throw new WebhookVerificationError('bad_signature', 'Zendesk signature mismatch');
  }
  const tolerance = input.toleranceSeconds ?? ZENDESK_DEFAULT_TOLERANCE_SECONDS;
  if (!withinWindow(ms / 1000, input.nowMs ?? Date.now(), tolerance)) {
    throw new WebhookVerificationError('stale', `Zendesk timestamp outside ${tolerance}s`);
  }
  return { timestampMs: ms };
}
