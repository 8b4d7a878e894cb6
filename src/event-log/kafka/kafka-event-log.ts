import { randomUUID } from 'node:crypto';
import net from 'node:net';
import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type ISocketFactory,
  type KafkaConfig,
  type KafkaMessage,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import type { Logger } from 'pino';
import type { FlywheelEvent } from '../../events/event';
import type {
  AppendReceipt,
  BroadcastLog,
  BatchHandler,
  ConsumeOptions,
  DeadLetter,
  DeadLetterReceipt,
  EventLog,
  LogConsumer,
  LogRecord,
  PartitionOffsets,
  StoredDeadLetter,
} from '../event-log';
import { boundDeadLetter } from '../dead-letter-format';
import { KafkaItemModelFeed } from './item-model-topic';
import { ReadProgress } from './read-progress';
import { CoalescingQueue } from '../../util/coalescing-queue';

/**
 * The production event log on Kafka (kafkajs).
 *
 * Producing: one idempotent producer (acks from all in-sync replicas, one request in flight per broker,
 * which is what kafkajs requires for idempotence), each event keyed by `userId ?? sessionId ?? itemId`
 * so one shopper's events land on one partition and stay in order.
 *
 * Consuming: a consumer group, `eachBatch` with auto-commit off. A batch is handed to the handler in
 * chunks of at most `maxBatch` records; a chunk's offsets are resolved and committed only after the
 * handler resolved. A failing handler is retried on the same chunk with backoff (heartbeating between
 * tries); nothing after the failing chunk is committed, and a rebalance or restart redelivers it
 * (at-least-once; the graph dedupes by event id). With `poison` options (ingestion sets them), retries
 * are bounded for errors the caller classes as poison: after `maxAttempts` the chunk is retried record
 * by record and a record that still fails is handed to `onPoison` (dead-lettered) and committed, so one
 * bad record never stalls its partition; errors classed as transient (the graph store is down) are
 * retried until they pass, and the stall shows in readiness and `flywheel_ingest_stalled`.
 * Records that are not JSON are handed to the handler marked `undecodable` (ingestion dead-letters
 * them once; the fan-out consumer skips them), with `source` = `kafka:<topic>/<partition>@<offset>`.
 *
 * Positions. Kafka offsets are per partition, so the log has no single position:
 * - `AppendReceipt.positions[i]` is event i's offset within its own partition (not comparable across
 *   partitions); `duplicates` is always empty (Kafka does not dedupe by event id: the graph store does,
 *   when it applies), and `lastPosition` is the largest of those offsets.
 * - `LogRecord.offset` is the record's offset within its partition.
 * - `LogConsumer.position()` counts the records this consumer instance has handled and committed since
 *   it started; `lag()` is the group's lag summed over partitions (high watermark minus committed
 *   offset), refreshed through the admin client every `lagRefreshMs` and on demand (`refreshLag`, which
 *   /metrics and /readyz call, so a scrape never reads a stale sample); `ownLag()` is the part of it
 *   on the partitions this member owns (a stall is judged on those).
 * - `readYourWrites` is false and `waitFor` rejects: the partition of a write may be consumed by another
 *   gateway instance of the same group.
 *
 * Clients: the producer and admin share one kafkajs client; each consumer has a client of its own. Every
 * client's sockets are tracked, so that close/stop leaves none open, also those kafkajs lost track of
 * (see SocketTracker).
 *
 * Dead letters: `deadLetter()` produces to the dead-letter topic, one value format for every entry:
 * JSON `{ v: 1, source, reason, at, raw, truncated?, rawBytes?, origin? }` (`boundDeadLetter` caps raw
 * so a record always fits the broker's limit; `origin` is the topic/partition/offset of an events-topic
 * record), plus `reason` and `source` headers. `listDeadLetters()` reads the topic itself: a follower
 * (started on first use, group without committed offsets) keeps its newest `deadLetterRing` entries,
 * and each call first waits until it has read up to the topic's end, so the answer survives restarts and
 * includes every instance's dead letters.
 */
export interface KafkaEventLogOptions {
  brokers: string[];
  clientId: string;
  topic: string;
  deadLetterTopic: string;
  /** The compacted topic of the shipped item model (`itemModelFeed`), created on first use. */
  itemModelTopic?: string;
  /** Partitions of the events topic when this log creates it (and of the item model's). */
  partitions: number;
  /** Replication factor when this log creates topics; -1 takes the broker's default. */
  replicationFactor?: number;
  logger?: Logger;
  /** How often consumers refresh the group lag (ms). */
  lagRefreshMs?: number;
  /** Newest dead letters read back from the dead-letter topic for `listDeadLetters`. */
  deadLetterRing?: number;
  /** Dead-letter topic retention when this log creates it (ms); default 30 days. */
  deadLetterRetentionMs?: number;
  /** Consumer session timeout (ms); a crashed instance's partitions move after this long. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

/** An append waiting for its turn (see KafkaEventLog.append). */
interface QueuedAppend {
  messages: { key: string; value: string; headers: Record<string, string>; timestamp: string }[];
  bytes: number;
}

/**
 * Appends queued behind a produce request go out together up to about this many bytes of values: under the
 * broker's default `message.max.bytes` (1 MiB) for the whole request even on one partition.
 */
const MAX_PRODUCE_BYTES = 512 * 1024;

export class KafkaEventLog implements EventLog {
  readonly backend = 'kafka' as const;
  readonly readYourWrites = false;

