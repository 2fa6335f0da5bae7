/** Paging helpers for simulator routes: each vendor's style built on the same slicing. */

/** A request with a bad cursor; routes answer it with the vendor's 400. */
export class PagingError extends Error {
  override readonly name = 'PagingError';
}

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor<T = unknown>(cursor: string): T {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as T;
  } catch {
    throw new PagingError(`invalid cursor: ${cursor.slice(0, 40)}`);
  }
}

export type Key = string | number;

/** Numeric strings compare as numbers (HubSpot ids), everything else as strings. */
export function compareKeys(a: Key, b: Key): number {
  const na = typeof a === 'number' ? a : /^\d+$/.test(a) ? Number(a) : Number.NaN;
  const nb = typeof b === 'number' ? b : /^\d+$/.test(b) ? Number(b) : Number.NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

export interface KeyedPageOptions<T> {
  limit: number;
  /** the field ordering the collection; default `id` */
  key?: (item: T) => Key;
}

const byId = <T>(item: T): Key => (item as { id: Key }).id;

function afterKey<T>(
  items: readonly T[],
  last: Key | undefined,
  opts: KeyedPageOptions<T>,
): { page: T[]; hasMore: boolean } {
  const key = opts.key ?? byId;
  if (!Number.isInteger(opts.limit) || opts.limit < 1) throw new PagingError(`invalid limit ${opts.limit}`);
  const sorted = [...items].sort((a, b) => compareKeys(key(a), key(b)));
  const rest = last === undefined ? sorted : sorted.filter((item) => compareKeys(key(item), last) > 0);
  return { page: rest.slice(0, opts.limit), hasMore: rest.length > opts.limit };
}

/**
 * Opaque cursor = base64 of the last key returned. Items deleted between pages do not shift
 * later pages (the cursor is a key, not a position).
 */
export function pageByCursor<T>(
  items: readonly T[],
  opts: KeyedPageOptions<T> & { cursor?: string | undefined },
): { items: T[]; nextCursor: string | null; hasMore: boolean } {
  const key = opts.key ?? byId;
  const last = opts.cursor ? decodeCursor<{ k?: Key } | null>(opts.cursor)?.k : undefined;
  if (opts.cursor && typeof last !== 'string' && typeof last !== 'number')
    throw new PagingError('invalid cursor');
  const { page, hasMore } = afterKey(items, last, opts);
  const tail = page.at(-1);
  return {
    items: page,
    hasMore,
    nextCursor: hasMore && tail !== undefined ? encodeCursor({ k: key(tail) }) : null,
  };
}

/** Stripe style: `starting_after=<id>` (plain id), answer `{ data, has_more }`. */
export function pageStartingAfter<T>(
  items: readonly T[],
  opts: KeyedPageOptions<T> & { startingAfter?: string | undefined },
): { data: T[]; has_more: boolean } {
  const { page, hasMore } = afterKey(items, opts.startingAfter || undefined, opts);
  return { data: page, has_more: hasMore };
}

/** Offset paging behind an opaque page token (Google / X `pagination_token` / Zendesk style). */
export function pageByToken<T>(
  items: readonly T[],
  opts: { pageSize: number; pageToken?: string | undefined },
): { items: T[]; nextPageToken: string | null; offset: number } {
  let offset = 0;
  if (opts.pageToken) {
    const decoded = decodeCursor<{ o?: unknown } | null>(opts.pageToken)?.o;
    if (typeof decoded !== 'number' || !Number.isInteger(decoded) || decoded < 0)
      throw new PagingError('invalid page token');
    offset = decoded;
  }
  if (!Number.isInteger(opts.pageSize) || opts.pageSize < 1)
    throw new PagingError(`invalid page size ${opts.pageSize}`);
  const page = items.slice(offset, offset + opts.pageSize);
  const next = offset + opts.pageSize;
  return { items: page, offset, nextPageToken: next < items.length ? encodeCursor({ o: next }) : null };
}

/** Plain offset/limit (Salesforce query locators, BambooHR). */
export function pageByOffset<T>(
  items: readonly T[],
  opts: { offset: number; limit: number },
): { items: T[]; nextOffset: number | null } {
  const page = items.slice(opts.offset, opts.offset + opts.limit);
  const next = opts.offset + opts.limit;
  return { items: page, nextOffset: next < items.length ? next : null };
}

/**
 * The same URL with some query parameters replaced (null removes one): for `nextRecordsUrl`,
 * `paging.next.link` and Link headers.
 */
export function withQuery(
  url: string | URL,
  params: Readonly<Record<string, string | number | null | undefined>>,
): string {
  const u = new URL(String(url));
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined) u.searchParams.delete(k);
    else u.searchParams.set(k, String(v));
  }
  return u.toString();
}

/** Path + query only, for vendors whose next links are relative (Salesforce `nextRecordsUrl`). */
export function relativeUrl(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

/** RFC 8288 Link header: `<url>; rel="next", <url>; rel="prev"`. Empty string when no links. */
export function linkHeader(
  links: Readonly<Partial<Record<'next' | 'prev' | 'first' | 'last', string | null | undefined>>>,
): string {
  return (['first', 'prev', 'next', 'last'] as const)
    .flatMap((rel) => {
      const href = links[rel];
      return href ? [`<${href}>; rel="${rel}"`] : [];
    })
    .join(', ');
}

/** Parses a Link header into rel → URL (tests and clients use it). */
export function parseLinkHeader(header: string | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(',')) {
    const m = /<([^>]*)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[2]] = m[1];
  }
  return out;
}
