import express, { type NextFunction, type Request, type Response } from 'express';
import type { DataSource } from 'typeorm';
import type { WebhookEvent, WebhookRequest } from '../connector-kit/contract.js';
import { WebhookVerificationError } from '../connector-kit/webhooks/index.js';
import type { Logger } from '../log/logger.js';
import {
  createInboxBatcher,
  InboxEventInvalidError,
  storableRows,
  type InboxBatchingOptions,
} from './inbox.batcher.js';
import { storeInboxEvents } from './inbox.store.js';
import type { WebhookInstance, WebhookInstanceLookup } from './webhook-instance.js';

export interface WebhookRouterDeps {
  dataSource: DataSource;
  instances: WebhookInstanceLookup;
  log: Logger;
  /**
   * The public base URL vendors call (the `PUBLIC_URL` setting), e.g. `https://hub.example.com`.
   * Twilio signs the full URL, which behind a proxy differs from what this process sees.
   * Without it the URL is rebuilt from the request's protocol and Host header.
   */
  publicUrl?: string | undefined;
  /** Largest body accepted, in bytes or an express size string; larger answers 413. Default 1mb. */
  bodyLimit?: string | number;
  /** Clock for replay windows (tests). */
  now?: () => number;
  /**
   * Group commit of acknowledgements (default on): deliveries arriving while earlier ones are
   * being committed are stored by one multi-row INSERT, each answered after that commit. `false`
   * stores each delivery by its own statement.
   */
  batching?: InboxBatchingOptions | false;
  /** Called after events were stored (an in-process worker wakes at once). */
  onStored?: (instanceId: string, count: number) => void;
}

type Located = Response<unknown, { instance: WebhookInstance }>;

function queryOf(req: Request): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.query)) {
    out[k] = typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
  }
  return out;
}

function toWebhookRequest(req: Request, publicUrl: string | undefined): WebhookRequest {
  const base = publicUrl
    ? publicUrl.replace(/\/+$/, '')
    : `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  return {
    method: req.method,
    url: `${base}${req.originalUrl}`,
    path: req.path,
    headers: req.headers,
    query: queryOf(req),
    rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
  };
}

function validEvents(events: unknown): events is WebhookEvent[] {
  return (
    Array.isArray(events) &&
    events.every(
      (e: unknown) =>
        typeof e === 'object' &&
        e !== null &&
        typeof (e as WebhookEvent).id === 'string' &&
        (e as WebhookEvent).id !== '' &&
        typeof (e as WebhookEvent).type === 'string',
    )
  );
}

/**
 * `POST /webhooks/:instance` (verify → parse → store with its job in one transaction → 200) and
 * `GET /webhooks/:instance` (vendor handshakes). Mount with `app.use(createWebhookRouter(deps))`
 * BEFORE any JSON body parser: the signature is over the raw bytes.
 */
export function createWebhookRouter(deps: WebhookRouterDeps): express.Router {
  const router = express.Router();
  const now = deps.now ?? Date.now;
  const batcher = deps.batching === false ? undefined : createInboxBatcher(deps.dataSource, deps.batching);
  const store = async (instanceId: string, events: WebhookEvent[]) => {
    if (batcher) return batcher.store(instanceId, events);
    storableRows(instanceId, events);
    return storeInboxEvents(deps.dataSource, instanceId, events);
  };

  // Unknown instance (or one whose connector has no webhooks) before reading any body.
  const locate = (req: Request<{ instance: string }>, res: Located, next: NextFunction) => {
    const instance = deps.instances(req.params.instance);
    if (!instance?.connector.webhooks) {
      res.status(404).json({
        error: 'unknown_instance',
        message: `no webhook endpoint for instance "${req.params.instance}"`,
      });
      return;
    }
    res.locals.instance = instance;
    next();
  };

  router.get('/webhooks/:instance', locate, (req: Request<{ instance: string }>, res: Located) => {
    const instance = res.locals.instance;
    const handshake = instance.connector.webhooks?.handshake;
    const answer =
      handshake?.(toWebhookRequest(req, deps.publicUrl), {
        config: instance.config,
        credentials: instance.credentials,
      }) ?? null;
    if (!answer) {
      res
        .status(404)
        .json({ error: 'no_handshake', message: `instance "${instance.id}" answers no GET handshake` });
      return;
    }
    res.status(answer.status);
    if (answer.contentType) res.type(answer.contentType);
    if (typeof answer.body === 'string' || Buffer.isBuffer(answer.body)) res.send(answer.body);
    else res.json(answer.body);
  });

  router.post(
    '/webhooks/:instance',
    locate,
    // Any content type: vendors send JSON, form-encoded (Twilio) or text; the connector parses.
    express.raw({ type: () => true, limit: deps.bodyLimit ?? '1mb' }),
    async (req: Request<{ instance: string }>, res: Located) => {
      const instance = res.locals.instance;
      const hooks = instance.connector.webhooks!;
      const wreq = toWebhookRequest(req, deps.publicUrl);
      try {
        hooks.verify(wreq, { config: instance.config, credentials: instance.credentials, nowMs: now() });
      } catch (err) {
        if (err instanceof WebhookVerificationError) {
          deps.log.warn(
            { instance: instance.id, reason: err.reason },
            'webhook refused: verification failed',
          );
          res.status(401).json({ error: 'verification_failed', reason: err.reason });
          return;
        }
        throw err;
      }
      let events: WebhookEvent[];
      try {
        events = hooks.parse(wreq, { config: instance.config });
        if (!validEvents(events)) throw new Error('parse returned events without a string id and type');
      } catch (err) {
        deps.log.warn(
          { instance: instance.id, err: (err as Error).message },
          'webhook refused: malformed content',
        );
        res.status(400).json({ error: 'malformed', message: (err as Error).message });
        return;
      }
      let result;
      try {
        result = await store(instance.id, events);
      } catch (err) {
        if (!(err instanceof InboxEventInvalidError)) throw err;
        deps.log.warn({ instance: instance.id, field: err.field }, 'webhook refused: unstorable content');
        res.status(400).json({ error: 'malformed', message: err.message });
        return;
      }
      if (result.stored > 0) deps.onStored?.(instance.id, result.stored);
      res.status(200).json({ received: events.length, stored: result.stored, duplicates: result.duplicates });
    },
  );

  // Body-parser errors (413 too large, 400 bad encoding) and anything unexpected, as JSON.
  router.use('/webhooks', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const status = (err as { status?: number }).status;
    if (status === 413) {
      res.status(413).json({ error: 'too_large', message: 'webhook body exceeds the configured limit' });
      return;
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: 'bad_request', message: (err as Error).message });
      return;
    }
    deps.log.error({ err }, 'webhook intake failed');
    // 5xx so the vendor retries: nothing was acknowledged.
    res.status(503).json({ error: 'unavailable', message: 'the event could not be stored; retry later' });
  });

  return router;
}
