import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { signZendesk } from '../../src/connector-kit/index.js';
import {
  basic,
  bearer,
  createRng,
  MemoryStore,
  sendWebhook,
  startSimulator as startKitSimulator,
  viewsFor,
  type Population,
  type RunningSimulator,
  type SendWebhookResult,
  type Stored,
} from '../../src/simulator-kit/index.js';
import type {
  ZendeskComment,
  ZendeskRole,
  ZendeskTicket,
  ZendeskTicketStatus,
  ZendeskUser,
} from './client.js';

export interface ZendeskSimulatorOptions {
  population: Population;
  port?: number;
  trickleEveryMs?: number;
  /** Zendesk allows 10 incremental export requests per minute; tests may raise it */
  incrementalRequestsPerMinute?: number;
  /** Zendesk leaves out items changed within the last minute (default 60 000 ms) */
  exportLagMs?: number;
  /** where ticket/user events are delivered (the hub's webhook URL); none when omitted */
  webhookUrl?: string;
}

// explicit rows: Omit<> over the vendor types would lose their fields to the index signature
interface UserRow {
  name: string;
  email: string | null;
  phone: string | null;
  external_id: string | null;
  role: ZendeskRole;
  active: boolean;
  verified: boolean;
  time_zone: string | null;
  locale: string | null;
  organization_id: number | null;
}
interface TicketRow {
  external_id: string | null;
  subject: string | null;
  description: string | null;
  status: ZendeskTicketStatus;
  priority: string | null;
  type: string | null;
  requester_id: number;
  submitter_id: number | null;
  assignee_id: number | null;
  group_id: number | null;
  organization_id: number | null;
  tags: string[];
  via: { channel: string };
  /** seeded history: when the ticket was opened, when that is earlier than its last change */
  opened_at?: string;
}

export interface ZendeskSimulator {
  url: string;
  credentials: { email: string; apiToken: string; oauthToken: string; webhookSecret: string };
  config: { startTime: number; perPage: number };
  sim: RunningSimulator;
  users(opts?: { includeDeleted?: boolean }): ZendeskUser[];
  tickets(opts?: { includeDeleted?: boolean }): ZendeskTicket[];
  comments(ticketId: number): ZendeskComment[];
  agents(): ZendeskUser[];
  createUser(input: {
    name: string;
    email?: string | null;
    phone?: string | null;
    role?: ZendeskRole;
  }): ZendeskUser;
  updateUser(id: number, patch: Partial<UserRow>): ZendeskUser;
  deleteUser(id: number): void;
  createTicket(input: {
    requesterId: number;
    subject: string;
    body: string;
    assigneeId?: number | null;
  }): ZendeskTicket;
  addComment(ticketId: number, input: { authorId: number; body: string; public?: boolean }): ZendeskComment;
  updateTicket(id: number, patch: Partial<TicketRow>): ZendeskTicket;
  deleteTicket(id: number): void;
  /** POSTs a signed event-subscription webhook for a ticket or user to `url` */
  sendEvent(
    url: string,
    subject: { ticketId?: number; userId?: number },
    type: string,
  ): Promise<SendWebhookResult>;
  close(): Promise<void>;
}

const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const hex = (label: string, n = 32): string => createHash('sha256').update(label).digest('hex').slice(0, n);

const INBOUND_TEXTS = [
  'My order arrived damaged and nobody has answered my emails. This is terrible service.',
  'I was charged twice this month, please refund the duplicate payment.',
  'Thank you so much, the new router works perfectly now!',
  'The app keeps crashing when I try to log in. Very frustrating.',
  'Could you tell me when my replacement card will arrive?',
  'Great help from your team yesterday, really appreciated.',
  'Still waiting for a reply. I am disappointed and angry.',
  'How do I change the address on my account?',
];
const AGENT_REPLIES = [
  'Thanks for getting in touch. I have looked into this and sorted it for you.',
  'Sorry for the trouble. I have issued a refund, it will show in 3-5 working days.',
  'Could you send us a screenshot of the error so we can investigate?',
];
const NOTES = [
  'Customer called twice about this, escalate if no fix by Friday.',
  'Checked billing: duplicate charge confirmed.',
];
const SUBJECTS = [
  'Damaged delivery',
  'Double charge',
  'Login problem',
  'Card replacement',
  'Change of address',
  'Router setup',
];

function zendeskError(res: Response, status: number, error: string, description: string): void {
  res.status(status).json({ error, description });
}

