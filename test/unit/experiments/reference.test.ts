import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chiSquareUpperTail, studentTQuantile, studentTTwoSidedP } from '../../../src/experiments/distributions';
import {
  coMomentsOf,
  cuped,
  cupedRatio,
  holmAdjust,
  meanArm,
  momentsOf,
  msprtHalfWidth,
  msprtLikelihoodRatio,
  multiMomentsOf,
  ratioArm,
  relativeLift,
  sampleRatioMismatch,
  sampleSizePerArm,
  sequentialLook,
  sequentialPValues,
  summarize,
  welchTest,
  INITIAL_SEQUENTIAL_STATE,
  averagedOneSidedMsprtLogRatios,
  guardrailMixtureScales,
  nonInferiority,
  oneSidedMsprtLogRatios,
  sequentialNonInferiority,
  type ArmEstimate,
  type GuardrailDirection,
  type LiftResult,
} from '../../../src/experiments/statistics';
// Written by scripts/experiments-reference.py --write (and compared by its --check); listed in .prettierignore.
import REFERENCE_JSON from './experiments-reference.json';

/*
 * The engine's numbers against a textbook implementation on the same inputs, to 1e-6 (relative, for values far from
 * 1 in size). REFERENCE is the output of scripts/experiments-reference.py, in ./experiments-reference.json:
 *
 *   python3 -m venv /tmp/statsvenv && /tmp/statsvenv/bin/pip install -r scripts/experiments-reference-requirements.txt
 *   /tmp/statsvenv/bin/python scripts/experiments-reference.py --write      (or --check: compare with the file)
 *
 * where each value comes from (see the script):
 *   welch*            scipy.stats.ttest_ind(t, c, equal_var=False) (statistic, pvalue, df, confidence_interval(0.95))
 *   relative*         delta method by hand in numpy: Var(r) = s_T^2/(n_T mC^2) + mT^2 s_C^2/(n_C mC^4), scipy t.ppf/t.sf
 *   ratio*            numpy: variance of the mean of the linearised values (y - R x) / xbar (Deng et al. 2018)
 *   cuped             numpy: theta = cov(x, y) / var(x) pooled, y' = y - theta (x - xbar), then scipy ttest_ind on y'
 *   cupedRatio        numpy: linearised ratio and pre-period ratio, theta on the pooled linearised values, then
 *                     scipy ttest_ind on per-unit pseudo-values (adjusted ratio + adjusted linearised residual)
 *   srm               scipy.stats.chisquare(f_obs, f_exp)
 *   holm              statsmodels.stats.multitest.multipletests(p, method='holm')[1]
 *   msprt             the paper's equal-n statistic (Johari et al. 2017) by hand; intervals by scipy brentq root finding
 *   distributions     scipy.stats.t.sf / t.ppf / chi2.sf
 *   planning          units per arm: the normal-approximation formula with scipy.stats.norm.ppf, rounded up; and
 *                     statsmodels NormalIndPower.solve_power (equal variances) to within one unit
 *   guardrail*        non-inferiority of the relative lift: the one-sided t-test by hand with scipy.stats.t (sf, cdf,
 *                     ppf); the always-valid one-sided mixture ratios by scipy.integrate.quad of the normal likelihood
 *                     ratio against the half-normal mixture density (not the engine's closed form)
 *   gbstatsRelative   GrowthBook's engine (gbstats 0.8.0, TwoSidedTTest, difference_type="relative") on the same
 *                     n / sum / sum of squares: a second, independent implementation of the relative lift
 */

