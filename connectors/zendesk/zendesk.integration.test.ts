import { readFileSync } from 'node:fs';
import express from 'express';
import { pino } from 'pino';
import {
  createHttpClient,
  InMemoryTokenStore,
  signZendesk,
  WebhookVerificationError,
  type CanonicalInteraction,
  type ConnectorContext,
  type HttpClient,
  type WebhookRequest,
} from '../../src/connector-kit/index.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import type { ZendeskConfig, ZendeskExportCursor, ZendeskTicketBundle, ZendeskUser } from './client.js';
import zendesk from './index.js';
import { mapTicket, mapUser } from './mapping.js';
import { startSimulator, type ZendeskSimulator } from './simulator.js';

const population = generatePopulation({ seed: 'zendesk-test', people: 120, employees: 30 });
const [usersStream, ticketsStream] = zendesk.streams as [
  (typeof zendesk.streams)[number],
  (typeof zendesk.streams)[number],
];
let instance = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function contextFor(
  sim: ZendeskSimulator,
  config: Partial<ZendeskConfig> = {},
  credentials: Record<string, string> = { email: sim.credentials.email, apiToken: sim.credentials.apiToken },
): ConnectorContext<ZendeskConfig> & { http: HttpClient } {
  const parsed = zendesk.configSchema.parse({ perPage: 40, commentsPageSize: 2, ...config });
  const instanceId = `zendesk-test-${++instance}`;
  const http = createHttpClient({
    connectorId: 'zendesk',
    instanceId,
    baseURL: sim.url,
    auth: zendesk.auth({ config: parsed, credentials, tokenStore: new InMemoryTokenStore(), instanceId }),
    timeoutMs: 15_000,
    backoff: { baseMs: 20, capMs: 100 },
  });
  return { instanceId, http, log: pino({ level: 'silent' }), config: parsed, credentials };
}

async function syncAll<T>(
  stream: typeof usersStream,
  ctx: ConnectorContext<ZendeskConfig>,
  cursor: ZendeskExportCursor | null,
): Promise<{ items: T[]; cursor: ZendeskExportCursor | null; pages: number }> {
  const items: T[] = [];
  let pages = 0;
  for (;;) {
    const page = await stream.fetchPage(ctx, cursor);
    pages++;
    items.push(...(page.items as T[]));
    cursor = page.nextCursor as ZendeskExportCursor | null;
    if (page.done) return { items, cursor, pages };
  }
}

