import fs from 'node:fs';
import type { DataSource } from 'typeorm';
import { ConfigError } from '../config/config.js';
import type { ConnectorContext, ConnectorDefinition, StreamDefinition } from '../connector-kit/contract.js';
import {
  createHttpClient,
  PgTokenStore,
  type HttpClient,
  type PgPoolLike,
  type TokenStore,
} from '../connector-kit/http/index.js';
import type { Logger } from '../log/logger.js';

/** The static registry (connectors/index.ts) as the engine sees it. */
export type ConnectorRegistry = Readonly<Record<string, ConnectorDefinition<any>>>;

/** A connector instance from the config file's `connectors` section, validated. */
export interface ConnectorInstance {
  id: string;
  connectorId: string;
  connector: ConnectorDefinition<any>;
  baseUrl: string;
  /** The instance's `config` block after the connector's configSchema (defaults applied). */
  config: unknown;
  credentials: Readonly<Record<string, string>>;
  /** Seconds between incremental runs; the stream's own default when the instance sets none. */
  everySeconds: number | null;
  enabled: boolean;
}

const DEFAULT_EVERY_SECONDS = 300;
const ALLOWED_KEYS = ['id', 'connector', 'baseUrl', 'config', 'credentials', 'schedule', 'enabled'];
const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export interface ParseInstancesOptions {
  env?: NodeJS.ProcessEnv;
  readFile?: (file: string) => string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Seconds between runs of one stream of an instance. */
export function streamInterval(instance: ConnectorInstance, stream: StreamDefinition<any>): number {
  return instance.everySeconds ?? stream.everySeconds ?? DEFAULT_EVERY_SECONDS;
}

/**
 * Validates the `connectors` section against the registry, each connector's configSchema and
 * its credential declaration. The first problem throws a one-line ConfigError naming the
 * instance and the setting.
 */
export function parseInstances(
  section: unknown,
  registry: ConnectorRegistry,
  options: ParseInstancesOptions = {},
): ConnectorInstance[] {
  if (section === undefined || section === null) return [];
  const env = options.env ?? process.env;
  const readFile = options.readFile ?? ((f: string) => fs.readFileSync(f, 'utf8'));
  if (!Array.isArray(section))
    throw new ConfigError(
      'connectors must be a list of connector instances, like [{ "id": "zendesk-eu", "connector": "zendesk", ... }]',
    );
  const seen = new Set<string>();
  return section.map((raw: unknown, index) => {
    if (!isObject(raw))
      throw new ConfigError(`connector instance #${index + 1} must be an object with "id" and "connector"`);
    if (typeof raw.id !== 'string' || !raw.id)
      throw new ConfigError(`connector instance #${index + 1} has no "id"`);
    const id = raw.id;
    const fail = (msg: string): never => {
      throw new ConfigError(`connector instance "${id}": ${msg}`);
    };
    if (!ID_PATTERN.test(id)) fail('id must be lower-case letters, digits, "-" or "_" (at most 63)');
    if (seen.has(id)) fail('is declared more than once');
    seen.add(id);
    for (const key of Object.keys(raw)) {
      if (!ALLOWED_KEYS.includes(key)) fail(`unknown setting "${key}" (allowed: ${ALLOWED_KEYS.join(', ')})`);
    }
    if (typeof raw.connector !== 'string' || !raw.connector) fail('"connector" is missing');
    const connectorId = raw.connector as string;
    const connector = registry[connectorId];
    if (!connector)
      fail(
        `connector "${connectorId}" is not one of ${Object.keys(registry).sort().join(', ') || '(none registered)'}`,
      );
    const def = connector!;

    let baseUrl = def.api.baseUrl;
    if (raw.baseUrl !== undefined) {
      let ok = false;
      if (typeof raw.baseUrl === 'string') {
        try {
          ok = ['http:', 'https:'].includes(new URL(raw.baseUrl).protocol);
        } catch {
          ok = false;
        }
      }
      if (!ok) fail(`baseUrl must be an http(s) URL (got ${JSON.stringify(raw.baseUrl)})`);
      baseUrl = raw.baseUrl as string;
    }

    const parsed = def.configSchema.safeParse(raw.config ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? `config.${issue.path.map(String).join('.')}` : 'config';
      fail(`${where}: ${issue.message}`);
    }

    const credentials: Record<string, string> = {};
    const given = raw.credentials ?? {};
    if (!isObject(given)) fail('credentials must be an object of { "name": { "env": "VARIABLE" } }');
    const declared = def.credentials;
    for (const name of Object.keys(given as object)) {
      if (!(name in declared))
        fail(
          `credential ${name} is not one the ${connectorId} connector declares (${Object.keys(declared).join(', ') || 'none'})`,
        );
    }
    for (const [name, decl] of Object.entries(declared)) {
      const source = (given as Record<string, unknown>)[name];
      if (source === undefined) {
        if (decl.optional) continue;
        fail(
          `credential ${name} is required: map it to { "env": "VARIABLE" } or { "file": "/run/secrets/..." }`,
        );
      }
      if (!isObject(source) || (typeof source.env !== 'string') === (typeof source.file !== 'string')) {
        fail(
          `credential ${name} must be { "env": "VARIABLE" } or { "file": "/path" } (secrets are never written in the config file)`,
        );
      }
      const s = source as { env?: string; file?: string };
      if (s.env !== undefined) {
        const value = env[s.env];
        if (value === undefined || value === '') {
          if (decl.optional) continue;
          fail(`credential ${name} needs environment variable ${s.env}, which is not set`);
        }
        credentials[name] = value!;
      } else {
        let text: string;
        try {
          text = readFile(s.file!);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          return fail(
            `credential ${name} needs file ${s.file}, which cannot be read (${code === 'ENOENT' ? 'no such file' : (code ?? 'unknown error')})`,
          );
        }
        const value = text.replace(/\r?\n$/, '');
        if (!value) fail(`credential ${name} needs file ${s.file}, which is empty`);
        credentials[name] = value;
      }
    }

    let everySeconds: number | null = null;
    if (raw.schedule !== undefined) {
      const every = isObject(raw.schedule) ? raw.schedule.everySeconds : undefined;
      if (typeof every !== 'number' || !Number.isInteger(every) || every < 1 || every > 86400 * 7) {
        fail(`schedule.everySeconds must be an integer from 1 to 604800 (got ${JSON.stringify(every)})`);
      }
      everySeconds = every as number;
    }
    if (raw.enabled !== undefined && typeof raw.enabled !== 'boolean')
      fail(`enabled must be true or false (got ${JSON.stringify(raw.enabled)})`);
    return {
      id,
      connectorId,
      connector: def,
      baseUrl,
      config: parsed.data,
      credentials,
      everySeconds,
      enabled: raw.enabled !== false,
    };
  });
}

/** The instance named on the command line, or a one-line error listing the configured ones. */
export function findInstance(instances: ConnectorInstance[], id: string): ConnectorInstance {
  const found = instances.find((i) => i.id === id);
  if (!found) {
    throw new ConfigError(
      `no connector instance "${id}" in the config file's connectors section${instances.length ? ` (configured: ${instances.map((i) => i.id).join(', ')})` : ' (none configured: set TOUCHPOINT_CONFIG)'}`,
    );
  }
  return found;
}

/** The pg pool under a TypeORM DataSource (the token store locks rows on its own connections). */
export function poolOf(ds: DataSource): PgPoolLike {
  return (ds.driver as unknown as { master: PgPoolLike }).master;
}

export interface InstanceRuntime {
  instance: ConnectorInstance;
  ctx: ConnectorContext<any>;
  http: HttpClient;
  close(): void;
}

/**
 * What a connector receives while it runs (CONVENTIONS 3): the shared HTTP client with the
 * connector's auth, classify hook and limits, its config and credentials, and a child logger.
 */
export function createInstanceRuntime(
  instance: ConnectorInstance,
  deps: { ds?: DataSource; tokenStore?: TokenStore; log: Logger },
): InstanceRuntime {
  const c = instance.connector;
  const tokenStore = deps.tokenStore ?? (deps.ds ? new PgTokenStore(poolOf(deps.ds)) : undefined);
  if (!tokenStore) throw new Error('createInstanceRuntime needs a DataSource or a token store');
  const log = deps.log.child({ connector: instance.connectorId, instance: instance.id });
  const auth = c.auth({
    config: instance.config,
    credentials: instance.credentials,
    tokenStore,
    instanceId: instance.id,
  });
  const http = createHttpClient({
    connectorId: instance.connectorId,
    instanceId: instance.id,
    baseURL: instance.baseUrl,
    auth,
    logger: log,
    ...(c.classify ? { classify: c.classify } : {}),
    ...(c.http?.concurrency !== undefined ? { concurrency: c.http.concurrency } : {}),
    ...(c.http?.timeoutMs !== undefined ? { timeoutMs: c.http.timeoutMs } : {}),
    ...(c.http?.maxAttempts !== undefined ? { maxAttempts: c.http.maxAttempts } : {}),
  });
  return {
    instance,
    http,
    ctx: { instanceId: instance.id, http, log, config: instance.config, credentials: instance.credentials },
    close: () => http.close(),
  };
}
