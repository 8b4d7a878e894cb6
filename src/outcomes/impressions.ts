import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { EVENT_SCHEMA_VERSION, type FlywheelEvent, type ImpressionEvent, type ServedEntry, type ServedSurface } from '../events/event';
import { validateEvent } from '../events/validate';
import type { EventLog } from '../event-log/event-log';
import type { Metrics } from '../observability/metrics';

/** A list as served: its id and the entries in order, with how it was chosen. */
export interface ServedList {
  servedId: string;
  surface: ServedSurface;
  strategy: string;
  experimentId?: string;
  variant?: string;
  entries: ServedEntry[];
  /** An interleaved list: each team (variant) of `entries` and the strategy it serves. */
  teamStrategies?: Readonly<Record<string, string>>;
  /**
   * Settles when the log has the impression (true), or will not have it (false: an empty list, or the log
   * refused it; the list is still served, see `record`). Callers do not wait for it to answer.
   */
  recorded: Promise<boolean>;
}

export interface ServeInput {
  surface: ServedSurface;
  /** The graph actor the list is for (a userId, or "session:<id>"), when known. */
  actor?: string;
  strategy: string;
  /** `segment`: a bandit by segment's list, the segment whose arms drew it. */
  experiment?: { id: string; variant: string; segment?: string };
  anchorItemId?: string;
  itemIds: readonly string[];
  /** Per entry, where the policy is randomised; 1 for every entry otherwise. */
  propensities?: readonly number[];
  /** An interleaved list: per entry the variant that contributed it, and each variant's strategy. */
  teams?: { perEntry: readonly string[]; strategies: Readonly<Record<string, string>> };
}

export interface ImpressionRecorderOptions {
  now?: () => number;
  /** Appends issued and not settled beyond which a request waits for its own (10,000). */
  maxInFlight?: number;
  /** A buffer this long is appended at once, without waiting for the end of the turn or the linger (1,000). */
  maxBatch?: number;
  /**
   * 0 (the embedded log): the lists of one event-loop turn are appended at its end. Above 0 (Kafka): the
   * lists of this many milliseconds go into one append, because there every append is a produce request
   * with acks=all, and one per turn cost the production path half its `recommendations` throughput
   * (BENCHMARKS.md, issue 16). The answer never waits for it; a click at this gateway flushes first.
   */
  lingerMs?: number;
}

/**
 * The linger on Kafka when FLYWHEEL_IMPRESSION_LINGER_MS is unset. The transport's CPU is mostly per
 * produce request (one produce, then a fetch of it by the ingestion group and by the fan-out): at 1,500
 * lists/s, 10 ms cost 0.34-0.42 of a core and 50 ms 0.21-0.24 (`node dist/bench/kafka-transport.js`), and
 * the production gateway served 12-14 % more `recommendations` (BENCHMARKS.md, issue 16). Lists reach the
 * log up to 50 ms later; a click still lands after its list (the tracker flushes them first).
 */
export const KAFKA_IMPRESSION_LINGER_MS = 50;

/**
 * Records every served list as an impression in the event log. The lists answered in one turn of the event
 * loop are appended together at its end (one log entry and one pass of the ingest pipeline for all of them,
 * not one each), and the append is not awaited: waiting for the commit (an fsync on the embedded log)
 * halved `recommendations` throughput (BENCHMARKS.md). Order still holds: appends take their place in the
 * log in call order (the EventLog contract: lmdb-js queues transactions, KafkaEventLog queues produce requests), and the append is issued before any click on the list can arrive (that takes another turn's
 * I/O), so a click that carries the servedId lands after the list. What is given up: a list answered
 * just before a crash may never reach the log, and on Kafka a click sent to another gateway within the
 * few milliseconds the impression takes to be acknowledged can arrive first. Both leave that click
 * unattributed (`flywheel_outcomes_unattributed_total`). Appends in flight are bounded (`maxInFlight`):
 * beyond it, the request waits for its own, so a log that falls behind slows serving instead of filling memory.
 *
 * A log that refuses the append does not fail the request: serving matters more than measuring it. The
 * miss is counted (`flywheel_impressions_unrecorded_total`) and logged; clicks carrying that servedId then
 * find no list and stay unattributed.
 */
export class ImpressionRecorder {
  private inFlight = 0;
  /** Impressions waiting for the next append, in call order, with the settle of each list's `recorded`. */
  private buffer: { event: FlywheelEvent; list: ServedList; settle: (ok: boolean) => void }[] = [];
  private flushScheduled = false;
  /** Appends issued and not yet settled (what `drain` waits for; both outcomes settle them). */
  private readonly appending = new Set<Promise<void>>();

