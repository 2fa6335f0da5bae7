import type { Request, Response } from 'express';
import {
  bearer,
  createRng,
  decodeCursor,
  encodeCursor,
  startSimulator as startKitSimulator,
  viewsFor,
  type Population,
  type ThrottleState,
} from '../../src/simulator-kit/index.js';
import { signX } from '../../src/connector-kit/index.js';
import { compareIds, oneToOneConversationId, type XDmEvent, type XPost, type XUser } from './client.js';

const TWITTER_EPOCH = 1288834974657n;
const BRAND: XUser = { id: '1500000000000000001', username: 'TouchpointDemo', name: 'Touchpoint Demo' };
const WINDOW_SECONDS = 900; // X limits are per 15-minute window

const POSITIVE = [
  'Thanks @TouchpointDemo, great help today!',
  'Love the new app @TouchpointDemo',
  '@TouchpointDemo brilliant support, thank you',
];
const NEGATIVE = [
  '@TouchpointDemo still waiting for my refund, terrible service',
  '@TouchpointDemo your app is broken again, awful',
  'Really disappointed with @TouchpointDemo',
];
const NEUTRAL = [
  '@TouchpointDemo what time do you open on Sunday?',
  '@TouchpointDemo is the outage fixed?',
  'Question for @TouchpointDemo about my order',
];

export interface XSimulatorRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

export interface XSimulator {
  url: string;
  credentials: Record<string, string>;
  config: Record<string, unknown>;
  close(): Promise<void>;
  /** every API request with its query, for the OpenAPI conformance check */
  requests: XSimulatorRequest[];
  users: Map<string, XUser>;
  mentions(): XPost[];
  dmEvents(): XDmEvent[];
  addMention(authorId: string, text: string, at?: Date): XPost;
  addDm(senderId: string, recipientId: string, text: string, at?: Date): XDmEvent;
  deleteMention(id: string): void;
  renameUser(id: string, username: string): void;
  /** access tokens stop working (as after 2 h): the connector must refresh */
  expireAccessTokens(): void;
  kit: Awaited<ReturnType<typeof startKitSimulator>>;
  /** builds an Account Activity delivery and its signature, as X would POST it */
  accountActivity(
    kind: 'mention' | 'dm',
    opts: { authorId: string; text: string; at?: Date },
  ): { body: string; headers: Record<string, string> };
}

const problem = (res: Response, status: number, title: string, detail: string, type = 'about:blank') =>
  res.status(status).json({ title, detail, type, status });

const MENTIONS_PARAMS = new Set([
  'max_results',
  'pagination_token',
  'start_time',
  'end_time',
  'since_id',
  'until_id',
  'post.fields',
  'expansions',
  'user.fields',
  'media.fields',
  'poll.fields',
  'place.fields',
]);
const DM_PARAMS = new Set([
  'max_results',
  'pagination_token',
  'event_types',
  'dm_event.fields',
  'expansions',
  'user.fields',
  'post.fields',
  'media.fields',
]);

