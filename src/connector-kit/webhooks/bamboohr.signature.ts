import {
  assertEncoding,
  hmac,
  parseTimestamp,
  requireHeader,
  safeEqual,
  toBuffer,
  withinWindow,
  WebhookVerificationError,
  type HeaderBag,
  type RawPayload,
} from './signature.util.js';

export const BAMBOOHR_SIGNATURE_HEADER = 'X-BambooHR-Signature';
export const BAMBOOHR_TIMESTAMP_HEADER = 'X-BambooHR-Timestamp';
export const BAMBOOHR_DEFAULT_TOLERANCE_SECONDS = 300;

const sign = (secret: string, payload: RawPayload, ts: string): string =>
  hmac('sha256', secret, [toBuffer(payload), Buffer.from(ts, 'utf8')], 'hex');

/**
 * Headers BambooHR would send: hex HMAC-SHA256 (webhook private key) of body + timestamp (unix seconds).
 *
 * @example
 * signBambooHr({ secret: privateKey, payload: raw });
 */
export function signBambooHr(input: {
  payload: RawPayload;
  secret: string;
  timestampSeconds?: number;
}): Record<string, string> {
  const ts = String(input.timestampSeconds ?? Math.floor(Date.now() / 1000));
  return {
    [BAMBOOHR_SIGNATURE_HEADER]: sign(input.secret, input.payload, ts),
    [BAMBOOHR_TIMESTAMP_HEADER]: ts,
  };
}

/**
 * Verifies a BambooHR webhook signature and a replay window (default 300 s).
 *
 * @example
 * verifyBambooHr({ payload: raw, headers: req.headers, secret: privateKey });
 */
export function verifyBambooHr(input: {
  payload: RawPayload;
  headers: HeaderBag;
  secret: string;
  nowMs?: number;
  toleranceSeconds?: number;
}): { timestampSeconds: number } {
  const signature = requireHeader(input.headers, BAMBOOHR_SIGNATURE_HEADER);
  const tsHeader = requireHeader(input.headers, BAMBOOHR_TIMESTAMP_HEADER);
  const ts = parseTimestamp(tsHeader, BAMBOOHR_TIMESTAMP_HEADER);
  assertEncoding(signature, 'hex', BAMBOOHR_SIGNATURE_HEADER);
  if (!safeEqual(sign(input.secret, input.payload, tsHeader), signature.toLowerCase())) {
    throw new WebhookVerificationError('bad_signature', 'BambooHR signature mismatch');
  }
  const tolerance = input.toleranceSeconds ?? BAMBOOHR_DEFAULT_TOLERANCE_SECONDS;
  if (!withinWindow(ts, input.nowMs ?? Date.now(), tolerance)) {
    throw new WebhookVerificationError('stale', `BambooHR timestamp outside ${tolerance}s`);
  }
  return { timestampSeconds: ts };
}
