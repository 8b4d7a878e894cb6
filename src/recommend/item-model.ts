import type { InteractionIndex } from './interactions';
import { choleskySolve, topK } from './linalg';

/**
 * The learned item-item model behind every neighbourhood strategy, kept as sparse neighbour lists per
 * item in plain typed arrays, in memory only (rebuilt from the graph's edges after a restart).
 *
 * Per item i, one pass over its 2-hop neighbourhood (users of i -> their items) accumulates, for every
 * co-occurring item j:
 *   c_ij = shared users (binary co-occurrence, G = X^T X),
 *   s_ij = sum of BM25 user-length weights L_u^2 over shared users (long baskets count less),
 *   r_ij = sum of 1/|H_u| over shared users (the RP3beta random-walk step user -> item).
 * From that pass it keeps:
 *   - cooc[i]: the top-M items by c_ij (the Gram rows Local EASE needs),
 *   - knn[i]:  the top-20 by the configured similarity (Jaccard, cosine, or BM25 cosine),
 *   - rp3[i]:  the top-50 by RP3beta weight r_ij / (n_i * n_j^beta).
 * Then Local EASE solves, per target item j, a ridge regression of j on its K strongest co-occurring
 * items N(j):  (G_NN + lambda I) b = G_Nj,  B_ij = b_i.  That is the EASE column restricted to N(j);
 * restricting it is both what keeps it sparse at 50k items (K^3 per item instead of items^3) and extra
 * regularisation (it scored above dense EASE on the development slice, see BENCHMARKS.md).
 *
 * Updates: an event marks the touched items dirty; `refreshSome` re-solves dirty items in bounded
 * slices off the request path. The user side is never stale: scoring reads the live history.
 *
 * Shipped (ARCHITECTURE.md, "Past one machine"): a model that `trackChanges` lists the items whose served
 * lists a re-solve changed (`takeChanged`), so a publisher ships only those; a `replica` model computes
 * nothing and is given its lists by `installRow` (src/recommend/item-model-rows.ts encodes and decodes them).
 */
export type SimilarityKind = 'jaccard' | 'cosine' | 'bm25';

export interface ItemModelOptions {
  /** Local EASE neighbourhood size (regressors per item). */
  easeK: number;
  /** Local EASE ridge strength, in co-occurrence counts. */
  lambda: number;
  /** Co-occurrence entries kept per item (>= easeK; the extra ones fill G_NN). */
  coocCap: number;
  similarity: SimilarityKind;
  knnK: number;
  rp3K: number;
  rp3Beta: number;
  /** Latest distinct items per user that count for co-occurrence (bounds work per event and per pass). */
  historyCap: number;
  /** Users sampled (evenly) per item in the 2-hop pass; counts from a sample are scaled back up. */
  usersPerItem: number;
  bm25K1: number;
  bm25B: number;
}

export const DEFAULT_ITEM_MODEL_OPTIONS: ItemModelOptions = {
  easeK: 50,
  lambda: 200,
  coocCap: 200,
  similarity: 'bm25',
  knnK: 20,
  rp3K: 50,
  rp3Beta: 0.5,
  historyCap: 200,
  usersPerItem: 1000,
  bm25K1: 1.2,
  bm25B: 0.75,
};

/** A sparse weighted adjacency list: one per item, best first. */
export interface Neighbours {
  j: Int32Array;
  w: Float32Array;
}

const NONE: Neighbours = { j: new Int32Array(0), w: new Float32Array(0) };

/** Outgoing Local EASE weights B_i. (row i), patched in place as columns are re-solved. */
interface OutList {
  j: Int32Array;
  w: Float32Array;
  n: number;
}

