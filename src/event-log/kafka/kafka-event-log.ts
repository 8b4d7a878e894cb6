import net from 'node:net';
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type ISocketFactory, type KafkaConfig, type KafkaMessage, type LogEntry, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { FlywheelEvent } from '../../events/event';
import type {
  AppendReceipt,
  BatchHandler,
  ConsumeOptions,
  DeadLetter,
  EventLog,
  LogConsumer,
  LogRecord,
  StoredDeadLetter,
} from '../event-log';

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
 * tries) until it succeeds or the consumer stops; the partition waits, nothing after the failing chunk
 * is committed, and a rebalance or restart redelivers it (at-least-once; the graph dedupes by event id).
 * Records that are not JSON (poison) go to the dead-letter topic with the reason in a `reason` header
 * and are committed with the chunk, so a partition never stalls on them.
 *
 * Positions. Kafka offsets are per partition, so the log has no single position:
 * - `AppendReceipt.positions[i]` is event i's offset within its own partition (not comparable across
 *   partitions); `duplicates` is always empty (Kafka does not dedupe by event id: the graph store does,
 *   when it applies), and `lastPosition` is the largest of those offsets.
 * - `LogRecord.offset` is the record's offset within its partition.
 * - `LogConsumer.position()` counts the records this consumer instance has handled and committed since
 *   it started; `lag()` is the group's lag summed over partitions (high watermark minus committed
 *   offset), refreshed through the admin client every `lagRefreshMs` and cached.
 * - `readYourWrites` is false and `waitFor` rejects: the partition of a write may be consumed by another
 *   gateway instance of the same group.
 *
 * Clients: the producer and admin share one kafkajs client; each consumer has a client of its own. Every
 * client's sockets are tracked, so that close/stop leaves none open, also those kafkajs lost track of
 * (see SocketTracker).
 *
 * Dead letters: `deadLetter()` produces to the dead-letter topic (JSON value, `reason` and `source`
 * headers). `listDeadLetters()` returns what this process dead-lettered, from a bounded in-memory ring
 * (the topic itself is the durable record; read it with any Kafka tool).
 */
