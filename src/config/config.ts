import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { CountryCode } from 'libphonenumber-js';
import { isSupportedCountry } from 'libphonenumber-js';

/** Raised for a missing or bad setting; the CLI prints its message as one line and exits 1. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const bool = (setting: string) =>
  z
    .union([z.boolean(), z.string()])
    .transform((v, ctx) => {
      if (typeof v === 'boolean') return v;
      const s = v.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
      ctx.addIssue({ code: 'custom', message: `${setting} must be true or false (got "${v}")` });
      return z.NEVER;
    });

const int = (setting: string, min: number, max: number) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const n = typeof v === 'number' ? v : /^\s*-?\d+\s*$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `${setting} must be an integer from ${min} to ${max} (got "${v}")` });
      return z.NEVER;
    }
    return n;
  });

const postgresUrl = z.string().transform((v, ctx) => {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'DATABASE_URL must be a URL like postgres://user:password@host:5432/database' });
    return z.NEVER;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    ctx.addIssue({
      code: 'custom',
      message: `DATABASE_URL must use the postgres:// or postgresql:// scheme (got "${url.protocol.replace(/:$/, '')}")`,
    });
    return z.NEVER;
  }
  if (!url.hostname) {
    ctx.addIssue({ code: 'custom', message: 'DATABASE_URL must name a host, like postgres://user@host:5432/database' });
    return z.NEVER;
  }
  return v;
});

const region = z.string().transform((v, ctx) => {
  const upper = v.trim().toUpperCase();
  if (!isSupportedCountry(upper)) {
    ctx.addIssue({
      code: 'custom',
      message: `DEFAULT_PHONE_REGION must be an ISO 3166 two-letter country code such as GB or US (got "${v}")`,
    });
    return z.NEVER;
  }
  return upper as CountryCode;
});

/**
 * Every setting, with its environment variable, its config-file key and its default.
 * The README's configuration table is written from this list; keep both in step.
 */
export const SETTINGS = {
  databaseUrl: { env: 'DATABASE_URL', schema: postgresUrl.optional() },
  dataDir: { env: 'DATA_DIR', schema: z.string().min(1).default('.data') },
  port: { env: 'PORT', schema: int('PORT', 0, 65535).default(4000) },
  host: { env: 'HOST', schema: z.string().min(1).default('127.0.0.1') },
  environment: {
    env: 'TOUCHPOINT_ENV',
    schema: z
      .enum(['development', 'production', 'test'], {
        error: (i) => `TOUCHPOINT_ENV must be one of development, production, test (got "${String(i.input)}")`,
      })
      .default('development'),
  },
  logLevel: {
    env: 'LOG_LEVEL',
    schema: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: (i) =>
          `LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "${String(i.input)}")`,
      })
      .default('info'),
  },
  dbPoolMax: { env: 'DB_POOL_MAX', schema: int('DB_POOL_MAX', 1, 1000).default(10) },
  shutdownTimeoutMs: { env: 'SHUTDOWN_TIMEOUT_MS', schema: int('SHUTDOWN_TIMEOUT_MS', 0, 600000).default(10000) },
  defaultPhoneRegion: { env: 'DEFAULT_PHONE_REGION', schema: region.default('GB' as CountryCode) },
  worker: { env: 'WORKER', schema: bool('WORKER').default(true) },
  demo: { env: 'DEMO', schema: bool('DEMO').default(false) },
  publicUrl: {
    env: 'PUBLIC_URL',
    schema: z.url({ error: 'PUBLIC_URL must be the public base URL of the hub, like https://hub.example.com' }).optional(),
  },
  oidcIssuer: { env: 'OIDC_ISSUER', schema: z.url({ error: 'OIDC_ISSUER must be the issuer URL of the identity provider' }).optional() },
  oidcAudience: { env: 'OIDC_AUDIENCE', schema: z.string().min(1).default('touchpoint') },
  oidcJwksUrl: { env: 'OIDC_JWKS_URL', schema: z.url({ error: 'OIDC_JWKS_URL must be a URL' }).optional() },
  oidcRoleClaim: { env: 'OIDC_ROLE_CLAIM', schema: z.string().min(1).default('roles') },
  trustedDocuments: { env: 'TRUSTED_DOCUMENTS', schema: z.string().min(1).default('trusted-documents.json') },
  rateLimitCapacity: { env: 'RATE_LIMIT_CAPACITY', schema: int('RATE_LIMIT_CAPACITY', 1, 100_000_000).default(20000) },
  rateLimitRefillPerSecond: { env: 'RATE_LIMIT_REFILL_PER_SECOND', schema: int('RATE_LIMIT_REFILL_PER_SECOND', 1, 10_000_000).default(200) },
  readAuditCommit: {
    env: 'READ_AUDIT_COMMIT',
    schema: z
      .enum(['async', 'durable'], {
        error: (i) => `READ_AUDIT_COMMIT must be async or durable (got "${String(i.input)}")`,
      })
      .default('async'),
  },
  secretsFile: { env: 'SECRETS_FILE', schema: z.string().min(1).optional() },
} as const;

type Settings = typeof SETTINGS;
export type Config = { [K in keyof Settings]: z.output<Settings[K]['schema']> };
export type SettingKey = keyof Settings;

/** Config-file keys accepted besides the settings above (sections owned by later capabilities). */
const EXTRA_FILE_SECTIONS = new Set(['connectors', 'identity', 'security']);

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Values from the command line; they win over the environment and the file. */
  overrides?: Partial<Record<SettingKey, unknown>>;
}

export interface LoadedConfig extends Config {
  /** Sections of the config file that later capabilities read (connectors, identity...). */
  file: Record<string, unknown>;
  configFile?: string;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `TOUCHPOINT_CONFIG points at ${file}, which cannot be read (${code === 'ENOENT' ? 'no such file' : code ?? 'unknown error'})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a JSON object of settings`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Reads settings once at start-up: command-line overrides, then environment variables, then the
 * optional JSON file named by TOUCHPOINT_CONFIG, then defaults. The first bad value throws a
 * ConfigError whose message names the setting and what was expected.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const configFile = env.TOUCHPOINT_CONFIG ? path.resolve(env.TOUCHPOINT_CONFIG) : undefined;
  const file = configFile ? readConfigFile(configFile) : {};
  for (const key of Object.keys(file)) {
    if (!(key in SETTINGS) && !EXTRA_FILE_SECTIONS.has(key)) {
      const known = [...Object.keys(SETTINGS), ...EXTRA_FILE_SECTIONS].join(', ');
      throw new ConfigError(`config file ${configFile} has an unknown setting "${key}" (known: ${known})`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SETTINGS) as [SettingKey, Settings[SettingKey]][]) {
    const fromEnv = env[spec.env];
    const raw = options.overrides?.[key] ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : file[key]);
    const result = (spec.schema as z.ZodType).safeParse(raw);
    if (!result.success) {
      const issue = result.error.issues[0];
      const source = options.overrides?.[key] !== undefined ? 'command line' : fromEnv ? 'environment' : 'config file';
      const message = issue?.message ?? 'invalid value';
      throw new ConfigError(
        message.startsWith(spec.env) ? message : `${spec.env} (${source}): ${message}`,
      );
    }
    out[key] = result.data;
  }
  const config = out as unknown as Config;
  return {
    ...config,
    dataDir: path.resolve(config.dataDir),
    file,
    ...(configFile ? { configFile } : {}),
  };
}