export class ItemModel {
  readonly options: ItemModelOptions;
  cooc: Neighbours[] = [];
  knn: Neighbours[] = [];
  rp3: Neighbours[] = [];
  /** Local EASE column j: regressors N(j) and weights b. */
  easeIn: Neighbours[] = [];
  /** Local EASE serving index, row i: targets j with B_ij != 0. */
  easeOut: OutList[] = [];
  private selfS = new Float64Array(0);
  private dirty = new Set<number>();
  private rowsFresh = new Uint8Array(0);
  private avgLen = 1;
  // scratch, sized to the catalogue
  private accC = new Float64Array(0);
  private accS = new Float64Array(0);
  private accR = new Float64Array(0);
  private key = new Float64Array(0);
  private touched = new Int32Array(0);
  private pos = new Int32Array(0);
  solved = 0;
  /** Dirty items re-solved so far (each removal from the dirty set): Recommender.isWarm counts on it. */
  refreshed = 0;
  /** Items whose knn, rp3 or Local EASE column changed since the last `takeChanged` (null: not tracked). */
  private changed: Set<number> | null = null;

  /**
   * @param replica the lists come from a publisher (`installRow`): nothing is marked dirty or solved here,
   * so the index may hold only some users' histories.
   */
  constructor(
    private readonly index: InteractionIndex,
    options: Partial<ItemModelOptions> = {},
    readonly replica = false,
  ) {
    this.options = { ...DEFAULT_ITEM_MODEL_OPTIONS, ...options };
    if (replica) return;
    // Bounded work per event: the new item plus the user's latest items whose co-occurrence changed.
    index.onInteraction((u, i, isNew) => {
      if (!isNew) return;
      this.dirty.add(i);
      const h = index.users[u]!;
      const from = Math.max(0, h.n - this.options.historyCap);
      for (let t = from; t < h.n - 1; t++) this.dirty.add(h.items[t]!);
    });
  }

  pending(): number {
    return this.dirty.size;
  }

  /** Marks items for a re-solve (their co-occurrences changed outside the event path, e.g. a user was forgotten). */
  markDirty(items: Iterable<number>): void {
    if (this.replica) return;
    for (const i of items) this.dirty.add(i);
  }

  /** Marks everything dirty (a full re-solve), e.g. after a bootstrap or periodically. */
  invalidateAll(): void {
    if (this.replica) return;
    for (let i = 0; i < this.index.itemCount; i++) this.dirty.add(i);
  }

  /** From now on, remember which items' lists change (a publisher ships them); every solved item counts as changed. */
  trackChanges(): void {
    if (this.changed) return;
    this.changed = new Set(this.solvedItems());
  }

