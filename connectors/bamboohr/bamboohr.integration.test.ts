import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import {
  createHttpClient,
  InMemoryTokenStore,
  signBambooHr,
  WebhookVerificationError,
  type CanonicalBatch,
  type ConnectorContext,
  type HttpClient,
  type WebhookRequest,
} from '../../src/connector-kit/index.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import type { BambooHrConfig, BambooHrItem } from './client.js';
import connector, { employeesStream, type BambooHrCursor } from './index.js';
import { startSimulator, type BambooHrSimulator } from './simulator.js';

const SPEC_PATH = '/work/shared/specs/bamboohr/public.yaml';
let instanceSeq = 0;

function contextFor(
  sim: BambooHrSimulator,
  overrides: Partial<BambooHrConfig> = {},
): ConnectorContext<BambooHrConfig> {
  const config = connector.configSchema.parse({ ...sim.config, ...overrides });
  const instanceId = `bamboohr-test-${++instanceSeq}`;
  const http: HttpClient = createHttpClient({
    connectorId: 'bamboohr',
    instanceId,
    auth: connector.auth({
      config,
      credentials: sim.credentials,
      tokenStore: new InMemoryTokenStore(),
      instanceId,
    }),
    ...(connector.classify ? { classify: connector.classify } : {}),
    timeoutMs: 15_000,
  });
  return { instanceId, http, log: pino({ level: 'silent' }), config, credentials: sim.credentials };
}

async function drain(
  ctx: ConnectorContext<BambooHrConfig>,
  cursor: BambooHrCursor | null,
): Promise<{
  items: BambooHrItem[];
  batches: CanonicalBatch[];
  cursor: BambooHrCursor | null;
  pages: number;
}> {
  const items: BambooHrItem[] = [];
  const batches: CanonicalBatch[] = [];
  let pages = 0;
  for (;;) {
    const page = await employeesStream.fetchPage(ctx, cursor);
    pages++;
    items.push(...page.items);
    batches.push(...page.items.map((i) => employeesStream.map(i, ctx)));
    cursor = page.nextCursor;
    if (page.done) return { items, batches, cursor, pages };
  }
}

