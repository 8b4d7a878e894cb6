import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import { alsOptionsOf, parseWeights, type FlywheelConfig } from '../config/config';
import { DEFAULT_STRENGTH } from '../recommend/interactions';
import type { EventLog, LogConsumer } from '../event-log/event-log';
import { actorId, type FlywheelEvent } from '../events/event';
import { validateEvent } from '../events/validate';
import { LmdbEventLog } from '../event-log/lmdb-event-log';
import { KafkaEventLog } from '../event-log/kafka/kafka-event-log';
import { Neo4jGraphStore } from '../graph/neo4j/neo4j-graph-store';
import type { GraphStore } from '../graph/graph-store';
import { MemoryGraph } from '../graph/embedded/memory-graph';
import { Ingestor } from '../ingest/ingestor';
import { EventLoopWatchdog } from '../observability/watchdog';
import { EventTracker } from '../ingest/tracker';
import { DeadLetterSink } from '../ingest/dead-letter-sink';
import { createMetrics, registerRecommenderMetrics, registerServiceMetrics, type Metrics } from '../observability/metrics';
import { Recommender } from '../recommend/recommender';
import { createGatewayPubSub, TOPIC_USER_UPDATED, type GatewayPubSub } from './pubsub';
import { TOPIC_ANOMALY_DETECTED } from './pubsub';
import { AnomalyService } from '../anomaly/service';
import { anomalyConfigFromEnv } from '../config/anomaly-settings';
import { SegmentService } from '../segments/service';
import { ErasureService } from '../privacy/erasure-service';
import { lockDataDir, type DataDirLock } from '../util/data-dir-lock';
import { composePipelines } from './stages';

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
  /** Event-loop delay, for /readyz and /metrics; ingestion progress is Ingestor.stalled(). */
  watchdog: EventLoopWatchdog;
  tracker: EventTracker;
  recommender: Recommender;
  pubsub: GatewayPubSub;
  /** Streaming anomaly detectors on the ingestion path. */
  anomalies: AnomalyService;
  /** Customer segments kept current on the graph. */
  segments: SegmentService;
  /** Right to erasure. */
  privacy: ErasureService;
  /** Stops ingestion, checkpoints the graph and closes the log. */
  close(): Promise<void>;
}

export interface FlywheelOptions {
  /**
   * 'serve' (default): every applied batch also feeds the recommender's live model, the subscriptions and
   * segment assignment. 'import': a bulk load into the data dir (`flywheel import`); those serving-side
   * consumers are left out, because the next `serve` rebuilds them from the snapshot anyway and keeping
   * them current batch by batch would cost several times the load itself. Detectors still run.
   */
  mode?: 'serve' | 'import';
}

