import type { Admin } from 'kafkajs';
import type { BatchHandler, ItemModelFeed, LogConsumer, PublisherElection } from '../event-log';
import { ReadProgress } from './read-progress';

/** What the feed uses of the Kafka log (KafkaEventLog), named here so the two files do not import each other. */
export interface ItemModelTopicClient {
  adminClient(): Admin;
  ensureTopic(topic: string, configEntries: { name: string; value: string }[], numPartitions?: number): Promise<void>;
  produceTo(topic: string, messages: { key: string; value: string }[]): Promise<void>;
  consumeTopicUncommitted(topic: string, group: string, handler: BatchHandler, startAt: Map<number, string>): Promise<LogConsumer>;
}

/**
 * The shipped item model on Kafka (EventLog.itemModelFeed): a compacted topic keyed by item id, so the
 * broker keeps the newest row of every item and a gateway that joins reads the whole model, not its history.
 *
 * - Created on first use (a gateway that neither publishes nor follows never creates it), with
 *   `cleanup.policy=compact` and hour-long segments: compaction only rewrites closed segments, so with
 *   Kafka's default week-long segments a model republished every few seconds would grow for a week first.
 * - Rows go out through the log's producer (acks=all), in requests of at most ROWS_PER_REQUEST rows (a row
 *   is a few KB; a request stays under the broker's default 1 MiB limit).
 * - `follow` is an uncommitted consumer from the earliest offsets (EventLog.broadcast's kind: a group per
 *   instance, deleted when it stops); `caughtUp` resolves once it has read past every partition's end as
 *   it was at the call.
 */
export const ROWS_PER_REQUEST = 100;

export class KafkaItemModelFeed implements ItemModelFeed {
  private created: Promise<void> | null = null;

  constructor(
    private readonly log: ItemModelTopicClient,
    readonly topic: string,
  ) {}

  async publish(rows: readonly { key: string; value: unknown }[]): Promise<void> {
    await this.ensureTopic();
    for (let from = 0; from < rows.length; from += ROWS_PER_REQUEST) {
      const messages = rows.slice(from, from + ROWS_PER_REQUEST).map((r) => ({ key: r.key, value: JSON.stringify(r.value) }));
      await this.log.produceTo(this.topic, messages);
    }
  }

  async follow(group: string, handler: (values: unknown[]) => void): Promise<{ consumer: LogConsumer; caughtUp: Promise<void> }> {
    await this.ensureTopic();
    const offsets = await this.log.adminClient().fetchTopicOffsets(this.topic);
    const progress = new ReadProgress(new Map(offsets.map((p) => [p.partition, p.low])), new Map(offsets.map((p) => [p.partition, p.high])));
    let done!: () => void;
    const caughtUp = new Promise<void>((resolve) => (done = resolve));
    if (!progress.behind) done();
    const consumer = await this.log.consumeTopicUncommitted(
      this.topic,
      group,
      (records) => {
        handler(records.map((r) => (r.undecodable ? undefined : r.event)));
        progress.note(records);
        if (!progress.behind) done();
        return Promise.resolve();
      },
      new Map(offsets.map((p) => [p.partition, p.low])),
    );
    return { consumer, caughtUp };
  }

  /**
   * The election is Kafka's own group protocol: every gateway that could publish joins one consumer group on a
   * topic of a single partition (`<topic>.publisher`, empty), and the member the group assigns that partition
   * leads. When it leaves or its session times out, the group gives the partition to another member. Nothing is
   * read from the topic and nothing is committed.
   */
  async elect(group: string): Promise<PublisherElection> {
    const topic = `${this.topic}.publisher`;
    await this.log.ensureTopic(topic, [], 1);
    const consumer = await this.log.consumeTopicUncommitted(topic, group, () => Promise.resolve(), new Map([[0, '0']]));
    return { leads: () => consumer.assignedPartitions?.().includes(0) ?? false, stop: () => consumer.stop() };
  }

  private ensureTopic(): Promise<void> {
    this.created ??= this.log.ensureTopic(this.topic, [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'segment.ms', value: String(3_600_000) },
    ]);
    this.created.catch(() => (this.created = null));
    return this.created;
  }
}
