import {
  assertEncoding,
  hmac,
  requireHeader,
  safeEqual,
  WebhookVerificationError,
  type HeaderBag,
  type RawPayload,
} from './signature.util.js';

export const X_SIGNATURE_HEADER = 'x-twitter-webhooks-signature';

/**
 * Answer to X's CRC challenge: `sha256=` + base64 HMAC-SHA256(crc_token) under the consumer secret.
 *
 * @example
 * res.json({ response_token: xCrcResponseToken(String(req.query.crc_token), consumerSecret) });
 */
export function xCrcResponseToken(crcToken: string, consumerSecret: string): string {
  return `sha256=${hmac('sha256', consumerSecret, crcToken, 'base64')}`;
}

/**
 * Header X would send with an event: `sha256=<base64 HMAC-SHA256 of the body>`.
 *
 * @example
 * signX({ consumerSecret, payload: raw });
 */
export function signX(input: { payload: RawPayload; consumerSecret: string }): Record<string, string> {
  return { [X_SIGNATURE_HEADER]: `sha256=${hmac('sha256', input.consumerSecret, input.payload, 'base64')}` };
}

/**
 * Verifies `x-twitter-webhooks-signature`.
 *
 * @example
 * verifyX({ payload: raw, headers: req.headers, consumerSecret });
 */
export function verifyX(input: { payload: RawPayload; headers: HeaderBag; consumerSecret: string }): void {
  const header = requireHeader(input.headers, X_SIGNATURE_HEADER);
  if (!header.startsWith('sha256='))
    throw new WebhookVerificationError('malformed', `${X_SIGNATURE_HEADER} lacks sha256=`);
  const presented = header.slice('sha256='.length);
  assertEncoding(presented, 'base64', X_SIGNATURE_HEADER);
  if (!safeEqual(hmac('sha256', input.consumerSecret, input.payload, 'base64'), presented)) {
    throw new WebhookVerificationError('bad_signature', 'X signature mismatch');
  }
}
