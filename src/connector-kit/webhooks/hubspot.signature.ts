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

export const HUBSPOT_SIGNATURE_HEADER = 'X-HubSpot-Signature-v3';
export const HUBSPOT_TIMESTAMP_HEADER = 'X-HubSpot-Request-Timestamp';
export const HUBSPOT_DEFAULT_TOLERANCE_SECONDS = 300;

// HubSpot signs the URI with these escapes decoded (its request-validation guide lists them),
// so a proxy that re-encodes them must not break verification.
const DECODED_ESCAPES: Readonly<Record<string, string>> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

export function hubspotCanonicalUri(uri: string): string {
  return uri.replace(
    /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi,
    (m) => DECODED_ESCAPES[m.toUpperCase()] ?? m,
  );
}

function v3(secret: string, method: string, uri: string, payload: RawPayload, timestampMs: string): string {
  const prefix = Buffer.from(`${method.toUpperCase()}${hubspotCanonicalUri(uri)}`, 'utf8');
  return hmac('sha256', secret, [prefix, toBuffer(payload), Buffer.from(timestampMs, 'utf8')], 'base64');
}

/**
 * Headers HubSpot would send: base64 HMAC-SHA256 (client secret) of method + full URI + body + timestamp (ms).
 *
 * @example
 * signHubSpot({ secret, method: 'POST', uri: 'https://hub.example/webhooks/hubspot', payload: raw });
 */
export function signHubSpot(input: {
  payload: RawPayload;
  secret: string;
  method: string;
  uri: string;
  timestampMs?: number;
}): Record<string, string> {
  const ts = String(input.timestampMs ?? Date.now());
  return {
    [HUBSPOT_SIGNATURE_HEADER]: v3(input.secret, input.method, input.uri, input.payload, ts),
    [HUBSPOT_TIMESTAMP_HEADER]: ts,
  };
}

/**
 * Verifies a HubSpot v3 signature and its 5-minute window. Throws {@link WebhookVerificationError}.
 *
 * @example
 * verifyHubSpot({ payload: raw, headers: req.headers, secret, method: req.method, uri: publicUrl });
 */
export function verifyHubSpot(input: {
  payload: RawPayload;
  headers: HeaderBag;
  secret: string;
  method: string;
  uri: string;
  nowMs?: number;
  toleranceSeconds?: number;
}): { timestampMs: number } {
  const signature = requireHeader(input.headers, HUBSPOT_SIGNATURE_HEADER);
  const tsHeader = requireHeader(input.headers, HUBSPOT_TIMESTAMP_HEADER);
  const ts = parseTimestamp(tsHeader, HUBSPOT_TIMESTAMP_HEADER);
  assertEncoding(signature, 'base64', HUBSPOT_SIGNATURE_HEADER);
  const expected = v3(input.secret, input.method, input.uri, input.payload, tsHeader);
  if (!safeEqual(expected, signature))
    throw new WebhookVerificationError('bad_signature', 'HubSpot v3 signature mismatch');
  const tolerance = input.toleranceSeconds ?? HUBSPOT_DEFAULT_TOLERANCE_SECONDS;
  if (!withinWindow(ts / 1000, input.nowMs ?? Date.now(), tolerance)) {
    throw new WebhookVerificationError('stale', `HubSpot request timestamp outside ${tolerance}s`);
  }
  return { timestampMs: ts };
}
