import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { FlywheelEvent } from '../events/event';
import { validateEvent } from '../events/validate';
import type { DeadLetter, EventLog, LogConsumer, LogRecord } from '../event-log/event-log';
import type { ApplySummary, GraphStore } from '../graph/graph-store';
import type { Metrics } from '../observability/metrics';

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
}

/** Hooks that run after a batch is applied: live subscriptions, anomaly detectors, segment updates. */
export type AppliedListener = (events: readonly FlywheelEvent[], summary: ApplySummary) => void;

export class Ingestor {
  private consumer: LogConsumer | null = null;
  private readonly emitter = new EventEmitter();
  private sinceCheckpoint = 0;
  private checkpointing: Promise<void> | null = null;
  private caughtUp = false;

  constructor(
    private readonly log: EventLog,
    private readonly store: GraphStore,
    private readonly options: IngestorOptions,
  ) {
    this.emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    const startAfter = this.store.durablePosition();
    this.consumer = await this.log.consume(this.options.group, (records) => this.handle(records), {
      maxBatch: this.options.maxBatch ?? 5000,
      fromBeginning: true,
      ...(startAfter !== undefined ? { startAfter } : {}),
    });
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

  /** Grows whenever a batch is committed (see LogConsumer.position); the watchdog tracks it. */
  position(): number {
    return this.consumer?.position() ?? 0;
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

  private async handle(records: readonly LogRecord[]): Promise<void> {
    const events: FlywheelEvent[] = [];
    const dead: DeadLetter[] = [];
    const revalidate = this.options.revalidate ?? true;
    for (const r of records) {
      if (!revalidate) {
        events.push(r.event as FlywheelEvent);
        continue;
      }
      const v = validateEvent(r.event);
      if (v.ok) events.push(v.event);
      else dead.push({ source: `log:${this.log.backend}@${r.offset}`, reason: v.reason, raw: r.event });
    }
    if (dead.length > 0) {
      await this.log.deadLetter(dead);
      this.options.metrics?.eventsRejected.inc({ stage: 'ingest' }, dead.length);
    }
    const last = records[records.length - 1]!.offset;
    let summary: ApplySummary;
    try {
      summary = await this.store.applyEvents(events, last);
    } catch (err) {
      this.options.logger.error({ err, first: records[0]!.offset, last }, 'graph write failed; batch will be retried');
      throw err;
    }
    const m = this.options.metrics;
    if (m) {
      m.eventsApplied.inc(summary.applied);
      if (summary.duplicates > 0) m.eventsDuplicate.inc(summary.duplicates);
      m.ingestLag.set(this.lag());
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
