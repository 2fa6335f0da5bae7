import type { Request, Response } from 'express';
import { signBambooHr } from '../../src/connector-kit/index.js';
import {
  basic,
  createRng,
  MemoryStore,
  sendWebhook,
  startSimulator as startServer,
  type Population,
  type RunningSimulator,
  type SendWebhookResult,
  type Stored,
} from '../../src/simulator-kit/index.js';

/** An employee as the simulator keeps it: the document's field names. */
export interface SimBambooEmployee {
  id: string;
  firstName: string;
  lastName: string;
  preferredName: string | null;
  jobTitleName: string;
  status: 'Active' | 'Inactive';
  workEmail: string;
  homeEmail: string | null;
  mobilePhone: string | null;
  workPhone: string;
  twitterUrl: string | null;
  birthDate: string | null;
  hireDate: string;
  departmentName: string;
  locationName: string;
  reportsToId: string | null;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** raw query keys as sent, e.g. `page[limit]` */
  query: Record<string, string>;
}

export interface BambooHrSimulator {
  url: string;
  credentials: Record<string, string>;
  config: Record<string, unknown>;
  close(): Promise<void>;
  server: RunningSimulator;
  store: MemoryStore<SimBambooEmployee>;
  /** Every API request that passed auth, with its raw query (for the OpenAPI conformance test). */
  requests: RecordedRequest[];
  /** The next `n` requests get BambooHR's HTTP 200 carrying a 429 body. */
  rateLimitNext(n: number, retryAfterSeconds?: number): void;
  /** Delivers a signed event-based webhook to `url`. */
  deliverWebhook(
    url: string,
    event: {
      type: 'employee.created' | 'employee.updated' | 'employee.deleted';
      employeeId: string;
      changedFields?: string[];
    },
    opts?: { timestampSeconds?: number; secret?: string },
  ): Promise<SendWebhookResult>;
}

const API_KEY = 'bhr_sim_api_key_1';
const WEBHOOK_KEY = 'bhr_sim_webhook_private_key';
const COMPANY = 'touchpointdemo';

function employeesFrom(population: Population): SimBambooEmployee[] {
  const people = new Map(population.people.map((p) => [p.personId, p]));
  return population.employees.map((e) => {
    const asPerson = e.personId ? people.get(e.personId) : undefined;
    return {
      id: e.employeeId,
      firstName: e.firstName,
      lastName: e.lastName,
      preferredName: null,
      jobTitleName: e.title,
      status: 'Active',
      workEmail: e.workEmail,
      homeEmail: asPerson?.copies.hr?.email ?? e.personalEmail,
      mobilePhone: asPerson?.copies.hr?.phone ?? null,
      workPhone: e.workPhone,
      twitterUrl: e.x ? `https://twitter.com/${e.x.handle}` : null,
      birthDate: asPerson?.dateOfBirth ?? null,
      hireDate: e.hireDate,
      departmentName: e.department,
      locationName: e.location,
      reportsToId: e.managerId,
    };
  });
}

const BASE_FIELDS = [
  'employeeId',
  'firstName',
  'lastName',
  'preferredName',
  'photoUrl',
  'jobTitleName',
  'status',
];

function render(e: Stored<SimBambooEmployee>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {
    employeeId: e.id,
    firstName: e.firstName,
    lastName: e.lastName,
    preferredName: e.preferredName,
    photoUrl: null,
    jobTitleName: e.jobTitleName,
    status: e.status,
  };
  for (const f of fields) {
    if (BASE_FIELDS.includes(f)) continue;
    if (f in e) out[f] = (e as unknown as Record<string, unknown>)[f] ?? null;
  }
  out._restrictedFields = [];
  return out;
}

function badRequest(res: Response, code: 'BadRequest' | 'BadPage', message: string): void {
  res.status(400).json({ error: { code, message } });
}

function rawQuery(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  const u = new URL(req.originalUrl, 'http://sim.invalid');
  for (const [k, v] of u.searchParams) out[k] = out[k] === undefined ? v : `${out[k]},${v}`;
  return out;
}

/**
 * BambooHR per its OpenAPI document (`/api/v1/employees` cursor paging with `page[limit]` /
 * `page[after]`, `filter[ids]`, `fields`; `/api/v1/employees/changed?since=`), Basic auth with
 * the API key as user, and its quirk of answering HTTP 200 with a 429 error body when throttled.
 */