  private readonly kafka: Kafka;
  private readonly sockets = new SocketTracker();
  private readonly admin: Admin;
  private readonly producer: Producer;
  private readonly consumers = new Set<KafkaConsumer>();
  private deadLetterReader: Promise<DeadLetterReader> | null = null;
  private closed = false;
  private started = false;

  private constructor(readonly options: KafkaEventLogOptions) {
    this.kafka = new Kafka(this.kafkaConfig(this.sockets));
    this.admin = this.kafka.admin();
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  /**
   * @internal Client settings. Each consumer gets a client (and socket tracker) of its own, so that it
   * can close what kafkajs leaves open when it stops (see SocketTracker).
   */
  kafkaConfig(sockets: SocketTracker): KafkaConfig {
    const logger = this.options.logger;
    return {
      clientId: this.options.clientId,
      brokers: this.options.brokers,
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => logKafka(logger, entry),
      retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 5000 },
      socketFactory: sockets.factory,
    };
  }

  /** Connects, creates the topics when missing, and returns a ready log. */
  static async create(options: KafkaEventLogOptions): Promise<KafkaEventLog> {
    const log = new KafkaEventLog(options);
    try {
      await log.start();
    } catch (err) {
      await log.close().catch(() => undefined);
      throw err;
    }
    return log;
  }

