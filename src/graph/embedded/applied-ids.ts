/**
 * The applied event ids of the embedded graph (idempotency keys), remembered for at least the idempotency
 * window (`FLYWHEEL_IDEMPOTENCY_WINDOW_HOURS`, the same setting as Neo4j's `(:Event)` nodes,
 * src/graph/neo4j/event-ids.ts), then forgotten: the same id applied again after that counts again.
 *
 * Kept for ever, they grew with every event ever applied (a repeated view of the same item included) in
 * memory and in every snapshot. Here they are two generations: ids go into `current`; once `current` is a
 * window old it becomes `previous` and the old `previous` is dropped. So an id is remembered for between one
 * and two windows, and memory holds at most two windows of events. Rotation happens on the next `add`, so an
 * idle gateway forgets nothing early.
 */
export class AppliedIds {
  private current = new Set<string>();
  private previous = new Set<string>();
  /** When `current` started (epoch ms). */
  private since: number;

  /** `windowMs` Infinity: never forgotten. `now`: the clock (tests). */
  constructor(
    private readonly windowMs = Infinity,
    private readonly now: () => number = Date.now,
  ) {
    this.since = now();
  }

  has(key: string): boolean {
    return this.current.has(key) || this.previous.has(key);
  }

  add(key: string): void {
    const t = this.now();
    if (t - this.since >= this.windowMs) {
      this.previous = this.current;
      this.current = new Set();
      this.since = t;
    }
    this.current.add(key);
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  clear(): void {
    this.current.clear();
    this.previous.clear();
    this.since = this.now();
  }

  /** For a snapshot: both generations and when the current one started. */
  dump(): { current: string[]; previous: string[]; since: number } {
    return { current: [...this.current], previous: [...this.previous], since: this.since };
  }

  /**
   * From a snapshot. One of a version without generations (`previous` and `since` absent) counts as
   * current from now on: nothing is forgotten earlier than a window after the upgrade.
   */
  load(current: readonly string[], previous: readonly string[] = [], since = this.now()): void {
    for (const id of current) this.current.add(id);
    for (const id of previous) this.previous.add(id);
    this.since = since;
  }
}
