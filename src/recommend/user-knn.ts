import type { InteractionIndex, UserHistory } from './interactions';
import type { Accumulator, ScoreContext, Seed, Strategy } from './strategy';
import { topK } from './linalg';

/**
 * User-to-user neighbourhood ("shoppers with baskets like yours bought it") on the live interaction
 * index: no precomputed user-user matrix, so a new event changes both the user's neighbours and what
 * those neighbours contribute at the next request.
 *
 * Per request, with bounded work:
 *  1. Candidates: the users on the posting lists of the user's seed items (the latest `historyCap`
 *     distinct items, already weighted by event type x time decay). A posting list longer than
 *     `fanOut` contributes only its latest `fanOut` users (the most recent to engage), so a
 *     blockbuster item costs no more than a niche one. Each candidate gets a cheap pre-score
 *     (sum of the user's seed weights on shared items, idf-weighted for BM25, / sqrt(candidate length)).
 *  2. Similarity: the best `rescore` candidates by pre-score get the exact similarity, from their own
 *     latest `historyCap` items with the same event-type weights and time decay (relative to each
 *     shopper's own latest event):
 *       cosine   w_u . w_v / (|w_u| |w_v|)
 *       bm25     cosine over BM25-weighted entries: idf(i) x w (k1 + 1) / (w + k1 (1 - b + b len / avgLen))
 *       jaccard  |shared| / (|H_u| + |H_v| - |shared|), binary
 *  3. Scoring: the top `neighbours` by similarity vote for the items they engaged with:
 *       score(j) = sum over neighbours v of sim(u, v)^alpha x w_v(j).
 * Work per request is O(historyCap x fanOut + rescore x historyCap), independent of catalogue and
 * user counts.
 */
export type UserSimilarity = 'cosine' | 'bm25' | 'jaccard';

export interface UserKnnOptions {
  similarity: UserSimilarity;
  /** Neighbours that vote. */
  neighbours: number;
  /** Users read per seed item (the latest ones on its posting list). */
  fanOut: number;
  /** Candidates that get the exact similarity. */
  rescore: number;
  /** A neighbour's latest distinct items that count (similarity and votes). */
  historyCap: number;
  /** Similarity exponent: > 1 favours the closest neighbours. */
  alpha: number;
  bm25K1: number;
  bm25B: number;
}

export const DEFAULT_USER_KNN_OPTIONS: UserKnnOptions = {
  similarity: 'cosine',
  neighbours: 100,
  fanOut: 300,
  rescore: 400,
  historyCap: 200,
  alpha: 1,
  bm25K1: 1.2,
  bm25B: 0.75,
};

/** `Accumulator.from` value of a contribution that came from neighbours rather than one history item. */
export const FROM_NEIGHBOURS = -2;

export class UserKnnStrategy implements Strategy {
  readonly name = 'user-knn';
  readonly signal = 'shoppers with baskets like yours';
  readonly description: string;
  readonly options: UserKnnOptions;
  // scratch, reused across requests (requests are synchronous)
  private candScore = new Float64Array(0);
  private candTouched = new Int32Array(0);
  private nCand = 0;
  private uw = new Float64Array(0);
  private voters = new Int32Array(0);
  private buyers = new Int32Array(0);
  private voted: number[] = [];
  private lastNeighbours = 0;

  constructor(
    private readonly index: InteractionIndex,
    private readonly halfLifeMs: () => number,
    options: Partial<UserKnnOptions> = {},
  ) {
    this.options = { ...DEFAULT_USER_KNN_OPTIONS, ...options };
    const o = this.options;
    this.description = `user-to-user ${o.similarity} similarity over event-type weighted, time-decayed histories; top ${o.neighbours} neighbours vote for what they engaged with`;
  }

