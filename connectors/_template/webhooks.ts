import {
  hmac,
  requireHeader,
  safeEqual,
  WebhookVerificationError,
  withinWindow,
  type WebhookDefinition,
  type WebhookRequest,
} from '../../src/connector-kit/index.js';
import type { VendorxConfig, VendorxContact } from './client.js';
import { mapVendorxContact } from './mapping.js';

export const VENDORX_SIGNATURE_HEADER = 'X-Vendorx-Signature';
const TOLERANCE_SECONDS = 300;

/** `X-Vendorx-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of "t.body">` (replace with the vendor's scheme). */
export function signVendorx(
  body: Buffer | string,
  secret: string,
  timestampSeconds: number,
): Record<string, string> {
  return {
    [VENDORX_SIGNATURE_HEADER]: `t=${timestampSeconds},v1=${hmac('sha256', secret, [`${timestampSeconds}.`, body], 'hex')}`,
  };
}

interface VendorxEvent {
  id: string;
  type: 'contact.updated';
  data: VendorxContact;
}

export const vendorxWebhooks: WebhookDefinition<VendorxConfig> = {
  verify(req: WebhookRequest, { credentials, nowMs }) {
    const header = requireHeader(req.headers, VENDORX_SIGNATURE_HEADER);
    const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
    const t = Number(parts.t);
    if (!Number.isInteger(t) || !parts.v1)
      throw new WebhookVerificationError('malformed', `${VENDORX_SIGNATURE_HEADER} is not t=...,v1=...`);
    const expected = hmac('sha256', credentials.webhookSecret ?? '', [`${t}.`, req.rawBody], 'hex');
    if (!safeEqual(expected, parts.v1))
      throw new WebhookVerificationError('bad_signature', 'signature does not match');
    if (!withinWindow(t, nowMs, TOLERANCE_SECONDS))
      throw new WebhookVerificationError('stale', 'timestamp outside the replay window');
  },
  parse(req) {
    const body = JSON.parse(req.rawBody.toString('utf8')) as { events?: VendorxEvent[] };
    if (!Array.isArray(body.events)) throw new Error('body has no events list');
    return body.events.map((e) => ({ id: e.id, type: e.type, payload: e.data }));
  },
  map: (event) => mapVendorxContact(event.payload as VendorxContact),
};