  /** Every item with solved lists (what a publisher that starts, or takes over, ships whole). */
  solvedItems(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.easeIn.length; i++) if (this.rowsFresh[i] === 1 || this.easeIn[i] !== NONE) out.push(i);
    return out;
  }

  /** The items whose lists changed since the last call, in the order they changed first. */
  takeChanged(): number[] {
    if (!this.changed) return [];
    const out = [...this.changed];
    this.changed.clear();
    return out;
  }

  /**
   * Replica: installs item i's lists as its publisher solved them (neighbours already interned here), and
   * moves its Local EASE column into the serving index (`easeOut`) as `solveColumn` does.
   */
  installRow(i: number, lists: { knn: Neighbours; rp3: Neighbours; easeIn: Neighbours }): void {
    this.ensureCapacity();
    this.knn[i] = lists.knn;
    this.rp3[i] = lists.rp3;
    this.setColumn(i, lists.easeIn.j.length > 0 ? lists.easeIn : NONE);
  }

  /** Replaces Local EASE column j, and moves it in the serving index (`easeOut`): out of its old regressors' rows, into the new ones'. */
  private setColumn(j: number, column: Neighbours): void {
    const old = this.easeIn[j]!;
    for (let t = 0; t < old.j.length; t++) removeTarget(this.easeOut[old.j[t]!]!, j);
    this.easeIn[j] = column;
    for (let a = 0; a < column.j.length; a++) if (column.w[a] !== 0) addTarget(this.easeOut[column.j[a]!]!, j, column.w[a]!);
  }

  /**
   * Re-solves dirty items until `budgetMs` is spent (Infinity = all). Rows first, then the Local EASE
   * columns that read them; returns how many items remain dirty.
   */
  refreshSome(budgetMs = Infinity): number {
    if (this.dirty.size === 0) return 0;
    this.ensureCapacity();
    const deadline = performance.now() + budgetMs;
    const batch: number[] = [];
    for (const i of this.dirty) {
      batch.push(i);
      if (batch.length >= 64) break;
    }
    while (batch.length > 0) {
      for (const i of batch) this.computeRow(i);
      for (const i of batch) {
        this.solveColumn(i);
        this.dirty.delete(i);
        this.refreshed++;
      }
      batch.length = 0;
      if (performance.now() >= deadline) break;
      for (const i of this.dirty) {
        batch.push(i);
        if (batch.length >= 64) break;
      }
    }
    return this.dirty.size;
  }

  private ensureCapacity(): void {
    const n = this.index.itemCount;
    if (this.accC.length < n) {
      const cap = Math.max(n, this.accC.length * 2, 1024);
      this.accC = new Float64Array(cap);
      this.accS = new Float64Array(cap);
      this.accR = new Float64Array(cap);
      this.key = new Float64Array(cap);
      this.touched = new Int32Array(cap);
      this.pos = new Int32Array(cap).fill(-1);
      const s = new Float64Array(cap);
      s.set(this.selfS);
      this.selfS = s;
      const f = new Uint8Array(cap);
      f.set(this.rowsFresh);
      this.rowsFresh = f;
    }
    while (this.cooc.length < n) {
      this.cooc.push(NONE);
      this.knn.push(NONE);
      this.rp3.push(NONE);
      this.easeIn.push(NONE);
      this.easeOut.push({ j: new Int32Array(0), w: new Float32Array(0), n: 0 });
    }
    const users = this.index.users.length;
    this.avgLen = users > 0 ? Math.max(1, this.index.interactions / users) : 1;
  }

  /** BM25 user-length weight (tf = 1), squared as it enters both sides of the dot product. */
  private userWeight2(len: number): number {
    const { bm25K1: k1, bm25B: b } = this.options;
    const l = (k1 + 1) / (1 + k1 * (1 - b + (b * len) / this.avgLen));
    return l * l;
  }

  /** sum of L_u^2 over the item's users: the BM25 norm; cached (refreshed whenever the item's own row is). */
  private selfSimilarityMass(i: number): number {
    if (this.selfS[i]! > 0) return this.selfS[i]!;
    let s = 0;
    const p = this.index.postings[i]!;
    const len = this.index.postingLen[i]!;
    for (let t = 0; t < len; t++) s += this.userWeight2(Math.min(this.options.historyCap, this.index.users[p[t]!]!.n));
    this.selfS[i] = s;
    return s;
  }

  private computeRow(i: number): void {
    const { historyCap, usersPerItem } = this.options;
    const idx = this.index;
    const post = idx.postings[i]!;
    const ni = idx.postingLen[i]!;
    const { accC, accS, accR, touched } = this;
    let m = 0;
    let selfS = 0;
    const sampled = Math.min(ni, usersPerItem);
    const step = ni / sampled;
    for (let k = 0; k < sampled; k++) {
      const h = idx.users[post[sampled === ni ? k : Math.floor(k * step)]!]!;
      const from = Math.max(0, h.n - historyCap);
      const len = h.n - from;
      const s = this.userWeight2(len);
      const r = 1 / len;
      selfS += s;
      for (let t = from; t < h.n; t++) {
        const j = h.items[t]!;
        if (j === i) continue;
        if (accC[j] === 0) touched[m++] = j;
        accC[j]! += 1;
        accS[j]! += s;
        accR[j]! += r;
      }
    }
    const scale = sampled > 0 ? ni / sampled : 1;
    this.selfS[i] = selfS * scale;
    this.rowsFresh[i] = 1;
    const o = this.options;
    const key = this.key;
    // co-occurrence counts, top-M
    for (let t = 0; t < m; t++) key[touched[t]!] = accC[touched[t]!]!;
    this.cooc[i] = pick(touched, m, key, o.coocCap, (j) => accC[j]! * scale);
    // item-kNN similarity, top-knnK
    const si = this.selfS[i]!;
    for (let t = 0; t < m; t++) {
      const j = touched[t]!;
      const c = accC[j]! * scale;
      const nj = idx.postingLen[j]!;
      key[j] =
        o.similarity === 'jaccard'
          ? c / (ni + nj - c)
          : o.similarity === 'cosine'
            ? c / Math.sqrt(ni * nj)
            : (accS[j]! * scale) / Math.sqrt(si * this.selfSimilarityMass(j) || 1);
    }
    this.knn[i] = pick(touched, m, key, o.knnK, (j) => key[j]!);
    // RP3beta (alpha = 1): P(i -> u) P(u -> j) / deg(j)^beta
    for (let t = 0; t < m; t++) {
      const j = touched[t]!;
      key[j] = (accR[j]! * scale) / ni / Math.pow(idx.postingLen[j]!, o.rp3Beta);
    }
    this.rp3[i] = pick(touched, m, key, o.rp3K, (j) => key[j]!);
    this.changed?.add(i);
    for (let t = 0; t < m; t++) {
      const j = touched[t]!;
      accC[j] = 0;
      accS[j] = 0;
      accR[j] = 0;
    }
  }

  /** Local EASE column j, then patch the serving index for the regressors that changed. */
  private solveColumn(j: number): void {
    const { easeK, lambda } = this.options;
    const row = this.cooc[j]!;
    const m = Math.min(easeK, row.j.length);
    this.changed?.add(j);
    if (m === 0) {
      this.setColumn(j, NONE);
      return;
    }
    const N = row.j.subarray(0, m);
    const pos = this.pos;
    for (let a = 0; a < m; a++) pos[N[a]!] = a;
    const A = new Float64Array(m * m);
    const g = new Float64Array(m);
    for (let a = 0; a < m; a++) {
      const ia = N[a]!;
      if (this.rowsFresh[ia] !== 1) this.computeRow(ia);
      const ra = this.cooc[ia]!;
      for (let t = 0; t < ra.j.length; t++) {
        const b = pos[ra.j[t]!]!;
        // A row may miss an entry its partner row has (each keeps only its top-M): take the larger.
        if (b >= 0 && ra.w[t]! > A[a * m + b]!) A[a * m + b] = A[b * m + a] = ra.w[t]!;
      }
      A[a * m + a] = this.index.postingLen[ia]! + lambda;
      g[a] = row.w[a]!;
    }
    for (let a = 0; a < m; a++) pos[N[a]!] = -1;
    const b = choleskySolve(A, g, m);
    this.setColumn(j, { j: N.slice(), w: Float32Array.from(b) });
    this.solved++;
  }

  weightCount(): number {
    let n = 0;
    for (const c of this.easeIn) n += c.j.length;
    return n;
  }
}

function pick(touched: Int32Array, m: number, key: Float64Array, k: number, weight: (j: number) => number): Neighbours {
  if (m === 0) return NONE;
  const top = topK(touched, m, key, k);
  const w = new Float32Array(top.length);
  for (let t = 0; t < top.length; t++) w[t] = weight(top[t]!);
  return { j: top, w };
}

function removeTarget(o: OutList, j: number): void {
  for (let t = 0; t < o.n; t++) {
    if (o.j[t] === j) {
      o.n--;
      o.j[t] = o.j[o.n]!;
      o.w[t] = o.w[o.n]!;
      return;
    }
  }
}

function addTarget(o: OutList, j: number, w: number): void {
  if (o.n === o.j.length) {
    const cap = Math.max(8, o.n * 2);
    const nj = new Int32Array(cap);
    nj.set(o.j);
    const nw = new Float32Array(cap);
    nw.set(o.w);
    o.j = nj;
    o.w = nw;
  }
  o.j[o.n] = j;
  o.w[o.n] = w;
  o.n++;
}