  private async start(): Promise<void> {
    await this.admin.connect();
    const existing = new Set(await this.admin.listTopics());
    const retention = String(this.options.deadLetterRetentionMs ?? 30 * 24 * 3600_000);
    await this.createTopics(
      [
        { topic: this.options.topic, numPartitions: this.options.partitions },
        // Dead letters are bounded by the topic's retention (each record is capped by boundDeadLetter).
        { topic: this.options.deadLetterTopic, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: retention }] },
      ].filter((t) => !existing.has(t.topic)),
    );
    await this.producer.connect();
    this.started = true;
  }

  /** Partitions of the events topic as the cluster has them (tests, diagnostics). */
  async partitionCount(): Promise<number> {
    const meta = await this.admin.fetchTopicMetadata({ topics: [this.options.topic] });
    return meta.topics[0]?.partitions.length ?? 0;
  }

  /** The cluster as the admin client sees it (the integration tests print it). */
  async describeCluster(): Promise<{ clusterId: string; brokers: number; controller: number | null }> {
    const c = await this.admin.describeCluster();
    return { clusterId: c.clusterId, brokers: c.brokers.length, controller: c.controller };
  }

  /** See EventLog.itemModelFeed (item-model-topic.ts). */
  get itemModelFeed(): KafkaItemModelFeed {
    this.modelFeed ??= new KafkaItemModelFeed(this, this.options.itemModelTopic ?? `${this.options.topic}.item-model`);
    return this.modelFeed;
  }
  private modelFeed: KafkaItemModelFeed | null = null;

  /** @internal Creates a topic (of this log's partitions unless told) when it is missing (another instance may win the race). */
  async ensureTopic(topic: string, configEntries: { name: string; value: string }[], numPartitions = this.options.partitions): Promise<void> {
    if ((await this.admin.listTopics()).includes(topic)) return;
    await this.createTopics([{ topic, numPartitions, configEntries }]);
  }

  /** Creates these topics with this log's replication factor; one that another instance created in between is fine. */
  private async createTopics(topics: { topic: string; numPartitions: number; configEntries?: { name: string; value: string }[] }[]): Promise<void> {
    if (topics.length === 0) return;
    try {
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((t) => ({ ...t, replicationFactor: this.options.replicationFactor ?? -1 })),
      });
    } catch (err) {
      if (!String((err as Error).message).includes('already exists')) throw err;
    }
    this.options.logger?.info({ topics: topics.map((t) => t.topic) }, 'kafka topics created');
  }

  /** @internal Produces keyed values to another topic than the events' (acks=all); no ordering with appends. */
  async produceTo(topic: string, messages: { key: string; value: string }[]): Promise<void> {
    if (this.closed || !this.started) throw new Error('event log is closed');
    await this.producer.send({ topic, acks: -1, messages });
  }

  /** Every gateway reads the whole topic besides its partitions (the fan-out); see EventLog.broadcast. */
  readonly broadcast: BroadcastLog = {
    pinEnd: () => this.endOffsets(),
    pinCommitted: (group) => this.committedOffsets(group),
    consumeFrom: (startAt, group, handler, options = {}) => this.consumeUncommitted(group, handler, { ...options, startAt }),
    readUntil: (end, group, handler) => this.readUntil(end, group, handler),
  };

  /** See BroadcastLog.pinCommitted. */
  async committedOffsets(group: string): Promise<Map<number, string>> {
    const topic = this.options.topic;
    const [ends, byPartition] = await Promise.all([this.admin.fetchTopicOffsets(topic), committedByPartition(this.admin, group, topic)]);
    return new Map(ends.map((p) => [p.partition, String(Math.max(byPartition.get(p.partition) ?? -1, Number(p.low)))]));
  }

  /** See BroadcastLog.readUntil: an uncommitted consumer from the earliest offsets, stopped once at `end`. */
  async readUntil(end: PartitionOffsets, group: string, handler: BatchHandler): Promise<void> {
    const offsets = await this.admin.fetchTopicOffsets(this.options.topic);
    const progress = new ReadProgress(new Map(offsets.map((p) => [p.partition, p.low])), end);
    if (!progress.behind) return;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const consumer = await this.consumeUncommitted(
      group,
      async (records) => {
        // Records appended after `end` are the fan-out's, which starts there.
        const before = records.filter((r) => r.origin !== undefined && Number(r.origin.offset) < Number(end.get(r.origin.partition) ?? 0));
        if (before.length > 0) await handler(before);
        progress.note(records);
        if (!progress.behind) done();
      },
      { startAt: new Map(offsets.map((p) => [p.partition, p.low])), maxBatch: 5000 },
    );
    // A read that stops moving says where it stands (it has no deadline: a large topic takes its time).
    let seen = JSON.stringify(progress.lagging());
    const watch = setInterval(() => {
      const lagging = progress.lagging();
      const now = JSON.stringify(lagging);
      if (now === seen) this.options.logger?.warn({ group, lagging }, 'kafka: reading the topic up to its pinned end made no progress in 15 s');
      seen = now;
    }, 15_000);
    watch.unref();
    try {
      await finished;
    } finally {
      clearInterval(watch);
      await consumer.stop();
    }
  }

  /** End offsets of the events topic per partition (where a consumer that starts "now" begins). */
  async endOffsets(): Promise<Map<number, string>> {
    const ends = await this.admin.fetchTopicOffsets(this.options.topic);
    return new Map(ends.map((p) => [p.partition, p.high]));
  }

  /**
   * Appends in call order. kafkajs does not keep two `send` calls in flight to one partition in the order
   * they were made (the integration suite saw 24 of 33 clicks land before the lists they were on when
   * impressions and clicks were sent side by side), so appends queue here: one produce request at a time,
   * and the appends that arrived while it was in flight go together in the next one, in call order (group
   * commit, as the embedded log's queued transactions do). Every caller still gets its own receipt.
   */
  append(events: readonly FlywheelEvent[]): Promise<AppendReceipt> {
    if (this.closed || !this.started) return Promise.reject(new Error('event log is closed'));
    if (events.length === 0) return Promise.resolve({ positions: [], duplicates: [], lastPosition: -1 });
    // Serialised now, in the caller's turn: a value that cannot be encoded fails its own append only.
    const messages = events.map((e) => ({
      key: partitionKey(e),
      value: JSON.stringify(e),
      headers: { 'event-id': e.id },
      timestamp: String(Date.now()),
    }));
    const bytes = messages.reduce((sum, m) => sum + m.value.length, 0);
    return this.appends.push({ messages, bytes });
  }

  /** Appends waiting for the produce request in flight go out together in the next one, in call order (close waits for them). */
  private readonly appends = new CoalescingQueue<QueuedAppend, AppendReceipt>(
    async (batch) => {
      const positions = await this.produce(batch.flatMap((a) => a.messages));
      let from = 0;
      return batch.map((a) => {
        const own = positions.slice(from, from + a.messages.length);
        from += a.messages.length;
        return { positions: own, duplicates: [], lastPosition: Math.max(...own) };
      });
    },
    // Whole appends only, up to about MAX_PRODUCE_BYTES (one append larger than that goes alone).
    { sizeOf: (a) => a.bytes, max: MAX_PRODUCE_BYTES },
  );

  /** One produce request; returns each message's offset within its partition, in input order. */
  private async produce(messages: QueuedAppend['messages']): Promise<number[]> {
    const metas = await this.producer.send({ topic: this.options.topic, acks: -1, messages });
    // Offsets within a partition follow input order: message i is baseOffset + (its rank in the partition).
    const partitionOf = this.partitionerFor((await this.partitionCountCached()) || 1);
    const base = new Map<number, number>();
    for (const m of metas) base.set(m.partition, Number(m.baseOffset ?? m.offset ?? 0));
    const seen = new Map<number, number>();
    return messages.map((m) => {
      const p = partitionOf(m.key);
      const rank = seen.get(p) ?? 0;
      seen.set(p, rank + 1);
      return (base.get(p) ?? 0) + rank;
    });
  }

  /** @internal flags records whose partition is not the one the gateway's partitioner picks for their key. */
  async markMisrouted(records: LogRecord[]): Promise<void> {
    const count = await this.partitionCountCached().catch(() => 0);
    if (count <= 1) return;
    const partitionOf = this.partitionerFor(count);
    for (const r of records) {
      const e = r.event as { kind?: unknown; id?: unknown; itemId?: unknown } | null;
      if (r.undecodable || !e || typeof e !== 'object' || !r.origin) continue;
      if (e.kind === 'impression' || e.kind === 'experiment' ? typeof e.id !== 'string' : typeof e.itemId !== 'string') continue;
      const key = partitionKey(e as FlywheelEvent);
      if (typeof key !== 'string') continue;
      if (partitionOf(key) !== r.origin.partition) r.misrouted = true;
    }
  }

  /**
   * The partition the producer's default partitioner picks for a key, on a topic of `count` partitions. Kept
   * per count: a new partitioner draws 32 random bytes on its first call, and this runs for every produce
   * request and every consumed chunk (drawing them was 0.7 % of a production gateway's busy time under
   * `bench:backends` serving load, in a CPU profile of 5 December).
   */
  private partitionerFor(count: number): (key: string) => number {
    if (this.partitioner?.count === count) return this.partitioner.of;
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: count }, (_, id) => ({ partitionId: id, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
    const of = (key: string): number => partitioner({ topic: this.options.topic, partitionMetadata, message: { key, value: null } });
    this.partitioner = { count, of };
    return of;
  }

  private partitioner: { count: number; of: (key: string) => number } | null = null;
  private cachedPartitions = 0;
  private async partitionCountCached(): Promise<number> {
    if (this.cachedPartitions === 0) this.cachedPartitions = await this.partitionCount();
    return this.cachedPartitions;
  }

  async consume(group: string, handler: BatchHandler, options: ConsumeOptions = {}): Promise<LogConsumer> {
    if (this.closed) throw new Error('event log is closed');
    // -1 ("nothing applied yet", an embedded graph without a snapshot) is the group's own start; a real
    // position cannot be honoured: Kafka offsets are per partition and the group's commit is the truth.
    if (options.startAfter !== undefined && options.startAfter >= 0) {
      throw new Error('startAfter is not supported on the Kafka log: the consumer group offset is the source of truth');
    }
    const consumer = new KafkaConsumer(this, group, handler, options, { topic: this.options.topic, commit: true });
    return this.startConsumer(consumer);
  }

  /**
   * A consumer that reads every partition from `startAt` (partition -> offset; missing partitions from
   * the end) and never commits: its group holds no offsets, so it leaves nothing behind. The group is
   * deleted when the consumer stops, and after a crash Kafka drops a group without offsets by itself
   * (at its next offsets cleanup, `offsets.retention.check.interval.ms`, 10 min by default), where a
   * committing group per instance would stay for `offsets.retention.minutes` (7 days). A rejoin after a
   * consumer crash resumes after the last record handled. The gateway's fan-out consumer is one.
   */
  async consumeUncommitted(group: string, handler: BatchHandler, options: ConsumeOptions & { startAt: PartitionOffsets }): Promise<LogConsumer> {
    if (this.closed) throw new Error('event log is closed');
    const consumer = new KafkaConsumer(this, group, handler, options, { topic: this.options.topic, commit: false, startAt: options.startAt });
    return this.startConsumer(consumer);
  }

  /** @internal an uncommitted consumer of another topic (the dead-letter reader). */
  async consumeTopicUncommitted(topic: string, group: string, handler: BatchHandler, startAt: Map<number, string>): Promise<LogConsumer> {
    if (this.closed) throw new Error('event log is closed');
    return this.startConsumer(new KafkaConsumer(this, group, handler, { maxBatch: 1000 }, { topic, commit: false, startAt }));
  }

  /** @internal deletes a consumer group (an uncommitted consumer's, once it stopped); best effort. */
  async deleteGroup(group: string): Promise<void> {
    if (!this.started) return;
    try {
      await this.admin.deleteGroups([group]);
    } catch (err) {
      this.options.logger?.warn({ err, group }, 'could not delete the consumer group (Kafka drops a group without offsets by itself)');
    }
  }

  private async startConsumer(consumer: KafkaConsumer): Promise<KafkaConsumer> {
    this.consumers.add(consumer);
    try {
      await consumer.start();
    } catch (err) {
      this.consumers.delete(consumer);
      await consumer.stop().catch(() => undefined);
      throw err;
    }
    return consumer;
  }

  async deadLetter(entries: readonly DeadLetter[]): Promise<DeadLetterReceipt> {
    if (this.closed || !this.started) throw new Error('event log is closed');
    if (entries.length === 0) return { pruned: 0 };
    const at = Date.now();
    await this.producer.send({
      topic: this.options.deadLetterTopic,
      acks: -1,
      messages: entries.map((e) => {
        const d = boundDeadLetter(e);
        const value: DeadLetterValue = { v: 1, source: d.source, reason: d.reason, at, raw: d.raw };
        if (d.truncated) Object.assign(value, { truncated: true, rawBytes: d.rawBytes });
        if (e.origin) value.origin = e.origin;
        return { key: null, value: JSON.stringify(value), headers: { reason: d.reason, source: d.source } };
      }),
    });
    return { pruned: 0 };
  }

  async listDeadLetters(limit: number): Promise<StoredDeadLetter[]> {
    if (this.closed) throw new Error('event log is closed');
    if (!this.deadLetterReader) {
      this.deadLetterReader = DeadLetterReader.start(this).catch((err: unknown) => {
        this.deadLetterReader = null;
        throw err;
      });
    }
    const reader = await this.deadLetterReader;
    await reader.catchUp(10_000);
    return reader.newest(limit);
  }

  /** @internal */
  adminClient(): Admin {
    return this.admin;
  }

  /** @internal */
  forget(c: KafkaConsumer): void {
    this.consumers.delete(c);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Appends accepted before close are produced (their callers were promised a receipt or an error).
    await this.appends.idle();
    await this.deadLetterReader?.catch(() => undefined);
    await Promise.allSettled([...this.consumers].map((c) => c.stop()));
    await this.producer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
    this.sockets.close(this.options.logger, 'producer/admin');
  }
}

