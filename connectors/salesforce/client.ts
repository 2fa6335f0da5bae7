import { createHash } from 'node:crypto';
import type { ClassifyHook, ConnectorContext } from '../../src/connector-kit/index.js';
import { defaultClassify, isUpstreamError } from '../../src/connector-kit/index.js';

export interface SalesforceConfig {
  /** The org's instance URL, e.g. `https://acme.my.salesforce.com`. */
  instanceUrl: string;
  /** Where the token endpoint lives (`https://login.salesforce.com`, `https://test.salesforce.com` for sandboxes). */
  loginUrl?: string | undefined;
  /** The connected app's consumer key. */
  clientId: string;
  apiVersion?: string | undefined;
  /** `Sforce-Query-Options: batchSize` (200–2000; Salesforce treats it as a hint). */
  batchSize?: number | undefined;
}

export const DEFAULT_API_VERSION = 'v60.0';

export interface SoqlRecord {
  attributes: { type: string; url: string };
  Id: string;
  SystemModstamp: string;
  IsDeleted?: boolean;
  [field: string]: unknown;
}

export interface QueryResponse<R extends SoqlRecord = SoqlRecord> {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: R[];
}

/**
 * Incremental position in one object: the last SystemModstamp applied and a digest of each
 * record already delivered at exactly that second (SystemModstamp has one-second precision, so
 * ties are normal, and a record can change twice within one second), plus the query locator of
 * an unfinished query.
 */
export interface SoqlCursor {
  since: string | null;
  /** id → digest of the version delivered at `since`. */
  seenAtSince: Record<string, string>;
  next: string | null;
}

function digest(r: SoqlRecord): string {
  return createHash('sha256').update(JSON.stringify(r)).digest('base64url').slice(0, 16);
}

export function apiBase(config: SalesforceConfig): string {
  return `${config.instanceUrl.replace(/\/+$/, '')}/services/data/${config.apiVersion ?? DEFAULT_API_VERSION}`;
}

export function tokenUrlOf(config: SalesforceConfig): string {
  return `${(config.loginUrl ?? 'https://login.salesforce.com').replace(/\/+$/, '')}/services/oauth2/token`;
}

/** `2026-01-05T10:00:00.000+0000` (as Salesforce returns it) → the SOQL literal `2026-01-05T10:00:00Z`. */
export function soqlDateTime(value: string): string {
  const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  if (Number.isNaN(ms)) throw new Error(`not a Salesforce datetime: ${value}`);
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** Builds the tiny SOQL the streams need. */
export function buildSoql(object: string, fields: readonly string[], since: string | null): string {
  const where = since ? ` WHERE SystemModstamp >= ${since}` : '';
  return `SELECT ${fields.join(', ')} FROM ${object}${where} ORDER BY SystemModstamp ASC`;
}

function errorCodes(data: unknown): string[] {
  const list = Array.isArray(data) ? data : [data];
  return list.flatMap((e) =>
    typeof e === 'object' && e !== null && typeof (e as { errorCode?: unknown }).errorCode === 'string'
      ? [(e as { errorCode: string }).errorCode]
      : [],
  );
}

/**
 * Salesforce says "limit exceeded" with HTTP 403 and `REQUEST_LIMIT_EXCEEDED` (not 429); the
 * kit already knows that one. Also: an expired session is a 401 the OAuth provider refreshes.
 */
export const classifySalesforce: ClassifyHook = (res) => {
  if (res.status === 403 && errorCodes(res.data).includes('REQUEST_LIMIT_EXCEEDED'))
    return defaultClassify(res);
  return undefined;
};

/** `Sforce-Limit-Info: api-usage=18/5000` → { used, limit }. */
export function parseLimitInfo(header: string | undefined): { used: number; limit: number } | null {
  const m = /api-usage=(\d+)\/(\d+)/.exec(header ?? '');
  return m ? { used: Number(m[1]), limit: Number(m[2]) } : null;
}

async function get(ctx: ConnectorContext<SalesforceConfig>, url: string, params?: Record<string, string>) {
  const batch = ctx.config.batchSize;
  const res = await ctx.http.get<QueryResponse>(url, {
    ...(params ? { params } : {}),
    ...(batch ? { headers: { 'Sforce-Query-Options': `batchSize=${batch}` } } : {}),
  });
  const usage = parseLimitInfo(res.headers['sforce-limit-info']);
  if (usage && usage.used >= usage.limit * 0.9)
    ctx.log.warn(
      { connector: 'salesforce', instance: ctx.instanceId, ...usage },
      'Salesforce API usage above 90%',
    );
  return res.data;
}

/**
 * One page of `SELECT … FROM object` ordered by SystemModstamp: `query` for the first backfill
 * (live rows), `queryAll` afterwards (deleted rows too, with IsDeleted = true).
 */
export async function fetchSoqlPage(
  ctx: ConnectorContext<SalesforceConfig>,
  object: string,
  fields: readonly string[],
  cursor: SoqlCursor | null,
): Promise<{ records: SoqlRecord[]; nextCursor: SoqlCursor; done: boolean }> {
  let data: QueryResponse | undefined;
  if (cursor?.next) {
    try {
      data = await get(ctx, `${ctx.config.instanceUrl.replace(/\/+$/, '')}${cursor.next}`);
    } catch (err) {
      // Query locators expire (about 15 minutes idle): start a fresh query from the saved position.
      if (!(isUpstreamError(err) && (err.http?.status === 400 || err.http?.status === 404))) throw err;
    }
  }
  if (!data) {
    const resource = cursor === null ? 'query' : 'queryAll';
    data = await get(ctx, `${apiBase(ctx.config)}/${resource}`, {
      q: buildSoql(object, fields, cursor?.since ?? null),
    });
  }
  const seen = cursor?.seenAtSince ?? {};
  let since = cursor?.since ?? null;
  let seenAtSince: Record<string, string> = { ...seen };
  const records: SoqlRecord[] = [];
  for (const r of data.records) {
    const stamp = soqlDateTime(r.SystemModstamp);
    const d = digest(r);
    if (stamp === cursor?.since && seen[r.Id] === d) continue; // this version was delivered already
    records.push(r);
    if (stamp !== since) {
      since = stamp;
      seenAtSince = {};
    }
    seenAtSince[r.Id] = d;
  }
  const next = data.done ? null : (data.nextRecordsUrl ?? null);
  return { records, nextCursor: { since, seenAtSince, next }, done: data.done };
}