describe('zendesk connector against its simulator', () => {
  let sim: ZendeskSimulator;
  let ctx: ReturnType<typeof contextFor>;
  beforeEach(async () => {
    sim = await startSimulator({ population, incrementalRequestsPerMinute: 6_000, exportLagMs: 0 });
    ctx = contextFor(sim);
  });
  afterEach(async () => {
    ctx.http.close();
    await sim.close();
  });

  it('full user sync: every end-user becomes a person with email, phone and zendesk:user id; agents do not', async () => {
    const { items, pages } = await syncAll<ZendeskUser>(usersStream, ctx, null);
    expect(pages).toBeGreaterThan(1);
    expect(items.map((u) => u.id).sort()).toEqual(
      sim
        .users()
        .map((u) => u.id)
        .sort(),
    );
    const people = items.flatMap((u) => usersStream.map(u, ctx).people ?? []);
    const endUsers = sim.users().filter((u) => u.role === 'end-user');
    expect(people.map((p) => p.externalId).sort()).toEqual(endUsers.map((u) => String(u.id)).sort());
    for (const u of endUsers) {
      const p = people.find((x) => x.externalId === String(u.id))!;
      expect(p.identifiers).toContainEqual({
        kind: 'external',
        namespace: 'zendesk:user',
        value: String(u.id),
      });
      if (u.email) expect(p.identifiers).toContainEqual({ kind: 'email', value: u.email });
      if (u.phone) expect(p.identifiers).toContainEqual({ kind: 'phone', value: u.phone });
      expect(p.traits?.displayName).toBe(u.name);
    }
    expect(sim.agents().length).toBeGreaterThan(0);
  });

  it('full ticket sync: conversations, ticket and comment interactions with sentiment on inbound comments', async () => {
    const { items } = await syncAll<ZendeskTicketBundle>(ticketsStream, ctx, null);
    expect(items.map((b) => b.ticket.id).sort()).toEqual(
      sim
        .tickets()
        .map((t) => t.id)
        .sort(),
    );
    const interactions = items.flatMap((b) => ticketsStream.map(b, ctx).interactions ?? []);
    const tickets = interactions.filter((i) => i.kind === 'ticket');
    const comments = interactions.filter((i) => i.kind === 'comment');
    expect(tickets).toHaveLength(sim.tickets().length);
    const allComments = sim.tickets().flatMap((t) => sim.comments(t.id).map((c) => ({ t, c })));
    expect(comments.map((i) => i.externalId).sort()).toEqual(
      allComments.map(({ c }) => `comment:${c.id}`).sort(),
    );
    // some tickets have more comments than one page of 2: paging was followed
    expect(Math.max(...sim.tickets().map((t) => sim.comments(t.id).length))).toBeGreaterThan(2);

    const agentsById = new Map(sim.agents().map((a) => [a.id, a]));
    for (const { t, c } of allComments) {
      const i = comments.find((x) => x.externalId === `comment:${c.id}`)!;
      expect(i.person).toEqual({ objectType: 'user', externalId: String(t.requester_id) });
      if (c.author_id === t.requester_id) {
        expect(i.direction).toBe('inbound');
        expect(i.sentiment).toBeGreaterThanOrEqual(-1);
        expect(i.sentiment).toBeLessThanOrEqual(1);
      } else {
        expect(i.direction).toBe(c.public ? 'outbound' : 'internal');
        expect(i.sentiment).toBeNull();
        expect(i.handledBy?.email).toBe(agentsById.get(c.author_id)?.email);
      }
    }
    const inbound = comments.filter((i) => i.direction === 'inbound');
    expect(inbound.some((i) => (i.sentiment ?? 0) < 0)).toBe(true);
    expect(inbound.some((i) => (i.sentiment ?? 0) > 0)).toBe(true);
    const assigned = sim.tickets().find((t) => t.assignee_id !== null)!;
    const ticket = tickets.find((i) => i.externalId === `ticket:${assigned.id}`)!;
    expect(ticket.conversation).toMatchObject({
      externalId: String(assigned.id),
      status: assigned.status,
      subject: assigned.subject,
      assignee: { email: agentsById.get(assigned.assignee_id!)?.email },
    });
  });

  it('resumes from after_cursor: exactly the created, changed and deleted tickets and users', async () => {
    const users0 = await syncAll<ZendeskUser>(usersStream, ctx, null);
    const tickets0 = await syncAll<ZendeskTicketBundle>(ticketsStream, ctx, null);
    expect((await syncAll(usersStream, ctx, users0.cursor)).items).toEqual([]);
    expect((await syncAll(ticketsStream, ctx, tickets0.cursor)).items).toEqual([]);

    const [a, b, c] = sim.tickets().filter((t) => t.status !== 'closed');
    const agent = sim.agents()[0]!;
    const endUsers = sim.users().filter((u) => u.role === 'end-user');
    const changed = endUsers[0]!;
    const gone = endUsers[1]!;
    sim.addComment(a!.id, { authorId: a!.requester_id, body: 'This is awful, still broken.' });
    sim.updateTicket(b!.id, { status: 'solved', assignee_id: agent.id });
    sim.deleteTicket(c!.id);
    const fresh = sim.createUser({
      name: 'Nova Newcomer',
      email: 'nova@example.org',
      phone: '+447700900555',
    });
    const d = sim.createTicket({ requesterId: fresh.id, subject: 'Hello', body: 'Thanks, love the product' });
    sim.updateUser(changed.id, { phone: '+447700900999' });
    sim.deleteUser(gone.id);

    const users1 = await syncAll<ZendeskUser>(usersStream, ctx, users0.cursor);
    expect(users1.items.map((u) => u.id).sort()).toEqual([fresh.id, changed.id, gone.id].sort());
    const deletedPerson = mapUser(
      users1.items.find((u) => u.id === gone.id)!,
      'x',
    ).people![0]!;
    expect(deletedPerson.deleted).toBe(true);
    const changedPerson = mapUser(
      users1.items.find((u) => u.id === changed.id)!,
      'x',
    ).people![0]!;
    expect(changedPerson.identifiers).toContainEqual({ kind: 'phone', value: '+447700900999' });

    const tickets1 = await syncAll<ZendeskTicketBundle>(ticketsStream, ctx, tickets0.cursor);
    expect(tickets1.items.map((x) => x.ticket.id).sort()).toEqual([a!.id, b!.id, c!.id, d.id].sort());
    const byId = new Map(tickets1.items.map((x) => [x.ticket.id, mapTicket(x).interactions!]));
    const newComment = byId.get(a!.id)!.find((i) => i.summary === 'This is awful, still broken.')!;
    expect(newComment.direction).toBe('inbound');
    expect(newComment.sentiment).toBeLessThan(0);
    expect(byId.get(b!.id)![0]).toMatchObject({
      conversation: { status: 'solved', assignee: { email: agent.email } },
    });
    expect(byId.get(c!.id)!.every((i: CanonicalInteraction) => i.deleted)).toBe(true);
    expect(byId.get(d.id)!.find((i) => i.kind === 'comment')!.sentiment).toBeGreaterThan(0);

    expect((await syncAll(ticketsStream, ctx, tickets1.cursor)).items).toEqual([]);
    expect((await syncAll(usersStream, ctx, users1.cursor)).items).toEqual([]);
  });

  it('leaves the last moments to the next run (Zendesk excludes the last minute) without losing them', async () => {
    const lagged = await startSimulator({
      population,
      incrementalRequestsPerMinute: 6_000,
      exportLagMs: 1_500,
    });
    const lctx = contextFor(lagged);
    try {
      const first = await syncAll<ZendeskTicketBundle>(ticketsStream, lctx, null);
      const requester = lagged.users().find((u) => u.role === 'end-user')!;
      const t = lagged.createTicket({ requesterId: requester.id, subject: 'Just now', body: 'hello' });
      const early = await syncAll<ZendeskTicketBundle>(ticketsStream, lctx, first.cursor);
      expect(early.items).toEqual([]);
      await sleep(1_600);
      const later = await syncAll<ZendeskTicketBundle>(ticketsStream, lctx, early.cursor);
      expect(later.items.map((x) => x.ticket.id)).toEqual([t.id]);
    } finally {
      lctx.http.close();
      await lagged.close();
    }
  });

  it('survives a burst of 429 + Retry-After in the middle of the export', async () => {
    const first = await ticketsStream.fetchPage(ctx, null);
    sim.sim.faults.throttleNext(2, { path: '/api/v2/incremental/*', retryAfterSeconds: 1 });
    const rest = await syncAll<ZendeskTicketBundle>(
      ticketsStream,
      ctx,
      first.nextCursor as ZendeskExportCursor,
    );
    expect(first.items.length + rest.items.length).toBe(sim.tickets({ includeDeleted: true }).length);
    expect(sim.sim.stats.count({ status: 429 })).toBe(2);
  });

  it('authenticates with an OAuth bearer token too, and refuses a wrong API token', async () => {
    const oauth = contextFor(sim, {}, { oauthToken: sim.credentials.oauthToken });
    const page = await usersStream.fetchPage(oauth, null);
    expect(page.items.length).toBeGreaterThan(0);
    oauth.http.close();
    const bad = contextFor(sim, {}, { email: sim.credentials.email, apiToken: 'wrong' });
    await expect(usersStream.fetchPage(bad, null)).rejects.toMatchObject({ code: 'UPSTREAM_AUTH' });
    bad.http.close();
    expect(() => contextFor(sim, {}, {})).toThrow(/oauthToken, or email and apiToken/);
  });
});

