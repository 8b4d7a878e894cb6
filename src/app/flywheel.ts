import path from 'node:path';
import type { Logger } from 'pino';
import type { FlywheelConfig } from '../config/config';
import { ConfigError } from '../config/config';
import type { EventLog } from '../event-log/event-log';
import { LmdbEventLog } from '../event-log/lmdb-event-log';
import type { GraphStore } from '../graph/graph-store';
import { MemoryGraph } from '../graph/embedded/memory-graph';
import { Ingestor } from '../ingest/ingestor';
import { EventTracker } from '../ingest/tracker';
import { createMetrics, type Metrics } from '../observability/metrics';
import { Recommender } from '../recommend/recommender';
import { createGatewayPubSub, TOPIC_USER_UPDATED, type GatewayPubSub } from '../api/pubsub';

/**
 * The composition root: builds the event log, graph store, ingestion, tracking and recommendation
 * services from configuration, and wires ingestion to the live-update publisher. Everything that
 * differs between the embedded default and production is decided here and nowhere else.
 */
export interface Flywheel {
  config: FlywheelConfig;
  logger: Logger;
  metrics: Metrics;
  log: EventLog;
  store: GraphStore;
  ingestor: Ingestor;
  tracker: EventTracker;
  recommender: Recommender;
  pubsub: GatewayPubSub;
  /** Stops ingestion, checkpoints the graph and closes the log. */
  close(): Promise<void>;
}

export async function createFlywheel(config: FlywheelConfig, logger: Logger): Promise<Flywheel> {
  if (config.FLYWHEEL_GRAPH !== 'embedded') throw new ConfigError('FLYWHEEL_GRAPH=neo4j is not available in this build yet (issue 3); use embedded');
  if (config.FLYWHEEL_EVENTS !== 'embedded') throw new ConfigError('FLYWHEEL_EVENTS=kafka is not available in this build yet (issue 3); use embedded');

  const metrics = createMetrics();
  const log = new LmdbEventLog(config.dataDir);
  const graph = new MemoryGraph({ snapshotPath: path.join(config.dataDir, 'graph.snapshot') });
  const restoredAt = await graph.restore();
  const store: GraphStore = graph;
  logger.info({ dataDir: config.dataDir, snapshotPosition: restoredAt, logEnd: log.endOffset() }, 'embedded storage opened');

  const ingestor = new Ingestor(log, store, { group: 'graph', logger, metrics, checkpointEvery: config.FLYWHEEL_SNAPSHOT_EVERY });
  const pubsub = createGatewayPubSub();
  ingestor.onApplied((_events, summary) => {
    for (const userId of summary.touchedUsers) pubsub.publish(TOPIC_USER_UPDATED, userId, { userId });
  });
  await ingestor.start();

  const tracker = new EventTracker(log, ingestor, metrics);
  const recommender = new Recommender(store, { halfLifeDays: config.FLYWHEEL_HALF_LIFE_DAYS });

  return {
    config,
    logger,
    metrics,
    log,
    store,
    ingestor,
    tracker,
    recommender,
    pubsub,
    async close() {
      await ingestor.stop();
      logger.debug('ingestion stopped');
      await store.close();
      logger.debug('graph store closed');
      await log.close();
      logger.debug('event log closed');
    },
  };
}
