/**
 * Calls that arrive while one write is in flight wait and go out together in the next write, in call
 * order; each caller gets its own share of the result. One write at a time, so callers never contend with
 * each other for the backend's locks or connections (Kafka produce requests, Neo4j's anomaly counter).
 */
export class CoalescingQueue<Item, Result> {
  private queued: { item: Item; resolve: (r: Result) => void; reject: (err: unknown) => void }[] = [];
  private draining: Promise<void> | null = null;

  /**
   * @param write one write for the items given, returning one result per item, in order
   * @param limit a write takes whole items up to `max` in all by `sizeOf` (an item larger than that goes
   *   alone); without it, every waiting item
   */
  constructor(
    private readonly write: (items: Item[]) => Promise<Result[]>,
    private readonly limit?: { sizeOf: (item: Item) => number; max: number },
  ) {}

  push(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** Resolves once every item pushed so far has been written (or failed). */
  async idle(): Promise<void> {
    await this.draining;
  }

  private nextBatchLength(): number {
    if (!this.limit) return this.queued.length;
    let take = 0;
    for (let size = 0; take < this.queued.length; take++) {
      size += this.limit.sizeOf(this.queued[take]!.item);
      if (take > 0 && size > this.limit.max) break;
    }
    return take;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queued.length > 0) {
        const batch = this.queued.splice(0, this.nextBatchLength());
        try {
          const results = await this.write(batch.map((q) => q.item));
          batch.forEach((q, i) => q.resolve(results[i]!));
        } catch (err) {
          for (const q of batch) q.reject(err);
        }
      }
    } finally {
      this.draining = null;
    }
  }
}
