import { relativeLift, welchTest, type ArmEstimate, type LiftResult, type TestOptions } from './fixed-horizon';
import { emptyMultiMoments, mergeCoMoments, mergeMultiMoments, EMPTY_CO_MOMENTS, type CoMoments, type MultiMoments } from './moments';

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
  /** Pooled mean of the covariate X (for `cupedRatio`: the pooled pre-period ratio R0). */
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

/**
 * CUPED for a ratio metric (e.g. CTR = clicks / impressions per user, with the pre-period CTR as covariate),
 * combining CUPED with the delta method as Deng, Knoblich, Lu 2018 describe: each ratio is replaced by its
 * first-order linearisation, and CUPED runs on the linearised values. Per arm, with the four per-unit variables in
 * the order [y, x, y0, x0] (numerator, denominator, pre-period numerator, pre-period denominator), S their sample
 * covariance matrix (divisor n - 1), R = ybar/xbar and R0 = y0bar/x0bar:
 *
 *   g  = (1/xbar, -R/xbar, 0, 0),   g0 = (0, 0, 1/x0bar, -R0/x0bar)        gradients of R and R0
 *   theta = g'S g0 / g0'S g0                      on all arms pooled (pooled means, pooled S)
 *   R'    = R_arm - theta * (R0_arm - R0_pooled)
 *   Var(R') = ( g'S g - 2 theta g'S g0 + theta^2 g0'S g0 ) / n               with the arm's own g, g0, S
 *
 * i.e. the variance of the mean of the linearised, adjusted per-unit values (y - R x)/xbar - theta (y0 - R0 x0)/x0bar.
 * Units without pre-period impressions: x0 = y0 = 0 keeps them in (they only weaken the correlation), but the
 * pooled x0bar must be > 0. Returns the same shape as `cuped`.
 */
export function cupedRatio(treatment: MultiMoments, control: MultiMoments, options: TestOptions & { allArms?: readonly MultiMoments[] } = {}): CupedResult {
  const arms = options.allArms ?? [treatment, control];
  const pooled = arms.reduce(mergeMultiMoments, emptyMultiMoments(4));
  if (pooled.means.length !== 4) throw new RangeError('cupedRatio needs four variables per unit: [y, x, y0, x0]');
  const grad = (m: MultiMoments) => {
    const [y, x, y0, x0] = m.means as [number, number, number, number];
    return { r: y / x, r0: y0 / x0, g: [1 / x, -y / (x * x), 0, 0], g0: [0, 0, 1 / x0, -y0 / (x0 * x0)] };
  };
  const quad = (m: MultiMoments, u: number[], v: number[]) => {
    let q = 0;
    for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) q += u[a]! * m.comoments[a * 4 + b]! * v[b]!;
    return q / (m.n - 1);
  };
  const p = grad(pooled);
  const v0 = pooled.n > 1 ? quad(pooled, p.g0, p.g0) : 0;
  const theta = v0 > 0 && Number.isFinite(v0) ? quad(pooled, p.g, p.g0) / v0 : 0;
  const arm = (m: MultiMoments): ArmEstimate & { raw: number } => {
    const a = grad(m);
    const mean = a.r - theta * (a.r0 - p.r0);
    if (m.n < 2) return { n: m.n, mean, varianceOfMean: Number.NaN, raw: Number.NaN };
    const raw = quad(m, a.g, a.g);
    const adjusted = Math.max(0, raw - 2 * theta * quad(m, a.g, a.g0) + theta * theta * quad(m, a.g0, a.g0));
    return { n: m.n, mean, varianceOfMean: adjusted / m.n, raw: raw / m.n };
  };
  const { raw: rawT, ...t } = arm(treatment);
  const { raw: rawC, ...c } = arm(control);
  return {
    theta,
    pooledMeanX: p.r0,
    treatment: t,
    control: c,
    absolute: welchTest(t, c, options),
    relative: relativeLift(t, c, options),
    varianceRatio: (t.varianceOfMean + c.varianceOfMean) / (rawT + rawC),
  };
}
