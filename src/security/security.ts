import type { ApolloServerPlugin } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  GraphQLError,
  Kind,
  type DocumentNode,
  type OperationDefinitionNode,
  type ValidationRule,
} from 'graphql';
import type { DataSource } from 'typeorm';
import type { RequestContext } from '../graphql/context.js';
import type { Logger } from '../log/logger.js';
import { API_KEY_PREFIX, verifyApiKey } from './api-keys.js';
import { createOidcVerifier, type OidcOptions } from './oidc.js';
import { accessFor, type Principal, type Role } from './policy.js';
import { DEFAULT_QUERY_LIMITS, measureOperation, queryLimitsRule, type QueryLimits } from './query-limits.js';
import { PgRateLimiter, type RateLimitOptions } from './rate-limit.js';
import {
  attachRequestSecurity,
  bindSecurityMode,
  flushReadAudit,
  principalOf,
  requestSecurity,
  type ReadAuditCommit,
  type RequestSecurity,
} from './request-security.js';
import { loadTrustedDocuments } from './trusted-documents.js';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../version.js';
import { ConfigError, type LoadedConfig } from '../config/config.js';
import { trustedDocumentsMiddleware, type TrustedDocuments } from './trusted-documents.js';

export interface SecurityOptions {
  /** The services of the hub this layer guards (its request contexts point at them). */
  services: object;
  dataSource: DataSource;
  log: Logger;
  production: boolean;
  /** The demo: no credential needed, every caller acts as admin. Refused in production. */
  demo: boolean;
  oidc?: OidcOptions | undefined;
  /** The allow-list enforced in production (required there). */
  trustedDocuments?: TrustedDocuments | undefined;
  /** Per-key token bucket by query cost; false turns it off. */
  rateLimit?: RateLimitOptions | false;
  limits?: Partial<QueryLimits>;
  /** How read audits commit (READ_AUDIT_COMMIT; default `async`): see flushReadAudit. */
  readAuditCommit?: ReadAuditCommit;
}

/** Who a request acts as, found by the HTTP handlers before Apollo runs. */
export interface RequestPrincipal {
  actor: string;
  role: Role | null;
  method: RequestSecurity['method'];
}

export interface HubSecurity {
  /** `open` (demo: no credential needed) or `secured`. */
  mode: 'open' | 'secured';
  limits: QueryLimits;
  /** Spread into the ApolloServer constructor. */
  apolloConfig: {
    validationRules: ValidationRule[];
    parseOptions: { maxTokens: number };
    allowBatchedHttpRequests: false;
    csrfPrevention: true;
    introspection: boolean;
    hideSchemaDetailsFromClientErrors: boolean;
    includeStacktraceInErrorResponses: false;
  };
  plugin: ApolloServerPlugin<RequestContext>;
  /** Mount on /graphql after the JSON body parser and before Apollo's middleware. */
  httpHandlers: RequestHandler[];
  /** Call in Apollo's context function: sets actor, role and purpose on the new context. */
  applyToContext(ctx: RequestContext, res: Response): void;
  /**
   * For graphql-ws: authenticates `connectionParams.authorization` (or `apiKey`) onto a new
   * context; false means close the connection (4401). Call `operationRefusal` in onSubscribe too.
   */
  applyToConnection(
    ctx: RequestContext,
    connectionParams: Readonly<Record<string, unknown>> | undefined,
  ): Promise<boolean>;
  /** For other transports: the principal for a bearer credential, or null when invalid. */
  authenticate(credential: string | undefined): Promise<RequestPrincipal | null>;
}

/** One message for every bad credential: it tells nothing about which keys or users exist. */
export const BAD_CREDENTIAL = 'Invalid, expired or revoked credential';

function unauthenticated(res: Response, message: string): void {
  res
    .status(401)
    .set('www-authenticate', 'Bearer realm="touchpoint"')
    .json({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] });
}

function credentialOf(req: Request): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.length) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : auth;
  }
  const key = req.headers['x-api-key'];
  return typeof key === 'string' && key.length ? key : undefined;
}

function rootFields(document: DocumentNode, op: OperationDefinitionNode): string[] {
  const fragments = new Map(
    document.definitions.flatMap((d) =>
      d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [],
    ),
  );
  const out: string[] = [];
  const walk = (sels: OperationDefinitionNode['selectionSet']['selections'], seen: Set<string>) => {
    for (const s of sels) {
      if (s.kind === Kind.FIELD) out.push(s.name.value);
      else if (s.kind === Kind.INLINE_FRAGMENT) walk(s.selectionSet.selections, seen);
      else if (!seen.has(s.name.value)) {
        const f = fragments.get(s.name.value);
        if (f) walk(f.selectionSet.selections, new Set([...seen, s.name.value]));
      }
    }
  };
  walk(op.selectionSet.selections, new Set());
  return out;
}