describe('bamboohr connector against its simulator', () => {
  const population = generatePopulation({ seed: 7, people: 120, employees: 30 });
  let sim: BambooHrSimulator;
  let ctx: ConnectorContext<BambooHrConfig>;

  beforeEach(async () => {
    sim = await startSimulator({ population });
    ctx = contextFor(sim, { pageSize: 7 });
  });
  afterEach(async () => {
    ctx.http.close();
    await sim.close();
  });

  it('full sync maps every employee to an employee and a person record', async () => {
    const { batches, pages } = await drain(ctx, null);
    expect(pages).toBeGreaterThan(3); // 30 employees in pages of 7
    const employees = batches.flatMap((b) => b.employees ?? []);
    const people = batches.flatMap((b) => b.people ?? []);
    const expected = sim.store.list();
    expect(new Set(employees.map((e) => e.externalId))).toEqual(new Set(expected.map((e) => e.id)));
    expect(employees).toHaveLength(expected.length);
    for (const row of expected) {
      const e = employees.find((x) => x.externalId === row.id);
      expect(e).toMatchObject({
        displayName: `${row.firstName} ${row.lastName}`,
        title: row.jobTitleName,
        department: row.departmentName,
        managerExternalId: row.reportsToId,
        workEmails: [row.workEmail],
        status: 'active',
      });
      if (row.twitterUrl) expect(e?.handles?.x).toBe(row.twitterUrl.split('/').at(-1));
      const p = people.find((x) => x.externalId === row.id);
      expect(p?.identifiers).toContainEqual({
        kind: 'external',
        namespace: 'bamboohr:employee',
        value: row.id,
      });
      if (row.homeEmail) expect(p?.identifiers).toContainEqual({ kind: 'email', value: row.homeEmail });
      if (row.mobilePhone) expect(p?.identifiers).toContainEqual({ kind: 'phone', value: row.mobilePhone });
    }
    // staff who are also customers carry the personal email the customer systems know
    const customerStaff = population.employees.filter((e) => e.personId !== null);
    expect(customerStaff.length).toBeGreaterThan(0);
    for (const e of customerStaff) {
      const person = population.people.find((p) => p.personId === e.personId);
      const mapped = people.find((p) => p.externalId === e.employeeId);
      expect(mapped?.identifiers).toContainEqual({
        kind: 'email',
        value: person?.copies.hr?.email ?? e.personalEmail,
      });
    }
  });

  it('resumes from the saved cursor with exactly the created, changed and deleted employees', async () => {
    const first = await drain(ctx, null);
    expect(first.cursor?.mode).toBe('changes');
    // nothing changed: an incremental run brings nothing
    const idle = await drain(ctx, first.cursor);
    expect(idle.items).toHaveLength(0);

    const [a, b] = sim.store.list();
    sim.store.update(a!.id, { jobTitleName: 'Head of Touchpoints', departmentName: 'Operations' });
    sim.store.remove(b!.id);
    const created = sim.store.create({
      ...a!,
      id: '9001',
      firstName: 'Nia',
      lastName: 'Okafor',
      workEmail: 'nia.okafor@touchpoint-demo.co.uk',
      homeEmail: 'nia.okafor@example.net',
    });
    const next = await drain(ctx, idle.cursor);
    const byId = new Map(next.batches.map((batch) => [batch.people?.[0]?.externalId, batch]));
    expect([...byId.keys()].sort()).toEqual([a!.id, b!.id, created.id].sort());
    expect(byId.get(a!.id)?.employees?.[0]).toMatchObject({
      title: 'Head of Touchpoints',
      department: 'Operations',
    });
    expect(byId.get(b!.id)?.people?.[0]?.deleted).toBe(true);
    expect(byId.get(b!.id)?.employees ?? []).toHaveLength(0);
    expect(byId.get(created.id)?.employees?.[0]?.displayName).toBe('Nia Okafor');
    // and the run after that is quiet again
    expect((await drain(ctx, next.cursor)).items).toHaveLength(0);
  });

  it('treats an HTTP 200 with a 429 error body as a rate limit and still completes', async () => {
    const expected = sim.store.list().length;
    sim.rateLimitNext(2, 1);
    const { items } = await drain(ctx, null);
    expect(items).toHaveLength(expected);
    const quirks = sim.server.stats.filter({}).filter((r) => r.fault === 'throttle');
    expect(quirks).toHaveLength(2);
    expect(quirks.every((r) => r.status === 200)).toBe(true);
    expect(ctx.http.metrics().rateLimitWaits + ctx.http.metrics().retries).toBeGreaterThan(0);
  });

  it('survives a sustained throttling burst from the token bucket', async () => {
    await sim.close();
    sim = await startSimulator({ population, ratePerSecond: 2 });
    ctx.http.close();
    ctx = contextFor(sim, { pageSize: 5 });
    const { items } = await drain(ctx, null);
    expect(items).toHaveLength(sim.store.list().length);
    // requests the bucket refused never reached the routes
    expect(sim.server.stats.filter({}).length).toBeGreaterThan(sim.requests.length);
  });

  it('every request the connector makes exists in the OpenAPI document with its required parameters', async () => {
    const first = await drain(ctx, null);
    sim.store.update(sim.store.list()[0]!.id, { jobTitleName: 'Changed' });
    await drain(ctx, first.cursor);
    const spec = parseYaml(readFileSync(SPEC_PATH, 'utf8')) as {
      paths: Record<
        string,
        Record<string, { parameters?: { name: string; in: string; required?: boolean; style?: string }[] }>
      >;
    };
    const templates = Object.keys(spec.paths).map((p) => ({
      template: p,
      re: new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
    expect(sim.requests.length).toBeGreaterThan(4);
    for (const r of sim.requests) {
      // a literal path wins over a templated one, as OpenAPI requires
      const match = templates.find((t) => t.template === r.path) ?? templates.find((t) => t.re.test(r.path));
      expect(match).toBeDefined();
      const op = spec.paths[match!.template]![r.method.toLowerCase()];
      expect(op).toBeDefined();
      const params = (op!.parameters ?? []).filter((p) => p.in === 'query');
      for (const p of params.filter((x) => x.required)) expect(Object.keys(r.query)).toContain(p.name);
      for (const key of Object.keys(r.query)) {
        const base = key.replace(/\[.*$/, '');
        const declared = params.find((p) => p.name === base);
        expect({ key, declared: declared !== undefined }).toEqual({ key, declared: true });
        if (key !== base) expect(declared?.style).toBe('deepObject');
      }
    }
  });

  it('the simulator refuses a wrong API key with 401 and a malformed page cursor with BadPage', async () => {
    const bad = contextFor({ ...sim, credentials: { ...sim.credentials, apiKey: 'wrong' } });
    await expect(employeesStream.fetchPage(bad, null)).rejects.toMatchObject({ code: 'UPSTREAM_AUTH' });
    bad.http.close();
    await expect(
      employeesStream.fetchPage(ctx, { mode: 'full', after: 'zzz', since: new Date().toISOString() }),
    ).rejects.toMatchObject({
      http: { status: 400 },
    });
  });
});

describe('bamboohr webhooks', () => {
  const population = generatePopulation({ seed: 8, people: 60, employees: 12 });
  let sim: BambooHrSimulator;
  let received: WebhookRequest[];
  let hub: import('node:http').Server;
  let hubUrl: string;

  beforeAll(async () => {
    sim = await startSimulator({ population });
    const http = await import('node:http');
    received = [];
    hub = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          method: req.method ?? 'POST',
          url: `${hubUrl}${req.url ?? ''}`,
          path: req.url ?? '/',
          headers: req.headers as WebhookRequest['headers'],
          query: {},
          rawBody: Buffer.concat(chunks),
        });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((r) => hub.listen(0, '127.0.0.1', r));
    hubUrl = `http://127.0.0.1:${(hub.address() as import('node:net').AddressInfo).port}`;
  });
  afterAll(async () => {
    await sim.close();
    await new Promise<void>((r) => hub.close(() => r()));
  });

  const verify = (req: WebhookRequest, nowMs = Date.now()) =>
    connector.webhooks!.verify(req, {
      config: sim.config as unknown as BambooHrConfig,
      credentials: sim.credentials,
      nowMs,
    });

  it('accepts a signed delivery, parses a stable event id and maps it by reading the employee back', async () => {
    const target = sim.store.list()[3]!;
    await sim.deliverWebhook(`${hubUrl}/webhooks/bamboohr`, {
      type: 'employee.updated',
      employeeId: target.id,
      changedFields: ['jobTitle'],
    });
    const req = received.at(-1)!;
    expect(() => verify(req)).not.toThrow();
    const events = connector.webhooks!.parse(req, { config: sim.config as unknown as BambooHrConfig });
    expect(events).toHaveLength(1);
    expect(events[0]!.type).toBe('employee.updated');
    // the same bytes parse to the same id (idempotency), another delivery to another id
    expect(connector.webhooks!.parse(req, { config: sim.config as unknown as BambooHrConfig })[0]!.id).toBe(
      events[0]!.id,
    );
    const ctx = contextFor(sim);
    const batch = await connector.webhooks!.map(events[0]!, ctx);
    ctx.http.close();
    expect(batch.employees?.[0]).toMatchObject({ externalId: target.id, title: target.jobTitleName });
    expect(batch.people?.[0]?.identifiers).toContainEqual({
      kind: 'external',
      namespace: 'bamboohr:employee',
      value: target.id,
    });
  });

  it('refuses tampered, wrongly keyed, unsigned and stale deliveries', async () => {
    await sim.deliverWebhook(`${hubUrl}/w`, { type: 'employee.deleted', employeeId: '1001' });
    const good = received.at(-1)!;
    const tampered = { ...good, rawBody: Buffer.from(good.rawBody.toString().replace('1001', '1002')) };
    expect(() => verify(tampered)).toThrow(WebhookVerificationError);
    await sim.deliverWebhook(
      `${hubUrl}/w`,
      { type: 'employee.deleted', employeeId: '1001' },
      { secret: 'other' },
    );
    expect(() => verify(received.at(-1)!)).toThrow(WebhookVerificationError);
    expect(() => verify({ ...good, headers: { 'content-type': 'application/json' } })).toThrow(
      expect.objectContaining({ reason: 'missing_signature' }) as Error,
    );
    // replayed ten minutes later: outside the 300 s window
    expect(() => verify(good, Date.now() + 600_000)).toThrow(
      expect.objectContaining({ reason: 'stale' }) as Error,
    );
    const old = Math.floor(Date.now() / 1000) - 3600;
    const body = Buffer.from(
      JSON.stringify({ type: 'employee.created', timestamp: 'x', data: { employeeId: '1' } }),
    );
    const staleReq = {
      ...good,
      rawBody: body,
      headers: signBambooHr({
        payload: body,
        secret: sim.credentials.webhookPrivateKey!,
        timestampSeconds: old,
      }),
    };
    expect(() => verify(staleReq)).toThrow(expect.objectContaining({ reason: 'stale' }) as Error);
  });

  it('maps a deletion without calling BambooHR and parses field-based payloads too', async () => {
    await sim.deliverWebhook(`${hubUrl}/w`, { type: 'employee.deleted', employeeId: '1001' });
    const req = received.at(-1)!;
    const [event] = connector.webhooks!.parse(req, { config: sim.config as unknown as BambooHrConfig });
    const before = sim.requests.length;
    const ctx = contextFor(sim);
    const batch = await connector.webhooks!.map(event!, ctx);
    ctx.http.close();
    expect(sim.requests.length).toBe(before);
    expect(batch.people?.[0]).toMatchObject({ externalId: '1001', deleted: true });

    const fieldBased = Buffer.from(
      JSON.stringify({
        employees: [
          { id: '1003', action: 'Updated', timestamp: '2026-02-01T10:00:00Z', changedFields: ['firstName'] },
          { id: '1004', action: 'Deleted', timestamp: '2026-02-01T10:00:01Z' },
        ],
      }),
    );
    const events = connector.webhooks!.parse(
      { ...req, rawBody: fieldBased },
      { config: sim.config as unknown as BambooHrConfig },
    );
    expect(events.map((e) => e.type)).toEqual(['employee.updated', 'employee.deleted']);
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
    expect(() =>
      connector.webhooks!.parse(
        { ...req, rawBody: Buffer.from('not json') },
        { config: sim.config as unknown as BambooHrConfig },
      ),
    ).toThrow();
  });
});
