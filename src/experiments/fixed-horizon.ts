import { studentTQuantile, studentTTwoSidedP } from './distributions';
import type { CoMoments, Moments } from './moments';

/**
 * Fixed-horizon comparison of a treatment arm against control: absolute lift with Welch's t-test, relative lift
 * with the delta method.
 *
 * Every test takes each arm as an ArmEstimate: the estimate of the arm's mean, the variance of that estimate and
 * the unit count. A plain per-unit mean gives varianceOfMean = s^2 / n; a ratio metric (clicks / impressions with
 * the user as the unit) gives the delta-method variance of the ratio (`ratioArm`); CUPED gives the adjusted mean
 * and its reduced variance (cuped.ts). The same tests then apply to all three.
 */

export interface ArmEstimate {
  /** Number of randomisation units (users or sessions). */
  readonly n: number;
  /** Estimate of the arm's mean metric. */
  readonly mean: number;
  /** Estimated variance of `mean` (for a per-unit mean: s^2 / n). */
  readonly varianceOfMean: number;
}

/**
 * A per-unit mean: mean = ybar, varianceOfMean = s^2 / n with s^2 = M2 / (n - 1). NaN variance below two units.
 */
export function meanArm(m: Moments): ArmEstimate {
  const variance = m.n < 2 ? Number.NaN : m.m2 / (m.n - 1);
  return { n: m.n, mean: m.n === 0 ? Number.NaN : m.mean, varianceOfMean: variance / m.n };
}

/**
 * A ratio metric with the unit as the randomisation unit, R = ybar / xbar (e.g. CTR = clicks per user / impressions
 * per user). Because x varies per unit, the units' ratios are not i.i.d. observations of R; the delta method
 * (Deng, Knoblich, Lu 2018, "Applying the Delta Method in Metric Analytics: A Practical Guide with Novel Ideas",
 * KDD) gives
 *
 *   Var(R) ~ (1/n) * ( s_y^2 / xbar^2 - 2 * ybar * s_xy / xbar^3 + ybar^2 * s_x^2 / xbar^4 )
 *
 * with the sample variances s_y^2, s_x^2 and covariance s_xy (divisor n - 1). Here x is the denominator, y the
 * numerator.
 */
export function ratioArm(m: CoMoments): ArmEstimate {
  const mean = m.n === 0 || m.meanX === 0 ? Number.NaN : m.meanY / m.meanX;
  if (m.n < 2 || Number.isNaN(mean)) return { n: m.n, mean, varianceOfMean: Number.NaN };
  const sx2 = m.m2x / (m.n - 1);
  const sy2 = m.m2y / (m.n - 1);
  const sxy = m.cxy / (m.n - 1);
  const x = m.meanX;
  const y = m.meanY;
  const v = (sy2 / (x * x) - (2 * y * sxy) / (x * x * x) + (y * y * sx2) / (x * x * x * x)) / m.n;
  // v is a variance of a linearised mean (>= 0 in exact arithmetic); clamp the rounding of a perfectly linear y = R x
  return { n: m.n, mean, varianceOfMean: Math.max(0, v) };
}

export interface LiftResult {
  /** Point estimate: mean_T - mean_C (absolute) or mean_T / mean_C - 1 (relative). */
  readonly estimate: number;
  readonly standardError: number;
  /** Welch-Satterthwaite degrees of freedom (used for both the p-value and the interval). */
  readonly df: number;
  /** estimate / standardError. */
  readonly statistic: number;
  /** Two-sided p-value from Student's t with `df` degrees of freedom (null hypothesis: no difference). */
  readonly pValue: number;
  /** Two-sided (1 - alpha) confidence interval: estimate -/+ t_{1 - alpha/2, df} * standardError. */
  readonly ci: readonly [number, number];
}

export interface TestOptions {
  /** Significance level of the interval; default 0.05 (95 % interval). */
  readonly alpha?: number;
}

