import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import gammainc from '@stdlib/math-base-special-gammainc';

/**
 * The distribution functions the statistics need, from stdlib (@stdlib/*: ports of the Boost / Cephes
 * algorithms, accurate to a few ulps), never hand-written special functions. Each is checked against scipy.stats
 * in test/unit/experiments/distributions.test.ts.
 */

/** Two-sided p-value of a t statistic with `df` degrees of freedom: 2 * F_t(-|t|; df). */
export function studentTTwoSidedP(t: number, df: number): number {
  if (Number.isNaN(t) || Number.isNaN(df)) return Number.NaN;
  return Math.min(1, 2 * tCdf(-Math.abs(t), df));
}

/** Lower tail of Student's t with `df` degrees of freedom: F_t(t; df) (one-sided p-values). */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t) || Number.isNaN(df)) return Number.NaN;
  return tCdf(t, df);
}

/**
 * The standard normal CDF, Phi(x). Through the regularized upper incomplete gamma function, erfc(y) = Q(1/2, y^2) for
 * y >= 0 (Abramowitz, Stegun 1964, 7.1.2 and 6.5.17), so the lower tail keeps its precision far out.
 */
export function standardNormalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const tail = 0.5 * gammainc((x * x) / 2, 0.5, true, true);
  return x <= 0 ? tail : 1 - tail;
}

/** Quantile of Student's t with `df` degrees of freedom: F_t^{-1}(p; df). */
export function studentTQuantile(p: number, df: number): number {
  return tQuantile(p, df);
}

/** Quantile of the standard normal: Phi^{-1}(p). */
export function standardNormalQuantile(p: number): number {
  return normalQuantile(p, 0, 1);
}

/**
 * Upper tail of the chi-square distribution with k degrees of freedom: P(X >= x) = Q(k/2, x/2), the regularized
 * upper incomplete gamma function (computed directly, not as 1 - CDF, so tiny p-values keep their precision).
 */
export function chiSquareUpperTail(x: number, k: number): number {
  if (x <= 0) return 1;
  return gammainc(x / 2, k / 2, true, true);
}