/**
 * The sockets of one kafkajs client. kafkajs can lose track of a broker connection: when a fetch fails
 * with "connection closed" (a broker restart) the consumer group drops that broker object from its pool
 * (`removeBroker`) but keeps using it as the group coordinator, and its connection pool reconnects on the
 * next heartbeat; `disconnect()` then closes only the pool's brokers, and the orphaned connection stays
 * ESTABLISHED (until the broker's idle timeout, 10 min by default) with its request-timeout interval
 * running, which keeps the process alive. After a client's disconnect, `close()` ends what is still open
 * (and any socket opened later) so that kafkajs runs its own connection teardown.
 */
class SocketTracker {
  private readonly open = new Set<net.Socket>();
  private closed = false;

  readonly factory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
    if (ssl) throw new Error('TLS to Kafka is not configured in this gateway');
    const socket = net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    if (this.closed) SocketTracker.shut(socket);
    return socket;
  };

  close(logger: Logger | undefined, owner: string): void {
    this.closed = true;
    // Sockets kafkajs closed itself are ended (half-closed, waiting for the broker's FIN, unref'd): fine.
    const orphaned = [...this.open].filter((s) => !s.writableEnded && !s.destroyed);
    if (orphaned.length === 0) return;
    logger?.warn({ owner, sockets: orphaned.length }, 'kafka client left connections open after disconnect; closing them');
    for (const s of orphaned) SocketTracker.shut(s);
  }

  /**
   * Ends the socket the way the broker would: kafkajs tears a connection down (rejects its requests, clears
   * its request-timeout interval, marks it disconnected) only on the socket's 'end' or 'error', not on
   * 'close', so a bare destroy() would leave that interval running. A FIN makes the broker close its side
   * ('end'); if nothing comes back within 2 s, the socket is destroyed and 'end' is raised for kafkajs.
   */
  private static shut(s: net.Socket): void {
    s.end();
    s.unref();
    const t = setTimeout(() => {
      if (s.destroyed && s.readableEnded) return;
      s.destroy();
      s.emit('end');
    }, 2000);
    t.unref();
    s.once('close', () => clearTimeout(t));
  }
}

