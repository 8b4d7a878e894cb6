import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ApolloServer, HeaderMap, type BaseContext } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Flywheel } from '../app/flywheel';
import { buildGatewaySchema } from '../schema/build-schema';
import { createGatewayPubSub, publishTo } from '../../resolvers/pubsub';
import type { GatewayContext } from '../../resolvers/context';
import { createGraphiqlHandler } from './graphiql';
import { BodyTooLargeError, readBody, sendJson, sendText } from './http-util';
import { createLoaders } from '../../resolvers/loaders';
import { AdmissionError } from './admission';
import { formatForClient, formatWsErrors } from './client-errors';
import { Safelist } from './safelist';
import { createSecurity, credentialsFromConnectionParams, credentialsFromHeaders, retryAfterSeconds } from './security';
import { WsSessions } from './ws-sessions';
import type * as JitExecutor from './jit-executor';
import { metricsAccess } from './metrics-access';
import { OperationLabels } from './operation-labels';
import type { Identity } from '../auth/identity';
import { unauthenticated } from '../auth/authenticator';
import { ErrorCode } from '../util/error-codes';

/**
 * The HTTP front door: one node:http server (no framework on the hot path) that serves
 *   /graphql   GraphQL over HTTP (Apollo Server 5) and graphql-ws subscriptions on the same path,
 *   /graphiql  the self-hosted GraphiQL,
 *   /healthz   liveness, /readyz readiness (ingestion caught up), /metrics Prometheus text.
 */
export interface Gateway {
  server: Server;
  url: string;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), closes subscriptions. */
  close(): Promise<void>;
}

export const GRAPHQL_PATH = '/graphql';
const EXAMPLES_FILE = path.resolve(__dirname, '../../../schema/operations/examples.graphql');

