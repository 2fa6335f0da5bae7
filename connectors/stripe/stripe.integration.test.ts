import { readFileSync } from 'node:fs';
import {
  createHttpClient,
  InMemoryTokenStore,
  signStripe,
  WebhookVerificationError,
  type ConnectorContext,
  type StreamDefinition,
  type WebhookRequest,
} from '../../src/connector-kit/index.js';
import { createLogger } from '../../src/log/logger.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import { billingFetch, type BillingSummary } from './billing.fetch.js';
import type { StripeConfig, StripeObject } from './client.js';
import type { StripeCursor } from './events.stream.js';
import stripe from './index.js';
import { mapCharge, mapCustomer, mapInvoice } from './mapping.js';
import { startSimulator, type StripeSimulator } from './simulator.js';

const population = generatePopulation({ seed: 11, people: 200, employees: 10 });
let instance = 0;

function contextFor(sim: StripeSimulator): ConnectorContext<StripeConfig> {
  const config = stripe.configSchema.parse(sim.config);
  const instanceId = `stripe-test-${++instance}`;
  const http = createHttpClient({
    connectorId: 'stripe',
    instanceId,
    baseURL: sim.url,
    auth: stripe.auth({
      config,
      credentials: sim.credentials,
      tokenStore: new InMemoryTokenStore(),
      instanceId,
    }),
    classify: stripe.classify!,
    timeoutMs: 15_000,
    backoff: { baseMs: 10, capMs: 50 },
  });
  return { instanceId, http, log: createLogger('silent'), config, credentials: sim.credentials };
}

const stream = (name: string) =>
  stripe.streams.find((s) => s.name === name) as StreamDefinition<StripeConfig, StripeObject, StripeCursor>;

async function runStream(
  ctx: ConnectorContext<StripeConfig>,
  name: string,
  cursor: StripeCursor | null = null,
) {
  const s = stream(name);
  const items: StripeObject[] = [];
  let cur = cursor;
  for (let n = 0; n < 1000; n++) {
    const page = await s.fetchPage(ctx, cur);
    items.push(...page.items);
    cur = page.nextCursor;
    if (page.done) return { items, batches: items.map((i) => s.map(i, ctx)), cursor: cur };
  }
  throw new Error('stream did not finish');
}

