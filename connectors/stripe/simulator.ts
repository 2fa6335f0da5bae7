import type { Request, Response } from 'express';
import { signStripe } from '../../src/connector-kit/webhooks/index.js';
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

/** Stripe API simulator: customers, invoices (and their search), charges, events; newest-first lists, starting_after/ending_before, created filters, Stripe's error shapes, signed webhooks. */

type Obj = Record<string, unknown>;
/** An object as the API returns it. */
export type ApiObject = Obj & { id: string };
interface Row {
  body: Obj;
}
export type StripeResource = 'customers' | 'invoices' | 'charges';

export interface StripeSimulatorOptions {
  population: Population;
  port?: number;
  trickleEveryMs?: number;
  /** Stripe allows 25 read requests per second in test mode (100 live). */
  ratePerSecond?: number;
}

export interface StripeSimulator {
  url: string;
  credentials: Record<string, string>;
  config: Record<string, unknown>;
  close(): Promise<void>;
  server: RunningSimulator;
  /** the API representation of every live object of a resource, newest first */
  all(resource: StripeResource): ApiObject[];
  createCustomer(fields: Obj): ApiObject;
  updateCustomer(id: string, fields: Obj): ApiObject;
  deleteCustomer(id: string): void;
  createInvoice(customer: string, fields?: Obj): ApiObject;
  updateInvoice(id: string, fields: Obj): ApiObject;
  createCharge(customer: string, fields?: Obj): ApiObject;
  /** POSTs `event` signed with the endpoint secret to `url`. */
  sendWebhook(url: string, event: Obj, options?: { timestampSeconds?: number }): Promise<SendWebhookResult>;
  /** the latest events (newest first), as the API would list them */
  events(): ApiObject[];
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const OBJECT_NAME: Record<StripeResource, string> = {
  customers: 'customer',
  invoices: 'invoice',
  charges: 'charge',
};
const PREFIX: Record<StripeResource | 'events', string> = {
  customers: 'cus_',
  invoices: 'in_',
  charges: 'ch_',
  events: 'evt_',
};

function stripeError(res: Response, status: number, error: Obj): void {
  res
    .status(status)
    .set('Request-Id', `req_${crypto.randomUUID().replace(/-/g, '').slice(0, 14)}`)
    .json({ error });
}

export async function startSimulator(options: StripeSimulatorOptions): Promise<StripeSimulator> {
  const rng = createRng(`${options.population.seed}:stripe`);
  const ids = rng.fork('ids');
  const newId = (prefix: string) =>
    prefix + Array.from({ length: 14 }, () => ids.pick([...ALPHABET])).join('');
  const secretKey = `sk_test_${Array.from({ length: 24 }, () => rng.pick([...ALPHABET])).join('')}`;
  const webhookSecret = `whsec_${Array.from({ length: 32 }, () => rng.pick([...ALPHABET])).join('')}`;

  const stores = {
    customers: new MemoryStore<Row>({ idFactory: () => newId(PREFIX.customers) }),
    invoices: new MemoryStore<Row>({ idFactory: () => newId(PREFIX.invoices) }),
    charges: new MemoryStore<Row>({ idFactory: () => newId(PREFIX.charges) }),
    events: new MemoryStore<Row>({ idFactory: () => newId(PREFIX.events) }),
  };
  const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
  const apiOf = (resource: StripeResource | 'events', row: Stored<Row>): ApiObject =>
    resource === 'customers' && row.deletedAt
      ? { id: row.id, object: 'customer', deleted: true }
      : {
          ...row.body,
          id: row.id,
          object: resource === 'events' ? 'event' : OBJECT_NAME[resource],
          created: seconds(row.createdAt),
          livemode: false,
        };

  const emit = (type: string, object: Obj, previous?: Obj): void => {
    stores.events.create({
      body: {
        api_version: '2024-06-20',
        data: { object, ...(previous ? { previous_attributes: previous } : {}) },
        pending_webhooks: 0,
        request: { id: null, idempotency_key: null },
        type,
      },
    });
  };

  const createCustomer = (fields: Obj): ApiObject => {
    const row = stores.customers.create({
      body: {
        address: null,
        balance: 0,
        currency: 'gbp',
        default_source: null,
        delinquent: false,
        description: null,
        discount: null,
        email: null,
        invoice_prefix: newId('').slice(0, 7).toUpperCase(),
        metadata: {},
        name: null,
        next_invoice_sequence: 1,
        phone: null,
        preferred_locales: [],
        shipping: null,
        tax_exempt: 'none',
        test_clock: null,
        ...fields,
      },
    });
    const api = apiOf('customers', row);
    emit('customer.created', api);
    return api;
  };
  const updateCustomer = (id: string, fields: Obj): ApiObject => {
    const row = stores.customers.get(id);
    if (!row) throw new Error(`no customer ${id}`);
    const previous = Object.fromEntries(Object.keys(fields).map((k) => [k, row.body[k] ?? null]));
    const api = apiOf('customers', stores.customers.update(id, { body: { ...row.body, ...fields } }));
    emit('customer.updated', api, previous);
    return api;
  };
  const deleteCustomer = (id: string): void => {
    const row = stores.customers.get(id);
    if (!row) throw new Error(`no customer ${id}`);
    const before = apiOf('customers', row);
    stores.customers.remove(id);
    emit('customer.deleted', before);
  };
  const createInvoice = (customer: string, fields: Obj = {}): ApiObject => {
    const c = stores.customers.get(customer);
    const amount = Number(fields['amount_due'] ?? rng.int(5, 400) * 100);
    const status = String(fields['status'] ?? 'open');
    const paid = status === 'paid' ? amount : 0;
    const row = stores.invoices.create({
      body: {
        account_country: 'GB',
        amount_due: amount,
        amount_paid: paid,
        amount_remaining: status === 'open' ? amount : 0,
        attempt_count: 0,
        attempted: status !== 'draft',
        billing_reason: 'manual',
        collection_method: 'send_invoice',
        currency: 'gbp',
        customer,
        customer_email: c?.body['email'] ?? null,
        customer_name: c?.body['name'] ?? null,
        customer_phone: c?.body['phone'] ?? null,
        description: null,
        due_date: null,
        hosted_invoice_url: null,
        metadata: {},
        number: `${String(c?.body['invoice_prefix'] ?? 'INV')}-${String(stores.invoices.size + 1).padStart(4, '0')}`,
        paid: status === 'paid',
        status,
        subtotal: amount,
        total: amount,
        ...fields,
      },
    });
    const api = apiOf('invoices', row);
    emit('invoice.created', api);
    if (status === 'open') emit('invoice.finalized', api);
    if (status === 'paid') emit('invoice.paid', api);
    return api;
  };
  const updateInvoice = (id: string, fields: Obj): ApiObject => {
    const row = stores.invoices.get(id);
    if (!row) throw new Error(`no invoice ${id}`);
    const previous = Object.fromEntries(Object.keys(fields).map((k) => [k, row.body[k] ?? null]));
    const api = apiOf('invoices', stores.invoices.update(id, { body: { ...row.body, ...fields } }));
    emit(fields['status'] === 'paid' ? 'invoice.paid' : 'invoice.updated', api, previous);
    return api;
  };
  const createCharge = (customer: string, fields: Obj = {}): ApiObject => {
    const c = stores.customers.get(customer);
    const amount = Number(fields['amount'] ?? rng.int(5, 400) * 100);
    const row = stores.charges.create({
      body: {
        amount,
        amount_captured: amount,
        amount_refunded: 0,
        balance_transaction: newId('txn_'),
        billing_details: {
          address: null,
          email: c?.body['email'] ?? null,
          name: c?.body['name'] ?? null,
          phone: null,
        },
        captured: true,
        currency: 'gbp',
        customer,
        description: null,
        disputed: false,
        failure_code: null,
        failure_message: null,
        invoice: null,
        metadata: {},
        outcome: { type: 'authorized', network_status: 'approved_by_network' },
        paid: true,
        payment_intent: newId('pi_'),
        payment_method: newId('pm_'),
        receipt_email: c?.body['email'] ?? null,
        refunded: false,
        status: 'succeeded',
        ...fields,
      },
    });
    const api = apiOf('charges', row);
    emit(api['status'] === 'failed' ? 'charge.failed' : 'charge.succeeded', api);
    return api;
  };

  /** Stripe lists newest first; `starting_after` goes older, `ending_before` newer (the page adjacent to it). */
  const list = (
    req: Request,
    res: Response,
    resource: StripeResource | 'events',
    filter: (o: Obj) => boolean,
  ): void => {
    const q = req.query as Record<string, unknown>;
    const limit = q['limit'] === undefined ? 10 : Number(q['limit']);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      return stripeError(res, 400, {
        type: 'invalid_request_error',
        code: 'parameter_invalid_integer',
        param: 'limit',
        message: 'Invalid integer: limit must be between 1 and 100',
      });
    const startingAfter = typeof q['starting_after'] === 'string' ? q['starting_after'] : undefined;
    const endingBefore = typeof q['ending_before'] === 'string' ? q['ending_before'] : undefined;
    if (startingAfter && endingBefore)
      return stripeError(res, 400, {
        type: 'invalid_request_error',
        message: 'You may only specify one of these parameters: ending_before, starting_after.',
      });
    const created: [string, (a: number, b: number) => boolean][] = [
      ['gt', (a, b) => a > b],
      ['gte', (a, b) => a >= b],
      ['lt', (a, b) => a < b],
      ['lte', (a, b) => a <= b],
    ];
    const rows = stores[resource].list().slice().reverse(); // newest first
    let entries = rows
      .map((r) => ({ at: r.createdAt.getTime(), o: apiOf(resource, r) }))
      .filter((e) => filter(e.o));
    for (const [op, test] of created) {
      const v = q[`created[${op}]`];
      if (v !== undefined) entries = entries.filter((e) => test(Number(e.o['created']), Number(v)));
    }
    if (typeof q['created'] === 'string')
      entries = entries.filter((e) => Number(e.o['created']) === Number(q['created']));
    const cursor = startingAfter ?? endingBefore;
    let page: Obj[];
    let hasMore: boolean;
    if (cursor) {
      // the cursor object need not match the filters: only its position counts
      const anchor = stores[resource].get(cursor, { includeDeleted: true });
      if (!anchor)
        return stripeError(res, 400, {
          type: 'invalid_request_error',
          code: 'resource_missing',
          param: startingAfter ? 'starting_after' : 'ending_before',
          message: `No such ${resource === 'events' ? 'event' : OBJECT_NAME[resource]}: '${cursor}'`,
        });
      const at = anchor.createdAt.getTime();
      if (startingAfter) {
        const older = entries.filter((e) => e.at < at).map((e) => e.o);
        page = older.slice(0, limit);
        hasMore = older.length > limit;
      } else {
        const newer = entries.filter((e) => e.at > at).map((e) => e.o);
        page = newer.slice(Math.max(0, newer.length - limit));
        hasMore = newer.length > limit;
      }
    } else {
      page = entries.slice(0, limit).map((e) => e.o);
      hasMore = entries.length > limit;
    }
    res.json({ object: 'list', data: page, has_more: hasMore, url: req.path });
  };

  const types = (q: unknown): string[] | undefined =>
    Array.isArray(q) ? q.map(String) : typeof q === 'string' ? [q] : undefined;
  const typeMatches = (pattern: string, type: string) =>
    pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type;

  const rate = options.ratePerSecond ?? 25;
  const server = await startServer({
    name: 'stripe',
    port: options.port ?? 0,
    auth: {
      schemes: bearer([secretKey]),
      unauthorized: ({ res, reason }) =>
        stripeError(res, 401, {
          type: 'invalid_request_error',
          message:
            reason === 'missing'
              ? "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
              : 'Invalid API Key provided: sk_test_********',
        }),
    },
    throttle: {
      capacity: rate,
      refillPerSecond: rate,
      respond: ({ res }) => {
        res.set('Stripe-Should-Retry', 'true');
        stripeError(res, 429, {
          type: 'invalid_request_error',
          code: 'rate_limit',
          message:
            'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
          doc_url: 'https://stripe.com/docs/error-codes/rate-limit',
        });
      },
    },
    notFound: (req, res) =>
      stripeError(res, 404, {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${req.method}: ${req.path}).`,
      }),
    failureBody: (status) => ({ error: { type: 'api_error', message: `Simulated failure (${status})` } }),
    routes: (app) => {
      app.get('/v1/customers', (req, res) => {
        const email = req.query['email'];
        list(req, res, 'customers', (o) => email === undefined || o['email'] === email);
      });
      app.get('/v1/invoices', (req, res) => {
        const { customer, status } = req.query as Record<string, string | undefined>;
        list(
          req,
          res,
          'invoices',
          (o) => (!customer || o['customer'] === customer) && (!status || o['status'] === status),
        );
      });
      // Search (Stripe's query language, the part the hub uses): up to 10 clauses `field:'value'`
      // joined by AND or by OR (not both), over customer and status; newest first; `page` is the
      // `next_page` token of the previous answer.
      app.get('/v1/invoices/search', (req, res) => {
        const q = req.query as Record<string, unknown>;
        const invalid = (param: string, message: string) =>
          stripeError(res, 400, { type: 'invalid_request_error', param, message });
        const query = typeof q['query'] === 'string' ? q['query'].trim() : '';
        if (!query) return invalid('query', 'Missing required param: query.');
        const limit = q['limit'] === undefined ? 10 : Number(q['limit']);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100)
          return invalid('limit', 'Invalid integer: limit must be between 1 and 100');
        const joiners = [...query.matchAll(/\s+(AND|OR)\s+/g)].map((m) => m[1]);
        if (new Set(joiners).size > 1) return invalid('query', 'AND and OR cannot be combined in one search query.');
        const parts = query.split(/\s+(?:AND|OR)\s+/);
        if (parts.length > 10) return invalid('query', 'A search query may have at most 10 clauses.');
        const clauses: { field: string; value: string }[] = [];
        for (const part of parts) {
          const m = /^(customer|status):'((?:[^'\\]|\\.)*)'$/.exec(part);
          if (!m) return invalid('query', `Unsupported or malformed search clause: ${part}`);
          clauses.push({ field: m[1]!, value: m[2]!.replace(/\\(.)/g, '$1') });
        }
        const any = joiners[0] === 'OR';
        const matches = (o: Obj) => {
          const hit = (c: { field: string; value: string }) => String(o[c.field] ?? '') === c.value;
          return any ? clauses.some(hit) : clauses.every(hit);
        };
        const offset = typeof q['page'] === 'string' ? Number(Buffer.from(q['page'], 'base64url').toString()) : 0;
        if (!Number.isInteger(offset) || offset < 0) return invalid('page', 'Invalid page token.');
        const all = stores.invoices
          .list()
          .slice()
          .reverse()
          .map((r) => apiOf('invoices', r))
          .filter(matches);
        const data = all.slice(offset, offset + limit);
        const hasMore = all.length > offset + limit;
        res.json({
          object: 'search_result',
          data,
          has_more: hasMore,
          next_page: hasMore ? Buffer.from(String(offset + limit)).toString('base64url') : null,
          url: req.path,
        });
      });
      app.get('/v1/charges', (req, res) => {
        const { customer } = req.query as Record<string, string | undefined>;
        list(req, res, 'charges', (o) => !customer || o['customer'] === customer);
      });
      app.get('/v1/events', (req, res) => {
        const wanted =
          types(req.query['types']) ??
          types(req.query['types[]']) ??
          (typeof req.query['type'] === 'string' ? [req.query['type']] : undefined);
        list(req, res, 'events', (o) => !wanted || wanted.some((t) => typeMatches(t, String(o['type']))));
      });
      for (const resource of ['customers', 'invoices', 'charges', 'events'] as const) {
        app.get(`/v1/${resource}/:id`, (req, res) => {
          const id = String(req.params['id']);
          const row = stores[resource].get(id, { includeDeleted: resource === 'customers' });
          if (!row)
            return stripeError(res, 404, {
              type: 'invalid_request_error',
              code: 'resource_missing',
              param: 'id',
              doc_url: 'https://stripe.com/docs/error-codes/resource-missing',
              message: `No such ${resource === 'events' ? 'event' : OBJECT_NAME[resource]}: '${id}'`,
            });
          res.json(apiOf(resource, row));
        });
      }
    },
  });

  // seed from the population's billing views
  const now = Math.floor(Date.UTC(2026, 5, 1) / 1000);
  for (const v of viewsFor(options.population, 'billing')) {
    const c = createCustomer({
      email: v.email,
      name: `${v.firstName} ${v.lastName}`,
      phone: rng.chance(0.6) ? v.phone : null,
      address: v.address
        ? {
            city: v.address.city,
            country: v.address.country,
            line1: v.address.line1 ?? null,
            line2: null,
            postal_code: v.address.postcode,
            state: v.address.region,
          }
        : null,
      metadata: v.company ? { company: v.company } : {},
    });
    const id = String(c['id']);
    for (let n = rng.int(0, 3); n > 0; n--) {
      const status = rng.weighted([
        ['paid', 5],
        ['open', 3],
        ['void', 1],
      ] as const);
      const due = now + rng.int(-60, 30) * 86_400;
      const inv = createInvoice(id, { status, due_date: due });
      if (status === 'paid') createCharge(id, { amount: inv['amount_due'], invoice: inv['id'] });
    }
  }

  const trickle = options.trickleEveryMs
    ? setInterval(() => {
        const customers = stores.customers.list();
        const c = customers[rng.int(0, customers.length - 1)];
        if (c) createInvoice(c.id, { status: 'open', due_date: Math.floor(Date.now() / 1000) + 14 * 86_400 });
      }, options.trickleEveryMs)
    : undefined;
  trickle?.unref();

  return {
    url: server.url,
    credentials: { secretKey, webhookSecret },
    config: { baseUrl: server.url },
    server,
    all: (resource) =>
      stores[resource]
        .list()
        .slice()
        .reverse()
        .map((r) => apiOf(resource, r)),
    createCustomer,
    updateCustomer,
    deleteCustomer,
    createInvoice,
    updateInvoice,
    createCharge,
    events: () =>
      stores.events
        .list()
        .slice()
        .reverse()
        .map((r) => apiOf('events', r)),
    sendWebhook: (url, event, opts) =>
      sendWebhook({
        url,
        body: event,
        sign: (raw) =>
          signStripe({
            payload: raw,
            secret: webhookSecret,
            ...(opts?.timestampSeconds !== undefined ? { timestampSeconds: opts.timestampSeconds } : {}),
          }),
      }),
    async close() {
      if (trickle) clearInterval(trickle);
      await server.close();
    },
  };
}
