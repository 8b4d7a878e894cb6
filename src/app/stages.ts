import type { AnomalyService } from '../anomaly/service';
import { EventPipeline, type PipelineStage } from '../ingest/pipeline';
import type { EventTypeCounts } from '../ingest/event-type-counts';
import type { LiveUpdateListener } from '../ingest/live-updates';
import type { Outcomes } from '../outcomes/service';
import type { ErasureService } from '../privacy/erasure-service';
import type { Recommender } from '../recommend/recommender';
import type { SegmentService } from '../segments/service';

/**
 * The post-apply stages in their order, and which consumer drives which. The order matters:
 * 1. detect-anomalies runs first, so the interactions of an actor flagged as a bot in this very batch never
 *    reach the recommender (FLYWHEEL_IGNORE_BOTS); erased actors' events are filtered out before it.
 * 2. feed-recommender: the live model takes the batch (the user side is current at once).
 * 3. attribute-outcomes: clicks, carts and purchases are credited to the served lists (impressions) they
 *    came from, and the per-strategy/variant totals move (src/outcomes/). It reads the whole batch in log
 *    order, impressions included; erased actors' records are dropped by the service.
 * 4. publish-user-updates: `recommendationsChanged` subscribers of the touched users hear of it, after the
 *    model changed, so what they query next reflects the batch.
 * 5. assign-segments: touched users are queued for their nearest segment (written to the store).
 * count-event-types (serving, every event) keeps the applied events' counts by type and day for dashboards.
 */
export interface StageParts {
  anomalies: AnomalyService;
  privacy: ErasureService;
  /** Read per batch: erasure may install a rebuilt recommender. */
  recommender: () => Recommender;
  segments: SegmentService;
  outcomes: Outcomes;
  /** Where user updates are announced (the API's subscriptions listen). */
  live: Pick<LiveUpdateListener, 'userUpdated'>;
  /** Applied events by type and day (data-quality dashboards). */
  eventTypes: EventTypeCounts;
}

export function detectAnomalies({ anomalies, privacy }: StageParts): PipelineStage {
  return { name: 'detect-anomalies', handle: ({ events }) => anomalies.onApplied(privacy.filter(events)) };
}

export function feedRecommender({ anomalies, privacy, recommender }: StageParts): PipelineStage {
  return {
    name: 'feed-recommender',
    handle: ({ events }) => {
      const fed = anomalies.forRecommender(privacy.filter(events));
      recommender().applyEvents(fed);
      privacy.noteFed(fed);
    },
  };
}

export function attributeOutcomes({ outcomes }: StageParts): PipelineStage {
  return { name: 'attribute-outcomes', handle: ({ events }) => outcomes.observe(events) };
}

export function publishUserUpdates({ live }: StageParts): PipelineStage {
  return { name: 'publish-user-updates', handle: ({ touchedUsers }) => touchedUsers.forEach((u) => live.userUpdated(u)) };
}

export function assignSegments({ segments }: StageParts): PipelineStage {
  return { name: 'assign-segments', handle: (batch) => segments.noteApplied(batch) };
}

export function countEventTypes({ eventTypes }: StageParts): PipelineStage {
  return { name: 'count-event-types', handle: ({ events }) => eventTypes.add(events) };
}

export interface Pipelines {
  /** Driven by the ingestion consumer, after its graph write. */
  ingestion: EventPipeline;
  /** Driven by this instance's fan-out consumer (Kafka + Neo4j while serving), or null. */
  fanOut: EventPipeline | null;
}

/**
 * Who drives what. Serving on one machine, ingestion sees every event and runs every stage. Serving on
 * Kafka + Neo4j, gateways split the partitions for the graph writes, but every instance's detectors,
 * recommender, outcome totals and subscribers need every event: those stages move to the instance's fan-out consumer, and
 * segment assignment (a store write, once per event) stays with the partition's owner. An import runs the
 * detectors only; `serve` rebuilds the rest from the snapshot.
 */
export function composePipelines(parts: StageParts, mode: { serving: boolean; fanOut: boolean }): Pipelines {
  const everyEvent = [
    detectAnomalies(parts),
    ...(mode.serving ? [feedRecommender(parts), attributeOutcomes(parts), publishUserUpdates(parts), countEventTypes(parts)] : []),
  ];
  const partitionOwner = mode.serving ? [assignSegments(parts)] : [];
  if (mode.fanOut && mode.serving) return { ingestion: new EventPipeline(partitionOwner), fanOut: new EventPipeline(everyEvent) };
  return { ingestion: new EventPipeline([...everyEvent, ...partitionOwner]), fanOut: null };
}
