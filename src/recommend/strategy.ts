/**
 * Scoring strategies behind one interface. A strategy only scores: it adds evidence for candidate
 * items into a shared accumulator, remembering which history item contributed most (that becomes the
 * reason). Filtering, business rules, fallbacks and explanations are the Recommender's, identical for
 * every strategy, so strategies compare fairly in `flywheel eval`.
 */
export interface Seed {
  item: number;
  /** History weight: event-type strength x recency decay. */
  a: number;
}

/** The top items of the requesting user's customer segment (src/segments/, refreshed at every refit). */
export interface SegmentTopItems {
  id: string;
  name: string;
  /** Customers in the segment at the fit. */
  size: number;
  /** Changes at every refit (part of the recommendation cache key). */
  version: number;
  /** Best first: item and how many of the segment's customers bought it. */
  items: readonly { itemId: string; customers: number }[];
}

/** What a strategy may know about the request besides the seeds (optional; most strategies ignore it). */
export interface ScoreContext {
  userId: string;
  segment?: SegmentTopItems | null;
  /**
   * Inside a blend, for a part that `ranksCandidates`: the items the blend's other parts proposed
   * (`items[0..n)`), which such a part may score instead of the whole catalogue, and the blend's score of
   * each so far (`score[item]`: the other parts' weighted sum), by which it may keep only the best.
   */
  candidates?: { readonly items: Int32Array; readonly n: number; readonly score?: Float64Array };
}

export interface Strategy {
  readonly name: string;
  readonly description: string;
  /** How a contribution is phrased in a reason, e.g. "bought together with". */
  readonly signal: string;
  /** `ctx.userId`: whose seeds these are (user-to-user strategies leave the user out of their own neighbours). */
  score(seeds: readonly Seed[], acc: Accumulator, ctx?: ScoreContext): void;
  /**
   * In a blend this part is scored after the others and handed their candidates (`ctx.candidates`): a
   * ranker whose cost grows with the catalogue (a dot product per item) can rank those instead.
   */
  readonly ranksCandidates?: boolean;
  /**
   * Scores from the user's segment (`ctx.segment`). A strategy without it ignores the segment, which then
   * only fills a short list, so `Recommender.recommend` asks for it only when a list comes out short.
   */
  readonly readsSegment?: boolean;
  /**
   * For an item this strategy added with `from` = EXPLAIN_LATER in the request just scored: the history item
   * that explains it (or a negative code), computed now. The Recommender asks only for the items of the list
   * it answers, so a strategy whose explanations cost something (`als`: |history| x factors each) pays for
   * those alone. Valid until this strategy scores the next request; undefined for an item it did not defer.
   */
  explainLater?(j: number): number | undefined;
}

/** `Accumulator.from` of a candidate whose strategy explains it only if it is shown (`Strategy.explainLater`). */
export const EXPLAIN_LATER = -4;

/** Dense per-item accumulator reused across requests (no allocation per request). */
export class Accumulator {
  score = new Float64Array(0);
  best = new Float64Array(0);
  from = new Int32Array(0);
  touched = new Int32Array(0);
  n = 0;

  reset(items: number): void {
    if (this.score.length < items) {
      const cap = Math.max(items, this.score.length * 2, 1024);
      this.score = new Float64Array(cap);
      this.best = new Float64Array(cap);
      this.from = new Int32Array(cap);
      this.touched = new Int32Array(cap);
    } else {
      for (let t = 0; t < this.n; t++) {
        const j = this.touched[t]!;
        this.score[j] = 0;
        this.best[j] = 0;
      }
    }
    this.n = 0;
  }

  add(j: number, v: number, from: number): void {
    if (this.score[j] === 0 && this.best[j] === 0) {
      this.touched[this.n++] = j;
      this.from[j] = from;
      this.best[j] = Number.MIN_VALUE;
    }
    this.score[j]! += v;
    if (v > this.best[j]!) {
      this.best[j] = v;
      this.from[j] = from;
    }
  }
}
