import type { ArmEstimate } from './fixed-horizon';

/**
 * Always-valid inference for experiments that are looked at every hour: the mixture sequential probability ratio
 * test (mSPRT) with a normal mixture, from Johari, Koomen, Pekelis, Walsh 2017, "Peeking at A/B Tests: Why it
 * matters, and what to do about it" (KDD; the basis of Optimizely's Stats Engine), section 4.
 *
 * Why mSPRT and not a confidence sequence: both are always valid. The mSPRT's normal-mixture likelihood ratio has a
 * closed form that an analyst can recompute by hand from the same (estimate, variance) pair that the fixed-horizon
 * test reports, its p-value is monotone by construction (a running minimum), and the matching always-valid interval
 * is the inversion of the same statistic, so p < alpha exactly when the interval excludes 0. Asymptotic confidence
 * sequences (Waudby-Smith et al. 2023, GrowthBook's sequential mode) would fit the same interface; they need no
 * normality of the data but their tuning is equally a choice of one mixing parameter.
 *
 * The statistic. With theta-hat the estimated difference (mean_T - mean_C) after the current look and V its
 * variance (s_T^2/n_T + s_C^2/n_C), the normal mixture theta ~ N(theta_0, tau^2) over alternatives gives the
 * likelihood ratio
 *
 *   Lambda = sqrt( V / (V + tau^2) ) * exp( tau^2 * (theta-hat - theta_0)^2 / (2 * V * (V + tau^2)) ).
 *
 * This is the paper's two-sample statistic
 *   Lambda_n = sqrt( 2 sigma^2 / (2 sigma^2 + n tau^2) ) * exp( n^2 tau^2 (Ybar_n - Xbar_n - theta_0)^2 / (4 sigma^2 (2 sigma^2 + n tau^2)) )
 * (n units per arm, known per-unit variance sigma^2) rewritten with V = 2 sigma^2 / n; in that form it also covers
 * unequal arms and plug-in variances, as deployed (the paper's section 6 plugs in estimated variances). Under H0,
 * Lambda is a martingale, so by Ville's inequality P(sup_n Lambda_n >= 1/alpha) <= alpha: the test that rejects
 * the first time Lambda >= 1/alpha has type-I error <= alpha however often one looks.
 *
 * The always-valid p-value: p_0 = 1, p_n = min(p_{n-1}, 1 / Lambda_n). It never increases over looks.
 *
 * The always-valid interval (the set of theta_0 that the test does not reject at this look):
 *   theta-hat -/+ sqrt( 2 V (V + tau^2) / tau^2 * ( ln(1/alpha) + ln(sqrt((V + tau^2) / V)) ) ),
 * intersected with the previous looks' intervals.
 *
 * tau (the mixture's standard deviation, on the scale of the effect) is the one tuning parameter: the test is most
 * powerful against effects of about that size. It must be fixed before the data is seen (choosing it from the data
 * breaks the guarantee); a good choice is the smallest effect worth detecting (e.g. 5 % of the expected control
 * mean).
 */

export interface MsprtOptions {
  /** Standard deviation of the normal mixture over effects, tau > 0, on the effect's scale. */
  readonly tau: number;
  /** Null effect theta_0; default 0. */
  readonly theta0?: number;
}

/** ln Lambda for an estimate with variance V (see the module comment). */
export function msprtLogLikelihoodRatio(estimate: number, variance: number, options: MsprtOptions): number {
  const tau2 = options.tau * options.tau;
  if (!(tau2 > 0)) throw new RangeError(`tau must be > 0, got ${options.tau}`);
  if (!(variance > 0) || !Number.isFinite(estimate)) return Number.NaN;
  const d = estimate - (options.theta0 ?? 0);
  return 0.5 * Math.log(variance / (variance + tau2)) + (tau2 * d * d) / (2 * variance * (variance + tau2));
}

/** Lambda itself (may be Infinity for overwhelming evidence; work with the log where that matters). */
export function msprtLikelihoodRatio(estimate: number, variance: number, options: MsprtOptions): number {
  return Math.exp(msprtLogLikelihoodRatio(estimate, variance, options));
}

/** One look's update of the always-valid p-value: min(previous, 1 / Lambda), and never above 1. */
export function msprtPValue(previous: number, estimate: number, variance: number, options: MsprtOptions): number {
  const logLr = msprtLogLikelihoodRatio(estimate, variance, options);
  if (Number.isNaN(logLr)) return previous;
  return Math.min(previous, 1, Math.exp(-logLr));
}

/** Half-width of this look's always-valid interval (before intersecting with earlier looks). */
export function msprtHalfWidth(variance: number, options: MsprtOptions & { alpha?: number }): number {
  const tau2 = options.tau * options.tau;
  const alpha = options.alpha ?? 0.05;
  if (!(variance > 0)) return Number.NaN;
  return Math.sqrt(((2 * variance * (variance + tau2)) / tau2) * (Math.log(1 / alpha) + 0.5 * Math.log((variance + tau2) / variance)));
}

export interface SequentialState {
  /** Number of looks folded in. */
  readonly looks: number;
  /** Always-valid p-value after the last look (1 before any). */
  readonly pValue: number;
  /** Always-valid (1 - alpha) interval: the intersection over looks ([-Infinity, Infinity] before any). */
  readonly ci: readonly [number, number];
}

export const INITIAL_SEQUENTIAL_STATE: SequentialState = Object.freeze({ looks: 0, pValue: 1, ci: Object.freeze([-Infinity, Infinity]) as readonly [number, number] });

/**
 * Folds one look (the current estimate of the difference and its variance) into the sequential state. Looks must
 * be cumulative (each look sees all the data so far), in time order. A look without a usable variance (too few
 * units, constant values) leaves the state as it was, except for the count.
 */
export function sequentialLook(
  state: SequentialState,
  estimate: number,
  variance: number,
  options: MsprtOptions & { alpha?: number },
): SequentialState {
  const pValue = msprtPValue(state.pValue, estimate, variance, options);
  const h = msprtHalfWidth(variance, options);
  const ci: readonly [number, number] = Number.isNaN(h) ? state.ci : [Math.max(state.ci[0], estimate - h), Math.min(state.ci[1], estimate + h)];
  return { looks: state.looks + 1, pValue, ci };
}

/** The absolute difference of two arms as one look: estimate mean_T - mean_C, variance v_T + v_C. */
export function armsLook(
  state: SequentialState,
  treatment: ArmEstimate,
  control: ArmEstimate,
  options: MsprtOptions & { alpha?: number },
): SequentialState {
  if (treatment.n < 2 || control.n < 2) return { ...state, looks: state.looks + 1 };
  return sequentialLook(state, treatment.mean - control.mean, treatment.varianceOfMean + control.varianceOfMean, options);
}

/** The sequential p-values after each of a series of cumulative looks (monotone non-increasing). */
export function sequentialPValues(looks: ReadonlyArray<{ estimate: number; variance: number }>, options: MsprtOptions): number[] {
  let p = 1;
  return looks.map((l) => (p = msprtPValue(p, l.estimate, l.variance, options)));
}