export async function startSimulator(options: {
  population: Population;
  port?: number;
  trickleEveryMs?: number;
  /** Requests per second per API key before the 200-with-429 answer (default 20, bucket 40). */
  ratePerSecond?: number;
}): Promise<BambooHrSimulator> {
  const store = new MemoryStore<SimBambooEmployee>();
  for (const e of employeesFrom(options.population)) store.create(e);
  const requests: RecordedRequest[] = [];
  const rng = createRng(`bamboohr:${String(options.population.seed)}`);
  const rate = options.ratePerSecond ?? 20;

  const server = await startServer({
    name: 'bamboohr',
    ...(options.port !== undefined ? { port: options.port } : {}),
    auth: {
      // API key as the user name; BambooHR ignores the password.
      schemes: basic((user) => user === API_KEY),
      unauthorized: ({ res }) => res.status(401).set('WWW-Authenticate', 'Basic realm="BambooHR"').send(''),
    },
    throttle: {
      capacity: rate * 2,
      refillPerSecond: rate,
      respond: ({ res, retryAfterSeconds }) => {
        // The quirk: a success status whose body is the rate-limit error.
        res
          .status(200)
          .set('Retry-After', String(Math.max(1, Math.ceil(retryAfterSeconds))))
          .json({
            error: { code: 'TooManyRequests', status: 429, message: 'Rate limit exceeded. Try again later.' },
          });
      },
    },
    routes: (app) => {
      app.use((req, _res, next) => {
        requests.push({ method: req.method, path: req.path, query: rawQuery(req) });
        next();
      });

      app.get('/api/v1/employees', (req, res) => {
        const q = rawQuery(req);
        const limit = q['page[limit]'] === undefined ? 250 : Number(q['page[limit]']);
        if (!Number.isInteger(limit) || limit < 1 || limit > 2500)
          return void badRequest(res, 'BadRequest', 'page[limit] must be an integer from 1 to 2500');
        const after = q['page[after]'];
        if (after !== undefined && (!/^\d+$/.test(after) || !store.get(after)))
          return void badRequest(
            res,
            'BadPage',
            'The page cursor is malformed or its boundary employee changed',
          );
        const idsRaw = q['filter[ids]'] ?? q['filter[ids][]'];
        const ids = idsRaw === undefined ? null : new Set(idsRaw.split(',').map((s) => s.trim()));
        const status = q['filter[status]'];
        const fields = (q.fields ?? '').split(',').filter(Boolean);
        const rows = store
          .list({
            where: (e) =>
              (ids === null || ids.has(e.id)) && (status === undefined || e.status.toLowerCase() === status),
          })
          .sort((a, b) => Number(a.id) - Number(b.id));
        const rest = after === undefined ? rows : rows.filter((e) => Number(e.id) > Number(after));
        const page = rest.slice(0, limit);
        const nextCursor = rest.length > limit ? (page.at(-1)?.id ?? null) : null;
        const self = new URL(req.originalUrl, server.url);
        const links: Record<string, { href: string }> = { self: { href: self.toString() } };
        if (nextCursor) {
          self.searchParams.set('page[after]', nextCursor);
          links.next = { href: self.toString() };
        }
        res.json({
          data: page.map((e) => render(e, fields)),
          meta: { total: rows.length, page: { limit, nextCursor, prevCursor: null } },
          _links: links,
        });
      });

      app.get('/api/v1/employees/changed', (req, res) => {
        const since = typeof req.query.since === 'string' ? Date.parse(req.query.since) : Number.NaN;
        if (Number.isNaN(since)) {
          res.status(400).send('');
          return;
        }
        const type = typeof req.query.type === 'string' ? req.query.type : 'all';
        const employees: Record<string, { id: string; action: string; lastChanged: string }> = {};
        let latest = new Date(since).toISOString();
        for (const e of store.list({ changedSince: since })) {
          const action = e.deletedAt ? 'Deleted' : e.version === 1 ? 'Inserted' : 'Updated';
          if (type !== 'all' && type !== action.toLowerCase()) continue;
          const lastChanged = e.updatedAt.toISOString();
          employees[e.id] = { id: e.id, action, lastChanged };
          if (lastChanged > latest) latest = lastChanged;
        }
        res.json({ latest, employees });
      });
    },
  });

  // Forced quirk answers go through the same `respond` hook as real throttling.
  const rateLimitNext = (n: number, retryAfterSeconds = 1): void => {
    server.faults.throttleNext(n, { retryAfterSeconds });
  };

  let timer: NodeJS.Timeout | undefined;
  if (options.trickleEveryMs) {
    timer = setInterval(() => {
      const live = store.list();
      if (live.length === 0) return;
      const target = rng.pick(live);
      const base = target.jobTitleName.replace(/ \(acting\)$/, '');
      store.update(target.id, { jobTitleName: rng.chance(0.5) ? `${base} (acting)` : base });
    }, options.trickleEveryMs);
    timer.unref();
  }

  return {
    url: server.url,
    credentials: { apiKey: API_KEY, webhookPrivateKey: WEBHOOK_KEY },
    config: { companyDomain: COMPANY, baseUrl: server.url },
    server,
    store,
    requests,
    rateLimitNext,
    async close() {
      if (timer) clearInterval(timer);
      await server.close();
    },
    deliverWebhook(url, event, opts = {}) {
      const body = {
        type: event.type,
        timestamp: new Date((opts.timestampSeconds ?? Math.floor(Date.now() / 1000)) * 1000).toISOString(),
        data: {
          companyId: '12345',
          employeeId: event.employeeId,
          ...(event.changedFields ? { changedFields: event.changedFields } : {}),
        },
      };
      return sendWebhook({
        url,
        body,
        sign: (raw) =>
          signBambooHr({
            payload: raw,
            secret: opts.secret ?? WEBHOOK_KEY,
            ...(opts.timestampSeconds !== undefined ? { timestampSeconds: opts.timestampSeconds } : {}),
          }),
      });
    },
  };
}
