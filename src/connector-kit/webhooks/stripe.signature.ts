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

export const STRIPE_SIGNATURE_HEADER = 'Stripe-Signature';
export const STRIPE_DEFAULT_TOLERANCE_SECONDS = 300;

const signedPayload = (t: number, payload: RawPayload): Buffer[] => [
  Buffer.from(`${t}.`, 'utf8'),
  toBuffer(payload),
];

/**
 * Headers Stripe would send: `Stripe-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of "t.body">`.
 * `extraSecrets` add more v1 entries, as Stripe does while a secret is being rolled.
 *
 * @example
 * const headers = signStripe({ payload: raw, secret: 'whsec_test' });
 */
export function signStripe(input: {
  payload: RawPayload;
  secret: string;
  timestampSeconds?: number;
  extraSecrets?: readonly string[];
}): Record<string, string> {
  const t = input.timestampSeconds ?? Math.floor(Date.now() / 1000);
  const parts = [`t=${t}`];
  for (const secret of [input.secret, ...(input.extraSecrets ?? [])]) {
    parts.push(`v1=${hmac('sha256', secret, signedPayload(t, input.payload), 'hex')}`);
  }
  return { [STRIPE_SIGNATURE_HEADER]: parts.join(',') };
}

/**
 * Verifies `Stripe-Signature`; any one matching v1 entry is enough. Throws
 * {@link WebhookVerificationError}; returns the signed timestamp.
 *
 * @example
 * const { timestampSeconds } = verifyStripe({ payload: rawBody, headers: req.headers, secret });
 */
export function verifyStripe(input: {
  payload: RawPayload;
  headers: HeaderBag;
  secret: string;
  nowMs?: number;
  toleranceSeconds?: number;
}): { timestampSeconds: number } {
  const header = requireHeader(input.headers, STRIPE_SIGNATURE_HEADER);
  let timestamp: string | undefined;
  const candidates: string[] = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new WebhookVerificationError('malformed', 'Stripe-Signature item without key=value');
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 't') timestamp = value;
    else if (key === 'v1') candidates.push(value);
  }
  if (timestamp === undefined || candidates.length === 0) {
    throw new WebhookVerificationError('malformed', 'Stripe-Signature lacks t= or v1=');
  }
  const t = parseTimestamp(timestamp, 'Stripe-Signature t');
  for (const candidate of candidates) assertEncoding(candidate, 'hex', 'Stripe-Signature v1');
  const expected = hmac('sha256', input.secret, signedPayload(t, input.payload), 'hex');
  if (!candidates.some((c) => safeEqual(expected, c.toLowerCase()))) {
    throw new WebhookVerificationError('bad_signature', 'no v1 signature matches the payload');
  }
  const tolerance = input.toleranceSeconds ?? STRIPE_DEFAULT_TOLERANCE_SECONDS;
  if (!withinWindow(t, input.nowMs ?? Date.now(), tolerance)) {
    throw new WebhookVerificationError('stale', `Stripe-Signature timestamp outside ${tolerance}s`);
  }
  return { timestampSeconds: t };
}
