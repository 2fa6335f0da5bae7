/**
 * The connector kit's HTTP client: what a connector receives as `ctx.http`.
 * Connectors import from here only, never from axios.
 */
export { createHttpClient, getHttpMetrics } from './http-client.js';
export type {
  BreakerSettings,
  HttpClient,
  HttpClientOptions,
  HttpMethod,
  HttpRequest,
  HttpRequestOptions,
  HttpResponse,
} from './http-client.js';
export { UpstreamError, UPSTREAM_ERROR_CODES, isUpstreamError } from './upstream.error.js';
export type { UpstreamErrorCode } from './upstream.error.js';
export { apiKeyHeader, basic, bearer, oauth2 } from './auth.providers.js';
export type { AuthContext, AuthProvider, OAuth2Options } from './auth.providers.js';
export { InMemoryTokenStore, isTokenFresh } from './token.store.js';
export type { Token, TokenStore } from './token.store.js';
export { PgTokenStore } from './pg-token.store.js';
export type { PgPoolLike } from './pg-token.store.js';
export { defaultClassify, parseRetryAfter, retryAfterFromHeaders } from './rate-limit.classifier.js';
export type { Classification, ClassifiableResponse, ClassifyHook } from './rate-limit.classifier.js';
export {
  paginateCursor,
  paginateLinkHeader,
  paginateNextUrl,
  paginatePageToken,
  paginateStartingAfter,
  parseLinkNext,
} from './pagination.helpers.js';
export type {
  CursorPaginationOptions,
  LinkHeaderPaginationOptions,
  NextUrlPaginationOptions,
  Page,
  PageTokenPaginationOptions,
  StartingAfterPaginationOptions,
} from './pagination.helpers.js';
export type { BreakerState, HttpMetricsSnapshot } from './http.metrics.js';
