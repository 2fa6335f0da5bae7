import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import CircuitBreaker from 'opossum';
import { pino, type Logger } from 'pino';
import type { AuthProvider } from './auth.providers.js';
import {
  clampAttempts,
  DEFAULT_BACKOFF,
  fullJitterDelayMs,
  isIdempotentMethod,
  type BackoffSettings,
} from './backoff.policy.js';
import { ConcurrencyLimiter } from './concurrency.limiter.js';
import { InstanceMetrics, type HttpMetricsSnapshot } from './http.metrics.js';
import {
  type ClassifiableResponse,
  defaultClassify,
  exhaustedWindowMs,
  parseRetryAfter,
  type Classification,
  type ClassifyHook,
} from './rate-limit.classifier.js';
import { RateLimitedUntilError, RateLimitGate } from './rate-limit.gate.js';
import { UpstreamError, type UpstreamErrorCode } from './upstream.error.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

export interface HttpRequest {
  method: HttpMethod;
  /** Relative to the client's `baseURL`, or absolute (e.g. a vendor's next-page URL). */
  url: string;
  params?: Record<string, unknown>;
  headers?: Record<string, string>;
  data?: unknown;
  /** Makes a non-idempotent call (POST, PATCH) safe to retry; sent as `Idempotency-Key`. */
  idempotencyKey?: string;
  /** Overall deadline for this call, retries and waits included (default: the client's). */
  timeoutMs?: number;
}

export type HttpRequestOptions = Omit<HttpRequest, 'method' | 'url' | 'data'>;

export interface HttpResponse<T> {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  data: T;
  /** How many attempts the call took (1 when the first one succeeded). */
  attempts: number;
}

export interface BreakerSettings {
  /** Open when this share of calls in the window failed (default 50). */
  errorThresholdPercentage?: number;
  /** Never open before this many calls in the window (default 10). */
  volumeThreshold?: number;
  /** Stay open this long, then let one probe through (default 30 s). */
  resetTimeout?: number;
  /** Length of the statistics window (default 10 s). */
  rollingCountTimeout?: number;
}

export interface HttpClientOptions {
  connectorId: string;
  instanceId: string;
  baseURL?: string;
  /** Overall deadline per call, retries and rate-limit waits included (default 10 s). */
  timeoutMs?: number;
  /** Longest a single attempt may take (default: the overall deadline). */
  attemptTimeoutMs?: number;
  /** Attempts per call, capped at 3 (default 3). */
  maxAttempts?: number;
  /** In-flight requests per instance (default 4). */
  concurrency?: number;
  breaker?: BreakerSettings;
  backoff?: Partial<BackoffSettings>;
  auth?: AuthProvider;
  /** The connector's own reading of responses (body-level rate limits and the like). */
  classify?: ClassifyHook;
  /** Header name for idempotency keys, or a function producing the vendor's headers. */
  idempotencyHeader?: string | ((key: string) => Record<string, string>);
  headers?: Record<string, string>;
  logger?: Logger;
  userAgent?: string;
}

/** What a connector gets as `ctx.http`. */
export interface HttpClient {
  readonly connectorId: string;
  readonly instanceId: string;
  readonly baseURL: string | undefined;
  request<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>>;
  get<T = unknown>(url: string, options?: HttpRequestOptions): Promise<HttpResponse<T>>;
  post<T = unknown>(url: string, data?: unknown, options?: HttpRequestOptions): Promise<HttpResponse<T>>;
  metrics(): HttpMetricsSnapshot;
  /** Releases this client's hold on the shared instance state (breaker timers). */
  close(): void;
}

type Outcome =
  | {
      type: 'response';
      res: AxiosResponse;
      headers: Record<string, string>;
      classification: Classification;
      ms: number;
    }
  | { type: 'error'; code: 'UPSTREAM_TIMEOUT' | 'UPSTREAM_NETWORK'; detail: string; ms: number };

/** Thrown inside the breaker so that opossum counts the attempt as a failure. */
class CountedFailure extends Error {
  readonly outcome: Outcome;
  constructor(outcome: Outcome) {
    super('upstream attempt failed');
    this.outcome = outcome;
  }
}

interface InstanceState {
  refs: number;
  connectorId: string;
  gate: RateLimitGate;
  limiter: ConcurrencyLimiter;
  breaker: CircuitBreaker<[() => Promise<Outcome>], Outcome>;
  metrics: InstanceMetrics;
}

/** Shared per instance id, so every client of one connector instance in this process obeys the same 429s, cap and breaker. */
const instances = new Map<string, InstanceState>();

