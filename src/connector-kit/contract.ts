import type { z } from 'zod';
import type { Logger } from '../log/logger.js';
import type { CanonicalBatch } from './canonical.js';
import type { AuthProvider, ClassifyHook, HttpClient, TokenStore } from './http/index.js';
import type { HeaderBag } from './webhooks/index.js';

export type ConnectorCategory = 'crm' | 'contact_centre' | 'hr' | 'billing' | 'social';

/**
 * Everything a connector may touch while it runs: the shared HTTP client (retries, 429,
 * breaker, OAuth refresh already handled), a logger with PII redacted, its validated
 * config and its credentials. It never sees the database, the queue or GraphQL.
 */
export interface ConnectorContext<Config> {
  instanceId: string;
  http: HttpClient;
  log: Logger;
  config: Config;
  credentials: Readonly<Record<string, string>>;
}

/** One page of a stream: the vendor objects and the cursor to resume from after this page is applied. */
export interface StreamPage<Item, Cursor> {
  items: Item[];
  /** Where the next page starts; saved by the engine only after this page is applied. */
  nextCursor: Cursor | null;
  /** True when the stream has nothing more for now (the next run resumes from nextCursor). */
  done: boolean;
}

/**
 * An incremental stream (contacts, calls, tickets...).
 * @example
 * const contacts: StreamDefinition<Cfg, HubspotContact, { after?: string; since?: string }> = {
 *   name: 'contacts',
 *   async fetchPage(ctx, cursor) {
 *     const res = await ctx.http.get('/crm/v3/objects/contacts', { params: { limit: 100, after: cursor?.after } });
 *     const next = res.data.paging?.next?.after;
 *     return { items: res.data.results, nextCursor: next ? { after: next } : null, done: !next };
 *   },
 *   map: (contact) => ({ people: [mapContact(contact)] }),
 * };
 */
export interface StreamDefinition<Config, Item = unknown, Cursor = unknown> {
  name: string;
  description?: string;
  /** Fetch one page starting at `cursor` (null: from the beginning, i.e. a full backfill). */
  fetchPage(ctx: ConnectorContext<Config>, cursor: Cursor | null): Promise<StreamPage<Item, Cursor>>;
  /** Vendor object → canonical records. Throw to send this one object to the dead-letter list. */
  map(item: Item, ctx: ConnectorContext<Config>): CanonicalBatch;
  /** Default schedule for incremental runs. */
  everySeconds?: number;
}

/** A webhook request as received, with the raw body the signature was computed over. */
export interface WebhookRequest {
  method: string;
  /** The full public URL the vendor called (Twilio signs it). */
  url: string;
  path: string;
  headers: HeaderBag;
  query: Readonly<Record<string, string | undefined>>;
  rawBody: Buffer;
}

export interface WebhookEvent {
  /** The vendor's event id (idempotency key); derive a stable one when the vendor has none. */
  id: string;
  type: string;
  payload: unknown;
}

export interface WebhookDefinition<Config> {
  /**
   * Verify the vendor's signature (constant time) and replay window. Throw a
   * WebhookVerificationError on failure: the hub answers 401 and stores nothing.
   */
  verify(req: WebhookRequest, ctx: { config: Config; credentials: Readonly<Record<string, string>>; nowMs: number }): void;
  /** Verification handshakes some vendors make with GET (Meta hub.challenge, X CRC). */
  handshake?(
    req: WebhookRequest,
    ctx: { config: Config; credentials: Readonly<Record<string, string>> },
  ): { status: number; body: unknown; contentType?: string } | null;
  /** Split a verified request into events. Throw for malformed content: the hub answers 400. */
  parse(req: WebhookRequest, ctx: { config: Config }): WebhookEvent[];
  /** Event → canonical records, applied by a worker after the 2xx. May call the vendor through ctx.http. */
  map(event: WebhookEvent, ctx: ConnectorContext<Config>): CanonicalBatch | Promise<CanonicalBatch>;
}

/**
 * Batched live lookups for federated fields (open balance, open tickets). One call per
 * request per instance through DataLoader.
 */
export interface FetchDefinition<Config, Value = unknown> {
  /** Name of the live field family, e.g. `billing` or `tickets`. */
  name: string;
  /** Default deadline for one batch; the stored value is served when it passes. */
  deadlineMs?: number;
  /** Values in key order: an Error in the slot of each key the source does not know. */
  fetchMany(ctx: ConnectorContext<Config>, externalIds: readonly string[]): Promise<(Value | Error)[]>;
}

/** How the vendor's API works, as data (CONVENTIONS 2): documentation and defaults for the client. */
export interface ApiDescription {
  baseUrl: string;
  auth: 'bearer' | 'basic' | 'api_key' | 'oauth2';
  paging: 'cursor' | 'starting_after' | 'page_token' | 'next_url' | 'link_header' | 'offset';
  rateLimitHeaders?: string[];
  docs?: string;
}

export interface ConnectorDefinition<Config = Record<string, unknown>> {
  id: string;
  category: ConnectorCategory;
  displayName: string;
  api: ApiDescription;
  /** Validates the instance's `config` block at start-up. */
  configSchema: z.ZodType<Config>;
  /** Credential names this connector needs; each instance maps them to environment variables. */
  credentials: Record<string, { description: string; optional?: boolean }>;
  /** The authentication the HTTP client applies (token store given for OAuth2 connectors). */
  auth(ctx: { config: Config; credentials: Readonly<Record<string, string>>; tokenStore: TokenStore; instanceId: string }): AuthProvider;
  /** Vendor-specific rate-limit and error classification (BambooHR's 200-with-429 body...). */
  classify?: ClassifyHook;
  http?: { concurrency?: number; timeoutMs?: number; maxAttempts?: number };
  streams: StreamDefinition<Config, any, any>[];
  webhooks?: WebhookDefinition<Config>;
  fetch?: FetchDefinition<Config, any>[];
}

/**
 * Declares a connector. Typing only: it returns its argument, so a connector is plain data
 * plus the few functions data cannot express.
 * @example
 * export default defineConnector({
 *   id: 'acme', category: 'crm', displayName: 'Acme CRM',
 *   api: { baseUrl: 'https://api.acme.test', auth: 'bearer', paging: 'cursor' },
 *   configSchema: z.object({}), credentials: { token: { description: 'API token' } },
 *   auth: ({ credentials }) => bearer(credentials.token!),
 *   streams: [contacts],
 * });
 */
export function defineConnector<Config>(definition: ConnectorDefinition<Config>): ConnectorDefinition<Config> {
  return definition;
}

/** An error in a vendor object's mapping: the object goes to the dead-letter list with this reason. */
export class MappingError extends Error {
  override name = 'MappingError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
