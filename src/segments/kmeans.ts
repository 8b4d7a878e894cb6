/**
 * k-means on row-major Float64Array data: greedy k-means++ seeding, Lloyd iterations, several restarts
 * (best inertia wins), deterministic for a seed, optional seeding/restarts on a random sample for large n
 * followed by full-data Lloyd refinement, silhouette on a sample, and k chosen by silhouette.
 *
 * Pure and dependency-free.
 */
import { createRng, randInt, sampleIndices, subSeed, type Rng } from './random.js';

export interface KMeansOptions {
  k: number;
  /** Default 42. */
  seed?: number;
  /** Independent k-means++ starts; the one with the lowest inertia is kept. Default 8. */
  restarts?: number;
  /** Lloyd iterations per run. Default 100. */
  maxIter?: number;
  /** Stop when no centroid moved more than this (squared, in standardised feature units). Default 1e-6. */
  tol?: number;
  /**
   * When n is above this, restarts run on a random sample of this many points and only the best start is
   * refined on all points (Lloyd from its centroids). Default 50,000. Set Infinity to always use all points.
   */
  sampleSize?: number;
  /** Full-data Lloyd iterations after fitting on a sample. Default 30. */
  refineIter?: number;
}

export interface KMeansResult {
  k: number;
  d: number;
  /** k x d, row-major. */
  centroids: Float64Array;
  /** Cluster of each point. */
  labels: Int32Array;
  sizes: Int32Array;
  /** Sum of squared distances to the assigned centroid (over all points). */
  inertia: number;
  /** Lloyd iterations of the final (full-data) run. */
  iterations: number;
}

function sqDist(data: Float64Array, i: number, cents: Float64Array, c: number, d: number): number {
  let s = 0;
  const a = i * d;
  const b = c * d;
  for (let j = 0; j < d; j++) {
    const t = data[a + j]! - cents[b + j]!;
    s += t * t;
  }
  return s;
}

/** Index of the nearest centroid of a single point `x` (length d). */
export function nearestCentroid(centroids: Float64Array | readonly number[], k: number, d: number, x: ArrayLike<number>): number {
  let best = 0;
  let bestD = Number.POSITIVE_INFINITY;
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const t = x[j]! - centroids[c * d + j]!;
      s += t * t;
    }
    if (s < bestD) {
      bestD = s;
      best = c;
    }
  }
  return best;
}

/**
 * Assigns every point to its nearest centroid. Writes labels and squared distances; returns inertia.
 * When `sums`/`sizes` are given it also accumulates per-cluster coordinate sums and counts (one fused pass
 * per Lloyd iteration), and `changed[0]` receives the number of points whose label changed.
 * Unrolled loops for d <= 4 keep the 1M-point pass fast.
 */
export function assignAll(
  data: Float64Array,
  n: number,
  d: number,
  centroids: Float64Array,
  k: number,
  labels: Int32Array,
  dist?: Float64Array,
  sums?: Float64Array,
  sizes?: Int32Array,
  changed?: Int32Array,
): number {
  let inertia = 0;
  let moved = 0;
  if (sums) sums.fill(0);
  if (sizes) sizes.fill(0);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestD = Number.POSITIVE_INFINITY;
    const a = i * d;
    if (d === 4) {
      const x0 = data[a]!,
        x1 = data[a + 1]!,
        x2 = data[a + 2]!,
        x3 = data[a + 3]!;
      for (let c = 0, b = 0; c < k; c++, b += 4) {
        const t0 = x0 - centroids[b]!,
          t1 = x1 - centroids[b + 1]!,
          t2 = x2 - centroids[b + 2]!,
          t3 = x3 - centroids[b + 3]!;
        const s = t0 * t0 + t1 * t1 + t2 * t2 + t3 * t3;
        if (s < bestD) {
          bestD = s;
          best = c;
        }
      }
    } else if (d === 3) {
      const x0 = data[a]!,
        x1 = data[a + 1]!,
        x2 = data[a + 2]!;
      for (let c = 0, b = 0; c < k; c++, b += 3) {
        const t0 = x0 - centroids[b]!,
          t1 = x1 - centroids[b + 1]!,
          t2 = x2 - centroids[b + 2]!;
        const s = t0 * t0 + t1 * t1 + t2 * t2;
        if (s < bestD) {
          bestD = s;
          best = c;
        }
      }
    } else if (d === 2) {
      const x0 = data[a]!,
        x1 = data[a + 1]!;
      for (let c = 0, b = 0; c < k; c++, b += 2) {
        const t0 = x0 - centroids[b]!,
          t1 = x1 - centroids[b + 1]!;
        const s = t0 * t0 + t1 * t1;
        if (s < bestD) {
          bestD = s;
          best = c;
        }
      }
    } else {
      for (let c = 0; c < k; c++) {
        const b = c * d;
        let s = 0;
        for (let j = 0; j < d; j++) {
          const t = data[a + j]! - centroids[b + j]!;
          s += t * t;
        }
        if (s < bestD) {
          bestD = s;
          best = c;
        }
      }
    }
    if (labels[i] !== best) {
      moved++;
      labels[i] = best;
    }
    if (dist) dist[i] = bestD;
    inertia += bestD;
    if (sums && sizes) {
      sizes[best]!++;
      const b = best * d;
      for (let j = 0; j < d; j++) sums[b + j]! += data[a + j]!;
    }
  }
  if (changed) changed[0] = moved;
  return inertia;
}