// ---- inputs: the same literals as in scripts/experiments-reference.py ----
const revC = [
  45.91, 0.34, 19.26, 7.92, 27.61, 10.87, 45.94, 7.63, 4.41, 13.2, 11.38, 5.17, 5.77, 15.17, 14.94, 4.51, 5.12, 1.21, 39.61, 5.9, 28.14, 11.22, 51.62, 34.37,
  10.16,
];
const revT = [
  46.01, 3.17, 36.03, 1.77, 13.16, 29.12, 11.54, 6.03, 3.72, 6.19, 28.68, 24.04, 6.76, 2.29, 18.94, 1.83, 5.03, 4.02, 20.44, 11.7, 15.0, 12.18, 4.28, 16.27,
  42.68, 8.67, 18.12, 7.86, 27.98, 18.79, 23.65,
];
const clkC = [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1];
const clkT = [0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0];
const impC = [10, 2, 7, 5, 7, 3, 4, 1, 11, 4, 2, 11, 6, 6, 7, 4, 1, 2, 11, 10, 9, 2, 7, 1, 3, 2, 10, 9, 9, 11];
const clC = [3, 0, 2, 1, 1, 0, 2, 1, 1, 0, 0, 2, 0, 1, 2, 1, 1, 1, 2, 2, 2, 0, 2, 1, 2, 1, 1, 0, 1, 3];
const impT = [7, 2, 2, 8, 4, 8, 4, 6, 10, 1, 7, 8, 4, 5, 9, 11, 7, 11, 4, 8, 5, 2, 8, 4, 7, 7, 7, 10, 11, 5, 2, 4, 5, 7];
const clT = [1, 1, 1, 5, 0, 3, 0, 2, 3, 0, 1, 2, 1, 0, 2, 1, 2, 3, 1, 2, 1, 0, 1, 0, 1, 6, 2, 3, 2, 1, 0, 0, 0, 1];
const preC = [
  0.4, 9.7, 4.3, 9.2, 7.0, 5.3, 5.6, 5.5, 6.7, 2.3, 6.5, 8.4, 4.0, 4.8, 0.6, 6.0, 1.2, 6.2, 1.7, 13.5, 1.0, 0.4, 4.6, 1.6, 10.0, 1.2, 5.0, 2.3, 4.2, 5.5,
];
const postC = [
  1.6, 12.4, 3.5, 11.6, 7.3, 7.6, 3.7, 3.6, 5.7, 4.6, 6.5, 9.2, 4.8, 6.9, 1.9, 4.7, 3.0, 6.1, 5.9, 11.5, 2.0, 0.7, 7.0, 4.0, 10.3, -0.5, 2.0, 3.4, 5.8, 8.4,
];
const preT = [5.2, 2.4, 9.1, 5.3, 9.5, 6.8, 6.9, 5.1, 4.8, 5.1, 3.7, 4.9, 2.1, 11.9, 8.3, 3.2, 0.8, 2.3, 10.8, 5.5, 6.8, 6.5, 3.7, 2.8, 8.8, 3.2, 4.6, 2.0];
const postT = [2.4, 3.4, 5.7, 4.1, 9.0, 9.2, 6.3, 4.4, 5.0, 8.4, 9.6, 2.6, 2.9, 10.5, 10.8, 5.2, 5.5, 1.6, 10.5, 5.3, 5.0, 6.7, 2.4, 8.4, 9.7, 2.3, 4.3, 6.9];
// ratio metric with a pre-period covariate: per-user impressions / clicks before (0) and during the experiment
const rImp0C = [8, 1, 1, 7, 3, 12, 4, 11, 8, 12, 3, 2, 12, 13, 1, 6, 1, 2, 7, 2, 12, 12, 7, 12, 4, 9, 13, 13, 11, 4, 8, 12, 1, 11, 1, 11, 11, 10, 3, 11];
const rCl0C = [2, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 1, 3, 4, 0, 1, 0, 0, 5, 0, 2, 1, 2, 1, 1, 0, 0, 1, 2, 0, 2, 0, 0, 0, 1, 3, 1, 0, 1, 3];
const rImpC = [5, 6, 3, 6, 14, 2, 9, 8, 6, 14, 4, 5, 7, 11, 5, 1, 8, 13, 9, 2, 14, 7, 12, 1, 7, 12, 12, 4, 9, 8, 4, 10, 5, 10, 6, 10, 10, 9, 10, 10];
const rClC = [1, 1, 1, 0, 3, 0, 1, 2, 0, 1, 3, 0, 3, 2, 2, 0, 1, 3, 6, 1, 0, 1, 0, 0, 1, 0, 0, 0, 2, 2, 1, 1, 2, 0, 1, 2, 3, 0, 3, 3];
const rImp0T = [1, 9, 12, 12, 6, 14, 12, 13, 8, 8, 14, 4, 13, 12, 1, 10, 14, 7, 5, 8, 7, 14, 7, 14, 6, 4, 7, 8, 9, 2, 2, 6, 12, 7, 2, 9];
const rCl0T = [0, 3, 5, 3, 4, 2, 1, 1, 0, 0, 0, 0, 2, 3, 0, 1, 0, 0, 0, 0, 3, 5, 1, 1, 1, 0, 0, 0, 3, 1, 0, 0, 4, 3, 0, 2];
const rImpT = [7, 11, 10, 1, 6, 3, 3, 9, 5, 13, 5, 4, 1, 2, 5, 9, 4, 9, 12, 12, 4, 7, 12, 5, 1, 13, 3, 5, 9, 12, 1, 5, 14, 8, 12, 11];
const rClT = [0, 1, 2, 0, 4, 1, 0, 2, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 2, 2, 2, 3, 3, 0, 0, 0, 1, 0, 5, 1, 0, 0, 3, 1, 1, 3];
const SRM_CASES: Array<[number[], number[]]> = [
  [
    [5030, 4970],
    [0.5, 0.5],
  ],
  [
    [4700, 5300],
    [0.5, 0.5],
  ],
  [
    [3400, 3300, 3300],
    [1 / 3, 1 / 3, 1 / 3],
  ],
  [
    [2010, 1010, 980],
    [0.5, 0.25, 0.25],
  ],
  [
    [9000, 1100],
    [0.9, 0.1],
  ],
];
const HOLM_CASES = [
  [0.01, 0.04, 0.03, 0.005],
  [0.2, 0.5, 0.01],
  [0.6, 0.7, 0.9, 0.95],
  [0.02, 0.02, 0.02],
  [0.001, 0.3],
];
const PLANNING_CASES: Array<[number, number, number, number, number]> = [
  [1, 0.1, 0.05, 0.8, 1],
  [0.09, 0.01, 0.05, 0.8, 0.09],
  [0.09, 0.005, 0.01, 0.9, 0.0975],
  [250.0, 2.0, 0.05, 0.95, 250.0],
];
const MSPRT_SIGMA2 = 1.3;
const MSPRT_TAU2 = 0.04;
const MSPRT_LOOKS: Array<[number, number]> = [
  [50, 0.21],
  [100, 0.05],
  [200, 0.19],
  [400, 0.16],
  [800, 0.13],
  [1600, 0.11],
  [3200, 0.06],
  [6400, 0.09],
];

