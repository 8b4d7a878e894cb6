import type { InteractionIndex, UserHistory } from './interactions';
import { choleskySolve, topK } from './linalg';

/**
 * Implicit-feedback matrix factorisation (Hu, Koren, Volinsky 2008, "Collaborative Filtering for Implicit
 * Feedback Datasets"), served online.
 *
 * Model: every (user, item) pair with evidence r_ui > 0 is a positive (p_ui = 1) with confidence
 *   c_ui = 1 + alpha r_ui                      (confidence "linear", the paper's first form), or
 *   c_ui = 1 + alpha log(1 + r_ui / epsilon)   (confidence "log", its second form);
 * every other pair is a negative (p = 0) with confidence 1. r_ui is the entry's evidence in the interaction
 * index (sum of the event-type weights: 3 purchases = 3), optionally halved for every `halfLifeDays` it is
 * older than the user's latest event. Factors minimise
 *   sum_ui c_ui (p_ui - x_u . y_i)^2 + lambda (|x_u|^2 + |y_i|^2)
 * by alternating least squares. One user's step, with Y the item factors and G = Y^T Y (k x k):
 *   (G + lambda I + sum_{i in H_u} (c_ui - 1) y_i y_i^T) x_u = sum_{i in H_u} c_ui y_i,
 * which costs |H_u| k^2 / 2 + k^3 / 6, not items x k^2: the negatives are all inside G.
 *
 * Online: item factors Y (and G) are the model; user vectors are not stored. At request time the user's
 * vector is solved from the live history with exactly the equation above (fold-in, `foldIn`, Cholesky), so
 * an event counts at the next request. Y is refit in the background (`OnlineAls`: a worker thread per refit,
 * warm-started from the previous Y), and a finished fit replaces the served snapshot with one assignment:
 * a snapshot is never written to after it is published.
 *
 * Fit solver: `cgSteps` = 0 solves every row exactly (Cholesky, as fold-in); > 0 takes that many conjugate
 * gradient steps per row from the row's previous value (Takacs et al. 2011, as the `implicit` library does),
 * O(|H_u| k) per step instead of O(|H_u| k^2): what keeps a fit of millions of interactions in seconds.
 */
export type AlsConfidence = 'linear' | 'log';

export interface AlsOptions {
  factors: number;
  regularization: number;
  alpha: number;
  confidence: AlsConfidence;
  /** epsilon of the log confidence. */
  logEpsilon: number;
  iterations: number;
  /** Conjugate-gradient steps per row in the fit; 0 = exact Cholesky solves. */
  cgSteps: number;
  /** Evidence halves for every this many days an entry is older than the user's latest event; 0 = no decay. */
  halfLifeDays: number;
  seed: number;
  /** Background refit period while events arrive; 0 = only on demand (refreshNow / refit). */
  refitMinutes: number;
  /** Threads of a background refit (worker threads sharing the factors); 1 = the refit worker alone. */
  threads: number;
  /** Candidates (best dot products) a request hands to the recommender, besides the user's own items. */
  candidates: number;
  /** Of those, how many best ones get an exact explanation (the history item that contributed most). */
  explain: number;
  /**
   * Above this many items, `als` inside a blend scores only the candidates the blend's other parts
   * proposed (a dot product per candidate) instead of every item: a full scan costs items x factors per
   * request (50,000 x 128 is about 6-13 ms here, BENCHMARKS.md). Alone, `als` always scans every item.
   */
  exactMaxItems: number;
}

// Chosen with `flywheel tune --als` on the development slice, train before 2011-07-01, validation July 2011
// (before both evaluation months; grids and figures in BENCHMARKS.md).
export const DEFAULT_ALS_OPTIONS: AlsOptions = {
  factors: 128,
  regularization: 35,
  alpha: 3,
  confidence: 'linear',
  logEpsilon: 1,
  iterations: 8,
  cgSteps: 3,
  halfLifeDays: 180,
  seed: 42,
  refitMinutes: 15,
  threads: 2,
  candidates: 300,
  explain: 16,
  exactMaxItems: 20_000,
};