/** Greedy k-means++ (2 + ln k candidates per step, keep the one that lowers potential most). */
export function kmeansPlusPlus(data: Float64Array, n: number, d: number, k: number, rng: Rng): Float64Array {
  if (n === 0) throw new Error('kmeans++: no points');
  const cents = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  const closest = new Float64Array(n);
  const cand = new Float64Array(n);
  const bestCand = new Float64Array(n);
  const first = randInt(rng, n);
  cents.set(data.subarray(first * d, first * d + d), 0);
  let pot = 0;
  for (let i = 0; i < n; i++) {
    closest[i] = sqDist(data, i, cents, 0, d);
    pot += closest[i]!;
  }
  for (let c = 1; c < k; c++) {
    let bestIdx = -1;
    let bestPot = Number.POSITIVE_INFINITY;
    for (let t = 0; t < trials; t++) {
      // Sample proportionally to D^2 (uniformly if all points coincide with chosen centres).
      let idx: number;
      if (pot <= 0) {
        idx = randInt(rng, n);
      } else {
        let r = rng() * pot;
        idx = n - 1;
        for (let i = 0; i < n; i++) {
          r -= closest[i]!;
          if (r <= 0) {
            idx = i;
            break;
          }
        }
      }
      let p = 0;
      const o = idx * d;
      for (let i = 0; i < n; i++) {
        const a = i * d;
        let s = 0;
        for (let j = 0; j < d; j++) {
          const u = data[a + j]! - data[o + j]!;
          s += u * u;
        }
        const v = s < closest[i]! ? s : closest[i]!;
        cand[i] = v;
        p += v;
      }
      if (p < bestPot) {
        bestPot = p;
        bestIdx = idx;
        bestCand.set(cand);
      }
    }
    cents.set(data.subarray(bestIdx * d, bestIdx * d + d), c * d);
    closest.set(bestCand);
    pot = bestPot;
  }
  return cents;
}

/**
 * Lloyd iterations from `init` (copied) until no label changes, the largest squared centroid move is
 * <= tol, or maxIter. Empty clusters are re-seeded with the farthest points.
 */
