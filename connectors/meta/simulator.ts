import { createHmac } from 'node:crypto';
import type { Request, Response } from 'express';
import {
  apiKey,
  bearer,
  createRng,
  decodeCursor,
  encodeCursor,
  startSimulator as startKitSimulator,
  viewsFor,
  withQuery,
  type Population,
} from '../../src/simulator-kit/index.js';
import { signMeta } from '../../src/connector-kit/index.js';
import type { GraphMessage, GraphParticipant, MetaPlatform } from './client.js';

interface SimConversation {
  id: string;
  platform: MetaPlatform;
  user: GraphParticipant;
  messages: GraphMessage[];
  updatedMs: number;
}

export interface MetaSimulator {
  url: string;
  credentials: Record<string, string>;
  config: Record<string, unknown>;
  close(): Promise<void>;
  kit: Awaited<ReturnType<typeof startKitSimulator>>;
  conversations(platform: MetaPlatform): SimConversation[];
  addMessage(conversationId: string, fromUser: boolean, text: string): GraphMessage;
  addConversation(platform: MetaPlatform, user: GraphParticipant, text: string): SimConversation;
  /** the Graph error code the next forced throttle answers with (4, 17, 32, 613, 8000x) */
  throttleCode: number;
  /** a signed messaging delivery as Meta would POST it */
  messagingDelivery(
    platform: MetaPlatform,
    userId: string,
    text: string,
    at?: Date,
  ): { body: string; headers: Record<string, string> };
}

const graphTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
const graphError = (res: Response, status: number, code: number, message: string, type = 'OAuthException') =>
  res.status(status).json({ error: { message, type, code, fbtrace_id: 'AbCdEfGhIjK' } });

/** Fields like `participants,messages{message,from},updated_time`: top level split outside braces. */
function parseFields(spec: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let depth = 0;
  let cur = '';
  const push = () => {
    const m = /^([a-z_]+)(?:\{(.*)\})?$/.exec(cur.trim());
    if (m) out.set(m[1]!, m[2] ? m[2].split(',') : []);
    cur = '';
  };
  for (const ch of spec) {
    if (ch === '{') depth++;
    if (ch === '}') depth--;
    if (ch === ',' && depth === 0) push();
    else cur += ch;
  }
  if (cur) push();
  return out;
}