/** The served model: item factors and their Gram matrix. Never mutated after it is published. */
export interface AlsSnapshot {
  readonly k: number;
  /** Items with factors (item indexes below it); newer items get none until the next refit. */
  readonly items: number;
  /** items x k, row-major. */
  readonly Y: Float64Array;
  /** Y^T Y, k x k. */
  readonly G: Float64Array;
  readonly lambda: number;
  /** Index change counter at the fit (staleness). */
  readonly changes: number;
  readonly fitMs: number;
  readonly version: number;
}

/** A user x item matrix in CSR form, with the confidence of each entry. */
export interface AlsMatrix {
  users: number;
  items: number;
  indptr: Int32Array;
  idx: Int32Array;
  conf: Float32Array;
}

export function confidenceOf(o: Pick<AlsOptions, 'alpha' | 'confidence' | 'logEpsilon'>, r: number): number {
  return o.confidence === 'log' ? 1 + o.alpha * Math.log1p(r / o.logEpsilon) : 1 + o.alpha * r;
}

/**
 * One user's row: items below `items` and their confidences, into `idx`/`conf` from position `at`. The fit
 * and the fold-in both build rows here, so fold-in solves the very system the fit solved for that user.
 */
export function userRow(
  h: UserHistory,
  o: Pick<AlsOptions, 'alpha' | 'confidence' | 'logEpsilon' | 'halfLifeDays'>,
  items: number,
  idx: Int32Array,
  conf: Float32Array | Float64Array,
  at = 0,
): number {
  let n = at;
  const decay = o.halfLifeDays > 0 ? 1 / (o.halfLifeDays * 86_400_000) : 0;
  for (let t = 0; t < h.n; t++) {
    const i = h.items[t]!;
    if (i >= items) continue;
    let r = h.count[t]!;
    if (decay > 0) r *= Math.pow(0.5, Math.max(0, h.latest - h.last[t]!) * decay);
    if (!(r > 0)) continue;
    idx[n] = i;
    conf[n] = confidenceOf(o, r);
    n++;
  }
  return n - at;
}

/** The index as a CSR matrix (every user with a positive entry; row order = user index). */
export function matrixFromIndex(index: InteractionIndex, o: AlsOptions): AlsMatrix {
  const users = index.users.length;
  const items = index.itemCount;
  let nnz = 0;
  for (const h of index.users) nnz += h.n;
  const indptr = new Int32Array(users + 1);
  const idx = new Int32Array(nnz);
  const conf = new Float32Array(nnz);
  let at = 0;
  for (let u = 0; u < users; u++) {
    at += userRow(index.users[u]!, o, items, idx, conf, at);
    indptr[u + 1] = at;
  }
  return { users, items, indptr, idx: idx.subarray(0, at), conf: conf.subarray(0, at) };
}

export function transpose(m: AlsMatrix): AlsMatrix {
  const indptr = new Int32Array(m.items + 1);
  for (let t = 0; t < m.idx.length; t++) indptr[m.idx[t]! + 1]!++;
  for (let i = 0; i < m.items; i++) indptr[i + 1]! += indptr[i]!;
  const fill = indptr.slice(0, m.items);
  const idx = new Int32Array(m.idx.length);
  const conf = new Float32Array(m.idx.length);
  for (let u = 0; u < m.users; u++) {
    for (let t = m.indptr[u]!; t < m.indptr[u + 1]!; t++) {
      const p = fill[m.idx[t]!]!++;
      idx[p] = u;
      conf[p] = m.conf[t]!;
    }
  }
  return { users: m.items, items: m.users, indptr, idx, conf };
}

