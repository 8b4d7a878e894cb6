/**
 * Thompson sampling over a few arms with binary rewards (Thompson 1933; Chapelle, Li 2011, "An Empirical
 * Evaluation of Thompson Sampling"; Russo, Van Roy, Kazerouni, Osband, Wen 2018, "A Tutorial on Thompson
 * Sampling"), with an exploration floor, in the form the gateway needs: the probability with which each arm is
 * chosen is computed first, then one arm is drawn from those probabilities. So the probability a list was
 * chosen with is known exactly (it is the number the draw used), which is what off-policy estimates need
 * (off-policy.ts): the propensity logged with a list is not an estimate of the Thompson probability but the
 * very probability of the draw.
 *
 * Each arm k has a Beta(α_k, β_k) posterior on its success probability θ_k (α = 1 + successes,
 * β = 1 + failures with the uniform prior). Thompson sampling plays arm k with probability
 *
 *   p_k = P(θ_k > θ_j for all j ≠ k) = ∫ f_k(x) · Π_{j≠k} F_j(x) dx          (f, F: Beta density and CDF)
 *
 * computed here by quadrature (deterministic: the same counts give the same probabilities on every gateway
 * and in every test, with no random number involved). The exploration floor ε (each arm at least ε of the
 * requests, K·ε ≤ 1) mixes it with uniform allocation:
 *
 *   π_k = ε + (1 − K·ε) · p_k                 so π_k ≥ ε, Σ π_k = 1,
 *
 * which keeps every arm's propensity away from 0 (inverse-propensity weights are at most 1/ε).
 */

export interface BetaPosterior {
  readonly alpha: number;
  readonly beta: number;
}

/** Posterior after `pulls` trials with `successes` successes, from a Beta(priorAlpha, priorBeta) prior (uniform by default). */
export function betaPosterior(pulls: number, successes: number, priorAlpha = 1, priorBeta = 1): BetaPosterior {
  if (!(pulls >= 0 && successes >= 0 && successes <= pulls)) throw new RangeError(`betaPosterior: need 0 <= successes <= pulls, got ${successes} / ${pulls}`);
  return { alpha: priorAlpha + successes, beta: priorBeta + pulls - successes };
}

export function posteriorMean(p: BetaPosterior): number {
  return p.alpha / (p.alpha + p.beta);
}

/** Points per arm of the quadrature grid (over the arm's mean ± 12 standard deviations, clipped to [0, 1]). */
const POINTS_PER_ARM = 1024;
const SPREAD = 12;

/**
 * P(arm k has the highest θ) for independent Beta posteriors, by the trapezoid rule on a grid that is dense
 * where each posterior has its mass (POINTS_PER_ARM points over its mean ± 12 sd, all arms' grids merged), so a
 * posterior concentrated on a width of 1e-4 and a flat one are both resolved. Each density is normalised on
 * the grid and each CDF is its cumulative trapezoid sum; the result is renormalised to sum to 1 (the quadrature
 * error is checked against scipy's adaptive quadrature in test/unit/experiments/bandit-reference.test.ts).
 * Ties have probability zero for continuous posteriors. Cost: O(K² · POINTS_PER_ARM) exponentials and O(K³ ·
 * POINTS_PER_ARM) products: measured 0.5 ms for 2 arms, 0.9 ms for 3, 8 ms for 10 (warm, on the 2-core
 * development machine), which is why the bandit recomputes it only when its counts moved (src/outcomes/bandit.ts).
 */