  private readonly now: () => number;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;
  private readonly lingerMs: number;

  constructor(
    private readonly log: EventLog,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    options: ImpressionRecorderOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.maxInFlight = options.maxInFlight ?? 10_000;
    this.maxBatch = options.maxBatch ?? 1_000;
    this.lingerMs = options.lingerMs ?? 0;
  }

  /** Impressions issued and not yet settled (buffered or being appended). */
  get pending(): number {
    return this.inFlight;
  }

  async record(input: ServeInput): Promise<ServedList> {
    const entries: ServedEntry[] = input.itemIds.map((itemId, i) => ({
      itemId,
      position: i + 1,
      propensity: input.propensities?.[i] ?? 1,
      ...(input.teams ? { team: input.teams.perEntry[i]! } : {}),
    }));
    const list: ServedList = {
      servedId: randomUUID(),
      surface: input.surface,
      strategy: input.strategy,
      ...(input.experiment ? { experimentId: input.experiment.id, variant: input.experiment.variant } : {}),
      entries,
      ...(input.teams ? { teamStrategies: input.teams.strategies } : {}),
      recorded: Promise.resolve(false),
    };
    const event: ImpressionEvent = {
      kind: 'impression',
      v: EVENT_SCHEMA_VERSION,
      id: list.servedId,
      ...actorFields(input.actor),
      surface: input.surface,
      strategy: input.strategy,
      ...(input.experiment ? { experimentId: input.experiment.id, variant: input.experiment.variant } : {}),
      ...(input.experiment?.segment !== undefined ? { segment: input.experiment.segment } : {}),
      ...(input.anchorItemId !== undefined ? { anchorItemId: input.anchorItemId } : {}),
      items: entries,
      timestamp: this.now(),
    };
    // An empty answer showed nothing: there is nothing to attribute to it, so nothing is logged.
    if (entries.length === 0) return list;
    // The same rules as every record that enters the log (ids too long for the log are refused here, say).
    const valid = validateEvent(event);
    if (!valid.ok) return this.unrecorded(list, `invalid impression: ${valid.reason}`);
    this.inFlight++;
    list.recorded = new Promise<boolean>((settle) => this.buffer.push({ event: valid.event, list, settle }));
    if (this.buffer.length >= this.maxBatch) this.flush();
    else if (!this.flushScheduled) {
      // Every list answered in this turn of the event loop goes into one append (one log entry, one pass of
      // the pipeline) at its end: before any click on them can arrive, which needs another turn's I/O.
      this.flushScheduled = true;
      if (this.lingerMs > 0) setTimeout(() => this.flush(), this.lingerMs);
      else setImmediate(() => this.flush());
    }
    if (this.inFlight > this.maxInFlight) await list.recorded;
    return list;
  }

  /**
   * What the tracker runs before it appends: a click may name a list of this buffer, so the buffer is
   * appended first. The log keeps concurrent appends in call order (EventLog.append), so the click lands after it.
   */
  beforeAppend(): void {
    this.flush();
  }

  /** Appends what is buffered now and waits until every impression issued so far has settled. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all(this.appending);
  }

  /** Appends the buffered impressions now, as one batch in call order (the tracker calls it before its own appends). */
  flush(): void {
    this.flushScheduled = false;
    const batch = this.buffer;
    if (batch.length === 0) return;
    this.buffer = [];
    const appended = this.log.append(batch.map((b) => b.event)).then(
      () => {
        this.inFlight -= batch.length;
        for (const b of batch) {
          this.metrics.impressionsRecorded.inc({ surface: b.list.surface, strategy: b.list.strategy });
          b.settle(true);
        }
      },
      (err: unknown) => {
        this.inFlight -= batch.length;
        for (const b of batch) {
          this.noteUnrecorded(b.list, (err as Error).message);
          b.settle(false);
        }
      },
    );
    this.appending.add(appended);
    void appended.then(() => this.appending.delete(appended));
  }

  private unrecorded(list: ServedList, reason: string): ServedList {
    this.noteUnrecorded(list, reason);
    return list;
  }

  private noteUnrecorded(list: ServedList, reason: string): void {
    this.metrics.impressionsUnrecorded.inc({ surface: list.surface });
    this.logger.warn({ servedId: list.servedId, surface: list.surface, reason }, 'impression not recorded; the list is served without it');
  }
}

/** "session:<id>" is how the graph names an anonymous session (actorId); the record carries it as sessionId. */
export function actorFields(actor: string | undefined): { userId?: string; sessionId?: string } {
  if (actor === undefined) return {};
  return actor.startsWith('session:') ? { sessionId: actor.slice('session:'.length) } : { userId: actor };
}
