import type { ArmEstimate } from './fixed-horizon';

/**
 * Always-valid inference for experiments that are looked at every hour: the mixture sequential probability ratio
 * test (mSPRT) with a normal mixture, from Johari, Koomen, Pekelis, Walsh 2017, "Peeking at A/B Tests: Why it
 * matters, and what to do about it" (KDD; the basis of Optimizely's Stats Engine).
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
 * unequal arms and plug-in variances, as deployed (with estimated variances plugged in). Under H0,
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
 * breaks the guarantee): either the size of effect worth detecting, or `tauForHorizon`, which tunes it to the planned
 * sample size. Too small a tau (against the horizon's standard error) makes the test very conservative.
 */

export interface MsprtOptions {
  /** Standard deviation of the normal mixture over effects, tau > 0, on the effect's scale. */
  readonly tau: number;
  /** Null effect theta_0; default 0. */
  readonly theta0?: number;
}

/**
 * A mixture tuned to a planned horizon: the tau whose rejection boundary, in standard errors, is smallest when the
 * estimate's variance has come down to `varianceAtHorizon` (the variance expected at the planned sample size, e.g.
 * p(1 - p) (1/n_T + 1/n_C) for a conversion rate p, from pre-experiment data). With r = tau^2 / V, Lambda = 1/alpha
 * at |z| = sqrt( 2 (1 + r) / r * (ln(1/alpha) + ln(1 + r) / 2) ), minimised over r numerically (golden-section
 * search on ln r); r* ~ 8 at alpha = 0.05, i.e. tau ~ 2.8 standard errors at the horizon. This is the same idea as
 * tuning a confidence sequence to a target sample size (Howard et al. 2021; GrowthBook's "tuning parameter"): the
 * test stays valid at every look, and is sharpest around the horizon. Depends on the design only, not on the data.
 */
export function tauForHorizon(varianceAtHorizon: number, alpha = 0.05): number {
  if (!(varianceAtHorizon > 0)) throw new RangeError(`variance at the horizon must be > 0, got ${varianceAtHorizon}`);
  const l = Math.log(1 / alpha);
  const boundary = (lnR: number) => {
    const r = Math.exp(lnR);
    return ((1 + r) / r) * (l + 0.5 * Math.log1p(r));
  };
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = Math.log(1e-3);
  let b = Math.log(1e4);
  let c = b - phi * (b - a);
  let d = a + phi * (b - a);
  for (let i = 0; i < 100; i++) {
    if (boundary(c) < boundary(d)) b = d;
    else a = c;
    c = b - phi * (b - a);
    d = a + phi * (b - a);
  }
  return Math.sqrt(Math.exp((a + b) / 2) * varianceAtHorizon);
}

/** ln Lambda for an estimate with variance V (see the module comment). */
export function msprtLogLikelihoodRatio(estimate: number, variance: number, options: MsprtOptions): number {
  const tau2 = options.tau * options.tau;
  if (!(tau2 > 0)) throw new RangeError(`tau must be > 0, got ${options.tau}`);
  if (!(variance > 0) || !Number.isFinite(estimate)) return Number.NaN;
  const d = estimate - (options.theta0 ?? 0);
  return 0.5 * Math.log(variance / (variance + tau2)) + (tau2 * d * d) / (2 * variance * (variance + tau2));
}

/**
 * ln of the average of Lambda over several mixture scales (equal weights): a mixture of normal mixtures, itself a
 * mixture of likelihood ratios, so 1 / (the average) is an always-valid p-value as 1 / Lambda is. For a statistic
 * with no planned horizon to tune one tau to (`tauForHorizon`): the test is then powerful across the scales, at
 * the price of at most a factor `taus.length` in the ratio against the best of them. NaN without a usable variance.
 */
export function averagedMsprtLogLikelihoodRatio(estimate: number, variance: number, taus: readonly number[], theta0 = 0): number {
  return logMeanExp(taus.map((tau) => msprtLogLikelihoodRatio(estimate, variance, { tau, theta0 })));
}

/** ln of the mean of exp(x) over the values, without overflow (NaN if any is NaN or there are none). */
export function logMeanExp(logs: readonly number[]): number {
  if (logs.length === 0 || logs.some(Number.isNaN)) return Number.NaN;
  const top = Math.max(...logs);
  if (!Number.isFinite(top)) return top;
  return top + Math.log(logs.reduce((a, x) => a + Math.exp(x - top), 0) / logs.length);
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

export const INITIAL_SEQUENTIAL_STATE: SequentialState = Object.freeze({
  looks: 0,
  pValue: 1,
  ci: Object.freeze([-Infinity, Infinity]) as readonly [number, number],
});

/**
 * Folds one look (the current estimate of the difference and its variance) into the sequential state. Looks must
 * be cumulative (each look sees all the data so far), in time order. A look without a usable variance (too few
 * units, constant values) leaves the state as it was, except for the count.
 */
export function sequentialLook(state: SequentialState, estimate: number, variance: number, options: MsprtOptions & { alpha?: number }): SequentialState {
  const pValue = msprtPValue(state.pValue, estimate, variance, options);
  const h = msprtHalfWidth(variance, options);
  const ci: readonly [number, number] = Number.isNaN(h) ? state.ci : [Math.max(state.ci[0], estimate - h), Math.min(state.ci[1], estimate + h)];
  return { looks: state.looks + 1, pValue, ci };
}

/** The absolute difference of two arms as one look: estimate mean_T - mean_C, variance v_T + v_C. */
export function armsLook(state: SequentialState, treatment: ArmEstimate, control: ArmEstimate, options: MsprtOptions & { alpha?: number }): SequentialState {
  if (treatment.n < 2 || control.n < 2) return { ...state, looks: state.looks + 1 };
  return sequentialLook(state, treatment.mean - control.mean, treatment.varianceOfMean + control.varianceOfMean, options);
}

/** The sequential p-values after each of a series of cumulative looks (monotone non-increasing). */
export function sequentialPValues(looks: ReadonlyArray<{ estimate: number; variance: number }>, options: MsprtOptions): number[] {
  let p = 1;
  return looks.map((l) => (p = msprtPValue(p, l.estimate, l.variance, options)));
}
