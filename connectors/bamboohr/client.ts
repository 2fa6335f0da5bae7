import type { ClassifyHook, ConnectorContext, HttpClient } from '../../src/connector-kit/index.js';
import { retryAfterFromHeaders } from '../../src/connector-kit/index.js';

/** Instance settings: the company sub-domain, and a base URL override (simulator, EU hosting). */
export interface BambooHrConfig {
  companyDomain: string;
  baseUrl?: string | undefined;
  /** Employees per page of `GET /api/v1/employees` (the document allows 1–2500, default 250). */
  pageSize?: number | undefined;
}

/** Fields asked for beyond the default set; every one is in the document's `EmployeeOptionalField` enum. */
export const EMPLOYEE_FIELDS = [
  'workEmail',
  'homeEmail',
  'mobilePhone',
  'workPhone',
  'twitterUrl',
  'birthDate',
  'hireDate',
  'departmentName',
  'locationName',
  'reportsToId',
] as const;

/** One row of `GET /api/v1/employees` with the fields above (GetEmployeesEmployeeResponse). */
export interface BambooHrEmployee {
  employeeId: string;
  firstName: string | null;
  lastName: string | null;
  preferredName: string | null;
  photoUrl: string | null;
  jobTitleName: string | null;
  status: string | null;
  workEmail?: string | null;
  homeEmail?: string | null;
  mobilePhone?: string | null;
  workPhone?: string | null;
  twitterUrl?: string | null;
  birthDate?: string | null;
  hireDate?: string | null;
  departmentName?: string | null;
  locationName?: string | null;
  reportsToId?: string | number | null;
  _restrictedFields?: string[];
  /** Set by the connector (not BambooHR) from `/employees/changed`: when the change happened. */
  lastChanged?: string;
}

/** A deletion reported by `/api/v1/employees/changed` (action `Deleted`): nothing else is left to read. */
export interface BambooHrDeletedEmployee {
  employeeId: string;
  deleted: true;
  lastChanged: string;
}

export type BambooHrItem = BambooHrEmployee | BambooHrDeletedEmployee;

export interface EmployeesListResponse {
  data: BambooHrEmployee[];
  meta: {
    total: number;
    page: { limit: number | null; nextCursor: string | null; prevCursor: string | null };
  };
  _links: { self?: { href: string }; next?: { href: string }; prev?: { href: string } };
}

export interface ChangedEmployeesResponse {
  latest: string;
  employees: Record<string, { id: string; action: 'Inserted' | 'Updated' | 'Deleted'; lastChanged: string }>;
}

/**
 * Base URL: `config.baseUrl`, else the instance's own base URL when it is concrete, else the
 * OpenAPI document's server `https://{companyDomain}.bamboohr.com`.
 */
export function baseUrlOf(config: BambooHrConfig, instanceBaseUrl?: string): string {
  const instance = instanceBaseUrl && !instanceBaseUrl.includes('{') ? instanceBaseUrl : undefined;
  return (config.baseUrl ?? instance ?? `https://${config.companyDomain}.bamboohr.com`).replace(/\/+$/, '');
}

const DEFAULT_RETRY_MS = 1_000;

function bodyStatus(data: unknown): number | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as { status?: unknown; error?: { status?: unknown; code?: unknown } };
  const candidates = [d.status, d.error?.status, d.error?.code];
  for (const c of candidates) {
    if (c === 429 || c === '429' || c === 'TooManyRequests') return 429;
  }
  return undefined;
}

/**
 * BambooHR sometimes answers HTTP 200 whose body is a 429 error: reading it as success would
 * yield an empty page and silently end a sync, so it is a rate limit.
 */
export const classifyBambooHr: ClassifyHook = (res) => {
  if (res.status >= 200 && res.status < 300 && bodyStatus(res.data) === 429) {
    return { kind: 'rate_limited', retryAfterMs: retryAfterFromHeaders(res.headers) ?? DEFAULT_RETRY_MS };
  }
  return undefined;
};

/** Query string with `page[limit]`-style keys (the document's deepObject style). */
function deepParams(params: Record<string, string | number | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (v !== undefined) out[k] = String(v);
  return out;
}

export async function listEmployees(
  http: HttpClient,
  config: BambooHrConfig,
  opts: { after?: string | undefined; ids?: readonly string[] | undefined },
): Promise<EmployeesListResponse> {
  const params = deepParams({
    'page[limit]': opts.ids ? Math.max(opts.ids.length, 1) : (config.pageSize ?? 250),
    'page[after]': opts.after,
    // the documented comma-separated form of filter[ids]
    'filter[ids]': opts.ids ? opts.ids.join(',') : undefined,
    fields: EMPLOYEE_FIELDS.join(','),
    sort: opts.ids ? undefined : 'employeeId',
  });
  const res = await http.get<EmployeesListResponse>(`${baseUrlOf(config, http.baseURL)}/api/v1/employees`, {
    params,
  });
  return res.data;
}

export async function changedEmployees(
  http: HttpClient,
  config: BambooHrConfig,
  since: string,
): Promise<ChangedEmployeesResponse> {
  const res = await http.get<ChangedEmployeesResponse>(
    `${baseUrlOf(config, http.baseURL)}/api/v1/employees/changed`,
    {
      params: { since },
    },
  );
  return res.data;
}

const BATCH = 100;

/** Current state of the given employees, in batches of `filter[ids]`; unknown ids are simply absent. */
export async function employeesByIds(
  ctx: ConnectorContext<BambooHrConfig>,
  ids: readonly string[],
): Promise<BambooHrEmployee[]> {
  const out: BambooHrEmployee[] = [];
  for (let i = 0; i < ids.length; i += BATCH) {
    const page = await listEmployees(ctx.http, ctx.config, { ids: ids.slice(i, i + BATCH) });
    out.push(...page.data);
  }
  return out;
}
