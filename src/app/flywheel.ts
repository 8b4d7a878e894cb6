import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { FlywheelConfig } from '../config/config';
import type { EventLog, LogConsumer } from '../event-log/event-log';
import type { GraphStore } from '../graph/graph-store';
import { Ingestor } from '../ingest/ingestor';
import { EventLoopWatchdog } from '../observability/watchdog';
import { EventTracker } from '../ingest/tracker';
import { DeadLetterSink } from '../ingest/dead-letter-sink';
import { startFanOut } from '../ingest/fan-out';
import { LiveUpdates } from '../ingest/live-updates';
import { EventTypeCounts } from '../ingest/event-type-counts';
import { createMetrics, registerOutcomeMetrics, registerRecommenderMetrics, registerServiceMetrics, type Metrics } from '../observability/metrics';
import type { Recommender } from '../recommend/recommender';
import { AnomalyService } from '../anomaly/service';
import { anomalyConfigFromEnv } from '../config/anomaly-settings';
import { SegmentService } from '../segments/service';
import { ErasureService } from '../privacy/erasure-service';
import { consumerGroups, openEventLog, openGraphStore } from './backends';
import { recommenderFactory } from './recommender-factory';
import { loadAlsFactorsAtStart, writeAlsFactorsBack } from './als-factors';
import { composePipelines } from './stages';
import { followItemModel, startItemModelPublisher } from './item-model-shipping';
import { startupStep } from './startup-step';
import { sampleRatioMismatchFinding } from './srm-alert';
import { guardrailFailureFinding } from './guardrail-alert';
import { ImpressionRecorder, KAFKA_IMPRESSION_LINGER_MS } from '../outcomes/impressions';
import { Outcomes } from '../outcomes/service';
import type { VariantBlend } from '../outcomes/experiments';