describe('stripe connector against its simulator', () => {
  let sim: StripeSimulator;
  let ctx: ConnectorContext<StripeConfig>;
  beforeEach(async () => {
    sim = await startSimulator({ population, ratePerSecond: 1000 });
    ctx = contextFor(sim);
  });
  afterEach(async () => {
    ctx.http.close();
    await sim.close();
  });

  it('a full sync maps exactly the simulator’s customers, invoices and charges', async () => {
    const customers = await runStream(ctx, 'customers');
    const live = sim.all('customers');
    expect(live.length).toBeGreaterThan(100); // more than one page of 100
    const people = customers.batches.flatMap((b) => b.people ?? []);
    expect(people.map((p) => p.externalId).sort()).toEqual(live.map((c) => c.id).sort());
    for (const p of people) {
      const c = live.find((x) => x.id === p.externalId)!;
      if (typeof c['email'] === 'string')
        expect(p.identifiers).toContainEqual({ kind: 'email', value: c['email'] });
    }
    for (const [name, kind] of [
      ['invoices', 'invoice'],
      ['charges', 'payment'],
    ] as const) {
      const run = await runStream(ctx, name);
      const interactions = run.batches.flatMap((b) => b.interactions ?? []);
      const rows = sim.all(name);
      expect(rows.length).toBeGreaterThan(0);
      expect(interactions.map((i) => i.externalId).sort()).toEqual(
        rows.map((r) => `${kind === 'invoice' ? 'invoice' : 'charge'}:${r.id}`).sort(),
      );
      expect(interactions.every((i) => i.channel === 'billing' && i.kind === kind)).toBe(true);
    }
  });

  it('continues from the saved cursor with exactly the changes (through /v1/events)', async () => {
    const first = await runStream(ctx, 'customers');
    const invoicesFirst = await runStream(ctx, 'invoices');
    const [a, b] = sim.all('customers');
    sim.updateCustomer(a!.id, { email: 'changed@example.com' });
    sim.deleteCustomer(b!.id);
    const created = sim.createCustomer({ email: 'new@example.com', name: 'New Customer' });
    const invoice = sim.createInvoice(created.id, { status: 'open', due_date: 1_700_000_000 });
    const second = await runStream(ctx, 'customers', first.cursor);
    const people = second.batches.flatMap((x) => x.people ?? []);
    expect(people.map((p) => [p.externalId, p.deleted]).sort()).toEqual(
      [
        [a!.id, false],
        [b!.id, true],
        [created.id, false],
      ].sort(),
    );
    expect(people.find((p) => p.externalId === a!.id)!.identifiers).toContainEqual({
      kind: 'email',
      value: 'changed@example.com',
    });
    const invoices = await runStream(ctx, 'invoices', invoicesFirst.cursor);
    expect(invoices.items.map((i) => i.id)).toEqual([invoice.id]);
    expect((await runStream(ctx, 'customers', second.cursor)).items).toHaveLength(0);
  });

  it('pages through more than 100 events in order (ending_before returns the adjacent page)', async () => {
    const first = await runStream(ctx, 'customers');
    const target = sim.all('customers')[0]!;
    for (let n = 0; n < 130; n++) sim.updateCustomer(target.id, { name: `Name ${n}` });
    const s = stream('customers');
    const page1 = await s.fetchPage(ctx, first.cursor);
    expect(page1.done).toBe(false);
    expect(page1.items[0]!['name']).toBe('Name 99'); // the oldest 100 updates come first
    const page2 = await s.fetchPage(ctx, page1.nextCursor);
    expect(page2.done).toBe(true);
    expect(page2.items[0]!['name']).toBe('Name 129');
  });

  it('survives 429 rate limiting in the middle of a sync', async () => {
    const s = stream('customers');
    const page1 = await s.fetchPage(ctx, null);
    sim.server.faults.throttleNext(2);
    const rest = await runStream(ctx, 'customers', page1.nextCursor);
    expect(sim.server.stats.count({ status: 429 })).toBe(2);
    expect([...page1.items, ...rest.items].map((c) => c.id).sort()).toEqual(
      sim
        .all('customers')
        .map((c) => c.id)
        .sort(),
    );
  });

  it('does not retry when Stripe says Stripe-Should-Retry: false', async () => {
    sim.server.faults.failNext(1, 503, { headers: { 'Stripe-Should-Retry': 'false' } });
    await expect(ctx.http.get('/v1/customers')).rejects.toMatchObject({ http: { status: 503 } });
    expect(sim.server.stats.count({ path: '/v1/customers' })).toBe(1);
  });

  it('live billing: one search for a batch of up to 10, a lookup only for customers without an open invoice, an Error for unknown ids', async () => {
    const invoices = sim.all('invoices');
    const withOpen = [
      ...new Set(invoices.filter((i) => i['status'] === 'open').map((i) => String(i['customer']))),
    ].slice(0, 6);
    const owing = new Set(invoices.filter((i) => i['status'] !== 'void').map((i) => String(i['customer'])));
    const clear = sim.all('customers').find((c) => !owing.has(c.id))!;
    const gone = sim.all('customers').find((c) => !withOpen.includes(c.id) && c.id !== clear.id)!;
    sim.deleteCustomer(gone.id);
    const keys = [...withOpen, 'cus_doesnotexist00', clear.id, gone.id];
    sim.server.stats.reset();
    const values = await billingFetch.fetchMany(ctx, keys);
    expect(values).toHaveLength(keys.length);
    withOpen.forEach((id, n) => {
      const open = invoices.filter((i) => i['customer'] === id && i['status'] === 'open');
      const v = values[n] as BillingSummary;
      expect(v.openBalance).toBe(open.reduce((s, i) => s + Number(i['amount_remaining']), 0));
      expect(v.currency).toBe('gbp');
      expect(v.overdueInvoices).toBe(open.filter((i) => Number(i['due_date']) < Date.now() / 1000).length);
    });
    expect(values[withOpen.length]).toBeInstanceOf(Error);
    expect(values[withOpen.length + 1]).toEqual({ openBalance: 0, currency: 'gbp', overdueInvoices: 0 });
    expect(values[withOpen.length + 2]).toBeInstanceOf(Error);
    // 9 customers: one search (their invoices fit one page), no list of the account's invoices
    expect(sim.server.stats.count({ path: '/v1/invoices/search' })).toBe(1);
    expect(sim.server.stats.count({ path: '/v1/invoices' })).toBe(0);
    expect(sim.server.stats.count()).toBe(1 + 3); // + the three without open invoices
  });

  it('live billing for one customer (a screen pop) is one list call filtered by customer and status', async () => {
    const invoices = sim.all('invoices');
    const owing = String(invoices.find((i) => i['status'] === 'open')!['customer']);
    sim.server.stats.reset();
    const [v] = await billingFetch.fetchMany(ctx, [owing]);
    const open = invoices.filter((i) => i['customer'] === owing && i['status'] === 'open');
    expect(v).toMatchObject({ openBalance: open.reduce((s, i) => s + Number(i['amount_remaining']), 0) });
    expect(sim.server.stats.count()).toBe(1);
    expect(sim.server.stats.count({ path: '/v1/invoices' })).toBe(1);
  });

  it('live billing: 25 customers are three searches; an id that is not a Stripe id gets an Error and is never sent', async () => {
    const customers = sim.all('customers').map((c) => c.id);
    expect(customers.length).toBeGreaterThanOrEqual(25);
    const keys = [...customers.slice(0, 25), "cus_x' OR customer:'y"];
    sim.server.stats.reset();
    const values = await billingFetch.fetchMany(ctx, keys);
    expect(values).toHaveLength(26);
    expect(sim.server.stats.count({ path: '/v1/invoices/search' })).toBe(3);
    expect(values[25]).toBeInstanceOf(Error);
    expect((values[25] as Error).message).toContain('is not a Stripe customer id');
    const invoices = sim.all('invoices');
    customers.slice(0, 25).forEach((id, n) => {
      const open = invoices.filter((i) => i['customer'] === id && i['status'] === 'open');
      if (open.length) expect((values[n] as BillingSummary).openBalance).toBe(open.reduce((s, i) => s + Number(i['amount_remaining']), 0));
    });
  });

  it('the simulated search refuses AND mixed with OR and a malformed clause, and pages with next_page', async () => {
    const get = (query: string, extra = '') =>
      ctx.http.get<{ data: { id: string }[]; has_more: boolean; next_page: string | null }>(
        `/v1/invoices/search?query=${encodeURIComponent(query)}${extra}`,
      );
    await expect(get("customer:'a' AND status:'open' OR customer:'b'")).rejects.toMatchObject({ http: { status: 400 } });
    await expect(get('customer:a')).rejects.toMatchObject({ http: { status: 400 } });
    const all = sim.all('invoices').filter((i) => i['status'] === 'open');
    const first = await get("status:'open'", '&limit=2');
    expect(first.data.data).toHaveLength(Math.min(2, all.length));
    if (all.length > 2) {
      expect(first.data.has_more).toBe(true);
      const second = await get("status:'open'", `&limit=2&page=${first.data.next_page}`);
      expect(second.data.data.map((i) => i.id)).not.toContain(first.data.data[0]!.id);
    }
  });

  describe('webhooks', () => {
    const cfg = () => ({
      config: stripe.configSchema.parse(sim.config),
      credentials: sim.credentials,
      nowMs: Date.now(),
    });
    const req = (raw: string, headers: Record<string, string>): WebhookRequest => ({
      method: 'POST',
      url: 'https://hub.example.com/webhooks/stripe/stripe-1',
      path: '/webhooks/stripe/stripe-1',
      headers,
      query: {},
      rawBody: Buffer.from(raw),
    });

    it('accepts good signatures and rejects tampered and stale ones; parse keeps the event id', async () => {
      const event = sim.events()[0]!;
      const raw = JSON.stringify(event);
      const secret = sim.credentials['webhookSecret']!;
      const good = req(raw, signStripe({ payload: raw, secret }));
      expect(() => stripe.webhooks!.verify(good, cfg())).not.toThrow();
      expect(() =>
        stripe.webhooks!.verify(
          req(raw.replace('"livemode":false', '"livemode":true'), good.headers as Record<string, string>),
          cfg(),
        ),
      ).toThrow(WebhookVerificationError);
      const stale = req(
        raw,
        signStripe({ payload: raw, secret, timestampSeconds: Math.floor(Date.now() / 1000) - 301 }),
      );
      expect(() => stripe.webhooks!.verify(stale, cfg())).toThrow(WebhookVerificationError);
      expect(() =>
        stripe.webhooks!.verify(req(raw, signStripe({ payload: raw, secret: 'whsec_other' })), cfg()),
      ).toThrow(WebhookVerificationError);
      const parsed = stripe.webhooks!.parse(good, { config: cfg().config });
      expect(parsed).toEqual([{ id: event['id'], type: event['type'], payload: event }]);
    });

    it('maps customer, invoice and deletion events', async () => {
      const c = sim.all('customers')[0]!;
      sim.deleteCustomer(c.id);
      const [deleted] = sim.events();
      const batch = await stripe.webhooks!.map(
        { id: String(deleted!['id']), type: 'customer.deleted', payload: deleted },
        ctx,
      );
      expect(batch.people?.[0]).toMatchObject({ externalId: c.id, deleted: true });
      const inv = sim.createInvoice(sim.all('customers')[0]!.id, { status: 'open' });
      const invEvent = sim.events().find((e) => e['type'] === 'invoice.created')!;
      const mapped = await stripe.webhooks!.map(
        { id: String(invEvent['id']), type: 'invoice.created', payload: invEvent },
        ctx,
      );
      expect(mapped.interactions?.[0]).toMatchObject({ externalId: `invoice:${inv['id']}`, kind: 'invoice' });
    });

    it('the simulator delivers signed events the connector verifies', async () => {
      const { createServer } = await import('node:http');
      let got: WebhookRequest | undefined;
      const server = createServer((r, res) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => {
          got = {
            method: 'POST',
            url: '',
            path: r.url ?? '',
            headers: r.headers,
            query: {},
            rawBody: Buffer.concat(chunks),
          };
          res.end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      await sim.sendWebhook(
        `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`,
        sim.events()[0]!,
      );
      await new Promise<void>((r) => server.close(() => r()));
      expect(() => stripe.webhooks!.verify(got!, cfg())).not.toThrow();
    });
  });
});

describe('stripe mapping of Stripe’s own example objects', () => {
  // Stripe's fixtures (stripe-mock) are read in place, never copied into the repo
  const resources = (
    JSON.parse(readFileSync('/work/shared/specs/stripe/fixtures3.json', 'utf8')) as {
      resources: Record<string, StripeObject>;
    }
  ).resources;

  it('maps the customer example without losing an identifier', () => {
    const p = mapCustomer(resources['customer']!);
    expect(p).toMatchObject({
      objectType: 'customer',
      externalId: resources['customer']!.id,
      deleted: false,
    });
    expect(p.identifiers).toEqual([
      { kind: 'external', namespace: 'stripe:customer', value: resources['customer']!.id },
    ]);
    // the same example with contact details and a CRM cross-reference filled in
    const filled = mapCustomer({
      ...resources['customer']!,
      email: 'jenny@example.com',
      phone: '+15555550100',
      metadata: { hubspot_contact_id: '512' },
    });
    expect(filled.identifiers).toEqual([
      { kind: 'external', namespace: 'stripe:customer', value: resources['customer']!.id },
      { kind: 'email', value: 'jenny@example.com' },
      { kind: 'phone', value: '+15555550100' },
      { kind: 'external', namespace: 'hubspot:contact', value: '512' },
    ]);
  });

  it('maps a recorded customer with shipping phone, address and CRM id', () => {
    const raw = JSON.parse(
      readFileSync(new URL('./fixtures/customer-with-crm-id.json', import.meta.url), 'utf8'),
    ) as StripeObject;
    const p = mapCustomer(raw);
    expect(p.identifiers).toEqual([
      { kind: 'external', namespace: 'stripe:customer', value: 'cus_NffrFeUfNV2Hib' },
      { kind: 'email', value: 'jennyrosen@example.com' },
      { kind: 'phone', value: '+44 20 7946 0958' },
      { kind: 'phone', value: '07700 900123' },
      { kind: 'external', namespace: 'hubspot:contact', value: '512' },
    ]);
    expect(p.traits).toMatchObject({
      firstName: 'Jenny',
      lastName: 'Rosen',
      city: 'London',
      postcode: 'EC3M 7AA',
      address: '12 Lime Street',
    });
  });

  it('maps the invoice example to a billing interaction on its customer', () => {
    const inv = resources['invoice']!;
    const i = mapInvoice(inv);
    expect(i).toMatchObject({
      externalId: `invoice:${inv.id}`,
      channel: 'billing',
      kind: 'invoice',
      direction: 'outbound',
      person: { objectType: 'customer', externalId: inv['customer'] },
      attributes: {
        amount_due: inv['amount_due'],
        amount_paid: inv['amount_paid'],
        currency: inv['currency'],
        status: inv['status'] ?? null,
        due_date: new Date(Number(inv['due_date']) * 1000).toISOString(),
      },
    });
  });

  it('maps the charge example, keeping the payer’s billing identifiers when there is no customer', () => {
    const ch = resources['charge']!;
    const i = mapCharge(ch);
    expect(i).toMatchObject({
      externalId: `charge:${ch.id}`,
      channel: 'billing',
      kind: 'payment',
      attributes: { amount: ch['amount'], currency: ch['currency'] },
    });
    expect(i.person).toBeUndefined(); // the example has no customer, email or phone
    const withPayer = mapCharge({
      ...ch,
      customer: 'cus_QXg1o8vcGmoR32',
      billing_details: { ...(ch['billing_details'] as object), email: 'jenny@example.com' },
    });
    expect(withPayer.person).toEqual({
      objectType: 'customer',
      externalId: 'cus_QXg1o8vcGmoR32',
      identifiers: [
        { kind: 'email', value: 'jenny@example.com' },
        { kind: 'external', namespace: 'stripe:customer', value: 'cus_QXg1o8vcGmoR32' },
      ],
    });
  });
});