export function lloyd(data: Float64Array, n: number, d: number, init: Float64Array, k: number, maxIter = 100, tol = 1e-8): KMeansResult {
  const cents = Float64Array.from(init);
  const labels = new Int32Array(n).fill(-1);
  const dist = new Float64Array(n);
  const sums = new Float64Array(k * d);
  const sizes = new Int32Array(k);
  const changed = new Int32Array(1);
  let inertia = assignAll(data, n, d, cents, k, labels, dist, sums, sizes, changed);
  let it = 0;
  while (it < maxIter) {
    it++;
    let shift = 0;
    let taken: Set<number> | null = null;
    for (let c = 0; c < k; c++) {
      const b = c * d;
      if (sizes[c] === 0) {
        // Re-seed with the point farthest from its centroid that was not used already.
        taken ??= new Set<number>();
        let far = -1;
        let farD = -1;
        for (let i = 0; i < n; i++) {
          if (dist[i]! > farD && !taken.has(i)) {
            farD = dist[i]!;
            far = i;
          }
        }
        if (far >= 0) {
          taken.add(far);
          for (let j = 0; j < d; j++) {
            const v = data[far * d + j]!;
            shift = Math.max(shift, (v - cents[b + j]!) ** 2);
            cents[b + j] = v;
          }
          dist[far] = 0;
        }
        continue;
      }
      for (let j = 0; j < d; j++) {
        const v = sums[b + j]! / sizes[c]!;
        const u = v - cents[b + j]!;
        if (u * u > shift) shift = u * u;
        cents[b + j] = v;
      }
    }
    inertia = assignAll(data, n, d, cents, k, labels, dist, sums, sizes, changed);
    if (changed[0] === 0 || shift <= tol) break;
  }
  return { k, d, centroids: cents, labels, sizes, inertia, iterations: it };
}

function gatherRows(data: Float64Array, d: number, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length * d);
  for (let r = 0; r < idx.length; r++) out.set(data.subarray(idx[r]! * d, idx[r]! * d + d), r * d);
  return out;
}

interface ResolvedOptions {
  seed: number;
  restarts: number;
  maxIter: number;
  tol: number;
  sampleSize: number;
  refineIter: number;
}

function resolve(opts: Omit<KMeansOptions, 'k'>): ResolvedOptions {
  return {
    seed: opts.seed ?? 42,
    restarts: Math.max(1, Math.floor(opts.restarts ?? 8)),
    maxIter: opts.maxIter ?? 100,
    tol: opts.tol ?? 1e-6,
    sampleSize: opts.sampleSize ?? 50_000,
    refineIter: opts.refineIter ?? 30,
  };
}

/** Best-of-restarts k-means++ / Lloyd on the given points. */
function bestOfRestarts(data: Float64Array, n: number, d: number, k: number, o: ResolvedOptions): KMeansResult {
  let best: KMeansResult | null = null;
  for (let r = 0; r < o.restarts; r++) {
    const rng = createRng(subSeed(o.seed, r));
    const init = kmeansPlusPlus(data, n, d, k, rng);
    const res = lloyd(data, n, d, init, k, o.maxIter, o.tol);
    if (!best || res.inertia < best.inertia) best = res;
  }
  return best!;
}

/** The fitting sample for large n (sorted row indices, gathered rows), or null when n <= sampleSize. */
function fitSample(data: Float64Array, n: number, d: number, o: ResolvedOptions): { idx: Int32Array; rows: Float64Array } | null {
  if (n <= o.sampleSize) return null;
  const idx = sampleIndices(createRng(subSeed(o.seed, 7919)), n, o.sampleSize);
  idx.sort();
  return { idx, rows: gatherRows(data, d, idx) };
}

/**
 * k-means with k-means++ seeding and restarts, deterministic for a given seed and row order.
 * For n above `sampleSize`, restarts run on a random sample and the best is refined on all points
 * (at most `refineIter` full-data Lloyd iterations), so every point gets a label.
 */
export function kmeans(data: Float64Array, d: number, opts: KMeansOptions): KMeansResult {
  const n = Math.floor(data.length / d);
  const k = Math.floor(opts.k);
  if (!(k >= 1)) throw new Error(`kmeans: k must be >= 1 (got ${opts.k})`);
  if (n < k) throw new Error(`kmeans: need at least k=${k} points (got ${n})`);
  const o = resolve(opts);
  const sample = fitSample(data, n, d, o);
  if (!sample) return bestOfRestarts(data, n, d, k, o);
  const best = bestOfRestarts(sample.rows, sample.idx.length, d, k, o);
  return lloyd(data, n, d, best.centroids, k, o.refineIter, o.tol);
}

export interface SilhouetteOptions {
  /** Points used (random sample without replacement); all points when n <= sampleSize. Default 2000. */
  sampleSize?: number;
  seed?: number;
  /** Use exactly these point indices instead of sampling. */
  indices?: Int32Array;
}

