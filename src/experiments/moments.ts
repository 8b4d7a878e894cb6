/**
 * Sufficient statistics of per-unit values, kept as (n, mean, M2) rather than (n, sum, sum of squares):
 * the same information, mergeable across gateways and time buckets, but without the catastrophic cancellation
 * of sum(y^2) - n * mean^2 when the mean is large against the spread.
 *
 * - one value at a time: Welford (1962), "Note on a method for calculating corrected sums of squares and products".
 * - merging two partial summaries: Chan, Golub, LeVeque (1979/1983), "Updating formulae and a pairwise algorithm
 *   for computing sample variances": with d = mean_B - mean_A, n = n_A + n_B,
 *     mean = mean_A + d * n_B / n,   M2 = M2_A + M2_B + d^2 * n_A * n_B / n,
 *   and for a co-moment C = sum (x - mean_x)(y - mean_y):  C = C_A + C_B + d_x * d_y * n_A * n_B / n.
 */

/** Univariate moments: n units, their mean and M2 = sum over units of (y - mean)^2. */
export interface Moments {
  readonly n: number;
  readonly mean: number;
  readonly m2: number;
}

/** Per-variant summary as reported: n, mean and the sample variance s^2 = M2 / (n - 1) (NaN below 2 units). */
export interface Summary {
  readonly n: number;
  readonly mean: number;
  readonly variance: number;
}

export const EMPTY_MOMENTS: Moments = Object.freeze({ n: 0, mean: 0, m2: 0 });

/** Moments of a list of values (two passes: mean first, then squared deviations). */
export function momentsOf(values: ArrayLike<number>): Moments {
  const n = values.length;
  if (n === 0) return EMPTY_MOMENTS;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    m2 += d * d;
  }
  return { n, mean, m2 };
}

/** Welford's update: the moments with one more value. */
export function addValue(m: Moments, y: number): Moments {
  const n = m.n + 1;
  const delta = y - m.mean;
  const mean = m.mean + delta / n;
  return { n, mean, m2: m.m2 + delta * (y - mean) };
}

/** Chan et al.'s merge of two disjoint sets of units. */
export function mergeMoments(a: Moments, b: Moments): Moments {
  if (a.n === 0) return b;
  if (b.n === 0) return a;
  const n = a.n + b.n;
  const d = b.mean - a.mean;
  return { n, mean: a.mean + (d * b.n) / n, m2: a.m2 + b.m2 + (d * d * a.n * b.n) / n };
}

/** Sample variance s^2 = M2 / (n - 1); NaN below two units. */
export function sampleVariance(m: Moments): number {
  return m.n < 2 ? Number.NaN : m.m2 / (m.n - 1);
}

export function summarize(m: Moments): Summary {
  return { n: m.n, mean: m.n === 0 ? Number.NaN : m.mean, variance: sampleVariance(m) };
}

/** Summary straight from per-unit values. */
export function summarizeValues(values: ArrayLike<number>): Summary {
  return summarize(momentsOf(values));
}

/**
 * Bivariate moments of per-unit pairs (x, y): for CUPED (x = the unit's pre-experiment value of the metric) and for
 * ratio metrics (x = the denominator, e.g. impressions; y = the numerator, e.g. clicks).
 * cxy = sum (x - mean_x)(y - mean_y).
 */
export interface CoMoments {
  readonly n: number;
  readonly meanX: number;
  readonly meanY: number;
  readonly m2x: number;
  readonly m2y: number;
  readonly cxy: number;
}

export const EMPTY_CO_MOMENTS: CoMoments = Object.freeze({ n: 0, meanX: 0, meanY: 0, m2x: 0, m2y: 0, cxy: 0 });

export function coMomentsOf(xs: ArrayLike<number>, ys: ArrayLike<number>): CoMoments {
  if (xs.length !== ys.length) throw new RangeError(`x and y differ in length: ${xs.length} vs ${ys.length}`);
  const n = xs.length;
  if (n === 0) return EMPTY_CO_MOMENTS;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i]!;
    sy += ys[i]!;
  }
  const meanX = sx / n;
  const meanY = sy / n;
  let m2x = 0;
  let m2y = 0;
  let cxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - meanX;
    const dy = ys[i]! - meanY;
    m2x += dx * dx;
    m2y += dy * dy;
    cxy += dx * dy;
  }
  return { n, meanX, meanY, m2x, m2y, cxy };
}