const silentLogger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function instanceState(options: HttpClientOptions, logger: Logger): InstanceState {
  const existing = instances.get(options.instanceId);
  if (existing) {
    existing.refs++;
    return existing;
  }
  const limiter = new ConcurrencyLimiter(options.concurrency ?? 4);
  const metrics = new InstanceMetrics(options.instanceId, options.connectorId, () => limiter.inFlight);
  const breaker = new CircuitBreaker<[() => Promise<Outcome>], Outcome>((attempt) => attempt(), {
    name: `${options.connectorId}/${options.instanceId}`,
    timeout: false, // deadlines are the client's job; opossum only counts
    errorThresholdPercentage: options.breaker?.errorThresholdPercentage ?? 50,
    volumeThreshold: options.breaker?.volumeThreshold ?? 10,
    resetTimeout: options.breaker?.resetTimeout ?? 30_000,
    rollingCountTimeout: options.breaker?.rollingCountTimeout ?? 10_000,
  });
  const log = { connector: options.connectorId, instance: options.instanceId };
  breaker.on('open', () => {
    metrics.breakerState = 'open';
    logger.warn(log, 'upstream circuit opened');
  });
  breaker.on('halfOpen', () => {
    metrics.breakerState = 'half_open';
    logger.info(log, 'upstream circuit half-open: next call is a probe');
  });
  breaker.on('close', () => {
    metrics.breakerState = 'closed';
    logger.info(log, 'upstream circuit closed');
  });
  const state: InstanceState = {
    refs: 1,
    connectorId: options.connectorId,
    gate: new RateLimitGate(),
    limiter,
    breaker,
    metrics,
  };
  instances.set(options.instanceId, state);
  return state;
}

/** Metrics for one instance, or for every instance with a live client. */
export function getHttpMetrics(instanceId: string): HttpMetricsSnapshot | undefined;
export function getHttpMetrics(): HttpMetricsSnapshot[];
export function getHttpMetrics(instanceId?: string): HttpMetricsSnapshot | HttpMetricsSnapshot[] | undefined {
  if (instanceId !== undefined) return instances.get(instanceId)?.metrics.snapshot();
  return [...instances.values()].map((s) => s.metrics.snapshot());
}

