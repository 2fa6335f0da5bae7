import { pino } from 'pino';
import {
  createHttpClient,
  InMemoryTokenStore,
  type CanonicalBatch,
  type ConnectorContext,
  type StreamDefinition,
} from '../../src/connector-kit/index.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import type { SalesforceConfig, SoqlCursor, SoqlRecord } from './client.js';
import connector, { casesStream, contactsStream, leadsStream, tasksStream } from './index.js';
import { startSimulator, type SalesforceSimulator } from './simulator.js';

type Stream = StreamDefinition<SalesforceConfig, SoqlRecord, SoqlCursor>;
const STREAMS: [Stream, 'Contact' | 'Lead' | 'Case' | 'Task'][] = [
  [contactsStream, 'Contact'],
  [leadsStream, 'Lead'],
  [casesStream, 'Case'],
  [tasksStream, 'Task'],
];
let seq = 0;

function contextFor(sim: SalesforceSimulator, extra: Partial<SalesforceConfig> = {}) {
  const config = connector.configSchema.parse({ ...sim.config, ...extra });
  const instanceId = `salesforce-test-${++seq}`;
  const tokenStore = new InMemoryTokenStore();
  const http = createHttpClient({
    connectorId: 'salesforce',
    instanceId,
    auth: connector.auth({ config, credentials: sim.credentials, tokenStore, instanceId }),
    ...(connector.classify ? { classify: connector.classify } : {}),
    timeoutMs: 15_000,
  });
  const ctx: ConnectorContext<SalesforceConfig> = {
    instanceId,
    http,
    log: pino({ level: 'silent' }),
    config,
    credentials: sim.credentials,
  };
  return { ctx, tokenStore };
}

async function drain(stream: Stream, ctx: ConnectorContext<SalesforceConfig>, cursor: SoqlCursor | null) {
  const items: SoqlRecord[] = [];
  const batches: CanonicalBatch[] = [];
  let pages = 0;
  for (;;) {
    const page = await stream.fetchPage(ctx, cursor);
    pages++;
    items.push(...page.items);
    batches.push(...page.items.map((i) => stream.map(i, ctx)));
    cursor = page.nextCursor;
    if (page.done) return { items, batches, cursor, pages };
  }
}

const idsOf = (batches: CanonicalBatch[]) =>
  batches.flatMap((b) => [...(b.people ?? []), ...(b.interactions ?? [])].map((r) => r.externalId)).sort();

