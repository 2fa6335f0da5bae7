import type { ConnectorContext } from '../../src/connector-kit/index.js';

/** HubSpot CRM v3 calls the streams make, and the shapes they return. */

export type HubspotObjectType = 'contacts' | 'calls' | 'tickets';

export interface HubspotObject {
  id: string;
  properties: Record<string, string | null | undefined>;
  createdAt: string;
  updatedAt: string;
  archived?: boolean;
  archivedAt?: string;
  /** present on calls and tickets: the contacts they are associated with */
  associations?: { contacts?: { results: { id: string; type?: string }[] } };
}

export interface HubspotConfig {
  baseUrl?: string | undefined;
  /** Results one search query may reach (HubSpot: 10,000); windows restart before it. */
  searchResultCap: number;
  /** Search page size (HubSpot allows up to 200). */
  pageSize: number;
  /** The contact property holding an X handle, if the portal has one. */
  xHandleProperty: string;
}

interface SearchResponse {
  total: number;
  results: HubspotObject[];
  paging?: { next?: { after: string } };
}

interface ListResponse {
  results: HubspotObject[];
  paging?: { next?: { after: string; link?: string } };
}

/** The modification-time property differs per object: contacts keep the legacy name. */
export const MODIFIED_PROPERTY: Record<HubspotObjectType, string> = {
  contacts: 'lastmodifieddate',
  calls: 'hs_lastmodifieddate',
  tickets: 'hs_lastmodifieddate',
};

export const PROPERTIES: Record<HubspotObjectType, (config: HubspotConfig) => string[]> = {
  contacts: (c) => [
    'email',
    'hs_additional_emails',
    'firstname',
    'lastname',
    'phone',
    'mobilephone',
    'city',
    'zip',
    'country',
    'company',
    'jobtitle',
    'date_of_birth',
    c.xHandleProperty,
    'lastmodifieddate',
  ],
  calls: () => [
    'hs_timestamp',
    'hs_call_title',
    'hs_call_body',
    'hs_call_direction',
    'hs_call_duration',
    'hs_call_status',
    'hs_call_from_number',
    'hs_call_to_number',
    'hubspot_owner_id',
    'hs_lastmodifieddate',
  ],
  tickets: () => [
    'subject',
    'content',
    'hs_pipeline',
    'hs_pipeline_stage',
    'hs_ticket_priority',
    'source_type',
    'hubspot_owner_id',
    'createdate',
    'hs_lastmodifieddate',
  ],
};

/**
 * Search and batch reads are POSTs that change nothing: a key marks them safe to retry
 * (the client only repeats non-idempotent methods that carry one; HubSpot ignores the header).
 */
const READ_ONLY_POST = () => ({ idempotencyKey: crypto.randomUUID() });

export async function searchModifiedSince(
  ctx: ConnectorContext<HubspotConfig>,
  type: HubspotObjectType,
  sinceMs: number,
  after: string | undefined,
): Promise<SearchResponse> {
  const prop = MODIFIED_PROPERTY[type];
  const res = await ctx.http.post<SearchResponse>(
    `/crm/v3/objects/${type}/search`,
    {
      filterGroups: [{ filters: [{ propertyName: prop, operator: 'GTE', value: String(sinceMs) }] }],
      sorts: [{ propertyName: prop, direction: 'ASCENDING' }],
      properties: PROPERTIES[type](ctx.config),
      limit: ctx.config.pageSize,
      ...(after !== undefined ? { after } : {}),
    },
    READ_ONLY_POST(),
  );
  return res.data;
}

export async function listArchived(
  ctx: ConnectorContext<HubspotConfig>,
  type: HubspotObjectType,
  after: string | undefined,
): Promise<ListResponse> {
  const res = await ctx.http.get<ListResponse>(`/crm/v3/objects/${type}`, {
    params: { archived: true, limit: 100, ...(after !== undefined ? { after } : {}) },
  });
  return res.data;
}

export async function getObject(
  ctx: ConnectorContext<HubspotConfig>,
  type: HubspotObjectType,
  id: string,
): Promise<HubspotObject> {
  const res = await ctx.http.get<HubspotObject>(`/crm/v3/objects/${type}/${encodeURIComponent(id)}`, {
    params: {
      properties: PROPERTIES[type](ctx.config).join(','),
      ...(type === 'contacts' ? {} : { associations: 'contacts' }),
    },
  });
  return res.data;
}

/** Search results carry no associations: one v4 batch read per page adds the contacts. */
export async function attachContacts(
  ctx: ConnectorContext<HubspotConfig>,
  type: Exclude<HubspotObjectType, 'contacts'>,
  objects: HubspotObject[],
): Promise<HubspotObject[]> {
  if (objects.length === 0) return objects;
  const res = await ctx.http.post<{
    results: { from: { id: string }; to: { toObjectId: number | string }[] }[];
  }>(
    `/crm/v4/associations/${type}/contacts/batch/read`,
    { inputs: objects.map((o) => ({ id: o.id })) },
    READ_ONLY_POST(),
  );
  const byId = new Map(
    res.data.results.map((r) => [String(r.from.id), r.to.map((t) => String(t.toObjectId))]),
  );
  return objects.map((o) => ({
    ...o,
    associations: { contacts: { results: (byId.get(o.id) ?? []).map((id) => ({ id })) } },
  }));
}