export function probabilityBest(posteriors: readonly BetaPosterior[]): number[] {
  const k = posteriors.length;
  if (k === 0) return [];
  if (k === 1) return [1];
  for (const p of posteriors) {
    if (!(p.alpha >= 1 && p.beta >= 1 && Number.isFinite(p.alpha) && Number.isFinite(p.beta)))
      throw new RangeError(
        `probabilityBest: alpha and beta must be finite and at least 1 (a proper prior of at least uniform weight), got ${p.alpha}, ${p.beta}`,
      );
  }
  const grid = mergedGrid(posteriors);
  const m = grid.length;
  // Densities (normalised on the grid) and CDFs per arm.
  const dens: Float64Array[] = [];
  const cdfs: Float64Array[] = [];
  for (const p of posteriors) {
    const logf = new Float64Array(m);
    let max = -Infinity;
    for (let i = 0; i < m; i++) {
      const v = logBetaKernel(grid[i]!, p.alpha, p.beta);
      logf[i] = v;
      if (v > max) max = v;
    }
    const f = new Float64Array(m);
    for (let i = 0; i < m; i++) f[i] = Math.exp(logf[i]! - max);
    // f'(x) = f(x)·((α − 1)/x − (β − 1)/(1 − x)); at 0 and 1 a one-sided difference (the density may vanish there).
    const df = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const x = grid[i]!;
      if (x > 0 && x < 1) df[i] = f[i]! * ((p.alpha - 1) / x - (p.beta - 1) / (1 - x));
    }
    df[0] = (f[1]! - f[0]!) / (grid[1]! - grid[0]!);
    df[m - 1] = (f[m - 1]! - f[m - 2]!) / (grid[m - 1]! - grid[m - 2]!);
    // The CDF by the corrected trapezoid rule (Euler–Maclaurin: minus h²/12 · (f'(b) − f'(a)) per interval), O(h⁴).
    const cdf = new Float64Array(m);
    for (let i = 1; i < m; i++) {
      const h = grid[i]! - grid[i - 1]!;
      cdf[i] = cdf[i - 1]! + (h / 2) * (f[i - 1]! + f[i]!) - ((h * h) / 12) * (df[i]! - df[i - 1]!);
    }
    const total = cdf[m - 1]!;
    for (let i = 0; i < m; i++) {
      f[i] = f[i]! / total;
      cdf[i] = cdf[i]! / total;
    }
    dens.push(f);
    cdfs.push(cdf);
  }
  const out = new Array<number>(k).fill(0);
  const g = new Float64Array(m);
  for (let a = 0; a < k; a++) {
    for (let i = 0; i < m; i++) {
      let v = dens[a]![i]!;
      for (let b = 0; b < k && v > 0; b++) if (b !== a) v *= cdfs[b]![i]!;
      g[i] = v;
    }
    let s = 0;
    for (let i = 1; i < m; i++) s += ((g[i - 1]! + g[i]!) / 2) * (grid[i]! - grid[i - 1]!);
    out[a] = s;
  }
  const sum = out.reduce((x, y) => x + y, 0);
  return out.map((x) => x / sum);
}

/** (α − 1)·ln x + (β − 1)·ln(1 − x), the log of the Beta density up to its constant; 0·ln 0 is 0. */
function logBetaKernel(x: number, alpha: number, beta: number): number {
  const a = alpha === 1 ? 0 : (alpha - 1) * Math.log(x);
  const b = beta === 1 ? 0 : (beta - 1) * Math.log1p(-x);
  return a + b;
}

function mergedGrid(posteriors: readonly BetaPosterior[]): Float64Array {
  const points: number[] = [0, 1];
  for (const p of posteriors) {
    const n = p.alpha + p.beta;
    const mean = p.alpha / n;
    const sd = Math.sqrt((p.alpha * p.beta) / (n * n * (n + 1)));
    const lo = Math.max(0, mean - SPREAD * sd);
    const hi = Math.min(1, mean + SPREAD * sd);
    for (let i = 0; i <= POINTS_PER_ARM; i++) points.push(lo + ((hi - lo) * i) / POINTS_PER_ARM);
  }
  const sorted = Float64Array.from(points).sort();
  let w = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i]! > sorted[w - 1]!) sorted[w++] = sorted[i]!;
  return sorted.subarray(0, w);
}

/** The largest floor K arms allow (K·ε ≤ 1: at ε = 1/K allocation is uniform). */
export function maxExplorationFloor(arms: number): number {
  return 1 / arms;
}

/**
 * Traffic shares π_k = ε + (1 − K·ε)·p_k from the Thompson probabilities p (summing to 1) and the floor ε in
 * [0, 1/K]. Every share is at least ε and they sum to 1.
 */
export function withExplorationFloor(probabilities: readonly number[], floor: number): number[] {
  const k = probabilities.length;
  if (!(floor >= 0 && floor * k <= 1 + 1e-12)) throw new RangeError(`exploration floor must be in [0, 1/${k}], got ${floor}`);
  const rest = Math.max(0, 1 - k * floor);
  return probabilities.map((p) => floor + rest * p);
}

/** What one request gets: the arm and the probability with which it was drawn (its propensity). */
export interface ArmChoice {
  index: number;
  propensity: number;
}

/**
 * Draws an arm from the shares with one uniform number u in [0, 1) (the caller's randomness: Math.random on a
 * gateway, a seeded generator in tests and the simulator). The propensity is the drawn arm's share, exactly.
 */
export function drawArm(shares: readonly number[], u: number): ArmChoice {
  let cumulative = 0;
  for (let i = 0; i < shares.length; i++) {
    cumulative += shares[i]!;
    if (u < cumulative) return { index: i, propensity: shares[i]! };
  }
  // Rounding left u at or above the sum: the last arm with a share.
  for (let i = shares.length - 1; i >= 0; i--) if (shares[i]! > 0) return { index: i, propensity: shares[i]! };
  throw new RangeError('drawArm: no arm has a share');
}