function flattenHeaders(raw: AxiosResponse['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/** The path alone: query strings carry emails and phone numbers, so they never reach a log or an error. */
function pathOf(url: string, baseURL: string | undefined): string {
  const full =
    /^[a-z][a-z\d+.-]*:\/\//i.test(url) || !baseURL
      ? url
      : `${baseURL.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
  try {
    return new URL(full, 'http://relative.invalid').pathname;
  } catch {
    return '(unparseable url)';
  }
}

function networkCode(err: unknown): { code: 'UPSTREAM_TIMEOUT' | 'UPSTREAM_NETWORK'; detail: string } {
  const code = (err as { code?: unknown }).code;
  const detail = typeof code === 'string' ? code : 'request failed';
  return {
    code: detail === 'ETIMEDOUT' || detail === 'ECONNABORTED' ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_NETWORK',
    detail,
  };
}

/**
 * The one HTTP client every connector uses: a deadline per call, full-jitter retries where safe
 * (at most 3 attempts), instance-wide 429 / vendor-limit waits, a concurrency cap and a circuit
 * breaker per instance, auth with single-flight OAuth2 refresh, metrics and PII-free logs.
 *
 * @example
 * const http = createHttpClient({
 *   connectorId: 'hubspot',
 *   instanceId: 'hubspot-eu',
 *   baseURL: 'https://api.hubapi.com',
 *   auth: bearer(credentials.privateAppToken),
 *   logger,
 * });
 * const { data } = await http.get<{ results: Contact[] }>('/crm/v3/objects/contacts', { params: { limit: 100 } });
 *
 * Clients created with the same `instanceId` in one process share the rate-limit gate,
 * concurrency cap, breaker and metrics (the first client's settings apply); `close()` the
 * client when the instance is removed.
 *
 * @example
 * // BambooHR answers HTTP 200 with a 429 body: say so as data next to the connector.
 * createHttpClient({
 *   ...,
 *   classify: (res) => (res.status === 200 && (res.data as { status?: number })?.status === 429
 *     ? { kind: 'rate_limited', retryAfterMs: 60_000 }
 *     : undefined),
 * });
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const logger = options.logger ?? silentLogger;
  const state = instanceState(options, logger);
  const { gate, limiter, breaker, metrics } = state;
  const { connectorId, instanceId } = options;
  const name = `${connectorId}/${instanceId}`;
  const maxAttempts = clampAttempts(options.maxAttempts);
  const defaultDeadlineMs = options.timeoutMs ?? 10_000;
  const backoff: BackoffSettings = { ...DEFAULT_BACKOFF, ...options.backoff };
  const authCtx = { connectorId, instanceId };
  const axiosInstance: AxiosInstance = axios.create({
    ...(options.baseURL !== undefined ? { baseURL: options.baseURL } : {}),
    validateStatus: () => true, // every status goes through classification
    // Redirects are not followed: the credentials of the instance would travel with them to
    // wherever the Location points. A 3xx is a fatal error naming it (set baseUrl to the final address).
    maxRedirects: 0,
    transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: true },
  });
  let closed = false;

  const classify = (view: ClassifiableResponse): Classification => {
    try {
      return options.classify?.(view) ?? defaultClassify(view);
    } catch (err) {
      // A bug in a connector's hook must not pass for an upstream fault (nor trip the breaker).
      logger.error(
        { connector: connectorId, instance: instanceId, err: (err as Error).message },
        'classify hook threw; treating the response as fatal',
      );
      return { kind: 'fatal' };
    }
  };

  const fail = (
    code: UpstreamErrorCode,
    what: string,
    extra: { status?: number; retryAfterMs?: number; attempts?: number } = {},
  ) =>
    new UpstreamError({
      code,
      connector: connectorId,
      instance: instanceId,
      message: `${name}: ${what}`,
      ...extra,
    });

  async function request<T>(req: HttpRequest): Promise<HttpResponse<T>> {
    try {
      return await attempts<T>(req);
    } catch (err) {
      // Failures count calls that ended in an error, by code; retried attempts show in `retries`.
      if (err instanceof UpstreamError) metrics.recordFailure(err.code);
      throw err;
    }
  }

  async function attempts<T>(req: HttpRequest): Promise<HttpResponse<T>> {
    const started = Date.now();
    const deadline = started + (req.timeoutMs ?? defaultDeadlineMs);
    const method = req.method.toUpperCase() as HttpMethod;
    const path = pathOf(req.url, options.baseURL);
    const what = `${method} ${path}`;
    const idempotent = isIdempotentMethod(method);
    const canRetry = idempotent || req.idempotencyKey !== undefined;
    metrics.requests++;

    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': options.userAgent ?? `touchpoint-hub (${connectorId})`,
      ...options.headers,
      ...req.headers,
    };
    if (req.idempotencyKey !== undefined) {
      const h = options.idempotencyHeader ?? 'Idempotency-Key';
      Object.assign(headers, typeof h === 'function' ? h(req.idempotencyKey) : { [h]: req.idempotencyKey });
    }

    let authRetried = false;
    let last: UpstreamError | undefined;

    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      // Wait out any instance-wide rate limit, then for a slot; a 429 may land while we queue.
      let release: () => void;
      for (;;) {
        try {
          const waited = await gate.pass(deadline);
          if (waited > 0) {
            metrics.rateLimitWaits++;
            metrics.rateLimitWaitMs += waited;
          }
        } catch (err) {
          if (!(err instanceof RateLimitedUntilError)) throw err;
          const retryAfterMs = Math.max(0, err.resetAt - Date.now());
          throw fail(
            'UPSTREAM_RATE_LIMITED',
            `${what} rate limited; the limit resets at ${new Date(err.resetAt).toISOString()}, after this call's deadline`,
            {
              retryAfterMs,
              attempts: attempt - 1,
              ...(last?.http ? { status: last.http.status } : {}),
            },
          );
        }
        try {
          release = await limiter.acquire(deadline);
        } catch {
          throw fail(
            'UPSTREAM_TIMEOUT',
            `${what} timed out waiting for a request slot (concurrency ${limiter.limit})`,
            { attempts: attempt - 1 },
          );
        }
        if (gate.blockedUntil === 0) break;
        release();
      }

      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        release();
        throw (
          last ??
          fail('UPSTREAM_TIMEOUT', `${what} ran out of time before attempt ${attempt}`, {
            attempts: attempt - 1,
          })
        );
      }
      const attemptTimeout = Math.min(remaining, options.attemptTimeoutMs ?? remaining);

      let authHeaders: Record<string, string> = {};
      let outcome: Outcome;
      try {
        if (options.auth) authHeaders = await options.auth.headers(authCtx);
        if (attempt > 1) metrics.retries++;
        outcome = await breaker.fire(async () => {
          metrics.attempts++;
          const t0 = Date.now();
          let res: AxiosResponse | Outcome;
          try {
            res = await axiosInstance.request({
              method,
              url: req.url,
              ...(req.params !== undefined ? { params: req.params } : {}),
              ...(req.data !== undefined ? { data: req.data } : {}),
              headers: { ...headers, ...authHeaders },
              timeout: attemptTimeout,
            });
          } catch (err) {
            res = { type: 'error', ...networkCode(err), ms: Date.now() - t0 };
          }
          let result: Outcome;
          if ('type' in res) result = res;
          else {
            const resHeaders = flattenHeaders(res.headers);
            const view = { status: res.status, headers: resHeaders, data: res.data as unknown };
            result = {
              type: 'response',
              res,
              headers: resHeaders,
              classification: classify(view),
              ms: Date.now() - t0,
            };
          }
          metrics.recordLatency(result.ms);
          logger.debug(
            {
              connector: connectorId,
              instance: instanceId,
              method,
              path,
              status: result.type === 'response' ? result.res.status : result.detail,
              ms: result.ms,
              attempt,
            },
            'upstream attempt',
          );
          // Only an unhealthy upstream counts against the breaker; 4xx and rate limits do not.
          if (result.type === 'error' || result.classification.kind === 'retryable')
            throw new CountedFailure(result);
          return result;
        });
      } catch (err) {
        if (err instanceof CountedFailure) outcome = err.outcome;
        else if ((err as { code?: unknown }).code === 'EOPENBREAKER') {
          release();
          throw fail(
            'UPSTREAM_UNAVAILABLE',
            `${what} not sent: circuit open after repeated upstream failures`,
            {
              attempts: attempt - 1,
              ...(last?.http ? { status: last.http.status } : {}),
            },
          );
        } else {
          release();
          throw err instanceof UpstreamError
            ? err
            : fail('UPSTREAM_NETWORK', `${what} failed before sending (${(err as Error).message})`);
        }
      }
      release();

      let retryDelayFloor = 0;
      if (outcome.type === 'error') {
        last = fail(
          outcome.code,
          outcome.code === 'UPSTREAM_TIMEOUT'
            ? `${what} timed out after ${outcome.ms} ms (attempt ${attempt})`
            : `${what} network error ${outcome.detail} (attempt ${attempt})`,
          { attempts: attempt },
        );
        if (!canRetry) throw last;
      } else {
        const { res, classification } = outcome;
        const status = res.status;
        if (classification.kind === 'ok') {
          const window = exhaustedWindowMs(outcome.headers);
          if (window !== undefined && window > 0) gate.block(window);
          return { status, headers: outcome.headers, data: res.data as T, attempts: attempt };
        }
        if (classification.kind === 'rate_limited') {
          const retryAfterMs = classification.retryAfterMs;
          if (retryAfterMs !== undefined) gate.block(retryAfterMs);
          last = fail(
            'UPSTREAM_RATE_LIMITED',
            `${what} rate limited (HTTP ${status})${retryAfterMs !== undefined ? `; resets at ${new Date(Date.now() + retryAfterMs).toISOString()}` : ''}`,
            {
              status,
              attempts: attempt,
              ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
            },
          );
          if (!canRetry) throw last;
        } else if (status === 401 && options.auth?.onUnauthorized && !authRetried && attempt < maxAttempts) {
          // The vendor refused the credentials, so nothing was done: one refresh-and-retry is safe for any method.
          authRetried = true;
          if (await options.auth.onUnauthorized(authCtx, authHeaders)) continue;
          throw fail('UPSTREAM_AUTH', `${what} unauthorized (HTTP 401)`, { status, attempts: attempt });
        } else if (classification.kind === 'fatal') {
          const code: UpstreamErrorCode =
            status === 401 || status === 403 ? 'UPSTREAM_AUTH' : 'UPSTREAM_HTTP_ERROR';
          const location = status >= 300 && status < 400 ? outcome.headers['location'] : undefined;
          throw fail(
            code,
            location !== undefined
              ? `${what} was redirected (HTTP ${status}) to ${location}; redirects are not followed, so that credentials are not sent elsewhere: set the instance's baseUrl to the final address`
              : `${what} failed with HTTP ${status}`,
            { status, attempts: attempt },
          );
        } else {
          last = fail(
            'UPSTREAM_HTTP_ERROR',
            `${what} failed with HTTP ${status} (attempt ${attempt} of ${maxAttempts})`,
            { status, attempts: attempt },
          );
          // A 500 may mean the work was done: repeat it only when repeating is harmless.
          if (!canRetry || (status === 500 && !idempotent)) throw last;
          retryDelayFloor = parseRetryAfter(outcome.headers['retry-after']) ?? 0;
        }
      }

      if (attempt === maxAttempts) break;
      const delay = Math.max(retryDelayFloor, fullJitterDelayMs(attempt, backoff));
      if (Date.now() + delay >= deadline) break;
      if (delay > 0) await sleep(delay);
    }
    throw last ?? fail('UPSTREAM_HTTP_ERROR', `${what} failed`);
  }

  return {
    connectorId,
    instanceId,
    baseURL: options.baseURL,
    request,
    get: (url, opts) => request({ ...opts, method: 'GET', url }),
    post: (url, data, opts) => request({ ...opts, method: 'POST', url, data }),
    metrics: () => metrics.snapshot(),
    close() {
      if (closed) return;
      closed = true;
      state.refs--;
      if (state.refs === 0) {
        breaker.shutdown();
        instances.delete(instanceId);
      }
    },
  };
}
