import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { clampAttempts, fullJitterDelayMs, isIdempotentMethod } from './backoff.policy.js';
import { parseLinkNext } from './pagination.helpers.js';
import {
  defaultClassify,
  exhaustedWindowMs,
  parseRetryAfter,
  retryAfterFromHeaders,
} from './rate-limit.classifier.js';

const now = Date.parse('2026-01-01T00:00:00Z');

describe('rate-limit headers', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('reads epoch-second resets (X) and delta resets, and HubSpot windows', () => {
    expect(retryAfterFromHeaders({ 'x-rate-limit-reset': String(now / 1000 + 15) }, now)).toBe(15_000);
    expect(retryAfterFromHeaders({ 'x-ratelimit-reset': '7' }, now)).toBe(7_000);
    expect(
      retryAfterFromHeaders(
        { 'x-hubspot-ratelimit-interval-milliseconds': '10000', 'x-hubspot-ratelimit-remaining': '0' },
        now,
      ),
    ).toBe(10_000);
    expect(retryAfterFromHeaders({ 'x-hubspot-ratelimit-secondly-remaining': '0' }, now)).toBe(1_000);
    expect(retryAfterFromHeaders({ 'retry-after': '3', 'x-ratelimit-reset': '99' }, now)).toBe(3_000);
    expect(retryAfterFromHeaders({}, now)).toBeUndefined();
  });

  it('blocks ahead of time only when a window is spent', () => {
    expect(
      exhaustedWindowMs({ 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(now / 1000 + 4) }, now),
    ).toBe(4_000);
    expect(
      exhaustedWindowMs(
        { 'x-rate-limit-remaining': '12', 'x-rate-limit-reset': String(now / 1000 + 4) },
        now,
      ),
    ).toBeUndefined();
  });
});

describe('default classification', () => {
  const c = (status: number, data: unknown = null, headers: Record<string, string> = {}) =>
    defaultClassify({ status, headers, data }, now);
  it('maps statuses to what the client does', () => {
    expect(c(200)).toEqual({ kind: 'ok' });
    expect(c(429, null, { 'retry-after': '1' })).toEqual({ kind: 'rate_limited', retryAfterMs: 1_000 });
    expect(c(429)).toEqual({ kind: 'rate_limited' });
    expect(c(403, [{ errorCode: 'REQUEST_LIMIT_EXCEEDED' }])).toEqual({ kind: 'rate_limited' });
    expect(c(403, [{ errorCode: 'INSUFFICIENT_ACCESS' }])).toEqual({ kind: 'fatal' });
    for (const s of [500, 502, 503, 504]) expect(c(s)).toEqual({ kind: 'retryable' });
    for (const s of [400, 404, 409, 422, 501]) expect(c(s)).toEqual({ kind: 'fatal' });
  });
});

describe('backoff', () => {
  it('full jitter stays within [0, min(cap, base * 2^(n-1))]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (retry, r) => {
          const d = fullJitterDelayMs(retry, { baseMs: 200, capMs: 5_000 }, () => r);
          return d >= 0 && d < Math.min(5_000, 200 * 2 ** (retry - 1));
        },
      ),
    );
  });

  it('caps attempts at 3 and knows the idempotent methods', () => {
    expect([clampAttempts(undefined), clampAttempts(10), clampAttempts(0), clampAttempts(2)]).toEqual([
      3, 3, 1, 2,
    ]);
    expect(['GET', 'head', 'PUT', 'DELETE', 'OPTIONS'].every(isIdempotentMethod)).toBe(true);
    expect(['POST', 'PATCH'].some(isIdempotentMethod)).toBe(false);
  });
});

describe('Link header', () => {
  it('finds rel="next" among several links, quoted or not', () => {
    expect(parseLinkNext('<https://a/x?page=1>; rel="prev", <https://a/x?page=3>; rel="next"')).toBe(
      'https://a/x?page=3',
    );
    expect(parseLinkNext('<https://a/x?page=3>; rel=next')).toBe('https://a/x?page=3');
    expect(parseLinkNext('<https://a/x?page=1>; rel="first"')).toBeNull();
    expect(parseLinkNext(undefined)).toBeNull();
  });
});
