import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createHttpClient,
  InMemoryTokenStore,
  WebhookVerificationError,
  type ConnectorContext,
  type StreamDefinition,
  type WebhookRequest,
} from '../../src/connector-kit/index.js';
import { createLogger } from '../../src/log/logger.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import hubspot from './index.js';
import type { HubspotConfig, HubspotObject } from './client.js';
import { mapCall, mapContact, mapTicket } from './mapping.js';
import type { SearchCursor } from './search.stream.js';
import { startSimulator, type HubspotSimulator } from './simulator.js';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;

const population = generatePopulation({ seed: 7, people: 240, employees: 10 });
let instance = 0;

function contextFor(
  sim: HubspotSimulator,
  credentials: Record<string, string> = sim.credentials,
): ConnectorContext<HubspotConfig> {
  const config = hubspot.configSchema.parse({ ...sim.config, pageSize: 20 });
  const instanceId = `hubspot-test-${++instance}`;
  const http = createHttpClient({
    connectorId: 'hubspot',
    instanceId,
    baseURL: sim.url,
    auth: hubspot.auth({ config, credentials, tokenStore: new InMemoryTokenStore(), instanceId }),
    timeoutMs: 15_000,
    backoff: { baseMs: 10, capMs: 50 },
  });
  return { instanceId, http, log: createLogger('silent'), config, credentials };
}

const stream = (name: string) =>
  hubspot.streams.find((s) => s.name === name) as StreamDefinition<
    HubspotConfig,
    HubspotObject,
    SearchCursor
  >;

async function runStream(
  ctx: ConnectorContext<HubspotConfig>,
  name: string,
  cursor: SearchCursor | null = null,
) {
  const s = stream(name);
  const items: HubspotObject[] = [];
  let cur = cursor;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await s.fetchPage(ctx, cur);
    items.push(...page.items);
    cur = page.nextCursor;
    if (page.done) return { items, batches: items.map((i) => s.map(i, ctx)), cursor: cur };
  }
  throw new Error('stream did not finish');
}

