import type { GraphStore, InteractionEdge, ItemNode } from '../graph/graph-store';

/**
 * Item-to-item collaborative filtering on the graph, the same for every backend: the store supplies a
 * user's edges and each item's nearest neighbours; this module turns them into a ranked, filtered,
 * explained list. The shape is SAR's: score(j) = sum over history items i of affinity(u, i) x sim(i, j),
 * where affinity is the edge weight (purchase > cart > click > view) decayed by age with a half-life.
 *
 * Every call makes a small, fixed number of store reads (edges, neighbours, item metadata, and a
 * popularity fallback), whatever the size of the answer.
 */
export interface RecommenderOptions {
  /** Affinity halves for every this many days an interaction is older than the user's latest one. */
  halfLifeDays: number;
  /** History items (most recent first) that seed a recommendation. */
  historyCap: number;
  /** Neighbours read per history item. */
  neighborsPerItem: number;
}

export const DEFAULT_RECOMMENDER_OPTIONS: RecommenderOptions = { halfLifeDays: 30, historyCap: 50, neighborsPerItem: 50 };

export interface RecommendRequest {
  userId: string;
  first: number;
  excludeItemIds?: readonly string[];
  categories?: readonly string[];
  /** Recommend items the user already bought (repeat-purchase shops); off by default. */
  includePurchased?: boolean;
}

export interface Recommendation {
  itemId: string;
  score: number;
  reason: string;
}

const DAY_MS = 86_400_000;

export class Recommender {
  private readonly options: RecommenderOptions;

  constructor(
    private readonly store: GraphStore,
    options: Partial<RecommenderOptions> = {},
  ) {
    this.options = { ...DEFAULT_RECOMMENDER_OPTIONS, ...options };
  }

  async recommend(req: RecommendRequest): Promise<Recommendation[]> {
    const first = Math.max(0, req.first);
    if (first === 0) return [];
    const [history = []] = await this.store.getInteractions([req.userId], this.options.historyCap);
    const excluded = new Set(req.excludeItemIds ?? []);
    for (const e of history) if (!req.includePurchased && e.counts.PURCHASE > 0) excluded.add(e.itemId);

    const seeds = affinities(history, this.options.halfLifeDays);
    const scored = await this.scoreNeighbours(seeds, excluded);
    const ranked = await this.filterByCategory(scored, req.categories, first);
    const results = await this.explain(ranked.slice(0, first), history);

    if (results.length < first) {
      // Too little history or too narrow a filter: fill with what is popular, and say so.
      const taken = new Set([...excluded, ...results.map((r) => r.itemId)]);
      const popular = await this.store.popularItems({ first: first - results.length, categories: req.categories, excludeItemIds: [...taken] });
      const floor = results.length > 0 ? results[results.length - 1]!.score : 1;
      const top = popular[0]?.score ?? 1;
      for (const p of popular) {
        results.push({ itemId: p.itemId, score: (floor * p.score) / (top * 1000), reason: `popular: engaged with by ${p.score} shoppers` });
      }
    }
    return results;
  }

  async similarItems(itemId: string, first: number): Promise<Recommendation[]> {
    const [neighbours = []] = await this.store.getItemNeighbors([itemId], first);
    return neighbours.map((n) => ({
      itemId: n.itemId,
      score: n.score,
      reason: `${n.support} shopper${n.support === 1 ? '' : 's'} engaged with both (Jaccard ${n.score.toFixed(3)})`,
    }));
  }

  private async scoreNeighbours(seeds: Seed[], excluded: Set<string>): Promise<Candidate[]> {
    if (seeds.length === 0) return [];
    const lists = await this.store.getItemNeighbors(
      seeds.map((s) => s.itemId),
      this.options.neighborsPerItem,
    );
    const seen = new Set(seeds.map((s) => s.itemId));
    const candidates = new Map<string, Candidate>();
    lists.forEach((neighbours, s) => {
      const seed = seeds[s]!;
      for (const n of neighbours) {
        if (excluded.has(n.itemId)) continue;
        const contribution = seed.affinity * n.score;
        let c = candidates.get(n.itemId);
        if (!c) candidates.set(n.itemId, (c = { itemId: n.itemId, score: 0, because: seed, best: 0, seen: seen.has(n.itemId) }));
        c.score += contribution;
        if (contribution > c.best) {
          c.best = contribution;
          c.because = seed;
        }
      }
    });
    const ranked = [...candidates.values()];
    ranked.sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : 1));
    return ranked;
  }

  private async filterByCategory(ranked: Candidate[], categories: readonly string[] | undefined, first: number): Promise<Candidate[]> {
    if (!categories || categories.length === 0) return ranked;
    const allowed = new Set(categories);
    // Read metadata for a generous prefix only: one store call, bounded size.
    const prefix = ranked.slice(0, Math.max(first * 20, 200));
    const items = await this.store.getItems(prefix.map((c) => c.itemId));
    return prefix.filter((_, i) => {
      const cat = items[i]?.category;
      return cat != null && allowed.has(cat);
    });
  }

  private async explain(picked: Candidate[], history: InteractionEdge[]): Promise<Recommendation[]> {
    if (picked.length === 0) return [];
    const becauseIds = [...new Set(picked.map((c) => c.because.itemId))];
    const items = await this.store.getItems(becauseIds);
    const byId = new Map<string, ItemNode>();
    items.forEach((it) => it && byId.set(it.id, it));
    const verbOf = new Map(history.map((e) => [e.itemId, verb(e)]));
    return picked.map((c) => {
      const title = byId.get(c.because.itemId)?.title ?? c.because.itemId;
      return {
        itemId: c.itemId,
        score: c.score,
        reason: `because you ${verbOf.get(c.because.itemId) ?? 'engaged with'} "${title}" (${c.because.itemId})`,
      };
    });
  }
}

interface Seed {
  itemId: string;
  affinity: number;
}

interface Candidate {
  itemId: string;
  score: number;
  because: Seed;
  best: number;
  seen: boolean;
}

function affinities(history: readonly InteractionEdge[], halfLifeDays: number): Seed[] {
  if (history.length === 0) return [];
  const latest = Math.max(...history.map((e) => e.lastSeenAt));
  const halfLifeMs = halfLifeDays * DAY_MS;
  return history
    .filter((e) => e.weight > 0)
    .map((e) => ({ itemId: e.itemId, affinity: e.weight * Math.pow(0.5, (latest - e.lastSeenAt) / halfLifeMs) }));
}

function verb(e: InteractionEdge): string {
  if (e.counts.PURCHASE > 0) return 'bought';
  if (e.counts.ADD_TO_CART > 0) return 'added to cart';
  if (e.counts.CLICK > 0) return 'clicked';
  return 'viewed';
}