/**
 * The composition root: builds the services from configuration and wires them in order. Which backend
 * is used is decided in backends.ts; what happens to an applied batch, in stages.ts; here, only who gets
 * what and in which order things start and stop.
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
  /** The live recommender (erasure may install a rebuilt one: read it here each time). */
  readonly recommender: Recommender;
  /**
   * Whether the recommender built at start has solved its model once (Recommender.isWarm); latched, so a
   * later rebuild (erasure) does not take a serving gateway out of rotation. Part of /readyz.
   */
  modelWarm(): boolean;
  /** Announcements for live clients (user updated, anomaly detected); the API attaches a listener. */
  live: LiveUpdates;
  /** Streaming anomaly detectors on the ingestion path. */
  anomalies: AnomalyService;
  /** Customer segments kept current on the graph. */
  segments: SegmentService;
  /** Right to erasure. */
  privacy: ErasureService;
  /** Applied events by type and UTC day, since this process started (the log tail replayed at start included). */
  eventTypes: EventTypeCounts;
  /** Records every served list as an impression in the log (src/outcomes/). */
  impressions: ImpressionRecorder;
  /** Attribution of outcomes to served lists, and the live totals per strategy and variant. */
  outcomes: Outcomes;
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
  const { log, release } = await startupStep(logger, 'open the event log', openEventLog(config, logger, serving ? 'flywheel gateway' : 'flywheel import'));
  let opened: Awaited<ReturnType<typeof openGraphStore>>;
  try {
    opened = await startupStep(logger, 'open the graph store', openGraphStore(config, log, logger));
  } catch (err) {
    await log.close().catch(() => undefined);
    release();
    throw err;
  }
  const { store, restoredAt } = opened;
  const groups = consumerGroups(config, log, store);
  const deadLetters = new DeadLetterSink(log, { metrics, perIdentity: config.FLYWHEEL_DEAD_LETTER_QUOTA });
  const ingestor = new Ingestor(log, store, {
    group: groups.ingestion,
    logger,
    metrics,
    checkpointEvery: config.FLYWHEEL_SNAPSHOT_EVERY,
    revalidate: log.backend !== 'embedded',
    deadLetters,
    stallMs: config.FLYWHEEL_INGEST_STALL_MS,
    maxBatch: config.FLYWHEEL_INGEST_MAX_BATCH,
    graphBackend: store.backend,
  });
  const live = new LiveUpdates();

  // Segment-aware strategies read the user's segment through the SegmentService, created further down.
  let segments: SegmentService | null = null;
  const buildRecommender = recommenderFactory(config, store, (userId) => segments?.topItemsForUser(userId) ?? null);
  // On Neo4j every fit a serving gateway swaps in is written back to the items (als-factors.ts), a rebuilt
  // recommender's (erasure) included: its fit is the one without the erased user.
  const itemFactors = serving ? store.itemFactors : undefined;
  const newRecommender = () => {
    const r = buildRecommender();
    if (itemFactors) writeAlsFactorsBack(r, itemFactors, logger);
    // after a start or a refit: how many users' first lists will find their ALS vector kept (als-prime.ts)
    r.als.onPrimed((report) => logger.info(report, 'ALS user vectors primed'));
    r.als.onPrimeFailed((err) => logger.warn({ err }, 'ALS user vectors not primed: first lists solve their own until the next refit'));
    return r;
  };
  // Erasure may replace the recommender with one rebuilt from the erased store: readers go through `current`.
  const current = { recommender: newRecommender() };
  // What the experiment records (read from the log) set on the recommender outlives a rebuilt one: a shipped
  // variant's strategy and blend weights, and the blends of the running experiment's weighted variants.
  let shipped: { strategy: string; blend?: Readonly<Record<string, number>> } | null = null;
  let variantBlends: readonly VariantBlend[] = [];
  const applyShipped = (r: Recommender) => {
    if (shipped === null) return;
    try {
      r.configure({ defaultStrategy: shipped.strategy, ...(shipped.blend ? { blend: shipped.blend } : {}) });
    } catch (err) {
      logger.error({ err, ...shipped }, 'a shipped experiment variant names a strategy or blend part this gateway does not serve; the default stays');
    }
  };
  const applyVariantBlends = (r: Recommender) => {
    for (const { key, error } of r.setVariantBlends(variantBlends))
      logger.error(
        { variant: key, error },
        "a running experiment's weighted variant names a blend part this gateway does not serve; its users get the default here",
      );
  };
  registerRecommenderMetrics(metrics, () => current.recommender);
  // A replica is not rebuilt after an erasure: it holds no one's history for long (`forgetUser` drops the
  // erased user's), and its item model is the publisher's, which rebuilds and ships it again.
  const replica = config.FLYWHEEL_ITEM_MODEL === 'replica';
  const privacy = new ErasureService({
    store,
    log,
    logger,
    recommender: () => current.recommender,
    ...(replica
      ? {}
      : {
          rebuildRecommender: newRecommender,
          installRecommender: (next: Recommender) => {
            applyShipped(next);
            applyVariantBlends(next);
            current.recommender = next;
          },
        }),
  });
  await startupStep(logger, 'read the erasure list', privacy.start());
  // The fan-out starts where the ingestion group has committed, read before the recommender reads the graph:
  // every event is then in Neo4j by the time of the bootstrap, or after the fan-out's start, or both (applied
  // but not yet committed: counted twice in the recommender's evidence, the lesser harm). Starting at the
  // stream's end instead lost the events appended but not yet applied, for good (a joining gateway whose
  // own ingestion starts after its bootstrap never saw them). Pinned in memory, not committed.
  const fanOutStart =
    groups.fanOut && log.broadcast ? await startupStep(logger, 'read the ingestion group offsets', log.broadcast.pinCommitted(groups.ingestion)) : null;
  if (serving) {
    // no refit on a half-read index, which would then replace the factors loaded below
    current.recommender.als.setBackground(false);
    if (restoredAt >= 0 || store.backend === 'neo4j') await startupStep(logger, 'read the graph into the recommender', current.recommender.bootstrap());
    await startupStep(logger, 'load the ALS factors', loadAlsFactorsAtStart(current.recommender, config, store, logger));
    current.recommender.als.setBackground(current.recommender.options.backgroundRefresh);
  }
  // A replica's item model is the publisher's: read whole from the feed, then followed. Ready once read.
  const modelFeed = serving && replica ? log.itemModelFeed : undefined;
  const followed = modelFeed
    ? await startupStep(
        logger,
        'follow the item model feed',
        followItemModel(() => current.recommender, modelFeed, `${config.KAFKA_GROUP}.item-model.${randomUUID()}`, logger, metrics),
      )
    : null;
  let modelShipped = !followed;
  void followed?.caughtUp.then(() => {
    modelShipped = true;
    logger.info({ rows: followed.installed() }, 'item model read from the feed: serving it');
  });

  const anomalies = new AnomalyService(store, {
    enabled: config.FLYWHEEL_ANOMALIES,
    ignoreBots: config.FLYWHEEL_IGNORE_BOTS,
    config: anomalyConfigFromEnv(config),
    publish: (record) => live.anomalyDetected(record),
    // Kafka + Neo4j: every instance runs the detectors on the whole stream (its fan-out consumer) and the
    // first to store a finding is not necessarily this one: publish what this instance detected, so each
    // instance's subscribers get every alert; the store keeps it once (MERGE on a unique id).
    publishScope: groups.fanOut ? 'detected' : 'stored',
    // Clicks a bot sent before it was flagged leave the recommender too, not only the later ones.
    onBotFlagged: (actor) => current.recommender.forgetUser(actor),
    logger,
    tickMs: 15_000,
    // A restart replays the log tail: what it re-detects was announced before the restart.
    replaying: () => !ingestor.hasCaughtUp(),
  });
  await startupStep(logger, 'start the anomaly detectors', anomalies.start());
  privacy.onErased((actors) => anomalies.forgetActors(actors));
  const [segKMin, segKMax] = config.FLYWHEEL_SEGMENTS_K_RANGE.split('-').map(Number) as [number, number];
  const segmentService = new SegmentService(store, {
    k: config.FLYWHEEL_SEGMENTS_K || undefined,
    kRange: [segKMin, segKMax],
    refitMinutes: config.FLYWHEEL_SEGMENTS_REFIT_MINUTES,
    buyRateDays: config.FLYWHEEL_SEGMENTS_BUY_RATE_DAYS,
    logger,
  });
  segments = segmentService;
  registerServiceMetrics(metrics, { anomalies, segments: segmentService, segmentSizes: () => store.segmentSizes() });
  if (serving) await startupStep(logger, 'start the segments', segmentService.start());

  const outcomes = new Outcomes(
    {
      clickWindowMs: config.FLYWHEEL_ATTRIBUTION_CLICK_HOURS * 3_600_000,
      conversionWindowMs: config.FLYWHEEL_ATTRIBUTION_CONVERSION_HOURS * 3_600_000,
      maxLists: config.FLYWHEEL_ATTRIBUTION_MAX_LISTS,
    },
    {
      log,
      logger,
      filter: (events) => privacy.filter(events),
      onShipped: (strategy, experimentId, blend) => {
        shipped = { strategy, ...(blend ? { blend } : {}) };
        applyShipped(current.recommender);
        logger.info({ experimentId, strategy, blend }, 'experiment variant shipped: its strategy (and blend weights) are the default');
      },
      onVariantBlends: (blends) => {
        variantBlends = blends;
        applyVariantBlends(current.recommender);
      },
      onSampleRatioMismatch: (experiment, users, srm, at) => anomalies.report(sampleRatioMismatchFinding(experiment, users, srm, at)),
      onGuardrailFailure: (experiment, failure, at) => anomalies.report(guardrailFailureFinding(experiment, failure, at)),
    },
  );
  privacy.onErased((actors) => outcomes.forgetActors(actors));
  registerOutcomeMetrics(metrics, () => outcomes);
  // Derived from the log only: rebuilt from what the log holds before this gateway's consumers take over
  // (the snapshot's position on the embedded log, the fan-out's pinned start on Kafka + Neo4j).
  if (serving) {
    await startupStep(
      logger,
      'rebuild the outcomes from the log',
      outcomes.bootstrap(
        log.rewritable ? { through: restoredAt } : fanOutStart && groups.fanOut ? { broadcastEnd: fanOutStart, group: `${groups.fanOut}.outcomes` } : null,
      ),
    );
  }

  // After a batch is applied: the ordered stages of stages.ts, on the ingestion consumer, and with a
  // broadcasting log partly on this instance's fan-out consumer.
  const eventTypes = new EventTypeCounts();
  const pipelines = composePipelines(
    { anomalies, privacy, recommender: () => current.recommender, segments: segmentService, outcomes, live, eventTypes },
    { serving, fanOut: groups.fanOut !== null },
  );
  ingestor.onApplied((events, summary) => pipelines.ingestion.run({ events, touchedUsers: summary.touchedUsers }));
  await startupStep(logger, 'start the ingestion consumer', ingestor.start());
  // Nothing to replay (a fresh or cleanly stopped data dir): caught up from the start, for `replaying` above.
  ingestor.hasCaughtUp();
  const watchdog = new EventLoopWatchdog();
  watchdog.register(metrics);
  watchdog.start();
  let fanOutConsumer: LogConsumer | null = null;
  if (groups.fanOut && log.broadcast && fanOutStart && pipelines.fanOut) {
    fanOutConsumer = await startupStep(logger, 'start the fan-out consumer', startFanOut(log.broadcast, fanOutStart, groups.fanOut, pipelines.fanOut, logger));
  }
  let modelWarm = !serving;
  // Publishers elect one of them to ship (Kafka's group protocol); the others solve and stand by to take over.
  const publishingFeed = serving && config.FLYWHEEL_ITEM_MODEL === 'publish' ? log.itemModelFeed : undefined;
  const election = publishingFeed
    ? await startupStep(logger, 'join the item model publisher election', publishingFeed.elect(`${config.KAFKA_GROUP}.item-model-publisher`))
    : null;
  const publisher =
    publishingFeed && election
      ? startItemModelPublisher(
          () => current.recommender,
          publishingFeed,
          logger,
          config.FLYWHEEL_ITEM_MODEL_PUBLISH_MS,
          metrics,
          () => election.leads(),
        )
      : null;
  const impressions = new ImpressionRecorder(log, metrics, logger, {
    lingerMs: config.FLYWHEEL_IMPRESSION_LINGER_MS ?? (log.backend === 'embedded' ? 0 : KAFKA_IMPRESSION_LINGER_MS),
  });
  const tracker = new EventTracker(log, ingestor, metrics, { deadLetters, precedingWrites: impressions });

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
      return current.recommender;
    },
    modelWarm: () => (modelWarm ||= modelShipped && current.recommender.isWarm()),
    live,
    anomalies,
    segments: segmentService,
    privacy,
    eventTypes,
    impressions,
    outcomes,
    async close() {
      watchdog.stop();
      // Lists already answered keep their impressions: appended before the log closes.
      await impressions.drain();
      await segmentService.stop();
      anomalies.close();
      await publisher?.stop();
      await election?.stop(); // after the last rows: another publisher takes over from here
      await followed?.consumer.stop();
      await fanOutConsumer?.stop();
      await ingestor.stop();
      current.recommender.close();
      logger.debug('ingestion stopped');
      await store.close();
      logger.debug('graph store closed');
      await log.close();
      release();
      logger.debug('event log closed');
    },
  };
}
