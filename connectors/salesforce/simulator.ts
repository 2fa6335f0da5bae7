import type { Request, Response } from 'express';
import {
  bearer,
  createRng,
  MemoryStore,
  startSimulator as startServer,
  viewsFor,
  type Population,
  type RunningSimulator,
  type Stored,
} from '../../src/simulator-kit/index.js';

/** Stored rows use Salesforce field names; Id, SystemModstamp, CreatedDate and IsDeleted come from the store's metadata. */
type Row = Record<string, unknown>;

export interface SalesforceSimulator {
  url: string;
  credentials: Record<string, string>;
  config: Record<string, unknown>;
  close(): Promise<void>;
  server: RunningSimulator;
  stores: Record<'Contact' | 'Lead' | 'Case' | 'Task' | 'User', MemoryStore<Row>>;
  /** Records as the API renders them (all fields), live or deleted. */
  render(object: string, row: Stored<Row>): Record<string, unknown>;
  /** Invalidates every access token issued so far: the next call gets 401 INVALID_SESSION_ID. */
  expireSessions(): void;
  /** How many access tokens the token endpoint issued. */
  readonly tokensIssued: number;
  /** The next `n` API calls answer 403 REQUEST_LIMIT_EXCEEDED. */
  limitExceededNext(n: number): void;
  /** API calls counted against the org's limit in the current window. */
  readonly apiUsage: number;
}

const CLIENT_ID = '3MVG9sim.touchpoint.consumer.key';
const CLIENT_SECRET = 'sim-consumer-secret';
const REFRESH_TOKEN = '5Aep861sim.refresh.token';

const PREFIX = { Contact: '003', Lead: '00Q', Case: '500', Task: '00T', User: '005' } as const;
type ObjectName = keyof typeof PREFIX;
const SUFFIX_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A 15-character id plus Salesforce's 3-character case-safe suffix (one char per 5-char chunk). */
export function salesforceId(prefix: string, n: number): string {
  let tail = '';
  for (let v = n; tail.length < 9; v = Math.floor(v / 62)) tail = BASE62[v % 62] + tail;
  const id15 = `${prefix}5g0${tail}`;
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) if (/[A-Z]/.test(id15[chunk * 5 + i] ?? '')) bits |= 1 << i;
    suffix += SUFFIX_CHARS[bits];
  }
  return id15 + suffix;
}

/** `2026-01-05T10:00:00.000+0000`: Salesforce's own format, at its one-second precision. */
function sfDate(d: Date): string {
  return `${new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().slice(0, 19)}.000+0000`;
}

const FIELDS: Record<ObjectName, readonly string[]> = {
  Contact: [
    'FirstName',
    'LastName',
    'Email',
    'Phone',
    'MobilePhone',
    'Birthdate',
    'Title',
    'MailingStreet',
    'MailingCity',
    'MailingPostalCode',
    'MailingCountry',
    'AccountId',
    'OwnerId',
  ],
  Lead: [
    'FirstName',
    'LastName',
    'Email',
    'Phone',
    'MobilePhone',
    'Company',
    'Street',
    'City',
    'PostalCode',
    'Country',
    'Status',
    'IsConverted',
    'ConvertedContactId',
    'OwnerId',
  ],
  Case: [
    'CaseNumber',
    'Subject',
    'Status',
    'Origin',
    'Priority',
    'ContactId',
    'SuppliedEmail',
    'SuppliedPhone',
    'OwnerId',
    'ClosedDate',
  ],
  Task: ['Subject', 'Status', 'TaskSubtype', 'CallType', 'CallDurationInSeconds', 'WhoId', 'OwnerId'],
  User: ['Username', 'Email', 'FirstName', 'LastName', 'IsActive'],
};
const META_FIELDS = ['Id', 'IsDeleted', 'SystemModstamp', 'CreatedDate', 'LastModifiedDate'];
const DATE_FIELDS = new Set(['SystemModstamp', 'CreatedDate', 'LastModifiedDate']);

class SoqlError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

interface ParsedQuery {
  fields: string[];
  object: ObjectName;
  where: { field: string; op: string; value: number } | null;
  orderBy: { field: string; desc: boolean } | null;
  limit: number | null;
}

