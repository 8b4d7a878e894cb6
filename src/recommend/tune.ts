import { MetricsAccumulator, type Metrics } from './metrics';
import type { Recommender } from './recommender';
import { BLEND_PARTS } from './strategies';
import { Accumulator, type ScoreContext, type Seed, type Strategy } from './strategy';

/**
 * Choosing what to serve by validation: candidate configurations are scored with the same `recommend` the
 * resolvers call, on a validation period that ends before anything evaluated later (the caller hands in
 * only validation users; `flywheel eval --tune` and `flywheel tune` carve them from the train part).
 *
 * Blends: every weighting of the personal strategies over a small grid (a single part is that strategy's
 * own ranking, so single strategies are candidates too). A blend only rescales and adds its parts' scores,
 * so each part is scored once per user and replayed to every candidate (MemoStrategy): the candidates
 * still go through the serving path (rules, fallbacks), at a fraction of the cost.
 */
export interface EvalUser {
  id: string;
  relevant: Set<string>;
}

export interface Candidate {
  name: string;
  weights: Record<string, number>;
}

export interface TuneResult {
  /** Best first. */
  ranking: { name: string; weights: Record<string, number>; metrics: Metrics }[];
  picked: { name: string; weights: Record<string, number>; metrics: Metrics; defaultStrategy: string };
  users: number;
}

/** Replays the last user's scores of a strategy (each part of many blends is scored once per user). */
export class MemoStrategy implements Strategy {
  readonly name: string;
  readonly description: string;
  readonly signal: string;
  private user: string | null = null;
  private version = -1;
  private j = new Int32Array(0);
  private v = new Float64Array(0);
  private from = new Int32Array(0);
  private n = 0;
  private readonly scratch = new Accumulator();
  constructor(
    private readonly inner: Strategy,
    private readonly items: () => number,
    /** Changes whenever the model or data might have (the recommender's version). */
    private readonly stamp: () => number,
  ) {
    this.name = inner.name;
    this.description = inner.description;
    this.signal = inner.signal;
  }

  score(seeds: readonly Seed[], acc: Accumulator, ctx?: ScoreContext): void {
    const user = ctx?.userId ?? null;
    if (user === null || user !== this.user || this.stamp() !== this.version) {
      const s = this.scratch;
      s.reset(this.items());
      this.inner.score(seeds, s, ctx);
      if (this.j.length < s.n) {
        this.j = new Int32Array(s.n * 2);
        this.v = new Float64Array(s.n * 2);
        this.from = new Int32Array(s.n * 2);
      }
      for (let t = 0; t < s.n; t++) {
        const j = s.touched[t]!;
        this.j[t] = j;
        this.v[t] = s.score[j]!;
        this.from[t] = s.from[j]!;
      }
      this.n = s.n;
      this.user = user;
      this.version = this.stamp();
    }
    for (let t = 0; t < this.n; t++) acc.add(this.j[t]!, this.v[t]!, this.from[t]!);
  }
  /** The inner strategy last scored this memo's user, so its deferred explanations are still that user's. */
  explainLater(j: number): number | undefined {
    return this.inner.explainLater?.(j);
  }
}

/** Every weighting of `parts` over `levels` (at least one part positive), without scaled duplicates. */
export function blendGrid(parts: readonly string[], levels: readonly number[] = [0, 0.5, 1]): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const rec = (p: number, w: number[]) => {
    if (p === parts.length) {
      const max = Math.max(...w);
      if (max <= 0) return;
      const norm = w.map((x) => Math.round((x / max) * 1000) / 1000);
      const key = norm.join(',');
      if (seen.has(key)) return;
      seen.add(key);
      const weights: Record<string, number> = {};
      parts.forEach((name, t) => norm[t]! > 0 && (weights[name] = norm[t]!));
      out.push({ name: blendName(weights), weights });
      return;
    }
    for (const l of levels) rec(p + 1, [...w, l]);
  };
  rec(0, []);
  return out;
}

export function blendName(weights: Record<string, number>): string {
  const e = Object.entries(weights).filter(([, w]) => w > 0);
  if (e.length === 1) return e[0]![0];
  return `blend(${e.map(([n, w]) => `${n}=${w}`).join(',')})`;
}

/** `local-ease=1,item-knn=0.5`, the FLYWHEEL_BLEND form. */
export function weightsString(weights: Record<string, number>): string {
  return Object.entries(weights)
    .filter(([, w]) => w > 0)
    .map(([n, w]) => `${n}=${w}`)
    .join(',');
}

/**
 * Scores every candidate on the validation users (user by user, so each part's memo holds one user) and
 * picks the best by NDCG@k; ties (to 4 decimals) go to fewer parts, then to the earlier candidate.
 */
export async function tuneBlend(
  rec: Recommender,
  users: readonly EvalUser[],
  k: number,
  trainItems: number,
  candidates: readonly Candidate[] = blendGrid(BLEND_PARTS.filter((p) => p !== 'rp3beta')),
  progress: (msg: string) => void = () => undefined,
): Promise<TuneResult> {
  const partNames = new Set(candidates.flatMap((c) => Object.keys(c.weights)));
  let stamp = 0;
  const memo = new Map<string, Strategy>();
  for (const name of partNames) {
    const s = rec.strategyByName(name);
    if (!s) throw new Error(`tune: unknown strategy "${name}"`);
    memo.set(
      name,
      new MemoStrategy(
        s,
        () => rec.index.itemCount,
        () => stamp,
      ),
    );
  }
  const names = candidates.map((c, t) => `tune#${t}`);
  candidates.forEach((c, t) => rec.defineBlend(names[t]!, c.weights, memo));
  const accs = candidates.map(() => new MetricsAccumulator(k));
  let done = 0;
  for (const u of users) {
    stamp++;
    for (let t = 0; t < candidates.length; t++) {
      const list = await rec.recommend({ userId: u.id, first: k, strategy: names[t]! });
      accs[t]!.add(
        list.map((r) => r.itemId),
        u.relevant,
      );
    }
    if (++done % 200 === 0) progress(`tune: ${done} of ${users.length} validation users`);
  }
  const ranking = candidates
    .map((c, t) => ({ name: c.name, weights: c.weights, metrics: accs[t]!.result(trainItems), order: t }))
    .sort((a, b) => b.metrics.ndcg - a.metrics.ndcg || Object.keys(a.weights).length - Object.keys(b.weights).length || a.order - b.order)
    .map(({ order: _o, ...r }) => r);
  const best = ranking[0]!;
  const parts = Object.keys(best.weights);
  return { ranking, users: users.length, picked: { ...best, defaultStrategy: parts.length === 1 ? parts[0]! : 'blend' } };
}