/** X API v2 simulator: mentions and DM events, OAuth2 refresh, 15-minute rate windows with x-rate-limit-* headers. */
export async function startSimulator(options: {
  population: Population;
  port?: number;
  trickleEveryMs?: number;
}): Promise<XSimulator> {
  const rng = createRng(`x-sim:${options.population.seed}`);
  const users = new Map<string, XUser>([[BRAND.id, BRAND]]);
  for (const v of viewsFor(options.population, 'social')) {
    const x = v.social?.x;
    if (!x) continue;
    const u: XUser = { id: x.userId, username: x.handle, name: `${v.firstName} ${v.lastName}` };
    if (v.address?.city) u.location = v.address.city;
    users.set(x.userId, u);
  }
  const people = [...users.values()].filter((u) => u.id !== BRAND.id);

  let seq = 0n;
  let lastMs = 0;
  const snowflake = (at: Date): string => {
    const ms = BigInt(at.getTime());
    seq = lastMs === at.getTime() ? seq + 1n : 0n;
    lastMs = at.getTime();
    return (((ms - TWITTER_EPOCH) << 22n) | (7n << 12n) | seq).toString();
  };
  const posts = new Map<string, XPost>();
  const dms = new Map<string, XDmEvent>();

  const addMention = (authorId: string, text: string, at = new Date()): XPost => {
    const id = snowflake(at);
    const post: XPost = {
      id,
      text,
      author_id: authorId,
      created_at: at.toISOString(),
      conversation_id: id,
      lang: 'en',
    };
    posts.set(id, post);
    return post;
  };
  const addDm = (senderId: string, recipientId: string, text: string, at = new Date()): XDmEvent => {
    const ev: XDmEvent = {
      id: snowflake(at),
      event_type: 'MessageCreate',
      text,
      created_at: at.toISOString(),
      dm_conversation_id: oneToOneConversationId(senderId, recipientId),
      sender_id: senderId,
      participant_ids: [senderId, recipientId],
    };
    dms.set(ev.id, ev);
    return ev;
  };

  // seeded history, oldest first so ids grow with time
  let clock = Date.now() - 20 * 86_400_000;
  const tick = () => new Date((clock += rng.int(30_000, 900_000)));
  for (const u of people) {
    for (let i = rng.int(0, 2); i > 0; i--)
      addMention(u.id, rng.pick(rng.chance(0.4) ? NEGATIVE : rng.chance(0.5) ? POSITIVE : NEUTRAL), tick());
    if (rng.chance(0.35)) {
      addDm(u.id, BRAND.id, rng.pick(NEUTRAL).replace('@TouchpointDemo ', ''), tick());
      if (rng.chance(0.6))
        addDm(BRAND.id, u.id, 'Thanks for getting in touch, we are looking into it.', tick());
    }
  }

  const credentials = {
    bearerToken: 'AAAAAAAAAAAAAAAAAAAAAsimapp%2Fbearer',
    clientId: 'c2ltLWNsaWVudC1pZA',
    clientSecret: 'sim-client-secret',
    refreshToken: 'sim-refresh-0',
    consumerSecret: 'sim-consumer-secret',
  };
  const accessTokens = new Set<string>([credentials.bearerToken]);
  const userTokens = new Set<string>();
  let refreshToken = credentials.refreshToken;
  let tokenN = 0;
  const requests: XSimulatorRequest[] = [];

  // x-rate-limit-reset is in whole epoch seconds: rounded up, so that the wait it asks for is at
  // least `seconds` (rounded down, a 429 sent late in a second asked for a wait of a few ms or none).
  const resetAfter = (seconds: number) => Math.ceil(Date.now() / 1000 + seconds);
  const rateHeaders = (state: ThrottleState): Record<string, string> => {
    const reset =
      state.remaining <= 0
        ? resetAfter(Math.max(1, Math.ceil(state.retryAfterSeconds)))
        : resetAfter(WINDOW_SECONDS);
    return {
      'x-rate-limit-limit': String(state.capacity),
      'x-rate-limit-remaining': String(Math.max(0, Math.floor(state.remaining))),
      'x-rate-limit-reset': String(reset),
    };
  };

  const sim = await startKitSimulator({
    name: 'x',
    ...(options.port !== undefined ? { port: options.port } : {}),
    auth: {
      schemes: bearer(accessTokens),
      except: ['/2/oauth2/token'],
      unauthorized: ({ res }) => problem(res, 401, 'Unauthorized', 'Unauthorized'),
    },
    throttle: {
      capacity: 180,
      refillPerSecond: 180 / WINDOW_SECONDS,
      except: ['/2/oauth2/token'],
      headers: rateHeaders,
      respond: (ctx) => {
        ctx.res.set({
          'x-rate-limit-limit': String(ctx.capacity),
          'x-rate-limit-remaining': '0',
          'x-rate-limit-reset': String(resetAfter(Math.max(1, Math.ceil(ctx.retryAfterSeconds)))),
        });
        problem(ctx.res, 429, 'Too Many Requests', 'Too Many Requests');
      },
    },
    notFound: (req, res) =>
      problem(
        res,
        404,
        'Not Found Error',
        `${req.path} is not a valid endpoint`,
        'https://api.x.com/2/problems/resource-not-found',
      ),
    onError: (err, _req, res) =>
      problem(
        res,
        400,
        'Invalid Request',
        (err as Error).message,
        'https://api.x.com/2/problems/invalid-request',
      ),
    routes: (app) => {
      app.use((req: Request, _res, next) => {
        requests.push({
          method: req.method,
          path: req.path,
          query: Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, String(v)])),
        });
        next();
      });
      const badParams = (req: Request, res: Response, allowed: Set<string>): boolean => {
        const bad = Object.keys(req.query).filter((k) => !allowed.has(k));
        if (bad.length === 0) return false;
        problem(
          res,
          400,
          'Invalid Request',
          `The query parameter [${bad[0]}] is not one of [${[...allowed].join(',')}]`,
          'https://api.x.com/2/problems/invalid-request',
        );
        return true;
      };
      const list = (q: unknown) => (typeof q === 'string' && q !== '' ? q.split(',') : []);
      const userOut = (u: XUser, fields: string[]): XUser => {
        const out: Record<string, unknown> = { id: u.id, name: u.name ?? u.username, username: u.username };
        for (const f of fields) if (f in u) out[f] = (u as unknown as Record<string, unknown>)[f];
        return out as unknown as XUser;
      };
      const pageDesc = <T extends { id: string }>(
        all: T[],
        maxResults: number,
        token: string | undefined,
      ) => {
        let rows = [...all].sort((a, b) => compareIds(b.id, a.id));
        if (token) {
          const before = decodeCursor<{ before?: string }>(token).before;
          if (!before || !/^\d+$/.test(before)) throw new Error('invalid pagination_token');
          rows = rows.filter((r) => compareIds(r.id, before) < 0);
        }
        const page = rows.slice(0, maxResults);
        const more = rows.length > maxResults;
        return { page, next: more ? encodeCursor({ before: page.at(-1)!.id }) : undefined };
      };

      app.post('/2/oauth2/token', (req: Request, res: Response) => {
        const auth = req.get('authorization') ?? '';
        const basicOk =
          auth ===
          `Basic ${Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64')}`;
        const body = (req.body ?? {}) as Record<string, string>;
        if (!basicOk && body['client_id'] !== credentials.clientId)
          return res
            .status(401)
            .json({ error: 'unauthorized_client', error_description: 'Missing valid authorization header' });
        if (body['grant_type'] !== 'refresh_token' || body['refresh_token'] !== refreshToken)
          return res
            .status(400)
            .json({ error: 'invalid_request', error_description: 'Value passed for the token was invalid.' });
        tokenN += 1;
        const access = `sim-user-access-${tokenN}`;
        refreshToken = `sim-refresh-${tokenN}`; // X rotates refresh tokens
        accessTokens.add(access);
        userTokens.add(access);
        return res.json({
          token_type: 'bearer',
          expires_in: 7200,
          access_token: access,
          scope: 'tweet.read users.read dm.read offline.access',
          refresh_token: refreshToken,
        });
      });

      app.get('/2/users/:id/mentions', (req: Request, res: Response) => {
        if (badParams(req, res, MENTIONS_PARAMS)) return;
        const userId = String(req.params['id']);
        if (!/^[0-9]{1,19}$/.test(userId))
          return problem(
            res,
            400,
            'Invalid Request',
            'The `id` query parameter value is not valid',
            'https://api.x.com/2/problems/invalid-request',
          );
        const maxResults = req.query['max_results'] === undefined ? 10 : Number(req.query['max_results']);
        if (!Number.isInteger(maxResults) || maxResults < 5 || maxResults > 100)
          return problem(
            res,
            400,
            'Invalid Request',
            `The \`max_results\` query parameter value [${String(req.query['max_results'])}] is not between 5 and 100`,
            'https://api.x.com/2/problems/invalid-request',
          );
        const since = req.query['since_id'] as string | undefined;
        const all =
          userId === BRAND.id ? [...posts.values()].filter((p) => !since || compareIds(p.id, since) > 0) : [];
        const { page, next } = pageDesc(all, maxResults, req.query['pagination_token'] as string | undefined);
        const postFields = list(req.query['post.fields']);
        const data = page.map((p) => {
          const out: Record<string, unknown> = { id: p.id, text: p.text, edit_history_post_ids: [p.id] };
          for (const f of postFields) if (f in p) out[f] = (p as unknown as Record<string, unknown>)[f];
          if (list(req.query['expansions']).includes('author_id')) out['author_id'] = p.author_id;
          return out;
        });
        const meta: Record<string, unknown> = { result_count: page.length };
        if (page.length) Object.assign(meta, { newest_id: page[0]!.id, oldest_id: page.at(-1)!.id });
        if (next) meta['next_token'] = next;
        const body: Record<string, unknown> = { meta };
        if (page.length) body['data'] = data;
        if (page.length && list(req.query['expansions']).includes('author_id')) {
          const ids = [...new Set(page.map((p) => p.author_id!))];
          body['includes'] = {
            users: ids.flatMap((id) =>
              users.get(id) ? [userOut(users.get(id)!, list(req.query['user.fields']))] : [],
            ),
          };
        }
        return res.json(body);
      });

      app.get('/2/dm_events', (req: Request, res: Response) => {
        const token = (req.get('authorization') ?? '').replace(/^Bearer /, '');
        if (!userTokens.has(token))
          return problem(
            res,
            403,
            'Unsupported Authentication',
            'Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].',
            'https://api.x.com/2/problems/unsupported-authentication',
          );
        if (badParams(req, res, DM_PARAMS)) return;
        const maxResults = req.query['max_results'] === undefined ? 100 : Number(req.query['max_results']);
        if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100)
          return problem(
            res,
            400,
            'Invalid Request',
            'The `max_results` query parameter value is not between 1 and 100',
            'https://api.x.com/2/problems/invalid-request',
          );
        const { page, next } = pageDesc(
          [...dms.values()],
          maxResults,
          req.query['pagination_token'] as string | undefined,
        );
        const expansions = list(req.query['expansions']);
        const fields = list(req.query['dm_event.fields']);
        const data = page.map((e) => {
          const out: Record<string, unknown> = { id: e.id, event_type: e.event_type, text: e.text };
          for (const f of fields) if (f in e) out[f] = (e as unknown as Record<string, unknown>)[f];
          if (expansions.includes('sender_id')) out['sender_id'] = e.sender_id;
          if (expansions.includes('participant_ids')) out['participant_ids'] = e.participant_ids;
          return out;
        });
        const body: Record<string, unknown> = {
          meta: { result_count: page.length, ...(next ? { next_token: next } : {}) },
        };
        if (page.length) body['data'] = data;
        const ids = new Set<string>();
        for (const e of page) {
          if (expansions.includes('sender_id')) ids.add(e.sender_id!);
          if (expansions.includes('participant_ids')) for (const p of e.participant_ids ?? []) ids.add(p);
        }
        if (ids.size)
          body['includes'] = {
            users: [...ids].flatMap((id) =>
              users.get(id) ? [userOut(users.get(id)!, list(req.query['user.fields']))] : [],
            ),
          };
        return res.json(body);
      });
    },
  });

  const trickle = options.trickleEveryMs
    ? setInterval(() => {
        const u = rng.pick(people);
        if (rng.chance(0.7)) addMention(u.id, rng.pick([...POSITIVE, ...NEGATIVE, ...NEUTRAL]));
        else addDm(u.id, BRAND.id, rng.pick(NEUTRAL).replace('@TouchpointDemo ', ''));
      }, options.trickleEveryMs)
    : undefined;
  trickle?.unref();

  return {
    url: sim.url,
    credentials,
    config: { userId: BRAND.id, baseUrl: sim.url },
    requests,
    users,
    kit: sim,
    mentions: () => [...posts.values()],
    dmEvents: () => [...dms.values()],
    addMention,
    addDm,
    deleteMention: (id) => void posts.delete(id),
    renameUser: (id, username) => {
      const u = users.get(id);
      if (u) u.username = username;
    },
    expireAccessTokens: () => {
      for (const t of userTokens) accessTokens.delete(t);
      userTokens.clear();
    },
    accountActivity(kind, opts) {
      const at = opts.at ?? new Date();
      const author = users.get(opts.authorId)!;
      const v1User = {
        id_str: author.id,
        screen_name: author.username,
        name: author.name ?? author.username,
        location: author.location ?? null,
      };
      const id = snowflake(at);
      const payload =
        kind === 'mention'
          ? {
              for_user_id: BRAND.id,
              tweet_create_events: [
                {
                  created_at: at
                    .toUTCString()
                    .replace(/^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1 $3 $2 $5 +0000 $4'),
                  id_str: id,
                  text: opts.text,
                  timestamp_ms: String(at.getTime()),
                  user: v1User,
                  lang: 'en',
                  entities: { user_mentions: [{ id_str: BRAND.id, screen_name: BRAND.username }] },
                },
              ],
            }
          : {
              for_user_id: BRAND.id,
              direct_message_events: [
                {
                  type: 'message_create',
                  id,
                  created_timestamp: String(at.getTime()),
                  message_create: {
                    target: { recipient_id: BRAND.id },
                    sender_id: author.id,
                    message_data: { text: opts.text },
                  },
                },
              ],
              users: {
                [author.id]: { id: author.id, screen_name: author.username, name: author.name },
                [BRAND.id]: { id: BRAND.id, screen_name: BRAND.username, name: BRAND.name },
              },
            };
      const body = JSON.stringify(payload);
      return {
        body,
        headers: {
          'content-type': 'application/json',
          ...signX({ payload: body, consumerSecret: credentials.consumerSecret }),
        },
      };
    },
    async close() {
      if (trickle) clearInterval(trickle);
      await sim.close();
    },
  };
}