const SOQL =
  /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(\w+)\s*(>=|<=|>|<|=)\s*(\S+))?(?:\s+ORDER\s+BY\s+(\w+)(?:\s+(ASC|DESC))?)?(?:\s+LIMIT\s+(\d+))?\s*$/i;

/** The tiny SOQL subset the connector speaks: SELECT fields FROM Obj [WHERE dateField op literal] [ORDER BY field] [LIMIT n]. */
export function parseSoql(q: string): ParsedQuery {
  const m = SOQL.exec(q);
  if (!m) throw new SoqlError('MALFORMED_QUERY', `unexpected token in query: ${q.slice(0, 80)}`);
  const object = Object.keys(PREFIX).find((o) => o.toLowerCase() === m[2]!.toLowerCase()) as
    ObjectName | undefined;
  if (!object) throw new SoqlError('INVALID_TYPE', `sObject type '${m[2]}' is not supported.`);
  const known = (f: string) =>
    META_FIELDS.includes(f) || FIELDS[object].includes(f) || (f === 'Owner.Email' && object !== 'User');
  const fields = m[1]!.split(',').map((f) => f.trim());
  for (const f of fields)
    if (!known(f)) throw new SoqlError('INVALID_FIELD', `No such column '${f}' on entity '${object}'.`);
  let where: ParsedQuery['where'] = null;
  if (m[3]) {
    if (!DATE_FIELDS.has(m[3]))
      throw new SoqlError('INVALID_FIELD', `the simulator filters on date fields only, not ${m[3]}`);
    // SOQL datetime literals: 2026-01-05T10:00:00Z or with an offset; no quotes
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/.test(m[5]!))
      throw new SoqlError(
        'MALFORMED_QUERY',
        `value of filter criterion for field '${m[3]}' must be of type dateTime and should not be enclosed in quotes`,
      );
    where = { field: m[3], op: m[4]!, value: Date.parse(m[5]!) };
  }
  return {
    fields,
    object,
    where,
    orderBy: m[6] ? { field: m[6], desc: (m[7] ?? '').toUpperCase() === 'DESC' } : null,
    limit: m[8] ? Number(m[8]) : null,
  };
}

function sfError(res: Response, status: number, errorCode: string, message: string): void {
  res.status(status).json([{ message, errorCode }]);
}

/**
 * Salesforce REST per its docs: OAuth2 refresh-token grant at `/services/oauth2/token` (no
 * `expires_in`; sessions die and answer 401 INVALID_SESSION_ID), SOQL at
 * `/services/data/vXX.X/query|queryAll?q=`, `nextRecordsUrl` query locators, `Sforce-Query-Options:
 * batchSize`, `Sforce-Limit-Info: api-usage=n/m` on every answer and 403 REQUEST_LIMIT_EXCEEDED.
 */
