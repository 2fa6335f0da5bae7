import { createHash } from 'node:crypto';
import {
  UpstreamError,
  verifyZendesk,
  WebhookVerificationError,
  type ConnectorContext,
  type WebhookDefinition,
  type WebhookEvent,
} from '../../src/connector-kit/index.js';
import { bundleTickets, showTicket, showUser, type ZendeskConfig } from './client.js';
import { mapTicket, mapUser } from './mapping.js';

/** A Zendesk event-subscription webhook body (`zen:event-type:ticket.*` / `user.*`). */
export interface ZendeskWebhookBody {
  id?: string;
  type?: string;
  subject?: string;
  time?: string;
  account_id?: number;
  detail?: { id?: string | number; [k: string]: unknown };
  event?: Record<string, unknown>;
  zendesk_event_version?: string;
}

/** `zen:ticket:123` → ['ticket', 123] */
export function subjectOf(body: ZendeskWebhookBody): { kind: 'ticket' | 'user'; id: number } | null {
  const m = /^zen:(ticket|user):(\d+)$/.exec(body.subject ?? '');
  if (m) return { kind: m[1] as 'ticket' | 'user', id: Number(m[2]) };
  const detailId = Number(body.detail?.id);
  if (Number.isInteger(detailId) && detailId > 0) {
    if (body.type?.includes(':ticket.')) return { kind: 'ticket', id: detailId };
    if (body.type?.includes(':user.')) return { kind: 'user', id: detailId };
  }
  return null;
}

export const zendeskWebhooks: WebhookDefinition<ZendeskConfig> = {
  verify(req, { config, credentials, nowMs }) {
    const secret = credentials.webhookSecret;
    if (!secret)
      throw new WebhookVerificationError(
        'missing_signature',
        'Zendesk webhook signing secret not configured',
      );
    verifyZendesk({
      payload: req.rawBody,
      headers: req.headers,
      secret,
      nowMs,
      toleranceSeconds: config.webhookToleranceSeconds,
    });
  },
  parse(req) {
    let body: ZendeskWebhookBody;
    try {
      body = JSON.parse(req.rawBody.toString('utf8')) as ZendeskWebhookBody;
    } catch {
      throw new Error('Zendesk webhook body is not JSON');
    }
    if (typeof body !== 'object' || body === null || !subjectOf(body))
      throw new Error('Zendesk webhook names no ticket or user (subject zen:ticket:<id> / zen:user:<id>)');
    // Zendesk gives every event a unique id; a retry of one delivery carries the same one
    const id =
      typeof body.id === 'string' && body.id
        ? body.id
        : createHash('sha256').update(req.rawBody).digest('hex');
    return [{ id, type: body.type ?? 'unknown', payload: body }];
  },
  // Events carry partial data: read the ticket (with its comments) or the user, as the sync does.
  async map(event: WebhookEvent, ctx: ConnectorContext<ZendeskConfig>) {
    const subject = subjectOf(event.payload as ZendeskWebhookBody);
    if (!subject) return {};
    try {
      if (subject.kind === 'user')
        return mapUser(await showUser(ctx, subject.id), ctx.config.externalIdNamespace);
      const { ticket, users } = await showTicket(ctx, subject.id);
      const [bundle] = await bundleTickets(ctx, [ticket], users);
      return bundle ? mapTicket(bundle) : {};
    } catch (err) {
      // deleted since the event: the next export reports the deletion
      if (err instanceof UpstreamError && err.http?.status === 404) return {};
      throw err;
    }
  },
};