// ---- scripts/experiments-reference.py output ----
const REFERENCE = REFERENCE_JSON;
const TOLERANCE = 1e-6;
let worst = 0;
let compared = 0;

/** |actual - expected| <= 1e-6 * max(1, |expected|), and to 1e-6 relative for tiny expected values (p-values). */
function close(actual: number, expected: number, label: string): void {
  const scale = Math.abs(expected) < 1e-3 && expected !== 0 ? Math.abs(expected) : Math.max(1, Math.abs(expected));
  const err = Math.abs(actual - expected) / scale;
  worst = Math.max(worst, err);
  compared++;
  assert.ok(err <= TOLERANCE, `${label}: ${actual} vs reference ${expected} (scaled error ${err})`);
}

function closeLift(
  actual: LiftResult | null,
  expected: { estimate: number; standardError: number; df: number; statistic: number; pValue: number; ci: readonly number[] },
  label: string,
): void {
  assert.ok(actual, `${label}: not computed`);
  close(actual.estimate, expected.estimate, `${label} estimate`);
  close(actual.standardError, expected.standardError, `${label} standard error`);
  close(actual.df, expected.df, `${label} df`);
  close(actual.statistic, expected.statistic, `${label} statistic`);
  close(actual.pValue, expected.pValue, `${label} p-value`);
  close(actual.ci[0], expected.ci[0]!, `${label} ci low`);
  close(actual.ci[1], expected.ci[1]!, `${label} ci high`);
}