export async function startSimulator(options: {
  population: Population;
  port?: number;
  trickleEveryMs?: number;
  /** Sessions expire this long after issue (default 2 h, Salesforce's default timeout). */
  sessionTtlMs?: number;
  /** Org API calls per window before 403 REQUEST_LIMIT_EXCEEDED (default 100000 per 24 h). */
  apiLimit?: number;
  apiWindowMs?: number;
  /** Salesforce never pages below 200 rows; tests may lower it to see paging on small data. */
  minBatchSize?: number;
}): Promise<SalesforceSimulator> {
  const rng = createRng(`salesforce:${String(options.population.seed)}`);
  const counters: Record<ObjectName, number> = { Contact: 0, Lead: 0, Case: 0, Task: 0, User: 0 };
  const storeFor = (o: ObjectName) =>
    new MemoryStore<Row>({ idFactory: () => salesforceId(PREFIX[o], ++counters[o]) });
  const stores = {
    Contact: storeFor('Contact'),
    Lead: storeFor('Lead'),
    Case: storeFor('Case'),
    Task: storeFor('Task'),
    User: storeFor('User'),
  };

  // Seeded history spread over the past 30 days, so SystemModstamp order is meaningful.
  const now = Date.now();
  const past = () => new Date(now - rng.int(1, 30 * 86_400) * 1000);
  const users = options.population.employees
    .filter((e) => e.department === 'Support' || e.department === 'Sales')
    .map((e) =>
      stores.User.create(
        {
          Username: `${e.workEmail}.crm`,
          Email: e.workEmail,
          FirstName: e.firstName,
          LastName: e.lastName,
          IsActive: true,
        },
        past(),
      ),
    );
  const owner = () => (users.length > 0 ? rng.pick(users).id : null);
  const people: Stored<Row>[] = [];
  const seeded = viewsFor(options.population, 'crm')
    .map((v) => ({ v, at: past() }))
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  for (const { v, at } of seeded) {
    const asLead = rng.chance(0.3);
    const common = {
      FirstName: v.firstName,
      LastName: v.lastName,
      Email: v.email,
      Phone: v.phone,
      MobilePhone: null,
      OwnerId: owner(),
    };
    people.push(
      asLead
        ? stores.Lead.create(
            {
              ...common,
              Company: v.company ?? `${v.lastName} Household`,
              Street: v.address?.line1 ?? null,
              City: v.address?.city ?? null,
              PostalCode: v.address?.postcode ?? null,
              Country: v.address?.country ?? null,
              Status: 'Open - Not Contacted',
              IsConverted: false,
              ConvertedContactId: null,
            },
            at,
          )
        : stores.Contact.create(
            {
              ...common,
              Birthdate: v.dateOfBirth,
              Title: null,
              MailingStreet: v.address?.line1 ?? null,
              MailingCity: v.address?.city ?? null,
              MailingPostalCode: v.address?.postcode ?? null,
              MailingCountry: v.address?.country ?? null,
              AccountId: null,
            },
            at,
          ),
    );
  }
  const contacts = () => stores.Contact.list();
  const newCase = (contact: Stored<Row>, at?: Date) =>
    stores.Case.create(
      {
        CaseNumber: String(1000 + counters.Case + 1).padStart(8, '0'),
        Subject: rng.pick([
          'Cannot log in',
          'Invoice query',
          'Delivery late',
          'Change of address',
          'Refund request',
        ]),
        Status: rng.pick(['New', 'Working', 'Closed']),
        Origin: rng.pick(['Phone', 'Email', 'Web']),
        Priority: rng.pick(['Low', 'Medium', 'High']),
        ContactId: contact.id,
        SuppliedEmail: contact.Email ?? null,
        SuppliedPhone: null,
        OwnerId: owner(),
        ClosedDate: null,
      },
      at,
    );
  const newTask = (who: Stored<Row>, at?: Date) => {
    const call = rng.chance(0.7);
    return stores.Task.create(
      {
        Subject: call ? 'Call' : 'Email: follow-up',
        Status: 'Completed',
        TaskSubtype: call ? 'Call' : 'Email',
        CallType: call ? rng.pick(['Inbound', 'Outbound']) : null,
        CallDurationInSeconds: call ? rng.int(30, 1200) : null,
        WhoId: who.id,
        OwnerId: owner(),
      },
      at,
    );
  };
  const history: { at: Date; make: (at: Date) => unknown }[] = [];
  for (const c of contacts()) if (rng.chance(0.4)) history.push({ at: past(), make: (at) => newCase(c, at) });
  for (const p of people) if (rng.chance(0.5)) history.push({ at: past(), make: (at) => newTask(p, at) });
  history.sort((a, b) => a.at.getTime() - b.at.getTime()).forEach((h) => h.make(h.at));

  const render = (object: string, row: Stored<Row>, fields?: readonly string[]): Record<string, unknown> => {
    const o = object as ObjectName;
    const all = fields ?? [...META_FIELDS, ...FIELDS[o]];
    const out: Record<string, unknown> = {
      attributes: { type: o, url: `/services/data/v60.0/sobjects/${o}/${row.id}` },
    };
    for (const f of all) {
      if (f === 'Id') out.Id = row.id;
      else if (f === 'IsDeleted') out.IsDeleted = row.deletedAt !== null;
      else if (f === 'SystemModstamp' || f === 'LastModifiedDate') out[f] = sfDate(row.updatedAt);
      else if (f === 'CreatedDate') out[f] = sfDate(row.createdAt);
      else if (f === 'Owner.Email') {
        const u = typeof row.OwnerId === 'string' ? stores.User.get(row.OwnerId) : undefined;
        out.Owner = u
          ? {
              attributes: { type: 'User', url: `/services/data/v60.0/sobjects/User/${u.id}` },
              Email: u.Email,
            }
          : null;
      } else out[f] = row[f] ?? null;
    }
    return out;
  };

  // sessions and API usage (one org-wide counter, as Salesforce counts per org)
  const ttl = options.sessionTtlMs ?? 2 * 3600_000;
  const sessions = new Map<string, number>();
  let tokensIssued = 0;
  const limit = options.apiLimit ?? 100_000;
  const windowMs = options.apiWindowMs ?? 86_400_000;
  let calls: number[] = [];
  let forcedLimit = 0;
  const usage = () => {
    const cutoff = Date.now() - windowMs;
    calls = calls.filter((t) => t > cutoff);
    return calls.length;
  };
  const limitInfo = (res: Response) => res.set('Sforce-Limit-Info', `api-usage=${usage()}/${limit}`);

  const locators = new Map<string, { rows: Record<string, unknown>[]; batch: number }>();
  let locatorSeq = 0;
  const minBatch = options.minBatchSize ?? 200;
  const batchOf = (req: Request) => {
    const m = /batchSize=(\d+)/.exec(req.get('Sforce-Query-Options') ?? '');
    const asked = m ? Number(m[1]) : 2000;
    return Math.min(2000, Math.max(minBatch, asked));
  };
  const pageOut = (version: string, locatorId: string, offset: number) => {
    const loc = locators.get(locatorId)!;
    const rows = loc.rows.slice(offset, offset + loc.batch);
    const nextOffset = offset + rows.length;
    const done = nextOffset >= loc.rows.length;
    return {
      totalSize: loc.rows.length,
      done,
      ...(done ? {} : { nextRecordsUrl: `/services/data/${version}/query/${locatorId}-${nextOffset}` }),
      records: rows,
    };
  };

  const server = await startServer({
    name: 'salesforce',
    ...(options.port !== undefined ? { port: options.port } : {}),
    auth: {
      schemes: bearer((token) => {
        const expires = sessions.get(token);
        return expires !== undefined && expires > Date.now();
      }),
      except: ['/services/oauth2/token'],
      unauthorized: ({ res }) => sfError(res, 401, 'INVALID_SESSION_ID', 'Session expired or invalid'),
    },
    throttle: {
      // only forced refusals (limitExceededNext) go through here; the org counter is below
      respond: ({ res }) => {
        limitInfo(res);
        sfError(res, 403, 'REQUEST_LIMIT_EXCEEDED', `TotalRequests Limit exceeded.`);
      },
    },
    onError: (err, _req, res) => {
      if (err instanceof SoqlError) return sfError(res, 400, err.errorCode, err.message);
      sfError(res, 500, 'UNKNOWN_EXCEPTION', err instanceof Error ? err.message : String(err));
    },
    notFound: (_req, res) => sfError(res, 404, 'NOT_FOUND', 'The requested resource does not exist'),
    routes: (app) => {
      app.post('/services/oauth2/token', (req, res) => {
        const body = (req.body ?? {}) as Record<string, string | undefined>;
        if (body.grant_type !== 'refresh_token')
          return void res
            .status(400)
            .json({ error: 'unsupported_grant_type', error_description: 'grant type not supported' });
        if (body.client_id !== CLIENT_ID || body.client_secret !== CLIENT_SECRET)
          return void res
            .status(400)
            .json({ error: 'invalid_client', error_description: 'invalid client credentials' });
        if (body.refresh_token !== REFRESH_TOKEN)
          return void res
            .status(400)
            .json({ error: 'invalid_grant', error_description: 'expired access/refresh token' });
        tokensIssued++;
        const token = `00Dsim!AQ${String(tokensIssued).padStart(4, '0')}.${rng.int(1e8, 9e8)}`;
        sessions.set(token, Date.now() + ttl);
        res.json({
          access_token: token,
          signature: Buffer.from(token).toString('base64'),
          scope: 'api refresh_token',
          instance_url: server.url,
          id: `${server.url}/id/00Dsim000000001/005sim000000001`,
          token_type: 'Bearer',
          issued_at: String(Date.now()),
        });
      });

      // every API call counts against the org's limit; over it, 403 REQUEST_LIMIT_EXCEEDED
      app.use('/services/data', (_req, res, next) => {
        if (forcedLimit > 0 || usage() >= limit) {
          if (forcedLimit > 0) forcedLimit--;
          limitInfo(res);
          return sfError(res, 403, 'REQUEST_LIMIT_EXCEEDED', `TotalRequests Limit exceeded.`);
        }
        calls.push(Date.now());
        limitInfo(res);
        next();
      });

      const runQuery = (all: boolean) => (req: Request, res: Response) => {
        const q = req.query.q;
        if (typeof q !== 'string')
          return sfError(res, 400, 'MALFORMED_QUERY', 'A query string is required (q)');
        const parsed = parseSoql(q);
        const store = stores[parsed.object];
        const w = parsed.where;
        let rows = store.list({
          includeDeleted: all,
          where: (r) => {
            if (!w) return true;
            const at =
              Math.floor((w.field === 'CreatedDate' ? r.createdAt : r.updatedAt).getTime() / 1000) * 1000;
            switch (w.op) {
              case '>':
                return at > w.value;
              case '>=':
                return at >= w.value;
              case '<':
                return at < w.value;
              case '<=':
                return at <= w.value;
              default:
                return at === w.value;
            }
          },
        });
        if (parsed.orderBy) {
          const key = (r: Stored<Row>) =>
            parsed.orderBy!.field === 'CreatedDate'
              ? Math.floor(r.createdAt.getTime() / 1000)
              : DATE_FIELDS.has(parsed.orderBy!.field)
                ? Math.floor(r.updatedAt.getTime() / 1000)
                : String(r[parsed.orderBy!.field] ?? r.id);
          rows = [...rows].sort((a, b) => {
            const ka = key(a);
            const kb = key(b);
            const c = ka < kb ? -1 : ka > kb ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
            return parsed.orderBy!.desc ? -c : c;
          });
        }
        if (parsed.limit !== null) rows = rows.slice(0, parsed.limit);
        const locatorId = `01gSIM${String(++locatorSeq).padStart(9, '0')}`;
        locators.set(locatorId, {
          rows: rows.map((r) => render(parsed.object, r, parsed.fields)),
          batch: batchOf(req),
        });
        res.json(pageOut(String(req.params.version), locatorId, 0));
      };
      app.get('/services/data/:version/query', runQuery(false));
      app.get('/services/data/:version/queryAll', runQuery(true));
      const more = (req: Request, res: Response) => {
        const m = /^(01g\w+)-(\d+)$/.exec(String(req.params.locator));
        if (!m || !locators.has(m[1]!))
          return sfError(res, 400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
        res.json(pageOut(String(req.params.version), m[1]!, Number(m[2])));
      };
      app.get('/services/data/:version/query/:locator', more);
      app.get('/services/data/:version/queryAll/:locator', more);
    },
  });

  let timer: NodeJS.Timeout | undefined;
  if (options.trickleEveryMs) {
    timer = setInterval(() => {
      const cs = contacts();
      const c = cs.length > 0 ? rng.pick(cs) : undefined;
      if (!c) return;
      if (rng.chance(0.5)) newCase(c);
      else newTask(c);
    }, options.trickleEveryMs);
    timer.unref();
  }

  return {
    url: server.url,
    credentials: { clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN },
    config: { instanceUrl: server.url, loginUrl: server.url, clientId: CLIENT_ID, apiVersion: 'v60.0' },
    server,
    stores,
    render: (object, row) => render(object, row),
    expireSessions: () => sessions.clear(),
    get tokensIssued() {
      return tokensIssued;
    },
    limitExceededNext(n) {
      forcedLimit += n;
    },
    get apiUsage() {
      return usage();
    },
    async close() {
      if (timer) clearInterval(timer);
      await server.close();
    },
  };
}
