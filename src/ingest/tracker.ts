import type { FlywheelEvent } from '../events/event';
import { validateEvent } from '../events/validate';
import type { DeadLetter, EventLog } from '../event-log/event-log';
import type { Metrics } from '../observability/metrics';
import { DeadLetterSink } from './dead-letter-sink';
import type { Ingestor } from './ingestor';

/**
 * The producer side: validates a batch of candidate events, appends the valid ones to the log,
 * dead-letters the rest with their reasons, and (where the log allows) waits until ingestion has
 * applied them, so that a client's next query already sees its own events.
 */
export interface TrackResult {
  accepted: number;
  duplicates: number;
  rejected: { index: number; id: string | null; reason: string }[];
}

export interface EventTrackerOptions {
  readYourWritesTimeoutMs?: number;
  /** Where rejected input goes (bounded per sender); by default a sink of its own on the log. */
  deadLetters?: DeadLetterSink;
  /**
   * Records written elsewhere that must reach the log before anything tracked after them: the served lists
   * (ImpressionRecorder buffers them for a turn or a linger). `beforeAppend` runs before each append, so a
   * click on a list follows the list in the log (see ImpressionRecorder.beforeAppend).
   */
  precedingWrites?: { beforeAppend(): void | Promise<void> };
}

export class EventTracker {
  private readonly deadLetters: DeadLetterSink;
  private readonly readYourWritesTimeoutMs: number;
  private readonly precedingWrites: EventTrackerOptions['precedingWrites'];

  constructor(
    private readonly log: EventLog,
    private readonly ingestor: Ingestor,
    private readonly metrics?: Metrics,
    options: EventTrackerOptions = {},
  ) {
    this.deadLetters = options.deadLetters ?? new DeadLetterSink(log, metrics ? { metrics } : {});
    this.readYourWritesTimeoutMs = options.readYourWritesTimeoutMs ?? 10_000;
    this.precedingWrites = options.precedingWrites;
  }

  /**
   * `by` names the sender for the dead-letter quota (e.g. `jwt:u15`); without it the source is the
   * sender (the importer, the simulator).
   */
  async track(candidates: readonly unknown[], source: string, by: string = source): Promise<TrackResult> {
    const valid: FlywheelEvent[] = [];
    const rejected: TrackResult['rejected'] = [];
    candidates.forEach((raw, index) => {
      const v = validateEvent(raw);
      if (v.ok) valid.push(v.event);
      else rejected.push({ index, id: idOf(raw), reason: v.reason });
    });
    if (rejected.length > 0) {
      await this.deadLetters.record(
        rejected.map((r) => ({ source, reason: r.reason, raw: candidates[r.index] })),
        by,
      );
      this.metrics?.eventsRejected.inc({ stage: 'track' }, rejected.length);
    }
    if (valid.length === 0) return { accepted: 0, duplicates: 0, rejected };
    await this.precedingWrites?.beforeAppend();
    const receipt = await this.log.append(valid);
    this.metrics?.eventsAccepted.inc({ source }, valid.length);
    if (this.log.readYourWrites && receipt.lastPosition >= 0) {
      await this.ingestor.waitFor(receipt.lastPosition, this.readYourWritesTimeoutMs);
    }
    return { accepted: valid.length, duplicates: receipt.duplicates.length, rejected };
  }

  /**
   * Input refused before it became an event (an import line the reader could not map: malformed, no
   * user, ...): stored as dead letters within the sender's quota, like the validator's refusals, so the
   * reason and the line are not lost.
   */
  async refuse(entries: readonly DeadLetter[], by: string): Promise<void> {
    if (entries.length === 0) return;
    await this.deadLetters.record(entries, by);
    this.metrics?.eventsRejected.inc({ stage: 'read' }, entries.length);
  }
}

function idOf(raw: unknown): string | null {
  if (raw && typeof raw === 'object' && 'id' in raw) {
    const id = (raw as { id: unknown }).id;
    if (typeof id === 'string' && id.length > 0) return id;
  }
  return null;
}
