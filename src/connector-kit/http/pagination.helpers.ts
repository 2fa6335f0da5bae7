import type { HttpClient, HttpRequestOptions } from './http-client.js';

/** One page as a sync engine wants it: persist `nextCursor` after applying `items`; null means done. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Reads `a.b.c` from a JSON body; '' means the body itself. */
export function readPath(body: unknown, path: string): unknown {
  if (path === '') return body;
  let cur: unknown = body;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function itemsAt<T>(body: unknown, path: string): T[] {
  const items = readPath(body, path);
  return Array.isArray(items) ? (items as T[]) : [];
}

function stringAt(body: unknown, path: string): string | null {
  const v = readPath(body, path);
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  return null;
}

interface BaseOptions {
  /** First page's path (relative to the client's baseURL). */
  path: string;
  params?: Record<string, unknown>;
  request?: HttpRequestOptions;
  /** Resume from a cursor persisted after an earlier page. */
  cursor?: string | null;
  /** Stop after this many pages (a guard against vendors that loop). */
  maxPages?: number;
}

async function* walk<T>(
  maxPages: number | undefined,
  fetchPage: (cursor: string | null) => Promise<Page<T>>,
  first: string | null,
): AsyncGenerator<Page<T>, void, undefined> {
  let cursor = first;
  const seen = new Set<string>();
  for (let n = 0; maxPages === undefined || n < maxPages; n++) {
    const page = await fetchPage(cursor);
    yield page;
    if (page.nextCursor === null) return;
    // A vendor that hands back the same cursor would page forever.
    if (seen.has(page.nextCursor)) throw new Error(`pagination loop: cursor repeated after ${n + 1} pages`);
    seen.add(page.nextCursor);
    cursor = page.nextCursor;
  }
}

export interface CursorPaginationOptions extends BaseOptions {
  /** Query parameter carrying the cursor (default `after`). */
  cursorParam?: string;
  /** Where the items are (default `results`). */
  itemsPath?: string;
  /** Where the next cursor is (default HubSpot's `paging.next.after`). */
  nextCursorPath?: string;
}

/**
 * Opaque cursor in the body, sent back as a query parameter (HubSpot `paging.next.after`).
 *
 * @example
 * for await (const page of paginateCursor<Contact>(ctx.http, { path: '/crm/v3/objects/contacts', params: { limit: 100 }, cursor: ctx.cursor })) {
 *   yield page; // the engine stores page.nextCursor once the items are applied
 * }
 */
export function paginateCursor<T>(
  http: HttpClient,
  o: CursorPaginationOptions,
): AsyncGenerator<Page<T>, void, undefined> {
  const cursorParam = o.cursorParam ?? 'after';
  return walk(
    o.maxPages,
    async (cursor) => {
      const params = { ...o.params, ...(cursor !== null ? { [cursorParam]: cursor } : {}) };
      const { data } = await http.get<unknown>(o.path, { ...o.request, params });
      return {
        items: itemsAt<T>(data, o.itemsPath ?? 'results'),
        nextCursor: stringAt(data, o.nextCursorPath ?? 'paging.next.after'),
      };
    },
    o.cursor ?? null,
  );
}

export interface StartingAfterPaginationOptions extends BaseOptions {
  itemsPath?: string;
  hasMorePath?: string;
  idField?: string;
}

/**
 * Stripe style: `starting_after=<last id>` while `has_more` is true.
 *
 * @example
 * for await (const page of paginateStartingAfter<StripeCustomer>(ctx.http, { path: '/v1/customers', params: { limit: 100 } })) { ... }
 */
export function paginateStartingAfter<T>(
  http: HttpClient,
  o: StartingAfterPaginationOptions,
): AsyncGenerator<Page<T>, void, undefined> {
  const idField = o.idField ?? 'id';
  return walk(
    o.maxPages,
    async (cursor) => {
      const params = { ...o.params, ...(cursor !== null ? { starting_after: cursor } : {}) };
      const { data } = await http.get<unknown>(o.path, { ...o.request, params });
      const items = itemsAt<T>(data, o.itemsPath ?? 'data');
      const last = items.at(-1);
      const hasMore = readPath(data, o.hasMorePath ?? 'has_more') === true;
      const lastId = last !== undefined ? stringAt(last, idField) : null;
      return { items, nextCursor: hasMore ? lastId : null };
    },
    o.cursor ?? null,
  );
}

export interface PageTokenPaginationOptions extends BaseOptions {
  /** Query parameter for the token (default `page_token`; X uses `pagination_token`). */
  tokenParam?: string;
  itemsPath?: string;
  /** Where the next token is (default `next_page_token`; X uses `meta.next_token`). */
  nextTokenPath?: string;
}

/**
 * A page token in the body, sent back as a query parameter (`next_page_token`, X's `meta.next_token`).
 *
 * @example
 * paginatePageToken<Tweet>(ctx.http, { path: `/2/users/${id}/mentions`, tokenParam: 'pagination_token', itemsPath: 'data', nextTokenPath: 'meta.next_token' });
 */
export function paginatePageToken<T>(
  http: HttpClient,
  o: PageTokenPaginationOptions,
): AsyncGenerator<Page<T>, void, undefined> {
  const tokenParam = o.tokenParam ?? 'page_token';
  return walk(
    o.maxPages,
    async (cursor) => {
      const params = { ...o.params, ...(cursor !== null ? { [tokenParam]: cursor } : {}) };
      const { data } = await http.get<unknown>(o.path, { ...o.request, params });
      return {
        items: itemsAt<T>(data, o.itemsPath ?? 'data'),
        nextCursor: stringAt(data, o.nextTokenPath ?? 'next_page_token'),
      };
    },
    o.cursor ?? null,
  );
}

/** Next-page URLs must stay on the vendor's host: credentials go with every request. */
function checkSameOrigin(http: HttpClient, next: string): void {
  if (!/^[a-z][a-z\d+.-]*:\/\//i.test(next) || http.baseURL === undefined) return;
  if (new URL(next).origin !== new URL(http.baseURL).origin) {
    throw new Error(
      `${http.connectorId}/${http.instanceId}: next-page URL points to another origin; refusing to follow it`,
    );
  }
}

export interface NextUrlPaginationOptions extends BaseOptions {
  itemsPath?: string;
  /** Where the next URL is (default Salesforce's `nextRecordsUrl`; Graph `paging.next`, Twilio `next_page_uri`). */
  nextUrlPath?: string;
}

/**
 * The body names the next page's URL, relative or absolute (Salesforce `nextRecordsUrl`,
 * Meta Graph `paging.next`, Twilio `next_page_uri`). The cursor is that URL.
 *
 * @example
 * paginateNextUrl<SfContact>(ctx.http, { path: '/services/data/v62.0/query', params: { q: soql }, itemsPath: 'records' });
 */
export function paginateNextUrl<T>(
  http: HttpClient,
  o: NextUrlPaginationOptions,
): AsyncGenerator<Page<T>, void, undefined> {
  return walk(
    o.maxPages,
    async (cursor) => {
      if (cursor !== null) checkSameOrigin(http, cursor);
      // The next URL already carries every parameter it needs.
      const { data } =
        cursor === null
          ? await http.get<unknown>(o.path, { ...o.request, ...(o.params ? { params: o.params } : {}) })
          : await http.get<unknown>(cursor, o.request);
      return {
        items: itemsAt<T>(data, o.itemsPath ?? 'records'),
        nextCursor: stringAt(data, o.nextUrlPath ?? 'nextRecordsUrl'),
      };
    },
    o.cursor ?? null,
  );
}

/** The `rel="next"` target of an RFC 8288 (ex-5988) `Link` header, or null. */
export function parseLinkNext(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!m) continue;
    const rels = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(m[2] ?? '');
    const rel = (rels?.[1] ?? rels?.[2] ?? '').toLowerCase().split(/\s+/);
    if (rel.includes('next')) return m[1] ?? null;
  }
  return null;
}

export interface LinkHeaderPaginationOptions extends BaseOptions {
  /** Where the items are; '' (default) when the body is the array. */
  itemsPath?: string;
}

/**
 * `Link: <https://...?page=2>; rel="next"` (RFC 8288; GitHub, Zendesk, Shopify style).
 *
 * @example
 * paginateLinkHeader<Ticket>(ctx.http, { path: '/api/v2/tickets', itemsPath: 'tickets' });
 */
export function paginateLinkHeader<T>(
  http: HttpClient,
  o: LinkHeaderPaginationOptions,
): AsyncGenerator<Page<T>, void, undefined> {
  return walk(
    o.maxPages,
    async (cursor) => {
      if (cursor !== null) checkSameOrigin(http, cursor);
      const res =
        cursor === null
          ? await http.get<unknown>(o.path, { ...o.request, ...(o.params ? { params: o.params } : {}) })
          : await http.get<unknown>(cursor, o.request);
      return {
        items: itemsAt<T>(res.data, o.itemsPath ?? ''),
        nextCursor: parseLinkNext(res.headers['link']),
      };
    },
    o.cursor ?? null,
  );
}
