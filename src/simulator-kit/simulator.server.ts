import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  checkAuth,
  credentialOf,
  defaultUnauthorized,
  requireAuth,
  type AuthOptions,
  type AuthSpec,
} from './auth.middleware.js';
import { FaultInjector } from './fault.injector.js';
import { pathMatches } from './path-match.util.js';
import { PagingError } from './paging.util.js';
import { RequestStats, type RequestRecord } from './request.stats.js';
import {
  defaultThrottleResponse,
  TokenBucketThrottle,
  type ThrottleOptions,
} from './token-bucket.throttle.js';
import { sendWebhook, type SendWebhookInput, type SendWebhookResult } from './webhook.sender.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** exact bytes of the request body (simulators that verify signatures need them) */
    rawBody?: Buffer;
    /** credential presented (token, basic user, api key) or `anonymous` */
    credential?: string;
  }
}

/** What a vendor's `routes` function receives besides the express app. */
export interface SimulatorKit {
  readonly name: string;
  /** base URL, e.g. `http://127.0.0.1:54321`; valid once listening (i.e. inside handlers) */
  readonly url: string;
  readonly stats: RequestStats;
  readonly faults: FaultInjector;
  readonly throttle: TokenBucketThrottle;
  /** per-route auth for routes the server-wide `auth` does not cover */
  requireAuth: typeof requireAuth;
  checkAuth: typeof checkAuth;
  sendWebhook(input: SendWebhookInput): Promise<SendWebhookResult>;
}

export interface SimulatorOptions {
  name: string;
  routes: (app: Express, kit: SimulatorKit) => void;
  auth?: AuthOptions;
  throttle?: ThrottleOptions;
  host?: string;
  port?: number;
  /** writes errors thrown by routes; default: PagingError → 400, others → 500, JSON */
  onError?: (err: unknown, req: Request, res: Response) => void;
  /** writes the 404 for unknown paths; default `{ error: 'not_found' }` */
  notFound?: (req: Request, res: Response) => void;
  /** writes injected failures; default `{ error: 'injected_failure', status }` */
  failureBody?: (status: number, req: Request) => unknown;
}

export interface RunningSimulator {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly stats: RequestStats;
  readonly faults: FaultInjector;
  readonly throttle: TokenBucketThrottle;
  readonly app: Express;
  /** stops listening and drops open (including hung) connections */
  close(): Promise<void>;
}

function corruptBodyOnce(res: Response): void {
  const send = res.send.bind(res);
  let done = false;
  res.send = ((body?: unknown) => {
    if (done) return send(body);
    done = true;
    const text =
      typeof body === 'string'
        ? body
        : Buffer.isBuffer(body)
          ? body.toString('utf8')
          : JSON.stringify(body ?? null);
    let cut = text.slice(0, Math.floor(text.length / 2));
    try {
      JSON.parse(cut);
      cut += '{"'; // still parseable (e.g. a short number): make sure it is not
    } catch {
      /* already broken, as intended */
    }
    res.status(200);
    if (!res.get('Content-Type')) res.type('application/json');
    return send(cut);
  }) as Response['send'];
}

