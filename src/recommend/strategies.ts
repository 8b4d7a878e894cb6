import type { InteractionIndex } from './interactions';
import type { ItemModel } from './item-model';
import { UserKnnStrategy, type UserKnnOptions } from './user-knn';
import { Accumulator, type ScoreContext, type Seed, type Strategy } from './strategy';

// The built-in strategies; the contract they implement (Strategy, Seed, Accumulator) is in strategy.ts.

/** Item i's weighted neighbours: the first `n` entries of j/w, or all of them without `n` (returned as stored: no object per seed). */
type Lists = (i: number) => { readonly j: Int32Array; readonly w: Float32Array; readonly n?: number } | undefined;

/** score(j) = sum over history items i of a_i x W_ij, for any sparse item-item W. */
export class ItemItemStrategy implements Strategy {
  constructor(
    readonly name: string,
    readonly description: string,
    readonly signal: string,
    private readonly lists: Lists,
  ) {}

  score(seeds: readonly Seed[], acc: Accumulator): void {
    for (const { item, a } of seeds) {
      const l = this.lists(item);
      if (!l) continue;
      const { j, w } = l;
      const n = l.n ?? j.length;
      for (let t = 0; t < n; t++) acc.add(j[t]!, a * w[t]!, item);
    }
  }
}

/** Most popular items (distinct positive users); the reference baseline and the cold-start answer. */
export class PopularStrategy implements Strategy {
  readonly name = 'popular';
  readonly description = 'most popular items (distinct shoppers), the same for everyone';
  readonly signal = 'popular';
  constructor(
    private readonly popular: () => Int32Array,
    private readonly index: InteractionIndex,
  ) {}
  score(_seeds: readonly Seed[], acc: Accumulator): void {
    for (const j of this.popular()) acc.add(j, this.index.degree(j), -1);
  }
}

/**
 * A weighted blend: each part's scores are scaled by that part's best score for this user, so parts on
 * different scales (regression weights vs cosines) weigh as configured.
 */
export class BlendStrategy implements Strategy {
  readonly signal = 'often bought together with';
  private readonly scratch = new Accumulator();
  /** The parts' candidates so far, for the parts that rank candidates (scored last). */
  private pool = new Int32Array(0);
  private inPool = new Uint8Array(0);
  private readonly parts: { strategy: Strategy; weight: number }[];
  readonly readsSegment: boolean;
  constructor(
    readonly name: string,
    readonly description: string,
    parts: { strategy: Strategy; weight: number }[],
    private readonly items: () => number,
  ) {
    // rankers last, so they see every other part's candidates; the others keep their order
    this.parts = [...parts.filter((p) => !p.strategy.ranksCandidates), ...parts.filter((p) => p.strategy.ranksCandidates)];
    this.readsSegment = parts.some((p) => p.strategy.readsSegment === true);
  }
  score(seeds: readonly Seed[], acc: Accumulator, ctx?: ScoreContext): void {
    const items = this.items();
    if (this.inPool.length < items) {
      this.pool = new Int32Array(Math.max(items, this.pool.length * 2));
      this.inPool = new Uint8Array(this.pool.length);
    }
    let pooled = 0;
    for (const { strategy, weight } of this.parts) {
      const s = this.scratch;
      s.reset(items);
      strategy.score(seeds, s, strategy.ranksCandidates && ctx ? { ...ctx, candidates: { items: this.pool, n: pooled, score: acc.score } } : ctx);
      if (!strategy.ranksCandidates)
        for (let t = 0; t < s.n; t++) {
          const j = s.touched[t]!;
          if (this.inPool[j] === 0) {
            this.inPool[j] = 1;
            this.pool[pooled++] = j;
          }
        }
      let max = 0;
      for (let t = 0; t < s.n; t++) max = Math.max(max, s.score[s.touched[t]!]!);
      if (max <= 0) continue;
      const f = weight / max;
      for (let t = 0; t < s.n; t++) {
        const j = s.touched[t]!;
        acc.add(j, s.score[j]! * f, s.from[j]!);
      }
    }
    for (let t = 0; t < pooled; t++) this.inPool[this.pool[t]!] = 0;
  }
  explainLater(j: number): number | undefined {
    for (const { strategy } of this.parts) {
      const from = strategy.explainLater?.(j);
      if (from !== undefined) return from;
    }
    return undefined;
  }
}

/** Options for the strategies beyond the item model's (user-to-user neighbourhood, blend weights). */
export interface StrategyOptions {
  /** Time decay of history weights (the Recommender's half-life), for user-knn's neighbour histories. */
  halfLifeMs?: () => number;
  userKnn?: Partial<UserKnnOptions>;
  /** Parts of `blend` and their weights, by strategy name (default DEFAULT_BLEND). */
  blend?: Record<string, number>;
  /** More strategies that may be blend parts (the matrix factorisation `als`, built by the Recommender). */
  extra?: Strategy[];
}

export const DEFAULT_BLEND: Record<string, number> = { 'local-ease': 1, 'item-knn': 1 };

/** The built-in strategies over one item model. */
export function builtInStrategies(model: ItemModel, index: InteractionIndex, popular: () => Int32Array, more: StrategyOptions = {}): Strategy[] {
  const localEase = new ItemItemStrategy(
    'local-ease',
    "learned item-item regression weights (EASE restricted to each item's top co-occurring items), refreshed in the background",
    'often bought together with',
    (i) => model.easeOut[i],
  );
  const knn = new ItemItemStrategy(
    'item-knn',
    `item-to-item ${model.options.similarity} similarity, top ${model.options.knnK} neighbours`,
    'shoppers with similar baskets chose',
    (i) => model.knn[i],
  );
  const rp3 = new ItemItemStrategy(
    'rp3beta',
    `3-step random walk user-item-user-item, popularity^${model.options.rp3Beta} discount`,
    'a short walk in the shopper graph leads here from',
    (i) => model.rp3[i],
  );
  const userKnn = new UserKnnStrategy(index, more.halfLifeMs ?? (() => 180 * 86_400_000), more.userKnn);
  const parts = new Map<string, Strategy>([
    [localEase.name, localEase],
    [knn.name, knn],
    [rp3.name, rp3],
    [userKnn.name, userKnn],
  ]);
  for (const s of more.extra ?? []) parts.set(s.name, s);
  const blend = blendOf('blend', more.blend ?? DEFAULT_BLEND, parts, () => index.itemCount);
  return [localEase, knn, rp3, userKnn, ...(more.extra ?? []), blend, new PopularStrategy(popular, index)];
}

/** A BlendStrategy over named parts; parts with weight 0 are left out. */
export function blendOf(name: string, weights: Record<string, number>, parts: ReadonlyMap<string, Strategy>, items: () => number): BlendStrategy {
  const blendParts = Object.entries(weights).filter(([, w]) => w > 0);
  if (blendParts.length === 0) throw new Error(`${name}: no part with a positive weight`);
  for (const [n] of blendParts) if (!parts.has(n)) throw new Error(`blend: unknown part "${n}"; choose from ${[...parts.keys()].join(', ')}`);
  return new BlendStrategy(
    name,
    `${blendParts.map(([n, w]) => `${n} x ${w}`).join(' + ')}, each scaled to its best score for the user`,
    blendParts.map(([n, weight]) => ({ strategy: parts.get(n)!, weight })),
    items,
  );
}

/** Strategies that can be parts of a blend (every personal scorer). */
export const BLEND_PARTS = ['local-ease', 'item-knn', 'rp3beta', 'user-knn', 'als'] as const;
