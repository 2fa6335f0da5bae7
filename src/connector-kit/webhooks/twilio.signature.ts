import {
  assertEncoding,
  hmac,
  requireHeader,
  safeEqual,
  WebhookVerificationError,
  type HeaderBag,
} from './signature.util.js';

export const TWILIO_SIGNATURE_HEADER = 'X-Twilio-Signature';

export type TwilioParams = Readonly<Record<string, string | readonly string[] | undefined>>;

// Twilio signs the full URL followed by every POST parameter, sorted by name, as name+value.
function twilioBase(url: string, params: TwilioParams): string {
  let data = url;
  for (const key of Object.keys(params).sort()) {
    const value = params[key];
    if (value === undefined) continue;
    const values = typeof value === 'string' ? [value] : [...value].sort();
    for (const v of values) data += key + v;
  }
  return data;
}

/**
 * Header Twilio would send: base64 HMAC-SHA1 (auth token) of URL + sorted form params. No timestamp in this scheme.
 *
 * @example
 * signTwilio({ authToken, url: 'https://hub.example/webhooks/twilio/voice', params: { CallSid: 'CA1', From: '+44...' } });
 */
export function signTwilio(input: {
  authToken: string;
  url: string;
  params?: TwilioParams;
}): Record<string, string> {
  return {
    [TWILIO_SIGNATURE_HEADER]: hmac(
      'sha1',
      input.authToken,
      twilioBase(input.url, input.params ?? {}),
      'base64',
    ),
  };
}

/**
 * Verifies `X-Twilio-Signature` against the public URL Twilio called and the parsed form params.
 *
 * @example
 * verifyTwilio({ authToken, url: publicUrl, params: req.body, headers: req.headers });
 */
export function verifyTwilio(input: {
  authToken: string;
  url: string;
  params?: TwilioParams;
  headers: HeaderBag;
}): void {
  const signature = requireHeader(input.headers, TWILIO_SIGNATURE_HEADER);
  assertEncoding(signature, 'base64', TWILIO_SIGNATURE_HEADER);
  const expected = hmac('sha1', input.authToken, twilioBase(input.url, input.params ?? {}), 'base64');
  if (!safeEqual(expected, signature))
    throw new WebhookVerificationError('bad_signature', 'Twilio signature mismatch');
}