/**
 * Welch-Satterthwaite degrees of freedom (Welch 1947, "The generalization of 'Student's' problem when several
 * different population variances are involved", Biometrika 34; Satterthwaite 1946):
 *
 *   df = (v_T + v_C)^2 / ( v_T^2 / (n_T - 1) + v_C^2 / (n_C - 1) ),   v = varianceOfMean = s^2 / n.
 */
export function welchDf(treatment: ArmEstimate, control: ArmEstimate): number {
  const a = treatment.varianceOfMean;
  const b = control.varianceOfMean;
  return ((a + b) * (a + b)) / ((a * a) / (treatment.n - 1) + (b * b) / (control.n - 1));
}

function usable(arm: ArmEstimate): boolean {
  return arm.n >= 2 && Number.isFinite(arm.mean) && Number.isFinite(arm.varianceOfMean) && arm.varianceOfMean >= 0;
}

/**
 * Absolute lift with Welch's unequal-variances t-test (Welch 1947):
 *
 *   d = mean_T - mean_C,  SE = sqrt(s_T^2/n_T + s_C^2/n_C),  t = d / SE,  df as in `welchDf`,
 *   p = 2 * F_t(-|t|; df),  CI = d -/+ F_t^{-1}(1 - alpha/2; df) * SE.
 *
 * Agrees with scipy.stats.ttest_ind(..., equal_var=False) (test/unit/experiments/statistics.test.ts).
 * Null when it cannot be computed: fewer than two units in an arm, or SE = 0 (both arms constant).
 */
export function welchTest(treatment: ArmEstimate, control: ArmEstimate, options: TestOptions = {}): LiftResult | null {
  if (!usable(treatment) || !usable(control)) return null;
  const alpha = options.alpha ?? 0.05;
  const se = Math.sqrt(treatment.varianceOfMean + control.varianceOfMean);
  if (!(se > 0)) return null;
  const estimate = treatment.mean - control.mean;
  const df = welchDf(treatment, control);
  const statistic = estimate / se;
  const q = studentTQuantile(1 - alpha / 2, df);
  return { estimate, standardError: se, df, statistic, pValue: studentTTwoSidedP(statistic, df), ci: [estimate - q * se, estimate + q * se] };
}

/**
 * Relative lift r = mean_T / mean_C - 1 with the delta-method variance of a ratio of two independent means
 * (Deng, Knoblich, Lu 2018; the formula GrowthBook documents in "Statistical details"):
 *
 *   Var(r) ~ v_T / mean_C^2 + mean_T^2 * v_C / mean_C^4,   v = varianceOfMean (= s^2 / n for a plain mean),
 *
 * CI = r -/+ F_t^{-1}(1 - alpha/2; df) * sqrt(Var(r)) and p = 2 * F_t(-|r / sqrt(Var(r))|; df), with the same
 * Welch-Satterthwaite df as the absolute test (GrowthBook's convention; for the sample sizes of online experiments
 * t and normal quantiles agree to many digits, and using t keeps small-sample relative and absolute answers close).
 * Null when it cannot be computed: as `welchTest`, or mean_C = 0.
 */
export function relativeLift(treatment: ArmEstimate, control: ArmEstimate, options: TestOptions = {}): LiftResult | null {
  if (!usable(treatment) || !usable(control) || control.mean === 0) return null;
  const alpha = options.alpha ?? 0.05;
  const mc = control.mean;
  const mt = treatment.mean;
  const variance = treatment.varianceOfMean / (mc * mc) + (mt * mt * control.varianceOfMean) / (mc * mc * mc * mc);
  const se = Math.sqrt(variance);
  if (!(se > 0)) return null;
  const estimate = mt / mc - 1;
  const df = welchDf(treatment, control);
  const statistic = estimate / se;
  const q = studentTQuantile(1 - alpha / 2, df);
  return { estimate, standardError: se, df, statistic, pValue: studentTTwoSidedP(statistic, df), ci: [estimate - q * se, estimate + q * se] };
}
