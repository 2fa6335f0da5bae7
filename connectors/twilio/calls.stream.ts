import type { ConnectorContext, StreamDefinition, StreamPage } from '../../src/connector-kit/index.js';
import {
  FINAL_CALL_STATUSES,
  followPage,
  listCalls,
  parseTwilioDate,
  type TwilioCall,
  type TwilioConfig,
} from './client.js';
import { mapCall } from './mapping.js';

/**
 * Twilio has no "changed since" filter for calls, only `StartTime>=`. A call is listed when it
 * starts and changes later (ringing → in-progress → completed, duration filled in), so each
 * run re-reads from the start of the oldest call still open (or of the newest call seen) and
 * skips the calls whose `date_updated` + status it has already delivered. The cursor keeps
 * that version for every call inside the window only, so it stays small.
 */
export interface TwilioCallsCursor {
  /** `StartTime>=` for the next run (ISO); null: no filter */
  startedFrom: string | null;
  /** sid → `date_updated|status` of calls inside the window, already delivered */
  seen: Record<string, string>;
  /** set while a run is between pages */
  run?: {
    nextPageUri: string;
    seen: Record<string, { version: string; start: string | null; open: boolean }>;
  };
}

type RunSeen = NonNullable<TwilioCallsCursor['run']>['seen'];

const versionOf = (call: TwilioCall): string => `${call.date_updated ?? ''}|${call.status}`;

function startOf(call: TwilioCall): string | null {
  return (parseTwilioDate(call.start_time) ?? parseTwilioDate(call.date_created))?.toISOString() ?? null;
}

/** The next window: from the oldest open call, else from the newest start (inclusive, so ties are re-read). */
function nextWindow(
  seen: RunSeen,
  previous: string | null,
): { startedFrom: string | null; seen: Record<string, string> } {
  const entries = Object.entries(seen);
  const openStarts = entries.filter(([, v]) => v.open && v.start).map(([, v]) => v.start as string);
  const allStarts = entries.filter(([, v]) => v.start).map(([, v]) => v.start as string);
  const newest = allStarts.sort().at(-1) ?? null;
  const startedFrom = openStarts.sort()[0] ?? newest ?? previous;
  const kept: Record<string, string> = {};
  if (startedFrom !== null)
    for (const [sid, v] of entries) if (v.start !== null && v.start >= startedFrom) kept[sid] = v.version;
  return { startedFrom, seen: kept };
}

/** Between pages, forget closed calls older than any window the run can still end with (duplicates later are harmless). */
function pruneRun(seen: RunSeen): void {
  const { startedFrom } = nextWindow(seen, null);
  if (startedFrom === null) return;
  for (const [sid, v] of Object.entries(seen))
    if (!v.open && (v.start === null || v.start < startedFrom)) delete seen[sid];
}

export const callsStream: StreamDefinition<TwilioConfig, TwilioCall, TwilioCallsCursor> = {
  name: 'calls',
  description: 'Voice calls: Calls list (newest first) from StartTime>= the oldest open call',
  everySeconds: 60,
  async fetchPage(
    ctx: ConnectorContext<TwilioConfig>,
    cursor: TwilioCallsCursor | null,
  ): Promise<StreamPage<TwilioCall, TwilioCallsCursor>> {
    let page;
    let runSeen: RunSeen;
    if (cursor?.run) {
      page = await followPage(ctx, cursor.run.nextPageUri);
      runSeen = { ...cursor.run.seen };
    } else {
      let from = cursor?.startedFrom ? new Date(cursor.startedFrom) : null;
      if (!cursor && ctx.config.backfillDays !== undefined)
        from = new Date(Date.now() - ctx.config.backfillDays * 86_400_000);
      page = await listCalls(ctx, from);
      runSeen = {};
    }

    const delivered = cursor?.seen ?? {};
    const items: TwilioCall[] = [];
    const windowStart = cursor?.startedFrom ?? null;
    for (const call of page.calls) {
      const start = startOf(call);
      // Twilio documents `StartTime>=` as a date: the day's earlier calls are outside our window
      if (windowStart !== null && start !== null && start < windowStart) continue;
      const version = versionOf(call);
      runSeen[call.sid] = { version, start, open: !FINAL_CALL_STATUSES.has(call.status) };
      if (delivered[call.sid] !== version) items.push(call);
    }

    pruneRun(runSeen);
    const base = { startedFrom: cursor?.startedFrom ?? null, seen: delivered };
    if (page.next_page_uri)
      return {
        items,
        nextCursor: { ...base, run: { nextPageUri: page.next_page_uri, seen: runSeen } },
        done: false,
      };
    return { items, nextCursor: nextWindow(runSeen, base.startedFrom), done: true };
  },
  map: (call) => mapCall(call),
};