interface ConsumerMode {
  topic: string;
  /** Commit offsets to the group (false: the group holds no offsets; see consumeUncommitted). */
  commit: boolean;
  /** Where to start, per partition (uncommitted consumers); missing partitions start at the end. */
  startAt?: PartitionOffsets;
}

class KafkaConsumer implements LogConsumer {
  private readonly consumer: Consumer;
  private readonly sockets = new SocketTracker();
  private running = false;
  private handled = 0;
  private cachedLag = 0;
  private cachedOwnLag = 0;
  private lagTimer: NodeJS.Timeout | null = null;
  private rejoinTimer: NodeJS.Timeout | null = null;
  /** The join in progress (start or a rejoin after a crash): stop waits for it, then disconnects again. */
  private joining: Promise<void> | null = null;
  private lagRefresh: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  /** Next offset to read per partition, as far as this member has handled (uncommitted consumers resume here). */
  private readonly next = new Map<number, string>();
  /** Partitions this member currently owns (for tests and logs). */
  assigned: number[] = [];

  constructor(
    private readonly log: KafkaEventLog,
    private readonly group: string,
    private readonly handler: BatchHandler,
    private readonly options: ConsumeOptions,
    private readonly mode: ConsumerMode,
  ) {
    const o = log.options;
    this.consumer = new Kafka(log.kafkaConfig(this.sockets)).consumer({
      groupId: group,
      allowAutoTopicCreation: false,
      sessionTimeout: o.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: o.heartbeatIntervalMs ?? 3000,
      rebalanceTimeout: 60_000,
      maxWaitTimeInMs: 100,
      // kafkajs restarts a crashed consumer by itself (a timer that reconnects): never once we are stopping.
      retry: { retries: 5, restartOnFailure: async () => this.running },
    });
  }

