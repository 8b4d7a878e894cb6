import { standardNormalCdf, standardNormalQuantile } from './distributions';

/**
 * A group-sequential test with an alpha-spending function (Lan, DeMets 1983, "Discrete sequential boundaries for
 * clinical trials", Biometrika 70(3)): the second sequential test beside the mSPRT of sequential.ts, for an
 * experiment with a planned size.
 *
 * Why two. The mSPRT is valid however often and however long one looks, and pays for it: with a handful of daily
 * looks it spends 1-1.5 % of its 5 % (EXPERIMENTS.md, "Peeking"). An experiment that declares its size in advance
 * can do better: the spending function says how much of alpha may have been spent by the time a fraction t of the
 * planned information has arrived, and each look spends exactly the increment. Looks need not be planned (their
 * number and times are free, as long as they do not depend on the data); the total type-I error is alpha exactly,
 * up to the numerical integration. What it cannot do is run past its plan: once t reaches 1 all of alpha is spent
 * and the verdict is final. (Spotify's experimentation team compares the two families in "Choosing a sequential
 * testing framework", 2023, and runs this one when the size is known.)
 *
 * The test. Z_k is the look's z statistic (estimate / standard error) and t_k in (0, 1] its information fraction;
 * the B-value W_k = Z_k sqrt(t_k) is, under H0, a standard Brownian motion observed at t_1 < t_2 < ...  (Lan,
 * Wittes 1988). Two-sided, symmetric: the test rejects at the first look with |W_k| >= b_k, where b_k solves
 *
 *   P(|W_1| < b_1, ..., |W_{k-1}| < b_{k-1}, |W_k| >= b_k) = alpha(t_k) - alpha(t_{k-1})
 *
 * under H0. The probability is computed by the recursive numerical integration of Armitage, McPherson, Rowe 1969
 * (Jennison, Turnbull 2000, "Group Sequential Methods", chapter 19): the sub-density of W_k on the continuation
 * region (-b_k, b_k) is the previous one convolved with the N(0, t_k - t_{k-1}) kernel, integrated by Simpson's
 * rule on a grid finer than the kernel's width; b_k is found by bisection. The state carries that sub-density, so
 * each look costs one convolution, however many came before.
 *
 * Spending functions (two-sided alpha):
 * - O'Brien-Fleming type: alpha(t) = 2 - 2 Phi(z_{1-alpha/2} / sqrt(t)). Spends almost nothing early, keeps the final
 *   boundary close to the fixed-horizon 1.96. The default: early looks need overwhelming evidence.
 * - Pocock type: alpha(t) = alpha ln(1 + (e - 1) t). Nearly constant boundaries; stops earlier, loses more power at
 *   the end.
 *
 * The information fraction is the share of the planned users seen (users of the two arms over the plan's), which
 * depends on the design and the traffic, not on the outcomes.
 */

export type SpendingFunction = 'OBRIEN_FLEMING' | 'POCOCK';

export const SPENDING_FUNCTIONS: readonly SpendingFunction[] = ['OBRIEN_FLEMING', 'POCOCK'];

/** Two-sided alpha spent by information fraction t (0 at t <= 0, alpha at t >= 1). */
export function alphaSpent(t: number, alpha: number, spending: SpendingFunction): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (!(t > 0)) return 0;
  if (t >= 1) return alpha;
  if (spending === 'POCOCK') return alpha * Math.log(1 + (Math.E - 1) * t);
  // 2 - 2 Phi(x) = 2 Phi(-x), computed from the lower tail so tiny spends keep their precision.
  return 2 * standardNormalCdf(-standardNormalQuantile(1 - alpha / 2) / Math.sqrt(t));
}

export interface GroupSequentialOptions {
  /** Two-sided level; default 0.05. */
  readonly alpha?: number;
  /** Default O'Brien-Fleming type. */
  readonly spending?: SpendingFunction;
  /** The last look of the plan (e.g. at the experiment's stop): spends whatever alpha is left, as at t = 1. */
  readonly final?: boolean;
}

export interface GroupSequentialState {
  /** Looks that spent alpha (looks with no new information do not count). */
  readonly looks: number;
  /** Information fraction of the last look (0 before any); 1 once the plan is complete. */
  readonly informationFraction: number;
  /** Alpha spent so far. */
  readonly alphaSpent: number;
  /** |z| boundary of the last look (Infinity where it spent nothing; null before any look). */
  readonly boundary: number | null;
  /** z statistic of the last look (null before any). */
  readonly z: number | null;
  /** The test rejected H0 at some look; the verdict stands from then on. */
  readonly rejected: boolean;
  /** The look (1-based) at which it rejected. */
  readonly rejectedAtLook: number | null;
  /** All of alpha is spent (t reached 1, or a final look): later looks change nothing. */
  readonly complete: boolean;
  /**
   * Sub-density of the B-value on the continuation region after the last look, on a uniform grid of an odd number of
   * points over [-half, half] (null before the first look and once the test has stopped).
   */
  readonly density: { readonly half: number; readonly values: Float64Array } | null;
}

export const INITIAL_GROUP_SEQUENTIAL_STATE: GroupSequentialState = Object.freeze({
  looks: 0,
  informationFraction: 0,
  alphaSpent: 0,
  boundary: null,
  z: null,
  rejected: false,
  rejectedAtLook: null,
  complete: false,
  density: null,
});