export async function startGateway(app: Flywheel, { port, host }: { port: number; host: string }): Promise<Gateway> {
  const { logger, metrics, config } = app;
  // This server's subscriptions hear the core's announcements through their own pubsub, detached on close.
  const pubsub = createGatewayPubSub();
  const detachLive = app.live.attach(publishTo(pubsub));
  const schema = await buildGatewaySchema(pubsub);
  const security = createSecurity(config);
  const admission = security.createAdmission(schema);
  if (!security.authenticator.enabled) {
    logger.warn('AUTHENTICATION IS OFF: every request acts as admin. Fine for the embedded demo; set FLYWHEEL_AUTH=on with keys for anything else.');
  }

  const apollo = new ApolloServer<GatewayContext & BaseContext>({
    // graphql-jit is loaded only when it executes (FLYWHEEL_EXECUTOR=graphql-js never loads it)
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
    ...(config.FLYWHEEL_EXECUTOR === 'jit' ? { gateway: (require('./jit-executor') as typeof JitExecutor).jitGateway(schema) } : { schema }),
    introspection: true,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    // Shutdown order is ours (drain HTTP, stop ingestion, checkpoint, close the log); Apollo's own
    // signal handler would stop it early and re-raise the signal.
    stopOnTerminationSignals: false,
    // The cache-control plugin wraps every field resolver to compute HTTP cache hints we do not use
    // (answers are per user and live); off, it halves the cost of a 10-item recommendation query.
    // Query-shape limits and the introspection rule are applied before Apollo, by the admission gate
    // shared with graphql-ws; Apollo then parses and validates (graphql-js rules) admitted text only.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled()],
    // Automatic persisted queries would let a hash stand in for text the admission gate never saw
    // (safelist mode resolves its own persisted documents to text first).
    persistedQueries: false,
    allowBatchedHttpRequests: false,
    formatError: (formatted, error) => formatForClient(formatted, error, logger, security.hideSuggestions),
  });
  await apollo.start();

  const graphiql = createGraphiqlHandler({ graphqlPath: GRAPHQL_PATH, examples: readExamples(), title: 'Flywheel GraphiQL' });
  const operationLabels = OperationLabels.fromManifest();
  const safelist = config.FLYWHEEL_SAFELIST ? Safelist.fromFile() : null;
  if (safelist) logger.info({ operations: safelist.size }, 'safelist mode: only persisted operations are accepted');
  // Load shedding: beyond this many requests in progress, answer 429 at once instead of queueing
  // without bound (memory stays flat, clients back off with Retry-After).
  let inFlight = 0;

  const handleGraphql = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const started = process.hrtime.bigint();
    let body: unknown;
    let status = 200;
    let operation = 'unknown';
    if (inFlight >= config.FLYWHEEL_MAX_IN_FLIGHT) {
      metrics.httpDuration.observe({ operation: 'shed', status: '429' }, 0);
      res.setHeader('retry-after', '1');
      return sendJson(res, 429, { errors: [{ message: 'gateway is at capacity; retry shortly', extensions: { code: ErrorCode.OVERLOADED } }] });
    }
    inFlight++;
    try {
      if (req.method === 'POST') {
        const text = await readBody(req, config.FLYWHEEL_MAX_BODY_BYTES);
        try {
          body = text.length > 0 ? JSON.parse(text) : {};
        } catch {
          status = 400;
          return sendJson(res, 400, { errors: [{ message: 'request body is not valid JSON', extensions: { code: ErrorCode.BAD_REQUEST } }] });
        }
        if (safelist) {
          const allowed = safelist.resolve(body);
          if (!allowed) {
            status = 400;
            return sendJson(res, 400, { errors: [{ message: 'only persisted operations are accepted (safelist mode); send documentId from the codegen manifest', extensions: { code: ErrorCode.PERSISTED_QUERY_NOT_ALLOWED } }] });
          }
          body = allowed;
        }
        operation = operationLabels.labelFor(body);
      } else if (safelist) {
        status = 405;
        return sendJson(res, 405, { errors: [{ message: 'safelist mode accepts POST only', extensions: { code: ErrorCode.METHOD_NOT_ALLOWED } }] });
      }
      let identity: Identity;
      try {
        identity = await security.identify(credentialsFromHeaders(req.headers), req.socket.remoteAddress);
        await security.consume(identity, req.socket.remoteAddress);
        const request = req.method === 'POST' ? ((body ?? {}) as { query?: unknown; operationName?: unknown }) : { query: url.searchParams.get('query'), operationName: url.searchParams.get('operationName') };
        const { operation } = admission.admit(request.query, request.operationName, identity);
        if (operation.operation === 'subscription') {
          status = 400;
          return sendJson(res, 400, { errors: [{ message: `subscriptions are served over graphql-ws (WebSocket) at ${GRAPHQL_PATH}, not over HTTP`, extensions: { code: ErrorCode.BAD_REQUEST } }] });
        }
      } catch (err) {
        if (err instanceof AdmissionError) {
          status = err.status;
          return sendJson(res, status, { errors: err.errors.map((e) => e.toJSON()) });
        }
        if (err instanceof GraphQLError) {
          status = (err.extensions.http as { status?: number } | undefined)?.status ?? 400;
          const retryAfter = retryAfterSeconds(err);
          if (retryAfter !== null) res.setHeader('retry-after', String(retryAfter));
          const { http: _http, ...extensions } = err.extensions;
          return sendJson(res, status, { errors: [{ message: err.message, extensions }] });
        }
        throw err;
      }
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
        context: async () => ({ app, identity, loaders: createLoaders(app.store) }),
      });
      status = response.status ?? 200;
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = status;
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
      } else {
        for await (const chunk of response.body.asyncIterator) res.write(chunk);
        res.end();
      }
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        status = 413;
        return sendJson(res, 413, { errors: [{ message: err.message, extensions: { code: ErrorCode.PAYLOAD_TOO_LARGE } }] });
      }
      status = 500;
      logger.error({ err }, 'unhandled error in GraphQL HTTP handler');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] });
      else res.end();
    } finally {
      inFlight--;
      metrics.httpDuration.observe({ operation, status: String(status) }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = url.pathname;
    if (route === GRAPHQL_PATH) {
      void handleGraphql(req, res, url);
    } else if (graphiql(req, res)) {
      return;
    } else if (route === '/healthz') {
      sendJson(res, 200, { status: 'ok' });
    } else if (route === '/readyz') {
      // The lag is read from the log now (not a sample), and ingestion that stopped advancing while
      // behind (a poison record, a graph store that is down) is not ready.
      void app.ingestor.refreshLag().then((lag) => {
        const stalled = app.ingestor.stalled();
        const ready = !closing && app.ingestor.hasCaughtUp() && !stalled;
        const status = ready ? 'ready' : closing ? 'shutting down' : stalled ? 'ingestion stalled' : 'catching up';
        const loop = app.watchdog.delay();
        sendJson(res, ready ? 200 : 503, { status, ingestLag: lag, eventLoopDelayMs: { p99: loop.p99Ms, max: loop.maxMs } });
      });
    } else if (route === '/metrics') {
      const access = metricsAccess({ token: config.FLYWHEEL_METRICS_TOKEN, production: config.NODE_ENV === 'production' }, req);
      if (!access.allowed) {
        if (access.status === 401) res.setHeader('www-authenticate', 'Bearer');
        return sendJson(res, access.status, { error: access.message });
      }
      void renderMetrics(app)
        .then((text) => sendText(res, 200, text, metrics.registry.contentType))
        .catch((err: unknown) => {
          logger.error({ err }, 'metrics rendering failed');
          sendText(res, 500, 'metrics unavailable');
        });
    } else if (route === '/') {
      res.writeHead(302, { location: '/graphiql' });
      res.end();
    } else {
      sendJson(res, 404, { error: `no route ${route}; GraphQL is at ${GRAPHQL_PATH}, GraphiQL at /graphiql` });
    }
  });
  server.keepAliveTimeout = 65_000;

  // Subscriptions: graphql-ws on the same server and path. It bypasses Apollo, so context is built
  // here, once per subscription, with loaders that do not cache (the subscription outlives a request).
  // Authentication, rate limits and the admission gate are the same functions HTTP calls.
  const wsServer = new WebSocketServer({ server, path: GRAPHQL_PATH, maxPayload: config.FLYWHEEL_MAX_BODY_BYTES });
  const sessions = new WsSessions(metrics.wsConnections);
  const wsCleanup = useServer(
    {
      schema,
      onConnect: async (ctx) => {
        const fromParams = credentialsFromConnectionParams(ctx.connectionParams);
        const credentials = fromParams.authorization || fromParams.apiKey ? fromParams : credentialsFromHeaders(ctx.extra.request.headers);
        let identity: Identity;
        try {
          identity = await security.identify(credentials, ctx.extra.request.socket.remoteAddress);
        } catch (err) {
          // Rate limited: 4429, so the client knows to back off; any other refusal: graphql-ws's 4403.
          if (retryAfterSeconds(err) !== null) ctx.extra.socket.close(4429, 'rate limited');
          return false;
        }
        sessions.open(ctx.extra.socket, identity);
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const identity = sessions.identity(ctx.extra.socket);
        if (!identity) return [unauthenticated('the credentials of this connection have expired; reconnect with fresh ones')];
        try {
          await security.consume(identity, ctx.extra.request.socket.remoteAddress);
          const resolved = safelist ? safelist.resolve(payload) : payload;
          if (!resolved) {
            return [new GraphQLError('only persisted operations are accepted (safelist mode)', { extensions: { code: ErrorCode.PERSISTED_QUERY_NOT_ALLOWED } })];
          }
          const { document } = admission.admit(resolved.query, resolved.operationName, identity);
          // Execution arguments are returned, so graphql-ws executes exactly the admitted document.
          return {
            schema,
            document,
            operationName: typeof resolved.operationName === 'string' ? resolved.operationName : undefined,
            variableValues: (resolved.variables as Record<string, unknown> | null | undefined) ?? undefined,
            contextValue: { app, identity, loaders: createLoaders(app.store, { cache: false }) } satisfies GatewayContext,
          };
        } catch (err) {
          if (err instanceof AdmissionError) return [...err.errors];
          if (err instanceof GraphQLError) return [err];
          // Never let graphql-ws close the socket with an internal message as the reason.
          logger.error({ err }, 'graphql-ws subscribe failed');
          return [new GraphQLError('internal server error', { extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } })];
        }
      },
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: formatWsErrors(result.errors, logger, security.hideSuggestions) } : undefined),
      onError: (_ctx, _id, _payload, errors) => formatWsErrors(errors, logger, security.hideSuggestions),
      onClose: (ctx) => sessions.close(ctx.extra.socket),
    },
    wsServer,
  );

  let closing = false;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url: `${url}${GRAPHQL_PATH}`, graphiql: `${url}/graphiql` }, 'gateway listening');

  return {
    server,
    url,
    async close() {
      if (closing) return;
      closing = true;
      detachLive();
      server.close();
      server.closeIdleConnections();
      await wsCleanup.dispose();
      wsServer.close();
      const deadline = setTimeout(() => server.closeAllConnections(), config.FLYWHEEL_SHUTDOWN_GRACE_MS);
      await new Promise<void>((resolve) => (server.listening ? server.once('close', () => resolve()) : resolve()));
      clearTimeout(deadline);
      await apollo.stop();
    },
  };
}

function readExamples(): string {
  try {
    return readFileSync(EXAMPLES_FILE, 'utf8');
  } catch {
    return '{ __typename }\n';
  }
}

async function renderMetrics(app: Flywheel): Promise<string> {
  const stats = await app.store.stats();
  app.metrics.graphSize.set({ kind: 'users' }, stats.users);
  app.metrics.graphSize.set({ kind: 'items' }, stats.items);
  app.metrics.graphSize.set({ kind: 'edges' }, stats.edges);
  app.metrics.ingestLag.set(await app.ingestor.refreshLag());
  app.metrics.ingestStalled.set(app.ingestor.stalled() ? 1 : 0);
  return app.metrics.registry.metrics();
}