  async start(): Promise<void> {
    const topic = this.mode.topic;
    const c = this.consumer;
    c.on(c.events.GROUP_JOIN, (e) => {
      // A join that was already under way when stop() disconnected (kafkajs's runner does not check)
      // completes afterwards and would leave a running member with open sockets: leave again.
      if (!this.running) {
        void this.consumer.disconnect().catch(() => undefined);
        return;
      }
      this.assigned = [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
      // Uncommitted consumers position themselves: where they left off, else the start offsets, else the
      // end. Seeks are applied before the first fetch after this join.
      if (!this.mode.commit) {
        for (const partition of this.assigned) {
          const offset = this.next.get(partition) ?? this.mode.startAt?.get(partition);
          if (offset !== undefined) c.seek({ topic, partition, offset });
        }
      }
      this.log.options.logger?.debug({ group: this.group, partitions: this.assigned }, 'kafka partitions assigned');
    });
    // kafkajs gives up for good on errors it deems non-retriable (e.g. "the coordinator is not aware of
    // this member" after the group evicted us); ingestion must not stop silently: rejoin after a pause.
    c.on(c.events.CRASH, (e) => {
      if (!this.running) {
        // kafkajs schedules its own restart right after this event when it deems the error retriable
        // and restartOnFailure said yes just before stop(): a disconnect clears that timer.
        if (e.payload.restart) setImmediate(() => void this.consumer.disconnect().catch(() => undefined));
        return;
      }
      if (e.payload.restart) return;
      this.log.options.logger?.error({ group: this.group, err: e.payload.error }, 'kafka consumer crashed; rejoining the group in 1 s');
      if (this.rejoinTimer) clearTimeout(this.rejoinTimer);
      this.rejoinTimer = setTimeout(() => {
        this.rejoinTimer = null;
        if (!this.running) return;
        this.join().catch((err: unknown) => this.log.options.logger?.error({ group: this.group, err }, 'kafka consumer rejoin failed'));
      }, 1000);
    });
    this.running = true;
    await this.join();
    if (!this.running) return; // stopped while starting: stop() finishes the disconnect
    await this.refreshLagOnce();
    if (!this.running) return;
    this.lagTimer = setInterval(() => void this.refreshLagOnce(), this.log.options.lagRefreshMs ?? 2000);
    this.lagTimer.unref();
  }

  /** run(), tracked so that stop() can wait for a join in progress instead of racing it. */
  private join(): Promise<void> {
    const p = this.run().finally(() => {
      if (this.joining === p) this.joining = null;
    });
    this.joining = p;
    return p;
  }

  private async run(): Promise<void> {
    const topic = this.mode.topic;
    const c = this.consumer;
    await c.connect();
    await c.subscribe({ topic, fromBeginning: this.mode.commit ? (this.options.fromBeginning ?? true) : false });
    const maxBatch = Math.max(1, this.options.maxBatch ?? 5000);
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const live = () => this.running && isRunning() && !isStale();
        for (let start = 0; start < batch.messages.length && live(); start += maxBatch) {
          const chunk = batch.messages.slice(start, start + maxBatch);
          const records = chunk.map((m) => toRecord(batch.topic, batch.partition, m));
          if (this.mode.topic === this.log.options.topic) await this.log.markMisrouted(records);
          const ok = await this.handleWithRetry(records, heartbeat, live);
          if (!ok) return; // stopping or lost the partition: leave the chunk uncommitted (redelivered)
          const last = chunk[chunk.length - 1]!.offset;
          resolveOffset(last);
          const nextOffset = String(Number(last) + 1);
          if (this.mode.commit) await c.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: nextOffset }]);
          this.next.set(batch.partition, nextOffset);
          this.handled += chunk.length;
          await heartbeat();
        }
      },
    });
  }

  /**
   * Hands the chunk to the handler until it succeeds. With a poison policy, after `maxAttempts` failures
   * whose error is poison-class, the chunk is retried record by record and a record that still fails
   * `maxAttempts` times goes to `onPoison`; transient errors are retried until they pass.
   * Returns false when the consumer stops or loses the partition before that.
   */
  private async handleWithRetry(records: LogRecord[], heartbeat: () => Promise<void>, live: () => boolean): Promise<boolean> {
    const poison = this.options.poison;
    const first = await this.attempt(records, heartbeat, live, poison ? poison.maxAttempts : Infinity);
    if (first !== 'failed') return first === 'ok';
    // Poison-class failures on the whole chunk: find the record(s) responsible.
    for (const record of records) {
      for (;;) {
        const alone = await this.attempt([record], heartbeat, live, poison!.maxAttempts);
        if (alone === 'ok') break;
        if (alone === 'stopped') return false;
        try {
          await poison!.onPoison(record, this.lastError);
          this.log.options.logger?.warn(
            { group: this.group, source: record.source, err: this.lastError },
            'kafka record dead-lettered after repeated handler failures',
          );
          break;
        } catch (err) {
          // Could not take it out of the way (the dead-letter topic is unreachable): try it again later.
          this.log.options.logger?.error({ group: this.group, source: record.source, err }, 'dead-lettering a poison record failed; retrying');
          if (!live()) return false;
          await sleep(1000);
        }
      }
    }
    return true;
  }

  private lastError: unknown = null;

  /**
   * Up to `maxAttempts` tries while the error is poison-class (unbounded for transient errors).
   * 'failed' means the attempts ran out on a poison-class error (`lastError`).
   */
  private async attempt(records: LogRecord[], heartbeat: () => Promise<void>, live: () => boolean, maxAttempts: number): Promise<'ok' | 'stopped' | 'failed'> {
    const poison = this.options.poison;
    let backoff = 50;
    let poisonFailures = 0;
    for (;;) {
      // A slow handler (a graph store retrying through an outage) keeps the group membership alive.
      const beat = setInterval(() => void heartbeat().catch(() => undefined), Math.max(500, this.log.options.heartbeatIntervalMs ?? 3000));
      try {
        await this.handler(records);
        return 'ok';
      } catch (err) {
        // The handler logs its own errors; retry the same records (the partition waits, in order).
        this.lastError = err;
        if (!poison || poison.isPoison(err)) poisonFailures++;
        if (poisonFailures >= maxAttempts) return 'failed';
        if (!live()) return 'stopped';
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
        if (!live()) return 'stopped';
        await heartbeat().catch(() => undefined);
      } finally {
        clearInterval(beat);
      }
    }
  }

  /** One lag refresh at a time; resolves with the group's lag (the cached one when the refresh fails). */
  refreshLag(): Promise<number> {
    return this.refreshLagOnce().then(() => this.cachedLag);
  }

  private refreshLagOnce(): Promise<void> {
    // One refresh at a time, and none after stop: an admin request in flight when the log closes the
    // admin client would make kafkajs reconnect it (its broker pool connects lazily) and leak a socket.
    if (!this.running) return Promise.resolve();
    if (!this.lagRefresh) this.lagRefresh = this.fetchLag().finally(() => (this.lagRefresh = null));
    return this.lagRefresh;
  }

  private async fetchLag(): Promise<void> {
    try {
      const admin = this.log.adminClient();
      const topic = this.mode.topic;
      const [ends, byPartition] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        this.mode.commit ? committedByPartition(admin, this.group, topic) : Promise.resolve(new Map<number, number>()),
      ]);
      // Uncommitted consumers: what they have handled stands for the commit.
      if (!this.mode.commit) for (const [p, o] of this.next) byPartition.set(p, Number(o));
      const own = new Set(this.assigned);
      let lag = 0;
      let ownLag = 0;
      for (const p of ends) {
        const c = byPartition.get(p.partition) ?? -1;
        const from = c >= 0 ? c : this.mode.commit ? Number(p.low) : Number(this.mode.startAt?.get(p.partition) ?? p.high);
        const behind = Math.max(0, Number(p.high) - from);
        lag += behind;
        if (own.has(p.partition)) ownLag += behind;
      }
      this.cachedLag = lag;
      this.cachedOwnLag = ownLag;
    } catch (err) {
      this.log.options.logger?.debug({ err }, 'kafka lag refresh failed');
    }
  }

  position(): number {
    return this.handled;
  }

  assignedPartitions(): readonly number[] {
    return this.assigned;
  }

  lag(): number {
    return this.cachedLag;
  }

  ownLag(): number {
    return this.cachedOwnLag;
  }

  /** Refreshes the lag now (tests). */
  async lagNow(): Promise<number> {
    return this.refreshLag();
  }

  waitFor(): Promise<void> {
    return Promise.reject(new Error('waitFor is not supported on the Kafka log (readYourWrites is false)'));
  }

  /**
   * Leaves the group and closes every socket and timer of this consumer. Safe against a join in
   * progress (start, or a rejoin after a crash): kafkajs's disconnect does not cancel a join that is
   * under way, and its broker pool reconnects lazily, so the consumer is disconnected again once that
   * join has settled (the GROUP_JOIN and CRASH handlers cover joins kafkajs itself restarts). An
   * uncommitted consumer's group (no offsets, now empty) is deleted.
   */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.running = false;
      if (this.lagTimer) clearInterval(this.lagTimer);
      if (this.rejoinTimer) clearTimeout(this.rejoinTimer);
      this.lagTimer = null;
      this.rejoinTimer = null;
      const warn = (err: unknown) => this.log.options.logger?.warn({ err, group: this.group }, 'kafka consumer disconnect failed');
      this.stopping = (async () => {
        await this.consumer.disconnect().catch(warn);
        await this.joining?.catch(() => undefined);
        await this.lagRefresh;
        await this.consumer.disconnect().catch(warn);
        this.sockets.close(this.log.options.logger, `consumer ${this.group}`);
        if (!this.mode.commit) await this.log.deleteGroup(this.group);
      })().finally(() => this.log.forget(this));
    }
    return this.stopping;
  }
}