/** Meta Graph simulator: Page conversations for Messenger and Instagram, nested message paging, Graph throttle errors and usage headers. */
export async function startSimulator(options: {
  population: Population;
  port?: number;
  trickleEveryMs?: number;
}): Promise<MetaSimulator> {
  const rng = createRng(`meta-sim:${options.population.seed}`);
  const page = options.population.pages.facebook[0]!;
  const igId = options.population.pages.instagramBusinessId;
  const credentials = {
    pageAccessToken: 'EAAsimPageToken',
    appSecret: 'sim-app-secret',
    verifyToken: 'sim-verify-token',
  };
  const conversations = new Map<string, SimConversation>();
  let n = 0;
  let lastMs = 0;
  const stamp = (ms = Date.now()) => (lastMs = Math.max(Math.floor(ms / 1000) * 1000, lastMs + 1000)); // Graph times have 1 s resolution
  const scopeOf = (p: MetaPlatform) => (p === 'messenger' ? page.id : igId);
  const selfParticipant = (p: MetaPlatform): GraphParticipant =>
    p === 'messenger'
      ? { id: page.id, name: page.name, email: `${page.id}@facebook.com` }
      : { id: igId, username: 'touchpointdemo' };

  const addMessageAt = (conv: SimConversation, fromUser: boolean, text: string, ms: number): GraphMessage => {
    n++;
    const at = stamp(ms);
    const msg: GraphMessage = {
      id:
        conv.platform === 'messenger'
          ? `m_${encodeCursor({ n }).replace(/[^A-Za-z0-9]/g, '')}${n}`
          : `aWdfZAG1faXRlbToxOk${n}`,
      message: text,
      from: fromUser ? conv.user : selfParticipant(conv.platform),
      created_time: graphTime(at),
    };
    conv.messages.push(msg);
    conv.updatedMs = at;
    return msg;
  };
  const addConversationAt = (
    platform: MetaPlatform,
    user: GraphParticipant,
    text: string,
    ms: number,
  ): SimConversation => {
    const id =
      platform === 'messenger'
        ? `t_${10000000 + conversations.size}`
        : `aWdfdDoxOjE3ODQxNDAw${conversations.size}`;
    const conv: SimConversation = { id, platform, user, messages: [], updatedMs: 0 };
    conversations.set(id, conv);
    addMessageAt(conv, true, text, ms);
    return conv;
  };

  let clock = Date.now() - 10 * 86_400_000;
  const texts = [
    'Hi, my order has not arrived',
    'Thanks so much, great service!',
    'This is terrible, nobody answers',
    'Can I change my delivery address?',
  ];
  for (const v of viewsFor(options.population, 'social')) {
    const psid = v.social?.facebook?.pageScopedIds[page.id];
    const name = `${v.firstName} ${v.lastName}`;
    if (psid) {
      const c = addConversationAt(
        'messenger',
        { id: psid, name, email: `${psid}@facebook.com` },
        rng.pick(texts),
        (clock += rng.int(60_000, 600_000)),
      );
      for (let i = rng.int(0, 3); i > 0; i--)
        addMessageAt(c, rng.chance(0.5), rng.pick(texts), (clock += rng.int(60_000, 600_000)));
    }
    const ig = v.social?.instagram;
    if (ig) {
      const c = addConversationAt(
        'instagram',
        { id: ig.scopedId, username: ig.username },
        rng.pick(texts),
        (clock += rng.int(60_000, 600_000)),
      );
      // a few long threads, so the nested messages edge pages
      for (let i = rng.chance(0.1) ? 30 : rng.int(0, 2); i > 0; i--)
        addMessageAt(c, rng.chance(0.5), rng.pick(texts), (clock += rng.int(10_000, 60_000)));
    }
  }

  const state = { throttleCode: 613 };
  const usage = (pct: number) => ({
    'X-App-Usage': JSON.stringify({
      call_count: pct,
      total_cputime: Math.floor(pct / 2),
      total_time: Math.floor(pct / 2),
    }),
    'X-Business-Use-Case-Usage': JSON.stringify({
      [page.id]: [
        {
          type: 'pages',
          call_count: pct,
          total_cputime: Math.floor(pct / 2),
          total_time: Math.floor(pct / 2),
          estimated_time_to_regain_access: 0,
        },
      ],
    }),
  });

  const sim = await startKitSimulator({
    name: 'meta',
    ...(options.port !== undefined ? { port: options.port } : {}),
    auth: {
      schemes: [
        bearer([credentials.pageAccessToken]),
        apiKey({ query: 'access_token', keys: [credentials.pageAccessToken] }),
      ],
      unauthorized: ({ res }) =>
        graphError(res, 400, 190, 'Invalid OAuth access token - Cannot parse access token'),
    },
    throttle: {
      capacity: 200,
      refillPerSecond: 200 / 3600,
      headers: (s) => usage(Math.min(100, Math.round(((s.capacity - s.remaining) / s.capacity) * 100))),
      respond: (ctx) => {
        ctx.res.set(usage(100));
        const code = ctx.forced ? state.throttleCode : 32;
        const messages: Record<number, [number, string]> = {
          4: [403, '(#4) Application request limit reached'],
          17: [400, '(#17) User request limit reached'],
          32: [403, '(#32) Page request limit reached'],
          613: [400, '(#613) Calls to this api have exceeded the rate limit.'],
          80001: [
            400,
            '(#80001) There have been too many calls to this Page account. Wait a bit and try again.',
          ],
          80006: [
            400,
            '(#80006) There have been too many messenger api calls to this Page account. Wait a bit and try again.',
          ],
        };
        const [status, message] = messages[code] ?? [400, `(#${code}) rate limited`];
        graphError(ctx.res, status, code, message);
      },
    },
    notFound: (req, res) =>
      graphError(
        res,
        400,
        100,
        `Unsupported get request. Object with ID '${req.path.split('/')[2] ?? ''}' does not exist`,
        'GraphMethodException',
      ),
    onError: (err, _req, res) => graphError(res, 400, 100, (err as Error).message),
    routes: (app, kit) => {
      const checkProof = (req: Request, res: Response): boolean => {
        const proof = req.query['appsecret_proof'];
        if (proof === undefined) return true;
        const token =
          (req.get('authorization') ?? '').replace(/^Bearer /, '') || String(req.query['access_token'] ?? '');
        if (proof === createHmac('sha256', credentials.appSecret).update(token).digest('hex')) return true;
        graphError(res, 400, 100, 'Invalid appsecret_proof provided in the API argument');
        return false;
      };
      const selfUrl = (req: Request) => `${kit.url}${req.originalUrl}`;
      const pageMessages = (
        req: Request,
        conv: SimConversation,
        fields: string[],
        limit: number,
        after: string | undefined,
        base: string,
      ) => {
        let rows = [...conv.messages].reverse(); // newest first
        if (after) {
          const { i } = decodeCursor<{ i: number }>(after);
          rows = rows.slice(i);
        }
        const offset = after ? decodeCursor<{ i: number }>(after).i : 0;
        const slice = rows.slice(0, limit);
        const data = slice.map((m) => {
          const out: Record<string, unknown> = { id: m.id };
          for (const f of fields) if (f in m) out[f] = (m as unknown as Record<string, unknown>)[f];
          return out;
        });
        const cursors = {
          before: encodeCursor({ i: offset }),
          after: encodeCursor({ i: offset + slice.length }),
        };
        const paging: Record<string, unknown> = { cursors };
        if (rows.length > limit)
          paging['next'] = withQuery(base, {
            after: cursors.after,
            limit,
            fields: fields.join(','),
            access_token: req.query['access_token'] as string | undefined,
          });
        return { data, paging };
      };

      app.get('/:version/:pageId/conversations', (req: Request, res: Response) => {
        if (!/^v\d+\.\d+$/.test(String(req.params['version'])))
          return graphError(res, 400, 2635, 'Unknown Graph API version');
        if (!checkProof(req, res)) return;
        if (req.params['pageId'] !== page.id)
          return graphError(
            res,
            400,
            100,
            `Object with ID '${String(req.params['pageId'])}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`,
            'GraphMethodException',
          );
        const platform = (req.query['platform'] ?? 'messenger') as string;
        if (platform !== 'messenger' && platform !== 'instagram')
          return graphError(res, 400, 100, '(#100) param platform must be one of {MESSENGER, INSTAGRAM}');
        const limit = Math.min(100, Number(req.query['limit'] ?? 25));
        const fields = parseFields(String(req.query['fields'] ?? 'id,updated_time'));
        const rows = [...conversations.values()]
          .filter((c) => c.platform === platform)
          .sort((a, b) => b.updatedMs - a.updatedMs || (a.id < b.id ? 1 : -1));
        let start = 0;
        if (req.query['after']) {
          const k = decodeCursor<{ u: number; id: string }>(String(req.query['after']));
          start = rows.findIndex((c) => c.updatedMs < k.u || (c.updatedMs === k.u && c.id < k.id));
          if (start < 0) start = rows.length;
        }
        const slice = rows.slice(start, start + limit);
        const data = slice.map((c) => {
          const out: Record<string, unknown> = { id: c.id };
          if (fields.has('updated_time')) out['updated_time'] = graphTime(c.updatedMs);
          if (fields.has('participants')) out['participants'] = { data: [c.user, selfParticipant(platform)] };
          if (fields.has('messages'))
            out['messages'] = pageMessages(
              req,
              c,
              fields.get('messages') ?? [],
              25,
              undefined,
              `${kit.url}/${String(req.params['version'])}/${c.id}/messages`,
            );
          return out;
        });
        const paging: Record<string, unknown> = {};
        if (slice.length) {
          const first = slice[0]!;
          const last = slice.at(-1)!;
          paging['cursors'] = {
            before: encodeCursor({ u: first.updatedMs, id: first.id }),
            after: encodeCursor({ u: last.updatedMs, id: last.id }),
          };
          if (start + limit < rows.length)
            paging['next'] = withQuery(selfUrl(req), {
              after: encodeCursor({ u: last.updatedMs, id: last.id }),
            });
        }
        return res.json({ data, paging });
      });

      app.get('/:version/:conversationId/messages', (req: Request, res: Response) => {
        if (!checkProof(req, res)) return;
        const conv = conversations.get(String(req.params['conversationId']));
        if (!conv)
          return graphError(
            res,
            400,
            100,
            `Object with ID '${String(req.params['conversationId'])}' does not exist`,
            'GraphMethodException',
          );
        const fields = String(req.query['fields'] ?? 'id').split(',');
        const limit = Math.min(100, Number(req.query['limit'] ?? 25));
        const base = `${kit.url}/${String(req.params['version'])}/${conv.id}/messages`;
        return res.json(
          pageMessages(req, conv, fields, limit, req.query['after'] as string | undefined, base),
        );
      });
    },
  });

  const trickle = options.trickleEveryMs
    ? setInterval(() => {
        const all = [...conversations.values()];
        const c = rng.pick(all);
        addMessageAt(c, true, rng.pick(texts), Date.now());
      }, options.trickleEveryMs)
    : undefined;
  trickle?.unref();

  return {
    url: sim.url,
    credentials,
    // the base URL is the instance's `baseUrl` (sim.url), not a config setting
    config: { pageId: page.id, instagramBusinessId: igId },
    kit: sim,
    conversations: (p) => [...conversations.values()].filter((c) => c.platform === p),
    addMessage: (id, fromUser, text) => addMessageAt(conversations.get(id)!, fromUser, text, Date.now()),
    addConversation: (p, user, text) => addConversationAt(p, user, text, Date.now()),
    get throttleCode() {
      return state.throttleCode;
    },
    set throttleCode(code: number) {
      state.throttleCode = code;
    },
    messagingDelivery(platform, userId, text, at = new Date()) {
      const scope = scopeOf(platform);
      n++;
      const body = JSON.stringify({
        object: platform === 'messenger' ? 'page' : 'instagram',
        entry: [
          {
            id: scope,
            time: at.getTime(),
            messaging: [
              {
                sender: { id: userId },
                recipient: { id: scope },
                timestamp: at.getTime(),
                message: { mid: `m_hook${n}`, text },
              },
            ],
          },
        ],
      });
      return {
        body,
        headers: {
          'content-type': 'application/json',
          ...signMeta({ payload: body, appSecret: credentials.appSecret }),
        },
      };
    },
    async close() {
      if (trickle) clearInterval(trickle);
      await sim.close();
    },
  };
}