test('per-variant summary: n, mean and sample variance match numpy', () => {
  const s = summarize(momentsOf(revC));
  assert.equal(s.n, REFERENCE.summaryRevenueControl.n);
  close(s.mean, REFERENCE.summaryRevenueControl.mean, 'mean');
  close(s.variance, REFERENCE.summaryRevenueControl.variance, 'variance');
});

test('absolute lift: Welch t-test matches scipy.stats.ttest_ind(equal_var=False), interval included', () => {
  closeLift(welchTest(meanArm(momentsOf(revT)), meanArm(momentsOf(revC))), REFERENCE.welchRevenue, 'revenue');
  closeLift(welchTest(meanArm(momentsOf(clkT)), meanArm(momentsOf(clkC))), REFERENCE.welchClicks, 'clicks');
});

test('relative lift: delta-method interval and p-value match the formula computed by hand in numpy/scipy', () => {
  closeLift(relativeLift(meanArm(momentsOf(revT)), meanArm(momentsOf(revC))), REFERENCE.relativeRevenue, 'revenue');
  closeLift(relativeLift(meanArm(momentsOf(clkT)), meanArm(momentsOf(clkC))), REFERENCE.relativeClicks, 'clicks');
});

test("relative lift also matches GrowthBook's frequentist engine (gbstats) on the same n / sum / sum of squares", () => {
  const cases: Array<[number[], number[], { estimate: number; pValue: number; ci: readonly number[] }]> = [
    [revT, revC, REFERENCE.gbstatsRelative.revenue],
    [clkT, clkC, REFERENCE.gbstatsRelative.clicks],
  ];
  for (const [t, c, ref] of cases) {
    const r = relativeLift(meanArm(momentsOf(t)), meanArm(momentsOf(c)));
    assert.ok(r);
    close(r.estimate, ref.estimate, 'estimate');
    close(r.pValue, ref.pValue, 'p-value');
    close(r.ci[0], ref.ci[0]!, 'ci low');
    close(r.ci[1], ref.ci[1]!, 'ci high');
  }
});

test('ratio metric (clicks / impressions per user): delta-method variance matches the linearisation in numpy', () => {
  const c = ratioArm(coMomentsOf(impC, clC));
  const t = ratioArm(coMomentsOf(impT, clT));
  close(c.mean, REFERENCE.ratioControl.mean, 'control ratio');
  close(c.varianceOfMean, REFERENCE.ratioControl.varianceOfMean, 'control variance');
  close(t.mean, REFERENCE.ratioTreatment.mean, 'treatment ratio');
  close(t.varianceOfMean, REFERENCE.ratioTreatment.varianceOfMean, 'treatment variance');
  const w = welchTest(t, c);
  assert.ok(w);
  close(w.estimate, REFERENCE.ratioWelch.estimate, 'difference');
  close(w.standardError, REFERENCE.ratioWelch.standardError, 'standard error');
  close(w.df, REFERENCE.ratioWelch.df, 'df');
  close(w.pValue, REFERENCE.ratioWelch.pValue, 'p-value');
});

test('CUPED: pooled theta, adjusted Welch test and relative lift match numpy by hand + scipy on the adjusted values', () => {
  const r = cuped(coMomentsOf(preT, postT), coMomentsOf(preC, postC));
  close(r.theta, REFERENCE.cuped.theta, 'theta');
  closeLift(r.absolute, REFERENCE.cuped.absolute, 'cuped absolute');
  closeLift(r.relative, REFERENCE.cuped.relative, 'cuped relative');
  close(r.varianceRatio, REFERENCE.cuped.varianceRatio, 'variance ratio');
  assert.ok(r.varianceRatio < 1, 'the covariate reduces the variance');
});