/** What a dead-letter record's value holds (the one format of the dead-letter topic). */
interface DeadLetterValue {
  v: 1;
  source: string;
  reason: string;
  at: number;
  raw: unknown;
  truncated?: boolean;
  rawBytes?: number;
  origin?: { topic: string; partition: number; offset: string };
}

/**
 * `listDeadLetters` on Kafka: follows the dead-letter topic from (at most) its newest `ring` records per
 * partition, in a group without offsets (nothing left behind), and keeps the newest `ring` entries.
 */
class DeadLetterReader {
  private readonly entries: StoredDeadLetter[] = [];
  private readonly read = new Map<number, number>();

  private constructor(
    private readonly log: KafkaEventLog,
    private readonly ring: number,
  ) {}

  static async start(log: KafkaEventLog): Promise<DeadLetterReader> {
    const ring = log.options.deadLetterRing ?? 1000;
    const reader = new DeadLetterReader(log, ring);
    const topic = log.options.deadLetterTopic;
    const ends = await log.adminClient().fetchTopicOffsets(topic);
    const startAt = new Map(ends.map((p) => [p.partition, String(Math.max(Number(p.low), Number(p.high) - ring))]));
    for (const [p, o] of startAt) reader.read.set(p, Number(o));
    await log.consumeTopicUncommitted(topic, `${log.options.clientId}.deadletters.${randomUUID()}`, (records) => reader.take(records), startAt);
    return reader;
  }

