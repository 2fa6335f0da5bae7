import { graphTime, metaClassify } from './client.js';

const res = (status: number, data: unknown, headers: Record<string, string> = {}) => ({
  status,
  data,
  headers,
});

test.each([
  [400, 613],
  [403, 4],
  [400, 17],
  [403, 32],
  [400, 80006],
])('HTTP %i with Graph error code %i is a rate limit, not a fatal error', (status, code) => {
  expect(
    metaClassify(res(status, { error: { code, type: 'OAuthException', message: `(#${code})` } })),
  ).toEqual({
    kind: 'rate_limited',
  });
});

test('the wait comes from estimated_time_to_regain_access (minutes) in X-Business-Use-Case-Usage', () => {
  const usage = JSON.stringify({
    '104417925581001': [{ type: 'pages', call_count: 100, estimated_time_to_regain_access: 3 }],
  });
  expect(metaClassify(res(400, { error: { code: 80001 } }, { 'x-business-use-case-usage': usage }))).toEqual({
    kind: 'rate_limited',
    retryAfterMs: 180_000,
  });
});

test('a Retry-After header on a Graph throttle wins over the usage header, in seconds or as an HTTP date', () => {
  const usage = JSON.stringify({ '1': [{ estimated_time_to_regain_access: 3 }] });
  expect(
    metaClassify(
      res(400, { error: { code: 613 } }, { 'retry-after': '7', 'x-business-use-case-usage': usage }),
    ),
  ).toEqual({ kind: 'rate_limited', retryAfterMs: 7_000 });
  const at = new Date(Date.now() + 60_000).toUTCString();
  const fromDate = metaClassify(res(403, { error: { code: 4 } }, { 'retry-after': at }));
  expect(fromDate?.kind).toBe('rate_limited');
  expect((fromDate as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(55_000);
  expect((fromDate as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(60_000);
});

test('other Graph errors and successes are left to the default rules', () => {
  expect(
    metaClassify(res(400, { error: { code: 190, message: 'Invalid OAuth access token' } })),
  ).toBeUndefined();
  expect(metaClassify(res(400, { error: { code: 100 } }))).toBeUndefined();
  expect(metaClassify(res(200, { data: [] }, { 'x-app-usage': '{"call_count":100}' }))).toBeUndefined();
});

test('Graph times with +0000 offsets parse to ISO instants', () => {
  expect(graphTime('2026-11-20T10:00:00+0000')).toBe('2026-11-20T10:00:00.000Z');
  expect(graphTime('2026-11-20T12:00:00+0200')).toBe('2026-11-20T10:00:00.000Z');
});
