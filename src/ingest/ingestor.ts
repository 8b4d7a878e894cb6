import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { FlywheelEvent } from '../events/event';
import { validateEvent } from '../events/validate';
import type { DeadLetter, EventLog, LogConsumer, LogRecord } from '../event-log/event-log';
import type { ApplySummary, GraphWriteStore } from '../graph/stores/graph-writes';
import type { Metrics } from '../observability/metrics';
import { DeadLetterSink } from './dead-letter-sink';
import { isTransientError } from './transient';

/**
 * Ingestion: the consumer that moves events from the log into the graph. It re-validates every record
 * (a Kafka topic carries bytes from anyone), sends what fails to the dead-letter store with the
 * reason, applies the rest as one batch, and only then lets the log commit the batch. A crash between
 * apply and commit replays the batch; the store's per-id idempotency makes that harmless.
 */
export interface IngestorOptions {
  group: string;
  logger: Logger;
  metrics?: Metrics;
  maxBatch?: number;
  /** Take a graph checkpoint (snapshot) after this many applied events. */
  checkpointEvery?: number;
  /**
   * Validate records again on the way out of the log. Needed for Kafka (anyone can produce to a
   * topic); the embedded log only receives events validated by the tracker or importer.
   */
  revalidate?: boolean;
  /** Where rejected records go (bounded per source); by default a sink of its own on the log. */
  deadLetters?: DeadLetterSink;
  /** Ingestion that is behind and has not advanced for this long counts as stalled (readiness, alert). */
  stallMs?: number;
  /** Attempts before a record the graph keeps refusing is dead-lettered (transient errors: unbounded). */
  maxAttempts?: number;
  /** The graph store's backend, as the label of the write-duration metrics. */
  graphBackend?: string;
}

/** A batch write to the graph that takes longer is logged (with its size and offsets) as well as counted. */
export const SLOW_GRAPH_WRITE_MS = 1000;

/** Attempts on a record before it counts as poison. */
export const POISON_MAX_ATTEMPTS = 5;

/** Hooks that run after a batch is applied: live subscriptions, anomaly detectors, segment updates. */
export type AppliedListener = (events: readonly FlywheelEvent[], summary: ApplySummary) => void;

export class Ingestor {
  private consumer: LogConsumer | null = null;
  private readonly emitter = new EventEmitter();
  private sinceCheckpoint = 0;
  private checkpointing: Promise<void> | null = null;
  private caughtUp = false;
  private readonly deadLetters: DeadLetterSink;
  private lastProgressAt = Date.now();
  private behindSince: number | null = null;
  private warnedMisrouted = false;

  constructor(
    private readonly log: EventLog,
    private readonly store: GraphWriteStore,
    private readonly options: IngestorOptions,
  ) {
    this.emitter.setMaxListeners(0);
    this.deadLetters = options.deadLetters ?? new DeadLetterSink(log, options.metrics ? { metrics: options.metrics } : {});
  }

  async start(): Promise<void> {
    const startAfter = this.store.durablePosition();
    this.consumer = await this.log.consume(this.options.group, (records) => this.handle(records), {
      maxBatch: this.options.maxBatch ?? 5000,
      fromBeginning: true,
      ...(startAfter !== undefined ? { startAfter } : {}),
      // A record the graph keeps refusing must not stall its partition: bounded retries, then
      // a dead letter; errors of a backend that is down are retried until it is back.
      poison: {
        maxAttempts: this.options.maxAttempts ?? POISON_MAX_ATTEMPTS,
        isPoison: (err) => !isTransientError(err),
        onPoison: (record, err) => this.deadLetterPoison(record, err),
      },
    });
    this.lastProgressAt = Date.now();
    this.options.logger.info({ group: this.options.group, from: this.consumer.position() }, 'ingestion started');
  }

  onApplied(listener: AppliedListener): () => void {
    this.emitter.on('applied', listener);
    return () => this.emitter.off('applied', listener);
  }

  /** Resolves when everything up to `position` is in the graph (read-your-writes on the embedded log). */
  waitFor(position: number, timeoutMs?: number): Promise<void> {
    if (!this.consumer) return Promise.reject(new Error('ingestion is not running'));
    return this.consumer.waitFor(position, timeoutMs);
  }

  lag(): number {
    return this.consumer?.lag() ?? 0;
  }