describe('hubspot connector against its simulator', () => {
  let sim: HubspotSimulator;
  const contexts: ConnectorContext<HubspotConfig>[] = [];
  const ctxOf = (creds?: Record<string, string>) => {
    const c = contextFor(sim, creds);
    contexts.push(c);
    return c;
  };

  beforeEach(async () => {
    sim = await startSimulator({
      population,
      searchResultCap: 50,
      rateLimit: { max: 1000, intervalMs: 200 },
    });
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) c.http.close();
    await sim.close();
  });

  it('a full sync maps exactly the simulator’s contacts, calls and tickets, windowing past the search cap', async () => {
    const ctx = ctxOf();
    const live = sim.stores.contacts.list();
    expect(live.length).toBeGreaterThan(100); // more than twice the cap of 50
    const contacts = await runStream(ctx, 'contacts');
    const people = contacts.batches.flatMap((b) => b.people ?? []);
    expect(new Set(people.map((p) => p.externalId))).toEqual(new Set(live.map((r) => r.id)));
    expect(people).toHaveLength(live.length); // nothing twice
    const sample = live[3]!;
    const mapped = people.find((p) => p.externalId === sample.id)!;
    if (sample.properties['email'])
      expect(mapped.identifiers).toContainEqual({ kind: 'email', value: sample.properties['email'] });
    // the windowing restarted the search with a later lower bound instead of paging past the cap
    const searches = sim.server.stats.count({ method: 'POST', path: '/crm/v3/objects/contacts/search' });
    expect(searches).toBeGreaterThan(Math.ceil(live.length / 20));
    expect(sim.server.stats.count({ status: 400 })).toBe(0);

    for (const [name, store] of [
      ['calls', sim.stores.calls],
      ['tickets', sim.stores.tickets],
    ] as const) {
      const run = await runStream(ctx, name);
      const interactions = run.batches.flatMap((b) => b.interactions ?? []);
      const rows = store.list();
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(interactions.map((i) => i.externalId))).toEqual(
        new Set(rows.map((r) => `${name.slice(0, -1)}:${r.id}`)),
      );
      for (const i of interactions) {
        const row = store.get(i.externalId.split(':')[1]!)!;
        expect(i.person).toEqual({ objectType: 'contact', externalId: row.contacts[0] });
      }
    }
  });

  it('windows correctly when many contacts share one lastmodifieddate across window boundaries', async () => {
    const at = new Date(Date.UTC(2030, 0, 1));
    const tied = Array.from({ length: 45 }, (_, n) =>
      sim.stores.contacts.create(
        {
          properties: { email: `tied${n}@example.com`, firstname: 'Tied', lastname: String(n) },
          contacts: [],
        },
        at,
      ),
    );
    const after = sim.createContact({ email: 'after@example.com', firstname: 'After', lastname: 'Tie' });
    const { items } = await runStream(ctxOf(), 'contacts');
    const ids = items.map((i) => i.id);
    for (const t of tied) expect(ids).toContain(t.id);
    expect(ids).toContain(after.id);
    expect(ids).toHaveLength(sim.stores.contacts.list().length);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('says so when more objects share one timestamp than one search may return', async () => {
    const at = new Date(Date.UTC(2030, 0, 1));
    for (let n = 0; n < 70; n++)
      sim.stores.contacts.create({ properties: { email: `tied${n}@example.com` }, contacts: [] }, at);
    await expect(runStream(ctxOf(), 'contacts')).rejects.toThrow(
      /more than 50 objects share lastmodifieddate/,
    );
  });

  it('restarts the window when the cap falls inside a page (55 tickets, pages of 20, cap 50)', async () => {
    const contact = sim.stores.contacts.list()[0]!;
    const live = () => sim.stores.tickets.list().length;
    expect(live()).toBeLessThanOrEqual(55);
    while (live() < 55)
      sim.stores.tickets.create({
        properties: { subject: 'More', source_type: 'EMAIL' },
        contacts: [contact.id],
      });
    const { items } = await runStream(ctxOf(), 'tickets');
    expect(items.map((i) => i.id).sort()).toEqual(
      sim.stores.tickets
        .list()
        .map((r) => r.id)
        .sort(),
    );
  });

  it('the simulator refuses to page a search past its cap, as HubSpot does', async () => {
    const ctx = ctxOf();
    await expect(
      ctx.http.post('/crm/v3/objects/contacts/search', { limit: 10, after: '50' }, { idempotencyKey: 'x' }),
    ).rejects.toMatchObject({ http: { status: 400 } });
  });

  it('continues from the saved cursor with exactly the changes: update, archive, create', async () => {
    const ctx = ctxOf();
    const first = await runStream(ctx, 'contacts');
    const [a, b] = sim.stores.contacts.list();
    sim.updateContact(a!.id, { city: 'Leeds' });
    sim.archive('contacts', b!.id);
    const created = sim.createContact({ email: 'fresh@example.com', firstname: 'Fresh', lastname: 'Person' });
    const second = await runStream(ctx, 'contacts', first.cursor);
    const people = second.batches.flatMap((x) => x.people ?? []);
    expect(people.map((p) => [p.externalId, p.deleted ?? false]).sort()).toEqual(
      [
        [a!.id, false],
        [b!.id, true],
        [created.id, false],
      ].sort(),
    );
    expect(people.find((p) => p.externalId === a!.id)!.traits?.city).toBe('Leeds');
    const third = await runStream(ctx, 'contacts', second.cursor);
    expect(third.items).toHaveLength(0);
  });

  it('survives a burst of 429s in the middle of a sync', async () => {
    const ctx = ctxOf();
    const s = stream('contacts');
    const page1 = await s.fetchPage(ctx, null);
    sim.server.faults.throttleNext(2);
    const rest = await runStream(ctx, 'contacts', page1.nextCursor);
    expect(sim.server.stats.count({ status: 429 })).toBe(2);
    const ids = new Set([...page1.items, ...rest.items].map((i) => i.id));
    expect(ids).toEqual(new Set(sim.stores.contacts.list().map((r) => r.id)));
  });

  it('authenticates with an OAuth refresh token when no private app token is set', async () => {
    const ctx = ctxOf({ ...sim.oauth });
    const { items } = await runStream(ctx, 'tickets');
    expect(items.length).toBe(sim.stores.tickets.list().length);
    expect(sim.server.stats.count({ path: '/oauth/v1/token' })).toBe(1);
  });

  describe('webhooks', () => {
    /** What the hub receives when the simulator delivers `events` (signed for the URL it posted to). */
    const request = async (events: unknown[], timestampMs?: number): Promise<WebhookRequest> => {
      let captured: { headers: Record<string, string | string[] | undefined>; body: Buffer } | undefined;
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          captured = { headers: req.headers, body: Buffer.concat(chunks) };
          res.end('ok');
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/hubspot/hubspot-1?x=1`;
      await sim.sendWebhook(url, events, timestampMs !== undefined ? { timestampMs } : undefined);
      await new Promise<void>((r) => server.close(() => r()));
      return {
        method: 'POST',
        url,
        path: '/webhooks/hubspot/hubspot-1',
        headers: captured!.headers,
        query: { x: '1' },
        rawBody: captured!.body,
      };
    };
    const events = fixture<unknown[]>('webhook-events.json');

    it('accepts a good signature and rejects tampered and stale ones', async () => {
      const ctx = {
        config: hubspot.configSchema.parse(sim.config),
        credentials: sim.credentials,
        nowMs: Date.now(),
      };
      const good = await request(events);
      expect(() => hubspot.webhooks!.verify(good, ctx)).not.toThrow();
      const tampered = { ...good, rawBody: Buffer.from(good.rawBody.toString().replace('512', '514')) };
      expect(() => hubspot.webhooks!.verify(tampered, ctx)).toThrow(WebhookVerificationError);
      const stale = await request(events, Date.now() - 6 * 60_000);
      expect(() => hubspot.webhooks!.verify(stale, ctx)).toThrow(WebhookVerificationError);
      expect(() => hubspot.webhooks!.verify({ ...good, url: 'https://hub.example.com/other' }, ctx)).toThrow(
        WebhookVerificationError,
      );
    });

    it('parses events with stable ids and maps them (reading the whole contact)', async () => {
      const contact = sim.stores.contacts.list()[0]!;
      const body = [{ ...(events[0] as object), objectId: Number(contact.id) }, events[1]];
      const req = await request(body);
      const parsed = hubspot.webhooks!.parse(req, { config: hubspot.configSchema.parse(sim.config) });
      expect(parsed.map((e) => e.id)).toEqual(['62515:2345:1003', '62515:2346:1004']);
      expect(
        hubspot
          .webhooks!.parse(await request(body), { config: hubspot.configSchema.parse(sim.config) })
          .map((e) => e.id),
      ).toEqual(parsed.map((e) => e.id));
      const ctx = ctxOf();
      const changed = await hubspot.webhooks!.map(parsed[0]!, ctx);
      expect(changed.people?.[0]).toMatchObject({ externalId: contact.id, deleted: false });
      const deleted = await hubspot.webhooks!.map(parsed[1]!, ctx);
      expect(deleted.people?.[0]).toMatchObject({ externalId: '513', deleted: true });
    });
  });
});

describe('hubspot mapping of recorded objects', () => {
  it('maps a contact with every identifier', () => {
    const p = mapContact(fixture<HubspotObject>('contact.json'));
    expect(p).toMatchObject({ objectType: 'contact', externalId: '512', deleted: false });
    expect(p.identifiers).toEqual([
      { kind: 'external', namespace: 'hubspot:contact', value: '512' },
      { kind: 'email', value: 'bcooper@biglytics.net' },
      { kind: 'email', value: 'brian.cooper@gmail.com' },
      { kind: 'phone', value: '(877) 929-0687' },
      { kind: 'phone', value: '+1 617 555 0134' },
      { kind: 'social', namespace: 'x:handle', value: '@bcooper' },
    ]);
    expect(p.traits).toMatchObject({
      firstName: 'Brian',
      lastName: 'Cooper',
      city: 'Cambridge',
      company: 'Biglytics',
      postcode: '02139',
    });
  });

  it('maps a call and a ticket onto the associated contact', () => {
    const call = mapCall(fixture<HubspotObject>('call.json'));
    expect(call).toMatchObject({
      externalId: 'call:30000001271',
      channel: 'voice',
      direction: 'inbound',
      kind: 'call',
      person: { objectType: 'contact', externalId: '512' },
      handledBy: { system: 'hubspot:owner', externalId: '11349275740' },
      attributes: { durationSeconds: 4, status: 'COMPLETED' },
    });
    const ticket = mapTicket(fixture<HubspotObject>('ticket.json'));
    expect(ticket).toMatchObject({
      externalId: 'ticket:9000417',
      channel: 'email',
      kind: 'ticket',
      summary: 'troubleshoot report',
      conversation: { externalId: 'hubspot:ticket:9000417', status: 'new' },
      person: { objectType: 'contact', externalId: '512' },
    });
  });

  it('ties an unassociated inbound call to the caller’s number', () => {
    const raw = fixture<HubspotObject>('call.json');
    delete raw.associations;
    expect(mapCall(raw).person).toEqual({ identifiers: [{ kind: 'phone', value: '(857) 829 5489' }] });
  });
});
