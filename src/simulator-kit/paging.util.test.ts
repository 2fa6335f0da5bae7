import { describe, expect, it } from '@jest/globals';
import {
  decodeCursor,
  encodeCursor,
  linkHeader,
  pageByCursor,
  pageByOffset,
  pageByToken,
  pageStartingAfter,
  parseLinkHeader,
  PagingError,
  relativeUrl,
  withQuery,
} from './paging.util.js';

const items = Array.from({ length: 23 }, (_, i) => ({ id: String(i + 1), name: `n${i + 1}` }));

describe('paging helpers', () => {
  it('walks a collection by opaque cursor to the end, in id order, without repeats', () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = pageByCursor(items, { limit: 5, cursor });
      seen.push(...page.items.map((i) => i.id));
      if (!page.nextCursor) {
        expect(page.hasMore).toBe(false);
        break;
      }
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(items.map((i) => i.id)); // numeric ids: "10" after "9"
  });

  it('is not shifted by deletions between pages', () => {
    const first = pageByCursor(items, { limit: 5 });
    const remaining = items.filter((i) => i.id !== '2' && i.id !== '3');
    const second = pageByCursor(remaining, { limit: 5, cursor: first.nextCursor ?? undefined });
    expect(second.items.map((i) => i.id)).toEqual(['6', '7', '8', '9', '10']);
  });

  it('refuses a garbled cursor with a PagingError', () => {
    expect(() => pageByCursor(items, { limit: 5, cursor: '%%%not-a-cursor' })).toThrow(PagingError);
    expect(() => pageByToken(items, { pageSize: 5, pageToken: encodeCursor({ o: -1 }) })).toThrow(
      PagingError,
    );
    expect(decodeCursor(encodeCursor({ k: 'x' }))).toEqual({ k: 'x' });
  });

  it('pages Stripe style with starting_after and has_more', () => {
    const a = pageStartingAfter(items, { limit: 10 });
    expect(a.data.at(-1)?.id).toBe('10');
    expect(a.has_more).toBe(true);
    const c = pageStartingAfter(items, { limit: 10, startingAfter: '20' });
    expect(c.data.map((i) => i.id)).toEqual(['21', '22', '23']);
    expect(c.has_more).toBe(false);
  });

  it('pages by page token and by offset', () => {
    const p1 = pageByToken(items, { pageSize: 20 });
    const p2 = pageByToken(items, { pageSize: 20, pageToken: p1.nextPageToken ?? undefined });
    expect(p2.items.map((i) => i.id)).toEqual(['21', '22', '23']);
    expect(p2.nextPageToken).toBeNull();
    expect(pageByOffset(items, { offset: 20, limit: 5 })).toEqual({
      items: items.slice(20),
      nextOffset: null,
    });
    expect(pageByOffset(items, { offset: 0, limit: 5 }).nextOffset).toBe(5);
  });

  it('builds next URLs and Link headers that parse back', () => {
    const next = withQuery('http://127.0.0.1:1/v2/users?limit=5&q=a', { after: 'abc', q: null });
    expect(next).toBe('http://127.0.0.1:1/v2/users?limit=5&after=abc');
    expect(relativeUrl(next)).toBe('/v2/users?limit=5&after=abc');
    const header = linkHeader({ next, prev: null, first: 'http://h/x?page=1' });
    expect(header).toBe(`<http://h/x?page=1>; rel="first", <${next}>; rel="next"`);
    expect(parseLinkHeader(header)).toEqual({ first: 'http://h/x?page=1', next });
    expect(linkHeader({})).toBe('');
  });
});
