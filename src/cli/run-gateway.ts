import type { Logger } from 'pino';
import { createFlywheel, type Flywheel } from '../app/flywheel';
import type { FlywheelConfig } from '../config/config';
import { startGateway, type Gateway } from '../api/server';
import { createSecurity } from '../api/security';
import { anomalyConfigFromEnv } from '../config/anomaly-settings';
import { generateDemoShop } from '../demo/demo-data';
import { startSimulator } from '../demo/simulator';
import { serveRecommendations } from '../app/serving';
import { launchedByNpm, watchParent } from '../util/parent-watch';

/**
 * Runs the gateway until SIGINT/SIGTERM: stop accepting, drain in-flight requests, stop ingestion,
 * checkpoint the graph, close the log. A second Ctrl-C exits at once.
 */
export async function runGateway(config: FlywheelConfig, logger: Logger, { demo }: { demo: boolean }): Promise<{ app: Flywheel; gateway: Gateway }> {
  // Every setting is checked before the data dir, Neo4j or Kafka is opened: loadConfig checked the values;
  // what is built from them (authentication keys, detector settings) is built once here to fail early.
  createSecurity(config);
  anomalyConfigFromEnv(config);
  const app = await createFlywheel(config, logger);
  let stopSimulator = () => {};
  if (demo) {
    // The seeded history ends now, where the simulated shoppers carry on: a history that ended on a fixed
    // date would leave a gap before the live traffic, and every recency, segment and backtest would span it.
    // (Tests seed the fixed-date shop for stable figures; ids do not depend on the date.)
    const shop = generateDemoShop({ now: Date.now() });
    const stats = await app.store.stats();
    if (stats.eventsApplied === 0 && app.ingestor.lag() === 0) {
      logger.info({ events: shop.events.length }, 'seeding the demo shop (first start on this data dir)');
      for (let i = 0; i < shop.events.length; i += 1000) await app.tracker.track(shop.events.slice(i, i + 1000), 'demo');
    }
    if (config.FLYWHEEL_SIMULATOR) {
      // The simulated shoppers are served through the same path as GraphQL clients (impressions, experiments).
      const recommend = async (userId: string) => {
        const { served } = await serveRecommendations(app, { userId, first: 5 });
        return { servedId: served.servedId, itemIds: served.entries.map((e) => e.itemId) };
      };
      stopSimulator = startSimulator(app.tracker, shop.userIds, shop.itemIds, config.FLYWHEEL_SIMULATOR_RATE, logger, recommend);
    }
  }
  const gateway = await startGateway(app, { port: config.PORT, host: config.HOST });
  if (demo) {
    logger.info(`demo ready: open ${gateway.url}/console (the web console) or ${gateway.url}/graphiql and try recommendations(userId: "demo-user-1")`);
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      // Orchestrators may repeat SIGTERM; only a second Ctrl-C means "now". Even then nothing acknowledged
      // is lost: the log is durable and the graph replays it on the next start.
      if (signal !== 'SIGINT') return;
      logger.warn({ signal }, 'second interrupt: exiting without a final graph snapshot');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests, flushing the log');
    stopSimulator();
    gateway
      .close()
      .then(() => {
        logger.debug('gateway closed');
        return app.close();
      })
      .then(() => {
        logger.info('shutdown complete');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  if (launchedByNpm()) {
    watchParent(() => {
      logger.info('the npm process that started the gateway is gone (it was stopped): shutting down as on SIGTERM');
      shutdown('SIGTERM');
    });
  }
  return { app, gateway };
}
