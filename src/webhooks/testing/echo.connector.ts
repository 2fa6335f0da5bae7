import http from 'node:http';
import { z } from 'zod';
import type { CanonicalBatch } from '../../connector-kit/canonical.js';
import { defineConnector, type ConnectorContext, type WebhookEvent } from '../../connector-kit/contract.js';
import type { HttpClient } from '../../connector-kit/http/index.js';
import { signStripe, verifyStripe } from '../../connector-kit/webhooks/index.js';
import type { Logger } from '../../log/logger.js';
import type { WebhookInstance } from '../webhook-instance.js';

/**
 * A loopback connector for webhook tests and benchmarks (not in the connector registry): it signs
 * like Stripe (`Stripe-Signature: t=..,v1=..`, 300 s window) and maps each event to one interaction,
 * plus a person when the event carries an email. Bodies: `{"events":[{id,type,text,email?,userId?,occurredAt?}]}`.
 * The person's record is `u:<userId>` when given, else `u:<email>`: two user ids with one email are
 * two records of one customer (linked through the email).
 */
const echoEvent = z.object({
  id: z.string().min(1),
  type: z.string().min(1).default('message.created'),
  text: z.string().default(''),
  email: z.string().optional(),
  userId: z.string().min(1).optional(),
  occurredAt: z.string().optional(),
});
const echoBody = z.object({ events: z.array(echoEvent).min(1).max(1000) });

export type EchoEvent = z.input<typeof echoEvent>;

export const ECHO_SYSTEM = 'echo';

export const echoConnector = defineConnector<Record<string, never>>({
  id: 'echo',
  category: 'social',
  displayName: 'Echo (loopback test connector)',
  api: { baseUrl: 'http://127.0.0.1', auth: 'api_key', paging: 'cursor' },
  configSchema: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
  credentials: { webhookSecret: { description: 'HMAC secret for Stripe-style signatures' } },
  auth: () => ({ kind: 'none', headers: async () => ({}) }),
  streams: [],
  webhooks: {
    verify(req, ctx) {
      verifyStripe({
        payload: req.rawBody,
        headers: req.headers,
        secret: ctx.credentials.webhookSecret ?? '',
        nowMs: ctx.nowMs,
      });
    },
    // Meta-style: echo hub.challenge when hub.verify_token is the secret.
    handshake(req, ctx) {
      if (req.query['hub.mode'] !== 'subscribe') return null;
      if (req.query['hub.verify_token'] !== ctx.credentials.webhookSecret)
        return { status: 403, body: { error: 'bad verify token' } };
      return { status: 200, body: req.query['hub.challenge'] ?? '', contentType: 'text/plain' };
    },
    parse(req) {
      const body = echoBody.parse(JSON.parse(req.rawBody.toString('utf8')));
      return body.events.map((e) => ({ id: e.id, type: e.type, payload: e }));
    },
    map(event: WebhookEvent): CanonicalBatch {
      const e = echoEvent.parse(event.payload);
      const person = e.email
        ? {
            objectType: 'user',
            externalId: `u:${e.userId ?? e.email}`,
            identifiers: [{ kind: 'email' as const, value: e.email }],
          }
        : undefined;
      return {
        ...(person ? { people: [person] } : {}),
        interactions: [
          {
            externalId: e.id,
            occurredAt: e.occurredAt ?? new Date(0).toISOString(),
            channel: 'chat',
            direction: 'inbound',
            kind: 'message',
            summary: e.text,
            ...(person
              ? {
                  person: {
                    objectType: person.objectType,
                    externalId: person.externalId,
                    identifiers: person.identifiers,
                  },
                }
              : {}),
          },
        ],
      };
    },
  },
});

/** Body and headers of a signed echo delivery. */
export function signedEchoDelivery(
  events: EchoEvent[],
  secret: string,
  timestampSeconds?: number,
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ events });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      ...signStripe({
        payload: body,
        secret,
        ...(timestampSeconds !== undefined ? { timestampSeconds } : {}),
      }),
    },
  };
}

/**
 * POSTs a signed delivery to `/webhooks/<instance>` on a loopback hub; answers the HTTP status, or
 * 0 when the connection failed (the benches and the kill test count those, they do not throw).
 */
export function postEchoDelivery(
  to: { port: number; instance: string; agent: http.Agent },
  delivery: { body: string; headers: Record<string, string> },
): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: to.port,
        path: `/webhooks/${to.instance}`,
        method: 'POST',
        headers: { ...delivery.headers, 'content-length': Buffer.byteLength(delivery.body) },
        agent: to.agent,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(delivery.body);
  });
}

const noHttp = new Proxy({} as HttpClient, {
  get() {
    throw new Error('the echo connector makes no HTTP calls');
  },
});

/** A configured echo instance. */
export function echoInstance(id: string, secret: string, log: Logger): WebhookInstance {
  const context: ConnectorContext<unknown> = {
    instanceId: id,
    http: noHttp,
    log,
    config: {},
    credentials: { webhookSecret: secret },
  };
  return {
    id,
    system: ECHO_SYSTEM,
    connector: echoConnector,
    config: {},
    credentials: { webhookSecret: secret },
    context: () => context,
  };
}
