import type { Request, Response } from 'express';
import { signHubSpot } from '../../src/connector-kit/webhooks/index.js';
import {
  bearer,
  createRng,
  MemoryStore,
  sendWebhook,
  startSimulator as startServer,
  viewsFor,
  type Population,
  type RunningSimulator,
  type SendWebhookResult,
  type Stored,
} from '../../src/simulator-kit/index.js';

/** HubSpot CRM v3 simulator: objects list/get, search (with its result cap), v4 association batch reads, OAuth refresh, signed v3 webhooks. */

export type HubspotObjectType = 'contacts' | 'calls' | 'tickets';
interface Row {
  properties: Record<string, string | null>;
  /** associated contact ids (calls and tickets) */
  contacts: string[];
}

export interface HubspotSimulatorOptions {
  population: Population;
  port?: number;
  trickleEveryMs?: number;
  /** HubSpot's search cap is 10,000 results per query; tests use a small one. */
  searchResultCap?: number;
  /** Private apps: 100 requests per 10 s (Professional) by default. */
  rateLimit?: { max: number; intervalMs: number };
}

export interface HubspotSimulator {
  url: string;
  credentials: Record<string, string>;
  config: Record<string, unknown>;
  close(): Promise<void>;
  server: RunningSimulator;
  /** an OAuth app the token endpoint accepts (tests of the refresh path) */
  oauth: { clientId: string; clientSecret: string; refreshToken: string };
  stores: Record<HubspotObjectType, MemoryStore<Row>>;
  /** serialises a stored row as the API would (all properties) */
  toApi(type: HubspotObjectType, row: Stored<Row>): HubspotApiObject;
  createContact(properties: Record<string, string | null>): Stored<Row>;
  updateContact(id: string, properties: Record<string, string | null>): Stored<Row>;
  archive(type: HubspotObjectType, id: string): Stored<Row>;
  createCall(contactId: string, properties?: Record<string, string | null>): Stored<Row>;
  /** POSTs a signed v3 webhook (a JSON array of events) to `url`. */
  sendWebhook(url: string, events: unknown[], options?: { timestampMs?: number }): Promise<SendWebhookResult>;
}

export interface HubspotApiObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

/** The property holding the modification time differs: contacts keep the legacy name. */
export const MODIFIED_PROPERTY: Record<HubspotObjectType, string> = {
  contacts: 'lastmodifieddate',
  calls: 'hs_lastmodifieddate',
  tickets: 'hs_lastmodifieddate',
};
const CREATED_PROPERTY: Record<HubspotObjectType, string> = {
  contacts: 'createdate',
  calls: 'hs_createdate',
  tickets: 'createdate',
};
const ID_BASE: Record<HubspotObjectType, number> = { contacts: 100, calls: 30_000_000, tickets: 9_000_000 };

function hubspotError(res: Response, status: number, category: string, message: string): void {
  res.status(status).json({ status: 'error', message, correlationId: crypto.randomUUID(), category });
}