/** F^T F (k x k, both triangles) for n rows of F. */
export function gram(F: Float64Array, n: number, k: number): Float64Array {
  const G = new Float64Array(k * k);
  for (let r = 0; r < n; r++) {
    const o = r * k;
    for (let a = 0; a < k; a++) {
      const fa = F[o + a]!;
      if (fa === 0) continue;
      const ga = a * k;
      for (let b = 0; b <= a; b++) G[ga + b]! += fa * F[o + b]!;
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) G[b * k + a] = G[a * k + b]!;
  return G;
}

/**
 * Builds the row's normal equations into A (lower triangle + diagonal) and b, then solves by Cholesky into
 * `out`. A is left holding the Cholesky factor L (explanations reuse it).
 */
export function solveRow(
  F: Float64Array,
  G: Float64Array,
  k: number,
  lambda: number,
  idx: Int32Array,
  conf: ArrayLike<number>,
  from: number,
  to: number,
  A: Float64Array,
  b: Float64Array,
  out: Float64Array,
): Float64Array {
  for (let a = 0; a < k; a++) {
    const ra = a * k;
    for (let c = 0; c <= a; c++) A[ra + c] = G[ra + c]!;
    A[ra + a]! += lambda;
    b[a] = 0;
  }
  for (let t = from; t < to; t++) {
    const o = idx[t]! * k;
    const c = conf[t]!;
    const w = c - 1;
    for (let a = 0; a < k; a++) {
      const ya = F[o + a]!;
      b[a]! += c * ya;
      if (w === 0 || ya === 0) continue;
      const wa = w * ya;
      const ra = a * k;
      for (let d = 0; d <= a; d++) A[ra + d]! += wa * F[o + d]!;
    }
  }
  return choleskySolve(A, b, k, out);
}

/** A few conjugate-gradient steps on the row's system, from the row's current value in X (updated in place). */
function cgRow(
  X: Float64Array,
  row: number,
  F: Float64Array,
  G: Float64Array,
  k: number,
  lambda: number,
  idx: Int32Array,
  conf: Float32Array,
  from: number,
  to: number,
  steps: number,
  r: Float64Array,
  p: Float64Array,
  Ap: Float64Array,
): void {
  const xo = row * k;
  // r = b - A x, with A x = G x + lambda x + sum (c - 1)(y . x) y and b = sum c y
  for (let a = 0; a < k; a++) {
    let s = lambda * X[xo + a]!;
    const ga = a * k;
    for (let d = 0; d < k; d++) s += G[ga + d]! * X[xo + d]!;
    r[a] = -s;
  }
  for (let t = from; t < to; t++) {
    const o = idx[t]! * k;
    const c = conf[t]!;
    let yx = 0;
    for (let a = 0; a < k; a++) yx += F[o + a]! * X[xo + a]!;
    const f = c - (c - 1) * yx;
    for (let a = 0; a < k; a++) r[a]! += f * F[o + a]!;
  }
  let rs = 0;
  for (let a = 0; a < k; a++) {
    p[a] = r[a]!;
    rs += r[a]! * r[a]!;
  }
  for (let step = 0; step < steps && rs > 1e-20; step++) {
    for (let a = 0; a < k; a++) {
      let s = lambda * p[a]!;
      const ga = a * k;
      for (let d = 0; d < k; d++) s += G[ga + d]! * p[d]!;
      Ap[a] = s;
    }
    for (let t = from; t < to; t++) {
      const o = idx[t]! * k;
      const w = conf[t]! - 1;
      if (w === 0) continue;
      let yp = 0;
      for (let a = 0; a < k; a++) yp += F[o + a]! * p[a]!;
      const f = w * yp;
      for (let a = 0; a < k; a++) Ap[a]! += f * F[o + a]!;
    }
    let pAp = 0;
    for (let a = 0; a < k; a++) pAp += p[a]! * Ap[a]!;
    if (!(pAp > 0)) break;
    const alpha = rs / pAp;
    let rsNew = 0;
    for (let a = 0; a < k; a++) {
      X[xo + a]! += alpha * p[a]!;
      r[a]! -= alpha * Ap[a]!;
      rsNew += r[a]! * r[a]!;
    }
    const beta = rsNew / rs;
    for (let a = 0; a < k; a++) p[a] = r[a]! + beta * p[a]!;
    rs = rsNew;
  }
}

/** One half-step: rows [from, to) of X from F (the other side's factors). */
function solveSide(X: Float64Array, m: AlsMatrix, F: Float64Array, nF: number, o: AlsOptions, rowFrom = 0, rowTo = m.users): void {
  const k = o.factors;
  const G = gram(F, nF, k);
  const A = new Float64Array(k * k);
  const b = new Float64Array(k);
  const out = new Float64Array(k);
  const p = new Float64Array(k);
  const Ap = new Float64Array(k);
  for (let row = rowFrom; row < rowTo; row++) {
    const from = m.indptr[row]!;
    const to = m.indptr[row + 1]!;
    if (from === to) {
      X.fill(0, row * k, row * k + k);
      continue;
    }
    if (o.cgSteps > 0) cgRow(X, row, F, G, k, o.regularization, m.idx, m.conf, from, to, o.cgSteps, b, p, Ap);
    else {
      solveRow(F, G, k, o.regularization, m.idx, m.conf, from, to, A, b, out);
      X.set(out, row * k);
    }
  }
}

/**
 * Splits rows into `parts` ranges of about equal work (a row costs its entries x k plus k^2 for the Gram
 * product): boundaries[t]..boundaries[t + 1] is part t's.
 */
export function rowRanges(indptr: Int32Array, rows: number, parts: number, k: number): Int32Array {
  const cost = (r: number) => (indptr[r + 1]! - indptr[r]!) * 2 + k;
  let total = 0;
  for (let r = 0; r < rows; r++) total += cost(r);
  const out = new Int32Array(parts + 1);
  let acc = 0;
  let t = 1;
  for (let r = 0; r < rows && t < parts; r++) {
    acc += cost(r);
    if (acc >= (total * t) / parts) out[t++] = r + 1;
  }
  for (; t <= parts; t++) out[t] = rows;
  return out;
}

/** The part of a fit one thread does: its rows of each side. */
export interface FitPart {
  users: [number, number];
  items: [number, number];
}

/**
 * The alternating sweeps over one thread's rows; `sync` waits until every thread finished the half-step
 * (each thread computes the Gram matrix of the side it reads itself, so no other sharing is needed). Rows
 * are independent given the other side, so any split gives the very same factors as one thread.
 */
export function fitSweeps(
  m: AlsMatrix,
  mt: AlsMatrix,
  X: Float64Array,
  Y: Float64Array,
  o: AlsOptions,
  iterations: number,
  part: FitPart,
  sync: () => void,
): void {
  for (let it = 0; it < iterations; it++) {
    solveSide(X, m, Y, m.items, o, part.users[0], part.users[1]);
    sync();
    solveSide(Y, mt, X, m.users, o, part.items[0], part.items[1]);
    sync();
  }
  // The last step is the users', against the final Y, so X is what fold-in gives (with cgSteps = 0, exactly).
  solveSide(X, m, Y, m.items, o, part.users[0], part.users[1]);
  sync();
}

/** Seeded normal-ish initial factors (sum of uniforms), scaled small. */
export function initFactors(n: number, k: number, seed: number, into?: Float64Array): Float64Array {
  const F = into ?? new Float64Array(n * k);
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const scale = 0.1 / Math.sqrt(k);
  for (let t = 0; t < n * k; t++) F[t] = (rnd() + rnd() + rnd() - 1.5) * scale;
  return F;
}

export interface AlsFit {
  /** Item factors (items x k). */
  Y: Float64Array;
  /** User factors from the fit's last user step (users x k). */
  X: Float64Array;
  fitMs: number;
}

/**
 * Fits item (and user) factors. `initY`: item factors to start from (a previous fit; its first rows are
 * reused, new items start random), which lets a background refit take fewer iterations.
 */
export function fitAls(m: AlsMatrix, o: AlsOptions, initY?: Float64Array, iterations = o.iterations): AlsFit {
  const started = performance.now();
  const k = o.factors;
  const Y = initFactors(m.items, k, o.seed);
  if (initY) Y.set(initY.subarray(0, Math.min(initY.length, Y.length)));
  const X = initFactors(m.users, k, o.seed + 1);
  const mt = transpose(m);
  fitSweeps(m, mt, X, Y, o, iterations, { users: [0, m.users], items: [0, m.items] }, () => undefined);
  return { Y, X, fitMs: performance.now() - started };
}

export function snapshotOf(Y: Float64Array, items: number, o: AlsOptions, changes: number, fitMs: number, version: number): AlsSnapshot {
  return Object.freeze({ k: o.factors, items, Y, G: gram(Y, items, o.factors), lambda: o.regularization, changes, fitMs, version });
}

/** Per-request scratch of a fold-in (reused; requests are synchronous). */
export class FoldInScratch {
  A = new Float64Array(0);
  b = new Float64Array(0);
  x = new Float64Array(0);
  idx = new Int32Array(0);
  /** Float32 like the fit's matrix, so fold-in solves exactly the system the fit solved. */
  conf = new Float32Array(0);
  n = 0;
  ensure(k: number, n: number): void {
    if (this.A.length < k * k) {
      this.A = new Float64Array(k * k);
      this.b = new Float64Array(k);
      this.x = new Float64Array(k);
    }
    if (this.idx.length < n) {
      this.idx = new Int32Array(Math.max(n, this.idx.length * 2, 64));
      this.conf = new Float32Array(this.idx.length);
    }
  }
}

/**
 * The user's vector from their live history against a snapshot (exact: Cholesky of the k x k system).
 * Returns false when no history item has factors. On return `s.x` holds x_u, `s.A` its factor L, and
 * `s.idx`/`s.conf`/`s.n` the row.
 */
export function foldIn(model: AlsSnapshot, h: UserHistory, o: AlsOptions, s: FoldInScratch): boolean {
  s.ensure(model.k, h.n);
  s.n = userRow(h, o, model.items, s.idx, s.conf);
  if (s.n === 0) return false;
  solveRow(model.Y, model.G, model.k, model.lambda, s.idx, s.conf, 0, s.n, s.A, s.b, s.x);
  return true;
}

/**
 * Contribution of each history entry t to the score of item j: c_ut y_t^T W y_j with W = A^-1 (the
 * paper's explanation; the contributions sum to the score). Returns the entry with the largest one.
 */
export function explain(model: AlsSnapshot, s: FoldInScratch, j: number, z: Float64Array): number {
  const k = model.k;
  const L = s.A;
  const Y = model.Y;
  // z = A^-1 y_j: forward then backward substitution with L (lower triangle of s.A)
  const o = j * k;
  for (let i = 0; i < k; i++) {
    let v = Y[o + i]!;
    const ri = i * k;
    for (let c = 0; c < i; c++) v -= L[ri + c]! * z[c]!;
    z[i] = v / L[ri + i]!;
  }
  for (let i = k - 1; i >= 0; i--) {
    let v = z[i]!;
    for (let c = i + 1; c < k; c++) v -= L[c * k + i]! * z[c]!;
    z[i] = v / L[i * k + i]!;
  }
  let best = -1;
  let bestV = -Infinity;
  for (let t = 0; t < s.n; t++) {
    const io = s.idx[t]! * k;
    let d = 0;
    for (let a = 0; a < k; a++) d += Y[io + a]! * z[a]!;
    const v = s.conf[t]! * d;
    if (v > bestV) {
      bestV = v;
      best = s.idx[t]!;
    }
  }
  return best;
}

/** Scores every item with factors: out[j] = x . y_j. */
export function scoreAll(model: AlsSnapshot, x: Float64Array, out: Float64Array): void {
  const k = model.k;
  const Y = model.Y;
  for (let j = 0, o = 0; j < model.items; j++, o += k) {
    let d = 0;
    for (let a = 0; a < k; a++) d += x[a]! * Y[o + a]!;
    out[j] = d;
  }
}

/** Like scoreAll, for the items `ids[0..m)` only (the rest of `out` is left as it was). */
export function scoreSome(model: AlsSnapshot, x: Float64Array, ids: Int32Array, m: number, out: Float64Array): void {
  const k = model.k;
  const Y = model.Y;
  for (let t = 0; t < m; t++) {
    const j = ids[t]!;
    const o = j * k;
    let d = 0;
    for (let a = 0; a < k; a++) d += x[a]! * Y[o + a]!;
    out[j] = d;
  }
}

export { topK };
