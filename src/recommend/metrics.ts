/**
 * Top-k metrics, exactly the protocol of shared/notes/recsys.md: binary relevance; Precision@k = hits / k;
 * Recall@k = hits / |relevant|; NDCG@k with log2(rank + 1) discount and the ideal DCG over
 * min(|relevant|, k) hits; MAP@k normalised by min(|relevant|, k); catalogue coverage = distinct
 * recommended items / items in train. Means are over the evaluated users.
 */
export interface UserMetrics {
  precision: number;
  recall: number;
  ndcg: number;
  map: number;
}

export interface Metrics extends UserMetrics {
  coverage: number;
}

export function scoreList(recommended: readonly string[], relevant: ReadonlySet<string>, k: number): UserMetrics {
  let hits = 0;
  let dcg = 0;
  let ap = 0;
  const n = Math.min(k, recommended.length);
  for (let r = 0; r < n; r++) {
    if (!relevant.has(recommended[r]!)) continue;
    hits++;
    dcg += 1 / Math.log2(r + 2);
    ap += hits / (r + 1);
  }
  const m = Math.min(relevant.size, k);
  let idcg = 0;
  for (let r = 0; r < m; r++) idcg += 1 / Math.log2(r + 2);
  return { precision: hits / k, recall: relevant.size > 0 ? hits / relevant.size : 0, ndcg: idcg > 0 ? dcg / idcg : 0, map: m > 0 ? ap / m : 0 };
}

/** Accumulates per-user metrics into means plus coverage. */
export class MetricsAccumulator {
  private sum: UserMetrics = { precision: 0, recall: 0, ndcg: 0, map: 0 };
  private users = 0;
  private readonly recommended = new Set<string>();

  constructor(private readonly k: number) {}

  add(recommended: readonly string[], relevant: ReadonlySet<string>): void {
    const m = scoreList(recommended, relevant, this.k);
    this.sum.precision += m.precision;
    this.sum.recall += m.recall;
    this.sum.ndcg += m.ndcg;
    this.sum.map += m.map;
    this.users++;
    for (const r of recommended.slice(0, this.k)) this.recommended.add(r);
  }

  result(trainItems: number): Metrics {
    const n = Math.max(1, this.users);
    const round = (x: number) => Math.round(x * 1e4) / 1e4;
    return {
      precision: round(this.sum.precision / n),
      recall: round(this.sum.recall / n),
      ndcg: round(this.sum.ndcg / n),
      map: round(this.sum.map / n),
      coverage: round(trainItems > 0 ? this.recommended.size / trainItems : 0),
    };
  }
}