export async function startSimulator(options: HubspotSimulatorOptions): Promise<HubspotSimulator> {
  const cap = options.searchResultCap ?? 10_000;
  const limit = options.rateLimit ?? { max: 100, intervalMs: 10_000 };
  const rng = createRng(`${options.population.seed}:hubspot`);
  const accessToken = `pat-eu1-${rng.int(1e8, 9e8)}-sim`;
  const clientId = 'sim-client-id';
  const clientSecret = `sim-secret-${rng.int(1e6, 9e6)}`;
  const refreshToken = `sim-refresh-${rng.int(1e6, 9e6)}`;
  const tokens = new Set([accessToken]);

  const stores = {
    contacts: new MemoryStore<Row>({ idFactory: (n) => String(ID_BASE.contacts + n) }),
    calls: new MemoryStore<Row>({ idFactory: (n) => String(ID_BASE.calls + n) }),
    tickets: new MemoryStore<Row>({ idFactory: (n) => String(ID_BASE.tickets + n) }),
  } satisfies Record<HubspotObjectType, MemoryStore<Row>>;

  const toApi = (type: HubspotObjectType, row: Stored<Row>, props?: readonly string[]): HubspotApiObject => {
    const all: Record<string, string | null> = {
      ...row.properties,
      hs_object_id: row.id,
      [CREATED_PROPERTY[type]]: row.createdAt.toISOString(),
      [MODIFIED_PROPERTY[type]]: row.updatedAt.toISOString(),
    };
    // like HubSpot: only the requested properties plus the defaults come back
    const keep = new Set([
      ...(props ?? Object.keys(all)),
      'hs_object_id',
      CREATED_PROPERTY[type],
      MODIFIED_PROPERTY[type],
    ]);
    const properties = Object.fromEntries(Object.entries(all).filter(([k]) => keep.has(k)));
    for (const p of props ?? []) if (!(p in properties)) properties[p] = null;
    return {
      id: row.id,
      properties,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
      archived: row.deletedAt !== null,
      ...(row.deletedAt ? { archivedAt: row.deletedAt.toISOString() } : {}),
    };
  };

  const typeOf = (req: Request): HubspotObjectType | null => {
    const t = req.params['objectType'];
    return t === 'contacts' || t === 'calls' || t === 'tickets' ? t : null;
  };
  const propsOf = (q: unknown): string[] | undefined =>
    typeof q === 'string' && q !== ''
      ? q.split(',').map((s) => s.trim())
      : Array.isArray(q)
        ? q.map(String)
        : undefined;

  const server = await startServer({
    name: 'hubspot',
    port: options.port ?? 0,
    auth: {
      schemes: bearer(tokens),
      except: ['/oauth/v1/token'],
      unauthorized: ({ res }) =>
        hubspotError(
          res,
          401,
          'INVALID_AUTHENTICATION',
          'Authentication credentials not found. This API supports OAuth 2.0 authentication.',
        ),
    },
    throttle: {
      capacity: limit.max,
      refillPerSecond: limit.max / (limit.intervalMs / 1000),
      except: ['/oauth/v1/token'],
      headers: (state) => ({
        'X-HubSpot-RateLimit-Max': String(limit.max),
        'X-HubSpot-RateLimit-Remaining': String(Math.max(0, state.remaining)),
        'X-HubSpot-RateLimit-Interval-Milliseconds': String(limit.intervalMs),
      }),
      respond: ({ res }) => {
        res
          .status(429)
          .set({
            'X-HubSpot-RateLimit-Max': String(limit.max),
            'X-HubSpot-RateLimit-Remaining': '0',
            'X-HubSpot-RateLimit-Interval-Milliseconds': String(limit.intervalMs),
          })
          .json({
            status: 'error',
            message: 'You have reached your ten_secondly_rolling limit.',
            errorType: 'RATE_LIMIT',
            correlationId: crypto.randomUUID(),
            policyName: 'TEN_SECONDLY_ROLLING',
          });
      },
    },
    notFound: (_req, res) => hubspotError(res, 404, 'OBJECT_NOT_FOUND', 'resource not found'),
    onError: (err, _req, res) =>
      hubspotError(res, 400, 'VALIDATION_ERROR', err instanceof Error ? err.message : String(err)),
    routes: (app) => {
      app.post('/oauth/v1/token', (req, res) => {
        const body = req.body as Record<string, string | undefined>;
        if (
          body['grant_type'] !== 'refresh_token' ||
          body['client_id'] !== clientId ||
          body['client_secret'] !== clientSecret ||
          body['refresh_token'] !== refreshToken
        ) {
          res.status(400).json({ status: 'BAD_REFRESH_TOKEN', message: 'missing or unknown refresh token' });
          return;
        }
        const token = `sim-oauth-${crypto.randomUUID()}`;
        tokens.add(token);
        res.json({
          token_type: 'bearer',
          access_token: token,
          refresh_token: refreshToken,
          expires_in: 1800,
        });
      });

      app.get('/crm/v3/objects/:objectType', (req, res) => {
        const type = typeOf(req);
        if (!type) return hubspotError(res, 400, 'VALIDATION_ERROR', 'Unable to infer object type');
        const pageSize = Math.min(Number(req.query['limit'] ?? 10), 100);
        if (!Number.isInteger(pageSize) || pageSize < 1)
          return hubspotError(res, 400, 'VALIDATION_ERROR', 'limit');
        const archived = req.query['archived'] === 'true';
        const rows = stores[type]
          .list({ includeDeleted: true })
          .filter((r) => (r.deletedAt !== null) === archived)
          .sort((a, b) => Number(a.id) - Number(b.id));
        const after = req.query['after'];
        const from = typeof after === 'string' && after !== '' ? Number(after) : 0;
        if (!Number.isFinite(from)) return hubspotError(res, 400, 'VALIDATION_ERROR', 'after');
        const rest = rows.filter((r) => Number(r.id) >= from);
        const page = rest.slice(0, pageSize);
        const nextRow = rest[pageSize];
        const props = propsOf(req.query['properties']);
        const withContacts = String(req.query['associations'] ?? '')
          .split(',')
          .includes('contacts');
        const results = page.map((r) => ({
          ...toApi(type, r, props),
          ...(withContacts && type !== 'contacts'
            ? {
                associations: {
                  contacts: {
                    results: r.contacts.map((id) => ({ id, type: `${type.slice(0, -1)}_to_contact` })),
                  },
                },
              }
            : {}),
        }));
        const url = new URL(`${server.url}${req.originalUrl}`);
        if (nextRow) url.searchParams.set('after', nextRow.id);
        res.json({
          results,
          ...(nextRow ? { paging: { next: { after: nextRow.id, link: url.toString() } } } : {}),
        });
      });

      app.get('/crm/v3/objects/:objectType/:id', (req, res) => {
        const type = typeOf(req);
        const row = type ? stores[type].get(String(req.params['id'])) : undefined;
        if (!type || !row) return hubspotError(res, 404, 'OBJECT_NOT_FOUND', 'resource not found');
        res.json(toApi(type, row, propsOf(req.query['properties'])));
      });

      app.post('/crm/v3/objects/:objectType/search', (req, res) => {
        const type = typeOf(req);
        if (!type) return hubspotError(res, 400, 'VALIDATION_ERROR', 'Unable to infer object type');
        const body = (req.body ?? {}) as {
          filterGroups?: { filters?: { propertyName: string; operator: string; value?: string }[] }[];
          sorts?: ({ propertyName: string; direction?: string } | string)[];
          properties?: string[];
          limit?: number;
          after?: string | number;
        };
        const pageSize = body.limit ?? 10;
        if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 200)
          return hubspotError(res, 400, 'VALIDATION_ERROR', 'limit must be between 1 and 200');
        const offset = body.after === undefined || body.after === '' ? 0 : Number(body.after);
        if (!Number.isInteger(offset) || offset < 0)
          return hubspotError(res, 400, 'VALIDATION_ERROR', 'after');
        if (offset >= cap)
          return hubspotError(
            res,
            400,
            'VALIDATION_ERROR',
            `There was a problem with the request: paging beyond ${cap} results is not allowed`,
          );
        if ((body.sorts?.length ?? 0) > 1)
          return hubspotError(res, 400, 'VALIDATION_ERROR', 'only one sort is allowed');
        const all = stores[type].list().map((r) => toApi(type, r));
        const value = (o: HubspotApiObject, p: string): string | null => o.properties[p] ?? null;
        const cmp = (a: string | null, b: string): number => {
          if (a === null) return Number.NaN;
          const ta = /^\d+$/.test(a) ? Number(a) : Date.parse(a);
          const tb = /^\d+$/.test(b) ? Number(b) : Date.parse(b);
          if (!Number.isNaN(ta) && !Number.isNaN(tb)) return ta - tb;
          return a < b ? -1 : a > b ? 1 : 0;
        };
        const test = (
          o: HubspotApiObject,
          f: { propertyName: string; operator: string; value?: string },
        ): boolean => {
          const c = cmp(value(o, f.propertyName), String(f.value ?? ''));
          switch (f.operator) {
            case 'EQ':
              return c === 0;
            case 'NEQ':
              return c !== 0;
            case 'GT':
              return c > 0;
            case 'GTE':
              return c >= 0;
            case 'LT':
              return c < 0;
            case 'LTE':
              return c <= 0;
            case 'HAS_PROPERTY':
              return value(o, f.propertyName) !== null;
            default:
              throw new Error(`unsupported operator ${f.operator}`);
          }
        };
        const groups = body.filterGroups ?? [];
        let hits =
          groups.length === 0
            ? all
            : all.filter((o) => groups.some((g) => (g.filters ?? []).every((f) => test(o, f))));
        const sort = body.sorts?.[0];
        if (sort) {
          const prop = typeof sort === 'string' ? sort.replace(/^-/, '') : sort.propertyName;
          const desc = typeof sort === 'string' ? sort.startsWith('-') : sort.direction === 'DESCENDING';
          // ties keep id order, as an index with a secondary key would
          hits = [...hits].sort(
            (a, b) =>
              (cmp(value(a, prop), value(b, prop) ?? '') || Number(a.id) - Number(b.id)) * (desc ? -1 : 1),
          );
        } else hits = [...hits].sort((a, b) => Number(a.id) - Number(b.id));
        const end = Math.min(offset + pageSize, cap, hits.length);
        const props = body.properties && body.properties.length > 0 ? body.properties : undefined;
        const results = hits.slice(offset, end).map((o) => toApi(type, stores[type].get(o.id)!, props));
        // `after` is the offset of the next result; at the cap it points past it (and that request fails)
        const next = end < hits.length ? String(end) : null;
        res.json({ total: hits.length, results, ...(next ? { paging: { next: { after: next } } } : {}) });
      });

      app.post('/crm/v4/associations/:fromType/:toType/batch/read', (req, res) => {
        const from = req.params['fromType'];
        if ((from !== 'calls' && from !== 'tickets') || req.params['toType'] !== 'contacts')
          return hubspotError(res, 400, 'VALIDATION_ERROR', 'unsupported association');
        const inputs = ((req.body ?? {}) as { inputs?: { id: string }[] }).inputs ?? [];
        if (inputs.length > 1000) return hubspotError(res, 400, 'VALIDATION_ERROR', 'at most 1000 inputs');
        const results = inputs.flatMap(({ id }) => {
          const row = stores[from].get(String(id));
          if (!row || row.contacts.length === 0) return [];
          return [
            {
              from: { id: row.id },
              to: row.contacts.map((c) => ({
                toObjectId: Number(c),
                associationTypes: [
                  { category: 'HUBSPOT_DEFINED', typeId: from === 'calls' ? 194 : 16, label: null },
                ],
              })),
            },
          ];
        });
        res
          .status(results.length === inputs.length ? 200 : 207)
          .json({
            status: 'COMPLETE',
            results,
            startedAt: new Date().toISOString(),
            completedAt: new Date().toISOString(),
          });
      });
    },
  });

  // seed from the population's CRM views
  const directions = ['INBOUND', 'OUTBOUND'] as const;
  const contactIds: string[] = [];
  for (const v of viewsFor(options.population, 'crm')) {
    const mobile = rng.chance(0.3);
    const row = stores.contacts.create({
      properties: {
        email: v.email,
        firstname: v.firstName,
        lastname: v.lastName,
        phone: mobile ? null : v.phone,
        mobilephone: mobile ? v.phone : null,
        city: v.address?.city ?? null,
        zip: v.address?.postcode ?? null,
        company: v.company,
        twitterhandle: v.xHandle,
      },
      contacts: [],
    });
    contactIds.push(row.id);
  }
  const newCall = (contactId: string, extra: Record<string, string | null> = {}): Stored<Row> =>
    stores.calls.create({
      properties: {
        hs_timestamp: new Date(Date.UTC(2026, 0, 1) + rng.int(0, 300) * 86_400_000).toISOString(),
        hs_call_title: rng.pick(['Billing question', 'Follow-up', 'Renewal', 'Complaint']),
        hs_call_body: rng.pick([
          'Customer asked about an invoice.',
          'Left a voicemail.',
          'Agreed next steps.',
        ]),
        hs_call_direction: rng.pick(directions),
        hs_call_duration: String(rng.int(20, 1800) * 1000),
        hs_call_status: 'COMPLETED',
        hubspot_owner_id: String(rng.int(1000, 1010)),
        ...extra,
      },
      contacts: [contactId],
    });
  for (const id of contactIds) {
    if (rng.chance(0.4)) newCall(id);
    if (rng.chance(0.2))
      stores.tickets.create({
        properties: {
          subject: rng.pick(['Cannot log in', 'Refund request', 'Address change', 'Delivery late']),
          content: 'Opened from the help form.',
          hs_pipeline: '0',
          hs_pipeline_stage: rng.pick(['1', '2', '4']),
          hs_ticket_priority: rng.pick(['LOW', 'MEDIUM', 'HIGH']),
          source_type: rng.pick(['EMAIL', 'CHAT', 'PHONE', 'FORM']),
          hubspot_owner_id: String(rng.int(1000, 1010)),
        },
        contacts: [id],
      });
  }

  const trickle = options.trickleEveryMs
    ? setInterval(() => {
        const n = stores.contacts.size + 1;
        const c = stores.contacts.create({
          properties: {
            email: `new.lead${n}@example.com`,
            firstname: 'New',
            lastname: `Lead ${n}`,
            phone: null,
            mobilephone: null,
            city: null,
            zip: null,
            company: null,
            twitterhandle: null,
          },
          contacts: [],
        });
        newCall(c.id);
      }, options.trickleEveryMs)
    : undefined;
  trickle?.unref();

  return {
    url: server.url,
    credentials: { accessToken, clientSecret },
    config: { baseUrl: server.url, searchResultCap: cap },
    server,
    oauth: { clientId, clientSecret, refreshToken },
    stores,
    toApi: (type, row) => toApi(type, row),
    createContact: (properties) => stores.contacts.create({ properties, contacts: [] }),
    updateContact: (id, properties) => {
      const row = stores.contacts.get(id);
      if (!row) throw new Error(`no contact ${id}`);
      return stores.contacts.update(id, { properties: { ...row.properties, ...properties } });
    },
    archive: (type, id) => stores[type].remove(id),
    createCall: (contactId, properties) => newCall(contactId, properties),
    sendWebhook: (url, events, opts) =>
      sendWebhook({
        url,
        body: events,
        sign: (raw) =>
          signHubSpot({
            payload: raw,
            secret: clientSecret,
            method: 'POST',
            uri: url,
            ...(opts?.timestampMs !== undefined ? { timestampMs: opts.timestampMs } : {}),
          }),
      }),
    async close() {
      if (trickle) clearInterval(trickle);
      await server.close();
    },
  };
}
