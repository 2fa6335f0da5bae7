import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CanonicalBatch } from '../canonical.js';
import {
  MappingError,
  type ConnectorContext,
  type ConnectorDefinition,
  type StreamDefinition,
  type WebhookRequest,
} from '../contract.js';
import {
  createHttpClient,
  InMemoryTokenStore,
  isUpstreamError,
  type HttpClient,
  type TokenStore,
} from '../http/index.js';
import { createLogger } from '../../log/logger.js';

/** One request as a simulator-kit server recorded it. */
export interface ContractRequestRecord {
  seq: number;
  at: Date;
  method: string;
  path: string;
  status: number | null;
  fault: string | null;
}

/** The parts of a simulator-kit server the contract drives (faults) and reads (stats). */
export interface ContractSimulatorServer {
  faults: {
    failNext(n: number, status?: number, match?: { headers?: Record<string, string> }): unknown;
    hangNext(n: number): unknown;
    clear(): void;
  };
  stats: { count(filter?: { status?: number }): number; readonly requests: readonly ContractRequestRecord[] };
}

/** A running vendor simulator as the connector's `simulator.ts` starts it. */
export interface ContractSimulator {
  /** Base URL of the simulator; absent only for a connector without HTTP (`notApplicable.http`). */
  url?: string;
  /** The instance `config` block to run the connector with (parsed by its configSchema). */
  config?: unknown;
  credentials?: Record<string, string>;
  /** Fault injection and request stats; absent only for a connector without HTTP (`notApplicable.http`). */
  server?: ContractSimulatorServer;
  close(): Promise<void>;
}

export interface WebhookVectors {
  /** The clock to verify at. */
  nowMs: number;
  /** A request signed as the vendor signs it, inside the replay window at `nowMs`. */
  good: WebhookRequest;
  /** A correctly signed request whose timestamp is outside the replay window (vendors with one). */
  stale?: WebhookRequest;
}

export interface ConnectorContractOptions<Config> {
  connector: ConnectorDefinition<Config>;
  startSimulator(): Promise<ContractSimulator>;
  /** Streams to run (default: all). */
  streams?: string[];
  /** Safety cap on pages when paging to the end (default 500). */
  maxPages?: number;
  /** Overall deadline per call in the timeout test (default 1500 ms). */
  timeoutMs?: number;
  /** Signature vectors; required when the connector has webhooks. */
  webhooks?: () => WebhookVectors | Promise<WebhookVectors>;
  /** Recorded vendor objects per stream and, optionally, the records each must map to. */
  recorded?: { stream: string; items: unknown[]; expected?: CanonicalBatch[] }[];
  /** Per fetch family: ids the simulator knows and ids it does not. Required for each fetch definition. */
  fetch?: Record<string, { known: string[]; unknown: string[] }>;
  /**
   * Kit cases that do not apply to this vendor, each with its reason. The reason is the title of
   * the skipped case, which jest reports as skipped, never as passed. Webhooks and batch-get are
   * skipped on their own when the definition has none.
   */
  notApplicable?: {
    /** 429, 5xx and timeout, when the connector makes no HTTP calls (e.g. `no HTTP: reads a local file`). */
    http?: string;
    /** The stale-signature vector, when the vendor's signature covers no timestamp. */
    staleWebhook?: string;
    /** Resuming from a saved cursor, per stream that can only ever answer one page. */
    resume?: Record<string, string>;
  };
}

let instanceSeq = 0;

/**
 * Tokens survive restarts (the hub keeps them in Postgres), and vendors that rotate refresh
 * tokens (X) refuse the first one once used: every context of one run shares one stored token.
 */
const tokenStores = new WeakMap<ContractSimulator, TokenStore>();
function tokenStoreOf(sim: ContractSimulator, key: string): TokenStore {
  let view = tokenStores.get(sim);
  if (!view) {
    const store = new InMemoryTokenStore();
    view = {
      read: () => store.read(key),
      refreshLocked: (_instanceId, refresh) => store.refreshLocked(key, refresh),
    };
    tokenStores.set(sim, view);
  }
  return view;
}