describe('salesforce connector against its simulator', () => {
  const population = generatePopulation({ seed: 11, people: 150, employees: 25 });
  let sim: SalesforceSimulator;
  let ctx: ConnectorContext<SalesforceConfig>;

  beforeEach(async () => {
    sim = await startSimulator({ population, minBatchSize: 1 });
    ctx = contextFor(sim, { batchSize: 15 }).ctx;
  });
  afterEach(async () => {
    ctx.http.close();
    await sim.close();
  });

  it('a full sync of every stream maps exactly the records the org holds, paging through nextRecordsUrl', async () => {
    for (const [stream, object] of STREAMS) {
      const { batches, pages, items } = await drain(stream, ctx, null);
      const expected = sim.stores[object]
        .list()
        .map((r) => r.id)
        .sort();
      expect(expected.length).toBeGreaterThan(10);
      expect(idsOf(batches)).toEqual(expected);
      expect(pages).toBe(Math.ceil(expected.length / 15));
      // what came through is what the API renders, field for field
      for (const item of items.slice(0, 5)) {
        const full = sim.render(object, sim.stores[object].get(item.Id)!);
        for (const [k, v] of Object.entries(item)) expect({ k, v }).toEqual({ k, v: full[k] ?? v });
      }
    }
    const contacts = await drain(contactsStream, ctx, null);
    const row = sim.stores.Contact.list()[0]!;
    const mapped = contacts.batches.flatMap((b) => b.people ?? []).find((p) => p.externalId === row.id)!;
    expect(mapped.identifiers).toContainEqual({
      kind: 'external',
      namespace: 'salesforce:contact',
      value: row.id,
    });
    if (row.Email) expect(mapped.identifiers).toContainEqual({ kind: 'email', value: row.Email });
    const cases = await drain(casesStream, ctx, null);
    const withOwner = cases.batches.flatMap((b) => b.interactions ?? []).filter((i) => i.handledBy?.email);
    expect(withOwner.length).toBeGreaterThan(0);
    expect(withOwner[0]!.person).toMatchObject({ objectType: 'contact' });
  });

  it('continues from the saved cursor with exactly the changes, deletions (queryAll) and creations', async () => {
    const contacts = await drain(contactsStream, ctx, null);
    const leads = await drain(leadsStream, ctx, null);
    const cases = await drain(casesStream, ctx, null);
    for (const [s, c] of [
      [contactsStream, contacts.cursor],
      [leadsStream, leads.cursor],
      [casesStream, cases.cursor],
    ] as const)
      expect((await drain(s, ctx, c)).items).toHaveLength(0);

    const [c1, c2] = sim.stores.Contact.list();
    sim.stores.Contact.update(c1!.id, { Title: 'Head of Procurement', Email: 'new.address@example.org' });
    // same second as the update above: SystemModstamp ties must not lose or repeat records
    sim.stores.Contact.update(c2!.id, { MailingCity: 'Leeds' });
    const lead = sim.stores.Lead.list()[0]!;
    sim.stores.Lead.remove(lead.id);
    const created = sim.stores.Case.create({
      CaseNumber: '00009999',
      Subject: 'Router on fire',
      Status: 'New',
      Origin: 'Phone',
      Priority: 'High',
      ContactId: c1!.id,
      SuppliedEmail: null,
      SuppliedPhone: null,
      OwnerId: null,
      ClosedDate: null,
    });

    const dc = await drain(contactsStream, ctx, contacts.cursor);
    expect(idsOf(dc.batches)).toEqual([c1!.id, c2!.id].sort());
    const p1 = dc.batches.flatMap((b) => b.people ?? []).find((p) => p.externalId === c1!.id)!;
    expect(p1.traits?.jobTitle).toBe('Head of Procurement');
    expect(p1.identifiers).toContainEqual({ kind: 'email', value: 'new.address@example.org' });
    const dl = await drain(leadsStream, ctx, leads.cursor);
    expect(dl.batches.flatMap((b) => b.people ?? [])).toEqual([
      expect.objectContaining({ externalId: lead.id, deleted: true }),
    ]);
    const dcase = await drain(casesStream, ctx, cases.cursor);
    expect(dcase.batches.flatMap((b) => b.interactions ?? [])).toEqual([
      expect.objectContaining({
        externalId: created.id,
        channel: 'voice',
        kind: 'ticket',
        summary: 'Router on fire',
      }),
    ]);
    // another update within the same second as the last one seen still comes through
    sim.stores.Contact.update(c2!.id, { MailingCity: 'York' });
    const again = await drain(contactsStream, ctx, dc.cursor);
    expect(idsOf(again.batches)).toEqual([c2!.id]);
    expect((await drain(contactsStream, ctx, again.cursor)).items).toHaveLength(0);
  });

  it('refreshes an expired session (401 INVALID_SESSION_ID) once and carries on mid-sync', async () => {
    const first = await contactsStream.fetchPage(ctx, null);
    expect(sim.tokensIssued).toBe(1);
    sim.expireSessions();
    const rest = await drain(contactsStream, ctx, first.nextCursor);
    expect(first.items.length + rest.items.length).toBe(sim.stores.Contact.list().length);
    expect(sim.tokensIssued).toBe(2);
    expect(sim.server.stats.count({ status: 401 })).toBe(1);
  });

  it('concurrent callers share one token refresh', async () => {
    await Promise.all(STREAMS.map(([s]) => s.fetchPage(ctx, null)));
    expect(sim.tokensIssued).toBe(1);
    sim.expireSessions();
    await Promise.all(STREAMS.map(([s]) => s.fetchPage(ctx, null)));
    expect(sim.tokensIssued).toBe(2);
  });

  it('backs off on 403 REQUEST_LIMIT_EXCEEDED and succeeds, reading Sforce-Limit-Info', async () => {
    await contactsStream.fetchPage(ctx, null);
    sim.limitExceededNext(2);
    const { items } = await drain(leadsStream, ctx, null);
    expect(items).toHaveLength(sim.stores.Lead.list().length);
    expect(sim.server.stats.count({ status: 403 })).toBe(2);
    expect(ctx.http.metrics().retries).toBeGreaterThanOrEqual(2);
    const res = await ctx.http.get(`${sim.url}/services/data/v60.0/query`, {
      params: { q: 'SELECT Id, SystemModstamp FROM User' },
    });
    expect(res.headers['sforce-limit-info']).toMatch(/^api-usage=\d+\/100000$/);
  });

  it('an org over its API limit fails the call with a rate-limit error, not an auth error', async () => {
    await sim.close();
    sim = await startSimulator({ population, minBatchSize: 1, apiLimit: 2 });
    ctx.http.close();
    ctx = contextFor(sim, { batchSize: 15 }).ctx;
    await contactsStream.fetchPage(ctx, null);
    await contactsStream.fetchPage(ctx, null);
    await expect(contactsStream.fetchPage(ctx, null)).rejects.toMatchObject({
      code: 'UPSTREAM_RATE_LIMITED',
      http: { status: 403 },
    });
  });

  it('an expired query locator falls back to a fresh query from the saved position', async () => {
    const first = await contactsStream.fetchPage(ctx, null);
    const stale: SoqlCursor = { ...first.nextCursor!, next: '/services/data/v60.0/query/01gSIM999999999-15' };
    const rest = await drain(contactsStream, ctx, stale);
    expect(idsOf([...first.items.map((i) => contactsStream.map(i, ctx)), ...rest.batches])).toEqual(
      sim.stores.Contact.list()
        .map((r) => r.id)
        .sort(),
    );
    expect(sim.server.stats.count({ status: 400 })).toBe(1);
  });

  it('the simulator answers bad SOQL the way Salesforce does', async () => {
    const q = (soql: string) => ctx.http.get(`${sim.url}/services/data/v60.0/query`, { params: { q: soql } });
    await expect(q('SELECT Nope FROM Contact')).rejects.toMatchObject({ http: { status: 400 } });
    await expect(q("SELECT Id FROM Contact WHERE SystemModstamp > '2026-01-01'")).rejects.toMatchObject({
      http: { status: 400 },
    });
    const bad = sim.server.stats.filter({ status: 400 });
    expect(bad).toHaveLength(2);
    const ok = await q(
      'SELECT Id, SystemModstamp FROM Contact WHERE SystemModstamp > 2000-01-01T00:00:00Z ORDER BY SystemModstamp LIMIT 3',
    );
    expect((ok.data as { records: unknown[] }).records).toHaveLength(3);
  });
});