/** Root fields of the operation this principal may not use (introspection is left to `introspection`). */
export function deniedRootFields(
  document: DocumentNode,
  op: OperationDefinitionNode,
  principal: Principal,
): string[] {
  const type = op.operation === 'query' ? 'Query' : op.operation === 'mutation' ? 'Mutation' : 'Subscription';
  return rootFields(document, op)
    .filter((f) => accessFor(type, f, principal) === 'deny')
    .map((f) => `${type}.${f}`);
}

/**
 * Refusal of a whole operation before any resolver: anonymous callers asking for more than
 * `health` (401), and subscriptions to a field the role may not use (their subscribe functions
 * run outside the field middleware). Use it from graphql-ws's onSubscribe as well.
 */
export function operationRefusal(
  document: DocumentNode,
  op: OperationDefinitionNode,
  principal: Principal,
): GraphQLError | null {
  const denied = deniedRootFields(document, op, principal);
  if (!denied.length) return null;
  if (principal === 'anonymous') {
    return new GraphQLError(
      'Authentication is required: send Authorization: Bearer <API key or OIDC access token>',
      {
        extensions: {
          code: 'UNAUTHENTICATED',
          http: { status: 401, headers: new HeaderMap([['www-authenticate', 'Bearer realm="touchpoint"']]) },
        },
      },
    );
  }
  if (op.operation === 'subscription') {
    return new GraphQLError(`The ${principal} role may not use ${denied.join(', ')}`, {
      extensions: { code: 'FORBIDDEN', http: { status: 403 } },
    });
  }
  return null;
}

export function createSecurity(options: SecurityOptions): HubSecurity {
  const limits = { ...DEFAULT_QUERY_LIMITS, ...options.limits };
  if (options.production && options.demo)
    throw new Error('the demo (open access) cannot run with TOUCHPOINT_ENV=production');
  if (options.production && !options.trustedDocuments) {
    throw new Error(
      'TOUCHPOINT_ENV=production needs TRUSTED_DOCUMENTS: a trusted-documents.json (`touchpoint trusted-documents --write`)',
    );
  }
  const verifyJwt = options.oidc ? createOidcVerifier(options.oidc) : undefined;
  const limiter =
    options.rateLimit === false
      ? undefined
      : new PgRateLimiter(
          options.dataSource,
          options.rateLimit ?? { capacity: 20_000, refillPerSecond: 200 },
        );

  const authenticate = async (credential: string | undefined): Promise<RequestPrincipal | null> => {
    if (!credential)
      return options.demo
        ? { actor: 'demo', role: 'admin', method: 'demo' }
        : { actor: 'anonymous', role: null, method: 'anonymous' };
    if (credential.startsWith(API_KEY_PREFIX)) {
      const key = await verifyApiKey(options.dataSource, credential);
      return key ? { actor: `key:${key.id}`, role: key.role, method: 'api-key' } : null;
    }
    if (verifyJwt && credential.split('.').length === 3) {
      const p = await verifyJwt(credential);
      return p ? { actor: p.actor, role: p.role, method: 'oidc' } : null;
    }
    return null;
  };

  const authHandler: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    authenticate(credentialOf(req))
      .then((principal) => {
        if (!principal) return unauthenticated(res, BAD_CREDENTIAL);
        const purpose = req.headers['x-purpose'];
        res.locals.touchpointPrincipal = principal;
        res.locals.touchpointPurpose =
          typeof purpose === 'string' && purpose.trim() ? purpose.trim().slice(0, 200) : null;
        res.locals.touchpointRateKey = principal.role ? principal.actor : `ip:${req.ip ?? 'unknown'}`;
        next();
      })
      .catch(next);
  };

  const plugin: ApolloServerPlugin<RequestContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          requestSecurity(rc.contextValue);
          const principal = principalOf(rc.contextValue);
          if (!rc.operation) return;
          const refusal = operationRefusal(rc.document, rc.operation, principal);
          if (refusal) throw refusal;
          if (!limiter) return;
          const cost = measureOperation(
            rc.schema,
            rc.document,
            rc.operation,
            limits,
            rc.request.variables ?? undefined,
          ).cost;
          if (cost > limits.maxCost) {
            throw new GraphQLError(
              `The operation costs ${cost} with these variables; the limit is ${limits.maxCost}`,
              {
                extensions: {
                  code: 'QUERY_TOO_COMPLEX',
                  limit: 'cost',
                  value: cost,
                  max: limits.maxCost,
                  http: { status: 400 },
                },
              },
            );
          }
          const key = requestSecurity(rc.contextValue).rateKey ?? rc.contextValue.actor;
          const decision = await limiter.take(key, Math.max(1, cost));
          if (!decision.ok) {
            throw new GraphQLError(
              `Rate limit: this key may spend ${limiter.options.capacity} cost units at once, refilled at ${limiter.options.refillPerSecond} a second; retry in ${decision.retryAfterSeconds} s`,
              {
                extensions: {
                  code: 'RATE_LIMITED',
                  retryAfterSeconds: decision.retryAfterSeconds,
                  http: {
                    status: 429,
                    headers: new HeaderMap([['retry-after', String(decision.retryAfterSeconds)]]),
                  },
                },
              },
            );
          }
        },
        async willSendResponse(rc) {
          // Reads are audited even when part of the query failed: what was returned was read.
          await flushReadAudit(rc.contextValue, rc.operationName ?? null, options.readAuditCommit ?? 'async');
        },
      };
    },
  };

  bindSecurityMode(options.services, options.demo ? 'open' : 'secured');
  return {
    mode: options.demo ? 'open' : 'secured',
    limits,
    apolloConfig: {
      validationRules: [queryLimitsRule(limits)],
      parseOptions: { maxTokens: limits.maxTokens },
      allowBatchedHttpRequests: false,
      csrfPrevention: true,
      introspection: !options.production,
      hideSchemaDetailsFromClientErrors: options.production,
      includeStacktraceInErrorResponses: false,
    },
    plugin,
    httpHandlers: [
      authHandler,
      ...(options.production && options.trustedDocuments
        ? [trustedDocumentsMiddleware(options.trustedDocuments)]
        : []),
    ],
    applyToContext(ctx, res) {
      const p = res.locals.touchpointPrincipal as RequestPrincipal | undefined;
      const principal = p ?? { actor: 'anonymous', role: null, method: 'anonymous' as const };
      ctx.actor = principal.actor;
      ctx.role = principal.role;
      attachRequestSecurity(ctx, {
        purpose: (res.locals.touchpointPurpose as string | null | undefined) ?? null,
        method: principal.method,
        rateKey: (res.locals.touchpointRateKey as string | undefined) ?? principal.actor,
      });
    },
    authenticate,
    async applyToConnection(ctx, params) {
      const raw = params?.authorization ?? params?.Authorization ?? params?.apiKey;
      const credential = typeof raw === 'string' ? (/^Bearer\s+(\S+)\s*$/i.exec(raw)?.[1] ?? raw) : undefined;
      const principal = await authenticate(credential);
      if (!principal) return false;
      ctx.actor = principal.actor;
      ctx.role = principal.role;
      const purpose = params?.purpose;
      attachRequestSecurity(ctx, {
        purpose: typeof purpose === 'string' && purpose.trim() ? purpose.trim().slice(0, 200) : null,
        method: principal.method,
        rateKey: principal.actor,
      });
      return true;
    },
  };
}

