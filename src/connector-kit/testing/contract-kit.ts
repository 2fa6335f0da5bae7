import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CanonicalBatch } from '../canonical.js';
import {
  MappingError,
  type ConnectorContext,
  type ConnectorDefinition,
  type StreamDefinition,
  type WebhookRequest,
} from '../contract.js';
import { createHttpClient, InMemoryTokenStore, isUpstreamError, type HttpClient } from '../http/index.js';
import { createLogger } from '../../log/logger.js';

/** The parts of a simulator-kit server the contract drives (faults) and reads (stats). */
export interface ContractSimulatorServer {
  faults: {
    failNext(n: number, status?: number): unknown;
    throttleNext(n: number, opts?: { retryAfterSeconds?: number }): unknown;
    hangNext(n: number): unknown;
    clear(): void;
  };
  stats: { count(filter?: { status?: number | null }): number };
}

/** A running vendor simulator as the connector's `simulator.ts` starts it. */
export interface ContractSimulator {
  url: string;
  /** The instance `config` block to run the connector with (parsed by its configSchema). */
  config?: unknown;
  credentials?: Record<string, string>;
  server: ContractSimulatorServer;
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
}

let instanceSeq = 0;

/** A connector context against the simulator, with its own instance id (shared limiter state is per instance). */
function contextFor<Config>(
  connector: ConnectorDefinition<Config>,
  sim: ContractSimulator,
  http: { timeoutMs?: number; attemptTimeoutMs?: number } = {},
): { ctx: ConnectorContext<Config>; client: HttpClient } {
  const parsed = connector.configSchema.safeParse(sim.config ?? {});
  if (!parsed.success)
    throw new Error(
      `simulator config does not pass ${connector.id}'s configSchema: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  const instanceId = `contract-${connector.id}-${++instanceSeq}`;
  const credentials = sim.credentials ?? {};
  const log = createLogger('silent');
  const auth = connector.auth({
    config: parsed.data,
    credentials,
    tokenStore: new InMemoryTokenStore(),
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
  return { client, ctx: { instanceId, http: client, log, config: parsed.data, credentials } };
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

/**
 * The contract every connector passes (CONVENTIONS 13), as jest tests: paging to the end,
 * resuming from a saved cursor, 429 with Retry-After, 5xx then success, timeout, signature
 * vectors, mapping of recorded vendor objects and the batch-get contract.
 * @example
 * // connectors/acme/acme.contract.integration.test.ts
 * runConnectorContract({ connector: acme, startSimulator: () => startAcmeSimulator({ seed: 1 }) });
 */
export function runConnectorContract<Config>(options: ConnectorContractOptions<Config>): void {
  const { connector } = options;
  const streams = connector.streams.filter((s) => !options.streams || options.streams.includes(s.name));
  const maxPages = options.maxPages ?? 500;

  describe(`connector contract: ${connector.id}`, () => {
    let sim: ContractSimulator;
    beforeAll(async () => {
      sim = await options.startSimulator();
    });
    afterAll(async () => {
      await sim?.close();
    });

    it('declares itself completely (id, category, streams with unique names, credentials)', () => {
      expect(connector.id).toMatch(/^[a-z][a-z0-9_-]*$/);
      expect(['crm', 'contact_centre', 'hr', 'billing', 'social']).toContain(connector.category);
      expect(connector.displayName.trim()).not.toBe('');
      expect(connector.streams.length).toBeGreaterThan(0);
      expect(new Set(connector.streams.map((s) => s.name)).size).toBe(connector.streams.length);
      for (const [name, c] of Object.entries(connector.credentials))
        expect([name, c.description.trim().length > 0]).toEqual([name, true]);
    });

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

        it('resumes from a saved cursor with exactly the objects after it', async () => {
          const { ctx, client } = contextFor(connector, sim);
          try {
            const all: unknown[][] = [];
            let cursor: unknown = null;
            const cursors: unknown[] = [];
            for (let n = 0; n < maxPages; n++) {
              const page = await stream.fetchPage(ctx, cursor);
              all.push(page.items);
              cursors.push(page.nextCursor);
              if (page.done) break;
              cursor = JSON.parse(JSON.stringify(page.nextCursor));
            }
            if (all.length < 2) return; // a one-page stream: resuming is paging to the end
            // A second context, as after a restart: only the saved cursor is carried over.
            const second = contextFor(connector, sim);
            try {
              const resumed: unknown[] = [];
              cursor = JSON.parse(JSON.stringify(cursors[0]));
              for (let n = 0; n < maxPages; n++) {
                const page = await stream.fetchPage(second.ctx, cursor);
                resumed.push(...page.items);
                if (page.done) break;
                cursor = JSON.parse(JSON.stringify(page.nextCursor));
              }
              expect(resumed).toEqual(all.slice(1).flat());
            } finally {
              second.client.close();
            }
          } finally {
            client.close();
          }
        });
      });
    }

    const first = streams[0];
    if (first) {
      it('waits out a 429 with Retry-After and then succeeds', async () => {
        const { ctx, client } = contextFor(connector, sim);
        try {
          const before = sim.server.stats.count({ status: 429 });
          sim.server.faults.throttleNext(1, { retryAfterSeconds: 1 });
          const page = await first.fetchPage(ctx, null);
          expect(page.items.length).toBeGreaterThan(0);
          expect(sim.server.stats.count({ status: 429 })).toBe(before + 1);
        } finally {
          sim.server.faults.clear();
          client.close();
        }
      });

      it('retries a 5xx and then succeeds', async () => {
        const { ctx, client } = contextFor(connector, sim);
        try {
          const before = sim.server.stats.count({ status: 503 });
          sim.server.faults.failNext(1, 503);
          const page = await first.fetchPage(ctx, null);
          expect(page.items.length).toBeGreaterThan(0);
          expect(sim.server.stats.count({ status: 503 })).toBe(before + 1);
        } finally {
          sim.server.faults.clear();
          client.close();
        }
      });

      it('gives up on a vendor that never answers with UPSTREAM_TIMEOUT', async () => {
        const timeoutMs = options.timeoutMs ?? 1500;
        const { ctx, client } = contextFor(connector, sim, {
          timeoutMs,
          attemptTimeoutMs: Math.ceil(timeoutMs / 3),
        });
        try {
          sim.server.faults.hangNext(10);
          const err = await first.fetchPage(ctx, null).then(
            () => null,
            (e: unknown) => e,
          );
          expect(isUpstreamError(err) ? err.code : err).toBe('UPSTREAM_TIMEOUT');
        } finally {
          sim.server.faults.clear();
          client.close();
        }
      });
    }

    if (connector.webhooks) {
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
        it('accepts a good signature and parses it into events with ids', async () => {
          const v = await vectorsOf();
          expect(() => hooks.verify(v.good, verifyCtx(v.nowMs))).not.toThrow();
          const events = hooks.parse(v.good, { config: verifyCtx(v.nowMs).config });
          expect(events.length).toBeGreaterThan(0);
          for (const e of events) expect(typeof e.id === 'string' && e.id.length > 0).toBe(true);
        });
        it('refuses a tampered body', async () => {
          const v = await vectorsOf();
          expect(() => hooks.verify(tamper(v.good), verifyCtx(v.nowMs))).toThrow();
        });
        it('refuses a stale (replayed) request', async () => {
          const v = await vectorsOf();
          if (!v.stale) return; // the vendor's scheme has no timestamp (documented in its README)
          expect(() => hooks.verify(v.stale!, verifyCtx(v.nowMs))).toThrow();
        });
      });
    }

    if (options.recorded?.length) {
      it('maps recorded vendor objects', () => {
        const ctxLike = {
          instanceId: `contract-${connector.id}-recorded`,
          log: createLogger('silent'),
          credentials: {},
        } as unknown as ConnectorContext<Config>;
        for (const rec of options.recorded!) {
          const stream = connector.streams.find((s) => s.name === rec.stream);
          expect(stream?.name).toBe(rec.stream);
          const parsed = connector.configSchema.safeParse({});
          const ctx = { ...ctxLike, config: parsed.success ? parsed.data : {} } as ConnectorContext<Config>;
          const batches = rec.items.map((item) => stream!.map(item, ctx));
          for (const b of batches) expect(recordCount(b)).toBeGreaterThan(0);
          if (rec.expected)
            expect(JSON.parse(JSON.stringify(batches))).toEqual(JSON.parse(JSON.stringify(rec.expected)));
        }
      });
    }

    for (const family of connector.fetch ?? []) {
      it(`batch-get ${family.name}: values in key order, one Error per unknown key`, async () => {
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
