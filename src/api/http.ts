import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ApolloServer, HeaderMap, type BaseContext } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { Flywheel } from '../app/flywheel';
import { createGatewayContext, type GatewayContext } from '../../resolvers/context';
import { AdmissionError } from './admission';
import { formatForClient } from './client-errors';
import type { Gate, OperationParams } from './gate';
import { createConsoleHandler } from './console';
import { createGraphiqlHandler } from './graphiql';
import { operationTabs } from './operation-tabs';
import { healthz, metricsEndpoint, readyz } from './health';
import type * as JitExecutor from './jit-executor';
import { BodyTooLargeError, readBody, sendJson } from './http-util';
import { OperationLabels } from './operation-labels';
import { credentialsFromHeaders, retryAfterSeconds, type Security } from './security';
import { ErrorCode } from '../util/error-codes';

export const GRAPHQL_PATH = '/graphql';
const OPERATIONS_DIR = path.resolve(__dirname, '../../../schema/operations');
const EXAMPLES_FILE = path.join(OPERATIONS_DIR, 'examples.graphql');

export interface HttpDeps {
  app: Flywheel;
  schema: GraphQLSchema;
  security: Security;
  gate: Gate;
  /** Safelist mode: GraphQL over HTTP takes POST only (the gate checks the document). */
  safelistMode: boolean;
  /** True once the gateway is shutting down (/readyz answers 503). */
  closing(): boolean;
}

export interface HttpFront {
  server: Server;
  /** Stops Apollo, after the server has stopped taking requests. */
  stopApollo(): Promise<void>;
}

/**
 * The HTTP side of the gateway: one node:http server (no framework on the hot path) that serves
 *   /graphql   GraphQL over HTTP (Apollo Server 5; graphql-ws attaches to the same path, websocket.ts),
 *   /graphiql  the self-hosted GraphiQL,
 *   /console   the web console (console.ts: static files; its data comes from /graphql),
 *   /healthz   liveness, /readyz readiness (ingestion caught up), /metrics Prometheus text (health.ts).
 */
export async function createHttpFront({ app, schema, security, gate, safelistMode, closing }: HttpDeps): Promise<HttpFront> {
  const { logger, metrics, config } = app;
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
    // Query-shape limits and the introspection rule are applied before Apollo, by the gate shared
    // with graphql-ws; Apollo then parses and validates (graphql-js rules) admitted text only.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled()],
    // Automatic persisted queries would let a hash stand in for text the gate never saw (safelist
    // mode resolves its own persisted documents to text first).
    persistedQueries: false,
    allowBatchedHttpRequests: false,
    formatError: (formatted, error) => formatForClient(formatted, error, logger, security.hideSuggestions),
  });
  await apollo.start();

  const graphiql = createGraphiqlHandler({
    graphqlPath: GRAPHQL_PATH,
    examples: readExamples(),
    tabs: operationTabs(OPERATIONS_DIR).map(({ query }) => ({ query })),
    title: 'Flywheel GraphiQL',
  });
  const consolePages = createConsoleHandler();
  const operationLabels = OperationLabels.fromManifest();
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
        operation = operationLabels.labelFor(body);
      } else if (safelistMode) {
        status = 405;
        return sendJson(res, 405, { errors: [{ message: 'safelist mode accepts POST only', extensions: { code: ErrorCode.METHOD_NOT_ALLOWED } }] });
      }
      let pass;
      try {
        const sent: unknown =
          req.method === 'POST'
            ? body
            : ({ query: url.searchParams.get('query'), operationName: url.searchParams.get('operationName') } satisfies OperationParams);
        pass = await gate.admit(sent, { credentials: credentialsFromHeaders(req.headers) }, req.socket.remoteAddress);
        if (pass.operation.operation === 'subscription') {
          status = 400;
          return sendJson(res, 400, {
            errors: [
              {
                message: `subscriptions are served over graphql-ws (WebSocket) at ${GRAPHQL_PATH}, not over HTTP`,
                extensions: { code: ErrorCode.BAD_REQUEST },
              },
            ],
          });
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
      const { identity } = pass;
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const response = await apollo.executeHTTPGraphQLRequest({
        // In safelist mode the admitted parameters carry the persisted document's text.
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body: req.method === 'POST' ? pass.params : body },
        context: async () => createGatewayContext(app, identity),
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
    } else if (consolePages(req, res)) {
      return;
    } else if (route === '/healthz') {
      healthz(res);
    } else if (route === '/readyz') {
      readyz(app, res, closing);
    } else if (route === '/metrics') {
      metricsEndpoint(app, req, res);
    } else if (route === '/') {
      res.writeHead(302, { location: '/console' });
      res.end();
    } else {
      sendJson(res, 404, { error: `no route ${route}; GraphQL is at ${GRAPHQL_PATH}, GraphiQL at /graphiql, the console at /console` });
    }
  });
  server.keepAliveTimeout = 65_000;
  return { server, stopApollo: () => apollo.stop() };
}

function readExamples(): string {
  try {
    return readFileSync(EXAMPLES_FILE, 'utf8');
  } catch {
    return '{ __typename }\n';
  }
}