/** A connector context against the simulator, with its own instance id (shared limiter state is per instance). */
function contextFor<Config>(
  connector: ConnectorDefinition<Config>,
  sim: ContractSimulator,
  http: { timeoutMs?: number; attemptTimeoutMs?: number } = {},
): { ctx: ConnectorContext<Config>; client: HttpClient; authKind: string; signIn(): Promise<unknown> } {
  const parsed = connector.configSchema.safeParse(sim.config ?? {});
  if (!parsed.success)
    throw new Error(
      `simulator config does not pass ${connector.id}'s configSchema: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  if (sim.url === undefined)
    throw new Error(`${connector.id}: the simulator has no url (only a connector without HTTP may omit it)`);
  const instanceId = `contract-${connector.id}-${++instanceSeq}`;
  const credentials = sim.credentials ?? {};
  const log = createLogger('silent');
  const auth = connector.auth({
    config: parsed.data,
    credentials,
    tokenStore: tokenStoreOf(sim, `contract-${connector.id}`),
    instanceId,
  });
  const client = createHttpClient({
    connectorId: connector.id,
    instanceId,
    baseURL: sim.url,
    auth,
    logger: log,
    backoff: { baseMs: 20, capMs: 200 },
    ...(connector.classify ? { classify: connector.classify } : {}),
    ...(connector.http?.concurrency !== undefined ? { concurrency: connector.http.concurrency } : {}),
    ...(http.timeoutMs !== undefined
      ? { timeoutMs: http.timeoutMs }
      : connector.http?.timeoutMs !== undefined
        ? { timeoutMs: connector.http.timeoutMs }
        : {}),
    ...(http.attemptTimeoutMs !== undefined ? { attemptTimeoutMs: http.attemptTimeoutMs } : {}),
  });
  return {
    client,
    authKind: auth.kind,
    ctx: { instanceId, http: client, log, config: parsed.data, credentials },
    // Fetches credentials up front (an OAuth2 token comes from its own endpoint), so that an
    // injected fault lands on the vendor's API rather than on the token endpoint.
    signIn: () => auth.headers({ connectorId: connector.id, instanceId }),
  };
}

function mapAll<Config>(
  stream: StreamDefinition<Config>,
  items: unknown[],
  ctx: ConnectorContext<Config>,
): CanonicalBatch[] {
  return items.flatMap((item) => {
    try {
      return [stream.map(item, ctx)];
    } catch (err) {
      // A MappingError is the documented way to dead-letter one object; anything else is a bug.
      if (err instanceof MappingError) return [];
      throw err;
    }
  });
}

const recordCount = (b: CanonicalBatch) =>
  (b.people?.length ?? 0) + (b.interactions?.length ?? 0) + (b.employees?.length ?? 0);

/** A copy of `req` with one character of the signed content changed (a letter or digit of the body). */
function tamper(req: WebhookRequest): WebhookRequest {
  const body = Buffer.from(req.rawBody);
  const i = body.findIndex(
    (c) => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a),
  );
  if (i < 0) return { ...req, rawBody: Buffer.concat([body, Buffer.from('x')]) };
  const c = body[i]!;
  body[i] = c === 0x39 ? 0x30 : c === 0x7a ? 0x61 : c === 0x5a ? 0x41 : c + 1;
  return { ...req, rawBody: body };
}

/** The HTTP fault cases: 429 and timeout on the first stream, 5xx on every stream. */
const HTTP_CASES = [
  'waits out a 429 with Retry-After and then succeeds',
  'gives up on a vendor that never answers with UPSTREAM_TIMEOUT',
  'retries a 5xx, and rejects the page (never an empty success) when the 5xx outlasts the retries',
] as const;

/** A skipped case whose title says why it does not apply (reported as skipped, not as passed). */
function notApplicable(reason: string, cases: string[]): void {
  describe(reason, () => {
    for (const title of cases) it.skip(title, () => undefined);
  });
}

/** Drains `stream` from `cursor`, saving the cursor through JSON between pages as the engine does. */
async function drain<Config>(
  stream: StreamDefinition<Config>,
  ctx: ConnectorContext<Config>,
  cursor: unknown,
  maxPages: number,
): Promise<{ pages: unknown[][]; cursors: unknown[] }> {
  const pages: unknown[][] = [];
  const cursors: unknown[] = [];
  for (let n = 0; n < maxPages; n++) {
    const page = await stream.fetchPage(ctx, cursor);
    pages.push(page.items);
    cursors.push(page.nextCursor);
    if (page.done) return { pages, cursors };
    cursor = JSON.parse(JSON.stringify(page.nextCursor));
  }
  throw new Error(`stream ${stream.name} did not finish within ${maxPages} pages`);
}

/**
 * The contract every connector passes (CONVENTIONS 13), as jest tests: paging to the end,
 * resuming from a saved cursor (first, middle and last page) and nothing delivered again from the
 * final one, 429 with Retry-After waited out, 5xx then success and a lasting 5xx rejected (never an
 * empty page), timeout, an OAuth2 token endpoint's 503, signature vectors (good, tampered, stale),
 * mapping of recorded vendor objects and the batch-get contract. A case that cannot apply to a
 * vendor is skipped with its reason in the title (see `notApplicable`), never passed.
 * @example
 * // connectors/acme/acme.contract.integration.test.ts
 * runConnectorContract({
 *   connector: acme,
 *   startSimulator: () => startAcmeSimulator({ seed: 1 }),
 *   webhooks: () => ({ nowMs, good: signed(nowMs - 10_000), stale: signed(nowMs - 3_600_000) }),
 *   recorded: [{ stream: 'contacts', items: [contactFixture] }],
 * });
 */
export function runConnectorContract<Config>(options: ConnectorContractOptions<Config>): void {
  const { connector } = options;
  const na = options.notApplicable ?? {};
  const streams = connector.streams.filter((s) => !options.streams || options.streams.includes(s.name));
  const maxPages = options.maxPages ?? 500;
  const vendor = connector.displayName;

  describe(`connector contract: ${connector.id}`, () => {
    let sim: ContractSimulator;
    beforeAll(async () => {
      sim = await options.startSimulator();
      // Without HTTP the kit's client points at a closed port: any call the connector made would fail.
      if (na.http !== undefined && sim.url === undefined) sim = { ...sim, url: 'http://127.0.0.1:9' };
    });
    afterAll(async () => {
      await sim?.close();
    });
    const server = (): ContractSimulatorServer => {
      if (!sim.server) throw new Error(`${connector.id}: the simulator has no server to inject faults into`);
      return sim.server;
    };

    it('declares itself completely (id, category, streams with unique names, credentials)', () => {
      expect(connector.id).toMatch(/^[a-z][a-z0-9_-]*$/);
      expect(['crm', 'contact_centre', 'hr', 'billing', 'social']).toContain(connector.category);
      expect(connector.displayName.trim()).not.toBe('');
      expect(connector.streams.length).toBeGreaterThan(0);
      expect(new Set(connector.streams.map((s) => s.name)).size).toBe(connector.streams.length);
      for (const [name, c] of Object.entries(connector.credentials))
        expect([name, c.description.trim().length > 0]).toEqual([name, true]);
    });

    // First of the HTTP cases: the run's token store is still empty, so signing in calls the endpoint.
    const tokenCase = 'retries a token endpoint that answers 503, then signs in';
    if (na.http !== undefined) notApplicable(`token endpoint: ${na.http}`, [tokenCase]);
    else if (connector.api.auth !== 'oauth2')
      notApplicable(`token endpoint: none, ${vendor} authenticates with ${connector.api.auth}`, [tokenCase]);
    else
      it(tokenCase, async () => {
        const { client, signIn, authKind } = contextFor(connector, sim);
        const s = server();
        try {
          // The simulator's credentials must exercise the OAuth2 flow the API description declares.
          expect(authKind).toBe('oauth2');
          const before = s.stats.requests.length;
          s.faults.failNext(1, 503);
          await signIn();
          const calls = s.stats.requests.slice(before);
          expect(calls.map((r) => [r.path, r.status])).toEqual([
            [calls[0]?.path, 503],
            [calls[0]?.path, 200],
          ]);
        } finally {
          s.faults.clear();
          client.close();
        }
      });

    for (const stream of connector.streams.filter((s) => !streams.includes(s)))
      notApplicable(`stream ${stream.name}: left out by this test's streams option`, ['pages to the end']);

    for (const stream of streams) {
      describe(`stream ${stream.name}`, () => {
        it('pages to the end with cursors that survive JSON (as saved), mapping every object', async () => {
          const { ctx, client } = contextFor(connector, sim);
          try {
            let cursor: unknown = null;
            let pages = 0;
            let items = 0;
            let records = 0;
            const seen = new Set<string>();
            for (;;) {
              const page = await stream.fetchPage(ctx, cursor);
              pages++;
              items += page.items.length;
              records += mapAll(stream, page.items, ctx).reduce((n, b) => n + recordCount(b), 0);
              if (page.done) break;
              expect(page.nextCursor).not.toBeNull();
              const key = JSON.stringify(page.nextCursor);
              expect(seen.has(key)).toBe(false); // a repeated cursor would loop forever
              seen.add(key);
              cursor = JSON.parse(key);
              expect(pages).toBeLessThan(maxPages);
            }
            expect(items).toBeGreaterThan(0);
            expect(records).toBeGreaterThan(0);
          } finally {
            client.close();
          }
        });

        const onePage = na.resume?.[stream.name];
        if (onePage !== undefined) {
          notApplicable(`resuming: ${onePage}`, [
            'resumes from a saved cursor with exactly the objects after it',
          ]);
          return;
        }
        it('resumes from a saved cursor with exactly the objects after it', async () => {
          const { ctx, client } = contextFor(connector, sim);
          // A second context, as after a restart: only the saved cursor is carried over.
          const second = contextFor(connector, sim);
          try {
            const { pages, cursors } = await drain(stream, ctx, null, maxPages);
            // One page would test nothing: the simulator (or its page size) must give at least two.
            expect({ stream: stream.name, pages: Math.min(pages.length, 2) }).toEqual({
              stream: stream.name,
              pages: 2,
            });
            // From the first page's cursor, a middle one and the last page's: each resumes with exactly the rest.
            const at = [...new Set([0, Math.floor((pages.length - 1) / 2), pages.length - 2])];
            for (const k of at) {
              const resumed = await drain(
                stream,
                second.ctx,
                JSON.parse(JSON.stringify(cursors[k])),
                maxPages,
              );
              expect({ from: k, items: resumed.pages.flat() }).toEqual({
                from: k,
                items: pages.slice(k + 1).flat(),
              });
            }
          } finally {
            second.client.close();
            client.close();
          }
        });

        it('from the final cursor, with nothing changed at the vendor, delivers nothing again', async () => {
          const { ctx, client } = contextFor(connector, sim);
          try {
            const { pages, cursors } = await drain(stream, ctx, null, maxPages);
            const delivered = new Set(pages.flat().map((i) => JSON.stringify(i)));
            const again = await drain(
              stream,
              ctx,
              JSON.parse(JSON.stringify(cursors.at(-1) ?? null)),
              maxPages,
            );
            const repeated = again.pages.flat().filter((i) => delivered.has(JSON.stringify(i)));
            expect({ stream: stream.name, repeated: repeated.length, of: again.pages.flat().length }).toEqual(
              { stream: stream.name, repeated: 0, of: 0 },
            );
          } finally {
            client.close();
          }
        });

        if (na.http === undefined)
          it(HTTP_CASES[2], async () => {
            const { ctx, client, signIn } = contextFor(connector, sim);
            const s = server();
            try {
              await signIn();
              s.faults.failNext(1, 503);
              const page = await stream.fetchPage(ctx, null);
              expect(page.items.length).toBeGreaterThan(0);
              s.faults.failNext(1000, 503);
              const err = await stream.fetchPage(ctx, null).then(
                (p) => p,
                (e: unknown) => e,
              );
              // The upstream error itself, naming where it came from (or the open breaker it led to).
              expect(isUpstreamError(err) ? err.code : err).toMatch(/^UPSTREAM_(HTTP_ERROR|UNAVAILABLE)$/);
            } finally {
              s.faults.clear();
              client.close();
            }
          });
      });
    }

    const first = streams[0];
    if (na.http !== undefined) notApplicable(`http: ${na.http}`, [...HTTP_CASES]);
    else if (first) {
      it(HTTP_CASES[0], async () => {
        const { ctx, client, signIn } = contextFor(connector, sim);
        const s = server();
        try {
          await signIn();
          const before = s.stats.requests.length;
          s.faults.failNext(1, 429, { headers: { 'Retry-After': '1' } });
          const page = await first.fetchPage(ctx, null);
          expect(page.items.length).toBeGreaterThan(0);
          const after = s.stats.requests.slice(before);
          const refused = after.filter((r) => r.fault === 'fail' && r.status === 429);
          expect(refused).toHaveLength(1);
          // The retry of the refused call comes no sooner than Retry-After (1 s) after it.
          const retry = after.find(
            (r) => r.seq > refused[0]!.seq && r.method === refused[0]!.method && r.path === refused[0]!.path,
          );
          expect(retry).toBeDefined();
          expect(retry!.at.getTime() - refused[0]!.at.getTime()).toBeGreaterThanOrEqual(950);
        } finally {
          s.faults.clear();
          client.close();
        }
      });

      it(HTTP_CASES[1], async () => {
        const timeoutMs = options.timeoutMs ?? 1500;
        const { ctx, client, signIn } = contextFor(connector, sim, {
          timeoutMs,
          attemptTimeoutMs: Math.ceil(timeoutMs / 3),
        });
        const s = server();
        try {
          await signIn();
          s.faults.hangNext(10);
          const err = await first.fetchPage(ctx, null).then(
            () => null,
            (e: unknown) => e,
          );
          expect(isUpstreamError(err) ? err.code : err).toBe('UPSTREAM_TIMEOUT');
        } finally {
          s.faults.clear();
          client.close();
        }
      });
    }

    const webhookCases = [
      'accepts a good signature and parses it into events with ids',
      'refuses a tampered body',
      'refuses a stale (replayed) request',
    ];
    if (!connector.webhooks) notApplicable(`webhooks: not offered by ${vendor}`, webhookCases);
    else {
      const hooks = connector.webhooks;
      describe('webhooks', () => {
        it('has signature vectors to test with', () => {
          expect(options.webhooks).toBeDefined();
        });
        if (!options.webhooks) return;
        const vectorsOf = options.webhooks;
        const verifyCtx = (nowMs: number) => {
          const parsed = connector.configSchema.safeParse(sim.config ?? {});
          return {
            config: (parsed.success ? parsed.data : {}) as Config,
            credentials: sim.credentials ?? {},
            nowMs,
          };
        };
        it(webhookCases[0]!, async () => {
          const v = await vectorsOf();
          expect(() => hooks.verify(v.good, verifyCtx(v.nowMs))).not.toThrow();
          const events = hooks.parse(v.good, { config: verifyCtx(v.nowMs).config });
          expect(events.length).toBeGreaterThan(0);
          for (const e of events) expect(typeof e.id === 'string' && e.id.length > 0).toBe(true);
        });
        it(webhookCases[1]!, async () => {
          const v = await vectorsOf();
          expect(() => hooks.verify(tamper(v.good), verifyCtx(v.nowMs))).toThrow();
        });
        if (na.staleWebhook !== undefined)
          notApplicable(`stale signatures: ${na.staleWebhook}`, [webhookCases[2]!]);
        else
          it(webhookCases[2]!, async () => {
            const v = await vectorsOf();
            // Without a stale vector, say why in notApplicable.staleWebhook.
            expect(v.stale).toBeDefined();
            expect(() => hooks.verify(v.stale!, verifyCtx(v.nowMs))).toThrow();
          });
      });
    }

    it('maps recorded vendor objects', () => {
      // Every connector has recorded vendor objects (its fixtures) to map.
      expect(options.recorded?.length ?? 0).toBeGreaterThan(0);
      const ctxLike = {
        instanceId: `contract-${connector.id}-recorded`,
        log: createLogger('silent'),
        credentials: {},
      } as unknown as ConnectorContext<Config>;
      for (const rec of options.recorded!) {
        const stream = connector.streams.find((s) => s.name === rec.stream);
        expect(stream?.name).toBe(rec.stream);
        expect(rec.items.length).toBeGreaterThan(0);
        const parsed = connector.configSchema.safeParse(sim.config ?? {});
        const ctx = { ...ctxLike, config: parsed.success ? parsed.data : {} } as ConnectorContext<Config>;
        const batches = rec.items.map((item) => stream!.map(item, ctx));
        for (const b of batches) expect(recordCount(b)).toBeGreaterThan(0);
        if (rec.expected)
          expect(JSON.parse(JSON.stringify(batches))).toEqual(JSON.parse(JSON.stringify(rec.expected)));
      }
    });

    const batchCase = 'values in key order, one Error per unknown key';
    if (!connector.fetch?.length)
      notApplicable(`batch-get: no live fields offered by ${vendor}`, [batchCase]);
    for (const family of connector.fetch ?? []) {
      it(`batch-get ${family.name}: ${batchCase}`, async () => {
        const ids = options.fetch?.[family.name];
        expect(ids).toBeDefined();
        expect(ids!.known.length).toBeGreaterThan(1);
        expect(ids!.unknown.length).toBeGreaterThan(0);
        const { ctx, client } = contextFor(connector, sim);
        try {
          const keys = [ids!.known[0]!, ids!.unknown[0]!, ...ids!.known.slice(1)];
          const values = await family.fetchMany(ctx, keys);
          expect(values).toHaveLength(keys.length);
          expect(values.map((v) => v instanceof Error)).toEqual(keys.map((k) => ids!.unknown.includes(k)));
          const reversed = await family.fetchMany(ctx, [...keys].reverse());
          expect(reversed.filter((v) => !(v instanceof Error))).toEqual(
            values.filter((v) => !(v instanceof Error)).reverse(),
          );
          expect(await family.fetchMany(ctx, [])).toEqual([]);
        } finally {
          client.close();
        }
      });
    }
  });
}
