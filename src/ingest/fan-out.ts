import type { Logger } from 'pino';
import type { BroadcastLog, LogConsumer, PartitionOffsets } from '../event-log/event-log';
import { actorId } from '../events/event';
import { validEventsOf } from '../events/validate';
import type { EventPipeline } from './pipeline';

/**
 * The fan-out consumer (Kafka + Neo4j): every gateway reads the whole stream from where it pinned it at
 * start and runs the every-event stages (detectors, live recommender, subscribers) on it, while the graph
 * writes stay with each partition's owner. It commits nothing (see BroadcastLog.consumeFrom).
 */
export function startFanOut(broadcast: BroadcastLog, startAt: PartitionOffsets, group: string, pipeline: EventPipeline, logger: Logger): Promise<LogConsumer> {
  return broadcast.consumeFrom(
    startAt,
    group,
    async (records) => {
      // Ingestion dead-letters what is invalid; the fan-out only steps over it.
      const events = validEventsOf(records);
      if (events.length === 0) return;
      const touchedUsers = [...new Set(events.flatMap((e) => (e.kind === 'interaction' ? [actorId(e)] : [])))];
      pipeline.run({ events, touchedUsers });
    },
    {
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
