import { LRUCache } from 'lru-cache';
import type { ItemNode } from '../stores/graph-reads';

/** How many items a gateway keeps and how old a kept item may get (NEO4J_ITEM_CACHE_ENTRIES, NEO4J_ITEM_CACHE_MS). */
export interface ItemCacheOptions {
  /** 0 turns the cache off: every read goes to Neo4j. */
  entries: number;
  ttlMs: number;
}

/**
 * The items a gateway shows, kept for a short time in front of Neo4j.
 *
 * Why: every `recommendations` answer names ten items, and reading them from Neo4j was a round trip per
 * request (a read transaction: BEGIN, RUN, COMMIT) that set the production path's latency and throughput
 * (BENCHMARKS.md, issue 16). The strategy itself runs in memory; the item fields are all that was left.
 *
 * The rule: an item read through this gateway is at most `ttlMs` older than Neo4j. This gateway's own
 * writes (a batch it applied, an exclusion, an erasure) drop what they touched at once; other gateways'
 * writes show after at most `ttlMs`. Items are bounded by the catalogue, not by users, so the memory is
 * `entries` x the size of an item (LRU), whatever the number of shoppers. A miss is not remembered
 * (an item unknown now may be created by the next batch).
 */
export class ItemCache {
  private readonly cache: LRUCache<string, ItemNode> | null;
  /** Bumped by every forget/clear: a read that started before one does not keep what it loaded (it may predate the write). */
  private generation = 0;

  constructor(options: ItemCacheOptions) {
    this.cache = options.entries > 0 && options.ttlMs > 0 ? new LRUCache<string, ItemNode>({ max: options.entries, ttl: options.ttlMs }) : null;
  }

  /** The items for `ids` in order: kept ones from memory, the others with one call to `load` (all misses at once). */
  async read(ids: readonly string[], load: (ids: readonly string[]) => Promise<(ItemNode | null)[]>): Promise<(ItemNode | null)[]> {
    const cache = this.cache;
    if (!cache) return load(ids);
    const out = new Array<ItemNode | null>(ids.length);
    let missing: number[] | null = null;
    for (let k = 0; k < ids.length; k++) {
      const hit = cache.get(ids[k]!);
      if (hit !== undefined) out[k] = hit;
      else (missing ??= []).push(k);
    }
    if (missing === null) return out;
    const startedAt = this.generation;
    const loaded = await load(missing.map((k) => ids[k]!));
    const keep = startedAt === this.generation;
    missing.forEach((k, n) => {
      const item = loaded[n] ?? null;
      out[k] = item;
      if (item && keep) cache.set(item.id, item);
    });
    return out;
  }

  /** Drops items this gateway just changed. */
  forget(ids: Iterable<string>): void {
    if (!this.cache) return;
    this.generation++;
    for (const id of ids) this.cache.delete(id);
  }

  /** Drops everything (writes that may change any item's counts: exclusions, erasures). */
  clear(): void {
    this.generation++;
    this.cache?.clear();
  }

  get size(): number {
    return this.cache?.size ?? 0;
  }
}