describe('zendesk simulator limits', () => {
  it('allows 10 incremental export requests a minute, then 429 with Retry-After; other endpoints are not held back', async () => {
    const sim = await startSimulator({ population });
    try {
      const auth = `Basic ${Buffer.from(`${sim.credentials.email}/token:${sim.credentials.apiToken}`).toString('base64')}`;
      const get = (path: string) => fetch(`${sim.url}${path}`, { headers: { authorization: auth } });
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++)
        statuses.push((await get('/api/v2/incremental/users/cursor.json?start_time=0')).status);
      expect(statuses).toEqual(Array(10).fill(200));
      const refused = await get('/api/v2/incremental/tickets/cursor.json?start_time=0');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await refused.json()).toMatchObject({ error: 'APIRateLimitExceeded' });
      const ticket = sim.tickets()[0]!;
      expect((await get(`/api/v2/tickets/${ticket.id}/comments.json`)).status).toBe(200);
      // the default one-minute lag hides a ticket created just now
      const requester = sim.users().find((u) => u.role === 'end-user')!;
      const t = sim.createTicket({ requesterId: requester.id, subject: 'x', body: 'y' });
      sim.sim.throttle.reset();
      const body = (await (await get('/api/v2/incremental/tickets/cursor.json?start_time=0')).json()) as {
        tickets: { id: number }[];
      };
      expect(body.tickets.map((x) => x.id)).not.toContain(t.id);
      expect(body.tickets).toHaveLength(sim.tickets().length - 1);
    } finally {
      await sim.close();
    }
  });
});

