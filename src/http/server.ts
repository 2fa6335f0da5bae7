import crypto from 'node:crypto';
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { getOperationAST, GraphQLError, parse, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import { databaseReady } from '../db/database.js';
import { createRequestContext, type AppServices, type RequestContext } from '../graphql/context.js';
import { ERROR_CODES } from '../graphql/errors.js';
import { buildHubSchema } from '../graphql/schema.js';
import { liveReportPlugin } from '../live/live-report.plugin.js';
import { principalOf } from '../security/request-security.js';
import { defaultSecurity, operationRefusal, type HubSecurity } from '../security/security.js';

export interface HttpServerOptions {
  services: AppServices;
  host: string;
  port: number;
  production: boolean;
  /** Extra routes mounted before /graphql (webhooks, demo pages...). */
  mount?: (app: express.Express) => void;
  /** Authentication, field policy, read audit, query limits (src/security). Default: the demo (open) outside production. */
  security?: HubSecurity;
}

export interface RunningHttpServer {
  url: string;
  graphqlUrl: string;
  port: number;
  server: http.Server;
  /** Stop accepting, let in-flight requests finish (up to the timeout), then close. */
  stop(timeoutMs: number): Promise<void>;
}

const KNOWN_CODES = new Set(Object.keys(ERROR_CODES));

/**
 * Errors with a code from our closed table (and GraphQL's own validation errors) reach the client;
 * anything else is logged with a correlation id and masked.
 */
export function formatError(services: AppServices) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && (KNOWN_CODES.has(code) || code.startsWith('GRAPHQL_') || code === 'BAD_REQUEST' || code === 'PERSISTED_QUERY_NOT_FOUND')) {
      const { stacktrace: _s, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const correlationId = crypto.randomUUID();
    services.log.error({ err: error, correlationId }, 'unexpected error in a GraphQL operation');
    return {
      message: `Internal error (correlation id ${correlationId})`,
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId },
    };
  };
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { services } = options;
  const app = express();
  app.disable('x-powered-by');
  const server = http.createServer(app);
  const schema = await buildHubSchema();
  const security = options.security ?? defaultSecurity(services, options.production);
  // Subscriptions (graphql-ws) on the same port and path as queries.
  // noServer: the WebSocket server must not re-emit the HTTP server's listen errors (a taken PORT
  // is reported once, by the hub, as one line).
  const wsServer = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/graphql') {
      socket.destroy();
      return;
    }
    wsServer.handleUpgrade(req, socket, head, (ws) => wsServer.emit('connection', ws, req));
  });
  const wsCleanup = useServer(
    {
      schema,
      // Each connection authenticates once (connectionParams.authorization or apiKey); every
      // subscription on it runs as that principal, refused up front when its role may not use it.
      onConnect: async (ctx) => {
        const rc = createRequestContext(services, crypto.randomUUID());
        if (!(await security.applyToConnection(rc, ctx.connectionParams))) return false;
        (ctx.extra as { requestContext?: RequestContext }).requestContext = rc;
        return true;
      },
      context: (ctx) => (ctx.extra as { requestContext?: RequestContext }).requestContext ?? createRequestContext(services, crypto.randomUUID()),
      onSubscribe: (ctx, _id, payload) => {
        const rc = (ctx.extra as { requestContext?: RequestContext }).requestContext;
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (err) {
          return [err instanceof GraphQLError ? err : new GraphQLError('the subscription document does not parse')];
        }
        const op = getOperationAST(document, payload.operationName ?? undefined);
        if (!op) return [new GraphQLError('the document has no operation with that name')];
        const refusal = rc ? operationRefusal(document, op, principalOf(rc)) : null;
        return refusal ? [refusal] : undefined;
      },
    },
    wsServer,
  );
  const apollo = new ApolloServer<RequestContext>({
    schema,
    // introspection, stack traces, CSRF, batching, limits: src/security decides.
    ...security.apolloConfig,
    formatError: formatError(services),
    plugins: [
      // No HTTP caching of answers: they carry live fields and are audited per read. Without the
      // cache-control plugin no plugin hooks every field, so Apollo does not instrument resolvers.
      ApolloServerPluginCacheControlDisabled(),
      liveReportPlugin<RequestContext>(),
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      security.plugin,
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = await databaseReady(services.dataSource);
    const ok = ready.reachable && ready.pending.length === 0;
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ready' : 'not-ready',
      database: ready.reachable ? 'up' : 'down',
      pendingMigrations: ready.pending,
    });
  });
  options.mount?.(app);
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    ...security.httpHandlers,
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const header = req.headers['x-request-id'];
        const requestId = typeof header === 'string' && header.length <= 128 ? header : crypto.randomUUID();
        const ctx = createRequestContext(services, requestId);
        security.applyToContext(ctx, res);
        return ctx;
      },
    }),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  const url = `http://${shownHost}:${port}`;
  let stopping: Promise<void> | undefined;
  return {
    url,
    graphqlUrl: `${url}/graphql`,
    port,
    server,
    stop(timeoutMs: number) {
      stopping ??= (async () => {
        const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
        force.unref();
        // The drain plugin stops accepting and waits for in-flight operations.
        await apollo.stop();
        clearTimeout(force);
      })();
      return stopping;
    },
  };
}