  score(seeds: readonly Seed[], acc: Accumulator, ctx?: ScoreContext): void {
    const userId = ctx?.userId;
    const idx = this.index;
    const o = this.options;
    this.ensureCapacity();
    for (const j of this.voted) {
      this.voters[j] = 0;
      this.buyers[j] = 0;
    }
    this.voted.length = 0;
    this.lastNeighbours = 0;
    if (seeds.length === 0) return;
    const self = userId === undefined ? -1 : (idx.userIndex.get(userId) ?? -1);
    const users = idx.users.length;
    const avgLen = users > 0 ? Math.max(1, idx.interactions / users) : 1;
    const bm25 = o.similarity === 'bm25';
    const jaccard = o.similarity === 'jaccard';

    // the user's own (transformed) weights, dense over items
    const uw = this.uw;
    let uNorm2 = 0;
    for (const { item, a } of seeds) {
      const w = jaccard ? 1 : bm25 ? this.bm25(a, seeds.length, avgLen) * this.idf(item, users) : a;
      uw[item] = w;
      uNorm2 += w * w;
    }

    // 1. candidates through the seed items' posting lists, fan-out capped
    const cand = this.candScore;
    const touched = this.candTouched;
    this.nCand = 0;
    for (const { item } of seeds) {
      const p = idx.postings[item]!;
      const len = idx.postingLen[item]!;
      const w = uw[item]!;
      if (!(w > 0)) continue;
      for (let t = Math.max(0, len - o.fanOut); t < len; t++) {
        const v = p[t]!;
        if (v === self) continue;
        if (cand[v] === 0) touched[this.nCand++] = v;
        cand[v]! += w;
      }
    }
    for (let t = 0; t < this.nCand; t++) {
      const v = touched[t]!;
      cand[v] = cand[v]! / Math.sqrt(Math.min(o.historyCap, idx.users[v]!.n));
    }
    const order = topK(touched, this.nCand, cand, o.rescore);
    for (let t = 0; t < this.nCand; t++) cand[touched[t]!] = 0;

    // 2. exact similarity for the best candidates
    const halfLife = this.halfLifeMs();
    const sims: { v: number; s: number }[] = [];
    for (const v of order) {
      const h = idx.users[v]!;
      const from = Math.max(0, h.n - o.historyCap);
      const len = h.n - from;
      let dot = 0;
      let norm2 = 0;
      let shared = 0;
      for (let t = from; t < h.n; t++) {
        const i = h.items[t]!;
        if (jaccard) {
          if (uw[i]! > 0) shared++;
          continue;
        }
        let w = weightOf(h, t, halfLife);
        if (bm25) w = this.bm25(w, len, avgLen) * this.idf(i, users);
        norm2 += w * w;
        dot += w * uw[i]!;
      }
      const s = jaccard ? shared / (seeds.length + len - shared) : norm2 > 0 ? dot / Math.sqrt(uNorm2 * norm2) : 0;
      if (s > 0) sims.push({ v, s });
    }
    for (const { item } of seeds) uw[item] = 0;
    sims.sort((x, y) => y.s - x.s || x.v - y.v);
    if (sims.length > o.neighbours) sims.length = o.neighbours;
    this.lastNeighbours = sims.length;

    // 3. neighbours vote for their items
    for (const { v, s } of sims) {
      const h = idx.users[v]!;
      const sim = o.alpha === 1 ? s : Math.pow(s, o.alpha);
      for (let t = Math.max(0, h.n - o.historyCap); t < h.n; t++) {
        const j = h.items[t]!;
        acc.add(j, sim * weightOf(h, t, halfLife), FROM_NEIGHBOURS);
        if (this.voters[j] === 0) this.voted.push(j);
        this.voters[j]!++;
        if (h.bought[t]) this.buyers[j]!++;
      }
    }
  }

  /** How many of the last request's neighbours engaged with / bought item j (for its reason). */
  votes(j: number): { voters: number; bought: number; neighbours: number } {
    return { voters: this.voters[j] ?? 0, bought: this.buyers[j] ?? 0, neighbours: this.lastNeighbours };
  }

  private idf(i: number, users: number): number {
    const n = this.index.postingLen[i]!;
    return Math.log(1 + (users - n + 0.5) / (n + 0.5));
  }

  private bm25(w: number, len: number, avgLen: number): number {
    const { bm25K1: k1, bm25B: b } = this.options;
    return (w * (k1 + 1)) / (w + k1 * (1 - b + (b * len) / avgLen));
  }

  private ensureCapacity(): void {
    const users = this.index.users.length;
    if (this.candScore.length < users) {
      this.candScore = new Float64Array(Math.max(users, this.candScore.length * 2, 1024));
      this.candTouched = new Int32Array(this.candScore.length);
    }
    const items = this.index.itemCount;
    if (this.uw.length < items) {
      const cap = Math.max(items, this.uw.length * 2, 1024);
      this.uw = new Float64Array(cap);
      const voters = new Int32Array(cap);
      voters.set(this.voters);
      this.voters = voters;
      const buyers = new Int32Array(cap);
      buyers.set(this.buyers);
      this.buyers = buyers;
    }
  }
}

/** Event-type strength x 0.5^(age / half-life), age from the shopper's own latest event (as for seeds). */
function weightOf(h: UserHistory, t: number, halfLifeMs: number): number {
  return h.strength[t]! * Math.exp((h.last[t]! - h.latest) * (Math.LN2 / halfLifeMs));
}
