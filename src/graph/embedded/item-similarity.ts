import type { ItemNeighbor } from '../graph-store';

/**
 * Item-item similarity on the in-memory graph, computed lazily per item and cached until an event
 * touches the item. It plays the role that precomputed `SIMILAR` edges play in Neo4j: a recommendation
 * becomes a 2-hop read (user -> items -> neighbours) instead of a 3-hop scan on every request.
 *
 * Similarity is Jaccard on the sets of users with a positive edge: |U(i) & U(j)| / |U(i) | U(j)|.
 * Fan-out is capped at both hops (users per item, items per user) by stride sampling, so an item bought
 * by half the shop costs the same bounded work as a niche one; counts from a sample are scaled back up.
 */
export interface SimilarityGraph {
  itemCount(): number;
  itemId(item: number): string;
  /** Number of users with a positive edge to the item. */
  positiveUsers(item: number): number;
  /** Calls `visit` for up to `cap` users with a positive edge to the item (sampled evenly when more). */
  forEachPositiveUser(item: number, cap: number, visit: (user: number) => void): number;
  /** Calls `visit` for up to `cap` items the user has a positive edge to (sampled evenly when more). */
  forEachPositiveItem(user: number, cap: number, visit: (item: number) => void): void;
}

export interface SimilarityOptions {
  /** Neighbours kept per item. */
  k: number;
  /** Users sampled per item when computing its neighbours. */
  maxUsersPerItem: number;
  /** Items read per sampled user. */
  maxItemsPerUser: number;
}

export const DEFAULT_SIMILARITY_OPTIONS: SimilarityOptions = { k: 50, maxUsersPerItem: 400, maxItemsPerUser: 200 };

export class ItemSimilarity {
  private neighbors: (ItemNeighbor[] | undefined)[] = [];
  private dirty: Uint8Array = new Uint8Array(1024);
  private scratch = new Float64Array(1024);
  private touched: number[] = [];
  computations = 0;

  constructor(
    private readonly graph: SimilarityGraph,
    private readonly options: SimilarityOptions = DEFAULT_SIMILARITY_OPTIONS,
  ) {}

  /** Marks an item's cached neighbours stale (an edge to it appeared or changed sign). */
  invalidate(item: number): void {
    if (item >= this.dirty.length) this.dirty = grow(this.dirty, item + 1);
    this.dirty[item] = 1;
  }

  invalidateAll(): void {
    this.neighbors = [];
  }

  neighborsOf(item: number, k: number): ItemNeighbor[] {
    let list = this.neighbors[item];
    if (list === undefined || this.dirty[item] === 1) {
      list = this.compute(item);
      this.neighbors[item] = list;
      if (item < this.dirty.length) this.dirty[item] = 0;
    }
    return k >= list.length ? list : list.slice(0, k);
  }

  private compute(item: number): ItemNeighbor[] {
    this.computations++;
    const n = this.graph.itemCount();
    if (this.scratch.length < n) this.scratch = new Float64Array(Math.max(n, this.scratch.length * 2));
    const counts = this.scratch;
    const touched = this.touched;
    touched.length = 0;
    const { maxUsersPerItem, maxItemsPerUser, k } = this.options;
    const sampled = this.graph.forEachPositiveUser(item, maxUsersPerItem, (user) => {
      this.graph.forEachPositiveItem(user, maxItemsPerUser, (other) => {
        if (other === item) return;
        if (counts[other] === 0) touched.push(other);
        counts[other]! += 1;
      });
    });
    const ni = this.graph.positiveUsers(item);
    const scale = sampled > 0 ? ni / sampled : 1;
    const result: ItemNeighbor[] = [];
    for (const other of touched) {
      const support = counts[other]! * scale;
      counts[other] = 0;
      const nj = this.graph.positiveUsers(other);
      const union = ni + nj - support;
      const score = union > 0 ? support / union : 0;
      result.push({ itemId: this.graph.itemId(other), score, support: Math.round(support) });
    }
    result.sort((a, b) => b.score - a.score || b.support - a.support || (a.itemId < b.itemId ? -1 : 1));
    if (result.length > k) result.length = k;
    return result;
  }
}

function grow(arr: Uint8Array, min: number): Uint8Array {
  const next = new Uint8Array(Math.max(min, arr.length * 2));
  next.set(arr);
  return next;
}
