import { LRUCache } from 'lru-cache';
import type { ItemNode } from '../stores/graph-reads';

/** How many items a gateway keeps and how old a kept item may get (NEO4J_ITEM_CACHE_ENTRIES, NEO4J_ITEM_CACHE_MS). */
export interface ItemCacheOptions {
  /** 0 turns the cache off: every read goes to Neo4j. */
  entries: number;
  ttlMs: number;
}

type Load = (ids: readonly string[]) => Promise<(ItemNode | null)[]>;

interface MissBatch {
  waiters: Map<string, { resolve: (item: ItemNode | null) => void; reject: (err: unknown) => void }>;
  load: Load;
}

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
  /** Misses of this turn waiting for their shared read, and the foreground reads in flight by item. */
  private missBatch: MissBatch | null = null;
  private readonly loading = new Map<string, Promise<ItemNode | null>>();
  /**
   * How long items falling due wait for each other before their background read: at 1,100 req/s a read per
   * event-loop turn was 130 read transactions a second, and Neo4j spent 40-90 % of a core on them while the
   * gateway served (BENCHMARKS.md, issue 16). An item is read again between ttlMs / 2 and ttlMs / 2 + this,
   * so it is never older than ttlMs.
   */
  private readonly refreshLingerMs: number;

  constructor(options: ItemCacheOptions) {
    this.cache = options.entries > 0 && options.ttlMs > 0 ? new LRUCache<string, Kept>({ max: options.entries, ttl: options.ttlMs }) : null;
    this.refreshAfterMs = options.ttlMs / 2;
    this.refreshLingerMs = Math.min(50, options.ttlMs / 10);
  }

  /** The items for `ids` in order: kept ones from memory, the others with one call to `load` (all misses at once). */
  async read(ids: readonly string[], load: Load): Promise<(ItemNode | null)[]> {
    const cache = this.cache;
    if (!cache) return load(ids);
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
      if (now - kept.readAt >= this.refreshAfterMs && !this.refreshing.has(id)) this.refreshSoon(id, load);
    }
    if (missing === null) return out;
    const loaded = await Promise.all(missing.map((k) => this.missed(ids[k]!, load)));
    missing.forEach((k, n) => (out[k] = loaded[n] ?? null));
    return out;
  }

  /**
   * A missing item, read with every other item missed in this event-loop turn by any request, in one read,
   * and shared by the requests that miss it while that read is in flight. Per request, ten items a list,
   * each request's misses were a read transaction of their own: 60 a second at 1,400 req/s on a 500-item
   * catalogue while the tail items, asked for less than once a ttl, expired (BENCHMARKS.md, issue 16).
   */
  private missed(id: string, load: Load): Promise<ItemNode | null> {
    const inFlight = this.loading.get(id);
    if (inFlight) return inFlight;
    let batch = this.missBatch;
    if (!batch) {
      const next: MissBatch = { waiters: new Map(), load };
      this.missBatch = batch = next;
      setImmediate(() => this.readMisses(next));
    }
    const waiters = batch.waiters;
    const read = new Promise<ItemNode | null>((resolve, reject) => waiters.set(id, { resolve, reject }));
    this.loading.set(id, read);
    return read;
  }

  private readMisses(batch: MissBatch): void {
    if (this.missBatch === batch) this.missBatch = null;
    const ids = [...batch.waiters.keys()];
    const settle = () => {
      for (const id of ids) this.loading.delete(id);
    };
    this.loadAndKeep(ids, batch.load).then(
      (items) => {
        settle();
        ids.forEach((id, n) => batch.waiters.get(id)!.resolve(items[n] ?? null));
      },
      (err: unknown) => {
        settle();
        for (const w of batch.waiters.values()) w.reject(err);
      },
    );
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
  private async loadAndKeep(ids: readonly string[], load: Load): Promise<(ItemNode | null)[]> {
    const startedAt = this.generation;
    const readAt = performance.now();
    this.inFlight++;
    try {
      const loaded = await load(ids);
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

  private refreshSoon(id: string, load: Load): void {
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
      this.loadAndKeep(ids, load)
        .catch(() => undefined)
        .finally(() => {
          for (const i of ids) this.refreshing.delete(i);
        });
    }, this.refreshLingerMs);
    timer.unref();
  }
}
