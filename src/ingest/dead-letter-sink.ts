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
  /** Identities whose windows are remembered (least recently used are forgotten first). */
  maxIdentities?: number;
}

export const DEFAULT_DEAD_LETTER_QUOTA = 1000;

export class DeadLetterSink {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly log: EventLog,
    private readonly options: DeadLetterSinkOptions = {},
  ) {}

  /** Stores what the sender's quota allows; returns how many were stored and dropped. */
  async record(entries: readonly DeadLetter[], by: string): Promise<{ stored: number; dropped: number }> {
    if (entries.length === 0) return { stored: 0, dropped: 0 };
    const admitted = this.admit(by, entries.length);
    const dropped = entries.length - admitted;
    if (dropped > 0) this.options.metrics?.deadLettersDropped.inc({ reason: 'quota' }, dropped);
    if (admitted === 0) return { stored: 0, dropped };
    const receipt = await this.log.deadLetter(entries.slice(0, admitted));
    if (receipt && receipt.pruned > 0) this.options.metrics?.deadLettersDropped.inc({ reason: 'retention' }, receipt.pruned);
    return { stored: admitted, dropped };
  }

  private admit(by: string, n: number): number {
    const limit = this.options.perIdentity ?? DEFAULT_DEAD_LETTER_QUOTA;
    const windowMs = this.options.windowMs ?? 3600_000;
    const now = Date.now();
    let w = this.windows.get(by);
    if (w && now - w.start >= windowMs) w = undefined;
    if (!w) w = { start: now, count: 0 };
    this.windows.delete(by); // re-insert: the map's order is least recently used first
    this.windows.set(by, w);
    const max = this.options.maxIdentities ?? 10_000;
    while (this.windows.size > max) this.windows.delete(this.windows.keys().next().value!);
    const admitted = Math.max(0, Math.min(n, limit - w.count));
    w.count += admitted;
    return admitted;
  }
}