  /** The lag read from the log now (Kafka: committed against end offsets), the cached one after 2 s. */
  async refreshLag(timeoutMs = 2000): Promise<number> {
    const refresh = this.consumer?.refreshLag?.();
    if (refresh) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([refresh.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    }
    return this.lag();
  }

  /**
   * True when ingestion is behind (on what this instance consumes) and has applied nothing for
   * `stallMs`: a poison record retried, a graph store that is down. Readiness turns 503 and
   * `flywheel_ingest_stalled` turns 1. Judged on each call (readiness, scrape).
   */
  stalled(now = Date.now()): boolean {
    if (!this.consumer) return false;
    const behind = (this.consumer.ownLag?.() ?? this.consumer.lag()) > 0;
    if (!behind) {
      this.behindSince = null;
      return false;
    }
    this.behindSince ??= now;
    return now - Math.max(this.lastProgressAt, this.behindSince) > (this.options.stallMs ?? 30_000);
  }

  /**
   * True once ingestion has caught up with the log after start (the snapshot tail is replayed).
   * Readiness uses this rather than "lag is zero", which flickers under steady traffic.
   */
  hasCaughtUp(): boolean {
    if (!this.caughtUp && this.consumer && this.consumer.lag() === 0) this.caughtUp = true;
    return this.caughtUp;
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = null;
    await this.checkpointing;
  }

  private async deadLetterPoison(record: LogRecord, err: unknown): Promise<void> {
    const source = record.source ?? `log:${this.log.backend}@${record.offset}`;
    const reason = `not applied after ${this.options.maxAttempts ?? POISON_MAX_ATTEMPTS} attempts: ${err instanceof Error ? err.message : String(err)}`;
    await this.deadLetters.record(
      [{ source, reason, raw: record.event, ...(record.origin ? { origin: record.origin } : {}) }],
      source.replace(/\/\d+@\d+$/, ''),
    );
    this.options.metrics?.eventsRejected.inc({ stage: 'poison' });
    this.options.logger.error({ source, err }, 'record dead-lettered: the graph kept refusing it');
  }

  private async handle(records: readonly LogRecord[]): Promise<void> {
    const events: FlywheelEvent[] = [];
    const dead: DeadLetter[] = [];
    const revalidate = this.options.revalidate ?? true;
    const misrouted = records.reduce((n, r) => n + (r.misrouted ? 1 : 0), 0);
    if (misrouted > 0) {
      this.options.metrics?.eventsMisrouted.inc(misrouted);
      if (!this.warnedMisrouted) {
        this.warnedMisrouted = true;
        this.options.logger.warn(
          { source: records.find((r) => r.misrouted)!.source },
          'events arrive on another partition than murmur2(user key): set the producer to the murmur2 partitioner (kcat: -X partitioner=murmur2_random) and key by user',
        );
      }
    }
    for (const r of records) {
      if (!revalidate) {
        events.push(r.event as FlywheelEvent);
        continue;
      }
      const source = r.source ?? `log:${this.log.backend}@${r.offset}`;
      const origin = r.origin ? { origin: r.origin } : {};
      if (r.undecodable) {
        dead.push({ source, reason: r.undecodable.reason, raw: r.event, rawBytes: r.undecodable.bytes, ...origin });
        continue;
      }
      const v = validateEvent(r.event);
      if (v.ok) events.push(v.event);
      else dead.push({ source, reason: v.reason, raw: r.event, ...origin });
    }
    if (dead.length > 0) {
      // Only this consumer (the graph group) dead-letters records of the log, so each is written once;
      // the quota is per source topic.
      await this.deadLetters.record(dead, dead[0]!.source.replace(/\/\d+@\d+$/, ''));
      this.options.metrics?.eventsRejected.inc({ stage: 'ingest' }, dead.length);
    }
    const last = records[records.length - 1]!.offset;
    let summary: ApplySummary;
    const started = performance.now();
    try {
      summary = await this.store.applyEvents(events, last);
    } catch (err) {
      this.options.logger.error({ err, first: records[0]!.offset, last }, 'graph write failed; batch will be retried');
      throw err;
    }
    this.lastProgressAt = Date.now();
    const writeMs = performance.now() - started;
    if (writeMs > SLOW_GRAPH_WRITE_MS)
      this.options.logger.warn(
        { ms: Math.round(writeMs), events: events.length, applied: summary.applied, first: records[0]!.offset, last },
        'slow graph write: one batch took over a second',
      );
    const m = this.options.metrics;
    if (m) {
      const labels = { backend: this.options.graphBackend ?? 'unknown' };
      m.graphWriteDuration.observe(labels, writeMs / 1000);
      m.graphWriteBatchEvents.observe(labels, events.length);
      m.eventsApplied.inc(summary.applied);
      if (summary.duplicates > 0) m.eventsDuplicate.inc(summary.duplicates);
    }
    if (events.length > 0) this.emitter.emit('applied', events, summary);
    this.sinceCheckpoint += summary.applied;
    if (this.sinceCheckpoint >= (this.options.checkpointEvery ?? 100_000) && !this.checkpointing) {
      this.sinceCheckpoint = 0;
      this.checkpointing = this.store
        .checkpoint()
        .catch((err: unknown) => this.options.logger.error({ err }, 'graph checkpoint failed'))
        .finally(() => (this.checkpointing = null));
    }
  }
}
