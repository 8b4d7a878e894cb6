import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import type { ItemNode } from '../stores/graph-reads';

/** How many items a gateway keeps and how old a kept item may get (NEO4J_ITEM_CACHE_ENTRIES, NEO4J_ITEM_CACHE_MS). */
export interface ItemCacheOptions {
  /** 0 turns the cache off: every read goes to Neo4j. */
  entries: number;
  ttlMs: number;
}

/** Neo4j's read of items by id, in the order asked (null for an unknown id). */
export type ItemLoad = (ids: readonly string[]) => Promise<(ItemNode | null)[]>;

interface Kept {
  item: ItemNode;
  /** When the read that fetched it started (performance.now()): its age is counted from there. */
  readAt: number;
}

/**
 * The items a gateway shows, kept for a short time in front of Neo4j.
 *
 * Why: every `recommendations` answer names ten items, and reading them from Neo4j was a round trip per
 * request (a read transaction: BEGIN, RUN, COMMIT) that set the production path's latency and throughput
 * (BENCHMARKS.md, issue 16). The strategy itself runs in memory; the item fields are all that was left.
 *
 * The rule: an item read through this gateway is at most `ttlMs` older than Neo4j (counted from when its
 * read started). This gateway's own writes (a batch it applied, an exclusion, an erasure) drop what they
 * touched at once; other gateways' writes show after at most `ttlMs`. Items are bounded by the catalogue,
 * not by users, so the memory is `entries` x the size of an item (LRU), whatever the number of shoppers.
 * A miss is not remembered (an item unknown now may be created by the next batch).
 *
 * Refresh ahead: an item asked for in the second half of its `ttlMs` is served as kept and read again in
 * the background (Caffeine's refreshAfterWrite), with the other items due within `refreshLingerMs`, in one read.
 * So an item in steady demand is never waited for, and Neo4j sees a few batched reads a second instead of
 * one per request whose items happened to expire.
 */
export class ItemCache {
  private readonly cache: LRUCache<string, Kept> | null;
  private readonly refreshAfterMs: number;
  /** Bumped by every write that drops something; reads compare it with when they started. */
  private generation = 0;
  /** The generation of the last clear(); a read started before it keeps nothing. */
  private clearedAt = 0;
  /**
   * The generation each item was last dropped at, while reads are in flight (a read that started before an
   * item was dropped does not keep that item: it may predate the write). Emptied when no read is in flight.
   */
  private readonly droppedAt = new Map<string, number>();
  private inFlight = 0;
  /** Items due for a background read in this turn, and the ones being read. */
  private readonly due = new Set<string>();
  private readonly refreshing = new Set<string>();
  private refreshScheduled = false;
  /**
   * Misses: every item missed in one event-loop turn, by any request, is one read, and a miss already being
   * read is shared by the requests that miss it while that read is in flight (DataLoader's batching and
   * its map of pending keys, each key cleared once its read settles: what is kept is the LRU's business).
   * Per request, ten items a list, each request's misses were a read transaction of their own: 60 a second
   * at 1,400 req/s on a 500-item catalogue while the tail items, asked for less than once a ttl, expired
   * (BENCHMARKS.md, issue 16).
   */
  private readonly misses: DataLoader<string, ItemNode | null>;
  /**
   * How long items falling due wait for each other before their background read: at 1,100 req/s a read per
   * event-loop turn was 130 read transactions a second, and Neo4j spent 40-90 % of a core on them while the
   * gateway served (BENCHMARKS.md, issue 16). An item is read again between ttlMs / 2 and ttlMs / 2 + this,
   * so it is never older than ttlMs.
   */
  private readonly refreshLingerMs: number;

  constructor(
    options: ItemCacheOptions,
    private readonly load: ItemLoad,
  ) {
    this.cache = options.entries > 0 && options.ttlMs > 0 ? new LRUCache<string, Kept>({ max: options.entries, ttl: options.ttlMs }) : null;
    this.refreshAfterMs = options.ttlMs / 2;
    this.refreshLingerMs = Math.min(50, options.ttlMs / 10);
    this.misses = new DataLoader<string, ItemNode | null>(
      async (ids) => {
        try {
          return await this.loadAndKeep(ids);
        } finally {
          for (const id of ids) this.misses.clear(id);
        }
      },
      // the whole turn, not only its microtasks: requests of one turn are parsed and resolved in separate jobs
      { batchScheduleFn: (dispatch) => setImmediate(dispatch) },
    );
  }

  /** The items for `ids` in order: kept ones from memory, the others read from Neo4j (all misses of the turn at once). */
  async read(ids: readonly string[]): Promise<(ItemNode | null)[]> {
    const cache = this.cache;
    if (!cache) return this.load(ids);
    const out = new Array<ItemNode | null>(ids.length);
    let missing: number[] | null = null;
    const now = performance.now();
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      const kept = cache.get(id);
      if (kept === undefined) {
        (missing ??= []).push(k);
        continue;
      }
      out[k] = kept.item;
      if (now - kept.readAt >= this.refreshAfterMs && !this.refreshing.has(id)) this.refreshSoon(id);
    }
    if (missing === null) return out;
    const loaded = await this.misses.loadMany(missing.map((k) => ids[k]!));
    missing.forEach((k, n) => {
      const item = loaded[n];
      // loadMany reports a failed read per key; a request fails with it, as it did with Neo4j alone
      if (item instanceof Error) throw item;
      out[k] = item ?? null;
    });
    return out;
  }

  /** Drops items this gateway just changed. */
  forget(ids: Iterable<string>): void {
    if (!this.cache) return;
    // one generation for the whole write, and none for a write that dropped nothing
    const generation = this.generation + 1;
    for (const id of ids) {
      this.generation = generation;
      this.cache.delete(id);
      if (this.inFlight > 0) this.droppedAt.set(id, generation);
    }
  }

  /** Drops everything (writes that may change any item's counts: exclusions, erasures). */
  clear(): void {
    this.clearedAt = ++this.generation;
    this.cache?.clear();
  }

  get size(): number {
    return this.cache?.size ?? 0;
  }

  /** Reads `ids` and keeps each one no write has dropped since the read started. */
  private async loadAndKeep(ids: readonly string[]): Promise<(ItemNode | null)[]> {
    const startedAt = this.generation;
    const readAt = performance.now();
    this.inFlight++;
    try {
      const loaded = await this.load(ids);
      if (this.clearedAt <= startedAt) {
        ids.forEach((id, n) => {
          const item = loaded[n];
          if (item && (this.droppedAt.get(id) ?? -1) <= startedAt) this.cache!.set(id, { item, readAt });
        });
      }
      return loaded;
    } finally {
      if (--this.inFlight === 0) this.droppedAt.clear();
    }
  }

  private refreshSoon(id: string): void {
    this.due.add(id);
    if (this.refreshScheduled) return;
    this.refreshScheduled = true;
    const timer = setTimeout(() => {
      this.refreshScheduled = false;
      const ids = [...this.due];
      this.due.clear();
      for (const i of ids) this.refreshing.add(i);
      // A failed refresh keeps what is kept: the item expires at ttlMs and the next read waits for Neo4j,
      // where the failure is seen by the request that needs it.
      this.loadAndKeep(ids)
        .catch(() => undefined)
        .finally(() => {
          for (const i of ids) this.refreshing.delete(i);
        });
    }, this.refreshLingerMs);
    timer.unref();
  }
}