/** Grid points per kernel standard deviation, and the bounds on the grid size (cost is quadratic in it). */
const POINTS_PER_SD = 12;
const MIN_POINTS = 101;
const MAX_POINTS = 4_001;
/** Past this many kernel standard deviations from the continuation region the density is taken as 0 (< 1e-30). */
const TAIL_SD = 12;

/** Simpson weights for n (odd) points with spacing h. */
function simpsonWeights(n: number, h: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = ((i === 0 || i === n - 1 ? 1 : i % 2 === 1 ? 4 : 2) * h) / 3;
  return w;
}

function gridSize(half: number, sd: number): number {
  let n = Math.ceil((2 * half * POINTS_PER_SD) / sd) + 1;
  n = Math.min(MAX_POINTS, Math.max(MIN_POINTS, n));
  return n % 2 === 1 ? n : n + 1;
}

/**
 * The previous look's sub-density as Simpson nodes (points and weight x density), refined by linear interpolation
 * where its grid is coarse against the new kernel (a narrow kernel needs a fine grid under it). The first look's
 * "density" is the point mass at 0.
 */
function nodes(density: GroupSequentialState['density'], sd: number): { x: Float64Array; m: Float64Array } {
  if (!density) return { x: Float64Array.of(0), m: Float64Array.of(1) };
  const { half, values } = density;
  // Never coarser than the grid the density was computed on (interpolating down loses what it resolved).
  const n = Math.max(values.length, gridSize(half, sd));
  const h = (2 * half) / (n - 1);
  const w = simpsonWeights(n, h);
  const x = new Float64Array(n);
  const m = new Float64Array(n);
  const oldH = (2 * half) / (values.length - 1);
  for (let i = 0; i < n; i++) {
    x[i] = -half + i * h;
    if (n === values.length) {
      m[i] = w[i]! * values[i]!;
      continue;
    }
    const pos = Math.min(values.length - 1, Math.max(0, (x[i]! + half) / oldH));
    const j = Math.min(values.length - 2, Math.floor(pos));
    const f = pos - j;
    m[i] = w[i]! * (values[j]! * (1 - f) + values[j + 1]! * f);
  }
  return { x, m };
}

/** P(|W_k| >= b, having continued so far) for the kernel sd. */
function crossing(x: Float64Array, m: Float64Array, sd: number, b: number): number {
  let p = 0;
  for (let i = 0; i < x.length; i++) p += m[i]! * (standardNormalCdf((-b - x[i]!) / sd) + standardNormalCdf((x[i]! - b) / sd));
  return p;
}

/**
 * Folds one look into the test: the look's z statistic and information fraction (users so far over planned users;
 * values above 1 count as 1). Looks must come in time order with non-decreasing information; a look that adds no
 * information spends nothing and changes nothing but `z`.
 */
export function groupSequentialLook(
  state: GroupSequentialState,
  z: number,
  informationFraction: number,
  options: GroupSequentialOptions = {},
): GroupSequentialState {
  const alpha = options.alpha ?? 0.05;
  const spending = options.spending ?? 'OBRIEN_FLEMING';
  if (state.rejected || state.complete) return state;
  if (!Number.isFinite(z)) return state;
  const t = options.final ? 1 : Math.min(1, informationFraction);
  if (!(t > state.informationFraction)) return { ...state, z };
  const target = alphaSpent(t, alpha, spending);
  const spend = Math.max(0, target - state.alphaSpent);
  const sd = Math.sqrt(t - state.informationFraction);
  const { x, m } = nodes(state.density, sd);
  const reach = (state.density?.half ?? 0) + TAIL_SD * sd;
  let b: number;
  if (spend <= 0 || crossing(x, m, sd, reach) >= spend) b = Infinity;
  else {
    let lo = 0;
    let hi = reach;
    for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
      const mid = (lo + hi) / 2;
      if (crossing(x, m, sd, mid) > spend) lo = mid;
      else hi = mid;
    }
    b = (lo + hi) / 2;
  }
  const boundary = b / Math.sqrt(t);
  const looks = state.looks + 1;
  const rejected = Math.abs(z) >= boundary;
  const complete = t >= 1;
  let density: GroupSequentialState['density'] = null;
  if (!rejected && !complete) {
    const half = Math.min(b, reach);
    const n = gridSize(half, sd);
    const h = (2 * half) / (n - 1);
    const values = new Float64Array(n);
    const norm = 1 / (sd * Math.sqrt(2 * Math.PI));
    for (let j = 0; j < n; j++) {
      const w = -half + j * h;
      let s = 0;
      for (let i = 0; i < x.length; i++) {
        const d = (w - x[i]!) / sd;
        if (d > -TAIL_SD && d < TAIL_SD) s += m[i]! * Math.exp(-0.5 * d * d);
      }
      values[j] = s * norm;
    }
    density = { half, values };
  }
  return {
    looks,
    informationFraction: t,
    alphaSpent: state.alphaSpent + (Number.isFinite(b) ? spend : 0),
    boundary,
    z,
    rejected,
    rejectedAtLook: rejected ? looks : null,
    complete,
    density,
  };
}

/** The |z| boundaries of a series of looks at the given information fractions (the design, without data). */
export function groupSequentialBoundaries(fractions: readonly number[], options: Omit<GroupSequentialOptions, 'final'> = {}): number[] {
  let state = INITIAL_GROUP_SEQUENTIAL_STATE;
  return fractions.map((t) => {
    state = groupSequentialLook(state, 0, t, options);
    return state.boundary!;
  });
}