/** Welford's update for a pair. */
export function addPair(m: CoMoments, x: number, y: number): CoMoments {
  const n = m.n + 1;
  const dx = x - m.meanX;
  const dy = y - m.meanY;
  const meanX = m.meanX + dx / n;
  const meanY = m.meanY + dy / n;
  return {
    n,
    meanX,
    meanY,
    m2x: m.m2x + dx * (x - meanX),
    m2y: m.m2y + dy * (y - meanY),
    cxy: m.cxy + dx * (y - meanY),
  };
}

export function mergeCoMoments(a: CoMoments, b: CoMoments): CoMoments {
  if (a.n === 0) return b;
  if (b.n === 0) return a;
  const n = a.n + b.n;
  const dx = b.meanX - a.meanX;
  const dy = b.meanY - a.meanY;
  const w = (a.n * b.n) / n;
  return {
    n,
    meanX: a.meanX + (dx * b.n) / n,
    meanY: a.meanY + (dy * b.n) / n,
    m2x: a.m2x + b.m2x + dx * dx * w,
    m2y: a.m2y + b.m2y + dy * dy * w,
    cxy: a.cxy + b.cxy + dx * dy * w,
  };
}

/** The y side of bivariate moments. */
export function yMoments(m: CoMoments): Moments {
  return { n: m.n, mean: m.meanY, m2: m.m2y };
}

/** The x side of bivariate moments. */
export function xMoments(m: CoMoments): Moments {
  return { n: m.n, mean: m.meanX, m2: m.m2x };
}

/**
 * Moments of k per-unit variables at once: n, the k means and the k x k co-moment matrix
 * C[a][b] = sum (v_a - mean_a)(v_b - mean_b), row-major. For ratio metrics with a pre-experiment covariate
 * (cuped.ts: clicks, impressions, pre-period clicks, pre-period impressions). Merged like the bivariate form.
 */
export interface MultiMoments {
  readonly n: number;
  readonly means: readonly number[];
  readonly comoments: readonly number[];
}

export function emptyMultiMoments(k: number): MultiMoments {
  return { n: 0, means: new Array<number>(k).fill(0), comoments: new Array<number>(k * k).fill(0) };
}

/** Moments of rows of k values each (two passes). */
export function multiMomentsOf(rows: ReadonlyArray<ArrayLike<number>>, k = rows[0]?.length ?? 0): MultiMoments {
  const n = rows.length;
  if (n === 0) return emptyMultiMoments(k);
  const means = new Array<number>(k).fill(0);
  for (const r of rows) {
    if (r.length !== k) throw new RangeError(`every row needs ${k} values, got ${r.length}`);
    for (let a = 0; a < k; a++) means[a]! += r[a]!;
  }
  for (let a = 0; a < k; a++) means[a]! /= n;
  const comoments = new Array<number>(k * k).fill(0);
  const d = new Array<number>(k);
  for (const r of rows) {
    for (let a = 0; a < k; a++) d[a] = r[a]! - means[a]!;
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) comoments[a * k + b]! += d[a]! * d[b]!;
  }
  return { n, means, comoments };
}

/** Welford's update with one row. */
export function addRow(m: MultiMoments, row: ArrayLike<number>): MultiMoments {
  return mergeMultiMoments(m, multiMomentsOf([row], m.means.length));
}

export function mergeMultiMoments(a: MultiMoments, b: MultiMoments): MultiMoments {
  const k = a.means.length;
  if (b.means.length !== k) throw new RangeError(`cannot merge moments of ${k} and ${b.means.length} variables`);
  if (a.n === 0) return b;
  if (b.n === 0) return a;
  const n = a.n + b.n;
  const d = a.means.map((m, i) => b.means[i]! - m);
  const w = (a.n * b.n) / n;
  return {
    n,
    means: a.means.map((m, i) => m + (d[i]! * b.n) / n),
    comoments: a.comoments.map((c, idx) => c + b.comoments[idx]! + d[Math.floor(idx / k)]! * d[idx % k]! * w),
  };
}