export interface KafkaEventLogOptions {
  brokers: string[];
  clientId: string;
  topic: string;
  deadLetterTopic: string;
  /** Partitions of the events topic when this log creates it. */
  partitions: number;
  /** Replication factor when this log creates topics; -1 takes the broker's default. */
  replicationFactor?: number;
  logger?: Logger;
  /** How often consumers refresh the group lag (ms). */
  lagRefreshMs?: number;
  /** Dead letters kept in memory for `listDeadLetters`. */
  deadLetterRing?: number;
  /** Consumer session timeout (ms); a crashed instance's partitions move after this long. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

export class KafkaEventLog implements EventLog {
  readonly backend = 'kafka' as const;
  readonly readYourWrites = false;

  private readonly kafka: Kafka;
  private readonly sockets = new SocketTracker();
  private readonly admin: Admin;
  private readonly producer: Producer;
  private readonly consumers = new Set<KafkaConsumer>();
  private readonly ring: StoredDeadLetter[] = [];
  private deadSeq = 0;
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
    const wanted = [
      { topic: this.options.topic, numPartitions: this.options.partitions },
      { topic: this.options.deadLetterTopic, numPartitions: 1 },
    ].filter((t) => !existing.has(t.topic));
    if (wanted.length > 0) {
      try {
        await this.admin.createTopics({
          waitForLeaders: true,
          topics: wanted.map((t) => ({ ...t, replicationFactor: this.options.replicationFactor ?? -1 })),
        });
      } catch (err) {
        // Another instance may have created them in between.
        if (!String((err as Error).message).includes('already exists')) throw err;
      }
      this.options.logger?.info({ topics: wanted.map((t) => t.topic) }, 'kafka topics created');
    }
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

  /**
   * Commits the events topic's current end offsets for a new group, so that a consumer of that group
   * starts exactly at "now" (not at whatever "latest" is when its first fetch happens). The gateway
   * uses it for its fan-out group before bootstrapping the recommender from the graph.
   */
  async startGroupAtEnd(group: string): Promise<void> {
    const ends = await this.admin.fetchTopicOffsets(this.options.topic);
    await this.admin.setOffsets({ groupId: group, topic: this.options.topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
  }

  async append(events: readonly FlywheelEvent[]): Promise<AppendReceipt> {
    if (this.closed || !this.started) throw new Error('event log is closed');
    if (events.length === 0) return { positions: [], duplicates: [], lastPosition: -1 };
    const metas = await this.producer.send({
      topic: this.options.topic,
      acks: -1,
      messages: events.map((e) => ({
        key: partitionKey(e),
        value: JSON.stringify(e),
        headers: { 'event-id': e.id },
        timestamp: String(Date.now()),
      })),
    });
    // Offsets within a partition follow input order: event i is baseOffset + (its rank in the partition).
    const partitioner = Partitioners.DefaultPartitioner();
    const count = (await this.partitionCountCached()) || 1;
    const base = new Map<number, number>();
    for (const m of metas) base.set(m.partition, Number(m.baseOffset ?? m.offset ?? 0));
    const seen = new Map<number, number>();
    const positions = events.map((e) => {
      const p = partitioner({
        topic: this.options.topic,
        partitionMetadata: Array.from({ length: count }, (_, id) => ({ partitionId: id, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 })),
        message: { key: partitionKey(e), value: null },
      });
      const rank = seen.get(p) ?? 0;
      seen.set(p, rank + 1);
      return (base.get(p) ?? 0) + rank;
    });
    return { positions, duplicates: [], lastPosition: Math.max(...positions) };
  }

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
    const consumer = new KafkaConsumer(this, group, handler, options);
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

  async deadLetter(entries: readonly DeadLetter[]): Promise<void> {
    if (entries.length === 0) return;
    const at = Date.now();
    await this.producer.send({
      topic: this.options.deadLetterTopic,
      acks: -1,
      messages: entries.map((e) => ({
        key: e.source,
        value: JSON.stringify({ source: e.source, reason: e.reason, raw: storable(e.raw), at }),
        headers: { reason: e.reason, source: e.source },
      })),
    });
    for (const e of entries) this.remember({ source: e.source, reason: e.reason, raw: storable(e.raw), seq: this.deadSeq++, at });
  }

  /** @internal poison records: produced to the DLQ with the raw bytes and the reason in a header. */
  async deadLetterRaw(source: string, reason: string, value: Buffer | null, key: Buffer | null): Promise<void> {
    const at = Date.now();
    await this.producer.send({
      topic: this.options.deadLetterTopic,
      acks: -1,
      messages: [{ key, value, headers: { reason, source } }],
    });
    this.remember({ source, reason, raw: value === null ? null : value.toString('utf8'), seq: this.deadSeq++, at });
  }

  private remember(d: StoredDeadLetter): void {
    this.ring.push(d);
    const max = this.options.deadLetterRing ?? 1000;
    if (this.ring.length > max) this.ring.splice(0, this.ring.length - max);
  }

  async listDeadLetters(limit: number): Promise<StoredDeadLetter[]> {
    return this.ring.slice(-limit).reverse();
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

class KafkaConsumer implements LogConsumer {
  private readonly consumer: Consumer;
  private readonly sockets = new SocketTracker();
  private running = false;
  private handled = 0;
  private cachedLag = 0;
  private lagTimer: NodeJS.Timeout | null = null;
  private rejoinTimer: NodeJS.Timeout | null = null;
  /** The join in progress (start or a rejoin after a crash): stop waits for it, then disconnects again. */
  private joining: Promise<void> | null = null;
  private lagRefresh: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  /** Partitions this member currently owns (for tests and logs). */
  assigned: number[] = [];

  constructor(
    private readonly log: KafkaEventLog,
    private readonly group: string,
    private readonly handler: BatchHandler,
    private readonly options: ConsumeOptions,
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
    const topic = this.log.options.topic;
    const c = this.consumer;
    c.on(c.events.GROUP_JOIN, (e) => {
      // A join that was already under way when stop() disconnected (kafkajs's runner does not check)
      // completes afterwards and would leave a running member with open sockets: leave again.
      if (!this.running) {
        void this.consumer.disconnect().catch(() => undefined);
        return;
      }
      this.assigned = [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
      this.log.options.logger?.info({ group: this.group, partitions: this.assigned }, 'kafka partitions assigned');
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
    await this.refreshLag();
    if (!this.running) return;
    this.lagTimer = setInterval(() => void this.refreshLag(), this.log.options.lagRefreshMs ?? 2000);
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
    const topic = this.log.options.topic;
    const c = this.consumer;
    await c.connect();
    await c.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? true });
    const maxBatch = Math.max(1, this.options.maxBatch ?? 5000);
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const live = () => this.running && isRunning() && !isStale();
        for (let start = 0; start < batch.messages.length && live(); start += maxBatch) {
          const chunk = batch.messages.slice(start, start + maxBatch);
          const records: LogRecord[] = [];
          for (const m of chunk) {
            const decoded = decode(m);
            if (decoded.ok) records.push({ offset: Number(m.offset), event: decoded.value });
            else {
              await this.log.deadLetterRaw(`kafka:${batch.topic}/${batch.partition}@${m.offset}`, decoded.reason, m.value, m.key);
            }
          }
          if (records.length > 0) {
            const ok = await this.handleWithRetry(records, heartbeat, live);
            if (!ok) return; // stopping or lost the partition: leave the chunk uncommitted (redelivered)
          }
          const last = chunk[chunk.length - 1]!.offset;
          resolveOffset(last);
          await c.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(Number(last) + 1) }]);
          this.handled += chunk.length;
          await heartbeat();
        }
      },
    });
  }

  private async handleWithRetry(records: LogRecord[], heartbeat: () => Promise<void>, live: () => boolean): Promise<boolean> {
    let backoff = 50;
    for (;;) {
      // A slow handler (a graph store retrying through an outage) keeps the group membership alive.
      const beat = setInterval(() => void heartbeat().catch(() => undefined), Math.max(500, this.log.options.heartbeatIntervalMs ?? 3000));
      try {
        await this.handler(records);
        return true;
      } catch {
        // The handler logs its own errors; retry the same chunk (the partition waits, in order).
        if (!live()) return false;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
        if (!live()) return false;
        await heartbeat().catch(() => undefined);
      } finally {
        clearInterval(beat);
      }
    }
  }

  private refreshLag(): Promise<void> {
    // One refresh at a time, and none after stop: an admin request in flight when the log closes the
    // admin client would make kafkajs reconnect it (its broker pool connects lazily) and leak a socket.
    if (!this.running) return Promise.resolve();
    if (!this.lagRefresh) this.lagRefresh = this.fetchLag().finally(() => (this.lagRefresh = null));
    return this.lagRefresh;
  }

  private async fetchLag(): Promise<void> {
    try {
      const admin = this.log.adminClient();
      const topic = this.log.options.topic;
      const [ends, committed] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId: this.group, topics: [topic] }),
      ]);
      const byPartition = new Map<number, number>();
      for (const t of committed) for (const p of t.partitions) byPartition.set(p.partition, Number(p.offset));
      let lag = 0;
      for (const p of ends) {
        const c = byPartition.get(p.partition) ?? -1;
        const from = c >= 0 ? c : Number(p.low);
        lag += Math.max(0, Number(p.high) - from);
      }
      this.cachedLag = lag;
    } catch (err) {
      this.log.options.logger?.debug({ err }, 'kafka lag refresh failed');
    }
  }

  position(): number {
    return this.handled;
  }

  lag(): number {
    return this.cachedLag;
  }

  /** Refreshes the cached lag now (tests). */
  async lagNow(): Promise<number> {
    await this.refreshLag();
    return this.cachedLag;
  }

  waitFor(): Promise<void> {
    return Promise.reject(new Error('waitFor is not supported on the Kafka log (readYourWrites is false)'));
  }

  /**
   * Leaves the group and closes every socket and timer of this consumer. Safe against a join in
   * progress (start, or a rejoin after a crash): kafkajs's disconnect does not cancel a join that is
   * under way, and its broker pool reconnects lazily, so the consumer is disconnected again once that
   * join has settled (the GROUP_JOIN and CRASH handlers cover joins kafkajs itself restarts).
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
      })().finally(() => this.log.forget(this));
    }
    return this.stopping;
  }
}

export function partitionKey(e: FlywheelEvent): string {
  if (e.kind === 'interaction') return e.userId ?? e.sessionId ?? e.itemId;
  return e.itemId;
}

function decode(m: KafkaMessage): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (m.value === null) return { ok: false, reason: 'empty message (null value)' };
  try {
    return { ok: true, value: JSON.parse(m.value.toString('utf8')) };
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
}

function storable(raw: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(raw) ?? 'null');
  } catch {
    return String(raw);
  }
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
