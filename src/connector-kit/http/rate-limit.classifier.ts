/** What a vendor's answer means for the client, decided before any generic status rule. */
export type Classification =
  | { kind: 'ok' }
  | { kind: 'rate_limited'; retryAfterMs?: number }
  | { kind: 'retryable' }
  | { kind: 'fatal' };

export interface ClassifiableResponse {
  status: number;
  /** Lower-case header names. */
  headers: Readonly<Record<string, string>>;
  data: unknown;
}

/**
 * A connector's own reading of a response, declared next to the connector as data-like code.
 * Return `undefined` to fall back to the kit's default rules.
 */
export type ClassifyHook = (res: ClassifiableResponse) => Classification | undefined;

/** Parses `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * `X-RateLimit-Reset` means epoch seconds for X and GitHub but seconds-to-wait for others;
 * a value past 2001-09-09 (1e9) can only be an epoch.
 */
function parseResetValue(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.trim());
  if (!Number.isFinite(n) || n < 0) return undefined;
  if (n >= 1e12) return Math.max(0, n - now); // epoch milliseconds
  if (n >= 1e9) return Math.max(0, n * 1000 - now);
  return Math.round(n * 1000);
}

/**
 * How long the vendor asks us to wait, from whichever header it uses:
 * `Retry-After`, `X-RateLimit-Reset` / `x-rate-limit-reset` (X), IETF `RateLimit-Reset`,
 * or HubSpot's `X-HubSpot-RateLimit-*` interval when the window is spent.
 */
export function retryAfterFromHeaders(
  headers: Readonly<Record<string, string>>,
  now: number = Date.now(),
): number | undefined {
  const retryAfter = parseRetryAfter(headers['retry-after'], now);
  if (retryAfter !== undefined) return retryAfter;
  for (const name of ['x-ratelimit-reset', 'x-rate-limit-reset', 'ratelimit-reset']) {
    const reset = parseResetValue(headers[name], now);
    if (reset !== undefined) return reset;
  }
  // HubSpot gives the window length but not when it started: waiting one whole window is safe.
  if (headers['x-hubspot-ratelimit-secondly-remaining'] === '0') return 1_000;
  const interval = Number(headers['x-hubspot-ratelimit-interval-milliseconds']);
  if (Number.isFinite(interval) && interval > 0 && headers['x-hubspot-ratelimit-remaining'] === '0')
    return interval;
  return undefined;
}

/**
 * When a successful answer says the window is spent (`remaining: 0` with a reset), the next
 * call would only earn a 429: block the instance until the reset instead.
 */
export function exhaustedWindowMs(
  headers: Readonly<Record<string, string>>,
  now: number = Date.now(),
): number | undefined {
  const remaining =
    headers['x-ratelimit-remaining'] ?? headers['x-rate-limit-remaining'] ?? headers['ratelimit-remaining'];
  if (remaining === undefined || Number(remaining.trim()) !== 0) {
    if (headers['x-hubspot-ratelimit-secondly-remaining'] === '0') return 1_000;
    return undefined;
  }
  for (const name of ['x-ratelimit-reset', 'x-rate-limit-reset', 'ratelimit-reset']) {
    const reset = parseResetValue(headers[name], now);
    if (reset !== undefined) return reset;
  }
  return undefined;
}

function isSalesforceLimitBody(data: unknown): boolean {
  const list = Array.isArray(data) ? data : [data];
  return list.some(
    (e) =>
      typeof e === 'object' &&
      e !== null &&
      (e as { errorCode?: unknown }).errorCode === 'REQUEST_LIMIT_EXCEEDED',
  );
}

/**
 * The kit's own rules: 2xx and 304 ok; other 3xx fatal (redirects are not followed); 429 and Salesforce's 403 REQUEST_LIMIT_EXCEEDED are rate
 * limits; 500/502/503/504 retryable (500 only retried for idempotent calls, by the client);
 * any other status fatal.
 */
export function defaultClassify(res: ClassifiableResponse, now: number = Date.now()): Classification {
  const { status, headers } = res;
  if (status < 300 || status === 304) return { kind: 'ok' };
  if (status < 400) return { kind: 'fatal' };
  if (status === 429 || (status === 403 && isSalesforceLimitBody(res.data))) {
    const retryAfterMs = retryAfterFromHeaders(headers, now);
    return retryAfterMs === undefined ? { kind: 'rate_limited' } : { kind: 'rate_limited', retryAfterMs };
  }
  if (status === 500 || status === 502 || status === 503 || status === 504) return { kind: 'retryable' };
  return { kind: 'fatal' };
}
