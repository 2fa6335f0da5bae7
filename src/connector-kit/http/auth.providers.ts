import axios, { type AxiosInstance } from 'axios';
import { parseRetryAfter } from './rate-limit.classifier.js';
import { isTokenFresh, type Token, type TokenStore } from './token.store.js';
import { UpstreamError } from './upstream.error.js';

export interface AuthContext {
  connectorId: string;
  instanceId: string;
}

/** Adds credentials to each attempt; the client never sees how. */
export interface AuthProvider {
  readonly kind: string;
  headers(ctx: AuthContext): Promise<Record<string, string>>;
  /**
   * Called once per call when the vendor answers 401 to credentials from `headers`.
   * Resolve true when fresh credentials are now available and one retry is worth it.
   */
  onUnauthorized?(ctx: AuthContext, rejected: Record<string, string>): Promise<boolean>;
}

/**
 * `Authorization: Bearer <token>` with a fixed token (API keys, private app tokens).
 *
 * @example
 * createHttpClient({ ..., auth: bearer(credentials.accessToken) });
 */
export function bearer(token: string): AuthProvider {
  return { kind: 'bearer', headers: async () => ({ authorization: `Bearer ${token}` }) };
}

/**
 * HTTP Basic (BambooHR: API key as user, any password; Twilio: account SID and auth token).
 *
 * @example
 * createHttpClient({ ..., auth: basic(credentials.accountSid, credentials.authToken) });
 */
export function basic(user: string, pass: string): AuthProvider {
  const value = `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}`;
  return { kind: 'basic', headers: async () => ({ authorization: value }) };
}

/**
 * A key in a header of the vendor's choosing.
 *
 * @example
 * createHttpClient({ ..., auth: apiKeyHeader('X-Api-Key', credentials.apiKey) });
 */
export function apiKeyHeader(name: string, value: string): AuthProvider {
  const header = name.toLowerCase();
  return { kind: 'api_key_header', headers: async () => ({ [header]: value }) };
}

export interface OAuth2Options {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  store: TokenStore;
  /** `refresh_token` (default) uses the stored refresh token; `client_credentials` needs none. */
  grantType?: 'refresh_token' | 'client_credentials';
  /** Used when the store holds no refresh token yet (first start after the OAuth dance). */
  refreshToken?: string;
  scope?: string;
  /** `body` (default) sends client_id/secret as form fields, `basic` in an Authorization header. */
  clientAuth?: 'body' | 'basic';
  /** Refresh this long before the vendor's expiry (default 60 s). */
  expirySkewMs?: number;
  /** Token endpoint timeout (default 10 s). */
  timeoutMs?: number;
  /**
   * Tries at the token endpoint when it answers 429/502/503/504, which mean the refresh was not
   * done, so repeating it is safe even for rotating refresh tokens (default 3; 1 = no retry).
   */
  attempts?: number;
}

/** Token endpoint answers that mean "not done, try again": the refresh token was not used. */
const TOKEN_RETRY_STATUSES = new Set([429, 502, 503, 504]);
/** A Retry-After longer than this fails the refresh instead of holding every caller. */
const TOKEN_RETRY_MAX_WAIT_MS = 10_000;

interface TokenResponse {
  access_token?: unknown;
  refresh_token?: unknown;
  expires_in?: unknown;
}

/**
 * OAuth2 with single-flight refresh: concurrent callers in this process share one refresh, and
 * the store's lock makes other processes wait for it and reuse its result. A 401 triggers one
 * refresh-and-retry per call.
 *
 * @example
 * const auth = oauth2({
 *   tokenUrl: 'https://api.hubapi.com/oauth/v1/token',
 *   clientId: config.clientId,
 *   clientSecret: credentials.clientSecret,
 *   store: new PgTokenStore(pool),
 * });
 * const http = createHttpClient({ connectorId: 'hubspot', instanceId: 'hubspot-1', baseURL, auth, logger });
 */