describe('zendesk webhooks', () => {
  const secret = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==';
  const config = zendesk.configSchema.parse({});
  const credentials = { webhookSecret: secret };
  const raw = Buffer.from(
    JSON.stringify({
      account_id: 1,
      detail: { id: '35436' },
      event: {},
      id: 'cbe4028c-7239-495d-b020-f22348516046',
      subject: 'zen:ticket:35436',
      time: '2026-11-25T10:00:00Z',
      type: 'zen:event-type:ticket.comment_added',
      zendesk_event_version: '2022-11-06',
    }),
  );
  const now = Date.parse('2026-11-25T10:00:30Z');
  const request = (body: Buffer, headers: Record<string, string>): WebhookRequest => ({
    method: 'POST',
    url: 'https://hub.example/webhooks/zendesk',
    path: '/webhooks/zendesk',
    headers,
    query: {},
    rawBody: body,
  });
  const verify = (req: WebhookRequest, nowMs = now) =>
    zendesk.webhooks!.verify(req, { config, credentials, nowMs });

  it('accepts a good signature and refuses tampered, stale, future, missing and wrong-secret ones', () => {
    const headers = signZendesk({ payload: raw, secret, timestamp: '2026-11-25T10:00:00Z' });
    expect(() => verify(request(raw, headers))).not.toThrow();
    const tampered = Buffer.from(raw.toString().replace('35436', '35437'));
    expect(() => verify(request(tampered, headers))).toThrow(WebhookVerificationError);
    expect(() => verify(request(raw, headers), now + 10 * 60_000)).toThrow(
      expect.objectContaining({ reason: 'stale' }),
    );
    expect(() => verify(request(raw, headers), now - 10 * 60_000)).toThrow(
      expect.objectContaining({ reason: 'stale' }),
    );
    expect(() => verify(request(raw, {}))).toThrow(WebhookVerificationError);
    const other = signZendesk({ payload: raw, secret: 'b3RoZXI=', timestamp: '2026-11-25T10:00:00Z' });
    expect(() => verify(request(raw, other))).toThrow(WebhookVerificationError);
  });

  it("parses one event with Zendesk's own event id, the same on a replay", () => {
    const req = request(raw, {});
    const first = zendesk.webhooks!.parse(req, { config });
    expect(first).toEqual([
      {
        id: 'cbe4028c-7239-495d-b020-f22348516046',
        type: 'zen:event-type:ticket.comment_added',
        payload: expect.any(Object),
      },
    ]);
    expect(zendesk.webhooks!.parse(req, { config })).toEqual(first);
    expect(() =>
      zendesk.webhooks!.parse(request(Buffer.from('{"subject":"zen:group:1"}'), {}), { config }),
    ).toThrow();
    expect(() => zendesk.webhooks!.parse(request(Buffer.from('not json'), {}), { config })).toThrow();
  });

  it('a simulator-sent event verifies and maps to the ticket as the sync would', async () => {
    const sim = await startSimulator({ population, incrementalRequestsPerMinute: 6_000, exportLagMs: 0 });
    const ctx = contextFor(sim);
    const received: WebhookRequest[] = [];
    const app = express();
    app.use(express.raw({ type: '*/*' }));
    app.post('/hook', (req, res) => {
      received.push(request(req.body as Buffer, req.headers as Record<string, string>));
      res.status(200).end();
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const hook = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
      const ticket = sim.tickets()[0]!;
      sim.addComment(ticket.id, { authorId: ticket.requester_id, body: 'Any news? I am getting annoyed.' });
      await sim.sendEvent(hook, { ticketId: ticket.id }, 'zen:event-type:ticket.comment_added');
      const req = received[0]!;
      const whCtx = { config: ctx.config, credentials: { webhookSecret: sim.credentials.webhookSecret } };
      expect(() => zendesk.webhooks!.verify(req, { ...whCtx, nowMs: Date.now() })).not.toThrow();
      const [event] = zendesk.webhooks!.parse(req, whCtx);
      const batch = await zendesk.webhooks!.map(event!, ctx);
      const sync = await syncAll<ZendeskTicketBundle>(ticketsStream, ctx, null);
      const fromSync = mapTicket(sync.items.find((b) => b.ticket.id === ticket.id)!);
      expect(batch).toEqual(fromSync);
      expect(batch.interactions!.some((i) => i.summary === 'Any news? I am getting annoyed.')).toBe(true);
    } finally {
      server.close();
      ctx.http.close();
      await sim.close();
    }
  });
});

describe('zendesk mapping (fixtures)', () => {
  const fixture = <T>(name: string) =>
    JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as T;

  it('maps an end-user with its cross-reference, and no person for an agent', () => {
    const { people } = mapUser(fixture<ZendeskUser>('user-end-user'), 'hubspot:contact');
    expect(people![0]).toMatchObject({
      objectType: 'user',
      externalId: '35436',
      updatedAt: '2011-05-05T10:38:52Z',
      deleted: false,
      traits: { displayName: 'Johnny Agent Smith', firstName: 'Johnny Agent', lastName: 'Smith' },
      identifiers: [
        { kind: 'external', namespace: 'zendesk:user', value: '35436' },
        { kind: 'email', value: 'johnny@example.com' },
        { kind: 'phone', value: '+15551234567' },
        { kind: 'external', namespace: 'hubspot:contact', value: 'sai989sur98w9' },
      ],
    });
    expect(mapUser(fixture<ZendeskUser>('user-agent'), 'hubspot:contact')).toEqual({});
  });

  it('maps a ticket and its comments: directions, first response, handledBy and sentiment', () => {
    const { interactions } = mapTicket(fixture<ZendeskTicketBundle>('ticket-bundle'));
    const [ticket, first, note, reply, thanks] = interactions!;
    const agent = { system: 'zendesk', externalId: '9873843', email: 'sam.support@touchpoint-demo.co.uk' };
    expect(ticket).toMatchObject({
      externalId: 'ticket:35436',
      kind: 'ticket',
      channel: 'email',
      direction: 'inbound',
      summary: 'Help, my printer is on fire!',
      handledBy: agent,
      person: { objectType: 'user', externalId: '35436' },
      conversation: {
        externalId: '35436',
        status: 'open',
        firstResponseAt: '2009-07-20T23:15:00Z',
        lastInboundAt: '2009-07-21T08:00:00Z',
        assignee: agent,
      },
    });
    expect(first).toMatchObject({
      externalId: 'comment:1274',
      direction: 'inbound',
      kind: 'comment',
      handledBy: agent,
    });
    expect(first?.sentiment).toBeGreaterThanOrEqual(-1);
    expect(note).toMatchObject({ direction: 'internal', sentiment: null, handledBy: agent });
    expect(reply).toMatchObject({
      direction: 'outbound',
      sentiment: null,
      attributes: { public: true, authorRole: 'agent' },
    });
    expect(thanks?.sentiment).toBeGreaterThan(0.3);
  });
});
