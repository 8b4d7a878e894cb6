import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Flywheel } from '../app/flywheel';
import { startupStep } from '../app/startup-step';
import { buildGatewaySchema } from '../../resolvers/build-schema';
import { createGatewayPubSub, publishTo } from '../../resolvers/pubsub';
import { Gate } from './gate';
import { createHttpFront, GRAPHQL_PATH } from './http';
import { Safelist } from './safelist';
import { createSecurity } from './security';
import { attachWebSocket } from './websocket';

export { GRAPHQL_PATH };

/**
 * The gateway: GraphQL over HTTP (http.ts: routing, Apollo, GraphiQL, health and metrics) and graphql-ws
 * subscriptions (websocket.ts) on one port and path, both behind the one gate (gate.ts: safelist,
 * authentication, rate limits, admission). This file wires them and owns the start and shutdown order.
 */
export interface Gateway {
  server: Server;
  url: string;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), closes subscriptions. */
  close(): Promise<void>;
}

export async function startGateway(app: Flywheel, { port, host }: { port: number; host: string }): Promise<Gateway> {
  const { logger, config } = app;
  // This server's subscriptions hear the core's announcements through their own pubsub, detached on close.
  const pubsub = createGatewayPubSub();
  const detachLive = app.live.attach(publishTo(pubsub));
  const schema = await startupStep(logger, 'build the GraphQL schema', buildGatewaySchema(pubsub));
  const security = createSecurity(config);
  if (!security.authenticator.enabled) {
    logger.warn('AUTHENTICATION IS OFF: every request acts as admin. Fine for the embedded demo; set FLYWHEEL_AUTH=on with keys for anything else.');
  }
  const safelist = config.FLYWHEEL_SAFELIST ? Safelist.fromFile() : null;
  if (safelist) logger.info({ operations: safelist.size }, 'safelist mode: only persisted operations are accepted');
  const gate = new Gate(security, security.createAdmission(schema), safelist);

  let closing = false;
  const http = await startupStep(
    logger,
    'start the HTTP front (Apollo)',
    createHttpFront({ app, schema, security, gate, safelistMode: safelist !== null, closing: () => closing }),
  );
  const { server } = http;
  const ws = attachWebSocket(server, { app, schema, security, gate, path: GRAPHQL_PATH });

  await startupStep(
    logger,
    `listen on ${host}:${port}`,
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    }),
  );
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
      await ws.close();
      const deadline = setTimeout(() => server.closeAllConnections(), config.FLYWHEEL_SHUTDOWN_GRACE_MS);
      await new Promise<void>((resolve) => (server.listening ? server.once('close', () => resolve()) : resolve()));
      clearTimeout(deadline);
      await http.stopApollo();
    },
  };
}