test('CUPED on a ratio metric (CTR with the pre-period CTR): matches the linearisation by hand in numpy + scipy', () => {
  const rows = (y: number[], x: number[], y0: number[], x0: number[]) => y.map((_, i) => [y[i]!, x[i]!, y0[i]!, x0[i]!]);
  const t = multiMomentsOf(rows(rClT, rImpT, rCl0T, rImp0T));
  const c = multiMomentsOf(rows(rClC, rImpC, rCl0C, rImp0C));
  const r = cupedRatio(t, c);
  close(r.theta, REFERENCE.cupedRatio.theta, 'theta');
  closeLift(r.absolute, REFERENCE.cupedRatio.absolute, 'ratio cuped absolute');
  closeLift(r.relative, REFERENCE.cupedRatio.relative, 'ratio cuped relative');
  close(r.varianceRatio, REFERENCE.cupedRatio.varianceRatio, 'variance ratio');
  // without the covariate's help (theta forced to 0 by a constant pre-period) it is the plain delta-method ratio test
  const flat = (y: number[], x: number[]) => y.map((_, i) => [y[i]!, x[i]!, 1, 1]);
  const plain = cupedRatio(multiMomentsOf(flat(rClT, rImpT)), multiMomentsOf(flat(rClC, rImpC)));
  const delta = welchTest(ratioArm(coMomentsOf(rImpT, rClT)), ratioArm(coMomentsOf(rImpC, rClC)));
  assert.equal(plain.theta, 0);
  close(plain.absolute!.estimate, delta!.estimate, 'estimate without covariate');
  close(plain.absolute!.standardError, delta!.standardError, 'standard error without covariate');
});

test('sample-ratio mismatch: chi-square statistic and p-value match scipy.stats.chisquare', () => {
  SRM_CASES.forEach(([observed, shares], i) => {
    const r = sampleRatioMismatch(observed, shares);
    close(r.chiSquare, REFERENCE.srm[i]!.chiSquare, `case ${i} chi-square`);
    close(r.pValue, REFERENCE.srm[i]!.pValue, `case ${i} p-value`);
  });
});

test('Holm-Bonferroni matches statsmodels multipletests(method="holm")', () => {
  HOLM_CASES.forEach((ps, i) => {
    holmAdjust(ps).forEach((p, j) => close(p, REFERENCE.holm[i]![j]!, `case ${i} #${j}`));
  });
});

test("mSPRT: likelihood ratios, running-minimum p-values and always-valid intervals match the paper's formula", () => {
  const tau = Math.sqrt(MSPRT_TAU2);
  // The engine's general form with V = 2 sigma^2 / n is the paper's equal-n statistic.
  MSPRT_LOOKS.forEach(([n, diff], i) => {
    close(msprtLikelihoodRatio(diff, (2 * MSPRT_SIGMA2) / n, { tau }), REFERENCE.msprt.likelihoodRatios[i]!, `look ${i} likelihood ratio`);
    const h = msprtHalfWidth((2 * MSPRT_SIGMA2) / n, { tau, alpha: 0.05 });
    close(diff - h, REFERENCE.msprt.intervals[i]![0]!, `look ${i} interval low`);
    close(diff + h, REFERENCE.msprt.intervals[i]![1]!, `look ${i} interval high`);
  });
  const ps = sequentialPValues(
    MSPRT_LOOKS.map(([n, diff]) => ({ estimate: diff, variance: (2 * MSPRT_SIGMA2) / n })),
    { tau },
  );
  ps.forEach((p, i) => close(p, REFERENCE.msprt.pValues[i]!, `look ${i} p-value`));
  // The folded state keeps the same p-values and intersects the intervals.
  let state = INITIAL_SEQUENTIAL_STATE;
  MSPRT_LOOKS.forEach(([n, diff], i) => {
    state = sequentialLook(state, diff, (2 * MSPRT_SIGMA2) / n, { tau, alpha: 0.05 });
    close(state.pValue, REFERENCE.msprt.pValues[i]!, `state ${i} p-value`);
    const lo = Math.max(...REFERENCE.msprt.intervals.slice(0, i + 1).map((iv) => iv[0]!));
    const hi = Math.min(...REFERENCE.msprt.intervals.slice(0, i + 1).map((iv) => iv[1]!));
    close(state.ci[0], lo, `state ${i} running interval low`);
    close(state.ci[1], hi, `state ${i} running interval high`);
  });
  // Consistency: p < alpha exactly when the running interval excludes 0 (here at the last look).
  assert.ok(state.pValue < 0.05 && state.ci[0] > 0);
});

