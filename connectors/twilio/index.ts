import { z } from 'zod';
import { basic, defineConnector, parseRetryAfter, type ClassifyHook } from '../../src/connector-kit/index.js';
import { callsStream } from './calls.stream.js';
import type { TwilioConfig } from './client.js';
import { twilioWebhooks } from './webhooks.js';

const configSchema = z.object({
  /** Twilio allows 1..1000; 50 is its default */
  pageSize: z.number().int().min(1).max(1000).default(50),
  backfillDays: z.number().int().positive().optional(),
});

/**
 * Twilio answers over-limit calls with 429 and error code 20429 (Too Many Requests) and
 * usually no Retry-After: honour one when present (seconds or an HTTP date), else the kit's
 * jittered backoff.
 */
export const twilioClassify: ClassifyHook = (res) => {
  const code = (res.data as { code?: unknown } | null)?.code;
  if (res.status === 429 || code === 20429) {
    const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
    return retryAfterMs !== undefined && retryAfterMs > 0
      ? { kind: 'rate_limited', retryAfterMs }
      : { kind: 'rate_limited' };
  }
  return undefined;
};

export default defineConnector<TwilioConfig>({
  id: 'twilio',
  category: 'contact_centre',
  displayName: 'Twilio Voice',
  api: {
    baseUrl: 'https://api.twilio.com',
    auth: 'basic',
    paging: 'next_url',
    docs: 'https://www.twilio.com/docs/voice/api/call-resource',
  },
  configSchema: configSchema as unknown as z.ZodType<TwilioConfig>,
  credentials: {
    accountSid: { description: 'Account SID (AC…), the Basic auth user and the path segment' },
    authToken: { description: 'Auth token: Basic auth password and the webhook signing key' },
  },
  auth: ({ credentials }) => basic(credentials.accountSid ?? '', credentials.authToken ?? ''),
  classify: twilioClassify,
  streams: [callsStream],
  webhooks: twilioWebhooks,
});
