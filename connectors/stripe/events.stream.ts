import type {
  CanonicalBatch,
  ConnectorContext,
  StreamDefinition,
  StreamPage,
} from '../../src/connector-kit/index.js';
import { listPage, type StripeConfig, type StripeEvent, type StripeObject } from './client.js';

/**
 * Backfill walks the resource list (newest first, `starting_after`); the id of the newest event
 * seen before it began is kept, and later runs replay `/v1/events` after it (`ending_before`
 * returns the page adjacent to the cursor, newest first, so each page is reversed). Stripe keeps
 * events for 30 days: a cursor older than that needs a new backfill.
 */
export type StripeCursor =
  | { phase: 'backfill'; startingAfter: string | null; eventsFrom: string | null }
  | { phase: 'events'; endingBefore: string | null };

async function newestEventId(ctx: ConnectorContext<StripeConfig>): Promise<string | null> {
  const page = await listPage<StripeEvent>(ctx, '/v1/events', { limit: 1 });
  return page.data[0]?.id ?? null;
}

/** Keeps the last state of each object, in event order; `*.deleted` events mark the object deleted. */
function objectsOf(events: StripeEvent[], objectName: string): StripeObject[] {
  const latest = new Map<string, StripeObject>();
  for (const e of events) {
    const o = e.data.object;
    if (o.object !== objectName || typeof o.id !== 'string') continue; // e.g. charge.dispute.* carries a dispute
    latest.delete(o.id);
    latest.set(o.id, e.type.endsWith('.deleted') ? { ...o, deleted: true } : o);
  }
  return [...latest.values()];
}

export function eventsStream(
  name: string,
  path: string,
  objectName: string,
  eventTypes: readonly string[],
  map: (o: StripeObject, ctx: ConnectorContext<StripeConfig>) => CanonicalBatch,
): StreamDefinition<StripeConfig, StripeObject, StripeCursor> {
  const typeParams = { 'types[]': eventTypes };
  return {
    name,
    description: `Stripe ${objectName}s: list backfill, then /v1/events catch-up`,
    everySeconds: 300,
    async fetchPage(ctx, cursor): Promise<StripePage> {
      if (cursor === null || cursor.phase === 'backfill') {
        const eventsFrom = cursor === null ? await newestEventId(ctx) : cursor.eventsFrom;
        const startingAfter = cursor?.phase === 'backfill' ? cursor.startingAfter : null;
        const page = await listPage<StripeObject>(
          ctx,
          path,
          startingAfter ? { starting_after: startingAfter } : {},
        );
        const last = page.data.at(-1)?.id ?? null;
        if (page.has_more && last)
          return {
            items: page.data,
            nextCursor: { phase: 'backfill', startingAfter: last, eventsFrom },
            done: false,
          };
        return { items: page.data, nextCursor: { phase: 'events', endingBefore: eventsFrom }, done: true };
      }
      if (cursor.endingBefore === null) {
        // no event existed when the backfill began: every event there is now is new
        const all: StripeEvent[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await listPage<StripeEvent>(ctx, '/v1/events', {
            ...typeParams,
            ...(after ? { starting_after: after } : {}),
          });
          all.push(...page.data);
          after = page.data.at(-1)?.id;
          if (!page.has_more || !after) break;
        }
        const newest = all[0]?.id ?? null;
        return {
          items: objectsOf(all.reverse(), objectName),
          nextCursor: { phase: 'events', endingBefore: newest },
          done: true,
        };
      }
      const page = await listPage<StripeEvent>(ctx, '/v1/events', {
        ...typeParams,
        ending_before: cursor.endingBefore,
      });
      const newest = page.data[0]?.id ?? cursor.endingBefore;
      return {
        items: objectsOf([...page.data].reverse(), objectName),
        nextCursor: { phase: 'events', endingBefore: newest },
        done: !page.has_more,
      };
    },
    map,
  };
}

type StripePage = StreamPage<StripeObject, StripeCursor>;

export const CUSTOMER_EVENTS = ['customer.created', 'customer.updated', 'customer.deleted'] as const;
export const INVOICE_EVENTS = [
  'invoice.created',
  'invoice.updated',
  'invoice.deleted',
  'invoice.finalized',
  'invoice.paid',
  'invoice.payment_failed',
  'invoice.payment_succeeded',
  'invoice.voided',
  'invoice.marked_uncollectible',
  'invoice.sent',
] as const;
export const CHARGE_EVENTS = [
  'charge.succeeded',
  'charge.failed',
  'charge.pending',
  'charge.captured',
  'charge.refunded',
  'charge.updated',
  'charge.expired',
] as const;