test('planning: units per arm match the formula with scipy quantiles exactly, and statsmodels NormalIndPower to one unit', () => {
  PLANNING_CASES.forEach(([variance, mde, alpha, power, treatmentVariance], i) => {
    const n = sampleSizePerArm({ variance, mde, alpha, power, treatmentVariance });
    const ref = REFERENCE.planning[i]!;
    assert.equal(n, ref.unitsPerArm, `case ${i}`);
    if (ref.statsmodels !== null) assert.ok(Math.abs(n - ref.statsmodels) < 1, `case ${i}: ${n} vs statsmodels ${ref.statsmodels}`);
  });
});

test('distribution functions match scipy.stats (t two-sided, t quantile, chi-square upper tail)', () => {
  const d = REFERENCE.distributions;
  close(studentTTwoSidedP(2.5, 13.7), d.tTwoSided[0]!, 't 2.5 df 13.7');
  close(studentTTwoSidedP(40, 1000), d.tTwoSided[1]!, 't 40 df 1000');
  close(studentTTwoSidedP(0.3, 3.2), d.tTwoSided[2]!, 't 0.3 df 3.2');
  close(studentTQuantile(0.975, 13.7), d.tQuantile975[0]!, 't quantile df 13.7');
  close(studentTQuantile(0.975, 2.5), d.tQuantile975[1]!, 't quantile df 2.5');
  close(studentTQuantile(0.975, 1e6), d.tQuantile975[2]!, 't quantile df 1e6');
  close(chiSquareUpperTail(30, 3), d.chi2Upper[0]!, 'chi2 30 df 3');
  close(chiSquareUpperTail(200, 1), d.chi2Upper[1]!, 'chi2 200 df 1');
  close(chiSquareUpperTail(0.5, 2), d.chi2Upper[2]!, 'chi2 0.5 df 2');
});

// ---- guardrails (non-inferiority): the same cases as GUARDRAIL_CASES / GUARDRAIL_ARM_CASES in the script ----
const arm = (n: number, mean: number, varianceOfMean: number): ArmEstimate => ({ n, mean, varianceOfMean });
const dir = (higher: boolean): GuardrailDirection => (higher ? 'HIGHER_IS_BETTER' : 'LOWER_IS_BETTER');
const GUARDRAIL_CASES: Array<[ArmEstimate, ArmEstimate, number, boolean]> = [
  [meanArm(momentsOf(revT)), meanArm(momentsOf(revC)), 0.05, true],
  [meanArm(momentsOf(revT)), meanArm(momentsOf(revC)), 0.3, true],
  [meanArm(momentsOf(revT)), meanArm(momentsOf(revC)), 0.1, false],
  [meanArm(momentsOf(clkT)), meanArm(momentsOf(clkC)), 0.02, true],
  [meanArm(momentsOf(clkT)), meanArm(momentsOf(clkC)), 0.5, true],
  [meanArm(momentsOf(clkT)), meanArm(momentsOf(clkC)), 0.05, false],
  [arm(100000, 0.095, (0.095 * 0.905) / 100000), arm(100000, 0.1, 0.09 / 100000), 0.02, true],
  [arm(100000, 0.1005, (0.1005 * 0.8995) / 100000), arm(100000, 0.1, 0.09 / 100000), 0.02, true],
  [arm(40000, 12.1, 900 / 40000), arm(40000, 12.0, 880 / 40000), 0.05, false],
  [arm(40000, 13.4, 900 / 40000), arm(40000, 12.0, 880 / 40000), 0.05, false],
];