/** Mean silhouette coefficient (Euclidean) over a sample; points in singleton clusters score 0. */
export function silhouette(data: Float64Array, d: number, labels: Int32Array, k: number, opts: SilhouetteOptions = {}): number {
  const n = labels.length;
  const idx = opts.indices ?? silhouetteSample(n, opts.sampleSize ?? 2000, opts.seed ?? 42);
  const m = idx.length;
  if (m < 2 || k < 2) return 0;
  const sums = new Float64Array(k);
  const counts = new Int32Array(k);
  for (let r = 0; r < m; r++) counts[labels[idx[r]!]!]!++;
  let total = 0;
  for (let r = 0; r < m; r++) {
    const i = idx[r]!;
    const li = labels[i]!;
    sums.fill(0);
    const a0 = i * d;
    for (let q = 0; q < m; q++) {
      if (q === r) continue;
      const o = idx[q]! * d;
      let s = 0;
      for (let j = 0; j < d; j++) {
        const t = data[a0 + j]! - data[o + j]!;
        s += t * t;
      }
      sums[labels[idx[q]!]!]! += Math.sqrt(s);
    }
    if (counts[li]! <= 1) continue; // s(i) = 0
    const a = sums[li]! / (counts[li]! - 1);
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      if (c === li || counts[c] === 0) continue;
      const v = sums[c]! / counts[c]!;
      if (v < b) b = v;
    }
    if (!Number.isFinite(b)) continue;
    const den = Math.max(a, b);
    total += den > 0 ? (b - a) / den : 0;
  }
  return total / m;
}

/** The sample of point indices the silhouette uses (sorted); all points when n <= size. */
export function silhouetteSample(n: number, size: number, seed: number): Int32Array {
  if (n <= size) {
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    return all;
  }
  const idx = sampleIndices(createRng(subSeed(seed, 104729)), n, size);
  idx.sort();
  return idx;
}

export interface ChooseKOptions extends Omit<KMeansOptions, 'k'> {
  kRange: [number, number];
  silhouetteSampleSize?: number;
}

export interface KScore {
  k: number;
  /** On the silhouette sample (of the fitting sample when n > sampleSize). */
  silhouette: number;
  /** Of the fit that was compared (on the fitting sample when n > sampleSize). */
  inertia: number;
}

/**
 * Fits every k in the range and keeps the one with the highest silhouette (same silhouette sample for
 * every k). For large n, the k's are compared on the fitting sample and only the chosen k is refined on all
 * points; the returned silhouette is then recomputed on the full-data labels.
 */
export function chooseK(data: Float64Array, d: number, opts: ChooseKOptions): { best: KMeansResult; silhouette: number; scores: KScore[] } {
  const n = Math.floor(data.length / d);
  const [lo, hi] = opts.kRange;
  const kMin = Math.max(2, Math.floor(Math.min(lo, hi)));
  const kMax = Math.min(n, Math.floor(Math.max(lo, hi)));
  if (kMax < kMin) throw new Error(`chooseK: empty k range [${lo}, ${hi}] for n=${n}`);
  const o = resolve(opts);
  const silSize = opts.silhouetteSampleSize ?? 2000;
  const sample = fitSample(data, n, d, o);
  const fitData = sample ? sample.rows : data;
  const fitN = sample ? sample.idx.length : n;
  const silIdx = silhouetteSample(fitN, silSize, o.seed);
  const scores: KScore[] = [];
  let best: KMeansResult | null = null;
  let bestSil = Number.NEGATIVE_INFINITY;
  for (let k = kMin; k <= kMax; k++) {
    const res = bestOfRestarts(fitData, fitN, d, k, o);
    const sil = silhouette(fitData, d, res.labels, k, { indices: silIdx });
    scores.push({ k, silhouette: sil, inertia: res.inertia });
    if (sil > bestSil + 1e-12) {
      bestSil = sil;
      best = res;
    }
  }
  if (!sample) return { best: best!, silhouette: bestSil, scores };
  const full = lloyd(data, n, d, best!.centroids, best!.k, o.refineIter, o.tol);
  const sil = silhouette(data, d, full.labels, full.k, { indices: silhouetteSample(n, silSize, o.seed) });
  return { best: full, silhouette: sil, scores };
}