/**
 * Zendesk Support on loopback: API-token Basic (`{email}/token:{token}`) and OAuth Bearer auth,
 * cursor-based incremental exports of tickets and users (start_time, cursor, after_cursor,
 * end_of_stream, the one-minute lag, 10 requests/minute with 429 + Retry-After), ticket
 * comments with cursor paging and sideloaded users, ticket/user show, and signed webhooks.
 */
export async function startSimulator(options: ZendeskSimulatorOptions): Promise<ZendeskSimulator> {
  const seed = String(options.population.seed);
  const rng = createRng(`${seed}:zendesk`);
  const lagMs = options.exportLagMs ?? 60_000;
  const email = `api@${options.population.organisation.domain}`;
  const apiToken = hex(`${seed}:zendesk:token`, 40);
  const oauthToken = hex(`${seed}:zendesk:oauth`, 64);
  const webhookSecret = Buffer.from(hex(`${seed}:zendesk:webhook`)).toString('base64');

  const users = new MemoryStore<UserRow>({ idFactory: (n) => String(360_000_000_000 + n) });
  const tickets = new MemoryStore<TicketRow>({ idFactory: (n) => String(n) });
  const comments = new Map<string, ZendeskComment[]>();
  let commentCounter = 10_000_000_000;
  let base = '';

  const userJson = (u: Stored<UserRow>): ZendeskUser => ({
    ...u,
    id: Number(u.id),
    url: `${base}/api/v2/users/${u.id}.json`,
    active: u.deletedAt === null && u.active,
    created_at: iso(u.createdAt),
    updated_at: iso(u.updatedAt),
    createdAt: undefined,
    updatedAt: undefined,
    deletedAt: undefined,
    version: undefined,
  });
  const ticketJson = (t: Stored<TicketRow>): ZendeskTicket => ({
    ...t,
    id: Number(t.id),
    url: `${base}/api/v2/tickets/${t.id}.json`,
    status: t.deletedAt ? 'deleted' : t.status,
    created_at: t.opened_at ?? iso(t.createdAt),
    opened_at: undefined,
    updated_at: iso(t.updatedAt),
    generated_timestamp: Math.floor(t.updatedAt.getTime() / 1000),
    createdAt: undefined,
    updatedAt: undefined,
    deletedAt: undefined,
    version: undefined,
  });
  // the JSON answer drops the store's own bookkeeping fields
  const clean = <T extends object>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

  function newUser(
    input: {
      name: string;
      email?: string | null;
      phone?: string | null;
      role?: ZendeskRole;
      external_id?: string | null;
    },
    at?: Date,
  ) {
    return users.create(
      {
        name: input.name,
        email: input.email ?? null,
        phone: input.phone ?? null,
        external_id: input.external_id ?? null,
        role: input.role ?? 'end-user',
        active: true,
        verified: true,
        time_zone: 'London',
        locale: 'en-GB',
        organization_id: null,
      },
      at,
    );
  }

  function comment(
    ticketId: string,
    authorId: number,
    body: string,
    isPublic: boolean,
    at: Date,
  ): ZendeskComment {
    commentCounter += 1;
    const c: ZendeskComment = {
      id: commentCounter,
      type: 'Comment',
      author_id: authorId,
      body,
      html_body: `<div class="zd-comment"><p>${body}</p></div>`,
      plain_body: body,
      public: isPublic,
      attachments: [],
      audit_id: commentCounter + 1,
      via: { channel: 'web', source: { from: {}, to: {}, rel: null } },
      created_at: iso(at),
      metadata: { system: {}, custom: {} },
    };
    comments.set(ticketId, [...(comments.get(ticketId) ?? []), c]);
    return c;
  }

  // agents are the Support department; end-users are the contact-centre views of people
  const agents = options.population.employees
    .filter((e) => e.department === 'Support')
    .map((e) =>
      newUser(
        { name: `${e.firstName} ${e.lastName}`, email: e.workEmail, phone: e.workPhone, role: 'agent' },
        new Date(Date.UTC(2025, 0, 2)),
      ),
    );
  if (agents.length === 0)
    agents.push(
      newUser(
        { name: 'Support Agent', email: `agent@${options.population.organisation.domain}`, role: 'agent' },
        new Date(Date.UTC(2025, 0, 2)),
      ),
    );
  const now = Date.now();
  const history = (daysAgoMax: number) => new Date(now - rng.int(2 * 3600, daysAgoMax * 86_400) * 1000);
  const endUsers = viewsFor(options.population, 'contact_centre').map((v) =>
    newUser(
      {
        name: `${v.firstName} ${v.lastName}`,
        email: v.email,
        phone: rng.chance(0.6) ? v.phone : null,
        external_id: rng.chance(0.2) ? `cust-${v.personId}` : null,
      },
      history(400),
    ),
  );
  // tickets created in time order, so store order = creation order
  const seeds: { at: Date; requester: Stored<UserRow> }[] = [];
  for (const u of endUsers)
    for (let i = rng.int(0, 2); i > 0; i--) seeds.push({ at: history(120), requester: u });
  seeds.sort((a, b) => a.at.getTime() - b.at.getTime());
  for (const { at, requester } of seeds) {
    const agent = rng.pick(agents);
    const status = rng.weighted<ZendeskTicketStatus>([
      ['solved', 4],
      ['closed', 3],
      ['open', 2],
      ['pending', 1],
      ['new', 1],
    ]);
    const body = rng.pick(INBOUND_TEXTS);
    const steps: Date[] = [at];
    // every step stays more than an hour in the past, clear of the export's one-minute lag
    for (let i = 1; i < 4; i++)
      steps.push(
        new Date(Math.min(steps[i - 1]!.getTime() + rng.int(600, 86_400) * 1000, now - 3_600_000 + i * 1000)),
      );
    const lastStep = status === 'new' ? steps[0]! : steps.at(-1)!;
    const t = tickets.create(
      {
        external_id: null,
        subject: rng.pick(SUBJECTS),
        description: body,
        status,
        priority: rng.pick(['low', 'normal', 'high', 'urgent']),
        type: rng.pick(['question', 'incident', 'problem', null]),
        requester_id: Number(requester.id),
        submitter_id: Number(requester.id),
        assignee_id: status === 'new' ? null : Number(agent.id),
        group_id: null,
        organization_id: null,
        tags: [],
        via: { channel: rng.pick(['email', 'web', 'voice']) },
        opened_at: iso(at),
      },
      lastStep,
    );
    comment(t.id, Number(requester.id), body, true, steps[0]!);
    if (status === 'new') continue;
    if (rng.chance(0.3)) comment(t.id, Number(agent.id), rng.pick(NOTES), false, steps[1]!);
    comment(t.id, Number(agent.id), rng.pick(AGENT_REPLIES), true, steps[2]!);
    if (rng.chance(0.5)) comment(t.id, Number(requester.id), rng.pick(INBOUND_TEXTS), true, steps[3]!);
  }

  // incremental cursor: the position (updated_at ms, id) of the last item handed out
  const encode = (ms: number, id: string) => Buffer.from(`${ms}||${id}|`).toString('base64url');
  const decode = (cursor: string): { ms: number; id: string } | null => {
    const m = /^(\d+)\|\|(\d*)\|$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
    return m ? { ms: Number(m[1]), id: m[2] ?? '' } : null;
  };
  const idOrder = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

  function exportRoute<T extends object>(
    store: MemoryStore<T>,
    key: 'tickets' | 'users',
    toJson: (row: Stored<T>) => object,
    sideload?: (rows: Stored<T>[]) => object[],
  ) {
    return (req: Request, res: Response) => {
      const q = req.query as Record<string, string | undefined>;
      const perPage = q.per_page === undefined ? 1000 : Number(q.per_page);
      if (!Number.isInteger(perPage) || perPage < 1 || perPage > 1000)
        return zendeskError(res, 400, 'InvalidPaginationParameter', 'per_page must be between 1 and 1000');
      let from: { ms: number; id: string };
      if (q.cursor !== undefined) {
        const c = decode(q.cursor);
        if (!c) return zendeskError(res, 400, 'InvalidValue', 'Invalid cursor');
        from = c;
      } else if (q.start_time !== undefined && /^\d+$/.test(q.start_time)) {
        const start = Number(q.start_time) * 1000;
        if (start > Date.now()) return zendeskError(res, 400, 'InvalidValue', 'start_time is in the future');
        // start_time is inclusive: position just before it
        from = { ms: start - 1, id: '~' };
      } else {
        return zendeskError(res, 400, 'InvalidValue', 'start_time or cursor is required');
      }
      const horizon = Date.now() - lagMs;
      const rows = store
        .list({ includeDeleted: true })
        .filter((r) => {
          const ms = r.updatedAt.getTime();
          // the last minute is left for the next call (lag 0: no holdback; the store clock may run a few ms ahead)
          if (lagMs > 0 && ms > horizon) return false;
          return ms > from.ms || (ms === from.ms && from.id !== '~' && idOrder(r.id, from.id) > 0);
        })
        .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime() || idOrder(a.id, b.id));
      const page = rows.slice(0, perPage);
      const last = page.at(-1);
      const after = last
        ? encode(last.updatedAt.getTime(), last.id)
        : encode(Math.max(from.ms, 0), from.id === '~' ? '' : from.id);
      const path = `/api/v2/incremental/${key}/cursor.json`;
      res.json({
        [key]: page.map(toJson),
        ...(sideload && q.include?.split(',').includes('users') ? { users: sideload(page) } : {}),
        after_url: `${base}${path}?cursor=${after}`,
        after_cursor: after,
        before_url: null,
        before_cursor: null,
        end_of_stream: rows.length <= perPage,
      });
    };
  }

  const usersOfTickets = (rows: Stored<TicketRow>[]): object[] => {
    const ids = new Set<number>();
    for (const t of rows)
      for (const id of [t.requester_id, t.submitter_id, t.assignee_id]) if (id !== null) ids.add(id);
    return [...ids].flatMap((id) => {
      const u = users.get(String(id), { includeDeleted: true });
      return u ? [clean(userJson(u))] : [];
    });
  };

  const sim = await startKitSimulator({
    name: 'zendesk',
    ...(options.port !== undefined ? { port: options.port } : {}),
    auth: {
      schemes: [basic({ [`${email}/token`]: apiToken }), bearer([oauthToken])],
      unauthorized: ({ res }) => res.status(401).json({ error: "Couldn't authenticate you" }),
    },
    throttle: {
      capacity: options.incrementalRequestsPerMinute ?? 10,
      refillPerSecond: (options.incrementalRequestsPerMinute ?? 10) / 60,
      except: [/^\/api\/v2\/(?!incremental\/)/],
      respond: ({ res, retryAfterSeconds }) => {
        res
          .status(429)
          .set('Retry-After', String(Math.max(1, Math.ceil(retryAfterSeconds))))
          .json({
            error: 'APIRateLimitExceeded',
            description: 'Number of allowed incremental export API requests per minute exceeded',
          });
      },
    },
    failureBody: () => ({ error: 'InternalError', description: 'Something went wrong' }),
    notFound: (_req, res) => zendeskError(res, 404, 'InvalidEndpoint', 'Not found'),
    routes: (app) => {
      app.get(
        '/api/v2/incremental/tickets/cursor.json',
        exportRoute(tickets, 'tickets', (t) => clean(ticketJson(t)), usersOfTickets),
      );
      app.get(
        '/api/v2/incremental/users/cursor.json',
        exportRoute(users, 'users', (u) => clean(userJson(u))),
      );

      app.get('/api/v2/tickets/:id/comments.json', (req, res) => {
        const t = tickets.get(String(req.params.id));
        if (!t) return zendeskError(res, 404, 'RecordNotFound', 'Not found');
        const q = req.query as Record<string, unknown>;
        const pageQ = (q.page ?? {}) as Record<string, string | undefined>;
        const size = Number(q['page[size]'] ?? pageQ.size ?? 100);
        if (!Number.isInteger(size) || size < 1 || size > 100)
          return zendeskError(res, 400, 'InvalidPaginationParameter', 'page[size] must be between 1 and 100');
        const after = (q['page[after]'] ?? pageQ.after) as string | undefined;
        const all = comments.get(t.id) ?? [];
        const start = after
          ? all.findIndex((c) => String(c.id) === Buffer.from(after, 'base64url').toString()) + 1
          : 0;
        if (after && start === 0)
          return zendeskError(res, 400, 'InvalidPaginationParameter', 'Invalid page[after]');
        const page = all.slice(start, start + size);
        const hasMore = start + size < all.length;
        const afterCursor =
          hasMore && page.length ? Buffer.from(String(page.at(-1)!.id)).toString('base64url') : null;
        const include = typeof q.include === 'string' && q.include.split(',').includes('users');
        res.json({
          comments: page,
          ...(include
            ? {
                users: [...new Set(page.map((c) => c.author_id))].flatMap((id) => {
                  const u = users.get(String(id), { includeDeleted: true });
                  return u ? [clean(userJson(u))] : [];
                }),
              }
            : {}),
          meta: { has_more: hasMore, after_cursor: afterCursor, before_cursor: null },
          links: {
            prev: null,
            next: afterCursor
              ? `${base}/api/v2/tickets/${t.id}/comments.json?page[size]=${size}&page[after]=${afterCursor}`
              : null,
          },
        });
      });

      app.get('/api/v2/tickets/:id.json', (req, res) => {
        const t = tickets.get(String(req.params.id));
        if (!t) return zendeskError(res, 404, 'RecordNotFound', 'Not found');
        const include =
          typeof req.query.include === 'string' && req.query.include.split(',').includes('users');
        res.json({ ticket: clean(ticketJson(t)), ...(include ? { users: usersOfTickets([t]) } : {}) });
      });

      app.get('/api/v2/users/:id.json', (req, res) => {
        const u = users.get(String(req.params.id));
        if (!u) return zendeskError(res, 404, 'RecordNotFound', 'Not found');
        res.json({ user: clean(userJson(u)) });
      });
    },
  });
  base = sim.url;

  const touch = (ticketId: string) => tickets.update(ticketId, {});
  const mustTicket = (id: number) => {
    const t = tickets.get(String(id));
    if (!t) throw new Error(`no ticket ${id}`);
    return t;
  };

  const api: ZendeskSimulator = {
    url: sim.url,
    credentials: { email, apiToken, oauthToken, webhookSecret },
    config: { startTime: 0, perPage: 1000 },
    sim,
    users: (opts = {}) => users.list(opts).map((u) => clean(userJson(u))),
    tickets: (opts = {}) => tickets.list(opts).map((t) => clean(ticketJson(t))),
    comments: (ticketId) => [...(comments.get(String(ticketId)) ?? [])],
    agents: () => users.list({ where: (u) => u.role !== 'end-user' }).map((u) => clean(userJson(u))),
    createUser: (input) => clean(userJson(newUser(input))),
    updateUser: (id, patch) => clean(userJson(users.update(String(id), patch))),
    deleteUser: (id) => void users.remove(String(id)),
    createTicket({ requesterId, subject, body, assigneeId = null }) {
      const t = tickets.create({
        external_id: null,
        subject,
        description: body,
        status: 'new',
        priority: 'normal',
        type: 'question',
        requester_id: requesterId,
        submitter_id: requesterId,
        assignee_id: assigneeId,
        group_id: null,
        organization_id: null,
        tags: [],
        via: { channel: 'web' },
      });
      comment(t.id, requesterId, body, true, t.createdAt);
      return clean(ticketJson(t));
    },
    addComment(ticketId, { authorId, body, public: isPublic = true }) {
      mustTicket(ticketId);
      const c = comment(String(ticketId), authorId, body, isPublic, new Date());
      touch(String(ticketId)); // a new comment changes the ticket's updated_at
      return c;
    },
    updateTicket: (id, patch) => (mustTicket(id), clean(ticketJson(tickets.update(String(id), patch)))),
    deleteTicket: (id) => void tickets.remove(String(id)),
    async sendEvent(url, subject, type) {
      const ticket =
        subject.ticketId !== undefined
          ? tickets.get(String(subject.ticketId), { includeDeleted: true })
          : undefined;
      const user =
        subject.userId !== undefined
          ? users.get(String(subject.userId), { includeDeleted: true })
          : undefined;
      const body = {
        account_id: 10_000_001,
        detail: ticket ? clean(ticketJson(ticket)) : user ? clean(userJson(user)) : {},
        event: {},
        id: `${hex(`${seed}:event:${Date.now()}:${Math.random()}`, 8)}-${hex(String(Math.random()), 4)}-4${hex(String(Math.random()), 3)}-a${hex(String(Math.random()), 3)}-${hex(String(Math.random()), 12)}`,
        subject: ticket ? `zen:ticket:${ticket.id}` : `zen:user:${user?.id ?? 0}`,
        time: iso(new Date()),
        type,
        zendesk_event_version: '2022-11-06',
      };
      return sendWebhook({ url, body, sign: (raw) => signZendesk({ payload: raw, secret: webhookSecret }) });
    },
    close: async () => {
      if (timer) clearInterval(timer);
      await sim.close();
    },
  };

  let timer: NodeJS.Timeout | undefined;
  if (options.trickleEveryMs && endUsers.length > 0) {
    const live = createRng(`${seed}:zendesk:trickle`);
    timer = setInterval(() => {
      const open = tickets.list({ where: (t) => t.status === 'new' || t.status === 'open' });
      let ticketId: number;
      if (open.length > 0 && live.chance(0.5)) {
        const t = live.pick(open);
        const agent = live.pick(agents);
        api.addComment(Number(t.id), { authorId: Number(agent.id), body: live.pick(AGENT_REPLIES) });
        api.updateTicket(Number(t.id), { status: 'pending', assignee_id: Number(agent.id) });
        ticketId = Number(t.id);
      } else {
        const requester = live.pick(endUsers);
        ticketId = api.createTicket({
          requesterId: Number(requester.id),
          subject: live.pick(SUBJECTS),
          body: live.pick(INBOUND_TEXTS),
        }).id;
      }
      if (options.webhookUrl)
        void api
          .sendEvent(options.webhookUrl, { ticketId }, 'zen:event-type:ticket.comment_added')
          .catch(() => undefined);
    }, options.trickleEveryMs);
    timer.unref();
  }
  return api;
}