test('guardrail non-inferiority (fixed horizon) matches the one-sided t-test by hand with scipy.stats.t', () => {
  const verdicts = new Set<string>();
  GUARDRAIL_CASES.forEach(([t, c, margin, higher], i) => {
    const r = nonInferiority(t, c, { margin, direction: dir(higher) });
    const ref = REFERENCE.guardrailFixed[i]!;
    assert.ok(r, `case ${i}: not computed`);
    close(r.estimate, ref.estimate, `case ${i} estimate`);
    close(r.standardError, ref.standardError, `case ${i} standard error`);
    close(r.df, ref.df, `case ${i} df`);
    close(r.statistic, ref.statistic, `case ${i} statistic`);
    close(r.bound, ref.bound, `case ${i} bound`);
    close(r.pValue, ref.pValue, `case ${i} p-value`);
    assert.equal(r.verdict, ref.verdict, `case ${i} verdict`);
    verdicts.add(r.verdict);
  });
  assert.deepEqual([...verdicts].sort(), ['FAIL', 'INCONCLUSIVE', 'PASS'], 'the cases cover every verdict');
});

test('guardrail always-valid test: the closed-form one-sided mixture ratios (averaged over the scales) match numerical integration (scipy quad)', () => {
  const checkSeq = (
    logs: [number, number],
    seq: { pValue: number; inferiorityPValue: number; verdict: string } | null,
    ref: { logLambdaUp: number; logLambdaDown: number; pValue: number; inferiorityPValue: number; verdict: string },
    label: string,
  ) => {
    close(logs[0], ref.logLambdaUp, `${label} ln Lambda+`);
    close(logs[1], ref.logLambdaDown, `${label} ln Lambda-`);
    if (seq) {
      close(seq.pValue, ref.pValue, `${label} p+`);
      close(seq.inferiorityPValue, ref.inferiorityPValue, `${label} p-`);
      assert.equal(seq.verdict, ref.verdict, `${label} verdict`);
    }
  };
  GUARDRAIL_CASES.forEach(([t, c, margin, higher], i) => {
    const fixed = REFERENCE.guardrailFixed[i]!;
    const options = { margin, direction: dir(higher) };
    checkSeq(
      averagedOneSidedMsprtLogRatios(fixed.estimate, fixed.standardError ** 2, { ...options, taus: guardrailMixtureScales(margin) }),
      sequentialNonInferiority(t, c, options),
      REFERENCE.guardrailSequential[i]!,
      `arms case ${i}`,
    );
  });
  const cases: Array<[number, number, number, boolean, number]> = [
    [0.01, 0.0001, 0.02, true, 0.02],
    [-0.05, 0.0001, 0.02, true, 0.02],
    [-0.021, 0.00004, 0.02, true, 0.02],
    [0.04, 0.0004, 0.02, false, 0.02],
    [-0.2, 0.01, 0.05, true, 0.1],
    [0.0, 1e-6, 0.02, true, 0.02],
  ];
  cases.forEach(([estimate, variance, margin, higher, tau], i) => {
    const ref = REFERENCE.guardrailSequentialCases[i]!;
    checkSeq(oneSidedMsprtLogRatios(estimate, variance, { margin, direction: dir(higher), tau }), null, ref, `case ${i}`);
    close(Math.min(1, Math.exp(-oneSidedMsprtLogRatios(estimate, variance, { margin, direction: dir(higher), tau })[0])), ref.pValue, `case ${i} p+`);
  });
});

test('worst scaled deviation from the references stays far below 1e-6', () => {
  // Runs last (node:test runs top-level tests in order): a record of how close the engine is, in the test output.
  console.log(`experiments reference agreement: ${compared} numbers compared, worst scaled error ${worst.toExponential(2)}`);
  assert.ok(worst <= TOLERANCE);
});