/**
 * Starts an in-process vendor simulator on express 5: auth, per-credential throttling,
 * injected faults and request stats are in front of the vendor's own routes.
 *
 * @example
 * const sim = await startSimulator({
 *   name: 'stripe',
 *   auth: { schemes: bearer(['sk_test_1']) },
 *   throttle: { capacity: 25, refillPerSecond: 25 },
 *   routes: (app) => app.get('/v1/customers', (req, res) => res.json(pageStartingAfter(customers, { limit: 10 }))),
 * });
 * sim.faults.failNext(1, 503);
 * await sim.close();
 */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const stats = new RequestStats();
  const faults = new FaultInjector();
  const arrivals = new WeakMap<object, number>();
  const throttle = new TokenBucketThrottle(options.throttle ?? {});
  const schemes: AuthSpec | readonly AuthSpec[] | undefined = options.auth?.schemes;
  let baseUrl = '';

  const kit: SimulatorKit = {
    name: options.name,
    get url() {
      return baseUrl;
    },
    stats,
    faults,
    throttle,
    requireAuth,
    checkAuth,
    sendWebhook,
  };

  const keepRaw = (req: Request, _res: Response, buf: Buffer): void => {
    req.rawBody = buf;
  };
  app.use(express.json({ limit: '5mb', verify: keepRaw, type: ['application/json', 'application/*+json'] }));
  app.use(express.urlencoded({ extended: false, verify: keepRaw }));

  // 1. stats: every request is recorded as it arrives (hung ones too)
  app.use((req: Request, res: Response, next: NextFunction) => {
    const credential = credentialOf(req, schemes);
    req.credential = credential;
    const rec: RequestRecord = stats.open({ at: new Date(), method: req.method, path: req.path, credential });
    res.locals['simRecord'] = rec;
    const settle = (): void => {
      rec.status ??= res.headersSent ? res.statusCode : null;
      rec.route ??= (req.route as { path?: string } | undefined)?.path ?? null;
    };
    res.on('finish', settle);
    res.on('close', settle);
    next();
  });

  const throttleState = (req: Request) => throttle.state(req.credential ?? 'anonymous');

  // 2. injected faults
  app.use((req: Request, res: Response, next: NextFunction) => {
    const fault = faults.take(req.method, req.path);
    if (!fault) return next();
    (res.locals['simRecord'] as RequestRecord).fault = fault.kind;
    switch (fault.kind) {
      case 'fail':
        if (fault.headers) res.set(fault.headers);
        res
          .status(fault.status)
          .json(
            fault.body ??
              options.failureBody?.(fault.status, req) ?? { error: 'injected_failure', status: fault.status },
          );
        return;
      case 'delay': {
        const timer = setTimeout(next, fault.ms);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case 'latency': {
        // From the request's arrival at the server, before body parsing and the kit's middleware.
        const due = (arrivals.get(req) ?? performance.now()) + fault.ms;
        const end = res.end.bind(res) as (...args: unknown[]) => Response;
        let timer: NodeJS.Timeout | undefined;
        res.end = ((...args: unknown[]) => {
          const wait = due - performance.now();
          if (wait <= 0) return end(...args);
          timer = setTimeout(() => end(...args), wait);
          return res;
        }) as Response['end'];
        res.on('close', () => clearTimeout(timer));
        return next();
      }
      case 'hang':
        return; // never answered; close() drops the socket
      case 'malformed':
        corruptBodyOnce(res);
        return next();
      case 'throttle':
        (options.throttle?.respond ?? defaultThrottleResponse)({
          ...throttleState(req),
          retryAfterSeconds: fault.retryAfterSeconds,
          remaining: 0,
          req,
          res,
          forced: true,
        });
        return;
    }
  });

  // 3. auth
  if (options.auth) {
    const auth = options.auth;
    app.use(
      requireAuth({
        ...auth,
        unauthorized: auth.unauthorized ?? defaultUnauthorized,
      }),
    );
  }

  // 4. throttle (per credential) and rate-limit headers
  app.use((req: Request, res: Response, next: NextFunction) => {
    const credential = req.credential ?? 'anonymous';
    const allowed = throttle.take(credential, req);
    const state = throttle.state(credential);
    if (
      options.throttle?.headers &&
      !(options.throttle.except && pathMatches(options.throttle.except, req.path))
    ) {
      res.set(options.throttle.headers(state, req));
    }
    if (allowed) return next();
    (options.throttle?.respond ?? defaultThrottleResponse)({ ...state, req, res, forced: false });
  });

  options.routes(app, kit);

  app.use((req: Request, res: Response) => {
    if (options.notFound) options.notFound(req, res);
    else
      res.status(404).json({
        error: 'not_found',
        message: `${req.method} ${req.path} is not simulated by ${options.name}`,
      });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (options.onError) return options.onError(err, req, res);
    if (err instanceof PagingError)
      return res.status(400).json({ error: 'invalid_request', message: err.message });
    const status = (err as { status?: unknown }).status;
    const code = typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
    res.status(code).json({
      error: code === 500 ? 'internal_error' : 'bad_request',
      message: err instanceof Error ? err.message : String(err),
    });
  });

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? 0, options.host ?? '127.0.0.1', (err?: Error) =>
      err ? reject(err) : resolve(s),
    );
  });
  // When each request reached the server (its headers parsed, nothing else yet done): `latencyNext`
  // answers a fixed time after it, as a remote system answers a fixed time after the bytes arrive.
  server.prependListener('request', (req: object) => arrivals.set(req, performance.now()));
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    name: options.name,
    url: baseUrl,
    port,
    stats,
    faults,
    throttle,
    app,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
