import { twilioClassify } from './index.js';

const res = (status: number, data: unknown, headers: Record<string, string> = {}) => ({
  status,
  data,
  headers,
});

test('429 / 20429 without Retry-After is a rate limit left to the kit backoff', () => {
  expect(twilioClassify(res(429, { code: 20429, message: 'Too Many Requests' }))).toEqual({
    kind: 'rate_limited',
  });
});

test('Retry-After in seconds or as an HTTP date sets the wait', () => {
  expect(twilioClassify(res(429, { code: 20429 }, { 'retry-after': '3' }))).toEqual({
    kind: 'rate_limited',
    retryAfterMs: 3_000,
  });
  const c = twilioClassify(
    res(429, { code: 20429 }, { 'retry-after': new Date(Date.now() + 30_000).toUTCString() }),
  );
  expect(c?.kind).toBe('rate_limited');
  expect((c as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(25_000);
  expect((c as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(30_000);
});

test('other answers are left to the default rules', () => {
  expect(twilioClassify(res(404, { code: 20404 }))).toBeUndefined();
  expect(twilioClassify(res(200, { calls: [] }))).toBeUndefined();
});
