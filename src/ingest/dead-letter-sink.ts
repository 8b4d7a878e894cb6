import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { DeadLetter, EventLog } from '../event-log/event-log';
import type { Metrics } from '../observability/metrics';

/**
 * Where rejected input goes: the log's dead-letter store, within bounds. Dead letters are written on
 * behalf of whoever sent the input, so without a bound one client sending invalid batches grows the
 * store without limit (20 x 1,000 invalid events grew an embedded log from 1 MB to 41 MB). Three bounds,
 * each counted in `flywheel_dead_letters_dropped_total{reason}` when it drops something:
 *
 * - quota (`reason="quota"`): at most `perIdentity` dead letters per sender (a token's subject, an API
 *   key, or the source for the importer and Kafka) per `windowMs`; the sender still gets every
 *   rejection reason in its answer, only the stored copy is skipped;
 * - size: each entry's raw input is capped (dead-letter-format.ts; truncated, not dropped);
 * - retention (`reason="retention"`): the embedded log keeps the newest N entries (Kafka: the topic's
 *   retention).
 */
export interface DeadLetterSinkOptions {
  metrics?: Metrics;
  /** Dead letters stored per identity per window. */
  perIdentity?: number;
  windowMs?: number;
}

export const DEFAULT_DEAD_LETTER_QUOTA = 1000;

export class DeadLetterSink {
  // The same limiter the gateway's request limits use (src/api/security.ts); it forgets expired windows.
  private readonly quota: RateLimiterMemory;

  constructor(
    private readonly log: EventLog,
    private readonly options: DeadLetterSinkOptions = {},
  ) {
    this.quota = new RateLimiterMemory({
      points: options.perIdentity ?? DEFAULT_DEAD_LETTER_QUOTA,
      duration: Math.ceil((options.windowMs ?? 3600_000) / 1000),
    });
  }

  /** Stores what the sender's quota allows; returns how many were stored and dropped. */
  async record(entries: readonly DeadLetter[], by: string): Promise<{ stored: number; dropped: number }> {
    if (entries.length === 0) return { stored: 0, dropped: 0 };
    const admitted = await this.admit(by, entries.length);
    const dropped = entries.length - admitted;
    if (dropped > 0) this.options.metrics?.deadLettersDropped.inc({ reason: 'quota' }, dropped);
    if (admitted === 0) return { stored: 0, dropped };
    const receipt = await this.log.deadLetter(entries.slice(0, admitted));
    if (receipt && receipt.pruned > 0) this.options.metrics?.deadLettersDropped.inc({ reason: 'retention' }, receipt.pruned);
    return { stored: admitted, dropped };
  }

  /** Takes as many of `n` as the sender's window has left (a batch may be admitted in part). */
  private async admit(by: string, n: number): Promise<number> {
    const used = (await this.quota.get(by))?.consumedPoints ?? 0;
    const admitted = Math.max(0, Math.min(n, this.quota.points - used));
    if (admitted === 0) return 0;
    try {
      await this.quota.consume(by, admitted);
    } catch {
      return 0; // a concurrent batch of the same sender took the rest of the window first
    }
    return admitted;
  }
}
