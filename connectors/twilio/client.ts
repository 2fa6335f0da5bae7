import type { ConnectorContext } from '../../src/connector-kit/index.js';

/** Twilio's call states; the last five never change again. */
export type TwilioCallStatus =
  'queued' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'failed' | 'no-answer' | 'canceled';

export const FINAL_CALL_STATUSES: ReadonlySet<string> = new Set([
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
]);

/** A Call resource as `GET /2010-04-01/Accounts/{Sid}/Calls.json` returns it (dates are RFC 2822). */
export interface TwilioCall {
  sid: string;
  account_sid: string;
  parent_call_sid: string | null;
  date_created: string | null;
  date_updated: string | null;
  to: string | null;
  to_formatted?: string | null;
  from: string | null;
  from_formatted?: string | null;
  status: TwilioCallStatus;
  start_time: string | null;
  end_time: string | null;
  /** seconds, as a string; null until the call ends */
  duration: string | null;
  direction:
    'inbound' | 'outbound-api' | 'outbound-dial' | 'trunking-originating' | 'trunking-terminating' | string;
  answered_by?: string | null;
  caller_name?: string | null;
  forwarded_from?: string | null;
  price?: string | null;
  price_unit?: string | null;
  api_version?: string;
  uri?: string;
  [field: string]: unknown;
}

export interface TwilioCallPage {
  calls: TwilioCall[];
  page: number;
  page_size: number;
  start: number;
  end: number;
  uri: string;
  first_page_uri: string;
  next_page_uri: string | null;
  previous_page_uri: string | null;
}

export interface TwilioConfig {
  pageSize: number;
  /** how far back the first full sync reaches (days); Twilio keeps 13 months of call logs */
  backfillDays?: number | undefined;
}

export const callsPath = (accountSid: string): string =>
  `/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Calls.json`;

/** RFC 2822 as Twilio writes it: `Tue, 31 Aug 2010 20:36:28 +0000`. */
export function toRfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

export function parseTwilioDate(value: string | null | undefined): Date | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/** First page of calls that started on or after `startedFrom` (Twilio's `StartTime>=`), newest first. */
export async function listCalls(
  ctx: ConnectorContext<TwilioConfig>,
  startedFrom: Date | null,
): Promise<TwilioCallPage> {
  const accountSid = ctx.credentials.accountSid ?? '';
  const params: Record<string, unknown> = { PageSize: ctx.config.pageSize };
  // `StartTime>=X` on the wire is the parameter named `StartTime>` with the value X
  if (startedFrom) params['StartTime>'] = startedFrom.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const res = await ctx.http.get<TwilioCallPage>(callsPath(accountSid), { params });
  return res.data;
}

/** A later page: `next_page_uri` is a path with its query (PageSize, Page, PageToken, filters). */
export async function followPage(
  ctx: ConnectorContext<TwilioConfig>,
  nextPageUri: string,
): Promise<TwilioCallPage> {
  const res = await ctx.http.get<TwilioCallPage>(nextPageUri);
  return res.data;
}