/**
 * What `startHttpServer` uses when the caller passes no security layer: the demo (open) outside
 * production; in production, secured with the trusted documents in trusted-documents.json (none:
 * every document refused). `touchpoint serve` passes its own, built from the settings.
 */
export function defaultSecurity(
  services: { dataSource: DataSource; log: Logger },
  production: boolean,
): HubSecurity {
  const file = path.join(PROJECT_ROOT, 'trusted-documents.json');
  return createSecurity({
    services,
    dataSource: services.dataSource,
    log: services.log,
    production,
    demo: !production,
    rateLimit: false,
    trustedDocuments: production ? (fs.existsSync(file) ? loadTrustedDocuments(file) : new Map()) : undefined,
  });
}

/** The security layer of `touchpoint serve`, from the settings (call in src/app/hub.ts). */
export function securityFromConfig(
  config: Pick<
    LoadedConfig,
    | 'environment'
    | 'demo'
    | 'oidcIssuer'
    | 'oidcAudience'
    | 'oidcJwksUrl'
    | 'oidcRoleClaim'
    | 'trustedDocuments'
    | 'rateLimitCapacity'
    | 'rateLimitRefillPerSecond'
    | 'readAuditCommit'
  >,
  services: { dataSource: DataSource; log: Logger },
): HubSecurity {
  const production = config.environment === 'production';
  let trustedDocuments: TrustedDocuments | undefined;
  if (production) {
    const file = path.resolve(config.trustedDocuments);
    if (!fs.existsSync(file))
      throw new ConfigError(
        `TRUSTED_DOCUMENTS: ${file} does not exist (production serves only trusted documents: run \`touchpoint trusted-documents --write\`)`,
      );
    try {
      trustedDocuments = loadTrustedDocuments(file);
    } catch (err) {
      throw new ConfigError(`TRUSTED_DOCUMENTS: ${(err as Error).message}`);
    }
  }
  if (production && config.demo)
    throw new ConfigError('DEMO cannot be on with TOUCHPOINT_ENV=production: the demo has no authentication');
  return createSecurity({
    services,
    dataSource: services.dataSource,
    log: services.log,
    production,
    demo: config.demo,
    oidc: config.oidcIssuer
      ? {
          issuer: config.oidcIssuer,
          audience: config.oidcAudience,
          roleClaim: config.oidcRoleClaim,
          ...(config.oidcJwksUrl ? { jwksUrl: config.oidcJwksUrl } : {}),
        }
      : undefined,
    trustedDocuments,
    rateLimit: { capacity: config.rateLimitCapacity, refillPerSecond: config.rateLimitRefillPerSecond },
    readAuditCommit: config.readAuditCommit,
  });
}
