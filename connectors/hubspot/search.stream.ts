import type {
  ConnectorContext,
  StreamDefinition,
  StreamPage,
  CanonicalBatch,
} from '../../src/connector-kit/index.js';
import {
  attachContacts,
  listArchived,
  MODIFIED_PROPERTY,
  searchModifiedSince,
  type HubspotConfig,
  type HubspotObject,
  type HubspotObjectType,
} from './client.js';

/**
 * Where a stream resumes. The search phase walks `modified >= windowStart` ascending; when
 * paging would pass HubSpot's per-query cap (10,000) it restarts with the newest modification
 * time seen as the new lower bound, skipping the ids already emitted at exactly that time.
 * Search never returns archived objects, so each run ends with a pass over the archived list.
 */
export interface SearchCursor {
  phase: 'search' | 'archived';
  windowStart: number;
  /** ids emitted whose modification time equals `windowStart` (GTE re-reads them) */
  seenAtStart: string[];
  after?: string;
  /** newest modification time emitted so far, and the ids emitted at that time */
  high: number;
  seenAtHigh: string[];
  archivedAfter?: string;
  /** archivedAt high-water: archived objects at or before it were already emitted */
  archivedSince: number;
  archivedHigh: number;
}

const modifiedMs = (o: HubspotObject, prop: string): number => {
  const v = o.properties[prop] ?? o.updatedAt;
  return /^\d+$/.test(v) ? Number(v) : Date.parse(v);
};

const initial = (): SearchCursor => ({
  phase: 'search',
  windowStart: 0,
  seenAtStart: [],
  high: 0,
  seenAtHigh: [],
  archivedSince: -1,
  archivedHigh: -1,
});

async function searchPage(
  ctx: ConnectorContext<HubspotConfig>,
  type: HubspotObjectType,
  cur: SearchCursor,
): Promise<StreamPage<HubspotObject, SearchCursor>> {
  const prop = MODIFIED_PROPERTY[type];
  const res = await searchModifiedSince(ctx, type, cur.windowStart, cur.after);
  const seen = new Set(cur.seenAtStart);
  let items = res.results.filter((o) => !(modifiedMs(o, prop) === cur.windowStart && seen.has(o.id)));
  let high = cur.high;
  let seenAtHigh = cur.seenAtHigh;
  for (const o of items) {
    const t = modifiedMs(o, prop);
    if (t > high) {
      high = t;
      seenAtHigh = [o.id];
    } else if (t === high && !seenAtHigh.includes(o.id)) seenAtHigh = [...seenAtHigh, o.id];
  }
  if (type !== 'contacts') items = await attachContacts(ctx, type, items);
  const next = res.paging?.next?.after;
  const base = { ...cur, high, seenAtHigh };
  if (next !== undefined && Number(next) < ctx.config.searchResultCap) {
    return { items, nextCursor: { ...base, after: next }, done: false };
  }
  const restart: SearchCursor = { ...base, windowStart: high, seenAtStart: seenAtHigh };
  delete restart.after;
  if (next !== undefined) {
    // the cap is reached: a new window from the newest time seen
    if (
      high === cur.windowStart &&
      cur.after !== undefined &&
      seenAtHigh.length >= ctx.config.searchResultCap
    )
      throw new Error(
        `hubspot ${type}: more than ${ctx.config.searchResultCap} objects share ${prop}=${high}; the search cap cannot be windowed past`,
      );
    return { items, nextCursor: restart, done: false };
  }
  return { items, nextCursor: { ...restart, phase: 'archived' }, done: false };
}

async function archivedPage(
  ctx: ConnectorContext<HubspotConfig>,
  type: HubspotObjectType,
  cur: SearchCursor,
): Promise<StreamPage<HubspotObject, SearchCursor>> {
  const res = await listArchived(ctx, type, cur.archivedAfter);
  let archivedHigh = cur.archivedHigh;
  const items = res.results
    .map((o) => ({ ...o, archived: true }))
    .filter((o) => {
      const at = Date.parse(o.archivedAt ?? o.updatedAt);
      archivedHigh = Math.max(archivedHigh, at);
      return at > cur.archivedSince;
    });
  const next = res.paging?.next?.after;
  if (next !== undefined)
    return { items, nextCursor: { ...cur, archivedHigh, archivedAfter: next }, done: false };
  const done: SearchCursor = { ...cur, phase: 'search', archivedSince: archivedHigh, archivedHigh };
  delete done.archivedAfter;
  return { items, nextCursor: done, done: true };
}

/** A stream over one CRM object type, incremental through the search API. */
export function searchStream(
  name: string,
  type: HubspotObjectType,
  map: (o: HubspotObject, ctx: ConnectorContext<HubspotConfig>) => CanonicalBatch,
): StreamDefinition<HubspotConfig, HubspotObject, SearchCursor> {
  return {
    name,
    description: `HubSpot ${type}, incremental on ${MODIFIED_PROPERTY[type]} through the search API`,
    everySeconds: 300,
    async fetchPage(ctx, cursor) {
      const cur = cursor ?? initial();
      return cur.phase === 'search' ? searchPage(ctx, type, cur) : archivedPage(ctx, type, cur);
    },
    map,
  };
}
