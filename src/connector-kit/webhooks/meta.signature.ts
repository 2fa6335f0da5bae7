import {
  assertEncoding,
  hmac,
  requireHeader,
  safeEqual,
  WebhookVerificationError,
  type HeaderBag,
  type RawPayload,
} from './signature.util.js';

export const META_SIGNATURE_HEADER = 'X-Hub-Signature-256';

/**
 * Header Meta would send: `sha256=<hex HMAC-SHA256 of the raw body with the app secret>`. No timestamp.
 *
 * @example
 * signMeta({ appSecret, payload: raw });
 */
export function signMeta(input: { payload: RawPayload; appSecret: string }): Record<string, string> {
  return { [META_SIGNATURE_HEADER]: `sha256=${hmac('sha256', input.appSecret, input.payload, 'hex')}` };
}

/**
 * Verifies `X-Hub-Signature-256`.
 *
 * @example
 * verifyMeta({ payload: raw, headers: req.headers, appSecret });
 */
export function verifyMeta(input: { payload: RawPayload; headers: HeaderBag; appSecret: string }): void {
  const header = requireHeader(input.headers, META_SIGNATURE_HEADER);
  if (!header.startsWith('sha256='))
    throw new WebhookVerificationError('malformed', `${META_SIGNATURE_HEADER} lacks sha256=`);
  const presented = header.slice('sha256='.length).toLowerCase();
  assertEncoding(presented, 'hex', META_SIGNATURE_HEADER);
  if (!safeEqual(hmac('sha256', input.appSecret, input.payload, 'hex'), presented)) {
    throw new WebhookVerificationError('bad_signature', 'Meta signature mismatch');
  }
}

/** Answers Meta's subscription handshake (`hub.mode=subscribe`): the challenge when the verify token matches, else null. */
export function metaVerifyChallenge(
  query: Readonly<Record<string, unknown>>,
  verifyToken: string,
): string | null {
  const mode = query['hub.mode'];
  const token = query['hub.verify_token'];
  const challenge = query['hub.challenge'];
  if (mode !== 'subscribe' || typeof token !== 'string' || typeof challenge !== 'string') return null;
  return safeEqual(token, verifyToken) ? challenge : null;
}
