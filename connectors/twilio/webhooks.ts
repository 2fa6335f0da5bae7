import {
  UpstreamError,
  verifyTwilio,
  WebhookVerificationError,
  type ConnectorContext,
  type WebhookDefinition,
  type WebhookEvent,
  type WebhookRequest,
} from '../../src/connector-kit/index.js';
import { callsPath, type TwilioCall, type TwilioConfig } from './client.js';
import { mapCall } from './mapping.js';

/** Form fields of a voice status callback (a subset: Twilio sends more, all signed). */
export interface TwilioStatusCallback {
  CallSid: string;
  CallStatus: string;
  AccountSid?: string;
  From?: string;
  To?: string;
  Direction?: string;
  CallDuration?: string;
  Timestamp?: string;
  SequenceNumber?: string;
  [field: string]: string | string[] | undefined;
}

/** Form body → params; repeated names become arrays, as Twilio's signature rule expects. */
export function formParams(rawBody: Buffer): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(rawBody.toString('utf8'))) {
    const existing = out[key];
    out[key] =
      existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}

/** Stable per call and status, so a replayed or retried callback is the same event. */
export const callbackEventId = (callSid: string, status: string): string => `${callSid}:${status}`;

export const twilioWebhooks: WebhookDefinition<TwilioConfig> = {
  // No timestamp in Twilio's scheme: replays are absorbed by the stable event id, not refused here.
  verify(req: WebhookRequest, { credentials }): void {
    const authToken = credentials.authToken;
    if (!authToken)
      throw new WebhookVerificationError('missing_signature', 'Twilio auth token not configured');
    verifyTwilio({ authToken, url: req.url, params: formParams(req.rawBody), headers: req.headers });
  },
  parse(req: WebhookRequest): WebhookEvent[] {
    const params = formParams(req.rawBody);
    const sid = params.CallSid;
    const status = params.CallStatus;
    if (
      typeof sid !== 'string' ||
      !/^CA[0-9a-fA-F]{32}$/.test(sid) ||
      typeof status !== 'string' ||
      status === ''
    )
      throw new Error('Twilio status callback without a valid CallSid and CallStatus');
    return [{ id: callbackEventId(sid, status), type: `call.${status}`, payload: params }];
  },
  // The callback lacks start time and some fields: read the call itself, so webhook and sync agree.
  async map(event: WebhookEvent, ctx: ConnectorContext<TwilioConfig>) {
    const params = event.payload as TwilioStatusCallback;
    const accountSid = ctx.credentials.accountSid ?? params.AccountSid ?? '';
    const path = callsPath(accountSid).replace(/\.json$/, `/${encodeURIComponent(params.CallSid)}.json`);
    try {
      const res = await ctx.http.get<TwilioCall>(path);
      return mapCall(res.data);
    } catch (err) {
      // the call record was deleted in Twilio since: nothing left to record
      if (err instanceof UpstreamError && err.http?.status === 404) return {};
      throw err;
    }
  },
};
