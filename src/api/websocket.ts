import type { Server } from 'node:http';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Flywheel } from '../app/flywheel';
import type { Identity } from '../auth/identity';
import { createGatewayContext } from '../../resolvers/context';
import { AdmissionError } from './admission';
import { formatWsErrors } from './client-errors';
import type { Gate } from './gate';
import { credentialsFromConnectionParams, credentialsFromHeaders, retryAfterSeconds, type Security } from './security';
import { WsSessions } from './ws-sessions';
import { ErrorCode } from '../util/error-codes';

export interface WebSocketDeps {
  app: Flywheel;
  schema: GraphQLSchema;
  security: Security;
  gate: Gate;
  /** The path graphql-ws answers on (the same as GraphQL over HTTP). */
  path: string;
}

export interface WebSocketFront {
  /** Closes every subscription and connection, then the WebSocket server. */
  close(): Promise<void>;
}

/**
 * Subscriptions: graphql-ws on the HTTP server's port and path. It bypasses Apollo, so context is built
 * here, once per subscription, with loaders that do not cache (the subscription outlives a request).
 * A connection is authenticated when it opens (`Security.identify`, as HTTP requests are); every
 * operation then passes the same gate as HTTP (gate.ts), and graphql-ws executes the document the gate
 * admitted. Errors are formatted for clients as on HTTP (client-errors.ts).
 */
export function attachWebSocket(server: Server, { app, schema, security, gate, path }: WebSocketDeps): WebSocketFront {
  const { config, logger, metrics } = app;
  const wsServer = new WebSocketServer({ server, path, maxPayload: config.FLYWHEEL_MAX_BODY_BYTES });
  const sessions = new WsSessions(metrics.wsConnections);
  const cleanup = useServer(
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
        try {
          const pass = await gate.admit(payload, { identity: sessions.identity(ctx.extra.socket) }, ctx.extra.request.socket.remoteAddress);
          // Execution arguments are returned, so graphql-ws executes exactly the admitted document.
          return {
            schema,
            document: pass.document,
            operationName: typeof pass.params.operationName === 'string' ? pass.params.operationName : undefined,
            variableValues: (pass.params.variables as Record<string, unknown> | null | undefined) ?? undefined,
            contextValue: createGatewayContext(app, pass.identity, { cache: false }),
          };
        } catch (err) {
          if (err instanceof AdmissionError) return [...err.errors];
          if (err instanceof GraphQLError) return [err];
          // Never let graphql-ws close the socket with an internal message as the reason.
          logger.error({ err }, 'graphql-ws subscribe failed');
          return [new GraphQLError('internal server error', { extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } })];
        }
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: formatWsErrors(result.errors, logger, security.hideSuggestions) } : undefined,
      onError: (_ctx, _id, _payload, errors) => formatWsErrors(errors, logger, security.hideSuggestions),
      onClose: (ctx) => sessions.close(ctx.extra.socket),
    },
    wsServer,
  );
  return {
    async close() {
      await cleanup.dispose();
      wsServer.close();
    },
  };
}
