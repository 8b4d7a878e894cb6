import { relativeLift, welchTest, type ArmEstimate, type LiftResult, type TestOptions } from './fixed-horizon';
import { mergeCoMoments, EMPTY_CO_MOMENTS, type CoMoments } from './moments';

/**
 * CUPED, variance reduction with pre-experiment data (Deng, Xu, Kohavi, Walker 2013, "Improving the Sensitivity of
 * Online Controlled Experiments by Utilizing Pre-Experiment Data", WSDM):
 *
 *   theta = cov(X, Y) / var(X)                       on the pooled units of all arms,
 *   Y'_i  = Y_i - theta * (X_i - Xbar)               Xbar: pooled mean of X,
 *
 * with X_i the unit's value of the metric (or a correlated one) before the experiment started. Randomisation makes
 * E[X] equal in all arms, so the adjusted difference of means is unbiased for the same effect, and its variance is
 * the unadjusted one times (1 - rho^2), rho = corr(X, Y). Each arm's adjusted mean and variance follow from its
 * bivariate moments without touching the units again:
 *
 *   mean'_arm = Ybar_arm - theta * (Xbar_arm - Xbar),
 *   s'^2_arm  = s_Y^2 - 2 * theta * s_XY + theta^2 * s_X^2      (within the arm, divisor n - 1),
 *
 * and the adjusted arms go through the same Welch test and delta-method relative lift (fixed-horizon.ts). theta is
 * treated as known, as in the paper (its estimation error is O(1/n)). Units without pre-experiment history: use
 * X = 0 (optionally with a has-history indicator as a second covariate, as the paper suggests), which only
 * weakens rho.
 */

/** theta = cov(X, Y) / var(X) on all arms pooled; 0 when X does not vary. */
export function cupedTheta(arms: readonly CoMoments[]): number {
  const pooled = arms.reduce(mergeCoMoments, EMPTY_CO_MOMENTS);
  return pooled.m2x > 0 ? pooled.cxy / pooled.m2x : 0;
}

/** An arm adjusted with a given theta and the pooled mean of X. */
export function cupedArm(arm: CoMoments, theta: number, pooledMeanX: number): ArmEstimate {
  if (arm.n < 2) return { n: arm.n, mean: arm.n === 0 ? Number.NaN : arm.meanY - theta * (arm.meanX - pooledMeanX), varianceOfMean: Number.NaN };
  const m2 = Math.max(0, arm.m2y - 2 * theta * arm.cxy + theta * theta * arm.m2x);
  return { n: arm.n, mean: arm.meanY - theta * (arm.meanX - pooledMeanX), varianceOfMean: m2 / (arm.n - 1) / arm.n };
}

export interface CupedResult {
  readonly theta: number;
  /** Pooled mean of the covariate X. */
  readonly pooledMeanX: number;
  readonly treatment: ArmEstimate;
  readonly control: ArmEstimate;
  /** Welch test on the adjusted arms. */
  readonly absolute: LiftResult | null;
  /** Delta-method relative lift on the adjusted arms (relative to the adjusted control mean). */
  readonly relative: LiftResult | null;
  /**
   * Var(adjusted difference) / Var(unadjusted difference), in (0, 1] when X helps: the interval is
   * sqrt(varianceRatio) as wide as without CUPED.
   */
  readonly varianceRatio: number;
}

/**
 * CUPED for one treatment against control. `allArms` are the arms theta is pooled over (every arm of the
 * experiment, so all comparisons share one theta); default: just these two.
 */
export function cuped(treatment: CoMoments, control: CoMoments, options: TestOptions & { allArms?: readonly CoMoments[] } = {}): CupedResult {
  const arms = options.allArms ?? [treatment, control];
  const pooled = arms.reduce(mergeCoMoments, EMPTY_CO_MOMENTS);
  const theta = pooled.m2x > 0 ? pooled.cxy / pooled.m2x : 0;
  const t = cupedArm(treatment, theta, pooled.meanX);
  const c = cupedArm(control, theta, pooled.meanX);
  const raw = (m: CoMoments) => (m.n < 2 ? Number.NaN : m.m2y / (m.n - 1) / m.n);
  const varianceRatio = (t.varianceOfMean + c.varianceOfMean) / (raw(treatment) + raw(control));
  return {
    theta,
    pooledMeanX: pooled.meanX,
    treatment: t,
    control: c,
    absolute: welchTest(t, c, options),
    relative: relativeLift(t, c, options),
    varianceRatio,
  };
}
