import type { LogRecord } from '../event-log';

/**
 * How far an uncommitted reader has read each partition, against where it is to get to (`end`, exclusive):
 * what `readUntil` (the events topic up to the fan-out's start) and the item-model feed's catch-up share.
 */
export class ReadProgress {
  private readonly read: Map<number, number>;

  constructor(
    start: ReadonlyMap<number, string | number>,
    private readonly end: ReadonlyMap<number, string | number>,
  ) {
    this.read = new Map([...start].map(([p, o]) => [p, Number(o)]));
  }

  /** Records handed over: their partitions are read past their offsets. */
  note(records: readonly LogRecord[]): void {
    for (const r of records) if (r.origin) this.read.set(r.origin.partition, Math.max(this.read.get(r.origin.partition) ?? 0, Number(r.origin.offset) + 1));
  }

  /** Whether some partition is not read up to `end` yet. */
  get behind(): boolean {
    return this.lagging().length > 0;
  }

  /** The partitions not read up to `end` yet: where the reader is on each, and where it is to get to. */
  lagging(): { partition: number; read: number; end: number }[] {
    return [...this.end].map(([partition, end]) => ({ partition, read: this.read.get(partition) ?? 0, end: Number(end) })).filter((p) => p.read < p.end);
  }
}
