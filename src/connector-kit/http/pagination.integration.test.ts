import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFlakyUpstream, type FlakyUpstream } from './flaky-upstream.server.js';
import {
  createHttpClient,
  paginateCursor,
  paginateLinkHeader,
  paginateNextUrl,
  paginatePageToken,
  paginateStartingAfter,
  type HttpClient,
  type Page,
} from './index.js';

/** 7 records served 3 per page in every vendor's paging style; page 2 fails once with a 503. */
const ids = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'];
const PAGE = 3;
let server: FlakyUpstream;
let http: HttpClient;
const failedOnce = new Set<string>();

function slice(offset: number) {
  return {
    items: ids.slice(offset, offset + PAGE).map((id) => ({ id })),
    next: offset + PAGE < ids.length ? offset + PAGE : null,
  };
}

beforeAll(async () => {
  server = await startFlakyUpstream((r) => {
    const q = r.query;
    const key = `${r.path}?${q.toString()}`;
    if (q.get('_flaky') !== null && !failedOnce.has(key)) {
      failedOnce.add(key);
      return { status: 503 };
    }
    switch (r.path) {
      case '/crm/v3/objects/contacts': {
        const { items, next } = slice(Number(q.get('after') ?? 0));
        return {
          body: {
            results: items,
            ...(next !== null ? { paging: { next: { after: String(next), link: 'x' } } } : {}),
          },
        };
      }
      case '/v1/customers': {
        const after = q.get('starting_after');
        const offset = after === null ? 0 : ids.indexOf(after) + 1;
        const { items, next } = slice(offset);
        return { body: { object: 'list', data: items, has_more: next !== null } };
      }
      case '/2/users/1/mentions': {
        const { items, next } = slice(Number(q.get('pagination_token')?.replace('tok', '') ?? 0));
        return {
          body: {
            data: items,
            meta: { result_count: items.length, ...(next !== null ? { next_token: `tok${next}` } : {}) },
          },
        };
      }
      case '/services/data/v62.0/query':
      case '/services/data/v62.0/query/01gD-more': {
        const { items, next } = slice(Number(q.get('o') ?? 0));
        return {
          body: {
            done: next === null,
            records: items,
            ...(next !== null ? { nextRecordsUrl: `/services/data/v62.0/query/01gD-more?o=${next}` } : {}),
          },
        };
      }
      case '/v19.0/me/conversations': {
        const { items, next } = slice(Number(q.get('o') ?? 0));
        return {
          body: {
            data: items,
            paging: next !== null ? { next: `${server.url}/v19.0/me/conversations?o=${next}` } : {},
          },
        };
      }
      case '/api/v2/tickets': {
        const page = Number(q.get('page') ?? 1);
        const { items, next } = slice((page - 1) * PAGE);
        const links = [`<${server.url}/api/v2/tickets?page=1>; rel="first"`];
        if (next !== null) links.push(`<${server.url}/api/v2/tickets?page=${page + 1}>; rel="next"`);
        return { headers: { link: links.join(', ') }, body: items };
      }
      case '/evil':
        return { body: { records: [{ id: 'x' }], nextRecordsUrl: 'http://169.254.169.254/latest' } };
      default:
        return { status: 404 };
    }
  });
  http = createHttpClient({
    connectorId: 'paging',
    instanceId: 'paging-1',
    baseURL: server.url,
    backoff: { baseMs: 5, capMs: 20 },
  });
});

afterAll(async () => {
  http.close();
  await server.close();
});

async function collect<T extends { id: string }>(
  pages: AsyncGenerator<Page<T>>,
): Promise<{ ids: string[]; cursors: Array<string | null> }> {
  const out = { ids: [] as string[], cursors: [] as Array<string | null> };
  for await (const p of pages) {
    out.ids.push(...p.items.map((i) => i.id));
    out.cursors.push(p.nextCursor);
  }
  return out;
}

describe('pagination helpers walk every style to the end', () => {
  it('cursor in body (HubSpot paging.next.after), surviving a 503 mid-walk', async () => {
    const r = await collect(
      paginateCursor<{ id: string }>(http, {
        path: '/crm/v3/objects/contacts',
        params: { limit: PAGE, _flaky: 1 },
      }),
    );
    expect(r.ids).toEqual(ids);
    expect(r.cursors).toEqual(['3', '6', null]);
  });

  it('resumes from a persisted cursor', async () => {
    const r = await collect(
      paginateCursor<{ id: string }>(http, { path: '/crm/v3/objects/contacts', cursor: '3' }),
    );
    expect(r.ids).toEqual(['a4', 'a5', 'a6', 'a7']);
  });

  it('starting_after + has_more (Stripe)', async () => {
    const r = await collect(
      paginateStartingAfter<{ id: string }>(http, { path: '/v1/customers', params: { limit: PAGE } }),
    );
    expect(r.ids).toEqual(ids);
    expect(r.cursors).toEqual(['a3', 'a6', null]);
  });

  it('page token (X meta.next_token)', async () => {
    const r = await collect(
      paginatePageToken<{ id: string }>(http, {
        path: '/2/users/1/mentions',
        tokenParam: 'pagination_token',
        nextTokenPath: 'meta.next_token',
      }),
    );
    expect(r.ids).toEqual(ids);
    expect(r.cursors).toEqual(['tok3', 'tok6', null]);
  });

  it('relative next URL (Salesforce nextRecordsUrl)', async () => {
    const r = await collect(
      paginateNextUrl<{ id: string }>(http, {
        path: '/services/data/v62.0/query',
        params: { q: 'SELECT Id FROM Contact' },
      }),
    );
    expect(r.ids).toEqual(ids);
    expect(r.cursors.at(-1)).toBeNull();
  });

  it('absolute next URL (Meta Graph paging.next)', async () => {
    const r = await collect(
      paginateNextUrl<{ id: string }>(http, {
        path: '/v19.0/me/conversations',
        itemsPath: 'data',
        nextUrlPath: 'paging.next',
      }),
    );
    expect(r.ids).toEqual(ids);
  });

  it('RFC 8288 Link header rel="next"', async () => {
    const r = await collect(paginateLinkHeader<{ id: string }>(http, { path: '/api/v2/tickets' }));
    expect(r.ids).toEqual(ids);
    expect(r.cursors).toEqual([
      `${server.url}/api/v2/tickets?page=2`,
      `${server.url}/api/v2/tickets?page=3`,
      null,
    ]);
  });

  it('refuses a next URL on another origin, so credentials stay with the vendor', async () => {
    await expect(collect(paginateNextUrl<{ id: string }>(http, { path: '/evil' }))).rejects.toThrow(
      /another origin/,
    );
  });
});
