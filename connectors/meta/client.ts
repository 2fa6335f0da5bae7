import { parseRetryAfter, type ApiDescription, type ClassifyHook } from '../../src/connector-kit/index.js';

/** Meta Graph API as data (CONVENTIONS 2). */
export const META_API = {
  baseUrl: 'https://graph.facebook.com',
  auth: 'bearer',
  paging: 'cursor',
  rateLimitHeaders: ['x-app-usage', 'x-business-use-case-usage'],
  docs: 'https://developers.facebook.com/docs/graph-api/reference/page/conversations/',
} as const satisfies ApiDescription;

export type MetaPlatform = 'messenger' | 'instagram';

export const CONVERSATION_FIELDS = 'participants,messages{message,from,created_time},updated_time';
export const MESSAGE_FIELDS = 'message,from,created_time';

export interface GraphParticipant {
  id: string;
  name?: string;
  /** Messenger gives `<psid>@facebook.com`, a relay address, never a real email */
  email?: string;
  username?: string;
}

export interface GraphMessage {
  id: string;
  message?: string;
  from?: GraphParticipant;
  created_time: string;
}

export interface GraphPaging {
  cursors?: { before?: string; after?: string };
  next?: string;
  previous?: string;
}

export interface GraphConversation {
  id: string;
  updated_time: string;
  participants?: { data: GraphParticipant[] };
  messages?: { data: GraphMessage[]; paging?: GraphPaging };
}

export interface GraphList<T> {
  data: T[];
  paging?: GraphPaging;
}

/** Graph writes `+0000` offsets; normalise so every runtime parses them. */
export function graphTime(value: string): string {
  return new Date(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')).toISOString();
}

/** Throttling error codes: app (4), user (17), page (32), API-specific (613), Business Use Case (80001 pages, 80002 Instagram, 80006 Messenger). */
export const GRAPH_THROTTLE_CODES = new Set([4, 17, 32, 613, 80001, 80002, 80006]);

function usageWaitMs(headers: Readonly<Record<string, string>>): number | undefined {
  const raw = headers['x-business-use-case-usage'];
  if (!raw) return undefined;
  try {
    const usage = JSON.parse(raw) as Record<string, { estimated_time_to_regain_access?: number }[]>;
    let minutes = 0;
    for (const list of Object.values(usage))
      for (const u of list) minutes = Math.max(minutes, Number(u.estimated_time_to_regain_access ?? 0));
    return minutes > 0 ? minutes * 60_000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Graph throttles with HTTP 400/403 and an error code in the JSON body, not 429; the wait, when
 * given at all, is a `Retry-After` header (seconds or an HTTP date; it wins when present) or
 * `estimated_time_to_regain_access` (minutes) in `X-Business-Use-Case-Usage`.
 */
export const metaClassify: ClassifyHook = (res) => {
  if (res.status < 400) return undefined;
  const code = (res.data as { error?: { code?: unknown } } | null)?.error?.code;
  if (typeof code !== 'number' || !GRAPH_THROTTLE_CODES.has(code)) return undefined;
  const retryAfterMs = parseRetryAfter(res.headers['retry-after']) ?? usageWaitMs(res.headers);
  return retryAfterMs === undefined ? { kind: 'rate_limited' } : { kind: 'rate_limited', retryAfterMs };
};