export function oauth2(options: OAuth2Options): AuthProvider & { token(ctx: AuthContext): Promise<Token> } {
  const skewMs = options.expirySkewMs ?? 60_000;
  const cache = new Map<string, Token>();
  const inflight = new Map<string, Promise<Token>>();
  const tokenHttp: AxiosInstance = axios.create({
    timeout: options.timeoutMs ?? 10_000,
    validateStatus: () => true,
    transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: true },
  });

  async function fetchToken(ctx: AuthContext, current: Token | null): Promise<Token> {
    const fail = (message: string, status?: number) =>
      new UpstreamError({
        code: 'UPSTREAM_AUTH',
        connector: ctx.connectorId,
        instance: ctx.instanceId,
        message: `${ctx.connectorId}/${ctx.instanceId}: OAuth2 token refresh failed: ${message}`,
        ...(status !== undefined ? { status } : {}),
      });
    const form = new URLSearchParams();
    const grantType = options.grantType ?? 'refresh_token';
    const refreshToken = current?.refreshToken ?? options.refreshToken ?? null;
    form.set('grant_type', grantType);
    if (grantType === 'refresh_token') {
      if (!refreshToken) throw fail('no refresh token is stored for this instance');
      form.set('refresh_token', refreshToken);
    }
    if (options.scope) form.set('scope', options.scope);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (options.clientAuth === 'basic') {
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`).toString('base64')}`;
    } else {
      form.set('client_id', options.clientId);
      form.set('client_secret', options.clientSecret);
    }
    const attempts = Math.max(1, options.attempts ?? 3);
    let res;
    for (let attempt = 1; ; attempt++) {
      try {
        res = await tokenHttp.post<TokenResponse>(options.tokenUrl, form.toString(), { headers });
      } catch (err) {
        // Not retried: the endpoint may have rotated the refresh token before the answer was lost.
        const code = (err as { code?: string }).code ?? 'unknown error';
        throw new UpstreamError({
          code: code === 'ETIMEDOUT' || code === 'ECONNABORTED' ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_NETWORK',
          connector: ctx.connectorId,
          instance: ctx.instanceId,
          message: `${ctx.connectorId}/${ctx.instanceId}: OAuth2 token endpoint unreachable (${code})`,
        });
      }
      if (!TOKEN_RETRY_STATUSES.has(res.status) || attempt >= attempts) break;
      const retryAfter = res.headers['retry-after'];
      const waitMs =
        parseRetryAfter(typeof retryAfter === 'string' ? retryAfter : undefined) ?? 250 * 2 ** (attempt - 1);
      if (waitMs > TOKEN_RETRY_MAX_WAIT_MS) break;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
    if (res.status >= 400) throw fail(`token endpoint answered HTTP ${res.status}`, res.status);
    const body = res.data ?? {};
    if (typeof body.access_token !== 'string' || body.access_token === '')
      throw fail('token endpoint returned no access_token', res.status);
    const expiresIn = Number(body.expires_in);
    return {
      accessToken: body.access_token,
      // Vendors that do not rotate refresh tokens omit it: keep the one we have.
      refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : refreshToken,
      expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? new Date(Date.now() + expiresIn * 1000) : null,
    };
  }

  function token(ctx: AuthContext, rejected?: string): Promise<Token> {
    const cached = cache.get(ctx.instanceId) ?? null;
    if (rejected === undefined && isTokenFresh(cached, skewMs)) return Promise.resolve(cached);
    if (rejected !== undefined && cached && cached.accessToken !== rejected && isTokenFresh(cached, skewMs)) {
      return Promise.resolve(cached); // someone refreshed while our request was out
    }
    const running = inflight.get(ctx.instanceId);
    if (running) return running;
    const p = (async () => {
      if (rejected === undefined) {
        const stored = await options.store.read(ctx.instanceId);
        if (isTokenFresh(stored, skewMs)) return stored;
      }
      return options.store.refreshLocked(ctx.instanceId, async (current) => {
        // Another process may have refreshed while we waited for the lock.
        if (isTokenFresh(current, skewMs) && current.accessToken !== rejected) return current;
        return fetchToken(ctx, current);
      });
    })()
      .then((t) => {
        cache.set(ctx.instanceId, t);
        return t;
      })
      .finally(() => inflight.delete(ctx.instanceId));
    inflight.set(ctx.instanceId, p);
    return p;
  }

  return {
    kind: 'oauth2',
    token: (ctx) => token(ctx),
    async headers(ctx) {
      const t = await token(ctx);
      return { authorization: `Bearer ${t.accessToken}` };
    },
    async onUnauthorized(ctx, rejectedHeaders) {
      const rejected = rejectedHeaders.authorization?.replace(/^Bearer /, '') ?? '';
      await token(ctx, rejected);
      return true;
    },
  };
}