export async function createFlywheel(config: FlywheelConfig, logger: Logger, options: FlywheelOptions = {}): Promise<Flywheel> {
  const serving = (options.mode ?? 'serve') === 'serve';
  const metrics = createMetrics();
  // Event log: the embedded LMDB log, or Kafka (a consumer group shares the partitions between gateways).
  let log: EventLog;
  // The concrete log is kept where its own abilities are needed (the embedded log's end offset, Kafka's
  // fan-out consumer); everything past this root sees the EventLog seam only.
  let embeddedLog: LmdbEventLog | null = null;
  let kafkaLog: KafkaEventLog | null = null;
  let dataDirLock: DataDirLock | null = null;
  if (config.FLYWHEEL_EVENTS === 'kafka') {
    log = kafkaLog = await KafkaEventLog.create({
      brokers: config.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean),
      clientId: config.KAFKA_CLIENT_ID,
      topic: config.KAFKA_TOPIC_EVENTS,
      deadLetterTopic: config.KAFKA_TOPIC_DEADLETTER,
      partitions: config.KAFKA_PARTITIONS,
      replicationFactor: config.KAFKA_REPLICATION_FACTOR,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      logger,
    });
    logger.info({ brokers: config.KAFKA_BROKERS, topic: config.KAFKA_TOPIC_EVENTS, group: config.KAFKA_GROUP }, 'kafka event log connected');
  } else {
    // One writer per data dir (src/util/data-dir-lock.ts): refused here, before anything is opened.
    dataDirLock = lockDataDir(config.dataDir, serving ? 'flywheel gateway' : 'flywheel import');
    try {
      embeddedLog = new LmdbEventLog(config.dataDir);
      embeddedLog.maxDeadLetters = config.FLYWHEEL_DEAD_LETTER_MAX;
      log = embeddedLog;
    } catch (err) {
      dataDirLock.release();
      throw err;
    }
  }
  const deadLetters = new DeadLetterSink(log, { metrics, perIdentity: config.FLYWHEEL_DEAD_LETTER_QUOTA });
  // Graph store: the in-memory graph (snapshots only with the embedded log, whose offsets they refer to)
  // or Neo4j (durable by itself; the consumer group's committed offset is the resume point).
  let store: GraphStore;
  let restoredAt = -1;
  try {
    if (config.FLYWHEEL_GRAPH === 'neo4j') {
      const neo = await Neo4jGraphStore.open({
        uri: config.NEO4J_URI,
        user: config.NEO4J_USER,
        password: config.NEO4J_PASSWORD,
        database: config.NEO4J_DATABASE,
        maxPoolSize: config.NEO4J_MAX_POOL_SIZE,
        k: config.NEO4J_SIMILAR_K,
        logger,
      });
      store = neo;
      logger.info({ uri: config.NEO4J_URI, schemaVersion: neo.schemaVersion }, 'neo4j graph store opened');
    } else {
      const graph = new MemoryGraph({
        // Snapshots refer to offsets of the embedded log; with Kafka the graph replays the topic instead.
        ...(log.backend === 'embedded' ? { snapshotPath: path.join(config.dataDir, 'graph.snapshot') } : {}),
        maxAnomalies: config.FLYWHEEL_ANOMALY_MAX_STORED,
      });
      restoredAt = await graph.restore();
      store = graph;
      logger.info({ dataDir: config.dataDir, snapshotPosition: restoredAt, logEnd: embeddedLog?.endOffset() ?? null }, 'embedded graph opened');
    }
  } catch (err) {
    await log.close().catch(() => undefined);
    dataDirLock?.release();
    throw err;
  }
  // With Kafka and the in-memory graph, every gateway keeps a full copy: its own group, from the beginning.
  const group =
    config.FLYWHEEL_EVENTS === 'kafka'
      ? store.backend === 'neo4j'
        ? config.KAFKA_GROUP
        : `${config.KAFKA_GROUP}.replica.${randomUUID()}`
      : 'graph';

  const ingestor = new Ingestor(log, store, {
    group,
    logger,
    metrics,
    checkpointEvery: config.FLYWHEEL_SNAPSHOT_EVERY,
    revalidate: log.backend !== 'embedded',
    deadLetters,
    stallMs: config.FLYWHEEL_INGEST_STALL_MS,
  });
  const pubsub = createGatewayPubSub();
  // The recommender keeps its own typed-array view of the graph: rebuilt from the restored snapshot,
  // then fed every applied batch before anyone is notified, so the next list already reflects it.
  // Segment-aware recommendations (`segment-popular`, and the segment fallback) read the user's segment
  // through the SegmentService, created further down; every recommender built here gets it.
  const segmentRef: { service: SegmentService | null } = { service: null };
  const newRecommender = () => {
    const r = new Recommender(store, {
      halfLifeDays: config.FLYWHEEL_HALF_LIFE_DAYS,
      defaultStrategy: config.FLYWHEEL_RECOMMENDER,
      cacheEntries: config.FLYWHEEL_RECOMMENDATION_CACHE,
      model: { similarity: config.FLYWHEEL_SIMILARITY },
      userKnn: { similarity: config.FLYWHEEL_USER_SIMILARITY, neighbours: config.FLYWHEEL_USER_KNN_NEIGHBOURS },
      ...(config.FLYWHEEL_EVENT_WEIGHTS ? { typeWeights: { ...DEFAULT_STRENGTH, ...parseWeights(config.FLYWHEEL_EVENT_WEIGHTS) } } : {}),
      ...(config.FLYWHEEL_BLEND ? { blend: parseWeights(config.FLYWHEEL_BLEND) } : {}),
      als: alsOptionsOf(config),
    });
    r.setSegmentSource((userId) => segmentRef.service?.topItemsForUser(userId) ?? null);
    return r;
  };
  // Erasure may replace the recommender with one rebuilt from the erased store: readers go through `live`.
  const live = { recommender: newRecommender() };
  registerRecommenderMetrics(metrics, () => live.recommender);
  const recommender = live.recommender;
  const privacy = new ErasureService({
    store,
    log,
    logger,
    recommender: () => live.recommender,
    rebuildRecommender: newRecommender,
    installRecommender: (next) => (live.recommender = next),
  });
  await privacy.start();
  // Kafka + Neo4j: the fan-out group (below) is pinned to the topic's end before the recommender reads
  // the graph, so no event falls between the two (one applied both ways at worst counts twice).
  const fanOutGroup = kafkaLog && store.backend === 'neo4j' ? `${config.KAFKA_GROUP}.fanout.${randomUUID()}` : null;
  // Pinned in memory, not committed: the fan-out group holds no offsets, so no group is left per restart.
  const fanOutStart = fanOutGroup && kafkaLog ? await kafkaLog.endOffsets() : null;
  if (serving && (restoredAt >= 0 || store.backend === 'neo4j')) await recommender.bootstrap();
  // Anomaly detection runs first on each batch, so interactions of actors it flags as bots never reach the
  // recommender's index (FLYWHEEL_IGNORE_BOTS); the graph excludes their edges from similarity/popularity.
  const anomalies = new AnomalyService(store, {
    enabled: config.FLYWHEEL_ANOMALIES,
    ignoreBots: config.FLYWHEEL_IGNORE_BOTS,
    config: anomalyConfigFromEnv(config),
    publish: (record) => pubsub.publish(TOPIC_ANOMALY_DETECTED, record),
    // Kafka + Neo4j: every instance runs the detectors on the whole stream (its fan-out consumer) and the
    // first to store a finding is not necessarily this one: publish what this instance detected, so each
    // instance's subscribers get every alert; the store keeps it once (MERGE on a unique id).
    publishScope: fanOutGroup ? 'detected' : 'stored',
    // Clicks a bot sent before it was flagged leave the recommender too, not only the later ones.
    onBotFlagged: (actor) => live.recommender.forgetUser(actor),
    logger,
    tickMs: 15_000,
    // A restart replays the log tail: what it re-detects was announced before the restart.
    replaying: () => !ingestor.hasCaughtUp(),
  });
  await anomalies.start();
  privacy.onErased((actors) => anomalies.forgetActors(actors));
  const [segKMin, segKMax] = config.FLYWHEEL_SEGMENTS_K_RANGE.split('-').map(Number) as [number, number];
  const segments = new SegmentService(store, { k: config.FLYWHEEL_SEGMENTS_K || undefined, kRange: [segKMin, segKMax], refitMinutes: config.FLYWHEEL_SEGMENTS_REFIT_MINUTES, logger });
  segmentRef.service = segments;
  registerServiceMetrics(metrics, { anomalies, segments, segmentSizes: () => store.segmentSizes() });
  if (serving) await segments.start();
  // After a batch is applied: the ordered stages of src/app/stages.ts, on the ingestion consumer, and with
  // Kafka + Neo4j partly on this instance's fan-out consumer (started below, from the offsets pinned above).
  const pipelines = composePipelines(
    {
      anomalies,
      privacy,
      recommender: () => live.recommender,
      segments,
      publishUserUpdated: (userId) => pubsub.publish(TOPIC_USER_UPDATED, userId, { userId }),
    },
    { serving, fanOut: fanOutGroup !== null },
  );
  ingestor.onApplied((events, summary) => pipelines.ingestion.run({ events, touchedUsers: summary.touchedUsers }));
  await ingestor.start();
  // Nothing to replay (a fresh or cleanly stopped data dir): caught up from the start, for `replaying` above.
  ingestor.hasCaughtUp();
  const watchdog = new EventLoopWatchdog();
  watchdog.register(metrics);
  watchdog.start();
  let fanOutConsumer: LogConsumer | null = null;
  const fanOutPipeline = pipelines.fanOut;
  if (fanOutGroup && fanOutPipeline && kafkaLog && fanOutStart) {
    fanOutConsumer = await kafkaLog.consumeUncommitted(
      fanOutGroup,
      async (records) => {
        const events: FlywheelEvent[] = [];
        for (const r of records) {
          const v = validateEvent(r.event);
          if (v.ok) events.push(v.event);
        }
        if (events.length === 0) return;
        const touchedUsers = [...new Set(events.flatMap((e) => (e.kind === 'interaction' ? [actorId(e)] : [])))];
        fanOutPipeline.run({ events, touchedUsers });
      },
      {
        startAt: fanOutStart,
        maxBatch: 5000,
        // Only ingestion dead-letters; a record the fan-out keeps failing on is skipped, not retried forever.
        poison: {
          maxAttempts: 3,
          isPoison: () => true,
          onPoison: async (record, err) => logger.error({ source: record.source, err }, 'fan-out skipped a record it kept failing on'),
        },
      },
    );
  }

  const tracker = new EventTracker(log, ingestor, metrics, { deadLetters });

  return {
    config,
    logger,
    metrics,
    log,
    store,
    ingestor,
    watchdog,
    tracker,
    get recommender() {
      return live.recommender;
    },
    pubsub,
    anomalies,
    segments,
    privacy,
    async close() {
      watchdog.stop();
      await segments.stop();
      anomalies.close();
      await fanOutConsumer?.stop();
      await ingestor.stop();
      live.recommender.close();
      logger.debug('ingestion stopped');
      await store.close();
      logger.debug('graph store closed');
      await log.close();
      dataDirLock?.release();
      logger.debug('event log closed');
    },
  };
}