  private async take(records: readonly LogRecord[]): Promise<void> {
    for (const r of records) {
      this.entries.push(toStoredDeadLetter(r));
      this.read.set(r.origin!.partition, r.offset + 1);
    }
    this.entries.sort((a, b) => a.at - b.at || a.seq - b.seq);
    if (this.entries.length > this.ring) this.entries.splice(0, this.entries.length - this.ring);
  }

  /** Waits until everything in the topic now has been read (read-your-writes for the query). */
  async catchUp(timeoutMs: number): Promise<void> {
    const ends = await this.log.adminClient().fetchTopicOffsets(this.log.options.deadLetterTopic);
    const deadline = Date.now() + timeoutMs;
    while (ends.some((p) => (this.read.get(p.partition) ?? 0) < Number(p.high))) {
      if (Date.now() > deadline) return; // answer with what has been read
      await sleep(25);
    }
  }

  newest(limit: number): StoredDeadLetter[] {
    return this.entries.slice(-limit).reverse();
  }
}

function toStoredDeadLetter(r: LogRecord): StoredDeadLetter {
  const seq = r.offset;
  const v = r.event as Partial<DeadLetterValue> | string | null;
  if (!r.undecodable && v && typeof v === 'object' && v.v === 1 && typeof v.reason === 'string') {
    const out: StoredDeadLetter = { seq, at: v.at ?? 0, source: v.source ?? '', reason: v.reason, raw: v.raw ?? null };
    if (v.truncated) Object.assign(out, { truncated: true, rawBytes: v.rawBytes });
    if (v.origin) out.origin = v.origin;
    return out;
  }
  // Records of older gateways (raw bytes, reason in a header) or from other tools.
  return { seq, at: 0, source: r.source ?? '', reason: 'not a dead-letter record of this format', raw: r.event ?? null };
}

/** A Kafka message as a log record; undecodable bytes are passed on marked, as (a prefix of) their text. */
function toRecord(topic: string, partition: number, m: KafkaMessage): LogRecord {
  const base = { offset: Number(m.offset), source: `kafka:${topic}/${partition}@${m.offset}`, origin: { topic, partition, offset: m.offset } };
  if (m.value === null) return { ...base, event: null, undecodable: { reason: 'empty message (null value)', bytes: 0 } };
  try {
    return { ...base, event: JSON.parse(m.value.toString('utf8')) };
  } catch (err) {
    // Keep only a prefix of a large message: the dead letter holds DEAD_LETTER_RAW_BYTES of it anyway.
    const text = m.value.subarray(0, 64 * 1024).toString('utf8');
    return { ...base, event: text, undecodable: { reason: `not JSON: ${(err as Error).message}`, bytes: m.value.length } };
  }
}

/** A consumer group's committed offset per partition of `topic` (-1 where it has committed none). */
async function committedByPartition(admin: Admin, group: string, topic: string): Promise<Map<number, number>> {
  const byPartition = new Map<number, number>();
  for (const t of await admin.fetchOffsets({ groupId: group, topics: [topic] })) for (const p of t.partitions) byPartition.set(p.partition, Number(p.offset));
  return byPartition;
}

/**
 * Records about a person (interactions, impressions) are keyed by that person, so a user's impressions and
 * the clicks on them stay in one partition, in order; the rest by item (an anonymous list by its anchor).
 */
export function partitionKey(e: FlywheelEvent): string {
  if (e.kind === 'interaction') return e.userId ?? e.sessionId ?? e.itemId;
  if (e.kind === 'impression') return e.userId ?? e.sessionId ?? e.anchorItemId ?? e.id;
  if (e.kind === 'experiment') return `experiment:${e.experimentId}`;
  return e.itemId;
}

function logKafka(logger: Logger | undefined, entry: LogEntry): void {
  if (!logger) return;
  const { message, ...extra } = entry.log;
  const obj = { kafka: entry.namespace, ...extra };
  if (entry.level === logLevel.ERROR) logger.error(obj, message);
  else if (entry.level === logLevel.WARN) logger.warn(obj, message);
  else logger.debug(obj, message);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
